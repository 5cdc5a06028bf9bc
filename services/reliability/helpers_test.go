package reliability

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/analytics"
	"econdip/analytics/chtest"
	"econdip/events"
)

func TestMain(m *testing.M) {
	code := chtest.Run(m, "econdip_test_reliability")
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
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
		buildDir, buildErr = os.MkdirTemp("", "econdip-reliability-bin-")
		if buildErr != nil {
			return
		}
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goBin); err != nil {
			goBin = "go"
		}
		binPath = filepath.Join(buildDir, "econdip")
		cmd := exec.Command(goBin, "build", "-o", binPath, "econdip/services/econdip")
		out, err := cmd.CombinedOutput()
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
	tb.Cleanup(func() { p.kill() })
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

// ingestEnv is the configuration of an econdip process working against the
// test's NATS and ClickHouse database; dataDir holds its reference files.
func ingestEnv(natsURL, database, dataDir string) []string {
	return processEnv(
		"ECONDIP_NATS_URL="+natsURL,
		"ECONDIP_CLICKHOUSE_ADDR="+chtest.Addr(),
		"ECONDIP_CLICKHOUSE_DATABASE="+database,
		"ECONDIP_DATA_DIR="+dataDir,
		"ECONDIP_LOG_LEVEL=info",
		"ECONDIP_INGEST_ADDR=off", // no health port: restarts must not wait for one
	)
}

// migrate runs `econdip migrate`, the administrators' setup that creates the
// tables: ingest only inserts, as in production.
func migrate(tb testing.TB, env []string, logPath string) {
	tb.Helper()
	cmd := exec.Command(econdipBinary(tb), "migrate")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(logPath, out, 0o644)
	if err != nil {
		tb.Fatalf("econdip migrate: %v\n%s", err, out)
	}
}

// newDatabase creates a database of its own for a test on the package's
// ClickHouse and returns a connection to it (the processes migrate it).
func newDatabase(tb testing.TB, name string) (string, driver.Conn) {
	tb.Helper()
	db := chtest.Database() + "_" + name
	ctx := context.Background()
	boot, err := analytics.Open(ctx, analytics.Config{Addr: chtest.Addr(), Database: "default", Username: "default"})
	if err != nil {
		tb.Fatal(err)
	}
	defer boot.Close()
	if err := boot.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
		tb.Fatal(err)
	}
	if err := analytics.CreateDatabase(ctx, boot, db); err != nil {
		tb.Fatal(err)
	}
	conn, err := analytics.Open(ctx, analytics.Config{Addr: chtest.Addr(), Database: db, Username: "default"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		conn.Close()
		// Dropped at the end, so its merges do not slow the tests after it.
		if boot, err := analytics.Open(ctx, analytics.Config{Addr: chtest.Addr(), Database: "default", Username: "default"}); err == nil {
			_ = boot.Exec(ctx, "DROP DATABASE IF EXISTS "+db)
			boot.Close()
		}
	})
	return db, conn
}

// deadline returns how long the test may still run, less a margin for its
// cleanup, capped at limit.
func deadline(t *testing.T, limit time.Duration) time.Time {
	end := time.Now().Add(limit)
	if d, ok := t.Deadline(); ok && d.Add(-30*time.Second).Before(end) {
		end = d.Add(-30 * time.Second)
	}
	return end
}

// ingestBacklog is what the durable ingest consumers still have to do:
// messages not yet delivered plus delivered but not acknowledged.
func ingestBacklog(ctx context.Context, js jetstream.JetStream, consumer string) (uint64, error) {
	pending, inFlight, err := consumerState(ctx, js, consumer)
	return pending + inFlight, err
}

// consumerState sums, over the ingest streams, the messages the consumer
// has not delivered yet and those delivered but not acknowledged.
func consumerState(ctx context.Context, js jetstream.JetStream, consumer string) (pending, inFlight uint64, err error) {
	for _, st := range events.IngestStreams() {
		c, err := js.Consumer(ctx, st.Name, consumer)
		if err != nil {
			return 0, 0, fmt.Errorf("consumer %s on %s: %w", consumer, st.Name, err)
		}
		info, err := c.Info(ctx)
		if err != nil {
			return 0, 0, err
		}
		pending += info.NumPending
		inFlight += uint64(info.NumAckPending)
	}
	return pending, inFlight, nil
}

