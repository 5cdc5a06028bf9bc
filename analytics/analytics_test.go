package analytics_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/analytics/chtest"
	"econdip/services/platform/obs"
)

func TestMain(m *testing.M) { chtest.Main(m, "econdip_test_analytics") }

func TestMigrateIsIdempotentAndRecordsEveryMigration(t *testing.T) {
	conn := chtest.Conn(t)
	ctx := context.Background()
	for range 2 {
		if err := analytics.Migrate(ctx, conn, obs.Discard()); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := analytics.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != uint64(len(ms)) {
		t.Fatalf("schema_migrations has %d rows, want one per migration (%d)", n, len(ms))
	}
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// lead is a lead state in USD, or in XOF (which has no rate) when fxMissing.
func lead(id uuid.UUID, version uint32, post, sector, stage, usd, prob string, fxMissing bool) analytics.LeadStateRow {
	at := time.Date(2026, 5, 10, 8, 0, 0, 0, time.UTC)
	currency := "USD"
	if fxMissing {
		currency = "XOF"
	}
	return analytics.LeadStateRow{LeadID: id, Version: version, Post: post, Sector: sector, Stage: stage, Clauses: []string{"2.2"},
		Capex: d(usd), Currency: currency, StageDay: time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC),
		Probability: d(prob), CreatedAt: at, UpdatedAt: at, StageChangedAt: at, EventID: uuid.New(), StreamSeq: uint64(version)}
}

func TestPipelineSumsTheLatestStateOfEachLeadOnce(t *testing.T) {
	conn := migrated(t)
	ctx := context.Background()
	a, b, c, e := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	rows := &analytics.Rows{LeadStates: []analytics.LeadStateRow{
		lead(a, 1, "de-berlin", "mining", "identified", "1000000.00", "0.05", false),
		lead(a, 2, "de-berlin", "mining", "contacted", "1200000.00", "0.10", false), // a's latest state
		lead(b, 1, "de-berlin", "mining", "contacted", "300000.50", "0.10", false),
		lead(c, 1, "cn-beijing", "", "committed", "2000000.00", "0.90", false),
		lead(e, 1, "cn-beijing", "", "committed", "0", "0.90", true), // no rate: counted, not summed
	}}
	if err := analytics.Write(ctx, conn, rows); err != nil {
		t.Fatal(err)
	}
	// The same rows again, as a redelivery would insert them.
	if err := analytics.Write(ctx, conn, rows); err != nil {
		t.Fatal(err)
	}
	got, err := analytics.Pipeline(ctx, conn, analytics.PipelineFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// By hand: mining/contacted = a (1,200,000.00 × 0.10) + b (300,000.50 × 0.10)
	//   capex 1,500,000.50, weighted 120,000.00 + 30,000.05 = 150,000.05;
	// unassigned/committed = c (2,000,000 × 0.90 = 1,800,000), e has no rate.
	want := []analytics.PipelineRow{
		{Sector: "mining", Stage: "contacted", Leads: 2, CapexUSD: d("1500000.50"), WeightedUSD: d("150000.05")},
		{Sector: "unassigned", Stage: "committed", Leads: 2, CapexUSD: d("2000000"), WeightedUSD: d("1800000"), NoRate: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows %+v, want %+v", len(got), got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Sector != w.Sector || g.Stage != w.Stage || g.Leads != w.Leads || g.NoRate != w.NoRate ||
			!g.CapexUSD.Equal(w.CapexUSD) || !g.WeightedUSD.Equal(w.WeightedUSD) {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
	berlin, err := analytics.Pipeline(ctx, conn, analytics.PipelineFilter{Post: "de-berlin"})
	if err != nil || len(berlin) != 1 || berlin[0].Leads != 2 {
		t.Fatalf("post filter: %+v, %v", berlin, err)
	}
}
