package dashboards_test

// The attaché's pages in Russian, in a real browser: the board with amounts
// grouped the Russian way, probabilities, weighted values, column totals and
// days in stage; a lead page with the stage move at the top; a validation
// error in Russian; and every attaché page at 390 px without a horizontal
// scroll.
//
//	go test -count=1 -run UIAttacheRussian ./dashboards/ -v

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"econdip/services/test/stacktest"
)

// rawKey is a catalogue key shown instead of its text.
const rawKeyPattern = `\b(ui|js|error|enum)\.[a-z_]+\.[a-z_]`

var cyrillic = regexp.MustCompile(`[А-Яа-яЁё]`)

func TestUIAttacheRussianBoardLeadAndNarrowScreens(t *testing.T) {
	deadline, cancelAll := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancelAll()
	exe := chromium(t)
	s := stacktest.Start(t)
	b := startBrowser(t, deadline, exe, "http://"+s.DashboardAddr)
	const berlin = "tok-berlin"
	created := func(url, body string) string {
		t.Helper()
		r := stacktest.Do(t, "POST", url, berlin, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("POST %s: %d %s", url, r.Status, r.Body)
		}
		var out struct{ ID string }
		r.JSON(t, &out)
		return out.ID
	}
	leads := "http://" + s.LeadsAddr + "/api/v1/leads"
	// A Norwegian lead identified 40 days ago: past identified's 30 days.
	norway := created(leads, fmt.Sprintf(`{"investor_name":"Nordic Hydro ASA","investor_country":"NO","title":"Hydro plant in Almaty region",
		"clauses":["2.2"],"investment_type":"greenfield","capex":{"amount":"1350000000","currency":"NOK"},"source":"event","identified_on":%q}`, day(-40)))
	lost := created(leads, scLeadBody("Rhein GmbH", "DE", "Tractor plant", "", `"2.2"`, "5000000", 10))
	if r := stacktest.Do(t, "POST", leads+"/"+lost+"/stage", berlin,
		`{"version":1,"stage":"lost","lost_reason":"chose a site in Uzbekistan","competing_country":"UZ","comment":"lost"}`); r.Status != http.StatusOK {
		t.Fatalf("lose the lead: %d %s", r.Status, r.Body)
	}
	exports := "http://" + s.ExportsAddr + "/api/v1"
	if r := stacktest.Do(t, "POST", exports+"/exporters", berlin, `{"bin":"990340004592","name":"Pavlodar Aluminium JSC"}`); r.Status != http.StatusCreated {
		t.Fatalf("register the exporter: %d %s", r.Status, r.Body)
	}
	deal := created(exports+"/deals", `{"exporter_bin":"990340004592","buyer_country":"DE","hs_code":"760110",
		"value":{"amount":"1500000","currency":"EUR"},"clauses":["2.7"],"support":["b2b_meeting"]}`)
	barrier := created(exports+"/barriers", `{"country":"DE","hs_codes":["100199"],"type":"sps","title":"Wheat import ban",
		"description":"x","lead_agency":"moa","clauses":["2.6"],"value_at_stake":{"amount":"2500000","currency":"EUR"}}`)

	b.signIn(berlin, "/attache/board")
	b.do("open the board in Russian", 10*time.Second, chromedp.EmulateViewport(1400, 900),
		chromedp.Navigate(b.base+"/attache/board?lang=ru"), chromedp.WaitVisible(chromedp.CSS(`.board`)))

	// 1. The board.
	type boardPage struct {
		Lang    string              `json:"lang"`
		H1      string              `json:"h1"`
		Stages  []string            `json:"stages"`
		Cards   map[string][]string `json:"cards"`
		Totals  map[string]string   `json:"totals"`
		Stalled int                 `json:"stalled"`
		RawKeys []string            `json:"rawKeys"`
	}
	page := run(b, "read the board", 5*time.Second, chromedp.Evaluate[boardPage](`(() => {
		const text = e => e.textContent.replace(/\s+/g, " ").trim();
		const out = {lang: document.documentElement.lang, h1: text(document.querySelector("h1")), stages: [], cards: {}, totals: {},
			stalled: document.querySelectorAll(".lead-card.stalled .stalled-mark").length,
			rawKeys: document.body.innerText.match(/`+rawKeyPattern+`/g) || []};
		for (const col of document.querySelectorAll(".board .column")) {
			out.stages.push(col.dataset.stage);
			out.cards[col.dataset.stage] = [...col.querySelectorAll("a.lead-card")].map(text);
			out.totals[col.dataset.stage] = col.querySelector(".column-totals").innerText.replace(/\s+/g, " ").trim();
		}
		return out;
	})()`))
	if page.Lang != "ru" || !strings.Contains(page.H1, "Воронка проектов") {
		t.Errorf("board: <html lang=%q>, h1 %q; want ru and «Воронка проектов»", page.Lang, page.H1)
	}
	if want := []string{"identified", "contacted", "qualified", "negotiating", "committed", "implementing", "operational", "on_hold", "lost"}; !slices.Equal(page.Stages, want) {
		t.Errorf("board columns %q, want the pipeline order %q", page.Stages, want)
	}
	if len(page.RawKeys) > 0 {
		t.Errorf("board shows catalogue keys: %q", page.RawKeys)
	}
	card := strings.Join(page.Cards["identified"], "")
	for _, want := range []string{"Nordic Hydro ASA", "1 350 000 000 NOK", "вероятность 5 %", "взвешенная", "USD", "на этапе", "задерживается"} {
		if !strings.Contains(card, want) {
			t.Errorf("the identified card %q lacks %q", card, want)
		}
	}
	if !regexp.MustCompile(`40 дней на этапе`).MatchString(card) {
		t.Errorf("the identified card %q does not say 40 days in stage («40 дней на этапе»)", card)
	}
	if page.Stalled != 1 {
		t.Errorf("%d cards marked stalled, want 1 (the one 40 days in identified)", page.Stalled)
	}
	if tot := page.Totals["identified"]; !strings.Contains(tot, "Проектов 1") || !strings.Contains(tot, "Капвложения") || !strings.Contains(tot, "Взвешенная") || !strings.Contains(tot, "USD") {
		t.Errorf("identified column totals %q: want the count, the sum and the weighted sum in USD", tot)
	}
	lostCard := strings.Join(page.Cards["lost"], "")
	if !strings.Contains(lostCard, "chose a site in Uzbekistan") || !strings.Contains(lostCard, "Uzbekistan") || !strings.Contains(lostCard, "Причина") {
		t.Errorf("the lost card %q lacks its reason and the competing country", lostCard)
	}
	b.screenshot("attache-ru-board-1400")

	// 2. The lead page: the stage move at the top, Russian labels, a percentage.
	b.do("open the lead", 10*time.Second, chromedp.Navigate(b.base+"/attache/leads/"+norway), chromedp.WaitVisible(chromedp.ID("stage-form")))
	type leadPage struct {
		StageFirst bool   `json:"stageFirst"`
		StageText  string `json:"stageText"`
		Labels     string `json:"labels"`
	}
	lp := run(b, "read the lead page", 5*time.Second, chromedp.Evaluate[leadPage](`(() => {
		const s = document.getElementById("stage-form"), f = document.getElementById("lead-form");
		return {stageFirst: !!(s.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING) && s.getBoundingClientRect().top < f.getBoundingClientRect().top,
			stageText: s.textContent.replace(/\s+/g, " ").trim(), labels: f.textContent.replace(/\s+/g, " ").trim()};
	})()`))
	if !lp.StageFirst {
		t.Error("the stage form is not above the lead form")
	}
	for _, want := range []string{"Перевести на этап", "Сейчас: Выявлен", "вероятность 5 %", "40 дней на этапе"} {
		if !strings.Contains(lp.StageText, want) {
			t.Errorf("stage form %q lacks %q", lp.StageText, want)
		}
	}
	for _, want := range []string{"Инвестор", "Компания", "Оценка капвложений", "Контактные лица"} {
		if !strings.Contains(lp.Labels, want) {
			t.Errorf("lead form lacks the label %q", want)
		}
	}
	b.screenshot("attache-ru-lead-1400")

	// 3. A validation error, in Russian, next to its field.
	b.do("open the new lead form", 10*time.Second, chromedp.Navigate(b.base+"/attache/leads/new"), chromedp.WaitVisible(chromedp.ID("lead-form")))
	b.do("type a lead without a title", 5*time.Second,
		chromedp.SendKeys(chromedp.CSS(`#lead-form input[name=investor_name]`), "Nordic Wind AS"),
		chromedp.SetValue(chromedp.CSS(`#lead-form select[name=investor_country]`), "NO"),
		chromedp.SendKeys(chromedp.CSS(`#lead-form input[name=capex_amount]`), "-5"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('lead-form').noValidate = true`),
	)
	b.follow("submit the invalid lead", `#lead-form button[type=submit]`, http.StatusBadRequest)
	for _, sel := range []string{"#err-title", "#err-capex_amount", "p.error"} {
		if got := run(b, "read "+sel, 5*time.Second, chromedp.TextContent(chromedp.CSS(sel))); !cyrillic.MatchString(got) {
			t.Errorf("%s reads %q, not Russian", sel, got)
		}
	}
	b.screenshot("attache-ru-lead-errors")

	// 4. Every attaché page at 390 px: no horizontal scroll, Russian, no raw keys.
	b.do("narrow the window", 5*time.Second, chromedp.EmulateViewport(390, 844))
	for i, p := range []string{"/attache/board", "/attache/leads/" + norway, "/attache/deals", "/attache/deals/" + deal, "/attache/barriers", "/attache/barriers/" + barrier} {
		b.do("open "+p+" at 390 px", 10*time.Second, chromedp.Navigate(b.base+p), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
		type narrow struct {
			Lang    string   `json:"lang"`
			Width   int      `json:"width"`
			RawKeys []string `json:"rawKeys"`
			Wide    []string `json:"wide"`
		}
		n := run(b, "measure "+p, 5*time.Second, chromedp.Evaluate[narrow](`(() => ({lang: document.documentElement.lang,
			width: document.documentElement.scrollWidth, rawKeys: document.body.innerText.match(/`+rawKeyPattern+`/g) || [],
			wide: [...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > 391 && !e.parentElement.closest(".board, .table-wrap")).slice(0, 5).map(e => e.tagName + "." + e.className + "#" + e.id)}))()`))
		if n.Lang != "ru" || len(n.RawKeys) > 0 {
			t.Errorf("%s at 390 px: lang %q, raw keys %q", p, n.Lang, n.RawKeys)
		}
		// The page's own content first (the board and tables scroll inside
		// their cards), then the whole document, header included.
		if len(n.Wide) > 0 {
			t.Errorf("%s at 390 px: the page's content sticks out: %q", p, n.Wide)
		} else if n.Width > 390 {
			t.Errorf("%s at 390 px: scrollWidth %d, want ≤ 390 (the page's content fits: the header is wider)", p, n.Width)
		}
		b.screenshot(fmt.Sprintf("attache-ru-390-%d", i))
	}
	b.noExceptions()
}
