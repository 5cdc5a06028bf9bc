package bench_test

// Restart time and deep pages (issue 20), on real `econdip up` processes
// (embedded NATS, every service, the private ClickHouse they start), one
// system per size, each in its own data folder: ECONDIP_BENCH_BASE_LEADS
// leads (the baseline, 10,000) and ECONDIP_BENCH_LEADS (1,000,000).
//
//   - restart: each system's leads are written through the NATS path (each
//     lead's creation and stage moves, loadgen's lead stories, published
//     asynchronously); once ingest and the leads' read model have them all,
//     `econdip up` is SIGKILLed and started again on the same data folder,
//     ECONDIP_BENCH_RESTARTS times (5), the sizes' restarts alternating.
//     Timed: from the start command to an analyst's GET
//     /api/v1/leads?limit=1 answering 200 from the new process with every
//     lead counted (the data survived); then VmRSS and VmHWM of `econdip up`
//     once every service is ready, and where the time went from its log.
//   - deep pages: an analyst's filtered lists, limit 500: the first page
//     (the baseline) against the last page reached by following
//     next_cursor, the deepest full page, and the last page by offset, each
//     asked ECONDIP_BENCH_REPEAT times (30).
//
//	ECONDIP_BENCH_LEADS=1000000 go test -run '^$' -bench Restart -benchtime 1x -timeout 300m ./services/test/bench/
//
// ECONDIP_BENCH_KEEP=<folder> keeps each system's data folder and logs there.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/leads/httpapi"
	"econdip/services/platform/freeport"
	"econdip/services/platform/natsx"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
	"econdip/services/test/bench"
	"econdip/services/test/reliability/faultkit"
	"econdip/services/tools/loadgen"
)

func BenchmarkRestart(b *testing.B) {
	fmt.Fprintf(os.Stderr, "machine: %s\n", bench.Machine())
	bin := buildEcondip(b)
	sizes := []int{envInt("ECONDIP_BENCH_BASE_LEADS", 10_000), envInt("ECONDIP_BENCH_LEADS", 1_000_000)}
	restarts, repeat := envInt("ECONDIP_BENCH_RESTARTS", 5), envInt("ECONDIP_BENCH_REPEAT", 30)
	for range b.N {
		systems := make([]*upSystem, len(sizes))
		for i, n := range sizes {
			systems[i] = newUpSystem(b, bin, n)
			systems[i].fill()
		}
		// The sizes' restarts alternate, so that both meet the same load
		// of the (shared) machine.
		for r := 1; r <= restarts; r++ {
			for _, s := range systems {
				s.restart(r)
			}
		}
		for _, s := range systems {
			s.report()
		}
		base, big := systems[0], systems[len(systems)-1]
		fmt.Fprintf(os.Stderr, "\n%d against %d leads: restart median %.2f× (%s s against %s s), max %.2f× (%s s against %s s); RSS %.2f×, peak %.2f× (goal: ≤ 1.5× and < 5 s)\n",
			big.n, base.n, big.median().Seconds()/base.median().Seconds(), secs(big.median()), secs(base.median()),
			big.max().Seconds()/base.max().Seconds(), secs(big.max()), secs(base.max()),
			float64(big.rss())/float64(base.rss()), float64(big.hwm())/float64(base.hwm()))
		b.ReportMetric(base.median().Seconds(), "base-restart-median-s")
		b.ReportMetric(big.median().Seconds(), "restart-median-s")
		b.ReportMetric(big.max().Seconds(), "restart-max-s")
		b.ReportMetric(big.median().Seconds()/base.median().Seconds(), "x-baseline")
		b.ReportMetric(float64(base.rss())/mb, "base-rss-MB")
		b.ReportMetric(float64(big.rss())/mb, "rss-MB")
		b.ReportMetric(float64(big.hwm())/mb, "peak-MB")
		var deep pageTimes
		for _, s := range systems {
			deep = deepPages(s, repeat)
		}
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		b.ReportMetric(ms(deep.first50), "first-page-p50-ms")
		b.ReportMetric(ms(deep.first95), "first-page-p95-ms")
		if deep.last50 > 0 {
			b.ReportMetric(ms(deep.last50), "last-page-p50-ms")
			b.ReportMetric(ms(deep.last95), "last-page-p95-ms")
			b.ReportMetric(deep.last50.Seconds()/deep.first50.Seconds(), "last-x-first")
			b.ReportMetric(ms(deep.offset50), "offset-last-p50-ms")
		}
		if deep.full50 > 0 {
			b.ReportMetric(ms(deep.full50), "deep-full-page-p50-ms")
		}
		for _, s := range systems {
			s.proc.stop(b)
		}
	}
}

