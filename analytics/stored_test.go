package analytics_test

import (
	"context"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"

	"econdip/analytics"
)

// storedRows are n events rows of the given types in turn, step apart from start.
func storedRows(n int, types []string, start time.Time, step time.Duration) []analytics.EventRow {
	rows := make([]analytics.EventRow, n)
	for i := range rows {
		rows[i] = analytics.EventRow{EventID: uuid.New(), Type: types[i%len(types)], Time: start.Add(time.Duration(i) * step),
			Stream: "LEADS", StreamSeq: uint64(i + 1), Data: "{}"}
	}
	return rows
}

func ids(rows []analytics.EventRow) []uuid.UUID {
	out := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		out[i] = r.EventID
	}
	return out
}

func sortedIDs(ids []uuid.UUID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	slices.Sort(out)
	return out
}

// TestStoredEventsFindsWhatABatchHasStoredThroughTheKey: of a batch that
// spans two months (two parts of one insert) and holds events hours and
// years apart, StoredEvents returns exactly the ids the table holds; the
// query uses the primary key (force_primary_key refuses it otherwise) and
// reads a few granules of a table many times larger.
func TestStoredEventsFindsWhatABatchHasStoredThroughTheKey(t *testing.T) {
	conn := migrated(t)
	ctx := context.Background()
	truncate := func() {
		if err := conn.Exec(ctx, "TRUNCATE TABLE events"); err != nil {
			t.Fatal(err)
		}
	}
	truncate()
	t.Cleanup(truncate)

	types := []string{"econdip.lead.created.v1", "econdip.lead.stage_changed.v1", "econdip.lead.updated.v1"}
	// Two events a second across the end of January: 200k rows, most of
	// them the other events a batch's query must not read.
	all := storedRows(200_000, types, time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), 500*time.Millisecond)
	batch := slices.Clone(all[172_600:173_000]) // 23:58:20 on 31 January to 00:01:40 on 1 February
	// Events far from the rest, each on its own key range: one years back
	// and one a month later, stored, and the same unstored.
	far := storedRows(4, types[:1], time.Date(2019, 6, 1, 12, 0, 0, 0, time.UTC), 40*24*time.Hour)
	batch = append(batch, far...)
	// The batch's first half is stored (a part for each month), the rest not.
	stored := append(slices.Clone(batch[:200]), far[:2]...)
	var keep []analytics.EventRow
	keep = append(keep, all[:172_600]...)
	keep = append(keep, all[173_000:]...)
	keep = append(keep, stored...)
	if err := analytics.Write(ctx, conn, &analytics.Rows{Events: keep}); err != nil {
		t.Fatal(err)
	}

	var progress atomic.Uint64 // rows read, as the server reports them
	qctx := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"force_primary_key": 1}),
		clickhouse.WithProgress(func(p *clickhouse.Progress) { progress.Add(p.Rows) }))
	got, err := analytics.StoredEvents(qctx, conn, batch)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := sortedIDs(slices.Collect(maps.Keys(got))), sortedIDs(ids(stored)); !slices.Equal(g, w) {
		t.Fatalf("StoredEvents found %d ids, want the %d stored", len(g), len(w))
	}
	// 3 types x 2 months, a granule (8192 rows) or two each, and the far events'.
	if read := progress.Load(); read == 0 || read > uint64(len(keep))/4 {
		t.Errorf("the query read %d of %d rows, want a few granules", read, len(keep))
	}

	// A batch with more key ranges than one query takes: one range per type.
	spread := storedRows(600, types, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 2*time.Hour)
	if err := analytics.Write(ctx, conn, &analytics.Rows{Events: spread[:300]}); err != nil {
		t.Fatal(err)
	}
	got, err = analytics.StoredEvents(qctx, conn, spread)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := sortedIDs(slices.Collect(maps.Keys(got))), sortedIDs(ids(spread[:300])); !slices.Equal(g, w) {
		t.Fatalf("spread batch: StoredEvents found %d ids, want the %d stored", len(g), len(w))
	}

	if got, err := analytics.StoredEvents(ctx, conn, nil); err != nil || len(got) != 0 {
		t.Fatalf("no rows: %v, %v", got, err)
	}
}
