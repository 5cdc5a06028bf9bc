package chreplicas

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"econdip/analytics"
	"econdip/analytics/chcluster"
	"econdip/services/test/reliability/faultkit"
)

// cluster is the package's ClickHouse cluster, started by TestMain.
var cluster *chcluster.Cluster

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) (code int) {
	dir, err := os.MkdirTemp("", "econdip-chreplicas-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cluster, err = chcluster.Start(ctx, chcluster.Options{Dir: filepath.Join(dir, "cluster"), Logger: logger})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "chreplicas: start the ClickHouse cluster: %v\n", err)
		return 1
	}
	// The servers run in process groups of their own: Ctrl-C reaches only
	// this process, which must take them down.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		_ = cluster.Stop()
		os.RemoveAll(dir)
		os.Exit(1)
	}()
	defer func() {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "chreplicas: stop the cluster: %v\n", err)
		}
		faultkit.RemoveBinary()
	}()
	return m.Run()
}

// open connects to one replica's database, in cluster mode.
func open(tb testing.TB, addr, database string) driver.Conn {
	tb.Helper()
	conn, err := analytics.Open(context.Background(), analytics.Config{Addr: addr, Database: database, Username: "default", Cluster: cluster.Name})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	return conn
}

// dropDatabase drops database on every replica when the test ends.
func dropDatabaseAtEnd(tb testing.TB, database string) {
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, r := range cluster.Replicas {
			if !r.Running() {
				continue
			}
			if conn, err := analytics.Open(ctx, analytics.Config{Addr: r.Addr, Database: "default", Username: "default"}); err == nil {
				_ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+database)
				conn.Close()
			}
		}
	})
}

// syncReplicas waits until every replica has fetched everything the
// replicated tables' logs hold: SYSTEM SYNC REPLICA on each replica, for
// each of its replicated tables in database. (A table that is not
// replicated is not waited for: the checks after this find what it lacks.)
func syncReplicas(tb testing.TB, ctx context.Context, database string) {
	tb.Helper()
	for _, r := range cluster.Replicas {
		conn := open(tb, r.Addr, database)
		rows, err := conn.Query(ctx, "SELECT table FROM system.replicas WHERE database = ?", database)
		if err != nil {
			tb.Fatalf("replica %s: list replicated tables: %v", r.Name, err)
		}
		var tables []string
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				tb.Fatal(err)
			}
			tables = append(tables, t)
		}
		rows.Close()
		for _, t := range tables {
			if err := conn.Exec(ctx, "SYSTEM SYNC REPLICA "+database+"."+t); err != nil {
				tb.Fatalf("replica %s: SYSTEM SYNC REPLICA %s: %v\n%s", r.Name, t, err, r.ErrLogTail(20))
			}
		}
	}
}

// logClusterStateOnFailure logs, when the test fails, each replica's last
// errors and the distributed DDL queue's last tasks with the hosts that
// have finished each: a DDL ON CLUSTER that hangs shows which node has not
// run which task.
func logClusterStateOnFailure(t *testing.T) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, r := range cluster.Replicas {
			t.Logf("replica %s error log (last lines):\n%s", r.Name, r.ErrLogTail(30))
		}
		for _, r := range cluster.Replicas {
			if r.Running() {
				t.Logf("distributed DDL queue (last tasks), read on replica %s:\n%s", r.Name, ddlQueueTail(r, 12))
				return
			}
		}
	})
}

// ddlQueueTail describes the last n tasks of the distributed DDL queue:
// each task's query and the hosts that have finished it (from ZooKeeper,
// through system.zookeeper, which 18.16 has).
func ddlQueueTail(r *chcluster.Replica, n int) string {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := analytics.Open(ctx, analytics.Config{Addr: r.Addr, Database: "default", Username: "default"})
	if err != nil {
		return err.Error()
	}
	defer conn.Close()
	const queue = "/clickhouse/task_queue/ddl"
	rows, err := conn.Query(ctx, "SELECT name, value FROM system.zookeeper WHERE path = ? ORDER BY name DESC LIMIT ?", queue, uint64(n))
	if err != nil {
		return "read the queue: " + err.Error()
	}
	type task struct{ name, value string }
	var tasks []task
	for rows.Next() {
		var tk task
		if err := rows.Scan(&tk.name, &tk.value); err != nil {
			return err.Error()
		}
		tasks = append(tasks, tk)
	}
	rows.Close()
	var b strings.Builder
	for _, tk := range tasks {
		finished, err := zooKeeperChildren(ctx, conn, queue+"/"+tk.name+"/finished")
		if err != nil {
			finished = []string{"(" + err.Error() + ")"}
		}
		query := tk.value
		if i := strings.Index(query, "query: "); i >= 0 {
			query = query[i+len("query: "):]
		}
		query = strings.TrimSpace(strings.SplitN(query, "\n", 2)[0])
		if len(query) > 160 {
			query = query[:160] + "…"
		}
		fmt.Fprintf(&b, "  %s finished by %d of %d [%s]: %s\n", tk.name, len(finished), len(cluster.Replicas), strings.Join(finished, " "), query)
	}
	return b.String()
}

func zooKeeperChildren(ctx context.Context, conn driver.Conn, path string) ([]string, error) {
	rows, err := conn.Query(ctx, "SELECT name FROM system.zookeeper WHERE path = ?", path)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, rows.Err()
}
