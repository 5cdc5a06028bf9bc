// Package analytics owns econdip's ClickHouse side: versioned migrations that
// run on ClickHouse 18.16 and on current LTS releases, the row types ingest
// writes, and the query functions the dashboards read. ClickHouse is a
// projection of the JetStream log and can be rebuilt by replaying it.
package analytics

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Config says where ClickHouse is.
type Config struct {
	Addr     string // host:port of the native protocol
	Database string
	Username string
	Password string
	TLS      bool
}

// Open connects to ClickHouse and checks the connection.
func Open(ctx context.Context, cfg Config) (driver.Conn, error) {
	opts := &clickhouse.Options{
		Addr:        []string{cfg.Addr},
		Auth:        clickhouse.Auth{Database: cfg.Database, Username: cfg.Username, Password: cfg.Password},
		DialTimeout: 5 * time.Second,
		Settings: clickhouse.Settings{
			// Needed on 18.16 for LowCardinality; current servers accept and ignore it.
			"allow_experimental_low_cardinality_type": 1,
		},
		MaxOpenConns: 8,
	}
	if cfg.TLS {
		opts.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open clickhouse at %s: %w", cfg.Addr, err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := conn.Ping(pingCtx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("clickhouse at %s (database %q) does not answer: %w; check ECONDIP_CLICKHOUSE_ADDR and that the server runs", cfg.Addr, cfg.Database, err)
	}
	return conn, nil
}
