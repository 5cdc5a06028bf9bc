package bench_test

// Memory under full load, read from /proc/<pid>/status (VmHWM, the peak
// resident set) of real processes:
//
//   - ingest-process: `econdip ingest` as its own process draining a
//     backlog of ECONDIP_BENCH_EVENTS events from JetStream into ClickHouse
//     as fast as it can; baseline: the same command idle, in the same run.
//   - up-system: `econdip up` (every service, embedded NATS, its private
//     ClickHouse) while `econdip load --via api` writes at
//     ECONDIP_BENCH_RATE events/s for ECONDIP_BENCH_DURATION; baseline: the
//     same system idle before the load.
//
//	ECONDIP_BENCH_EVENTS=200000 ECONDIP_BENCH_RATE=2000 ECONDIP_BENCH_DURATION=60s go test -run '^$' -bench Memory -benchtime 1x -timeout 30m ./services/test/bench/

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"econdip/analytics"
	"econdip/analytics/chtest"
	"econdip/events"
	"econdip/services/platform/freeport"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
	"econdip/services/test/bench"
	"econdip/services/tools/loadgen"
)

const mb = 1 << 20

func freePort(b *testing.B) int {
	ports, err := freeport.Loopback(1)
	if err != nil {
		b.Fatal(err)
	}
	return ports[0]
}

// process is a started econdip command.
type process struct {
	cmd  *exec.Cmd
	done chan error
	log  string // the file its output goes to
}

// start runs bin with args and env (on top of this process's), its output
// to a file in the test's temp dir.
func start(b *testing.B, bin string, env []string, args ...string) *process {
	b.Helper()
	return startLogging(b, b.TempDir(), bin, env, args...)
}

// startLogging is start with the output to a file in logDir.
func startLogging(b *testing.B, logDir, bin string, env []string, args ...string) *process {
	b.Helper()
	out, err := os.CreateTemp(logDir, "econdip-*.log")
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan error, 1), log: out.Name()}
	go func() { p.done <- cmd.Wait(); out.Close() }()
	b.Cleanup(func() { p.stop(b) })
	return p
}

// stop ends the process with SIGTERM (its graceful shutdown), then SIGKILL after a minute.
func (p *process) stop(b *testing.B) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		b.Errorf("%s did not stop in a minute: killed", p.cmd.Path)
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// waitReady polls url until it answers 200.
func waitReady(b *testing.B, url string, p *process) {
	b.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			b.Fatalf("%s exited: %v", p.cmd.Path, err)
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Fatalf("%s not ready after 2 minutes", url)
}

