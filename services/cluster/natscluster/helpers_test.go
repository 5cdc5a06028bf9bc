package natscluster

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
	"econdip/services/platform/natsx/natstest"
)

func TestMain(m *testing.M) {
	natstest.RunNode() // when started as a node of a cluster of processes
	code := chtest.Run(m, "econdip_test_natscluster")
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
		buildDir, buildErr = os.MkdirTemp("", "econdip-natscluster-bin-")
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

// econdipEnv is the configuration of an econdip process against the test's
// NATS (one URL or several, comma-separated) and ClickHouse database: this
// process's environment without any ECONDIP_ variable, plus those.
func econdipEnv(natsURLs, database, dataDir string, kv ...string) []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "ECONDIP_") {
			env = append(env, e)
		}
	}
	return append(append(env,
		"ECONDIP_NATS_URL="+natsURLs,
		"ECONDIP_CLICKHOUSE_ADDR="+chtest.Addr(),
		"ECONDIP_CLICKHOUSE_DATABASE="+database,
		"ECONDIP_DATA_DIR="+dataDir,
		"ECONDIP_LOG_LEVEL=info",
	), kv...)
}

// migrate runs `econdip migrate`, the administrators' setup: with
// ECONDIP_NATS_URL it creates the streams and key-value buckets (with
// ECONDIP_NATS_REPLICAS replicas), then the ClickHouse tables.
func migrate(tb testing.TB, env []string, logPath string) {
	tb.Helper()
	cmd := exec.Command(econdipBinary(tb), "migrate")
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(logPath, out, 0o644)
	if err != nil {
		tb.Fatalf("econdip migrate: %v\n%s", err, out)
	}
}

// proc is an econdip child process of the test.
type proc struct {
	name, logPath string
	cmd           *exec.Cmd
	done          chan struct{}
	err           error
}

// startProc runs the binary with args, its output going to logPath.
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
	p := &proc{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	tb.Cleanup(p.kill)
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("%s log (last lines):\n%s", name, logTail(logPath, 30))
		}
	})
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

// alive returns an error with the log's tail when the process has exited.
func (p *proc) alive() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited: %v\n%s", p.name, p.err, logTail(p.logPath, 30))
	default:
		return nil
	}
}

var listenAddr = regexp.MustCompile(`ingest health and metrics listening.* addr=(\S+)`)

// metricsURL waits for the ingest process to log the address it serves
// /metrics on (ECONDIP_INGEST_ADDR=127.0.0.1:0) and returns the URL.
func (p *proc) metricsURL(tb testing.TB, until time.Time) string {
	tb.Helper()
	for {
		raw, _ := os.ReadFile(p.logPath)
		if m := listenAddr.FindSubmatch(raw); m != nil {
			return "http://" + string(m[1]) + "/metrics"
		}
		if err := p.alive(); err != nil {
			tb.Fatal(err)
		}
		if time.Now().After(until) {
			tb.Fatalf("%s did not serve its metrics in time\n%s", p.name, logTail(p.logPath, 30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ingested reads econdip_events_ingested_total, summed over the streams,
// from an ingest process's /metrics.
func ingested(url string) (int64, error) {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	var total int64
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 8<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "econdip_events_ingested_total{") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %q: %w", url, line, err)
		}
		total += int64(v)
	}
	return total, sc.Err()
}

// newDatabase creates a database of its own for a test on the package's
// ClickHouse and returns a connection to it (econdip migrate makes the tables).
func newDatabase(tb testing.TB, name string) (string, driver.Conn) {
	tb.Helper()
	db := chtest.Database() + "_" + name
	ctx := context.Background()
	admin := analytics.Config{Addr: chtest.Addr(), Database: "default", Username: "default"}
	boot, err := analytics.Open(ctx, admin)
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
		if boot, err := analytics.Open(ctx, admin); err == nil {
			_ = boot.Exec(ctx, "DROP DATABASE IF EXISTS "+db)
			boot.Close()
		}
	})
	return db, conn
}

