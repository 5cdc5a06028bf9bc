package chreplicas

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"econdip/analytics"
	"econdip/analytics/chcluster"
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
		if buildDir != "" {
			os.RemoveAll(buildDir)
		}
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

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

// econdipBinary builds ./services/econdip once per test run and returns its path.
func econdipBinary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "econdip-chreplicas-bin-")
		if buildErr != nil {
			return
		}
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goBin); err != nil {
			goBin = "go"
		}
		binPath = filepath.Join(buildDir, "econdip")
		out, err := exec.Command(goBin, "build", "-o", binPath, "econdip/services/econdip").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build econdip: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binPath
}

// processEnv is this process's environment without any ECONDIP_ variable,
// plus kv: a child sees only the configuration the test gives it.
func processEnv(kv ...string) []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "ECONDIP_") {
			env = append(env, e)
		}
	}
	return append(env, kv...)
}

// proc is a child process of the test: the econdip binary running one command.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// startProc runs the binary with args, appending its output to logPath.
func startProc(tb testing.TB, name, logPath string, env []string, args ...string) *proc {
	tb.Helper()
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(econdipBinary(tb), args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	// A test binary that dies must not leave the child running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		tb.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	tb.Cleanup(p.kill)
	return p
}

// kill sends SIGKILL and waits until the process is gone.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop asks the process to finish (SIGTERM) and kills it after timeout.
func (p *proc) stop(timeout time.Duration) error {
	select {
	case <-p.done:
		return fmt.Errorf("%s had exited already: %v", p.name, p.err)
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		p.kill()
		return fmt.Errorf("%s did not stop within %s of SIGTERM", p.name, timeout)
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// runEcondip runs one econdip command to its end, its output in logPath.
func runEcondip(tb testing.TB, env []string, logPath string, args ...string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, econdipBinary(tb), args...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(logPath, out, 0o644)
	if err != nil {
		tb.Fatalf("econdip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// logTail returns the tail of a child's log for a failure message.
func logTail(path string, n int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