func memOf(b *testing.B, pid int) bench.Memory {
	m, err := bench.MemoryOf(pid)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func BenchmarkMemory(b *testing.B) {
	fmt.Fprintf(os.Stderr, "machine: %s\n", bench.Machine())
	bin := buildEcondip(b)
	b.Run("ingest-process", func(b *testing.B) {
		for range b.N {
			ingestMemory(b, bin)
		}
	})
	b.Run("up-system", func(b *testing.B) {
		for range b.N {
			upMemory(b, bin)
		}
	})
}

func ingestMemory(b *testing.B, bin string) {
	ctx := context.Background()
	ns := natstest.Start(b)
	db := fmt.Sprintf("%s_mem_%d", chtest.Database(), dbSeq.Add(1))
	boot, err := analytics.Open(ctx, analytics.Config{Addr: chtest.Addr(), Database: "default", Username: "default"})
	must(b, err)
	must(b, analytics.CreateDatabase(ctx, boot, db))
	boot.Close()
	conn, err := analytics.Open(ctx, analytics.Config{Addr: chtest.Addr(), Database: db, Username: "default"})
	must(b, err)
	defer conn.Close()
	// `econdip ingest` runs as the ingest role: the administrators' setup
	// (econdip migrate) has made the tables.
	must(b, analytics.Migrate(ctx, conn, obs.Discard()))
	env := []string{"ECONDIP_NATS_URL=" + ns.ClientURL(), "ECONDIP_CLICKHOUSE_ADDR=" + chtest.Addr(), "ECONDIP_CLICKHOUSE_DATABASE=" + db,
		"ECONDIP_CLICKHOUSE_USER=default", "ECONDIP_DATA_DIR=" + b.TempDir(), "ECONDIP_LOG_LEVEL=warn"}
	run := func() (*process, string) {
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(b))
		p := start(b, bin, append(env, "ECONDIP_INGEST_ADDR="+addr), "ingest")
		waitReady(b, "http://"+addr+"/readyz", p)
		return p, addr
	}

	// Baseline: ingest idle on empty streams.
	p, _ := run()
	time.Sleep(2 * time.Second)
	idle := memOf(b, p.cmd.Process.Pid)
	p.stop(b)

	// The backlog, then a new ingest process drains it as fast as it can.
	fill, err := loadgen.Run(ctx, loadgen.NewNATSDriver(ns.JS), reference.Default(), loadgen.Options{Seed: 21, Events: envInt("ECONDIP_BENCH_EVENTS", 200_000), Concurrency: 64})
	must(b, err)
	total := uint64(fill.Events + fill.SetupEvents)
	p, _ = run()
	t0 := time.Now()
	var peakRSS uint64
	for {
		var n uint64
		must(b, conn.QueryRow(ctx, "SELECT count() FROM events").Scan(&n))
		peakRSS = max(peakRSS, memOf(b, p.cmd.Process.Pid).RSS)
		if n >= total {
			break
		}
		select {
		case err := <-p.done:
			b.Fatalf("ingest exited: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	d := time.Since(t0)
	full := memOf(b, p.cmd.Process.Pid)
	cpu, _ := bench.CPUTime(p.cmd.Process.Pid)
	p.stop(b)
	b.ReportMetric(float64(total)/d.Seconds(), "events/s")
	b.ReportMetric(float64(idle.Peak)/mb, "idle-peak-MB")
	b.ReportMetric(float64(full.Peak)/mb, "peak-MB")
	b.ReportMetric(float64(full.Peak)/float64(idle.Peak), "x-idle")
	b.ReportMetric(float64(full.Peak)/(200*mb), "x-goal-200MB")
	b.ReportMetric(cpu.Seconds()/d.Seconds(), "cores")
	fmt.Fprintf(os.Stderr, "ingest process: %d events in %s; peak %.0f MB (largest RSS sampled %.0f MB), idle %.0f MB; load average %s\n",
		total, d.Round(time.Millisecond), float64(full.Peak)/mb, float64(peakRSS)/mb, float64(idle.Peak)/mb, bench.LoadAverage())
}

// loadLine is the load command's summary of events.
var loadLine = regexp.MustCompile(`events:\s+(\d+) in ([0-9.]+) s: (\d+) events/s`)

func upMemory(b *testing.B, bin string) {
	dir := b.TempDir()
	port := func() string { return strconv.Itoa(freePort(b)) }
	leads, dash, ingest, chPort := "127.0.0.1:"+port(), "127.0.0.1:"+port(), "127.0.0.1:"+port(), freePort(b)
	env := []string{"ECONDIP_DATA_DIR=" + dir, "ECONDIP_LEADS_ADDR=" + leads, "ECONDIP_COMMISSIONS_ADDR=127.0.0.1:" + port(),
		"ECONDIP_EXPORTS_ADDR=127.0.0.1:" + port(), "ECONDIP_DASHBOARD_ADDR=" + dash, "ECONDIP_INGEST_ADDR=" + ingest,
		"ECONDIP_NATS_PORT=" + port(), "ECONDIP_CLICKHOUSE_PORT=" + strconv.Itoa(chPort), "ECONDIP_CLICKHOUSE_HTTP_PORT=" + port(),
		"ECONDIP_DEMO=false", "ECONDIP_BCRYPT_COST=4", "ECONDIP_LOG_LEVEL=warn",
		fmt.Sprintf("ECONDIP_WRITES_PER_MINUTE=%d", benchWritesPerMinute)}
	up := start(b, bin, env, "up")
	waitReady(b, "http://"+dash+"/readyz", up)
	waitReady(b, "http://"+ingest+"/readyz", up)
	waitReady(b, "http://"+leads+"/readyz", up)
	chPID, err := bench.PIDListening(chPort)
	must(b, err)
	time.Sleep(2 * time.Second)
	idleUp, idleCH := memOf(b, up.cmd.Process.Pid), memOf(b, chPID)

	rate, d := envInt("ECONDIP_BENCH_RATE", 2000), envDuration("ECONDIP_BENCH_DURATION", 60*time.Second)
	load := exec.Command(bin, "load", "--via", "api", "--rate", fmt.Sprintf("%d/s", rate), "--duration", d.String(), "--concurrency", "128", "--seed", "31")
	load.Env = append(os.Environ(), env...)
	out, err := load.StdoutPipe()
	must(b, err)
	load.Stderr = io.Discard
	must(b, load.Start())
	var summary []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		summary = append(summary, sc.Text())
	}
	if err := load.Wait(); err != nil {
		b.Fatalf("econdip load: %v\n%s", err, strings.Join(summary, "\n"))
	}
	// Let ingest drain what the load left in flight, then read the peaks.
	waitCaughtUp(b, "http://"+ingest+"/metrics")
	fullUp, fullCH := memOf(b, up.cmd.Process.Pid), memOf(b, chPID)
	up.stop(b)
	achieved := 0.0
	if m := loadLine.FindStringSubmatch(strings.Join(summary, "\n")); m != nil {
		achieved, _ = strconv.ParseFloat(m[3], 64)
	}
	b.ReportMetric(achieved, "events/s")
	b.ReportMetric(float64(fullUp.Peak)/mb, "econdip-peak-MB")
	b.ReportMetric(float64(fullCH.Peak)/mb, "clickhouse-peak-MB")
	b.ReportMetric(float64(fullUp.Peak+fullCH.Peak)/mb, "system-peak-MB")
	b.ReportMetric(float64(idleUp.Peak+idleCH.Peak)/mb, "idle-MB")
	b.ReportMetric(float64(idleUp.RSS+idleCH.RSS)/mb, "idle-rss-MB")
	b.ReportMetric(float64(fullUp.Peak+fullCH.Peak)/float64(idleUp.Peak+idleCH.Peak), "x-idle")
	fmt.Fprintf(os.Stderr, "econdip up under load (%d events/s asked for %s):\n  %s\n  econdip peak %.0f MB (idle: peak %.0f, resident %.0f), clickhouse peak %.0f MB (idle: peak %.0f, resident %.0f); load average %s\n",
		rate, d, strings.Join(summary, "\n  "), float64(fullUp.Peak)/mb, float64(idleUp.Peak)/mb, float64(idleUp.RSS)/mb,
		float64(fullCH.Peak)/mb, float64(idleCH.Peak)/mb, float64(idleCH.RSS)/mb, bench.LoadAverage())
}

// waitCaughtUp polls ingest's metrics until every stream's consumer lag is 0.
func waitCaughtUp(b *testing.B, url string) {
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			lagging := false
			for _, st := range events.IngestStreams() {
				if !strings.Contains(string(raw), `econdip_ingest_consumer_lag_messages{stream="`+st.Name+`"} 0`) {
					lagging = true
				}
			}
			if !lagging {
				return
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	b.Fatal("ingest did not catch up in 5 minutes")
}
