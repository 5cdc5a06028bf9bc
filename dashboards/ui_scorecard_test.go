package dashboards_test

// A real-browser test of the Concept scorecard and the partner-country page
// on the demo data (leads, commissions, export deals and barriers, loaded
// through the services' APIs as `econdip up` loads them): the analyst lands on
// the scorecard, drills down into one sector, opens the records behind one of
// its figures, downloads them as CSV, and reads one partner country's page.
// Every step checks the layout (nothing spills over, chart labels are neither
// cut off nor drawn over each other).
//
//	go test -count=1 -run UIScorecard ./dashboards/ -v
//
// Screenshots go to $ECONDIP_SCREENSHOTS when it is set, else to the test's
// temporary folder; the test logs their paths.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"econdip/analytics"
	"econdip/services/platform/kernel"
	"econdip/services/test/stacktest"
	"econdip/services/tools/demo"
)

const (
	scorecardUIBudget = 60 * time.Second
	scorecardSeed     = 2030
	scorecardLeads    = 240
	focusSector       = "machine_building"
)

// svgProblems is a JavaScript function of a list of SVG elements: the texts
// cut off at an SVG's edges, and the pairs of texts drawn over each other.
const svgProblems = `function (svgs) {
	const clipped = [], overlaps = [];
	for (const svg of svgs) {
		const vb = svg.viewBox.baseVal, texts = [...svg.querySelectorAll("text")], boxes = texts.map(t => [t, t.getBBox()]);
		for (const [t, r] of boxes)
			if (r.x < vb.x - 0.5 || r.x + r.width > vb.x + vb.width + 0.5 || r.y < vb.y - 0.5 || r.y + r.height > vb.y + vb.height + 0.5) clipped.push(t.textContent);
		for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
			const [a, p] = boxes[i], [b, q] = boxes[j];
			if (p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height && q.y < p.y + p.height) overlaps.push(a.textContent + " / " + b.textContent);
		}
	}
	return {clipped, overlaps};
}`

type svgCheck struct {
	Clipped  []string `json:"clipped"`
	Overlaps []string `json:"overlaps"`
}

// tablesFit fails when a table (one not meant to scroll sideways) is wider
// than the card it is in.
func (b *browser) tablesFit(what string) {
	b.t.Helper()
	wide := run(b, "check the tables' widths on the "+what, 5*time.Second, chromedp.Evaluate[[]string](`[...document.querySelectorAll("main .card table")]
		.filter(t => !t.closest(".table-wrap") && !t.closest("[hidden]") && t.getBoundingClientRect().right > t.closest(".card").getBoundingClientRect().right - 8)
		.map(t => t.id + " is " + Math.round(t.getBoundingClientRect().width) + " px wide")`))
	if len(wide) > 0 {
		b.t.Errorf("%s: tables wider than their card: %q", what, wide)
	}
}

// startWithDemoData starts a stack whose users are the demo's (an attaché per
// post, a secretariat per commission, an analyst, an administrator) and loads
// the demo leads, commissions, deals and barriers through the APIs.
func startWithDemoData(t *testing.T) (string, map[string]string, func(context.Context) bool) {
	t.Helper()
	s, tokens := stacktest.StartWithUsers(t, stacktest.DemoUsers())
	ctx := context.Background()
	attache := func(post string) (string, bool) { tok, ok := tokens["attache."+post]; return tok, ok }
	leads := demo.Generate(scorecardSeed, scorecardLeads, s.Ref)
	created, err := (&demo.Loader{BaseURL: "http://" + s.LeadsAddr, TokenFor: attache}).Load(ctx, scorecardSeed, leads)
	if err != nil {
		t.Fatal(err)
	}
	cl := demo.CommissionLoader{BaseURL: "http://" + s.CommissionsAddr, AdminToken: tokens["admin"],
		TokenFor: func(id string) (string, bool) { tok, ok := tokens["secretariat."+id]; return tok, ok }}
	if _, err := cl.Load(ctx, scorecardSeed, demo.GenerateCommissions(scorecardSeed, kernel.Today(time.Now()), leads), created); err != nil {
		t.Fatal(err)
	}
	plan := demo.GenerateExports(scorecardSeed, time.Now(), s.Ref)
	if _, err := (&demo.ExportsLoader{BaseURL: "http://" + s.ExportsAddr, AdminToken: tokens["admin"], TokenFor: attache}).Load(ctx, scorecardSeed, plan); err != nil {
		t.Fatal(err)
	}
	// ingested reports whether ClickHouse has every lead, deal and commission.
	ingested := func(ctx context.Context) bool {
		pipeline, err1 := analytics.Pipeline(ctx, s.CH, analytics.PipelineFilter{})
		stages, err2 := analytics.ExportsByStage(ctx, s.CH, analytics.ExportFilter{})
		commissions, err3 := analytics.ExecutionByCommission(ctx, s.CH, time.Now(), analytics.CommissionFilter{})
		var nLeads, nDeals uint64
		for _, p := range pipeline {
			nLeads += p.Leads
		}
		for _, st := range stages {
			nDeals += st.Deals
		}
		return err1 == nil && err2 == nil && err3 == nil && nLeads == scorecardLeads && nDeals == uint64(len(plan.Deals)) && len(commissions) == len(demo.CommissionIDs())
	}
	return "http://" + s.DashboardAddr, tokens, ingested
}

