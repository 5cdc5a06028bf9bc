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

// history generates the event histories of records. publish sends about
// n events, in rounds over the records, as their service would: each with
// the sequence it follows; called again, it goes on with the same records.
type history struct {
	what string
	last []uint64 // each record's last sequence
	// next returns record i's next event and its subject; ok false skips it this round.
	next func(i int) (subject string, env events.Envelope, ok bool)
}

func (h *history) publish(t *testing.T, js jetstream.JetStream, n int) int {
	t.Helper()
	last, records, next, what := h.last, len(h.last), h.next, h.what
	published := 0
	for round := 0; published < n; round++ {
		var futures []jetstream.PubAckFuture
		var owners []int
		// acked waits for the acks of the messages in flight (at most
		// 2,000: the client stalls beyond 4,000 unacknowledged).
		acked := func() {
			for i, f := range futures {
				select {
				case ack := <-f.Ok():
					last[owners[i]] = ack.Sequence
				case err := <-f.Err():
					t.Fatalf("round %d: %v", round, err)
				case <-time.After(time.Minute):
					t.Fatalf("round %d: no ack within a minute", round)
				}
			}
			published += len(futures)
			futures, owners = futures[:0], owners[:0]
		}
		for i := range records {
			if published+len(futures) >= n {
				break
			}
			if len(futures) == 2000 {
				acked()
			}
			subject, env, ok := next(i)
			if !ok {
				continue
			}
			f, err := events.PublishAsyncAfter(js, subject, env, last[i])
			if err != nil {
				t.Fatal(err)
			}
			futures, owners = append(futures, f), append(owners, i)
		}
		acked()
		if round%20 == 0 && n >= 100_000 {
			t.Logf("published %d of %d %s events", published, n, what)
		}
	}
	return published
}

// leadHistories publishes about n lead events as the leads service would
// (each with the sequence it follows), with every kind of change the
// figure sees or not: stage forth and back, sector to and from unassigned,
// amount, currency, country, post, probability, title alone; stage days
// from 2019 (before the rates: no rate) to 2026. It returns the events
// published.
func leadHistories(t *testing.T, js jetstream.JetStream, n int, seed uint64) int {
	t.Helper()
	return leadHistory(t, n, seed).publish(t, js, n)
}

// leadHistory is leadHistories' generator for about n events, to publish in parts.
func leadHistory(t *testing.T, n int, seed uint64) *history {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	leads := make([]*events.LeadV1, max(n/5, 1))
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	day := func() string {
		return time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(7*365)).Format(time.DateOnly)
	}
	return &history{what: "lead", last: make([]uint64, len(leads)), next: func(i int) (string, events.Envelope, bool) {
		var ev events.Event
		if leads[i] == nil {
			id := uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprintf("agg-%d-%d", seed, i))).String()
			l := events.LeadV1{ID: id, Version: 1, Post: pick(aggPosts), Attache: "attache", InvestorName: "Investor " + strconv.Itoa(i),
				InvestorCountry: pick(aggCountries), Title: "Plant", Sector: pick(aggSectors), Clauses: aggClauses[rng.IntN(len(aggClauses))],
				ExpectedJobs:   rng.IntN(300),
				InvestmentType: "greenfield", Capex: events.Money{Amount: decimal.New(rng.Int64N(1e12), -2), Currency: pick(aggCurrencies)},
				Source: "event", Stage: "identified", Probability: decimal.RequireFromString("0.05"),
				CreatedAt: at, UpdatedAt: at, StageChangedAt: at, StageEffectiveOn: day()}
			leads[i] = &l
			ev = events.LeadCreatedV1{Lead: l}
		} else {
			if rng.IntN(3) == 0 {
				return "", events.Envelope{}, false // not every lead moves every round
			}
			l := *leads[i]
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
				switch rng.IntN(4) {
				case 0:
					l.Post = pick(aggPosts)
				case 1:
					l.Clauses = aggClauses[rng.IntN(len(aggClauses))]
				case 2:
					l.ExpectedJobs = rng.IntN(300)
				default:
					l.ExpectedDecisionDate = day()
				}
				ev = events.LeadUpdatedV1{Lead: l, Changed: []string{"post", "clauses", "expected_jobs", "expected_decision_date"}}
			default:
				l.Title = "Plant " + strconv.Itoa(l.Version) // the figure does not see it
				ev = events.LeadUpdatedV1{Lead: l, Changed: []string{"title"}}
			}
			*leads[i] = l
		}
		env, err := events.New(events.Meta{Source: "leads", Subject: "lead/" + leads[i].ID, Actor: "attache", Scope: "post:" + leads[i].Post}, ev)
		if err != nil {
			t.Fatal(err)
		}
		return events.MustSubject(events.LeadSubject(leads[i].ID)), env, true
	}}
}

