package digest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/analytics/chtest"
	"econdip/services/platform/obs"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

func TestMain(m *testing.M) { chtest.Main(m, "econdip_test_digest") }

// The fixture: the digest for Monday W = 2026-12-07 reports the week
// 2026-11-30 … 2026-12-06 (Astana), i.e. the instants 2026-11-29T19:00Z …
// 2026-12-06T19:00Z. Post de-berlin, commission igc-de (another: igc-cn,
// post cn-beijing).
//
//	lead LA  de-berlin created 12-01T05:00Z (new); identified→contacted 12-02T06:00Z (moved)
//	lead LB  de-berlin created 10-01; qualified→negotiating 11-29T19:30Z (= 11-30 00:30 Astana: in the week);
//	         negotiating→committed 12-06T20:00Z (= 12-07 01:00 Astana: after the week)
//	lead LC  cn-beijing created 12-03 (new, only in the everything digest)
//	lead LD  de-berlin created 11-29T18:59Z (= 11-29 23:59 Astana: before the week)
//	deal DA  de-berlin created 12-03, negotiating, for decision igc-de/de-1 (new)
//	deal DB  de-berlin created 09-01, contracted on 12-04 (moved)
//	deal DC  de-berlin created 09-01, moved 11-20 (neither)
//	decision igc-de/de-1 deadline 12-10 open                 due soon (deal DA names it)
//	decision igc-de/de-2 deadline 12-21 in_progress          W+14: not due soon
//	decision igc-de/de-3 deadline 12-06 open, leads [LB]     overdue 1 day
//	decision igc-de/de-4 deadline 11-01 done                 nothing
//	decision igc-de/de-5 deadline 12-07 open, leads [LA]     due soon (deadline W: not overdue)
//	decision igc-cn/cn-1 deadline 12-08 open                 due soon, everything digest only
//	task T1 post:de-berlin   lead LA   due 12-04             overdue
//	task T2 post:de-berlin   deal DA   due 12-09             open
//	task T3 post:de-berlin   barrier   due 12-15 done        nothing
//	task T4 commission:igc-de de-1     v1 due 12-08, v2 due 12-11   open, once, due 12-11
//	task T5 commission:igc-de de-3     due 12-01             overdue
const (
	leadA = "a0000000-0000-4000-8000-00000000000a"
	leadB = "a0000000-0000-4000-8000-00000000000b"
	leadC = "a0000000-0000-4000-8000-00000000000c"
	leadD = "a0000000-0000-4000-8000-00000000000d"
)

