package dashboards_test

// A real-browser end-to-end test: Chromium, driven with chromedp, uses the
// dashboard of a whole in-process stack (stacktest) the way an attaché and an
// analyst do.
//
//	go test -count=1 -run UI ./dashboards/ -v
//
// Screenshots go to $ECONDIP_SCREENSHOTS when it is set, else to the test's
// temporary folder; the test logs their paths.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/analytics/chtest"
	"econdip/services/leads/httpapi"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
	"econdip/services/test/stacktest"
)

func TestMain(m *testing.M) { chtest.Main(m, "econdip_test_dashboards") }

// The lead's 2,500,000 EUR in USD at the demo store's rates of today (the
// stage moves take effect today), as the Go conversion gives them: from
// November 2026 to the end of 2027 the carried rates, 508.27 KZT per EUR and
// 441.39 per USD: 2,500,000 × 508.27 / 441.39 = 2,878,803.3167… → 2,878,803.33 USD;
// weighted by the probability of "contacted", 0.10. The pipeline table shows
// them with thousands separators.
var capexUSD, weightedUSD, capexUSDShown, weightedUSDShown = func() (string, string, string, string) {
	demo, err := reference.Default().DemoRates()
	if err != nil {
		panic(err)
	}
	c, err := demo.Convert(decimal.NewFromInt(2500000), "EUR", kernel.Today(time.Now()).Time(), reference.DefaultRateLimits)
	if err != nil {
		panic(err)
	}
	w := c.USD.Mul(decimal.RequireFromString("0.10")).Round(2)
	return c.USD.String(), w.String(), i18n.Number(i18n.EN, c.USD), i18n.Number(i18n.EN, w)
}()

const (
	chromiumPath = "/usr/bin/chromium"

	investor   = "Rhein Maschinenbau GmbH"
	leadTitle  = "Tractor assembly plant in Kostanay"
	contact    = "Jonas Privatmann"
	sectorName = "Machine building and instrument making"
	comment    = "Met the CFO at Hannover Messe"
	badEmail   = "jonas.privatmann(at)example.de"

	// testBudget bounds the whole test, the stack's start included.
	testBudget = 55 * time.Second
)

var leadPath = regexp.MustCompile(`^/attache/leads/[0-9a-f-]{36}$`)