var (
	// aggHS: mapped to sectors, raw and not, and 999999, which the mapping does not list (unassigned, non-raw).
	aggHS         = []string{"100199", "270900", "720839", "300490", "847130", "999999"}
	aggDealStages = []string{"opportunity", "negotiating", "contracted", "shipped", "paid", "lost"}
	aggClauses    = [][]string{nil, {"2.6"}, {"2.6", "2.2"}, {"2.2"}}
)

// dealHistories publishes about n deal events as the exports service would,
// with every kind of change the export figures see or not: stage forth and
// back (a contract date when contracted: another deal date and year), HS
// code, value, currency, buyer country, post, clauses, product alone;
// created from 2019 (before the rates: no rate) to 2026.
func dealHistories(t *testing.T, js jetstream.JetStream, n int, seed uint64) int {
	t.Helper()
	return dealHistory(t, n, seed).publish(t, js, n)
}

// dealHistory is dealHistories' generator for about n events, to publish in parts.
func dealHistory(t *testing.T, n int, seed uint64) *history {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 11))
	deals := make([]*events.DealV1, max(n/5, 1))
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	when := func() time.Time {
		return time.Date(2019, 6, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(7*365))
	}
	return &history{what: "deal", last: make([]uint64, len(deals)), next: func(i int) (string, events.Envelope, bool) {
		var ev events.Event
		if deals[i] == nil {
			at := when()
			d := events.DealV1{ID: uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprintf("deal-%d-%d", seed, i))).String(), Version: 1,
				Post: pick(aggPosts), Attache: "attache", ExporterBIN: "990340004592", ExporterName: "Exporter " + strconv.Itoa(i),
				BuyerCountry: pick(aggCountries[:6]), HSCode: pick(aggHS), Product: "goods",
				Value: events.Money{Amount: decimal.New(rng.Int64N(1e11), -2), Currency: pick(aggCurrencies)},
				Stage: "opportunity", Support: []string{}, Clauses: aggClauses[rng.IntN(len(aggClauses))],
				CreatedAt: at, UpdatedAt: at, StageChangedAt: at}
			deals[i] = &d
			ev = events.DealCreatedV1{Deal: d}
		} else {
			if rng.IntN(3) == 0 {
				return "", events.Envelope{}, false
			}
			d := *deals[i]
			d.Version++
			switch rng.IntN(9) {
			case 0, 1, 2:
				from := d.Stage
				d.Stage = pick(aggDealStages)
				if d.Stage == "contracted" {
					d.ContractDate = when().Format(time.DateOnly)
				}
				ev = events.DealStageChangedV1{Deal: d, From: from, To: d.Stage}
			case 3:
				d.HSCode = pick(aggHS)
				ev = events.DealUpdatedV1{Deal: d, Changed: []string{"hs_code"}}
			case 4:
				d.Value.Amount = decimal.New(rng.Int64N(1e11), -2)
				ev = events.DealUpdatedV1{Deal: d, Changed: []string{"value"}}
			case 5:
				d.Value.Currency = pick(aggCurrencies)
				ev = events.DealUpdatedV1{Deal: d, Changed: []string{"value"}}
			case 6:
				d.BuyerCountry = pick(aggCountries[:6])
				ev = events.DealUpdatedV1{Deal: d, Changed: []string{"buyer_country"}}
			case 7:
				if rng.IntN(2) == 0 {
					d.Post = pick(aggPosts)
				} else {
					d.Clauses = aggClauses[rng.IntN(len(aggClauses))]
				}
				ev = events.DealUpdatedV1{Deal: d, Changed: []string{"post", "clauses"}}
			default:
				d.Product = "goods " + strconv.Itoa(d.Version) // the figures do not see it
				ev = events.DealUpdatedV1{Deal: d, Changed: []string{"product"}}
			}
			*deals[i] = d
		}
		env, err := events.New(events.Meta{Source: "exports", Subject: "deal/" + deals[i].ID, Actor: "attache", Scope: "post:" + deals[i].Post}, ev)
		if err != nil {
			t.Fatal(err)
		}
		return events.MustSubject(events.DealSubject(deals[i].ID)), env, true
	}}
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
	if _, err := analytics.LoadHSClassification(ctx, conn, reference.Default()); err != nil {
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
	waitCurrent(t, conn, analytics.LeadKPI.Current, when)
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

var (
	aggBarrierStatuses = []string{"reported", "verified", "in_negotiation", "resolved_partly", "resolved", "dormant"}
	aggBarrierTypes    = []string{"tariff", "sps", "technical"}
)

// barrierHistories publishes about n barrier events as the exports service
// would: status forth and back (resolved with a resolution day, or
// without one), value stated or not, its currency, type, country, post,
// title alone; reported from 2019 (before the rates).
func barrierHistories(t *testing.T, js jetstream.JetStream, n int, seed uint64) int {
	t.Helper()
	return barrierHistory(t, n, seed).publish(t, js, n)
}

// barrierHistory is barrierHistories' generator for about n events, to publish in parts.
func barrierHistory(t *testing.T, n int, seed uint64) *history {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 13))
	barriers := make([]*events.BarrierV1, max(n/5, 1))
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	value := func() *events.Money {
		if rng.IntN(4) == 0 {
			return nil
		}
		return &events.Money{Amount: decimal.New(rng.Int64N(1e9), -2), Currency: pick(aggCurrencies)}
	}
	return &history{what: "barrier", last: make([]uint64, len(barriers)), next: func(i int) (string, events.Envelope, bool) {
		var ev events.Event
		if barriers[i] == nil {
			reported := time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(7*365))
			b := events.BarrierV1{ID: uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprintf("barrier-%d-%d", seed, i))).String(), Version: 1,
				Post: pick(aggPosts), Attache: "attache", Country: pick(aggCountries[:6]), HSCodes: []string{"1001"}, Type: pick(aggBarrierTypes),
				Title: "Barrier", ValueAtStake: value(), Status: "reported", LeadAgency: "mti", Clauses: aggClauses[rng.IntN(len(aggClauses))],
				ReportedOn: reported.Format(time.DateOnly), Progress: []events.ProgressNote{}, CreatedAt: at, UpdatedAt: at}
			if b.Clauses == nil {
				b.Clauses = []string{}
			}
			barriers[i] = &b
			ev = events.BarrierReportedV1{Barrier: b}
		} else {
			if rng.IntN(3) == 0 {
				return "", events.Envelope{}, false
			}
			b := *barriers[i]
			b.Version++
			switch rng.IntN(6) {
			case 0, 1, 2:
				from := b.Status
				b.Status, b.ResolvedOn = pick(aggBarrierStatuses), ""
				reported, _ := time.Parse(time.DateOnly, b.ReportedOn)
				on := reported.AddDate(0, 0, rng.IntN(900)).Format(time.DateOnly)
				if b.Status == "resolved" && rng.IntN(3) > 0 {
					b.ResolvedOn = on
				}
				ev = events.BarrierStatusChangedV1{Barrier: b, From: from, To: b.Status, EffectiveOn: on}
			case 3:
				b.ValueAtStake = value()
				ev = events.BarrierUpdatedV1{Barrier: b, Changed: []string{"value_at_stake"}}
			case 4:
				if rng.IntN(2) == 0 {
					b.Type = pick(aggBarrierTypes)
				} else {
					b.Country, b.Post = pick(aggCountries[:6]), pick(aggPosts)
				}
				ev = events.BarrierUpdatedV1{Barrier: b, Changed: []string{"type", "country", "post"}}
			default:
				b.Title = "Barrier " + strconv.Itoa(b.Version) // the figures do not see it
				ev = events.BarrierUpdatedV1{Barrier: b, Changed: []string{"title"}}
			}
			*barriers[i] = b
		}
		env, err := events.New(events.Meta{Source: "exports", Subject: "barrier/" + barriers[i].ID, Actor: "attache", Scope: "post:" + barriers[i].Post}, ev)
		if err != nil {
			t.Fatal(err)
		}
		return events.MustSubject(events.BarrierSubject(barriers[i].ID)), env, true
	}}
}

