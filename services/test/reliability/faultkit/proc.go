package faultkit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

// Binary builds ./services/cmd/econdip once per test binary and returns its
// path; the package's TestMain removes it with RemoveBinary.
func Binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "econdip-faultkit-bin-")
		if buildErr != nil {
			return
		}
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goBin); err != nil {
			goBin = "go"
		}
		binPath = filepath.Join(buildDir, "econdip")
		out, err := exec.Command(goBin, "build", "-o", binPath, "econdip/services/cmd/econdip").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build econdip: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binPath
}

// RemoveBinary removes what Binary built, if it built anything; TestMain
// calls it after the tests.
func RemoveBinary() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

// ProcessEnv is this process's environment without any ECONDIP_ variable,
// plus kv: a child sees only the configuration the test gives it.
func ProcessEnv(kv ...string) []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "ECONDIP_") {
			env = append(env, e)
		}
	}
	return append(env, kv...)
}

// Env is the configuration of an econdip process against the test's NATS
// (one URL or several, comma-separated) and a ClickHouse database (chAddr:
// one address or several), with dataDir for its reference files: ProcessEnv
// with those, then kv (a later value of a variable wins).
func Env(natsURL, chAddr, database, dataDir string, kv ...string) []string {
	return append(ProcessEnv(
		"ECONDIP_NATS_URL="+natsURL,
		"ECONDIP_CLICKHOUSE_ADDR="+chAddr,
		"ECONDIP_CLICKHOUSE_DATABASE="+database,
		"ECONDIP_DATA_DIR="+dataDir,
		"ECONDIP_LOG_LEVEL=info",
	), kv...)
}

// Migrate runs `econdip migrate`, the administrators' setup: with
// ECONDIP_NATS_URL it creates the streams and key-value buckets, then the
// ClickHouse tables (ingest only inserts, as in production). Its output
// goes to logPath; the test fails if it does.
func Migrate(tb testing.TB, env []string, logPath string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Binary(tb), "migrate")
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(logPath, out, 0o644)
	if err != nil {
		tb.Fatalf("econdip migrate: %v\n%s", err, out)
	}
}

// Proc is a child process of the test: the econdip binary running one
// command.
type Proc struct {
	name, logPath string
	cmd           *exec.Cmd
	done          chan struct{}
	err           error // how it ended, once done is closed
}

// StartProc runs the binary with args, appending its output to logPath.
// The process is killed when the test ends, and with the test binary.
func StartProc(tb testing.TB, name, logPath string, env []string, args ...string) *Proc {
	tb.Helper()
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(Binary(tb), args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	// A test binary that dies must not leave the child running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		tb.Fatalf("start %s: %v", name, err)
	}
	p := &Proc{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	tb.Cleanup(p.Kill)
	return p
}

// Name is the name the process was started with.
func (p *Proc) Name() string { return p.name }

// LogPath is the file its output goes to.
func (p *Proc) LogPath() string { return p.logPath }

// Kill sends SIGKILL and waits until the process is gone.
func (p *Proc) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop asks the process to finish (SIGTERM) and kills it after timeout;
// the error says it had exited already or did not stop in time.
func (p *Proc) Stop(timeout time.Duration) error {
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
		p.Kill()
		return fmt.Errorf("%s did not stop within %s of SIGTERM", p.name, timeout)
	}
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Err is how the process ended (cmd.Wait's error); nil while it runs.
func (p *Proc) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Alive returns nil while the process runs, and once it has exited an
// error with how it ended and the tail of its log.
func (p *Proc) Alive() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited: %v\n%s", p.name, p.err, LogTail(p.logPath, 30))
	default:
		return nil
	}
}

// CPU returns the CPU time the process used, once it has ended; 0 before.
func (p *Proc) CPU() time.Duration {
	select {
	case <-p.done:
		return p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
	default:
		return 0
	}
}
