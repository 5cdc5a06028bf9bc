package eventstore

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"econdip/events"
	"econdip/services/platform/obs"
)

// BenchmarkViewAtScale fills a leads view file with ECONDIP_BENCH_VIEW_RECORDS
// records (default 200,000) as a catch-up does, in batches of flushBatch,
// then times an analyst's filtered list: the count, the first page (the
// baseline), the last page by cursor and the last page by offset.
//
//	ECONDIP_BENCH_VIEW_RECORDS=1000000 go test -run '^$' -bench ViewAtScale -benchtime 1x ./services/platform/eventstore/
func BenchmarkViewAtScale(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("ECONDIP_BENCH_VIEW_RECORDS")); err == nil && v > 0 {
		n = v
	}
	stages := []string{"identified", "contacted", "qualified", "negotiating", "committed", "implementing", "operational", "on_hold", "lost"}
	sectors := []string{"agro", "machine_building", "chemicals", "metallurgy", "energy", "logistics", "it", "tourism", "construction", "pharma", "light_industry", "mining", "finance"}
	posts := []string{"de-berlin", "cn-beijing", "tr-ankara", "ru-moscow", "us-washington", "kr-seoul", "ae-abudhabi", "fr-paris"}
	store := &Store[events.LeadV1]{stream: events.StreamLeads, state: func(ev events.Event) (events.LeadV1, bool) {
		s, ok := ev.(events.LeadSnapshot)
		if !ok {
			return events.LeadV1{}, false
		}
		return s.State(), true
	}, idOf: func(l events.LeadV1) string { return l.ID }}
	shape := Shape[events.LeadV1]{
		Name: "leads",
		Order: func(l events.LeadV1) string {
			return fmt.Sprintf("%019d", 1<<62-l.UpdatedAt.UnixMicro()) + "\x00" + l.ID
		},
		Columns: []Column[events.LeadV1]{
			{Name: "post", Of: func(l events.LeadV1) string { return l.Post }},
			{Name: "stage", Of: func(l events.LeadV1) string { return l.Stage }},
			{Name: "sector", Of: func(l events.LeadV1) string { return l.Sector }},
		},
		Indexes: [][]string{{"post", "stage"}, {"post", "sector"}, {"stage", "sector"}, {"sector"}}, // as the leads service's
		Version: 1,
	}
	dir := b.TempDir()
	ctx := context.Background()
	db, err := openViewDB(ctx, dir, shape.viewShape(), viewOrigin{stream: "LEADS", filter: ">"}, 0, obs.Discard())
	if err != nil {
		b.Fatal(err)
	}
	defer db.close()
	v := &View[events.LeadV1]{store: store, shape: shape, db: db, log: obs.Discard(), name: "leads", queue: map[uint64]*queued[events.LeadV1]{},
		stored: map[uint64]struct{}{}, wait: time.Hour, caughtCh: make(chan struct{})}
	v.caughtUp.Store(true)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	for i := 0; i < n; {
		rows := make([]viewRow, 0, flushBatch)
		for ; i < n && len(rows) < flushBatch; i++ {
			l := events.LeadV1{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Version: 1, Post: posts[i%len(posts)], Attache: "a",
				InvestorName: fmt.Sprintf("Investor %d GmbH", i), InvestorCountry: "DE", Title: fmt.Sprintf("Plant %d", i), Sector: sectors[i%len(sectors)],
				Clauses: []string{"2.2"}, InvestmentType: "greenfield", Capex: events.Money{Amount: decimal.NewFromInt(int64(i)), Currency: "USD"},
				Source: "event", Stage: stages[i%len(stages)], Probability: decimal.RequireFromString("0.05"),
				CreatedAt: at, UpdatedAt: at.Add(time.Duration(i) * time.Second), StageChangedAt: at}
			env, err := events.New(events.Meta{Source: "bench", Subject: "lead/" + l.ID, Actor: "a", Scope: "post:" + l.Post}, events.LeadCreatedV1{Lead: l})
			if err != nil {
				b.Fatal(err)
			}
			data, _ := json.Marshal(env)
			rows = append(rows, v.rowOf(l.ID, uint64(i+1), data, l))
		}
		if err := db.write(rows, uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
	fill := time.Since(start)
	st, _ := os.Stat(dir + "/leads.sqlite")
	wal, _ := os.Stat(dir + "/leads.sqlite-wal")
	size := st.Size()
	if wal != nil {
		size += wal.Size()
	}
	b.Logf("%d records written in %s (%.0f records/s), file %.0f MB with its WAL (%.0f bytes a record)", n, fill.Round(time.Millisecond),
		float64(n)/fill.Seconds(), float64(size)/1e6, float64(size)/float64(n))
	b.ReportMetric(float64(n)/fill.Seconds(), "records/s")

	q := Query[events.LeadV1]{Match: map[string]string{"stage": "negotiating", "sector": "metallurgy"}, Limit: 500}
	timeIt := func(q Query[events.LeadV1]) (time.Duration, Result[events.LeadV1]) {
		var best time.Duration
		var res Result[events.LeadV1]
		for range 5 {
			t0 := time.Now()
			r, err := v.List(q)
			if err != nil {
				b.Fatal(err)
			}
			if d := time.Since(t0); best == 0 || d < best {
				best, res = d, r
			}
		}
		return best, res
	}
	first, res := timeIt(q)
	total := res.Total
	cursor, pages := "", 0
	for c := res.Next; c != ""; pages++ {
		cursor = c
		r, err := v.List(Query[events.LeadV1]{Match: q.Match, Limit: 500, After: c})
		if err != nil {
			b.Fatal(err)
		}
		c = r.Next
	}
	lastQ := q
	lastQ.After = cursor
	lastByCursor, lastRes := timeIt(lastQ)
	offQ := q
	offQ.Offset = (total - 1) / 500 * 500
	lastByOffset, offRes := timeIt(offQ)
	if len(offRes.Records) != len(lastRes.Records) || lastRes.Next != "" {
		b.Fatalf("last page: by offset %d records, by cursor %d (next %q)", len(offRes.Records), len(lastRes.Records), lastRes.Next)
	}
	b.Logf("filtered list of %d of %d records, 500 a page (%d pages): first page %s, last page by cursor %s (%.2f×), by offset %s (%.2f×)",
		total, n, pages+1, first.Round(time.Microsecond), lastByCursor.Round(time.Microsecond), float64(lastByCursor)/float64(first),
		lastByOffset.Round(time.Microsecond), float64(lastByOffset)/float64(first))
	b.ReportMetric(float64(first.Microseconds())/1000, "first-ms")
	b.ReportMetric(float64(lastByCursor.Microseconds())/1000, "last-cursor-ms")
	b.ReportMetric(float64(lastByOffset.Microseconds())/1000, "last-offset-ms")
}