// collected is figures gathered as one comparable value; an error fails the test.
type collected struct {
	t   *testing.T
	out []any
}

func (c *collected) add(v any, err error) {
	c.t.Helper()
	if err != nil {
		c.t.Fatal(err)
	}
	c.out = append(c.out, v)
}

// barrierFigures are the barrier figures under f, as one comparable value.
func barrierFigures(t *testing.T, ctx context.Context, conn driver.Conn, f analytics.BarrierFilter) []any {
	t.Helper()
	c := &collected{t: t}
	add := c.add
	add(analytics.Barriers(ctx, conn, f))
	add(analytics.BarriersByType(ctx, conn, f))
	add(analytics.BarriersByCountry(ctx, conn, f))
	add(analytics.BarriersResolvedByYear(ctx, conn, f))
	return c.out
}

// sameBarriers: the barrier figures of both models are equal under filters
// of every post, country and a type.
func sameBarriers(t *testing.T, conn driver.Conn, when string) []any {
	t.Helper()
	filters := []analytics.BarrierFilter{{}, {Type: "sps"}}
	for _, p := range aggPosts {
		filters = append(filters, analytics.BarrierFilter{Post: p})
	}
	for _, c := range aggCountries[:6] {
		filters = append(filters, analytics.BarrierFilter{Country: c}, analytics.BarrierFilter{Post: aggPosts[2], Country: c, Type: "tariff"})
	}
	return sameFigures(t, conn, when, "barrier", analytics.BarrierFigures, filters, barrierFigures)
}

