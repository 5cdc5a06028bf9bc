package reliability

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
	"econdip/services/test/reliability/faultkit"
	"econdip/services/test/stacktest"
)

// startUp starts the system in-process as `econdip up` does (stack.StartLocal:
// embedded NATS, the APIs, a private supervised ClickHouse, ingest and the
// dashboard), without demo data, on free ports in a folder of its own. The
// log goes to the returned file, shown in part when the test fails.
func startUp(t *testing.T) (*stack.Stack, string) {
	t.Helper()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "econdip.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		logFile.Close()
		if t.Failed() {
			t.Logf("econdip log (last lines):\n%s", faultkit.LogTail(logPath, 40))
		}
	})
	data := filepath.Join(dir, "data")
	s := stack.New(stack.Config{DataDir: data, NATSPort: -1, NATSReplicas: 1, CHDatabase: "econdip",
		LeadsAddr: "127.0.0.1:0", CommissionsAddr: "127.0.0.1:0", ExportsAddr: "127.0.0.1:0", SearchAddr: "127.0.0.1:0", DashboardAddr: "127.0.0.1:0",
		IngestAddr: "127.0.0.1:0", UsersFile: filepath.Join(data, "users.json"), BcryptCost: 4},
		obs.NewLogger(logFile, "json", "info"), reference.Default())
	// The services run until ctx ends, as under `econdip up` until Ctrl-C.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); s.Close() })
	if err := s.StartLocal(ctx); err != nil {
		t.Fatal(err)
	}
	return s, logPath
}

