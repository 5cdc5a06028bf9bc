package natscluster

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/analytics/chtest"
	"econdip/services/platform/natsx"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
	"econdip/services/test/reliability/faultkit"
)

func TestMain(m *testing.M) {
	natstest.RunNode() // when started as a node of a cluster of processes
	code := chtest.Run(m, "econdip_test_natscluster")
	faultkit.RemoveBinary()
	os.Exit(code)
}

// connect connects the test's publisher to the cluster and checks that
// every stream and bucket migrate made has the replicas asked for.
func connect(t *testing.T, ctx context.Context, cl *natstest.Cluster, replicas int) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, _, err := natsx.Connect(ctx, cl.URLs(), "natscluster-test", obs.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096), jetstream.WithPublishAsyncTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	checkReplicas(t, ctx, js, replicas)
	return nc, js
}

// econdipEnv is the configuration of an econdip process against the test's
// NATS (one URL or several, comma-separated) and ClickHouse database, plus kv.
func econdipEnv(natsURLs, database, dataDir string, kv ...string) []string {
	return faultkit.Env(natsURLs, chtest.Addr(), database, dataDir, kv...)
}

// startProc is faultkit.StartProc that shows the end of the process's log
// when the test fails.
func startProc(tb testing.TB, name, logPath string, env []string, args ...string) *faultkit.Proc {
	tb.Helper()
	p := faultkit.StartProc(tb, name, logPath, env, args...)
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("%s log (last lines):\n%s", name, faultkit.LogTail(logPath, 30))
		}
	})
	return p
}

var listenAddr = regexp.MustCompile(`ingest health and metrics listening.* addr=(\S+)`)

// metricsURL waits for the ingest process p to log the address it serves
// /metrics on (ECONDIP_INGEST_ADDR=127.0.0.1:0) and returns the URL.
func metricsURL(tb testing.TB, p *faultkit.Proc, until time.Time) string {
	tb.Helper()
	for {
		raw, _ := os.ReadFile(p.LogPath())
		if m := listenAddr.FindSubmatch(raw); m != nil {
			return "http://" + string(m[1]) + "/metrics"
		}
		if err := p.Alive(); err != nil {
			tb.Fatal(err)
		}
		if time.Now().After(until) {
			tb.Fatalf("%s did not serve its metrics in time\n%s", p.Name(), faultkit.LogTail(p.LogPath(), 30))
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
