// Package chtest gives integration tests a ClickHouse database: one private
// server per test package, started from TestMain.
//
//	func TestMain(m *testing.M) { chtest.Main(m, "econdip_test_leads") }
//
//	func TestSomething(t *testing.T) {
//		conn := chtest.Conn(t)
//		...
//	}
package chtest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"econdip/analytics/chserver"
)

// AddrEnv names the environment variable that, when set to a native protocol
// address (host:port), makes Main use that server instead of starting one.
const AddrEnv = "ECONDIP_TEST_CLICKHOUSE_ADDR"

var (
	addr     string
	database string
)

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Main starts a private ClickHouse server in a temporary folder (or uses the
// one at $ECONDIP_TEST_CLICKHOUSE_ADDR), drops and creates database, runs the
// tests, stops the server and exits with the tests' exit code. It exits 1,
// never skips, when ClickHouse is not installed or does not start.
func Main(m *testing.M, database string) {
	os.Exit(run(m, database))
}

// Run is Main without the exit: it returns the tests' exit code once the
// server has stopped, for a TestMain that has more to clean up.
func Run(m *testing.M, database string) int {
	return run(m, database)
}

func run(m *testing.M, db string) (code int) {
	if !identifier.MatchString(db) {
		fmt.Fprintf(os.Stderr, "chtest: database name %q is not a plain identifier\n", db)
		return 1
	}
	database = db
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))

	if env := os.Getenv(AddrEnv); env != "" {
		addr = env
		logger.Info("using clickhouse from "+AddrEnv, "addr", addr)
	} else {
		if _, _, err := chserver.FindBinary(); err != nil {
			fmt.Fprintf(os.Stderr, "chtest: %v\n", err)
			return 1
		}
		dir, err := os.MkdirTemp("", "econdip-chtest-")
		if err != nil {
			fmt.Fprintf(os.Stderr, "chtest: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)

		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		srv, err := chserver.Start(ctx, chserver.Options{Dir: dir, Logger: logger})
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "chtest: %v\n", err)
			return 1
		}
		addr = srv.Addr
		stopOnSignal(srv, dir)
		defer func() {
			// A server that died during the tests fails the package.
			if err := srv.Stop(); err != nil {
				fmt.Fprintf(os.Stderr, "chtest: %v\n", err)
				if code == 0 {
					code = 1
				}
			}
		}()
	}

	if err := recreateDatabase(); err != nil {
		fmt.Fprintf(os.Stderr, "chtest: %v\n", err)
		return 1
	}
	return m.Run()
}

// stopOnSignal shuts the server down and removes its folder on Ctrl-C: the
// server runs in its own process group, so the terminal's SIGINT reaches only
// the test binary, whose deferred Stop would otherwise never run.
func stopOnSignal(srv *chserver.Server, dir string) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "chtest: %v: stopping clickhouse\n", sig)
		_ = srv.Stop()
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}()
}

func recreateDatabase() error {
	conn, err := open("default")
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, q := range []string{"DROP DATABASE IF EXISTS `" + database + "`", "CREATE DATABASE `" + database + "`"} {
		if err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("recreate database %s on %s: %w", database, addr, err)
		}
	}
	return nil
}

func open(db string) (driver.Conn, error) {
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        []string{addr},
		Auth:        clickhouse.Auth{Database: db, Username: "default"},
		DialTimeout: 5 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("connect to clickhouse at %s: %w", addr, err)
	}
	return conn, nil
}

// Addr returns the native protocol address (host:port) of the test server.
func Addr() string { return addr }

// Database returns the name of the test package's database.
func Database() string { return database }

// Conn returns a connection to the test package's database that is closed
// when tb finishes; it fails tb if the server cannot be reached.
func Conn(tb testing.TB) driver.Conn {
	tb.Helper()
	if addr == "" {
		tb.Fatal("chtest: no server: call chtest.Main from TestMain")
	}
	conn, err := open(database)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := conn.Close(); err != nil {
			tb.Errorf("close clickhouse connection: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		tb.Fatalf("ping clickhouse at %s: %v", addr, err)
	}
	return conn
}