// upSystem is an `econdip up` of the benchmark: its data folder, addresses
// and the process running now.
type upSystem struct {
	b                                           *testing.B
	bin, dir, logDir                            string
	env                                         []string
	leads, ingest, dash, commsAddr, exportsAddr string // host:port
	natsPort, chPort                            int
	proc                                        *process
	analyst                                     string // token
	client                                      *http.Client
	started                                     time.Time // the last start command

	n, stored    int // leads and their events written
	times        []time.Duration
	rssOf, hwmOf []uint64
	rows         []string // the restarts' lines of the report
}

func newUpSystem(b *testing.B, bin string, n int) *upSystem {
	p, err := freeport.Loopback(8)
	must(b, err)
	addr := func(i int) string { return "127.0.0.1:" + strconv.Itoa(p[i]) }
	dir, logDir := b.TempDir(), b.TempDir()
	if keep := os.Getenv("ECONDIP_BENCH_KEEP"); keep != "" {
		// Kept for a look afterwards: the data folder and its processes' logs.
		var err error
		dir, err = os.MkdirTemp(keep, fmt.Sprintf("leads-%d-", n))
		must(b, err)
		logDir = dir + ".logs"
		must(b, os.Mkdir(logDir, 0o755))
	}
	s := &upSystem{b: b, bin: bin, n: n, dir: dir, logDir: logDir, leads: addr(0), dash: addr(1), ingest: addr(2),
		commsAddr: addr(3), exportsAddr: addr(4), natsPort: p[5], chPort: p[6],
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}}
	s.env = []string{"ECONDIP_DATA_DIR=" + s.dir, "ECONDIP_LEADS_ADDR=" + s.leads, "ECONDIP_COMMISSIONS_ADDR=" + s.commsAddr,
		"ECONDIP_EXPORTS_ADDR=" + s.exportsAddr, "ECONDIP_DASHBOARD_ADDR=" + s.dash, "ECONDIP_INGEST_ADDR=" + s.ingest,
		"ECONDIP_NATS_PORT=" + strconv.Itoa(s.natsPort), "ECONDIP_CLICKHOUSE_PORT=" + strconv.Itoa(s.chPort),
		"ECONDIP_CLICKHOUSE_HTTP_PORT=" + strconv.Itoa(p[7]), "ECONDIP_DEMO=false",
		"ECONDIP_LOG_FORMAT=json", "ECONDIP_LOG_LEVEL=info"}
	return s
}

// start runs `econdip up`, with env on top of the system's, and notes when.
func (s *upSystem) start(env ...string) {
	s.started = time.Now()
	s.proc = startLogging(s.b, s.logDir, s.bin, append(slices.Clone(s.env), env...), "up")
}

// fail ends the benchmark with the tail of the running process's log.
func (s *upSystem) fail(format string, args ...any) {
	s.b.Helper()
	s.b.Fatalf(format+"\nlog of econdip up (%s):\n%s", append(args, s.proc.log, faultkit.LogTail(s.proc.log, 40))...)
}

// get asks the leads API as the analyst; the answer is decoded when 200.
func (s *upSystem) get(query string) (int, httpapi.ListJSON, time.Duration, error) {
	req, err := http.NewRequest(http.MethodGet, "http://"+s.leads+"/api/v1/leads?"+query, nil)
	if err != nil {
		return 0, httpapi.ListJSON{}, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+s.analyst)
	t0 := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, httpapi.ListJSON{}, 0, err
	}
	defer resp.Body.Close()
	var out httpapi.ListJSON
	if resp.StatusCode == http.StatusOK {
		err = json.NewDecoder(resp.Body).Decode(&out)
	}
	return resp.StatusCode, out, time.Since(t0), err
}