// waitDrained waits until the ingest consumers have acknowledged everything.
func waitDrained(t *testing.T, js jetstream.JetStream, consumer string, until time.Time, alive func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var last uint64
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		n, err := ingestBacklog(ctx, js, consumer)
		cancel()
		if err == nil && n == 0 {
			return time.Since(start)
		}
		if err == nil {
			last = n
		}
		if alive != nil {
			if err := alive(); err != nil {
				t.Fatal(err)
			}
		}
		if time.Now().After(until) {
			t.Fatalf("ingest did not drain in time: %d messages left (last error %v)", last, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// exactlyOnce is what the final check found.
type exactlyOnce struct {
	rows, unique, final uint64 // events: count(), uniqExact(event_id), count() FINAL
}

// checkExactlyOnce compares ClickHouse with the events JetStream acknowledged:
// the events table holds exactly their ids (no more, none missing), each
// once when read with FINAL, and every figure-bearing table read with FINAL
// holds no event id twice. Raw rows may exceed the unique ids: that is a
// redelivery, collapsed by ReplacingMergeTree.
func checkExactlyOnce(t *testing.T, conn driver.Conn, acks []ack) exactlyOnce {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	want := make([]uuid.UUID, len(acks))
	seen := make(map[uuid.UUID]bool, len(acks))
	for i, a := range acks {
		want[i] = a.id
		if seen[a.id] {
			t.Errorf("event %s acknowledged twice (a retry stored twice?)", a.id)
		}
		seen[a.id] = true
	}
	var res exactlyOnce
	if err := conn.QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM events").Scan(&res.rows, &res.unique); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT count() FROM events FINAL").Scan(&res.final); err != nil {
		t.Fatal(err)
	}
	if res.unique != uint64(len(acks)) || res.final != res.unique {
		t.Errorf("events: %d rows, %d unique ids, %d rows with FINAL; JetStream acknowledged %d", res.rows, res.unique, res.final, len(acks))
	}
	rows, err := conn.Query(ctx, "SELECT DISTINCT event_id FROM events")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]uuid.UUID, 0, len(acks))
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	rows.Close()
	cmp := func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) }
	slices.SortFunc(want, cmp)
	slices.SortFunc(got, cmp)
	missing, extra := diffSorted(want, got, cmp)
	if len(missing) > 0 {
		t.Errorf("%d acknowledged events are not in ClickHouse, e.g. %v", len(missing), missing[:min(5, len(missing))])
	}
	if len(extra) > 0 {
		t.Errorf("%d events in ClickHouse were never acknowledged, e.g. %v", len(extra), extra[:min(5, len(extra))])
	}
	for _, table := range figureTables {
		var n, u uint64
		if err := conn.QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM "+table+" FINAL").Scan(&n, &u); err != nil {
			t.Fatal(err)
		}
		if n != u {
			t.Errorf("%s FINAL: %d rows but %d event ids: an event counts twice", table, n, u)
		}
	}
	return res
}

// figureTables are the tables the figures are read from.
var figureTables = []string{"lead_states", "lead_stage_history", "commission_states", "session_states", "decision_states",
	"decision_status_history", "exporter_states", "deal_states", "barrier_states", "barrier_status_history"}

func diffSorted[T any](want, got []T, cmp func(a, b T) int) (missing, extra []T) {
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || (i < len(want) && cmp(want[i], got[j]) < 0):
			missing = append(missing, want[i])
			i++
		case i == len(want) || cmp(want[i], got[j]) > 0:
			extra = append(extra, got[j])
			j++
		default:
			i++
			j++
		}
	}
	return missing, extra
}

