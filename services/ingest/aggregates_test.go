package ingest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/events"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
	"econdip/services/test/reliability/faultkit"
)

// aggEvents is the size of the generated history: ECONDIP_AGG_EVENTS, 20,000
// by default (the check: 1000000).
func aggEvents() int {
	if n, err := strconv.Atoi(os.Getenv("ECONDIP_AGG_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 20_000
}

var (
	aggPosts      = []string{"de-berlin", "cn-beijing", "us-washington", "tr-ankara", "kr-seoul"}
	aggCountries  = []string{"DE", "CN", "US", "TR", "KR", "FR", ""}
	aggSectors    = []string{"mining", "agro", "machinery", "chemicals", "it", ""}
	aggStages     = []string{"identified", "contacted", "qualified", "negotiating", "committed", "implementing", "operational", "on_hold", "lost"}
	aggCurrencies = []string{"USD", "EUR", "KZT", "CNY", "XOF"} // XOF: no rate
)

// leadHistories publishes about n lead events as the leads service would
// (each with the sequence it follows), with every kind of change the
// figure sees or not: stage forth and back, sector to and from unassigned,
// amount, currency, country, post, probability, title alone; stage days
// from 2019 (before the rates: no rate) to 2026. It returns the events
// published.
func leadHistories(t *testing.T, js jetstream.JetStream, n int, seed uint64) int {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	type lead struct {
		l    events.LeadV1
		last uint64
	}
	leads := make([]*lead, max(n/5, 1))
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	day := func() string {
		return time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(7*365)).Format(time.DateOnly)
	}
	published := 0
	for round := 0; published < n; round++ {
		var futures []jetstream.PubAckFuture
		var owners []*lead
		// acked waits for the acks of the messages in flight (at most
		// 2,000: the client stalls beyond 4,000 unacknowledged).
		acked := func() {
			for i, f := range futures {
				select {
				case ack := <-f.Ok():
					owners[i].last = ack.Sequence
				case err := <-f.Err():
					t.Fatalf("round %d: %v", round, err)
				case <-time.After(time.Minute):
					t.Fatalf("round %d: no ack within a minute", round)
				}
			}
			published += len(futures)
			futures, owners = futures[:0], owners[:0]
		}
		for i := range leads {
			if published+len(futures) >= n {
				break
			}
			if len(futures) == 2000 {
				acked()
			}
			var ev events.Event
			if leads[i] == nil {
				id := uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprintf("agg-%d-%d", seed, i))).String()
				l := events.LeadV1{ID: id, Version: 1, Post: pick(aggPosts), Attache: "attache", InvestorName: "Investor " + strconv.Itoa(i),
					InvestorCountry: pick(aggCountries), Title: "Plant", Sector: pick(aggSectors), Clauses: []string{"2.2"},
					InvestmentType: "greenfield", Capex: events.Money{Amount: decimal.New(rng.Int64N(1e12), -2), Currency: pick(aggCurrencies)},
					Source: "event", Stage: "identified", Probability: decimal.RequireFromString("0.05"),
					CreatedAt: at, UpdatedAt: at, StageChangedAt: at, StageEffectiveOn: day()}
				leads[i] = &lead{l: l}
				ev = events.LeadCreatedV1{Lead: l}
			} else {
				if rng.IntN(3) == 0 {
					continue // not every lead moves every round
				}
				l := leads[i].l
				l.Version++
				l.UpdatedAt = at
				switch rng.IntN(9) {
				case 0, 1, 2:
					from := l.Stage
					l.Stage, l.StageEffectiveOn = pick(aggStages), day()
					l.Probability = decimal.New(rng.Int64N(10001), -4)
					ev = events.LeadStageChangedV1{Lead: l, From: from, To: l.Stage}
				case 3:
					l.Sector = pick(aggSectors)
					ev = events.LeadUpdatedV1{Lead: l, Changed: []string{"sector"}}
				case 4:
					l.Capex.Amount = decimal.New(rng.Int64N(1e12), -2)
					ev = events.LeadUpdatedV1{Lead: l, Changed: []string{"capex"}}
				case 5:
					l.Capex.Currency = pick(aggCurrencies)
					ev = events.LeadUpdatedV1{Lead: l, Changed: []string{"capex"}}
				case 6:
					l.InvestorCountry = pick(aggCountries)
					ev = events.LeadUpdatedV1{Lead: l, Changed: []string{"investor_country"}}
				case 7:
					l.Post = pick(aggPosts)
					ev = events.LeadUpdatedV1{Lead: l, Changed: []string{"post"}}
				default:
					l.Title = "Plant " + strconv.Itoa(l.Version) // the figure does not see it
					ev = events.LeadUpdatedV1{Lead: l, Changed: []string{"title"}}
				}
				leads[i].l = l
			}
			env, err := events.New(events.Meta{Source: "leads", Subject: "lead/" + leads[i].l.ID, Actor: "attache", Scope: "post:" + leads[i].l.Post}, ev)
			if err != nil {
				t.Fatal(err)
			}
			f, err := events.PublishAsyncAfter(js, events.MustSubject(events.LeadSubject(leads[i].l.ID)), env, leads[i].last)
			if err != nil {
				t.Fatal(err)
			}
			futures, owners = append(futures, f), append(owners, leads[i])
		}
		acked()
		if round%20 == 0 && n >= 100_000 {
			t.Logf("published %d of %d lead events", published, n)
		}
	}
	return published
}

