package dashboards_test

// Issue 16 on the commissions and the partner-country pages: a switch to
// KZT kept in the URL (in=KZT), amounts in both units in the JSON and every
// CSV, each record's rate day. The stale and too-old flags are computed in
// analytics (kztpages_*_test.go there, against the National Bank's rates).
//
//	go test -count=1 -run 'KZT' ./dashboards/ -v

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
	"econdip/services/test/stacktest"
)

func TestCommissionAndCountryPagesInKZT(t *testing.T) {
	start := time.Now()
	s := stacktest.Start(t)
	setupCommission(t, s)
	dash := "http://" + s.DashboardAddr
	leadsAPI := "http://" + s.LeadsAddr + "/api/v1/leads"
	beijing, analyst := stacktest.Tokens["attache.cn-beijing"], stacktest.Tokens["analyst"]
	scLead(t, leadsAPI, beijing, scLeadBody("Jiangsu Agro Co.", "CN", "Grain terminal", "agro_industrial", `"2.2"`, "300000.55", 30),
		[]string{"contacted", "qualified", "negotiating", "committed"}, []string{"2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01", "2025-07-01"})
	// The amount in tenge as the rates in use give it (the demo rates), on the day of the commitment.
	demo, err := reference.Default().DemoRates()
	if err != nil {
		t.Fatal(err)
	}
	conv, err := demo.Convert(decimal.RequireFromString("300000.55"), "USD", time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), reference.DefaultRateLimits)
	if err != nil {
		t.Fatal(err)
	}
	var body string
	// Its last version: ingest stores a lone event at once, so the first
	// versions show before the commitment does.
	stacktest.Eventually(t, scorecardBudget-time.Since(start)-10*time.Second, "the committed lead in the country figures", func() (bool, error) {
		_, body, _ = figureBody(t, dash+"/api/countries/leads?country=CN&in=KZT", analyst)
		return strings.Contains(body, "Grain terminal") && strings.Contains(body, `"stage":"committed"`), nil
	})
	r := stacktest.Do(t, "GET", dash+"/api/countries/leads?country=CN&in=KZT", analyst, "")
	var raw struct {
		Rows []map[string]any `json:"rows"`
	}
	r.JSON(t, &raw)
	if len(raw.Rows) != 1 || raw.Rows[0]["kzt"] != conv.KZT.StringFixed(2) && raw.Rows[0]["kzt"] != conv.KZT.String() || raw.Rows[0]["rate_day"] == nil {
		t.Errorf("the lead in KZT: %s; want kzt %s", r.Body, conv.KZT)
	}
	// The year's committed figure in KZT is the record's.
	r = stacktest.Do(t, "GET", dash+"/api/countries/years?country=CN&years=2025", analyst, "")
	var years struct {
		Rows []struct {
			Year         int
			CommittedUSD decimal.Decimal `json:"committed_usd"`
			CommittedKZT decimal.Decimal `json:"committed_kzt"`
		}
	}
	r.JSON(t, &years)
	if len(years.Rows) != 1 || !years.Rows[0].CommittedKZT.Equal(conv.KZT) || !years.Rows[0].CommittedUSD.Equal(conv.USD) {
		t.Errorf("2025 of CN: %s; want %s KZT, %s USD", r.Body, conv.KZT, conv.USD)
	}
	// Every CSV carries both units, and the records their rate day.
	header := func(path string) string {
		t.Helper()
		_, body, _ := figureBody(t, dash+path, analyst)
		h, _, _ := strings.Cut(strings.TrimPrefix(body, "\ufeff"), "\n")
		return "," + h + ","
	}
	for path, cols := range map[string][]string{
		"/api/countries/overview.csv?in=KZT":          {"committed_usd", "committed_kzt", "exports_usd", "exports_kzt", "pipeline_weighted_kzt", "open_value_at_stake_kzt", "open_stale_rate"},
		"/api/countries/pipeline.csv?country=CN":      {"capex_usd", "capex_kzt", "weighted_kzt", "stale_rate", "max_rate_age_days", "rate_too_old"},
		"/api/countries/deal-stages.csv?country=CN":   {"value_usd", "value_kzt", "deals_stale_rate"},
		"/api/countries/barrier-types.csv?country=CN": {"open_value_at_stake_usd", "open_value_at_stake_kzt"},
		"/api/countries/years.csv?country=CN":         {"committed_usd", "committed_kzt", "realised_kzt", "resolved_value_kzt", "deals_stale_rate"},
		"/api/countries/leads.csv?country=CN":         {"usd", "kzt", "rate_day", "stale_rate", "rate_too_old"},
		"/api/countries/deals.csv?country=CN":         {"usd", "kzt", "rate_day"},
		"/api/countries/barriers.csv?country=CN":      {"usd", "kzt", "rate_day"},
		"/api/commissions/investment.csv?in=KZT":      {"capex_usd", "capex_kzt", "leads_stale_rate", "leads_rate_too_old"},
		"/api/commissions/decision-leads.csv?in=KZT":  {"capex_usd", "capex_kzt", "lead_rate_days"},
	} {
		h := header(path)
		for _, c := range cols {
			if !strings.Contains(h, ","+c+",") {
				t.Errorf("%s: no column %s in %s", path, c, h)
			}
		}
	}
	// The pages: the scorecard's switch, kept in the URL and the filters' form.
	for _, path := range []string{"/analyst/countries?country=CN&in=KZT", "/analyst/countries?in=KZT", "/analyst/commissions?in=KZT"} {
		status, body := get(t, dash+path, analyst)
		if status != http.StatusOK || !strings.Contains(body, `id="unit-switch"`) || !strings.Contains(body, `<strong aria-current="true">KZT</strong>`) ||
			!strings.Contains(body, `<input type="hidden" name="in" value="KZT">`) || !strings.Contains(body, `/static/moneyunit.js`) {
			t.Errorf("%s: %d, no KZT switch:\n%.2000s", path, status, body)
		}
	}
	// The pipeline by stage in KZT is its leads' tenge (here the one lead's);
	// the country page in KZT says so in its headers.
	r = stacktest.Do(t, "GET", dash+"/api/countries/pipeline?country=CN&in=KZT", analyst, "")
	var stages struct {
		Rows []struct {
			Stage       string
			Leads       int
			CapexKZT    decimal.Decimal `json:"capex_kzt"`
			WeightedKZT decimal.Decimal `json:"weighted_kzt"`
		}
		Filter struct{ In string }
	}
	r.JSON(t, &stages)
	leadKZT, _ := decimal.NewFromString(fmt.Sprint(raw.Rows[0]["kzt"]))
	leadWeighted, _ := decimal.NewFromString(fmt.Sprint(raw.Rows[0]["weighted_kzt"]))
	if len(stages.Rows) != 1 || stages.Rows[0].Stage != "committed" || !stages.Rows[0].CapexKZT.Equal(leadKZT) ||
		!stages.Rows[0].WeightedKZT.Equal(leadWeighted) || stages.Filter.In != "KZT" {
		t.Errorf("pipeline by stage in KZT: %s; want the lead's %s KZT, weighted %s", r.Body, leadKZT, leadWeighted)
	}
	if status, body := get(t, dash+"/analyst/countries?country=CN&in=KZT&lang=en", analyst); status != http.StatusOK ||
		!strings.Contains(body, ">Capex KZT<") || !strings.Contains(body, ">Value KZT<") || !strings.Contains(body, ">Open value at stake KZT<") ||
		strings.Contains(body, ">Capex USD<") {
		t.Errorf("the country page in KZT: %d, headers not in KZT:\n%.3000s", status, body)
	}
	// The attaché's board in KZT: the card's tenge at today's rate, and the
	// column's and the board's totals the sum of the cards'.
	today := kernel.Today(time.Now()).Time()
	wantKZT := decimal.Zero
	if bc, err := demo.Convert(decimal.RequireFromString("300000.55"), "USD", today, reference.DefaultRateLimits); err == nil {
		wantKZT = bc.KZT
	}
	status, body := get(t, dash+"/attache/board?in=KZT&lang=en", beijing)
	total := i18n.Money(i18n.EN, wantKZT.Round(0), "KZT")
	if status != http.StatusOK || !strings.Contains(body, `<strong aria-current="true">KZT</strong>`) || !strings.Contains(body, `class="total-kzt">`+total+`</dd>`) ||
		!strings.Contains(body, "capex "+total) || strings.Contains(body, `class="total-usd"`) || !strings.Contains(body, `<input type="hidden" name="in" value="KZT">`) {
		t.Errorf("the board in KZT: %d, want a total of %s:\n%.4000s", status, total, body)
	}
	if !wantKZT.IsZero() && !strings.Contains(body, "≈ "+total) {
		t.Errorf("the board in KZT: no card of ≈ %s", total)
	}
	if status, body := get(t, dash+"/attache/board", beijing); status != http.StatusOK || !strings.Contains(body, `<strong aria-current="true">USD</strong>`) ||
		!strings.Contains(body, `class="total-usd"`) {
		t.Errorf("the board in USD: %d\n%.3000s", status, body)
	}
	if status, _ := get(t, dash+"/attache/board?in=EUR", beijing); status != http.StatusBadRequest {
		t.Errorf("the board in EUR: %d, want 400", status)
	}
	status, body = get(t, dash+"/analyst/commissions", analyst)
	if status != http.StatusOK || !strings.Contains(body, `<strong aria-current="true">USD</strong>`) || !strings.Contains(body, `in=KZT`) {
		t.Errorf("commissions in USD: %d\n%.2000s", status, body)
	}
	// Another unit is refused, field by field.
	for _, path := range []string{"/api/countries/summary?country=CN&in=EUR", "/api/commissions/investment?in=EUR"} {
		if r := stacktest.Do(t, "GET", dash+path, analyst, ""); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"in"`) {
			t.Errorf("%s: %d %s", path, r.Status, r.Body)
		}
	}
}