func TestUIAttacheEntersLeadAndAnalystSeesItInThePipeline(t *testing.T) {
	deadline, cancelAll := context.WithTimeout(context.Background(), testBudget)
	defer cancelAll()
	exe := chromium(t)

	s := stacktest.Start(t)
	b := startBrowser(t, deadline, exe, "http://"+s.DashboardAddr)
	leadsAPI := "http://" + s.LeadsAddr + "/api/v1/leads"
	listLeads := func() httpapi.ListJSON {
		t.Helper()
		r := stacktest.Do(t, "GET", leadsAPI, stacktest.Tokens["attache.de-berlin"], "")
		if r.Status != http.StatusOK {
			t.Fatalf("list leads: %d %s", r.Status, r.Body)
		}
		var l httpapi.ListJSON
		r.JSON(t, &l)
		return l
	}

	// 1. The Berlin attaché signs in through the form and lands on the board.
	b.signIn(stacktest.Tokens["attache.de-berlin"], "/attache/board")

	// 2. A lead with a negative capex and no title is refused, field by field.
	b.follow("open the new-lead form", `a.button[href="/attache/leads/new"]`, http.StatusOK)
	b.do("type an invalid lead", 5*time.Second,
		chromedp.SendKeys(chromedp.CSS(`#lead-form input[name=investor_name]`), investor),
		chromedp.SetValue(chromedp.CSS(`#lead-form select[name=investor_country]`), "DE"),
		chromedp.SendKeys(chromedp.CSS(`#lead-form input[name=capex_amount]`), "-5"),
		// A contact's errors must show at the contact too, not only in the banner.
		chromedp.SendKeys(chromedp.CSS(`#lead-form input[name=contact_name_0]`), contact),
		chromedp.SendKeys(chromedp.CSS(`#lead-form input[name=contact_email_0]`), badEmail),
	)
	// The browser itself stops an empty required title; the server must
	// refuse it too (a script, an old browser), so let this one through.
	if missing := run(b, "title validity", 5*time.Second, chromedp.Evaluate[bool](
		`document.querySelector('#lead-form input[name=title]').validity.valueMissing`)); !missing {
		t.Fatal("the browser does not see the empty title as missing: is the title input still required?")
	}
	b.do("turn off the browser's validation", 5*time.Second,
		chromedp.Evaluate[chromedp.Void](`document.getElementById('lead-form').noValidate = true`))
	b.follow("submit the invalid lead", `#lead-form button[type=submit]`, http.StatusBadRequest)

	type fieldError struct {
		Text    string  `json:"text"`
		Gap     float64 `json:"gap"` // from the field's bottom edge to the message's top edge, in CSS pixels
		Visible bool    `json:"visible"`
	}
	errs := run(b, "read the field errors", 5*time.Second, chromedp.Evaluate[map[string]*fieldError](`(() => {
		const out = {};
		for (const name of ["title", "capex_amount", "contact_email_0"]) {
			const err = document.getElementById("err-" + name);
			const field = document.querySelector('#lead-form [name="' + name + '"]');
			if (!err || !field) { out[name] = null; continue; }
			const e = err.getBoundingClientRect(), f = field.getBoundingClientRect(), st = getComputedStyle(err);
			out[name] = {text: err.textContent.trim(), gap: e.top - f.bottom,
				visible: e.width > 0 && e.height > 0 && st.visibility !== "hidden" && st.display !== "none"};
		}
		return out;
	})()`))
	for _, name := range []string{"title", "capex_amount", "contact_email_0"} {
		e := errs[name]
		switch {
		case e == nil:
			t.Errorf("no #err-%s after submitting a lead with no title, capex -5 and e-mail %q", name, badEmail)
		case e.Text == "" || !e.Visible:
			t.Errorf("#err-%s is empty or hidden: %+v", name, *e)
		case e.Gap < -2 || e.Gap > 40:
			t.Errorf("#err-%s (%q) is %.0f px from its field, not next to it", name, e.Text, e.Gap)
		}
	}
	if ids := run(b, "list the field errors", 5*time.Second, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('.field-error')].map(e => e.id).sort()`)); !slices.Equal(ids, []string{"err-capex_amount", "err-contact_email_0", "err-title"}) {
		t.Errorf("field errors shown: %v, want exactly err-capex_amount, err-contact_email_0 and err-title", ids)
	}
	for field, want := range map[string]string{"investor_name": investor, "capex_amount": "-5", "contact_name_0": contact} {
		if v := run(b, "kept "+field, 5*time.Second, chromedp.Value(chromedp.CSS(`#lead-form input[name=`+field+`]`))); v != want {
			t.Errorf("the re-rendered form shows %s %q, want what was typed, %q", field, v, want)
		}
	}
	b.screenshot("1-lead-form-errors")
	if l := listLeads(); l.Total != 0 || len(l.Leads) != 0 {
		t.Fatalf("an invalid form created leads: %+v", l)
	}

	// 3. Corrected, on the same re-rendered form, it is created; then moved.
	b.do("correct the lead", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(`#lead-form input[name=title]`), leadTitle),
		chromedp.SetValue(chromedp.CSS(`#lead-form select[name=investor_country]`), "DE"),
		chromedp.SetValue(chromedp.CSS(`#lead-form select[name=sector]`), "machine_building"),
		chromedp.Evaluate[chromedp.Void](`for (const box of document.querySelectorAll('#lead-form input[name=clauses]')) box.checked = box.value === "2.2"`),
		chromedp.Clear(chromedp.CSS(`#lead-form input[name=capex_amount]`)),
		chromedp.SendKeys(chromedp.CSS(`#lead-form input[name=capex_amount]`), "2500000"),
		chromedp.SetValue(chromedp.CSS(`#lead-form select[name=capex_currency]`), "EUR"),
		chromedp.SendKeys(chromedp.CSS(`#lead-form input[name=contact_role_0]`), "CFO"),
		chromedp.Clear(chromedp.CSS(`#lead-form input[name=contact_email_0]`)),
		chromedp.SendKeys(chromedp.CSS(`#lead-form input[name=contact_email_0]`), "jonas.privatmann@example.de"),
	)
	b.follow("create the lead", `#lead-form button[type=submit]`, http.StatusOK)
	if p := b.path(); !leadPath.MatchString(p) {
		t.Fatalf("after creating, the browser is at %s, not on a lead page", p)
	}
	b.expectText("lead saved", `p.ok`, "Saved.")
	b.expectText("stage badge", `h1 .stage`, "Identified")

	b.do("choose the next stage", 5*time.Second,
		chromedp.SetValue(chromedp.CSS(`#stage-form select[name=stage]`), "contacted"),
		chromedp.SendKeys(chromedp.CSS(`#stage-form input[name=comment]`), comment),
	)
	b.follow("move the stage", `#stage-form button[type=submit]`, http.StatusOK)
	b.expectText("stage moved", `p.ok`, "Saved.")
	b.expectText("stage badge", `h1 .stage`, "Contacted")
	history := run(b, "read the history", 5*time.Second, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('ol.history li')].map(li => li.textContent.replace(/\s+/g, " ").trim())`))
	if !slices.ContainsFunc(history, func(h string) bool {
		return strings.Contains(h, "attache.de-berlin: moved Identified → Contacted ("+comment+")")
	}) || !slices.ContainsFunc(history, func(h string) bool { return strings.Contains(h, "created") }) {
		t.Errorf("history does not show the creation and the move: %q", history)
	}
	b.screenshot("2-lead-page")

	l := listLeads()
	if l.Total != 1 || len(l.Leads) != 1 {
		t.Fatalf("leads after the form: %+v", l)
	}
	got := l.Leads[0]
	if got.Stage != "contacted" || got.Version != 2 || got.Title != leadTitle || got.InvestorCountry != "DE" ||
		got.Sector != "machine_building" || !slices.Equal(got.Clauses, []string{"2.2"}) ||
		got.Capex != (httpx.MoneyJSON{Amount: "2500000", Currency: "EUR"}) ||
		len(got.Contacts) != 1 || got.Contacts[0].Name != contact {
		t.Errorf("the stored lead differs from what was typed: %+v", got)
	}

	// 4. The board has the card in the "contacted" column, and nowhere else.
	b.follow("open the board", `header nav a[href="/attache/board"]`, http.StatusOK)
	board := run(b, "read the board", 5*time.Second, chromedp.Evaluate[map[string][]string](`(() => {
		const out = {};
		for (const col of document.querySelectorAll('.board .column')) {
			out[col.dataset.stage] = [...col.querySelectorAll('a.lead-card')].map(a => a.textContent.replace(/\s+/g, " ").trim());
		}
		return out;
	})()`))
	for stage, cards := range board {
		want := 0
		if stage == "contacted" {
			want = 1
		}
		if len(cards) != want {
			t.Errorf("board column %q has %d cards, want %d: %q", stage, len(cards), want, cards)
		}
	}
	if cards := board["contacted"]; len(cards) != 1 || !strings.Contains(cards[0], investor) || !strings.Contains(cards[0], leadTitle) {
		t.Errorf(`board column "contacted": %q, want the card of %s`, cards, investor)
	}
	// All nine columns fit a 1280 px screen, and no title or card spills over.
	if bad := run(b, "check the board's layout", 5*time.Second, chromedp.Evaluate[[]string](`(() => {
		const bad = [], width = document.documentElement.clientWidth;
		for (const col of document.querySelectorAll('.board .column')) {
			const h = col.querySelector('h2');
			if (col.getBoundingClientRect().right > width) bad.push(col.dataset.stage + " is off screen");
			if (h.scrollWidth > h.clientWidth) bad.push(col.dataset.stage + " title spills over");
			for (const card of col.querySelectorAll('a.lead-card'))
				if (card.scrollWidth > card.clientWidth) bad.push(col.dataset.stage + " card spills over");
		}
		return bad;
	})()`)); len(bad) > 0 {
		t.Errorf("board layout at 1280 px: %q", bad)
	}
	b.screenshot("3-board")

	// 5. The analyst sees the lead in the pipeline once ingest has it.
	b.follow("sign out", `header form.who button[type=submit]`, http.StatusOK)
	if p := b.path(); p != "/signin" {
		t.Fatalf("after signing out, the browser is at %s", p)
	}
	b.do("open the board signed out", 10*time.Second, chromedp.Navigate(b.base+"/attache/board"))
	if p := b.path(); p != "/signin" {
		t.Fatalf("signed out, /attache/board still opens (at %s): the session cookie survived", p)
	}
	b.signIn(stacktest.Tokens["analyst"], "/analyst/scorecard")

	type pipelinePage struct {
		Rows  [][]string `json:"rows"`
		Rects int        `json:"rects"`
		Error string     `json:"error"`
		// Chart texts cut off at the SVG's edges, and pairs of labels or legend
		// entries drawn over each other.
		Clipped  []string `json:"clipped"`
		Overlaps []string `json:"overlaps"`
	}
	want := []string{sectorName, "Contacted", "1", capexUSDShown, weightedUSDShown, "0", "0"} // the stage's label, not its code
	var page pipelinePage
	until := time.Now().Add(10 * time.Second)
	for {
		// pipeline.js fetches /api/pipeline once per page load: reload to poll.
		b.do("load the pipeline", 5*time.Second, chromedp.Navigate(b.base+"/analyst/pipeline"))
		page = waitFor[pipelinePage](b, "wait for the figures", 4*time.Second, `(() => {
			const chart = document.getElementById("chart");
			if (chart.textContent.includes("Loading")) return null;
			return {rows: [...document.querySelectorAll("#table tbody tr")].map(tr => [...tr.cells].map(td => td.textContent.trim())),
				rects: chart.querySelectorAll('svg rect[data-stage="contacted"]').length,
				error: (chart.querySelector(".error") || {}).textContent || "", ...layout(chart.querySelector("svg"))};
			function layout(svg) {
				const clipped = [], overlaps = [];
				if (!svg) return {clipped, overlaps};
				const vb = svg.viewBox.baseVal, texts = [...svg.querySelectorAll("text")];
				const boxes = [...texts, ...svg.querySelectorAll("rect:not([data-stage])")].map(e => [e, e.getBBox()]);
				for (const t of texts) {
					const r = t.getBBox();
					if (r.x < vb.x || r.x + r.width > vb.x + vb.width || r.y < vb.y || r.y + r.height > vb.y + vb.height) clipped.push(t.textContent);
				}
				for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
					const [a, p] = boxes[i], [b, q] = boxes[j];
					const m = 2; // closer than that reads as touching
					if (p.x < q.x + q.width + m && q.x < p.x + p.width + m && p.y < q.y + q.height + m && q.y < p.y + p.height + m)
						overlaps.push((a.textContent || a.getAttribute("fill")) + " / " + (b.textContent || b.getAttribute("fill")));
				}
				return {clipped, overlaps};
			}
		})()`)
		if page.Error != "" {
			t.Fatalf("the pipeline page shows an error: %s", page.Error)
		}
		if slices.ContainsFunc(page.Rows, func(r []string) bool { return slices.Equal(r, want) }) && page.Rects > 0 {
			break
		}
		if time.Now().After(until) {
			t.Fatalf("after 10 s the pipeline table has %q and %d bars for contacted; want the row %q and a bar", page.Rows, page.Rects, want)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if len(page.Rows) != 1 {
		t.Errorf("pipeline rows: %q, want only %q", page.Rows, want)
	}
	// The exact sums behind the chart, as /api/pipeline gives them.
	r := stacktest.Do(t, "GET", b.base+"/api/pipeline", stacktest.Tokens["analyst"], "")
	var api struct{ Rows []analytics.PipelineRow }
	r.JSON(t, &api)
	if r.Status != http.StatusOK || len(api.Rows) != 1 || api.Rows[0].CapexUSD.String() != capexUSD || api.Rows[0].WeightedUSD.String() != weightedUSD {
		t.Errorf("/api/pipeline: %d %s, want capex_usd %s and weighted_usd %s", r.Status, r.Body, capexUSD, weightedUSD)
	}
	if len(page.Clipped) > 0 || len(page.Overlaps) > 0 {
		t.Errorf("chart: texts cut off at the edge: %q; drawn over each other: %q", page.Clipped, page.Overlaps)
	}
	b.screenshot("4-analyst-pipeline")

	// The measure switch redraws the chart: capex, not weighted, 2.9 m USD (the unit on every bar).
	b.do("show capex", 5*time.Second, chromedp.Click(chromedp.CSS(`input[name=measure][value=capex]`)))
	if labels := run(b, "read the chart", 5*time.Second, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#chart svg text')].map(t => t.textContent)`)); !slices.Contains(labels, "2.9 m USD") {
		t.Errorf("chart after choosing capex: %q, want a bar labelled 2.9 m", labels)
	}
	b.noExceptions()
}