// aggregatesDatabase is a migrated database with the demo rates.
func aggregatesDatabase(t *testing.T, name string) driver.Conn {
	t.Helper()
	ctx := context.Background()
	_, conn := faultkit.NewDatabase(t, name)
	if err := analytics.Migrate(ctx, conn, obs.Discard()); err != nil {
		t.Fatal(err)
	}
	rs, err := reference.Default().DemoRates()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := analytics.LoadRates(ctx, conn, rs, reference.DefaultRateLimits, "demo"); err != nil {
		t.Fatal(err)
	}
	return conn
}

// samePipelines checks that the aggregates are current and that the
// pipeline from them equals the pipeline from the states under filters of
// every post and country; it returns the unfiltered figure.
func samePipelines(t *testing.T, conn driver.Conn, when string) []analytics.PipelineRow {
	t.Helper()
	ctx := context.Background()
	var current bool
	deadline := time.Now().Add(2 * time.Minute)
	for !current {
		var err error
		if current, err = analytics.PipelineAggregatesCurrent(ctx, conn); err != nil {
			t.Fatal(err)
		}
		if !current && time.Now().After(deadline) {
			t.Fatalf("%s: the aggregates are not current for the loaded rates after 2 minutes", when)
		}
		if !current {
			time.Sleep(100 * time.Millisecond)
		}
	}
	filters := []analytics.PipelineFilter{{}}
	for _, p := range aggPosts {
		filters = append(filters, analytics.PipelineFilter{Post: p})
	}
	for _, c := range aggCountries {
		filters = append(filters, analytics.PipelineFilter{Country: c}, analytics.PipelineFilter{Post: aggPosts[0], Country: c})
	}
	var all []analytics.PipelineRow
	for _, f := range filters {
		start := time.Now()
		agg, err := analytics.Pipeline(ctx, conn, f)
		if err != nil {
			t.Fatal(err)
		}
		fromAgg := time.Since(start)
		start = time.Now()
		st, err := analytics.PipelineFromStates(ctx, conn, f)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(agg, st) {
			t.Fatalf("%s, filter %+v:\naggregates %+v\nstates     %+v", when, f, agg, st)
		}
		if len(all) == 0 && f == (analytics.PipelineFilter{}) {
			all = agg
			t.Logf("%s: %d rows equal; %v from the aggregates, %v from the states", when, len(agg), fromAgg.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		}
	}
	return all
}

// startDrained runs s until its consumer has taken every message, and
// returns the func that stops it.
func startDrained(t *testing.T, js jetstream.JetStream, s *Service, consumer string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	faultkit.MustWaitDrained(t, js, consumer, time.Now().Add(20*time.Minute), nil)
	return func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestPipelineAggregatesEqualTheStates: generated lead histories through
// NATS and the real ingest, with copies of some messages published again; the pipeline from the aggregates equals the
// pipeline from the states to the cent under every filter: as ingested
// (previous keys from the load, the recent keys and the stream), merged,
// after the whole stream is delivered again to two instances, and after a
// rates file with other rates is loaded (re-projected by the running
// instances, one at a time).
func TestPipelineAggregatesEqualTheStates(t *testing.T) {
	ctx := context.Background()
	ns := natstest.Start(t)
	conn := aggregatesDatabase(t, "aggregates")
	n := leadHistories(t, ns.JS, aggEvents(), 1)
	// Copies of stored messages published again without the header, as a
	// tool would (the same event ids at new sequences): counted once.
	st, err := ns.JS.Stream(ctx, events.StreamLeads)
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= 400; seq += 7 {
		msg, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ns.JS.Publish(ctx, msg.Subject, msg.Data); err != nil {
			t.Fatal(err)
		}
	}

	s := New(ns.JS, conn, obs.Discard(), Config{Consumer: "ingest-agg"})
	s.pipeline.keep = 500 // most previous events are then read from the stream
	startDrained(t, ns.JS, s, "ingest-agg")()
	if s.pipeline.lookups == 0 || s.pipeline.unplaced != 0 {
		t.Fatalf("%d previous events read from the stream (want some), %d not placed (want none)", s.pipeline.lookups, s.pipeline.unplaced)
	}
	t.Logf("%d lead events; %d previous events read from the stream", n, s.pipeline.lookups)
	first := samePipelines(t, conn, "ingested")
	if len(first) < 20 {
		t.Fatalf("the figure has %d rows: the generator should fill most sectors and stages", len(first))
	}

	// Every event delivered again (a new consumer from the start), to two
	// ingest instances sharing it, as deployed: the ledger leaves out what
	// it holds, and its lock keeps the two from writing an event twice.
	again := New(ns.JS, conn, obs.Discard(), Config{Consumer: "ingest-agg-again", BatchSize: 300})
	other := New(ns.JS, conn, obs.Discard(), Config{Consumer: "ingest-agg-again", BatchSize: 300})
	stopOther := startDrained(t, ns.JS, other, "ingest-agg-again")
	stop := startDrained(t, ns.JS, again, "ingest-agg-again")
	if got := samePipelines(t, conn, "delivered twice"); !reflect.DeepEqual(got, first) {
		t.Fatalf("delivered twice: %+v, was %+v", got, first)
	}
	for _, table := range []string{"lead_pipeline", "lead_states"} {
		if err := conn.Exec(ctx, "OPTIMIZE TABLE "+table+" FINAL"); err != nil {
			t.Fatal(err)
		}
	}
	samePipelines(t, conn, "merged")

	// Other rates: the running ingest re-projects within its check interval.
	rs, err := reference.Default().DemoRates()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := analytics.LoadRates(ctx, conn, rs.Scaled("CNY", decimal.RequireFromString("1.01")), reference.DefaultRateLimits, "cny+1%"); err != nil {
		t.Fatal(err)
	}
	// New leads meanwhile: one instance re-projects while the other has
	// events to write.
	leadHistories(t, ns.JS, 5000, 4)
	faultkit.MustWaitDrained(t, ns.JS, "ingest-agg-again", time.Now().Add(5*time.Minute), nil)
	if got := samePipelines(t, conn, "rates changed"); reflect.DeepEqual(got, first) {
		t.Fatal("the figure did not change with the CNY rates")
	}
	stop()
	stopOther()
}

// TestPipelineLedgerFilledFromTheStream: a database that ingest filled
// without the aggregates (as before them) gets its ledger from the stream
// when ingest with the aggregates starts, and the figures agree.
func TestPipelineLedgerFilledFromTheStream(t *testing.T) {
	ns := natstest.Start(t)
	conn := aggregatesDatabase(t, "backfill")
	leadHistories(t, ns.JS, 3000, 2)
	startDrained(t, ns.JS, New(ns.JS, conn, obs.Discard(), Config{Consumer: "ingest-old", NoAggregates: true}), "ingest-old")()
	if current, err := analytics.PipelineAggregatesCurrent(context.Background(), conn); err != nil || current {
		t.Fatalf("aggregates current before ingest kept them: %v %v", current, err)
	}
	stop := startDrained(t, ns.JS, New(ns.JS, conn, obs.Discard(), Config{Consumer: "ingest-old"}), "ingest-old")
	samePipelines(t, conn, "ledger filled from the stream")
	leadHistories(t, ns.JS, 500, 3) // and live events after it
	faultkit.MustWaitDrained(t, ns.JS, "ingest-old", time.Now().Add(5*time.Minute), nil)
	samePipelines(t, conn, "then live events")
	stop()
}