// waitList polls the analyst's first page until it answers 200, and
// returns the time since the start command and the answer.
func (s *upSystem) waitList(within time.Duration) (time.Duration, httpapi.ListJSON) {
	deadline := time.Now().Add(within)
	for {
		code, page, _, err := s.get("limit=1")
		if code == http.StatusOK && err == nil {
			return time.Since(s.started), page
		}
		select {
		case err := <-s.proc.done:
			s.proc.done <- err
			s.fail("econdip up exited while the leads list was awaited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			s.fail("the leads list did not answer 200 within %s of the start (last: %d, %v)", within, code, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ready polls url until it answers 200 and returns the time since the start command.
func (s *upSystem) ready(url string, within time.Duration) time.Duration {
	deadline := time.Now().Add(within)
	for {
		if resp, err := s.client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(s.started)
			}
		}
		if time.Now().After(deadline) {
			s.fail("%s did not answer 200 within %s of the start", url, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readyAll waits for every service's /readyz, for the memory reading.
func (s *upSystem) readyAll(within time.Duration) time.Duration {
	var last time.Duration
	for _, a := range []string{s.leads, s.ingest, s.dash, s.commsAddr, s.exportsAddr} {
		last = max(last, s.ready("http://"+a+"/readyz", within))
	}
	return last
}

// kill SIGKILLs `econdip up` and waits until its private ClickHouse, which
// the kernel sends SIGTERM (Pdeathsig), has exited too: a server still
// running on the data folder makes the next start refuse. It returns how
// long ClickHouse took to go, and whether it had to be killed as well.
func (s *upSystem) kill(within time.Duration) (time.Duration, bool) {
	chPID, err := bench.PIDListening(s.chPort)
	if err != nil {
		s.fail("no ClickHouse on port %d before the kill: %v", s.chPort, err)
	}
	_ = s.proc.cmd.Process.Signal(syscall.SIGKILL)
	<-s.proc.done
	s.proc.done <- nil
	t0 := time.Now()
	for bench.Running(chPID) {
		if time.Since(t0) > within {
			_ = syscall.Kill(chPID, syscall.SIGKILL)
			for bench.Running(chPID) {
				time.Sleep(10 * time.Millisecond)
			}
			return time.Since(t0), true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(t0), false
}

// jetStream connects to the system's NATS as the administrators' tool.
func (s *upSystem) jetStream(ctx context.Context) jetstream.JetStream {
	sec := stack.LocalSecrets{Dir: filepath.Join(s.dir, stack.SecretsDir)}
	pw, err := os.ReadFile(sec.NATSFile(natsx.ServiceAdminTool))
	must(s.b, err)
	creds := natsx.Credentials{User: natsx.ServiceAdminTool, Password: strings.TrimRight(string(pw), "\r\n"),
		InboxPrefix: natsx.InboxPrefix(natsx.ServiceAdminTool)}
	nc, js, err := natsx.Connect(ctx, fmt.Sprintf("nats://127.0.0.1:%d", s.natsPort), "econdip-bench-restart", obs.Discard(), creds.Options()...)
	must(s.b, err)
	s.b.Cleanup(nc.Close)
	return js
}

// leadChunk is how many leads are published wave by wave: the first event
// of each, then (once all are acknowledged) the second, and so on, so that
// a lead's events are stored in order although they are sent without
// waiting.
const leadChunk = 10_000

// fillLeads publishes n lead stories of loadgen's seed 20 (creation and
// stage moves) with faultkit's asynchronous publisher (events.PublishAsync,
// the event id as message id, sent again until acknowledged), and returns
// the events stored.
func fillLeads(b *testing.B, js jetstream.JetStream, n int) int {
	gen := loadgen.NewGenerator(20, reference.Default())
	stored, t0, shown := 0, time.Now(), time.Now()
	for done := 0; done < n; {
		chunk := make([]*loadgen.LeadEvents, min(leadChunk, n-done))
		for i := range chunk {
			le, err := loadgen.NewLeadEvents(gen.NextLead())
			must(b, err)
			chunk[i] = le
		}
		for { // a wave
			pub := faultkit.NewPublisherUntil(js, 4096, time.Now().Add(2*time.Minute))
			sent := 0
			for _, le := range chunk {
				if !le.More() {
					continue
				}
				env, err := le.Next(time.Now().UTC().Truncate(time.Millisecond))
				must(b, err)
				pub.Publish(le.Subject, env)
				sent++
			}
			pub.Close()
			if pub.Abandoned() > 0 {
				b.Fatalf("fill: %d events never acknowledged: %v", pub.Abandoned(), pub.Err())
			}
			if dups := pub.Duplicates(); dups > 0 {
				b.Logf("fill: %d events acknowledged as duplicates (sent again after a lost ack)", dups)
			}
			stored += int(pub.Published() - pub.Duplicates())
			if sent == 0 {
				break
			}
		}
		done += len(chunk)
		if time.Since(shown) > 10*time.Second || done == n {
			shown = time.Now()
			fmt.Fprintf(os.Stderr, "fill: %d of %d leads, %d events, %.0f events/s\n", done, n, stored, float64(stored)/time.Since(t0).Seconds())
		}
	}
	return stored
}

// waitIngested polls ingest's metrics until it has inserted n events of
// the LEADS stream (the other streams stay empty: ingest reports no lag for
// them).
func (s *upSystem) waitIngested(n int, within time.Duration) {
	want := regexp.MustCompile(`(?m)^econdip_events_ingested_total\{stream="` + events.StreamLeads + `"\} (\S+)$`)
	deadline := time.Now().Add(within)
	got := 0
	for {
		if resp, err := s.client.Get("http://" + s.ingest + "/metrics"); err == nil {
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if m := want.FindSubmatch(raw); m != nil {
				f, _ := strconv.ParseFloat(string(m[1]), 64) // Prometheus writes 3.2e+06
				got = int(f)
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			s.fail("ingest inserted %d of %d events within %s", got, n, within)
		}
		time.Sleep(2 * time.Second)
	}
}

// phases are the moments of a start, from the lines of its log (JSON) since
// the start command.
type phases struct {
	natsReady, chReady, leadsListening, viewCaughtUp time.Duration
	resumedFrom                                      uint64 // the sequence the leads view's file covered
}

func readPhases(logPath string, since time.Time) phases {
	var p phases
	f, err := os.Open(logPath)
	if err != nil {
		return p
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Time    time.Time `json:"time"`
			Msg     string    `json:"msg"`
			View    string    `json:"view"`
			Covered uint64    `json:"covered"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		at := line.Time.Sub(since)
		switch {
		case line.Msg == "NATS ready" && p.natsReady == 0:
			p.natsReady = at
		case line.Msg == "ClickHouse ready" && p.chReady == 0:
			p.chReady = at
		case line.Msg == "leads API listening" && p.leadsListening == 0:
			p.leadsListening = at
		case line.Msg == "read model: resuming from its file" && line.View == "leads":
			p.resumedFrom = line.Covered
		case line.Msg == "read model caught up" && line.View == "leads" && p.viewCaughtUp == 0:
			p.viewCaughtUp = at
		}
	}
	return p
}

func secs(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", d.Seconds())
}

// fill starts the system, writes its leads and waits until ingest and the
// leads' view have them all.
func (s *upSystem) fill() {
	b, n := s.b, s.n
	fmt.Fprintf(os.Stderr, "\n%d leads: econdip up in %s (leads API %s), load average %s\n", n, s.dir, s.leads, bench.LoadAverage())
	// The first start makes the users and their tokens. It fills the log
	// with JetStream fsyncing on its own schedule (every 2 minutes), not
	// before each acknowledgement as the local default does: the fill is a
	// bulk load, not what is measured.
	s.start("ECONDIP_NATS_SYNC=default")
	s.ready("http://"+s.leads+"/readyz", 3*time.Minute)
	tokens := stack.New(stack.Config{DataDir: s.dir}, obs.Discard(), nil).DemoTokens()
	if s.analyst = tokens["analyst"]; s.analyst == "" {
		s.fail("no analyst token in %s/demo-tokens.json", s.dir)
	}

	t0 := time.Now()
	s.stored = fillLeads(b, s.jetStream(context.Background()), n)
	published := time.Since(t0)
	s.waitIngested(s.stored, 2*time.Hour)
	ingestDone := time.Since(t0)
	filled := memOf(b, s.proc.cmd.Process.Pid)
	// A stop and a start with the local default's settings. The leads'
	// view is ready (/readyz) once it has caught up with the stream as it
	// was when the view opened: here the whole stream, the fill's last
	// event included.
	s.proc.stop(b)
	s.start()
	caughtUp := s.readyAll(2 * time.Hour)
	ph := readPhases(s.proc.log, s.started)
	if _, page := s.waitList(time.Minute); page.Total != n {
		s.fail("after the fill the leads list shows %d leads, want %d", page.Total, n)
	}
	view := "had nothing to catch up"
	if ph.viewCaughtUp > 0 {
		view = fmt.Sprintf("caught up at %s s (%.0f events/s from the API's start)", secs(ph.viewCaughtUp),
			float64(uint64(s.stored)-min(ph.resumedFrom, uint64(s.stored)))/(ph.viewCaughtUp-ph.leadsListening).Seconds())
	}
	fmt.Fprintf(os.Stderr, "%d leads, %d events published in %s (%.0f events/s); ingest caught up at %s; econdip up then: RSS %.0f MB, peak %.0f MB; "+
		"started again, every service ready after %s: the leads view resumed at seq %d and %s; load average %s\n",
		n, s.stored, published.Round(time.Second), float64(s.stored)/published.Seconds(), ingestDone.Round(time.Second),
		float64(filled.RSS)/mb, float64(filled.Peak)/mb, caughtUp.Round(10*time.Millisecond), ph.resumedFrom, view, bench.LoadAverage())
}

// restart SIGKILLs `econdip up`, starts it again on the same data folder
// and times the start command to the analyst's list answering 200, which
// must come from the new process and count every lead.
func (s *upSystem) restart(i int) {
	oldPID := s.proc.cmd.Process.Pid
	chGone, chKilled := s.kill(2 * time.Minute)
	s.start()
	took, page := s.waitList(5 * time.Minute)
	if page.Total != s.n {
		s.fail("restart %d: the list's total is %d, want %d: leads lost or doubled", i, page.Total, s.n)
	}
	pid, err := bench.PIDListening(portOf(s.leads))
	if err != nil || pid != s.proc.cmd.Process.Pid || pid == oldPID {
		s.fail("restart %d: the leads API is served by pid %d (%v); started %d, killed %d", i, pid, err, s.proc.cmd.Process.Pid, oldPID)
	}
	all := s.readyAll(5 * time.Minute)
	m := memOf(s.b, pid)
	ph := readPhases(s.proc.log, s.started)
	s.times, s.rssOf, s.hwmOf = append(s.times, took), append(s.rssOf, m.RSS), append(s.hwmOf, m.Peak)
	forced := ""
	if chKilled {
		forced = " (SIGKILLed)"
	}
	s.rows = append(s.rows, fmt.Sprintf("| %d | %s%s | **%s** | %s | %s | %s | %d | %s | %s | %.0f | %.0f | %s |", i, secs(chGone), forced, secs(took),
		secs(ph.natsReady), secs(ph.chReady), secs(ph.leadsListening), ph.resumedFrom, secs(ph.viewCaughtUp), secs(all),
		float64(m.RSS)/mb, float64(m.Peak)/mb, bench.LoadAverage()))
}

func (s *upSystem) median() time.Duration { return percentile(s.times, 50) }
func (s *upSystem) max() time.Duration    { return slices.Max(s.times) }
func (s *upSystem) rss() uint64           { return medianU(s.rssOf) }
func (s *upSystem) hwm() uint64           { return medianU(s.hwmOf) }

// report prints the table of the restarts.
func (s *upSystem) report() {
	fmt.Fprintf(os.Stderr, "\n%d leads (%d events), %d restarts after SIGKILL: start command -> analyst's list 200 (total %d); times in s from the start command\n\n", s.n, s.stored, len(s.times), s.n)
	fmt.Fprintln(os.Stderr, "| restart | ClickHouse gone after kill | list 200 | NATS ready | ClickHouse ready | leads API listening | view resumed at seq | view caught up | all /readyz 200 | RSS MB | peak MB | load |")
	fmt.Fprintln(os.Stderr, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	fmt.Fprintln(os.Stderr, strings.Join(s.rows, "\n"))
	fmt.Fprintf(os.Stderr, "\nmedian %s s, max %s s; econdip up ready: RSS %.0f MB, peak %.0f MB (medians)\n", secs(s.median()), secs(s.max()), float64(s.rss())/mb, float64(s.hwm())/mb)
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// deepPages times an analyst's filtered lists, 500 a page: the first page
// (the baseline) against the last one reached by following next_cursor,
// the deepest full page (the one before the last: 500 leads, as the first,
// where the last may hold a few) by cursor, and the last page by offset.
// Each is asked repeat times, interleaved. It returns the times of the
// last filter's pages (the most of them).
func deepPages(s *upSystem, repeat int) pageTimes {
	var out pageTimes
	filters := []string{"stage=identified&sector=transport_logistics", "stage=identified"}
	fmt.Fprintf(os.Stderr, "\n%d leads: deep pages (analyst, limit 500), %d requests each, interleaved; ms, p50 / p95 (× the first page's p50)\n\n", s.n, repeat)
	fmt.Fprintln(os.Stderr, "| filter | matches | pages | walk by cursor | first page | last page by cursor | deepest full page by cursor | last page by offset |")
	fmt.Fprintln(os.Stderr, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for fi, filter := range filters {
		q := filter + "&limit=500"
		t0 := time.Now()
		code, page, _, err := s.get(q)
		if code != http.StatusOK || err != nil {
			s.fail("%s: %d, %v", q, code, err)
		}
		// cursors[k] asks for page k+2: the next_cursor of page k+1.
		total, seen, prevIDs := page.Total, len(page.Leads), []string(nil)
		var cursors []string
		for page.NextCursor != "" {
			cursors = append(cursors, page.NextCursor)
			prevIDs = idsOf(page)
			if code, page, _, err = s.get(q + "&cursor=" + url.QueryEscape(page.NextCursor)); code != http.StatusOK || err != nil {
				s.fail("%s, page %d by cursor: %d, %v", q, len(cursors)+1, code, err)
			}
			seen += len(page.Leads)
		}
		walk, pages := time.Since(t0), len(cursors)+1
		if seen != total {
			s.fail("%s: %d leads on %d pages by cursor, the total says %d", q, seen, pages, total)
		}
		type ask struct {
			query string
			want  []string // the page's leads, as the walk met them
			took  []time.Duration
		}
		asks := []*ask{{query: q}}
		if pages >= 2 {
			asks = append(asks, &ask{query: q + "&cursor=" + url.QueryEscape(cursors[pages-2]), want: idsOf(page)})
		}
		if pages >= 3 {
			asks = append(asks, &ask{query: q + "&cursor=" + url.QueryEscape(cursors[pages-3]), want: prevIDs})
		}
		if pages >= 2 {
			asks = append(asks, &ask{query: q + "&offset=" + strconv.Itoa((pages-1)*500), want: idsOf(page)})
		}
		for range repeat {
			for _, a := range asks {
				code, p, d, err := s.get(a.query)
				if code != http.StatusOK || err != nil {
					s.fail("%s: %d, %v", a.query, code, err)
				}
				if a.want != nil && !slices.Equal(idsOf(p), a.want) {
					s.fail("%s: another page than the walk by cursor met", a.query)
				}
				a.took = append(a.took, d)
			}
		}
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		base := percentile(asks[0].took, 50)
		cells := make([]string, 4)
		for k := range cells {
			cells[k] = "-"
		}
		slot := []int{0, 1, 2, 3}
		if pages == 2 {
			slot = []int{0, 1, 3} // no page between the first and the last
		}
		for k, a := range asks {
			p50, p95 := percentile(a.took, 50), percentile(a.took, 95)
			cells[slot[k]] = fmt.Sprintf("%.1f / %.1f (%.2f×)", ms(p50), ms(p95), p50.Seconds()/base.Seconds())
		}
		fmt.Fprintf(os.Stderr, "| `%s` | %d | %d | %.1f s | %s | **%s** | %s | %s |\n", filter, total, pages, walk.Seconds(), cells[0], cells[1], cells[2], cells[3])
		if fi < len(filters)-1 {
			continue // the metrics are the deepest list's
		}
		out = pageTimes{first50: base, first95: percentile(asks[0].took, 95)}
		if pages >= 2 {
			out.last50, out.last95 = percentile(asks[1].took, 50), percentile(asks[1].took, 95)
			out.offset50 = percentile(asks[len(asks)-1].took, 50)
		}
		if pages >= 3 {
			out.full50 = percentile(asks[2].took, 50)
		}
	}
	return out
}

// pageTimes are the p50 and p95 of deepPages' requests; 0 for a page the list does not have.
type pageTimes struct {
	first50, first95, last50, last95, full50, offset50 time.Duration
}

func idsOf(p httpapi.ListJSON) []string {
	ids := make([]string, len(p.Leads))
	for i, l := range p.Leads {
		ids[i] = l.ID
	}
	return ids
}

// percentile is the p-th percentile of ts (nearest rank).
func percentile(ts []time.Duration, p int) time.Duration {
	s := slices.Clone(ts)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(i-1, 0)]
}

func median(ts []time.Duration) time.Duration { return percentile(ts, 50) }

func medianU(v []uint64) uint64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}