// TestPrivateClickHouseKilledComesBackAndIngestCatchesUp kills the private
// ClickHouse of a running `econdip up` with SIGKILL while events are
// written: econdip logs the exit and starts it again by itself, ingest
// catches up, and ClickHouse holds every event written, each once.
func TestPrivateClickHouseKilledComesBackAndIngestCatchesUp(t *testing.T) {
	const (
		n    = 30_000
		rate = 1_000 // events a second: the load runs about 30 s
	)
	until := faultkit.Deadline(t, 4*time.Minute)
	s, logPath := startUp(t)
	ctx := context.Background()
	js, err := jetstream.New(s.NC, jetstream.WithPublishAsyncMaxPending(2048), jetstream.WithPublishAsyncTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	g := faultkit.NewGenerator(20)
	pub := faultkit.NewPublisher(js, 1024)
	began := time.Now()
	loadDone := make(chan struct{})
	go func() { faultkit.RunLoad(ctx, g, pub, n, rate); pub.Close(); close(loadDone) }()

	// Kill in the middle of the load, once ingest has written a third of it.
	stacktest.Eventually(t, 60*time.Second, "events in ClickHouse before the kill", func() (bool, error) {
		if c := faultkit.CountEvents(t, faultkit.DB(s.CH)); c.Rows < n/3 {
			ci, err := faultkit.IngestConsumers(ctx, s.JS, events.ConsumerIngest)
			return false, fmt.Errorf("%d rows; %d events published; ingest consumers %+v (%v)", c.Rows, pub.Published(), ci, err)
		}
		return true, nil
	})
	pid := s.CHSrv.Pid()
	killedAt, publishedAtKill := time.Now(), pub.Published()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Back by itself, on the same address: the stack's connections answer.
	stacktest.Eventually(t, 30*time.Second, "ClickHouse started again", func() (bool, error) {
		if s.CHSrv.Restarts() < 1 {
			return false, fmt.Errorf("not restarted (pid %d)", s.CHSrv.Pid())
		}
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		err := s.CH.Ping(pctx)
		return err == nil, err
	})
	back := time.Since(killedAt)
	if s.CHSrv.Pid() == pid {
		t.Errorf("the server's pid is still %d after the restart", pid)
	}

	<-loadDone
	loaded := time.Since(began)
	drain := faultkit.MustWaitDrained(t, s.JS, events.ConsumerIngest, until, nil)
	if drain > 30*time.Second {
		t.Errorf("ingest caught up %s after the load ended: want seconds once ClickHouse is back", drain.Round(time.Millisecond))
	}
	res := faultkit.CheckExactlyOnce(t, faultkit.DB(s.CH), pub.Acked())
	faultkit.CheckStates(t, faultkit.DB(s.CH), g.Totals())

	// The exit and the outage are logged once each, with the pid and signal.
	log := faultkit.ReadFile(t, logPath)
	exits := strings.Count(log, "clickhouse exited on its own")
	if exits != 1 || !strings.Contains(log, fmt.Sprintf(`"pid":%d`, pid)) || !strings.Contains(log, "signal: killed") {
		t.Errorf("ClickHouse's exit logged %d times (want once, with pid %d and the signal)", exits, pid)
	}
	outages, recoveries := strings.Count(log, "insert into clickhouse failed"), strings.Count(log, "inserts into clickhouse work again")
	if streams := len(events.IngestStreams()); outages > streams || recoveries != outages {
		t.Errorf("ingest logged %d outages and %d recoveries: want at most one of each per stream", outages, recoveries)
	}
	t.Logf("%d events at %d/s in %.1fs; SIGKILL of ClickHouse (pid %d) at %d published; answering again %s later; ingest logged %d outages; drained %s after the load",
		len(pub.Acked()), rate, loaded.Seconds(), pid, publishedAtKill, back.Round(time.Millisecond), outages, drain.Round(time.Millisecond))
	t.Logf("events table: count() %d, uniqExact(event_id) %d, count() FINAL %d", res.Rows, res.Unique, res.Final)
}

// TestReadinessAnswersWithinASecondWhileClickHouseIsStopped stops the
// private ClickHouse with SIGSTOP: it neither answers nor refuses. Ingest's
// and the dashboard's /readyz answer 503 within 1 s; the APIs, which do not
// need ClickHouse, answer 200 within 1 s. After SIGCONT all are ready again.
func TestReadinessAnswersWithinASecondWhileClickHouseIsStopped(t *testing.T) {
	s, _ := startUp(t)
	type service struct {
		name, addr string
		needsCH    bool
	}
	services := []service{{"ingest", s.IngestAddr, true}, {"dashboard", s.DashboardAddr, true},
		{"leads", s.LeadsAddr, false}, {"commissions", s.CommissionsAddr, false}, {"exports", s.ExportsAddr, false}}
	// A probe as an orchestrator makes it: no answer within 1 s is a failure.
	client := &http.Client{Timeout: time.Second}
	probe := func(sv service) (int, time.Duration, error) {
		start := time.Now()
		resp, err := client.Get("http://" + sv.addr + "/readyz")
		took := time.Since(start)
		if err != nil {
			return 0, took, err
		}
		resp.Body.Close()
		return resp.StatusCode, took, nil
	}
	for _, sv := range services {
		if status, _, err := probe(sv); err != nil || status != http.StatusOK {
			t.Fatalf("%s before the stop: %d %v", sv.name, status, err)
		}
	}

	pid := s.CHSrv.Pid()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) }) // before the stack's Close
	// A signal is delivered, not obeyed, when kill returns: wait until every
	// thread of the server is stopped, or a pong may still leave.
	stacktest.Eventually(t, 10*time.Second, "ClickHouse stopped", func() (bool, error) {
		stats, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
		for _, st := range stats {
			raw, err := os.ReadFile(st)
			if end := strings.LastIndexByte(string(raw), ')'); err == nil && end > 0 && !strings.HasPrefix(string(raw[end:]), ") T") {
				return false, fmt.Errorf("thread %s is in state %.3s", st, raw[end+1:])
			}
		}
		return len(stats) > 0, nil
	})
	var slowest time.Duration
	for round := range 3 {
		for _, sv := range services {
			status, took, err := probe(sv)
			slowest = max(slowest, took)
			want := http.StatusOK
			if sv.needsCH {
				want = http.StatusServiceUnavailable
			}
			if err != nil || status != want || took >= time.Second {
				t.Errorf("probe %d of %s with ClickHouse stopped: %d in %s (%v), want %d within 1 s", round+1, sv.name, status, took.Round(time.Millisecond), err, want)
			}
		}
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	for _, sv := range services {
		stacktest.Eventually(t, 30*time.Second, sv.name+" ready after SIGCONT", func() (bool, error) {
			if status, took, err := probe(sv); err != nil || status != http.StatusOK {
				return false, fmt.Errorf("%d in %s (%v)", status, took, err)
			}
			return true, nil
		})
	}
	if s.CHSrv.Restarts() != 0 {
		t.Errorf("a stopped server was started again (%d restarts): SIGSTOP is not an exit", s.CHSrv.Restarts())
	}
	t.Logf("with ClickHouse stopped, the slowest of %d readiness probes answered in %s", 3*len(services), slowest.Round(time.Millisecond))
}