// chromium returns Debian's Chromium, or fails the test: a UI test that
// silently skips tests nothing.
func chromium(t *testing.T) string {
	t.Helper()
	if st, err := os.Stat(chromiumPath); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
		return chromiumPath
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatalf("Chromium is not installed (no %s, no chromium on PATH); the UI test needs it: run `bash deploy/local/ensure-deps.sh --browser`", chromiumPath)
	return ""
}

// browser is one Chromium tab on the dashboard.
type browser struct {
	t     *testing.T
	tab   context.Context
	base  string
	shots string

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

func startBrowser(t *testing.T, deadline context.Context, exe, base string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(deadline, opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() }) // before TempDir removes the profile
	// The first Do starts the browser, which lives as long as the context
	// of that call: the test's deadline, not a step's timeout.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	shots := os.Getenv("ECONDIP_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, tab: tab, base: base, shots: shots}
	msgs := chromedp.Console(tab)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	return b
}

// do runs steps within timeout.
func (b *browser) do(what string, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.tab, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fail(what, err)
	}
}

// run runs one action within timeout and returns its value.
func run[T any](b *browser, what string, timeout time.Duration, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.tab, timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fail(what, err)
	}
	return v
}

// waitFor evaluates expression until it gives a value that is not null,
// within timeout. (chromedp.Poll runs in the execution context chromedp last
// saw, which can be the one of the page before a navigation.)
func waitFor[T any](b *browser, what string, timeout time.Duration, expression string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.tab, timeout)
	defer cancel()
	var err error
	for {
		var v *T
		if v, err = chromedp.Run(ctx, chromedp.Evaluate[*T](expression)); err == nil && v != nil {
			return *v
		}
		if ctx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err == nil {
		err = fmt.Errorf("still null after %s", timeout)
	}
	b.fail(what, err)
	var zero T
	return zero
}