var fixtureOnce sync.Once

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func dayT(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func dayP(s string) *time.Time { t := dayT(s); return &t }

// fixtureConn is a connection to the migrated test database holding the fixture.
func fixtureConn(t *testing.T) driver.Conn {
	t.Helper()
	conn := chtest.Conn(t)
	var err error
	fixtureOnce.Do(func() {
		ctx := context.Background()
		if err = analytics.Migrate(ctx, conn, obs.Discard()); err != nil {
			return
		}
		err = analytics.Write(ctx, conn, fixtureRows())
	})
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func fixtureRows() *analytics.Rows {
	var seq uint64
	next := func() (uuid.UUID, uint64) { seq++; return uuid.New(), seq }
	lead := func(id, post, investor, country, title, stage, created string) analytics.LeadStateRow {
		e, s := next()
		c := ts(created)
		return analytics.LeadStateRow{LeadID: uuid.MustParse(id), Version: 1, Post: post, Attache: "att." + post, InvestorName: investor,
			InvestorCountry: country, Title: title, Sector: "machine_building", Clauses: []string{"2.2"}, InvestmentType: "greenfield",
			Capex: decimal.NewFromInt(1000000), Currency: "USD", Source: "event", Stage: stage, Probability: decimal.RequireFromString("0.1"),
			CreatedAt: c, UpdatedAt: c, StageChangedAt: c, StageDay: dayT(c.Format(time.DateOnly)), EventID: e, StreamSeq: s}
	}
	move := func(id string, version uint32, from, to, at, on string) analytics.LeadStageRow {
		e, s := next()
		return analytics.LeadStageRow{LeadID: uuid.MustParse(id), Version: version, From: from, To: to, EffectiveOn: dayT(on),
			Actor: "att", Time: ts(at), EventID: e, StreamSeq: s}
	}
	deal := func(id, exporter, product, stage, created, changed, decision, commission string) analytics.DealStateRow {
		e, s := next()
		return analytics.DealStateRow{DealID: id, Version: 1, Post: "de-berlin", Attache: "att", ExporterBIN: "100000000001",
			ExporterName: exporter, BuyerCountry: "DE", BuyerName: "Buyer GmbH", HSCode: "100119", HSChapter: "10", HSHeading: "1001",
			Product: product, Value: decimal.NewFromInt(5000), Currency: "USD", Unit: "t", Stage: stage,
			DecisionID: decision, CommissionID: commission, DealDate: dayT(created[:10]),
			CreatedAt: ts(created), UpdatedAt: ts(changed), StageChangedAt: ts(changed), EventID: e, StreamSeq: s}
	}
	decision := func(commission, id, item, deadline, status string, leads []string) analytics.DecisionStateRow {
		e, s := next()
		r := analytics.DecisionStateRow{CommissionID: commission, DecisionID: id, Version: 1, PartnerCountry: "DE", SessionID: commission + "-s1",
			SessionNumber: 1, SessionDate: dayT("2026-03-01"), Item: item, Text: "Decision " + item + " text", Agencies: []string{"MTI"},
			Deadline: dayT(deadline), Sector: "machine_building", Clauses: []string{"2.2"}, LeadIDs: leads, Status: status,
			StatusDate: dayT("2026-03-01"), CreatedAt: ts("2026-03-01T06:00:00Z"), UpdatedAt: ts("2026-03-01T06:00:00Z"), EventID: e, StreamSeq: s}
		if status == "done" {
			r.DoneOn = dayP("2026-10-20")
		}
		return r
	}
	task := func(id string, version uint32, scope, kind, record, commission, due string, done bool) analytics.TaskStateRow {
		e, s := next()
		r := analytics.TaskStateRow{TaskID: id, Version: version, RecordKind: kind, RecordID: record, CommissionID: commission,
			Scope: scope, Assignee: "user." + scope[:4], Due: dayT(due), Done: done, CreatedBy: "x",
			CreatedAt: ts("2026-11-20T06:00:00Z"), UpdatedAt: ts("2026-11-20T06:00:00Z"), EventID: e, StreamSeq: s}
		if done {
			at := ts("2026-12-01T06:00:00Z")
			r.DoneAt = &at
		}
		return r
	}
	lb := lead(leadB, "de-berlin", "Alpen Solar AG", "AT", "Solar panel factory", "committed", "2026-10-01T06:00:00Z")
	return &analytics.Rows{
		LeadStates: []analytics.LeadStateRow{
			lead(leadA, "de-berlin", "Rhein Maschinenbau GmbH", "DE", "Tractor plant", "contacted", "2026-12-01T05:00:00Z"),
			lb,
			lead(leadC, "cn-beijing", "Shaanxi Auto", "CN", "Truck assembly", "identified", "2026-12-03T05:00:00Z"),
			lead(leadD, "de-berlin", "Elbe Chemie", "DE", "Fertiliser plant", "identified", "2026-11-29T18:59:00Z"),
		},
		LeadStages: []analytics.LeadStageRow{
			move(leadA, 1, "", "identified", "2026-12-01T05:00:00Z", "2026-12-01"),
			move(leadA, 2, "identified", "contacted", "2026-12-02T06:00:00Z", "2026-12-02"),
			move(leadB, 2, "qualified", "negotiating", "2026-11-29T19:30:00Z", "2026-11-30"),
			move(leadB, 3, "negotiating", "committed", "2026-12-06T20:00:00Z", "2026-12-07"),
		},
		DealStates: []analytics.DealStateRow{
			deal("deal-a", "KazAgro Export LLP", "Durum wheat", "negotiating", "2026-12-03T05:00:00Z", "2026-12-03T05:00:00Z", "de-1", "igc-de"),
			deal("deal-b", "Kostanay Mill JSC", "Wheat flour", "contracted", "2026-09-01T05:00:00Z", "2026-12-04T05:00:00Z", "", ""),
			deal("deal-c", "Pavlodar Oil LLP", "Sunflower oil", "negotiating", "2026-09-01T05:00:00Z", "2026-11-20T05:00:00Z", "", ""),
		},
		DecisionStates: []analytics.DecisionStateRow{
			decision("igc-de", "de-1", "4.1", "2026-12-10", "open", nil),
			decision("igc-de", "de-2", "4.2", "2026-12-21", "in_progress", nil),
			decision("igc-de", "de-3", "4.3", "2026-12-06", "open", []string{leadB}),
			decision("igc-de", "de-4", "4.4", "2026-11-01", "done", nil),
			decision("igc-de", "de-5", "4.5", "2026-12-07", "open", []string{leadA}),
			decision("igc-cn", "cn-1", "1.1", "2026-12-08", "open", nil),
		},
		TaskStates: []analytics.TaskStateRow{
			task("t1", 1, "post:de-berlin", "lead", leadA, "", "2026-12-04", false),
			task("t2", 1, "post:de-berlin", "deal", "deal-a", "", "2026-12-09", false),
			task("t3", 1, "post:de-berlin", "barrier", "barrier-x", "", "2026-12-15", true),
			task("t4", 1, "commission:igc-de", "decision", "de-1", "igc-de", "2026-12-08", false),
			task("t4", 2, "commission:igc-de", "decision", "de-1", "igc-de", "2026-12-11", false),
			task("t5", 1, "commission:igc-de", "decision", "de-3", "igc-de", "2026-12-01", false),
		},
	}
}