func TestUIScorecardDrillDownAndCSV(t *testing.T) {
	start := time.Now()
	deadline, cancelAll := context.WithTimeout(context.Background(), scorecardUIBudget)
	defer cancelAll()
	exe := chromium(t)
	base, tokens, ingested := startWithDemoData(t)
	stacktest.Eventually(t, 20*time.Second, "the demo data in ClickHouse", func() (bool, error) { return ingested(deadline), nil })
	t.Logf("demo data loaded and ingested in %s", time.Since(start).Round(time.Millisecond))
	b := startBrowser(t, deadline, exe, base)
	analyst := tokens["analyst"]

	// 1. The analyst lands on the scorecard: a line per sector and metric, as the API has them.
	b.signIn(analyst, "/analyst/scorecard")
	type scorecardPage struct {
		Sectors, Clauses int
		Green            string
		Links            int
	}
	page := waitFor[scorecardPage](b, "wait for the scorecard", 10*time.Second, `(() => {
		const n = s => document.querySelectorAll(s).length;
		const green = document.getElementById("h-green").textContent.trim();
		if (green === "…" || !n("#table-sector tbody tr[data-metric]")) return null;
		return {sectors: n("#table-sector tbody tr[data-metric]"), clauses: n("#table-clause tbody tr[data-metric]"), green,
			links: n("#table-sector a.figure") + n("#table-sector svg.spark a")};
	})()`)
	var api struct {
		Rows []struct{ Scope, Code string } `json:"rows"`
	}
	stacktest.Do(t, "GET", base+"/api/scorecard/rows", analyst, "").JSON(t, &api)
	sectors, clauses := 0, 0
	for _, r := range api.Rows {
		if r.Scope == "sector" {
			sectors++
		} else {
			clauses++
		}
	}
	if page.Sectors != sectors || page.Clauses != clauses || sectors == 0 || clauses == 0 || !strings.Contains(page.Green, " of ") {
		t.Errorf("the scorecard shows %+v; the API has %d sector and %d clause lines", page, sectors, clauses)
	}
	if page.Links < 2*page.Sectors { // each line's actual figure and its trend's years lead to records
		t.Errorf("only %d links to records in %d sector lines", page.Links, page.Sectors)
	}
	b.checkLayout("scorecard")
	b.tablesFit("scorecard")
	if sp := run(b, "check the sparklines", 5*time.Second, chromedp.Evaluate[svgCheck](`(`+svgProblems+`)([...document.querySelectorAll("svg.spark")])`)); len(sp.Clipped) > 0 {
		t.Errorf("sparklines: texts cut off %q", sp.Clipped)
	}
	b.screenshot("scorecard-1-overview")

	// 2. One sector: its charts (actual, targets, forecast) and its figures year by year.
	b.follow("open the sector", `#table-sector tr[data-code="`+focusSector+`"] th.name a`, http.StatusOK)
	if q := run(b, "read the address", 5*time.Second, chromedp.Evaluate[string](`location.search`)); !strings.Contains(q, "sector="+focusSector) {
		t.Fatalf("the sector's link leads to %s", q)
	}
	type focusPage struct {
		Charts, Bars, Metrics int
		Title                 string
		ClauseHidden          bool
		Check                 svgCheck
	}
	focus := waitFor[focusPage](b, "wait for the sector's charts", 10*time.Second, `(() => {
		const f = document.getElementById("focus");
		const charts = [...f.querySelectorAll(".chart-box svg")];
		if (f.hidden || !charts.length) return null;
		return {charts: charts.length, bars: f.querySelectorAll(".chart-box svg a rect").length,
			metrics: document.querySelectorAll("#table-sector tbody tr[data-metric]").length,
			title: document.getElementById("focus-title").textContent, clauseHidden: document.getElementById("card-clause").hidden,
			check: (`+svgProblems+`)(charts)};
	})()`)
	if focus.Charts == 0 || focus.Charts != focus.Metrics || focus.Bars != focus.Charts*(time.Now().Year()-2019) ||
		!strings.HasPrefix(focus.Title, "Machine building and instrument making") || !focus.ClauseHidden {
		t.Errorf("the sector's view: %+v", focus)
	}
	if len(focus.Check.Clipped) > 0 || len(focus.Check.Overlaps) > 0 {
		t.Errorf("the sector's charts: texts cut off %q; drawn over each other %q", focus.Check.Clipped, focus.Check.Overlaps)
	}
	b.checkLayout("sector's scorecard")
	b.tablesFit("sector's scorecard")
	b.screenshot("scorecard-2-sector")

	// 2b. The same sector in KZT: the switch keeps the filters in the URL, the money lines say KZT,
	// the page names the rate the USD targets are shown at; then back to USD.
	b.follow("show the amounts in KZT", `#unit-switch a`, http.StatusOK)
	type kztPage struct {
		Search, Measure, Rate, Current string
	}
	kzt := waitFor[kztPage](b, "wait for the scorecard in KZT", 10*time.Second, `(() => {
		const m = document.querySelector('#table-sector tr[data-metric="investment_committed_usd"] td.measure');
		if (!m) return null;
		const r = document.getElementById("targets-rate");
		return {search: location.search, measure: m.textContent, rate: r ? r.textContent : "",
			current: document.querySelector("#unit-switch strong").textContent};
	})()`)
	if !strings.Contains(kzt.Search, "in=KZT") || !strings.Contains(kzt.Search, "sector="+focusSector) || !strings.HasSuffix(kzt.Measure, ", KZT") ||
		!strings.Contains(kzt.Rate, "KZT per USD") || kzt.Current != "KZT" {
		t.Errorf("the scorecard in KZT: %+v", kzt)
	}
	b.checkLayout("scorecard in KZT")
	b.screenshot("scorecard-2b-kzt")
	b.follow("back to USD", `#unit-switch a`, http.StatusOK)
	waitFor[bool](b, "wait for the sector's figures in USD", 10*time.Second, `(() => {
		const f = document.getElementById("focus");
		return !f.hidden && document.querySelectorAll("#table-years a").length > 0 && !location.search.includes("in=") ? true : null;
	})()`)

	// 3. The records behind one of its figures: the first year with a value.
	href := run(b, "find a figure with records", 5*time.Second, chromedp.Evaluate[string](`(() => {
		const a = [...document.querySelectorAll("#table-years a")].find(a => a.textContent.trim() !== "0");
		if (!a) return "";
		a.id = "drill-me";
		return a.getAttribute("href");
	})()`))
	if href == "" {
		t.Fatal("the sector has no figure above zero in any year")
	}
	b.follow("open the records", "#drill-me", http.StatusOK)
	type recordsPage struct {
		Rows    int
		Summary string
		Title   string
		CSV     string
	}
	recs := waitFor[recordsPage](b, "wait for the records", 10*time.Second, `(() => {
		const s = document.getElementById("records-summary");
		if (!s || s.textContent.includes("Loading") || !s.textContent.includes("scorecard's figure")) return null;
		return {rows: document.querySelectorAll("#table-records tbody tr").length, summary: s.textContent,
			title: document.getElementById("records-title").textContent, csv: document.getElementById("records-csv").href};
	})()`)
	drill, err := url.Parse(href)
	if err != nil {
		t.Fatal(err)
	}
	dq := drill.Query()
	q := url.Values{"scope": {dq.Get("drill_scope")}, "code": {dq.Get("drill_code")}, "metric": {dq.Get("drill_metric")}, "year": {dq.Get("drill_year")}}
	var behind struct {
		Rows []json.RawMessage `json:"rows"`
	}
	stacktest.Do(t, "GET", base+"/api/scorecard/records?"+q.Encode(), analyst, "").JSON(t, &behind)
	if recs.Rows != len(behind.Rows) || recs.Rows == 0 || !strings.Contains(recs.Title, dq.Get("drill_year")) {
		t.Errorf("records of %s: the page shows %+v, the API has %d", q.Encode(), recs, len(behind.Rows))
	}
	b.checkLayout("records")
	b.tablesFit("records")
	b.screenshot("scorecard-3-records")

	// 4. Download them as CSV: a file with a header and a line per record.
	csvText, bom := strings.CutPrefix(b.download("download the records", "#records-csv"), "\ufeff")
	if !bom {
		t.Errorf("the downloaded CSV does not start with a byte order mark")
	}
	lines := strings.Split(strings.TrimSuffix(strings.ReplaceAll(csvText, "\r\n", "\n"), "\n"), "\n")
	if len(lines) != recs.Rows+1 || (!strings.HasPrefix(lines[0], "lead_id,") && !strings.HasPrefix(lines[0], "deal_id,")) {
		t.Errorf("the downloaded CSV has %d lines for %d records:\n%.300s", len(lines), recs.Rows, csvText)
	}

	// 5. The partner countries, then China's page: everything about it together.
	b.follow("open the countries", `header nav a[href="/analyst/countries"]`, http.StatusOK)
	n := waitFor[int](b, "wait for the countries", 10*time.Second, `(() => { const n = document.querySelectorAll("#table-countries tbody tr a").length; return n ? n : null; })()`)
	if n < 5 {
		t.Errorf("only %d partner countries listed", n)
	}
	b.checkLayout("partner countries")
	b.tablesFit("partner countries")
	b.screenshot("country-1-overview")
	b.follow("open China", `#table-countries a[href*="country=CN"]`, http.StatusOK)
	type countryPage struct {
		Tiles       []string
		Years, Lead int
		Commissions int
		Check       svgCheck
	}
	cp := waitFor[countryPage](b, "wait for China's figures", 10*time.Second, `(() => {
		const tiles = [...document.querySelectorAll("#headline .tile strong")].map(e => e.textContent.trim());
		const n = s => document.querySelectorAll(s).length;
		if (tiles.some(t => t === "…") || !n("#table-years tbody tr td.num") || !n("#chart-years svg") || !n("#table-commissions tbody tr td.num")) return null;
		return {tiles, years: n("#table-years tbody tr"), lead: n("#table-leads tbody tr"), commissions: n("#table-commissions tbody tr"),
			check: (`+svgProblems+`)([...document.querySelectorAll("#country-page svg")])};
	})()`)
	if len(cp.Tiles) != 5 || cp.Years < time.Now().Year()-2019 || cp.Lead == 0 || cp.Commissions != 1 {
		t.Errorf("China's page: %+v", cp)
	}
	if len(cp.Check.Clipped) > 0 || len(cp.Check.Overlaps) > 0 {
		t.Errorf("China's charts: texts cut off %q; drawn over each other %q", cp.Check.Clipped, cp.Check.Overlaps)
	}
	b.checkLayout("China's page")
	b.tablesFit("China's page")
	b.screenshot("country-2-china")
	b.noExceptions()
	if d := time.Since(start); d > scorecardUIBudget {
		t.Errorf("the test took %s, more than its budget of %s", d, scorecardUIBudget)
	}
}

