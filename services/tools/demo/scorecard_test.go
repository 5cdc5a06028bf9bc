package demo_test

// The scorecard on the demo data, checked against an independent
// computation: the records as the services' APIs give them (leads and their
// dated histories, deals with their HS classification), converted in Go
// with the rates file, and summed here by the figures' definitions
// (analytics/kpi.go). Nothing of ClickHouse or its SQL is shared.

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/services/exports/httpapi"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
	"econdip/services/test/stacktest"
	"econdip/services/tools/demo"
)

// figure is one (scope, code, metric, year) value and the markets behind it.
type figure struct {
	value   decimal.Decimal
	markets map[string]bool
}

type figures map[string]*figure

func (fs figures) add(scope, code, metric string, year int, v decimal.Decimal) *figure {
	k := fmt.Sprintf("%s/%s/%s/%d", scope, code, metric, year)
	if fs[k] == nil {
		fs[k] = &figure{value: decimal.Zero, markets: map[string]bool{}}
	}
	fs[k].value = fs[k].value.Add(v)
	return fs[k]
}

func TestScorecardOnTheDemoDataMatchesAnIndependentComputation(t *testing.T) {
	s, tokens := stacktest.StartWithUsers(t, stacktest.DemoUsers())
	ctx := context.Background()
	ref := s.Ref
	rates, err := ref.DemoRates() // what the stack loaded from its rates file
	if err != nil {
		t.Fatal(err)
	}
	leads := demo.Generate(seed, 240, ref)
	loader := demo.Loader{BaseURL: "http://" + s.LeadsAddr, TokenFor: func(post string) (string, bool) { tok, ok := tokens["attache."+post]; return tok, ok }}
	if _, err := loader.Load(ctx, seed, leads); err != nil {
		t.Fatal(err)
	}
	plan := demo.GenerateExports(seed, time.Now(), ref)
	xl := &demo.ExportsLoader{BaseURL: "http://" + s.ExportsAddr, AdminToken: tokens["admin"],
		TokenFor: func(post string) (string, bool) { tok, ok := tokens["attache."+post]; return tok, ok }}
	if _, err := xl.Load(ctx, seed, plan); err != nil {
		t.Fatal(err)
	}

	want := figures{}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	convert := func(amount, currency string, on time.Time) (decimal.Decimal, bool) {
		c, err := rates.Convert(decimal.RequireFromString(amount), currency, on, reference.DefaultRateLimits)
		return c.USD, err == nil
	}

	// Leads, from the leads API: committed and realised by the day they
	// entered the stage, if they still count.
	list := listLeads(t, s.LeadsAddr, tokens["analyst"])
	if list.Total != len(leads) {
		t.Fatalf("the leads API lists %d leads, %d were loaded", list.Total, len(leads))
	}
	noRate := 0
	for _, l := range list.Leads {
		entered := map[string]string{}
		for _, c := range leadHistory(t, s.LeadsAddr, l.ID, tokens["analyst"]) {
			if c.To != "" && entered[c.To] == "" {
				entered[c.To] = c.EffectiveOn
			}
		}
		sector := l.Sector
		if sector == "" {
			sector = "unassigned"
		}
		keys := [][2]string{{"sector", sector}}
		for _, c := range l.Clauses {
			keys = append(keys, [2]string{"clause", c})
		}
		for _, m := range []struct {
			stage, usdMetric string
			now              []string
		}{
			{"committed", "investment_committed_usd", []string{"committed", "implementing", "operational"}},
			{"implementing", "investment_realised_usd", []string{"implementing", "operational"}},
		} {
			on := entered[m.stage]
			if on == "" || !slices.Contains(m.now, l.Stage) {
				continue
			}
			usd, ok := convert(string(l.Capex.Amount), l.Capex.Currency, day(on))
			if !ok {
				noRate++
			}
			for _, k := range keys {
				want.add(k[0], k[1], m.usdMetric, day(on).Year(), usd)
				if m.stage == "committed" {
					want.add(k[0], k[1], "projects", day(on).Year(), decimal.NewFromInt(1))
					want.add(k[0], k[1], "jobs", day(on).Year(), decimal.NewFromInt(int64(l.ExpectedJobs)))
				}
			}
		}
	}

	// Deals, from the exports API: signed deals by their deal date.
	var deals struct {
		Deals []httpapi.DealJSON
		Total int
	}
	getURL(t, "http://"+s.ExportsAddr+"/api/v1/deals?limit=500", tokens["analyst"], &deals)
	if deals.Total != len(plan.Deals) {
		t.Fatalf("the exports API lists %d deals, %d were loaded", deals.Total, len(plan.Deals))
	}
	astana := kernel.Astana
	for _, d := range deals.Deals {
		if !slices.Contains(analytics.CommittedStages, d.Stage) {
			continue
		}
		on := d.CreatedAt.In(astana)
		on = time.Date(on.Year(), on.Month(), on.Day(), 0, 0, 0, 0, time.UTC)
		if d.ContractDate != "" {
			on = day(d.ContractDate)
		}
		usd, ok := convert(string(d.Value.Amount), d.Value.Currency, on)
		if !ok {
			noRate++
		}
		nonRaw := decimal.Zero
		if !d.Raw {
			nonRaw = usd
		}
		sector := d.Sector
		if sector == "" {
			sector = "unassigned"
		}
		keys := [][2]string{{"sector", sector}}
		for _, c := range d.Clauses {
			keys = append(keys, [2]string{"clause", c})
		}
		for _, k := range keys {
			want.add(k[0], k[1], "non_raw_exports_usd", on.Year(), nonRaw)
			want.add(k[0], k[1], "export_markets", on.Year(), decimal.Zero).markets[d.BuyerCountry] = true
		}
	}
	for _, f := range want {
		if len(f.markets) > 0 {
			f.value = decimal.NewFromInt(int64(len(f.markets)))
		}
	}

	// Every figure of the scorecard, every year, against the computation;
	// and every computed figure is on the scorecard.
	stacktest.Eventually(t, 15*time.Second, "the demo data in ClickHouse", func() (bool, error) {
		rows, err := analytics.InvestmentByYear(ctx, s.CH, analytics.Committed, analytics.ByTotal, analytics.KPIFilter{})
		var n uint64
		for _, r := range rows {
			n += r.Projects
		}
		exports, err2 := analytics.ExportsByYear(ctx, s.CH, analytics.ByTotal, analytics.KPIFilter{})
		var m uint64
		for _, r := range exports {
			m += r.Deals
		}
		return err == nil && err2 == nil && n > 0 && m > 0 && n == countProjects(want) && m == countSigned(deals.Deals), nil
	})
	seen, compared := map[string]bool{}, 0
	for year := 2020; year <= time.Now().Year(); year++ {
		rows, err := analytics.Scorecard(ctx, s.CH, analytics.ScorecardFilter{Year: year, Today: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			k := fmt.Sprintf("%s/%s/%s/%d", r.Scope, r.Code, r.Metric, year)
			w := decimal.Zero
			if f := want[k]; f != nil {
				w = f.value
			}
			if !r.Actual.Equal(w) {
				t.Errorf("%s: scorecard %s, computed %s", k, r.Actual, w)
			}
			seen[k] = true
			compared++
		}
	}
	for k, f := range want {
		if !seen[k] && !f.value.IsZero() {
			t.Errorf("%s = %s is not on the scorecard", k, f.value)
		}
	}
	t.Logf("compared %d scorecard figures over %d years; %d records without rate", compared, time.Now().Year()-2019, noRate)
	if compared < 500 {
		t.Errorf("only %d figures compared", compared)
	}
}

// countProjects is the number of committed projects in the computation
// (each lead is under one sector).
func countProjects(fs figures) uint64 {
	var n uint64
	for k, f := range fs {
		if strings.HasPrefix(k, "sector/") && strings.Contains(k, "/projects/") {
			n += uint64(f.value.IntPart())
		}
	}
	return n
}

func countSigned(deals []httpapi.DealJSON) uint64 {
	var n uint64
	for _, d := range deals {
		if slices.Contains(analytics.CommittedStages, d.Stage) {
			n++
		}
	}
	return n
}

func getURL(t *testing.T, url, token string, out any) {
	t.Helper()
	r := stacktest.Do(t, http.MethodGet, url, token, "")
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, r.Status, r.Body)
	}
	r.JSON(t, out)
}
