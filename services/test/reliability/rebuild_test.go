package reliability

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/nats-io/nats.go"

	"econdip/analytics"
	"econdip/analytics/chtest"
	"econdip/events"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/platform/kernel"
	"econdip/services/platform/natsx"
	"econdip/services/test/reliability/faultkit"
	"econdip/services/test/stacktest"
	"econdip/services/tools/demo"
)

// TestRebuildFromTheStreamsGivesTheSameFigures loads the demo data through
// the services' APIs (leads, commission protocols as atomic batches, export
// deals and barriers), lets the live ingest project it, then runs `econdip
// rebuild` into a fresh database and compares every dashboard figure of the
// two databases. A poison message in the log is left out of the rebuild, not
// dead-lettered twice; `--resume` catches up with events stored since.
func TestRebuildFromTheStreamsGivesTheSameFigures(t *testing.T) {
	until := faultkit.Deadline(t, 3*time.Minute)
	s, tokens := stacktest.StartWithUsers(t, stacktest.DemoUsers())
	ctx := context.Background()
	const seed = 2030
	leads := demo.Generate(seed, 240, s.Ref)
	tokenOf := func(id string) (string, bool) { tok, ok := tokens[id]; return tok, ok }
	created, err := (&demo.Loader{BaseURL: "http://" + s.LeadsAddr, TokenFor: func(p string) (string, bool) { return tokenOf("attache." + p) }}).Load(ctx, seed, leads)
	if err != nil {
		t.Fatal(err)
	}
	cl := demo.CommissionLoader{BaseURL: "http://" + s.CommissionsAddr, AdminToken: tokens["admin"],
		TokenFor: func(id string) (string, bool) { return tokenOf("secretariat." + id) }}
	if _, err := cl.Load(ctx, seed, demo.GenerateCommissions(seed, kernel.Today(time.Now()), leads), created); err != nil {
		t.Fatal(err)
	}
	xl := demo.ExportsLoader{BaseURL: "http://" + s.ExportsAddr, AdminToken: tokens["admin"], TokenFor: func(p string) (string, bool) { return tokenOf("attache." + p) }}
	if _, err := xl.Load(ctx, seed, demo.GenerateExports(seed, time.Now(), s.Ref)); err != nil {
		t.Fatal(err)
	}
	// A message no version can read: the live ingest dead-letters it.
	if _, err := s.JS.PublishMsg(ctx, &nats.Msg{Subject: events.MustSubject(events.LeadSubject("not-a-lead")), Data: []byte("{oops")}); err != nil {
		t.Fatal(err)
	}
	faultkit.MustWaitDrained(t, s.JS, events.ConsumerIngest, until, nil)
	deadLetters := streamMsgs(t, s, events.StreamDeadLetter)
	if deadLetters != 1 {
		t.Fatalf("%d dead letters before the rebuild, want 1", deadLetters)
	}

	into := chtest.Database() + "_rebuilt"
	env := faultkit.ProcessEnv("ECONDIP_NATS_URL="+s.NATSSrv.ClientURL(), "ECONDIP_CLICKHOUSE_ADDR="+chtest.Addr(),
		"ECONDIP_CLICKHOUSE_DATABASE="+s.Cfg.CHDatabase, "ECONDIP_DATA_DIR="+s.Cfg.DataDir,
		"ECONDIP_NATS_PASSWORD_FILE="+s.Secrets().NATSFile(natsx.ServiceAdminTool))
	began := time.Now()
	out, errOut, err := runEcondip(t, env, "rebuild", "--into", into)
	if err != nil {
		t.Fatalf("econdip rebuild: %v\n%s\n%s", err, out, errOut)
	}
	took := time.Since(began)
	t.Logf("econdip rebuild --into %s (%.1fs):\n%s", into, took.Seconds(), out)
	if !strings.Contains(out, "1 messages could not be projected") {
		t.Errorf("the rebuild does not report the poison message it left out:\n%s", out)
	}
	if !strings.Contains(errOut, "rebuild "+into+" [") {
		t.Errorf("no progress bar on the error output:\n%s", errOut)
	}
	if n := streamMsgs(t, s, events.StreamDeadLetter); n != deadLetters {
		t.Errorf("%d dead letters after the rebuild, want %d: it must not dead-letter again", n, deadLetters)
	}
	rebuilt := openDatabase(t, into)
	compareFigures(t, s.CH, rebuilt)
	modelsAgree(t, "live", s.CH, until)
	modelsAgree(t, "rebuilt", rebuilt, until)

	// A second rebuild into the same database is refused; --resume takes
	// the events stored since.
	if _, errOut, err := runEcondip(t, env, "rebuild", "--into", into); err == nil || !strings.Contains(errOut, "holds") {
		t.Errorf("a rebuild into a database that holds events: err %v\n%s", err, errOut)
	}
	g := faultkit.NewGenerator(5)
	for range 50 {
		subject, e := g.Next()
		if _, err := events.Publish(ctx, s.JS, subject, e, events.PublishOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	faultkit.MustWaitDrained(t, s.JS, events.ConsumerIngest, until, nil)
	if out, errOut, err := runEcondip(t, env, "rebuild", "--into", into, "--resume"); err != nil {
		t.Fatalf("econdip rebuild --resume: %v\n%s\n%s", err, out, errOut)
	}
	compareFigures(t, s.CH, rebuilt)
}

// modelsAgree: on the demo data, the aggregates ingest kept are current
// for the loaded rates and the figures from them equal the figures from
// the states, to the cent: the pipeline unfiltered and for each post, the
// export figures, the lead metrics and the scorecard unfiltered.
func modelsAgree(t *testing.T, name string, conn driver.Conn, until time.Time) {
	t.Helper()
	ctx := context.Background()
	for _, current := range []func(context.Context, driver.Conn) (bool, error){analytics.LeadKPI.Current, analytics.DealExports.Current} {
		for {
			ok, err := current(ctx, conn)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				break
			}
			if time.Now().After(until) {
				t.Fatalf("%s: the aggregates are not current for the loaded rates", name)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	exports := func(ctx context.Context) []any {
		var out []any
		for _, read := range []func() (any, error){
			func() (any, error) { return analytics.ExportsBySector(ctx, conn, analytics.ExportFilter{}) },
			func() (any, error) { return analytics.ExportsByDestination(ctx, conn, analytics.ExportFilter{}) },
			func() (any, error) { return analytics.NonRawShare(ctx, conn, analytics.ExportFilter{}) },
			func() (any, error) { return analytics.Concentration(ctx, conn, analytics.ExportFilter{}) },
			func() (any, error) {
				return analytics.ExportsByYear(ctx, conn, analytics.ByClause, analytics.KPIFilter{})
			},
			func() (any, error) {
				return analytics.InvestmentByYear(ctx, conn, analytics.Committed, analytics.BySector, analytics.KPIFilter{})
			},
			func() (any, error) {
				return analytics.InvestmentByYear(ctx, conn, analytics.Realised, analytics.ByClause, analytics.KPIFilter{})
			},
			func() (any, error) {
				return analytics.OpenPipeline(ctx, conn, analytics.BySector, analytics.KPIFilter{})
			},
			func() (any, error) { return analytics.Conversion(ctx, conn, analytics.ByTotal, analytics.KPIFilter{}) },
			func() (any, error) {
				now := time.Now()
				return analytics.Scorecard(ctx, conn, analytics.ScorecardFilter{Year: now.Year(), Today: now})
			},
		} {
			v, err := read()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return out
	}
	if agg, st := exports(ctx), exports(analytics.ReadStates(ctx)); !reflect.DeepEqual(agg, st) {
		t.Errorf("%s: export and lead figures from the aggregates\n%+v\nfrom the states\n%+v", name, agg, st)
	}
	for _, post := range []string{"", "de-berlin", "cn-beijing", "us-washington"} {
		f := analytics.PipelineFilter{Post: post}
		agg, err := analytics.Pipeline(ctx, conn, f)
		if err != nil {
			t.Fatal(err)
		}
		st, err := analytics.PipelineFromStates(ctx, conn, f)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(agg, st) {
			t.Errorf("%s, post %q: pipeline from the aggregates\n%+v\nfrom the states\n%+v", name, post, agg, st)
		}
		if post == "" && len(st) == 0 {
			t.Errorf("%s: the demo's pipeline is empty", name)
		}
	}
}

// compareFigures checks that two databases give the same dashboard figures.
func compareFigures(t *testing.T, live, rebuilt driver.Conn) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	year := now.Year()
	figures := []struct {
		name string
		get  func(driver.Conn) (any, error)
	}{
		{"Pipeline", func(c driver.Conn) (any, error) { return analytics.Pipeline(ctx, c, analytics.PipelineFilter{}) }},
		{"OpenPipeline", func(c driver.Conn) (any, error) {
			return analytics.OpenPipeline(ctx, c, analytics.BySector, analytics.KPIFilter{})
		}},
		{"InvestmentByYear", func(c driver.Conn) (any, error) {
			return analytics.InvestmentByYear(ctx, c, analytics.Committed, analytics.BySector, analytics.KPIFilter{})
		}},
		{"Conversion", func(c driver.Conn) (any, error) {
			return analytics.Conversion(ctx, c, analytics.BySector, analytics.KPIFilter{})
		}},
		{"ExportsBySector", func(c driver.Conn) (any, error) { return analytics.ExportsBySector(ctx, c, analytics.ExportFilter{}) }},
		{"ExportsByStage", func(c driver.Conn) (any, error) { return analytics.ExportsByStage(ctx, c, analytics.ExportFilter{}) }},
		{"NonRawShare", func(c driver.Conn) (any, error) { return analytics.NonRawShare(ctx, c, analytics.ExportFilter{}) }},
		{"Concentration", func(c driver.Conn) (any, error) { return analytics.Concentration(ctx, c, analytics.ExportFilter{}) }},
		{"Barriers", func(c driver.Conn) (any, error) { return analytics.Barriers(ctx, c, analytics.BarrierFilter{}) }},
		{"BarriersByType", func(c driver.Conn) (any, error) { return analytics.BarriersByType(ctx, c, analytics.BarrierFilter{}) }},
		{"ExecutionByCommission", func(c driver.Conn) (any, error) {
			return analytics.ExecutionByCommission(ctx, c, now, analytics.CommissionFilter{})
		}},
		{"ExecutionByAgency", func(c driver.Conn) (any, error) {
			return analytics.ExecutionByAgency(ctx, c, now, analytics.CommissionFilter{})
		}},
		{"OverdueDecisions", func(c driver.Conn) (any, error) {
			return analytics.OverdueDecisions(ctx, c, now, analytics.CommissionFilter{})
		}},
		{"Scorecard", func(c driver.Conn) (any, error) {
			return analytics.Scorecard(ctx, c, analytics.ScorecardFilter{Year: year, Today: now})
		}},
	}
	for _, f := range figures {
		a, err := f.get(live)
		if err != nil {
			t.Fatalf("%s on the live database: %v", f.name, err)
		}
		b, err := f.get(rebuilt)
		if err != nil {
			t.Fatalf("%s on the rebuilt database: %v", f.name, err)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Errorf("%s differs:\nlive    %s\nrebuilt %s", f.name, ja, jb)
		} else if string(ja) == "null" || string(ja) == "[]" {
			t.Errorf("%s is empty on both: the demo data should give it figures", f.name)
		}
	}
	for _, table := range analytics.ReplicatedTables() { // the event-derived tables
		q := "SELECT count(), uniqExact(event_id) FROM " + table + " FINAL"
		var la, lb, ra, rb uint64
		if err := live.QueryRow(ctx, q).Scan(&la, &lb); err != nil {
			t.Fatal(err)
		}
		if err := rebuilt.QueryRow(ctx, q).Scan(&ra, &rb); err != nil {
			t.Fatal(err)
		}
		if la != ra || lb != rb || la != lb {
			t.Errorf("%s FINAL: live %d rows, %d event ids; rebuilt %d rows, %d event ids", table, la, lb, ra, rb)
		}
	}
}

func openDatabase(t *testing.T, db string) driver.Conn {
	t.Helper()
	conn, err := analytics.Open(context.Background(), analytics.Config{Addr: chtest.Addr(), Database: db, Username: "default"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func streamMsgs(t *testing.T, s *stack.Stack, name string) uint64 {
	t.Helper()
	st, err := s.JS.Stream(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return st.CachedInfo().State.Msgs
}