// consumerTotals sums, over the ingest streams, what the durable ingest
// consumer has left and what it has delivered.
type consumerTotals struct {
	pending    uint64 // not delivered yet
	ackPending uint64 // delivered, not acknowledged
	// deliveries counts every delivery, redeliveries included (the consumer
	// sequence); streamSeq the messages delivered at least once (the stream
	// sequence reached: every stream starts at 1 and loses nothing). Their
	// difference is the number of redeliveries.
	deliveries, streamSeq uint64
}

func ingestConsumers(ctx context.Context, js jetstream.JetStream) (consumerTotals, error) {
	var t consumerTotals
	for _, st := range events.IngestStreams() {
		c, err := js.Consumer(ctx, st.Name, events.ConsumerIngest)
		if err != nil {
			return t, fmt.Errorf("consumer %s on %s: %w", events.ConsumerIngest, st.Name, err)
		}
		info, err := c.Info(ctx)
		if err != nil {
			return t, fmt.Errorf("consumer %s on %s: %w", events.ConsumerIngest, st.Name, err)
		}
		t.pending += info.NumPending
		t.ackPending += uint64(info.NumAckPending)
		t.deliveries += info.Delivered.Consumer
		t.streamSeq += info.Delivered.Stream
	}
	return t, nil
}

// waitDrained waits until the ingest consumers have acknowledged everything
// and returns their final totals, or an error once until has passed.
func waitDrained(js jetstream.JetStream, until time.Time, alive func() error) (consumerTotals, error) {
	var last consumerTotals
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := ingestConsumers(ctx, js)
		cancel()
		if err == nil && c.pending == 0 && c.ackPending == 0 {
			return c, nil
		}
		if err == nil {
			last = c
		}
		lastErr = err
		if alive != nil {
			if err := alive(); err != nil {
				return last, err
			}
		}
		if time.Now().After(until) {
			return last, fmt.Errorf("ingest did not drain in time: %d messages not delivered, %d not acknowledged (last error: %v)", last.pending, last.ackPending, lastErr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// counts is what the events table holds.
type counts struct {
	rows, unique, final uint64 // count(), uniqExact(event_id), count() FINAL
}

func eventCounts(t *testing.T, conn driver.Conn) counts {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var c counts
	if err := conn.QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM events").Scan(&c.rows, &c.unique); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT count() FROM events FINAL").Scan(&c.final); err != nil {
		t.Fatal(err)
	}
	return c
}

// checkExactlyOnce compares ClickHouse with the events JetStream
// acknowledged: the events table holds exactly their ids (none missing, none
// more), once each read with FINAL, and no figure table read with FINAL holds
// an event id twice. Raw rows may exceed the ids: a redelivered batch,
// collapsed by ReplacingMergeTree.
func checkExactlyOnce(t *testing.T, conn driver.Conn, acks []ack) counts {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	want := make([]uuid.UUID, 0, len(acks))
	seen := make(map[uuid.UUID]bool, len(acks))
	for _, a := range acks {
		if seen[a.id] {
			t.Errorf("event %s acknowledged twice", a.id)
			continue
		}
		seen[a.id] = true
		want = append(want, a.id)
	}
	res := eventCounts(t, conn)
	if res.unique != uint64(len(want)) || res.final != res.unique {
		t.Errorf("events: %d rows, %d distinct ids, %d rows with FINAL; JetStream acknowledged %d events", res.rows, res.unique, res.final, len(want))
	}
	rows, err := conn.Query(ctx, "SELECT DISTINCT event_id FROM events")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]uuid.UUID, 0, len(want))
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
	for _, table := range []string{"lead_states", "lead_stage_history", "deal_states"} {
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

// checkStates checks projections against what the generator made: one row
// per lead and deal at its last version, a stage-history row per lead event.
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

// logTail returns the last n lines of a child's log.
func logTail(path string, n int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// testEnvInt reads a whole number from the environment, for runs by hand.
func testEnvInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// deadline is now+limit, or earlier to leave the test's -timeout a margin.
func deadline(t *testing.T, limit time.Duration) time.Time {
	end := time.Now().Add(limit)
	if d, ok := t.Deadline(); ok && d.Add(-30*time.Second).Before(end) {
		end = d.Add(-30 * time.Second)
	}
	return end
}