// checkStates checks the state tables against what the generator made:
// one row per lead and deal at its last version, a stage-history row per
// lead event.
func checkStates(t *testing.T, conn driver.Conn, g *generator) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, c := range []struct {
		q    string
		want [2]uint64
	}{
		{"SELECT count(), sum(version) FROM lead_states FINAL", [2]uint64{uint64(g.leadCount), uint64(g.leadVersions)}},
		{"SELECT count(), sum(version) FROM deal_states FINAL", [2]uint64{uint64(g.dealCount), uint64(g.dealVersions)}},
		{"SELECT count(), uniqExact(lead_id) FROM lead_stage_history FINAL", [2]uint64{uint64(g.leadEvents), uint64(g.leadCount)}},
	} {
		var got [2]uint64
		if err := conn.QueryRow(ctx, c.q).Scan(&got[0], &got[1]); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s = %v, want %v", c.q, got, c.want)
		}
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

// runEcondip runs one econdip command to its end and returns its standard
// output and error output.
func runEcondip(tb testing.TB, env []string, args ...string) (stdout, stderr string, err error) {
	tb.Helper()
	cmd := exec.Command(econdipBinary(tb), args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// cpuUse is where the machine's CPU time went during a test: this process
// (the publisher and, when embedded, NATS), the econdip children, and the
// rest of the machine (ClickHouse, and anything else running).
type cpuUse struct {
	self, children, clickhouse, machine time.Duration
}

func (c cpuUse) String() string {
	return fmt.Sprintf("CPU: test process (publisher, NATS) %.0fs, econdip processes %.0fs, ClickHouse %.0fs, rest of the machine %.0fs",
		c.self.Seconds(), c.children.Seconds(), c.clickhouse.Seconds(), (c.machine - c.self - c.children - c.clickhouse).Seconds())
}

// cpuSample is the CPU time used so far by this process, its ClickHouse
// children (the package's server, a child of the test binary) and the
// whole machine.
type cpuSample struct{ self, clickhouse, machine time.Duration }

func cpuNow() cpuSample {
	var c cpuSample
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		c.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	c.clickhouse = clickhouseCPU()
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return c
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var busy int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		var n int64
		fmt.Sscan(v, &n)
		busy += n
	}
	c.machine = time.Duration(busy) * 10 * time.Millisecond // USER_HZ is 100 on Linux
	return c
}

// since is the CPU used between two samples; children is what the test's
// econdip processes used.
func (c cpuSample) since(before cpuSample, children time.Duration) cpuUse {
	return cpuUse{self: c.self - before.self, children: children, clickhouse: c.clickhouse - before.clickhouse, machine: c.machine - before.machine}
}

// clickhouseCPU is the CPU time of the ClickHouse servers this process started.
func clickhouseCPU() time.Duration {
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	me := strconv.Itoa(os.Getpid())
	var total int64
	for _, d := range dirs {
		raw, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		s := string(raw)
		end := strings.LastIndexByte(s, ')')
		if end < 0 || !strings.Contains(s[:end], "clickhouse") {
			continue
		}
		f := strings.Fields(s[end+1:]) // state ppid ... utime(12) stime(13)
		if len(f) < 13 || f[1] != me {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += u + st
	}
	return time.Duration(total) * 10 * time.Millisecond
}

// cpu returns the CPU time a finished process used.
func (p *proc) cpu() time.Duration {
	select {
	case <-p.done:
		return p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
	default:
		return 0
	}
}

// ingestLogIn is the log file of a test's ingest processes in dir; its last
// lines are shown when the test fails.
func ingestLogIn(t *testing.T, dir string) string {
	logPath := filepath.Join(dir, "ingest.log")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ingest log (last lines):\n%s", logTail(logPath, 40))
		}
	})
	return logPath
}

// waitIngestDrained is waitDrained for the ingest consumer, failing the
// wait if the ingest process ing exits first.
func waitIngestDrained(t *testing.T, js jetstream.JetStream, ing *proc, until time.Time) time.Duration {
	t.Helper()
	return waitDrained(t, js, events.ConsumerIngest, until, func() error {
		if ing.exited() {
			return fmt.Errorf("ingest exited: %v", ing.err)
		}
		return nil
	})
}