// download clicks a link that downloads a file and returns the file's text.
func (b *browser) download(what, selector string) string {
	b.t.Helper()
	dir := b.t.TempDir()
	c := chromedp.FromContext(b.tab)
	yes := true
	ctx, cancel := context.WithTimeout(b.tab, 10*time.Second)
	defer cancel()
	if _, err := cdp.Call(ctx, c.Browser, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &yes}); err != nil {
		b.fail(what, err)
	}
	var mu sync.Mutex
	done := make(chan string, 1)
	guid := ""
	if err := chromedp.ListenBrowser(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *cdpbrowser.EventDownloadWillBegin:
			guid = e.GUID
		case *cdpbrowser.EventDownloadProgress:
			if e.State == cdpbrowser.DownloadProgressStateCompleted && (guid == "" || e.GUID == guid) {
				select {
				case done <- e.GUID:
				default:
				}
			}
		}
	}); err != nil {
		b.fail(what, err)
	}
	b.do(what, 5*time.Second, chromedp.Click(chromedp.CSS(selector)))
	select {
	case g := <-done:
		raw, err := os.ReadFile(filepath.Join(dir, g))
		if err != nil {
			b.fail(what, err)
		}
		return string(raw)
	case <-ctx.Done():
		b.fail(what, ctx.Err())
	}
	return ""
}
