package dashboards_test

// The global search and the decision page's link picker, through the
// dashboard and the search API of the whole stack:
//
//	go test -count=1 -run 'Search' ./dashboards/ -v

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"econdip/services/test/stacktest"
)

func TestSearchPageAndPickerAsTheirUsersMaySee(t *testing.T) {
	deadline, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	s := stacktest.Start(t)
	setupCommission(t, s)
	base := "http://" + s.DashboardAddr
	status, _, _ := postForm(t, base+"/secretariat/protocols", "tok-sec-cn", map[string]string{"idempotency_key": "k1", "number": "12",
		"date": day(-30), "place": "Beijing", "text_0": "Open a trade house in Urumqi", "agencies_0": "mti", "deadline_0": day(20), "clauses_0": "2.7"}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("record the protocol: %d", status)
	}
	deal := func(token, country, buyer string) string {
		t.Helper()
		if r := stacktest.Do(t, "POST", "http://"+s.ExportsAddr+"/api/v1/exporters", token, `{"bin":"990340004592","name":"Павлодар Алюминий АҚ"}`); r.Status != http.StatusCreated && r.Status != http.StatusOK {
			t.Fatalf("register the exporter: %d %s", r.Status, r.Body)
		}
		r := stacktest.Do(t, "POST", "http://"+s.ExportsAddr+"/api/v1/deals", token, `{"exporter_bin":"990340004592","buyer_country":"`+country+`","buyer_name":"`+buyer+`","hs_code":"760110",
			"value":{"amount":"1500000","currency":"USD"},"clauses":["2.7"],"support":[]}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create a deal: %d %s", r.Status, r.Body)
		}
		var d struct {
			ID      string
			Version int
		}
		_ = json.Unmarshal(r.Body, &d)
		// Contracted: the deal counts among the exports that followed from a decision.
		for _, stage := range []string{"negotiating", "contracted"} {
			r := stacktest.Do(t, "POST", "http://"+s.ExportsAddr+"/api/v1/deals/"+d.ID+"/stage", token, fmt.Sprintf(`{"version":%d,"stage":%q}`, d.Version, stage))
			if r.Status != http.StatusOK {
				t.Fatalf("deal to %s: %d %s", stage, r.Status, r.Body)
			}
			_ = json.Unmarshal(r.Body, &d)
		}
		return d.ID
	}
	chinese := deal("tok-beijing", "CN", "Shanghai Metals")
	german := deal("tok-berlin", "DE", "Rhein Metall")

	// The results page: each attaché finds their post's deal, typed in
	// capitals and without the Kazakh letters; never the other's.
	waitPage := func(token, q, want, not string) {
		t.Helper()
		until := time.Now().Add(10 * time.Second)
		for {
			status, page := get(t, base+"/search?q="+q, token)
			if status == 200 && strings.Contains(page, want) && (not == "" || !strings.Contains(page, not)) {
				return
			}
			if time.Now().After(until) {
				t.Fatalf("/search?q=%s as %s: %d, want %q and not %q:\n%s", q, token, status, want, not, page)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitPage("tok-beijing", "ПАВЛОДАР+алюминий+ак", `href="/attache/deals/`+chinese+`"`, german)
	waitPage("tok-berlin", "павлодар", `href="/attache/deals/`+german+`"`, chinese)
	waitPage("tok-analyst", "павлодар+rhein", `href="/records/deal/`+german+`"`, chinese)
	waitPage("tok-sec-cn", "urumqi", `href="/secretariat/decisions/`, "")

	// The picker, in a browser: the secretariat finds the Chinese deal (not
	// the German one), picks it, and the decision lists it.
	exe := chromium(t)
	b := startBrowser(t, deadline, exe, base)
	b.signIn(stacktest.Tokens["secretariat.igc-cn"], "")
	_, reg := get(t, base+"/secretariat/register", "tok-sec-cn")
	start := strings.Index(reg, `href="/secretariat/decisions/`)
	if start < 0 {
		t.Fatalf("no decision in the register:\n%s", reg)
	}
	link := reg[start+len(`href="`):]
	link = link[:strings.Index(link, `"`)]
	b.do("open the decision", 10*time.Second, chromedp.Navigate(base+link), chromedp.WaitVisible(chromedp.CSS(`#link-search`)))
	b.do("type in the picker", 5*time.Second, chromedp.SendKeys(chromedp.CSS(`#link-search`), "павлодар"))
	ids := waitFor[[]string](b, "the picker's results", 10*time.Second,
		`(() => { const ids = [...document.querySelectorAll('#link-results .link-pick')].map(e => e.dataset.kind + ":" + e.dataset.id); return ids.length ? ids : null })()`)
	if len(ids) != 1 || ids[0] != "deal:"+chinese {
		t.Fatalf("the picker offers %q, want only deal:%s (the partner country's)", ids, chinese)
	}
	b.do("pick the deal", 5*time.Second, chromedp.Click(chromedp.CSS(`#link-results .link-pick`)))
	b.follow("link", `#link-form button[type=submit]`, http.StatusOK)
	b.expectText("the linked deals", `#linked-deals`, chinese)

	// The commissions page counts the linked deal's value among the
	// exports that followed from the commission's decisions, once ingest
	// has it in ClickHouse.
	stacktest.Eventually(t, 60*time.Second, "the figure counts the linked deal", func() (bool, error) {
		r := stacktest.Do(t, "GET", base+"/api/commissions/decision-exports", "tok-sec-cn", "")
		return r.Status == http.StatusOK && strings.Contains(string(r.Body), `"igc-cn"`), nil
	})
	b.do("open the commissions page", 20*time.Second, chromedp.Navigate(base+"/analyst/commissions"), chromedp.WaitVisible(chromedp.CSS(`#table-decision-exports`)))
	row := waitFor[string](b, "the decision exports' row", 20*time.Second,
		`(() => { const r = document.querySelector('#table-decision-exports tbody tr'); return r && r.textContent.includes('1') ? r.textContent : null })()`)
	if digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, row); !strings.Contains(digits, "1500000") {
		t.Errorf("exports that followed from decisions: row %q, want the deal's 1,500,000", row)
	}
	b.noExceptions()
}
