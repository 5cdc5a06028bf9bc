package analytics_test

import (
	"context"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"econdip/analytics"
	"econdip/analytics/chtest"
	"econdip/services/platform/reference"
)

// Leads of the KZT test, linked from one decision of igc-uz.
const (
	l5 = "10000000-0000-4000-8000-000000000005"
	l6 = "10000000-0000-4000-8000-000000000006"
	l7 = "10000000-0000-4000-8000-000000000007"
)

// Done when (issue 16): the investment linked to a commission's decisions
// reads in KZT as the sum of the leads' capex converted by hand, says the
// rate day of each lead, flags the lead at a stale rate and counts the one
// whose rate is too old as without rate.
func TestCommissionInvestmentInKZTFlagsStaleRates(t *testing.T) {
	loadCommissionFixture(t)
	conn := chtest.Conn(t)
	ctx := context.Background()
	ref := reference.Default()
	rs, _, err := ref.ImportRates(nil, []reference.RatesInput{{Name: "03.11.2026.xml", Body: []byte(nbkDay)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := analytics.LoadRates(ctx, conn, rs, reference.DefaultRateLimits, "03.11.2026.xml"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		demo, _ := ref.DemoRates()
		if _, _, err := analytics.LoadRates(ctx, conn, demo, reference.DefaultRateLimits, "demo"); err != nil {
			t.Error(err)
		}
		removeLeads(t, conn, l5, l6, l7)
	})
	lead := func(id, title, capex, cur, stageDay string) analytics.LeadStateRow {
		r := investorLead(id, 1, title, capex, cur)
		r.StageDay = day(stageDay)
		return r
	}
	rows := &analytics.Rows{
		LeadStates: []analytics.LeadStateRow{
			lead(l5, "Rouble plant", "123456789.50", "RUB", "2026-11-05"), // 2 days after the rate
			lead(l6, "Som plant", "9876543210", "UZS", "2026-11-11"),      // 8 days: stale
			lead(l7, "Late som plant", "9876543210", "UZS", "2026-12-19"), // 46 days: too old
		},
		DecisionStates: []analytics.DecisionStateRow{
			decisionSpec{"uz", "uz-1", 1, 1, "2026-10-01", "1", "2027-06-30", "open", "", []string{"MFA"}, "mining", []string{"2.2"}, []string{l5, l6, l7}}.row(),
		},
	}
	if err := analytics.Write(ctx, conn, rows); err != nil {
		t.Fatal(err)
	}
	asOf := time.Date(2026, 12, 20, 0, 0, 0, 0, astana)
	f := analytics.CommissionFilter{CommissionID: "igc-uz"}
	inv, err := analytics.DecisionInvestment(ctx, conn, asOf, f)
	if err != nil {
		t.Fatal(err)
	}
	// By hand (nbk_test.go): 786,419,749.12 KZT (1,534,866.89 USD) + 415,802,469.14 KZT (811,527.74 USD); the third lead has no rate.
	if len(inv) != 1 || inv[0].CapexKZT.String() != "1202222218.26" || inv[0].CapexUSD.String() != "2346394.63" || inv[0].Leads != 3 ||
		inv[0].LeadsWithoutRate != 1 || inv[0].Stale != 1 || inv[0].MaxRateAge != 8 || inv[0].TooOld != 1 {
		t.Errorf("investment of igc-uz: %+v", inv)
	}
	dl, err := analytics.DecisionsWithLeads(ctx, conn, asOf, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(dl) != 1 || len(dl[0].Leads) != 3 {
		t.Fatalf("decisions with leads: %+v", dl)
	}
	d := dl[0]
	if d.CapexKZT.String() != "1202222218.26" || d.CapexUSD.String() != "2346394.63" || d.LeadsWithoutRate != 1 || d.Stale != 1 || d.TooOld != 1 || d.MaxRateAge != 8 {
		t.Errorf("decision uz-1: %+v", d)
	}
	for i, w := range []struct {
		kzt           string
		age           int32
		stale, tooOld bool
	}{{"786419749.12", 2, false, false}, {"415802469.14", 8, true, false}, {"0", 46, false, true}} {
		l := d.Leads[i]
		if l.KZT.String() != w.kzt || l.RateDay != "2026-11-03" || l.RateAge != w.age || l.Stale != w.stale || l.TooOld != w.tooOld || l.FXMissing != w.tooOld {
			t.Errorf("lead %d: %+v", i, l)
		}
	}
}

// removeLeads deletes fixture leads from lead_states, which the pipeline
// test shares and sums whole, and waits for the mutation to finish.
func removeLeads(t *testing.T, conn driver.Conn, ids ...string) {
	t.Helper()
	ctx := context.Background()
	if err := conn.Exec(ctx, "ALTER TABLE lead_states DELETE WHERE has(?, toString(lead_id))", ids); err != nil {
		t.Errorf("remove fixture leads: %v", err)
		return
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var pending uint64
		if err := conn.QueryRow(ctx, `SELECT count() FROM system.mutations
			WHERE database = currentDatabase() AND table = 'lead_states' AND is_done = 0`).Scan(&pending); err != nil {
			t.Errorf("wait for the removal of fixture leads: %v", err)
			return
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("fixture leads still being removed after 10 s")
			return
		}
	}
}