// exportFigures are every export figure under f (and the scorecard's
// export metrics under the same post and country), as one comparable value.
func exportFigures(t *testing.T, ctx context.Context, conn driver.Conn, f analytics.ExportFilter) []any {
	t.Helper()
	c := &collected{t: t}
	add := c.add
	add(analytics.ExportsByStage(ctx, conn, f))
	add(analytics.ExportsBySector(ctx, conn, f))
	add(analytics.ExportsByDestination(ctx, conn, f))
	add(analytics.ExportsByChapter(ctx, conn, f))
	add(analytics.NonRawShare(ctx, conn, f))
	add(analytics.MarketsAndProducts(ctx, conn, f))
	add(analytics.Concentration(ctx, conn, f))
	kf := analytics.KPIFilter{Years: f.Years, Post: f.Post, Country: f.BuyerCountry, Sector: f.Sector}
	for _, by := range []analytics.By{analytics.BySector, analytics.ByClause, analytics.ByCountry, analytics.ByTotal} {
		add(analytics.ExportsByYear(ctx, conn, by, kf))
	}
	kf.Clause = "2.6"
	add(analytics.ExportsByYear(ctx, conn, analytics.ByTotal, kf))
	add(analytics.ExportsByYear(ctx, conn, analytics.BySector, kf))
	return c.out
}

// sameExports: every export figure of both models is equal under filters of
// every post, country, some years, a sector and stages.
func sameExports(t *testing.T, conn driver.Conn, when string) []any {
	t.Helper()
	filters := []analytics.ExportFilter{{}, {Years: []int{2021, 2025}}, {Sector: "unassigned"}, {Stages: []string{"paid", "lost"}}}
	for _, p := range aggPosts {
		filters = append(filters, analytics.ExportFilter{Post: p})
	}
	for _, c := range aggCountries[:6] {
		filters = append(filters, analytics.ExportFilter{BuyerCountry: c}, analytics.ExportFilter{Post: aggPosts[1], BuyerCountry: c, Years: []int{2024}})
	}
	return sameFigures(t, conn, when, "export", analytics.DealExports, filters, exportFigures)
}

