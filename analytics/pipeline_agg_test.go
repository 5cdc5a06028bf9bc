package analytics_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
)

// changesOf writes what ingest writes for states, given in the order of
// their events, each a stage change: for each, −1 with the lead's previous
// keys and +1 with its new ones.
func changesOf(states []analytics.LeadStateRow) []analytics.Change[analytics.LeadKPIKeys] {
	last := map[uuid.UUID]analytics.LeadKPIKeys{}
	var out []analytics.Change[analytics.LeadKPIKeys]
	for i, s := range states {
		keys := analytics.LeadKPIKeysOf(s, true)
		prev, ok := last[s.LeadID]
		if ok {
			keys = analytics.LeadKPI.Derive(prev, keys)
		}
		out = append(out, analytics.Changes(uint64(i+1), s.EventID, s.LeadID, !ok, prev, keys)...)
		last[s.LeadID] = keys
	}
	return out
}

// bothPipelines returns the pipeline of both models under every filter the
// dashboards use.
func bothPipelines(t *testing.T, conn driver.Conn) (fromAggregates, fromStates [][]analytics.PipelineRow) {
	t.Helper()
	ctx := context.Background()
	for _, f := range []analytics.PipelineFilter{{}, {Post: "de-berlin"}, {Country: "CN"}, {Post: "cn-beijing", Country: "CN"}} {
		a, err := analytics.Pipeline(ctx, conn, f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := analytics.PipelineFromStates(ctx, conn, f)
		if err != nil {
			t.Fatal(err)
		}
		fromAggregates, fromStates = append(fromAggregates, a), append(fromStates, s)
	}
	return fromAggregates, fromStates
}

// TestPipelineAggregatesFollowTheRates: the aggregates equal the figure
// from the states; a rates file loaded later makes them not current (the
// figure reads the states meanwhile) until they are re-projected, and then
// they equal it again at the new rates.
func TestPipelineAggregatesFollowTheRates(t *testing.T) {
	conn := migrated(t)
	ctx := context.Background()
	if _, err := analytics.LeadKPI.Prepare(ctx, conn, obs.Discard()); err != nil {
		t.Fatal(err)
	}
	a, b, c, e := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	eur := lead(b, 1, "de-berlin", "mining", "contacted", "300000.57", "0.10", false)
	eur.Currency = "EUR"
	cn := lead(c, 1, "cn-beijing", "", "committed", "2000000.01", "0.90", false)
	cn.InvestorCountry = "CN"
	states := []analytics.LeadStateRow{
		lead(a, 1, "de-berlin", "mining", "identified", "1000000.00", "0.05", false),
		eur,
		lead(a, 2, "de-berlin", "mining", "contacted", "1200000.33", "0.10", false),
		cn,
		lead(e, 1, "cn-beijing", "", "committed", "0", "0.90", true),                // no rate: counted, not summed
		lead(a, 3, "de-berlin", "mining", "contacted", "1200000.33", "0.10", false), // same keys: no change row
	}
	if err := analytics.Write(ctx, conn, &analytics.Rows{LeadStates: states}); err != nil {
		t.Fatal(err)
	}
	changes := changesOf(states)
	if len(changes) != 6 {
		t.Fatalf("%d change rows, want 6 (a: +1, −1 +1; b, c, e: +1)", len(changes))
	}
	if err := analytics.LeadKPI.Write(ctx, conn, changes); err != nil {
		t.Fatal(err)
	}
	agg, st := bothPipelines(t, conn)
	if !reflect.DeepEqual(agg, st) {
		t.Fatalf("aggregates %+v\nstates     %+v", agg, st)
	}
	// Merged: the keys a lead left (sums 0) are dropped, the rest add up.
	if err := conn.Exec(ctx, "OPTIMIZE TABLE lead_pipeline FINAL"); err != nil {
		t.Fatal(err)
	}
	var keys uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM lead_pipeline").Scan(&keys); err != nil || keys != 3 {
		t.Fatalf("merged aggregates hold %d rows, want 3 (mining/contacted; unassigned/committed of CN, and of the lead without rate): %v", keys, err)
	}
	if agg2, _ := bothPipelines(t, conn); !reflect.DeepEqual(agg2, st) {
		t.Fatalf("merged aggregates %+v\nstates %+v", agg2, st)
	}
	if len(st[0]) != 2 || st[0][0].Leads != 2 || st[0][1].NoRate != 1 {
		t.Fatalf("the figure itself: %+v", st[0])
	}
	held, err := analytics.LeadKPI.Held(ctx, conn, 2, 5)
	if err != nil || !reflect.DeepEqual(held, map[uint64]bool{2: true, 3: true, 4: true, 5: true}) {
		t.Fatalf("held: %v %v", held, err)
	}

	// Rates with EUR at another value: the aggregates, converted at the
	// old rates, are no longer what Pipeline reads.
	rs, err := reference.Default().DemoRates()
	if err != nil {
		t.Fatal(err)
	}
	changed := rs.Scaled("EUR", decimal.RequireFromString("1.01"))
	if _, loaded, err := analytics.LoadRates(ctx, conn, changed, reference.DefaultRateLimits, "changed"); err != nil || !loaded {
		t.Fatalf("load changed rates: %v %v", loaded, err)
	}
	before := st[0]
	agg, st = bothPipelines(t, conn)
	if !reflect.DeepEqual(agg, st) || reflect.DeepEqual(st[0], before) {
		t.Fatalf("after the rates changed: aggregates %+v, states %+v (before %+v)", agg[0], st[0], before)
	}
	re, err := analytics.LeadKPI.Prepare(ctx, conn, obs.Discard())
	if err != nil || !re {
		t.Fatalf("re-projected %v, %v", re, err)
	}
	agg, st = bothPipelines(t, conn)
	if !reflect.DeepEqual(agg, st) {
		t.Fatalf("re-projected: aggregates %+v\nstates     %+v", agg, st)
	}
	if re, err := analytics.LeadKPI.Prepare(ctx, conn, obs.Discard()); err != nil || re {
		t.Fatalf("current aggregates re-projected again: %v %v", re, err)
	}
}

// TestRetiredTablesDropped: a database from before the clause rows moved
// into the figures' tables has twin tables by clause, whose views still
// follow the ledger; the next re-projection drops them both.
func TestRetiredTablesDropped(t *testing.T) {
	conn := migrated(t)
	ctx := context.Background()
	if _, _, err := analytics.LeadKPI.LedgerBackfill(ctx, conn); err != nil { // creates the ledger
		t.Fatal(err)
	}
	for _, stmt := range []string{
		"CREATE TABLE lead_open_by_clause (clause String, leads Int64) ENGINE = SummingMergeTree() ORDER BY clause",
		"CREATE MATERIALIZED VIEW lead_open_by_clause_mv TO lead_open_by_clause AS SELECT arrayJoin(splitByChar(',', clauses)) AS clause, toInt64(sum(sign)) AS leads FROM lead_kpi_changes GROUP BY clause",
	} {
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	// Rates of its own: a re-projection, whatever an earlier test projected.
	rs, err := reference.Default().DemoRates()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := analytics.LoadRates(ctx, conn, rs.Scaled("EUR", decimal.RequireFromString("1.0173")), reference.DefaultRateLimits, "eur+1.73%"); err != nil {
		t.Fatal(err)
	}
	if _, err := analytics.LeadKPI.Prepare(ctx, conn, obs.Discard()); err != nil {
		t.Fatal(err)
	}
	var left uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE '%by_clause%'").Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d tables by clause left after the re-projection (%v), want none", left, err)
	}
}
