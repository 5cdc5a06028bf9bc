package dashboards_test

// A real-browser test of the export pages: the Berlin attaché registers an
// exporter (after a BIN with a wrong check digit is refused), enters deals
// for unwrought aluminium (found with the HS picker), refined light oils and
// crude oil (after bad values are refused field by field), moves one to
// contracted, reports a barrier; the analyst then reads the Exports page,
// where the first two count as non-raw and the third as raw.
//
//	go test -count=1 -run UIExports ./dashboards/ -v
//
// Screenshots go to $ECONDIP_SCREENSHOTS when it is set, else to the test's
// temporary folder; the test logs their paths.

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"econdip/services/exports/httpapi"
	"econdip/services/platform/i18n"
	"econdip/services/test/stacktest"
)

const (
	exportsBudget = 90 * time.Second
	// Valid BINs (see services/cmd/econdip/stack/exports_e2e_test.go for the hand computation).
	binAluminium = "990340004592"
	binRefinery  = "050440001239"
	binOilfield  = "121140007770"
	binBadCheck  = "990340004593"
)

var dealPath = regexp.MustCompile(`^/attache/deals/[0-9a-f-]{36}$`)
var barrierPath = regexp.MustCompile(`^/attache/barriers/[0-9a-f-]{36}$`)

func TestUIExportsAttacheEntersDealsAndAnalystSeesNonRaw(t *testing.T) {
	deadline, cancelAll := context.WithTimeout(context.Background(), exportsBudget)
	defer cancelAll()
	exe := chromium(t)
	s := stacktest.Start(t)
	b := startBrowser(t, deadline, exe, "http://"+s.DashboardAddr)
	api := "http://" + s.ExportsAddr + "/api/v1"
	berlin := stacktest.Tokens["attache.de-berlin"]

	b.signIn(berlin, "/attache/board")
	b.do("open the deals board", 10*time.Second, chromedp.Navigate(b.base+"/attache/deals"), chromedp.WaitVisible(chromedp.ID("exporter-form")))

	// 1. Register the exporter: a wrong check digit is refused on the field.
	b.do("type a BIN with a wrong check digit", 5*time.Second,
		chromedp.SendKeys(chromedp.CSS(`#exporter-form input[name=bin]`), binBadCheck),
		chromedp.SendKeys(chromedp.CSS(`#exporter-form input[name=name]`), "Pavlodar Aluminium JSC"),
	)
	b.follow("register with a wrong check digit", `#exporter-form button[type=submit]`, http.StatusBadRequest)
	b.expectContains("BIN error", "#err-bin", "check digit")
	b.do("correct the BIN", 5*time.Second, chromedp.SetValue(chromedp.CSS(`#exporter-form input[name=bin]`), binAluminium))
	b.follow("register the exporter", `#exporter-form button[type=submit]`, http.StatusOK)
	if p := b.path(); p != "/attache/deals/new" {
		t.Fatalf("after registering, the browser is at %s, want the new deal form", p)
	}
	if v := run(b, "read the exporter field", 5*time.Second, chromedp.Value(chromedp.CSS(`#deal-form input[name=exporter_bin]`))); v != binAluminium {
		t.Fatalf("the new deal form names exporter %q, want %s", v, binAluminium)
	}

	// 2. The HS picker finds unwrought aluminium by its words.
	b.do("search the HS picker", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(`.hs-picker .hs-search`), "unwrought aluminium"),
		chromedp.WaitVisible(chromedp.CSS(`button.hs-option[data-code="760110"]`)),
	)
	b.screenshot("exports-1-hs-picker")
	b.do("pick 760110", 5*time.Second, chromedp.Click(chromedp.CSS(`button.hs-option[data-code="760110"]`)))
	if v := run(b, "read the HS field", 5*time.Second, chromedp.Value(chromedp.ID("hs_code"))); v != "760110" {
		t.Fatalf("after picking, the HS code field holds %q", v)
	}
	b.expectContains("classification shown", "#hs_code-chosen", "Non-ferrous metallurgy · non-raw")

	// 3. Bad values are refused field by field, and nothing is stored.
	b.do("type a decimal comma", 5*time.Second, chromedp.SendKeys(chromedp.CSS(`#deal-form input[name=value_amount]`), "12,5"))
	b.follow("submit a decimal comma", `#deal-form button[type=submit]`, http.StatusBadRequest)
	b.expectContains("decimal comma error", "#err-value_amount", "decimal comma")
	b.do("type an exponent and a code that does not exist", 5*time.Second,
		chromedp.SetValue(chromedp.CSS(`#deal-form input[name=value_amount]`), "1e309"),
		chromedp.SetValue(chromedp.ID("hs_code"), "760130"),
	)
	b.follow("submit an exponent", `#deal-form button[type=submit]`, http.StatusBadRequest)
	b.expectContains("exponent error", "#err-value_amount", "exponent")
	b.expectContains("unknown HS code error", "#err-hs_code", "not a code of the HS 2022 nomenclature")
	b.screenshot("exports-2-deal-errors")
	if n := dealCount(t, api, berlin); n != 0 {
		t.Fatalf("refused deals stored %d deals", n)
	}
	b.do("correct the deal", 5*time.Second,
		chromedp.SetValue(chromedp.CSS(`#deal-form input[name=value_amount]`), "1500000"),
		chromedp.SetValue(chromedp.ID("hs_code"), "760110"),
		chromedp.SendKeys(chromedp.CSS(`#deal-form input[name=buyer_name]`), "Hamburg Metall AG"),
		chromedp.SetValue(chromedp.CSS(`#deal-form select[name=value_currency]`), "USD"),
	)
	b.follow("create the aluminium deal", `#deal-form button[type=submit]`, http.StatusOK)
	if p := b.path(); !dealPath.MatchString(p) {
		t.Fatalf("after creating, the browser is at %s", p)
	}
	b.expectContains("saved", "p.ok", "Saved")

	// 4. Move it: negotiating, then contracted on a given day.
	b.do("choose negotiating", 5*time.Second, chromedp.SetValue(chromedp.CSS(`#stage-form select[name=stage]`), "negotiating"))
	b.follow("move to negotiating", `#stage-form button[type=submit]`, http.StatusOK)
	contract := time.Now().AddDate(0, 0, -2).Format(time.DateOnly)
	b.do("choose contracted", 5*time.Second,
		chromedp.SetValue(chromedp.CSS(`#stage-form select[name=stage]`), "contracted"),
		chromedp.SetValue(chromedp.CSS(`#stage-form input[name=contract_date]`), contract),
	)
	b.follow("move to contracted", `#stage-form button[type=submit]`, http.StatusOK)
	b.expectContains("stage shown", "h1 .stage", "Contracted")
	b.expectContains("contract day shown", "#stage-form p", "contract of "+i18n.Date(i18n.EN, contract))

	// 5. Two more deals, their codes typed directly.
	for _, x := range []struct{ bin, name string }{{binRefinery, "Shymkent Refinery LLP"}, {binOilfield, "Atyrau Oilfield JSC"}} {
		r := stacktest.Do(t, "POST", api+"/exporters", berlin, `{"bin":"`+x.bin+`","name":"`+x.name+`"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("register %s: %d %s", x.name, r.Status, r.Body)
		}
	}
	var lastDeal time.Time
	for _, d := range []struct{ bin, hs, value string }{{binRefinery, "271012", "800000"}, {binOilfield, "270900", "4000000"}} {
		b.do("open a new deal", 10*time.Second, chromedp.Navigate(b.base+"/attache/deals/new"), chromedp.WaitVisible(chromedp.ID("deal-form")),
			chromedp.SendKeys(chromedp.CSS(`#deal-form input[name=exporter_bin]`), d.bin),
			chromedp.SendKeys(chromedp.ID("hs_code"), d.hs),
			chromedp.SendKeys(chromedp.CSS(`#deal-form input[name=value_amount]`), d.value),
			chromedp.SetValue(chromedp.CSS(`#deal-form select[name=value_currency]`), "USD"),
		)
		b.follow("create the deal for "+d.hs, `#deal-form button[type=submit]`, http.StatusOK)
		lastDeal = time.Now()
		if p := b.path(); !dealPath.MatchString(p) {
			t.Fatalf("after creating the deal for %s, the browser is at %s", d.hs, p)
		}
	}
	// The HS picker's search in Russian and Kazakh answers in the request's language, with the English beside it.
	for _, tt := range []struct{ q, lang, want string }{
		{"пшеница", "ru", `"code":"100111","description":"Cereals; wheat and meslin, durum wheat, seed"`},
		{"пшеница", "ru", `"within":"Пшеница и меслин"`},
		{"бидай", "kk", `"code":"1001","description":"Бидай және меслин (бидай мен қарабидай қоспасы)"`},
		{"бидай", "kk", `"description_en":"Wheat and meslin"`},
		{"wheat", "en", `"code":"1001","description":"Wheat and meslin"`},
	} {
		r := stacktest.Do(t, "GET", b.base+"/api/hs?limit=50&q="+url.QueryEscape(tt.q), berlin, "", "Accept-Language", tt.lang)
		if r.Status != 200 || !strings.Contains(string(r.Body), tt.want) {
			t.Errorf("/api/hs?q=%s in %s: %d %s\nwant %s", tt.q, tt.lang, r.Status, r.Body, tt.want)
		}
	}
	// How long until the analysts' figures have the last deal (logged, not asserted).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r := stacktest.Do(t, "GET", b.base+"/api/exports/stages", stacktest.Tokens["analyst"], "")
		if strings.Contains(string(r.Body), `"stage":"opportunity","deals":2`) {
			t.Logf("the last deal was in the analysts' figures %s after the attaché saved it", time.Since(lastDeal).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s the analysts' stages figure is %s", r.Body)
		}
	}
	b.do("open the deals board", 10*time.Second, chromedp.Navigate(b.base+"/attache/deals"), chromedp.WaitVisible(chromedp.CSS(`.deals-board`)))
	cards := run(b, "read the board", 5*time.Second, chromedp.Evaluate[map[string][]string](`Object.fromEntries(
		[...document.querySelectorAll('.deals-board .column')].map(c => [c.dataset.stage, [...c.querySelectorAll('.lead-card')].map(a => a.textContent.replace(/\s+/g, " ").trim())]))`))
	if len(cards["contracted"]) != 1 || !strings.Contains(cards["contracted"][0], "HS 760110") || len(cards["opportunity"]) != 2 {
		t.Fatalf("deals board: %q", cards)
	}
	if c := strings.Join(cards["opportunity"], " | "); !strings.Contains(c, "Mining · raw") || !strings.Contains(c, "Petrochemistry and oil refining · non-raw") {
		t.Errorf("the board does not show each deal's classification: %q", c)
	}
	b.checkLayout("deals board")
	b.screenshot("exports-3-deals-board")

	// 6. Report a barrier on wheat, with the picker; verify it.
	b.do("open the barrier form", 10*time.Second, chromedp.Navigate(b.base+"/attache/barriers/new"), chromedp.WaitVisible(chromedp.ID("barrier-form")),
		chromedp.SetValue(chromedp.CSS(`#barrier-form select[name=type]`), "sps"),
		chromedp.SendKeys(chromedp.CSS(`#barrier-form input[name=title]`), "Extra laboratory tests on Kazakh wheat"),
		chromedp.SendKeys(chromedp.CSS(`#barrier-form textarea[name=description]`), "Every lot is tested again at the border, 10 days of delay."),
		chromedp.SendKeys(chromedp.CSS(`.hs-picker .hs-search`), "durum wheat"),
		chromedp.WaitVisible(chromedp.CSS(`button.hs-option[data-code="100119"]`)),
		chromedp.Click(chromedp.CSS(`button.hs-option[data-code="100119"]`)),
		chromedp.SendKeys(chromedp.CSS(`.hs-picker .hs-search`), "other than durum wheat"),
		chromedp.WaitVisible(chromedp.CSS(`button.hs-option[data-code="100199"]`)),
		chromedp.Click(chromedp.CSS(`button.hs-option[data-code="100199"]`)),
		chromedp.SendKeys(chromedp.CSS(`#barrier-form input[name=value_amount]`), "2500000"),
		chromedp.SetValue(chromedp.CSS(`#barrier-form select[name=value_currency]`), "EUR"),
		chromedp.SetValue(chromedp.CSS(`#barrier-form select[name=lead_agency]`), "moa"),
	)
	if v := run(b, "read the HS codes", 5*time.Second, chromedp.Value(chromedp.ID("hs_codes"))); v != "100119, 100199" {
		t.Fatalf("the picker put %q in the barrier's HS codes", v)
	}
	b.follow("report the barrier", `#barrier-form button[type=submit]`, http.StatusOK)
	if p := b.path(); !barrierPath.MatchString(p) {
		t.Fatalf("after reporting, the browser is at %s", p)
	}
	b.do("verify it", 5*time.Second,
		chromedp.SetValue(chromedp.CSS(`#status-form select[name=status]`), "verified"),
		chromedp.SendKeys(chromedp.CSS(`#status-form input[name=comment]`), "confirmed with the exporters' union"),
	)
	b.follow("change the status", `#status-form button[type=submit]`, http.StatusOK)
	b.expectContains("status shown", "h1 .stage", "Verified")
	b.do("add a progress note", 5*time.Second, chromedp.SendKeys(chromedp.CSS(`#barrier-form input[name=note_text]`), "Raised with the veterinary service"))
	b.follow("save the note", `#barrier-form button[type=submit]`, http.StatusOK)
	b.expectContains("note shown", "main aside section:nth-of-type(1) ol", "Raised with the veterinary service")
	b.checkLayout("barrier page")
	b.screenshot("exports-4-barrier")

	// 7. The analyst's Exports page: aluminium and refined oils count as
	// non-raw in their sectors, crude oil as raw mining. Every stage counts
	// in the sector figures: 1,500,000 + 800,000 + 4,000,000 USD.
	b.follow("sign out", `header form.who button[type=submit]`, http.StatusOK)
	b.signIn(stacktest.Tokens["analyst"], "/analyst/scorecard")
	want := map[string][]string{
		"Non-ferrous metallurgy":          {"1", "1,500,000.00", "1,500,000.00", "0", "0"},
		"Petrochemistry and oil refining": {"1", "800,000.00", "800,000.00", "0", "0"},
		"Mining":                          {"1", "4,000,000.00", "0.00", "0", "0"},
	}
	var sectors map[string][]string
	until := time.Now().Add(10 * time.Second)
	for {
		b.do("open the Exports page", 10*time.Second, chromedp.Navigate(b.base+"/analyst/exports"))
		sectors = waitFor[map[string][]string](b, "read the sectors table", 5*time.Second, `(() => {
			const rows = [...document.querySelectorAll("#table-sectors tbody tr")];
			if (!rows.length) return null;
			return Object.fromEntries(rows.map(tr => [tr.cells[0].textContent.trim(), [...tr.cells].slice(1).map(td => td.textContent.trim())]));
		})()`)
		if reflectEqual(sectors, want) {
			break
		}
		if time.Now().After(until) {
			t.Fatalf("the Exports page's sectors after 10 s: %q, want %q", sectors, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
	committed := waitFor[string](b, "wait for the headline", 5*time.Second,
		`(() => { const t = document.getElementById("h-committed").textContent.trim(); return t === "…" ? null : t; })()`)
	if !strings.Contains(committed, "1.5 m") { // only the aluminium deal is contracted
		t.Errorf("headline committed value: %q, want USD 1.5 m", committed)
	}
	b.checkLayout("Exports page")
	b.screenshot("exports-5-analyst")
	// Issue 16: the switch to KZT is a link that keeps the filters; the page then shows tenge.
	b.do("switch the Exports page to KZT", 10*time.Second, chromedp.Click(chromedp.CSS(`#unit-switch a`)), chromedp.WaitVisible(chromedp.CSS(`#unit-switch strong`)))
	inKZT := waitFor[string](b, "wait for the headline in KZT", 5*time.Second,
		`(() => { const t = document.getElementById("h-committed").textContent.trim(); return t === "…" || !location.search.includes("in=KZT") ? null : t; })()`)
	if !strings.Contains(inKZT, "KZT") {
		t.Errorf("headline committed value in KZT: %q", inKZT)
	}
	b.noExceptions()
}

func reflectEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if strings.Join(a[k], "|") != strings.Join(v, "|") {
			return false
		}
	}
	return true
}

// dealCount is how many deals the attaché's post has, from the API.
func dealCount(t *testing.T, api, token string) int {
	t.Helper()
	r := stacktest.Do(t, "GET", api+"/deals", token, "")
	var out struct {
		Deals []httpapi.DealJSON
		Total int
	}
	r.JSON(t, &out)
	return out.Total
}

// expectContains checks that the text of the first element of selector contains want.
func (b *browser) expectContains(what, selector, want string) {
	b.t.Helper()
	got := run(b, what, 5*time.Second, chromedp.TextContent(chromedp.CSS(selector)))
	if !strings.Contains(strings.Join(strings.Fields(got), " "), want) {
		b.t.Errorf("%s: %s shows %q, want it to contain %q", what, selector, got, want)
	}
}