// kpiFigures are the scorecard's lead metrics under f, by every breakdown,
// as one comparable value.
func kpiFigures(t *testing.T, ctx context.Context, conn driver.Conn, f analytics.KPIFilter) []any {
	t.Helper()
	c := &collected{t: t}
	add := c.add
	for _, by := range []analytics.By{analytics.BySector, analytics.ByClause, analytics.ByCountry, analytics.ByTotal} {
		add(analytics.InvestmentByYear(ctx, conn, analytics.Committed, by, f))
		add(analytics.InvestmentByYear(ctx, conn, analytics.Realised, by, f))
		add(analytics.OpenPipeline(ctx, conn, by, f))
		add(analytics.Conversion(ctx, conn, by, f))
	}
	return c.out
}

// sameKPIs: the scorecard's lead metrics and the conversion of both models
// are equal under filters of every post, country, clause, a sector and years.
func sameKPIs(t *testing.T, conn driver.Conn, when string) []any {
	t.Helper()
	filters := []analytics.KPIFilter{{}, {Years: []int{2021, 2025}}, {Sector: "unassigned"}, {Sector: "agro", Clause: "2.6"}, {Clause: "2.2"}}
	for _, p := range aggPosts {
		filters = append(filters, analytics.KPIFilter{Post: p})
	}
	for _, c := range aggCountries {
		filters = append(filters, analytics.KPIFilter{Country: c}, analytics.KPIFilter{Post: aggPosts[1], Country: c, Years: []int{2024}})
	}
	return sameFigures(t, conn, when, "lead KPI", analytics.LeadKPI, filters, kpiFigures)
}

// sameFigures checks that fam's aggregates are current and that figures
// from them equal the same figures from the states (analytics.ReadStates),
// under every filter; it returns the figures under the first filter.
func sameFigures[F any, K analytics.FamilyKeys[K]](t *testing.T, conn driver.Conn, when, what string, fam *analytics.Family[K], filters []F,
	figures func(*testing.T, context.Context, driver.Conn, F) []any) []any {
	t.Helper()
	ctx := context.Background()
	waitCurrent(t, conn, fam.Current, when)
	var first []any
	for i, f := range filters {
		start := time.Now()
		agg := figures(t, ctx, conn, f)
		fromAgg := time.Since(start)
		start = time.Now()
		st := figures(t, analytics.ReadStates(ctx), conn, f)
		for j := range agg {
			if !reflect.DeepEqual(agg[j], st[j]) {
				t.Fatalf("%s, filter %+v, figure %d:\naggregates %+v\nstates     %+v", when, f, j, agg[j], st[j])
			}
		}
		if i == 0 {
			first = agg
			t.Logf("%s: %d %s figures equal; %v from the aggregates, %v from the states", when, len(agg), what, fromAgg.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		}
	}
	return first
}

// waitCurrent waits up to 2 minutes for current to say the aggregates are current.
func waitCurrent(t *testing.T, conn driver.Conn, current func(context.Context, driver.Conn) (bool, error), when string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ok, err := current(context.Background(), conn)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the aggregates are not current for the loaded rates after 2 minutes", when)
		}
		time.Sleep(100 * time.Millisecond)
	}
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

// familyKeepers returns s's keepers of the three families.
func familyKeepers(s *Service) (*aggregates[analytics.LeadKPIKeys], *aggregates[analytics.ExportKeys], *aggregates[analytics.BarrierKeys]) {
	return s.keepers[events.StreamLeads][0].(*aggregates[analytics.LeadKPIKeys]),
		s.keepers[events.StreamExports][0].(*aggregates[analytics.ExportKeys]),
		s.keepers[events.StreamExports][1].(*aggregates[analytics.BarrierKeys])
}

