package dashboards_test

// Issue 16 on the commissions and the partner-country pages: a switch to
// KZT kept in the URL (in=KZT), amounts in both units in the JSON and every
// CSV, each record's rate day. The stale and too-old flags are computed in
// analytics (kztpages_*_test.go there, against the National Bank's rates).
//
//	go test -count=1 -run 'KZT' ./dashboards/ -v

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

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
	stacktest.Eventually(t, scorecardBudget-time.Since(start)-10*time.Second, "the lead in the country figures", func() (bool, error) {
		_, body, _ = figureBody(t, dash+"/api/countries/leads?country=CN&in=KZT", analyst)
		return strings.Contains(body, "Grain terminal"), nil
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
		"/api/countries/overview.csv?in=KZT":         {"committed_usd", "committed_kzt", "exports_usd", "exports_kzt", "pipeline_weighted_kzt"},
		"/api/countries/years.csv?country=CN":        {"committed_usd", "committed_kzt", "realised_kzt", "resolved_value_kzt", "deals_stale_rate"},
		"/api/countries/leads.csv?country=CN":        {"usd", "kzt", "rate_day", "stale_rate", "rate_too_old"},
		"/api/countries/deals.csv?country=CN":        {"usd", "kzt", "rate_day"},
		"/api/countries/barriers.csv?country=CN":     {"usd", "kzt", "rate_day"},
		"/api/commissions/investment.csv?in=KZT":     {"capex_usd", "capex_kzt", "leads_stale_rate", "leads_rate_too_old"},
		"/api/commissions/decision-leads.csv?in=KZT": {"capex_usd", "capex_kzt", "lead_rate_days"},
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
	status, body := get(t, dash+"/analyst/commissions", analyst)
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
