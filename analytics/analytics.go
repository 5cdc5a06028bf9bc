// Package analytics owns econdip's ClickHouse side: versioned migrations that
// run on ClickHouse 18.16 and on current LTS releases, the row types ingest
// writes, and the query functions the dashboards read. ClickHouse is a
// projection of the JetStream log and can be rebuilt by replaying it.
package analytics

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Config says where ClickHouse is.
type Config struct {
	// Addr is host:port of the native protocol, or in cluster mode a
	// comma-separated list of every replica's (the driver fails over from
	// one to the next, in order).
	Addr     string
	Database string
	Username string
	Password string
	TLS      bool
	// Cluster is the cluster's name in the servers' remote_servers; empty:
	// a single node. See cluster.go.
	Cluster string
}

// Addrs returns the addresses Addr lists.
func (c Config) Addrs() []string {
	var out []string
	for a := range strings.SplitSeq(c.Addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// Open connects to ClickHouse and checks the connection.
func Open(ctx context.Context, cfg Config) (driver.Conn, error) {
	addrs := cfg.Addrs()
	if len(addrs) == 0 {
		addrs = []string{cfg.Addr}
	}
	opts := &clickhouse.Options{
		Addr:        addrs,
		Auth:        clickhouse.Auth{Database: cfg.Database, Username: cfg.Username, Password: cfg.Password},
		DialTimeout: 5 * time.Second,
		Settings: clickhouse.Settings{
			// Needed on 18.16 for LowCardinality; current servers accept and ignore it.
			"allow_experimental_low_cardinality_type": 1,
		},
		MaxOpenConns: 8,
	}
	if cfg.Cluster != "" {
		// An insert into a Distributed table returns once the rows are in a
		// replica's table, not when they are queued on the receiving node:
		// ingest acknowledges JetStream after the insert.
		opts.Settings["insert_distributed_sync"] = 1
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