func (b *browser) fail(what string, err error) {
	b.t.Helper()
	if errors.Is(err, context.DeadlineExceeded) {
		b.t.Logf("the page at the timeout: %s", b.path())
	}
	b.t.Fatalf("%s: %v", what, err)
}

// follow clicks a link or a submit button and waits until the page it leads
// to has loaded; it checks the HTTP status of that page (after redirects).
func (b *browser) follow(what, selector string, status int64) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.tab, 10*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(selector)))
	if err != nil {
		b.fail(what, err)
	}
	if resp.Status != status {
		b.t.Fatalf("%s: %s answered %d, want %d", what, resp.URL, resp.Status, status)
	}
}

// signIn uses the sign-in form with a personal API token and checks where
// it lands (any page when landing is empty).
func (b *browser) signIn(token, landing string) {
	b.t.Helper()
	b.do("open the sign-in page", 10*time.Second,
		chromedp.Navigate(b.base+"/signin"),
		chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.Click(chromedp.CSS(`details.token-signin summary`)),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token),
	)
	b.follow("sign in", `form[action="/signin"] button[type=submit]`, http.StatusOK)
	if p := b.path(); landing != "" && p != landing {
		b.t.Fatalf("after signing in, the browser is at %s, want %s", p, landing)
	}
}

// path is the path of the current page, without the query.
func (b *browser) path() string {
	ctx, cancel := context.WithTimeout(b.tab, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		return fmt.Sprintf("(unknown: %v)", err)
	}
	return loc
}

// expectText checks the trimmed text content (before CSS transforms) of the first element of selector.
func (b *browser) expectText(what, selector, want string) {
	b.t.Helper()
	got := run(b, what, 5*time.Second, chromedp.TextContent(chromedp.CSS(selector)))
	if strings.TrimSpace(got) != want {
		b.t.Errorf("%s: %s shows %q, want %q", what, selector, got, want)
	}
}

// screenshot writes a full-page PNG and logs its path.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png := run(b, "screenshot "+name, 10*time.Second, chromedp.FullScreenshot(100))
	path := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// noExceptions fails on uncaught script errors; it logs the other console
// messages but Chromium's debug hints.
func (b *browser) noExceptions() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		if m.IsException() {
			b.t.Errorf("script error on %s: %s", m.URL, m)
		} else if m.Type != "debug" {
			b.t.Logf("console %s on %s: %s", m.Type, m.URL, m)
		}
	}
}