// TestAggregatesEqualTheStates: generated lead and deal histories through
// NATS and the real ingest, with copies of some messages published again;
// the pipeline and every export figure from the aggregates equal the
// figures from the states to the cent under every filter: as ingested
// (previous keys from the load, the recent keys and the stream), after the
// whole streams are delivered again to two instances, merged, and after a
// rates file with other rates is loaded (re-projected by the running
// instances, one at a time) while new events come in.
func TestAggregatesEqualTheStates(t *testing.T) {
	ctx := context.Background()
	ns := natstest.Start(t)
	conn := aggregatesDatabase(t, "aggregates")
	// Each history in two halves, with an ingest instance between them: the
	// second instance starts without the keys of the first half's events,
	// so those its events follow are read from the stream, whatever the
	// size of its loads (a busy machine merges fetches into larger ones).
	histories := []*history{leadHistory(t, aggEvents(), 1), dealHistory(t, aggEvents(), 2), barrierHistory(t, aggEvents()/4, 3)}
	sizes := []int{aggEvents(), aggEvents(), aggEvents() / 4}
	published := make([]int, len(histories))
	half := func() {
		for i, h := range histories {
			published[i] += h.publish(t, ns.JS, sizes[i]/2)
		}
	}
	half()
	earlier := New(ns.JS, conn, obs.Discard(), Config{Consumer: "ingest-agg"})
	startDrained(t, ns.JS, earlier, "ingest-agg")()
	half()
	// Copies of stored messages published again without the header, as a
	// tool would (the same event ids at new sequences): counted once.
	for _, stream := range []string{events.StreamLeads, events.StreamExports} {
		st, err := ns.JS.Stream(ctx, stream)
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
	}

	s := New(ns.JS, conn, obs.Discard(), Config{Consumer: "ingest-agg"})
	kpis, deals, barriers := familyKeepers(s)
	kpis.keep, deals.keep, barriers.keep = 500, 500, 100 // most previous events are then read from the stream
	startDrained(t, ns.JS, s, "ingest-agg")()
	kpisBefore, dealsBefore, barriersBefore := familyKeepers(earlier)
	for _, k := range []struct {
		name              string
		lookups, unplaced int64
	}{
		{"leads", kpis.lookups, kpis.unplaced + kpisBefore.unplaced},
		{"deals", deals.lookups, deals.unplaced + dealsBefore.unplaced},
		{"barriers", barriers.lookups, barriers.unplaced + barriersBefore.unplaced},
	} {
		if k.lookups == 0 || k.unplaced != 0 {
			t.Fatalf("%s: %d previous events read from the stream (want some), %d not placed (want none)", k.name, k.lookups, k.unplaced)
		}
	}
	t.Logf("%d lead, %d deal and %d barrier events; %d, %d and %d previous events read from the stream", published[0], published[1], published[2], kpis.lookups, deals.lookups, barriers.lookups)
	first := samePipelines(t, conn, "ingested")
	if len(first) < 20 {
		t.Fatalf("the figure has %d rows: the generator should fill most sectors and stages", len(first))
	}
	firstExports := sameExports(t, conn, "ingested")
	firstKPIs := sameKPIs(t, conn, "ingested")
	firstBarriers := sameBarriers(t, conn, "ingested")
	if bySector := firstExports[1].([]analytics.SectorExports); len(bySector) < 4 {
		t.Fatalf("exports by sector has %d rows: the generator should fill several sectors", len(bySector))
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
	if got := sameExports(t, conn, "delivered twice"); !reflect.DeepEqual(got, firstExports) {
		t.Fatalf("delivered twice: exports %+v, was %+v", got, firstExports)
	}
	if got := sameKPIs(t, conn, "delivered twice"); !reflect.DeepEqual(got, firstKPIs) {
		t.Fatalf("delivered twice: lead KPIs %+v, was %+v", got, firstKPIs)
	}
	if got := sameBarriers(t, conn, "delivered twice"); !reflect.DeepEqual(got, firstBarriers) {
		t.Fatalf("delivered twice: barriers %+v, was %+v", got, firstBarriers)
	}
	for _, table := range []string{"lead_pipeline", "lead_states", "lead_stage_history", "deal_exports", "deal_states",
		"lead_investment", "lead_open", "lead_conversion", "barrier_tally", "barrier_states"} {
		if err := conn.Exec(ctx, "OPTIMIZE TABLE "+table+" FINAL"); err != nil {
			t.Fatal(err)
		}
	}
	samePipelines(t, conn, "merged")
	sameExports(t, conn, "merged")
	sameKPIs(t, conn, "merged")
	sameBarriers(t, conn, "merged")

	// Other rates: the running ingest re-projects within its check interval.
	rs, err := reference.Default().DemoRates()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := analytics.LoadRates(ctx, conn, rs.Scaled("CNY", decimal.RequireFromString("1.01")), reference.DefaultRateLimits, "cny+1%"); err != nil {
		t.Fatal(err)
	}
	// New events meanwhile: one instance re-projects while the other has
	// events to write.
	leadHistories(t, ns.JS, 5000, 4)
	dealHistories(t, ns.JS, 5000, 5)
	barrierHistories(t, ns.JS, 2000, 6)
	faultkit.MustWaitDrained(t, ns.JS, "ingest-agg-again", time.Now().Add(5*time.Minute), nil)
	if got := samePipelines(t, conn, "rates changed"); reflect.DeepEqual(got, first) {
		t.Fatal("the figure did not change with the CNY rates")
	}
	if got := sameExports(t, conn, "rates changed"); reflect.DeepEqual(got, firstExports) {
		t.Fatal("the export figures did not change with the CNY rates and new deals")
	}
	if got := sameKPIs(t, conn, "rates changed"); reflect.DeepEqual(got, firstKPIs) {
		t.Fatal("the lead KPIs did not change with the CNY rates and new leads")
	}
	if got := sameBarriers(t, conn, "rates changed"); reflect.DeepEqual(got, firstBarriers) {
		t.Fatal("the barrier figures did not change with the CNY rates and new barriers")
	}
	stop()
	stopOther()
}

// TestLedgersFilledFromTheStreams: a database that ingest filled without
// the aggregates (as before them) gets its ledgers from the streams when
// ingest with the aggregates starts, and the figures agree.
func TestLedgersFilledFromTheStreams(t *testing.T) {
	ns := natstest.Start(t)
	conn := aggregatesDatabase(t, "backfill")
	leadHistories(t, ns.JS, 3000, 2)
	dealHistories(t, ns.JS, 3000, 3)
	barrierHistories(t, ns.JS, 1000, 4)
	startDrained(t, ns.JS, New(ns.JS, conn, obs.Discard(), Config{Consumer: "ingest-old", NoAggregates: true}), "ingest-old")()
	for _, current := range []func(context.Context, driver.Conn) (bool, error){analytics.LeadKPI.Current, analytics.DealExports.Current, analytics.BarrierFigures.Current} {
		if current, err := current(context.Background(), conn); err != nil || current {
			t.Fatalf("aggregates current before ingest kept them: %v %v", current, err)
		}
	}
	stop := startDrained(t, ns.JS, New(ns.JS, conn, obs.Discard(), Config{Consumer: "ingest-old"}), "ingest-old")
	samePipelines(t, conn, "ledger filled from the stream")
	sameExports(t, conn, "ledger filled from the stream")
	sameKPIs(t, conn, "ledger filled from the stream")
	sameBarriers(t, conn, "ledger filled from the stream")
	leadHistories(t, ns.JS, 500, 3) // and live events after it
	dealHistories(t, ns.JS, 500, 4)
	barrierHistories(t, ns.JS, 300, 5)
	faultkit.MustWaitDrained(t, ns.JS, "ingest-old", time.Now().Add(5*time.Minute), nil)
	samePipelines(t, conn, "then live events")
	sameExports(t, conn, "then live events")
	sameKPIs(t, conn, "then live events")
	sameBarriers(t, conn, "then live events")
	stop()
}
