package analytics_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/analytics/chtest"
	"econdip/services/platform/kernel"
)

// The fixture, as of 2026-06-15 (asOf-1 = 2026-06-14). Three commissions:
// igc-cn (two versions: only the second name counts), igc-de, and igc-tr,
// whose commission event has not arrived (no name; its country comes from
// its decision).
//
//	id    comm  sess (date)        item deadline    status       done_on     agencies      sector           clauses   leads
//	cn-1  cn    1 (2025-03-20)     1.1  2026-06-15  open         -           MFA           mining           2.2       -          deadline == asOf: not due
//	cn-2  cn    1                  1.2  2026-06-14  in_progress  -           MINT, MFA     mining           2.2, 2.3  -          overdue 1 day
//	cn-3  cn    1                  1.3  2025-12-31  done (v2)    2025-12-31  MINT          agriculture      2.3       -          on time (done_on == deadline);
//	                                                                                                                              v1 was open, mining, and would be overdue
//	cn-4  cn    1                  1.4  2025-12-31  done         2026-01-01  MEN           energy           2.4       L1, L2     late 1 day; L2 has no rate
//	cn-5  cn    1                  1.5  2025-06-30  cancelled    -           MFA           energy           2.4       -          cancelled: not due
//	cn-6  cn    1                  1.6  2025-10-01  open         -           MEN           mining           2.2       L1         overdue 257 days; L1 again
//	cn-7  cn    2 (2026-07-01)     2.1  2026-12-31  open         -           MFA           mining           2.2       L3         session after asOf: not counted
//	de-1  de    1 (2025-09-10)     4.1  2026-03-01  done         2026-02-15  MTI, MINT     machine_building 2.2       L1, L3     on time
//	de-2  de    1                  4.2  2026-01-31  done         2026-03-02  MTI, MFA      machine_building 2.3       L4         late 30 days; L4 not in lead_states
//	de-3  de    1                  4.3  2027-01-31  open         -           (none)        (none)           (none)    -          not due
//	tr-1  tr    1 (2026-05-20)     1    2026-12-31  open         -           MFA           transport        2.5       -          not due: igc-tr has no rate
//
// Leads: L1 capex 1,000,000.00 USD (version 2; version 1 said 900,000.00),
// L2 90,000,000 XOF without a rate, L3 250,000.50 USD; L4 is not in lead_states.
const (
	l1 = "10000000-0000-4000-8000-000000000001"
	l2 = "10000000-0000-4000-8000-000000000002"
	l3 = "10000000-0000-4000-8000-000000000003"
	l4 = "10000000-0000-4000-8000-000000000004"
)

var astana = kernel.Astana

// day is a calendar day as Date columns hold it: midnight UTC.
func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func money(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func rateOf(s string) *decimal.Decimal {
	if s == "" {
		return nil
	}
	r := money(s)
	return &r
}

type decisionSpec struct {
	commission, id string
	version        uint32
	session        uint32
	sessionDate    string
	item           string
	deadline       string
	status         string
	doneOn         string
	agencies       []string
	sector         string
	clauses        []string
	leads          []string
}

func (s decisionSpec) row() analytics.DecisionStateRow {
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	r := analytics.DecisionStateRow{
		CommissionID: "igc-" + s.commission, DecisionID: s.id, Version: s.version, PartnerCountry: map[string]string{"cn": "CN", "de": "DE", "tr": "TR"}[s.commission],
		SessionID: s.commission + "-s" + string(rune('0'+s.session)), SessionNumber: s.session, SessionDate: day(s.sessionDate),
		Item: s.item, Text: "Decision " + s.id, Agencies: s.agencies, Deadline: day(s.deadline), Sector: s.sector, Clauses: s.clauses,
		LeadIDs: s.leads, Status: s.status, StatusDate: day(s.sessionDate),
		CreatedAt: at, UpdatedAt: at, EventID: uuid.New(), StreamSeq: uint64(s.version),
	}
	if s.doneOn != "" {
		on := day(s.doneOn)
		r.DoneOn, r.StatusDate = &on, on
	}
	return r
}

// investorLead is a lead state; its capex converts when read (XOF has no rate).
func investorLead(id string, version uint32, title, capex, currency string) analytics.LeadStateRow {
	at := time.Date(2026, 5, 10, 8, 0, 0, 0, time.UTC)
	return analytics.LeadStateRow{LeadID: uuid.MustParse(id), Version: version, Post: "cn-beijing", Title: title, Sector: "mining",
		Stage: "qualified", Clauses: []string{"2.2"}, Capex: money(capex), Currency: currency, StageDay: day("2026-05-10"),
		Probability: money("0.25"), CreatedAt: at, UpdatedAt: at, StageChangedAt: at,
		EventID: uuid.New(), StreamSeq: uint64(version)}
}

func commissionFixture() (first, late *analytics.Rows) {
	s1cn, s1de, s1tr := "2025-03-20", "2025-09-10", "2026-05-20"
	at := time.Date(2025, 1, 10, 6, 0, 0, 0, time.UTC)
	first = &analytics.Rows{
		CommissionStates: []analytics.CommissionStateRow{
			{CommissionID: "igc-cn", Version: 1, Name: "KZ-CN commission (draft)", PartnerCountry: "CN", CreatedAt: at, UpdatedAt: at, EventID: uuid.New(), StreamSeq: 1},
			{CommissionID: "igc-cn", Version: 2, Name: "Kazakhstan-China Intergovernmental Commission", PartnerCountry: "CN", CreatedAt: at, UpdatedAt: at, EventID: uuid.New(), StreamSeq: 2},
			{CommissionID: "igc-de", Version: 1, Name: "Kazakhstan-Germany Intergovernmental Commission", PartnerCountry: "DE", CreatedAt: at, UpdatedAt: at, EventID: uuid.New(), StreamSeq: 3},
		},
		SessionStates: []analytics.SessionStateRow{
			{SessionID: "cn-s1", CommissionID: "igc-cn", Number: 1, Date: day(s1cn), Place: "Astana", DecisionIDs: []string{"cn-1", "cn-2", "cn-3", "cn-4", "cn-5", "cn-6"}, Decisions: 6, CreatedAt: at, EventID: uuid.New(), StreamSeq: 4},
			{SessionID: "cn-s2", CommissionID: "igc-cn", Number: 2, Date: day("2026-07-01"), Place: "Beijing", DecisionIDs: []string{"cn-7"}, Decisions: 1, CreatedAt: at, EventID: uuid.New(), StreamSeq: 5},
			{SessionID: "de-s1", CommissionID: "igc-de", Number: 1, Date: day(s1de), Place: "Berlin", DecisionIDs: []string{"de-1", "de-2", "de-3"}, Decisions: 3, CreatedAt: at, EventID: uuid.New(), StreamSeq: 6},
			{SessionID: "tr-s1", CommissionID: "igc-tr", Number: 1, Date: day(s1tr), Place: "Ankara", DecisionIDs: []string{"tr-1"}, Decisions: 1, CreatedAt: at, EventID: uuid.New(), StreamSeq: 7},
		},
		DecisionStates: []analytics.DecisionStateRow{
			decisionSpec{"cn", "cn-1", 1, 1, s1cn, "1.1", "2026-06-15", "open", "", []string{"MFA"}, "mining", []string{"2.2"}, nil}.row(),
			decisionSpec{"cn", "cn-2", 2, 1, s1cn, "1.2", "2026-06-14", "in_progress", "", []string{"MINT", "MFA"}, "mining", []string{"2.2", "2.3"}, nil}.row(),
			decisionSpec{"cn", "cn-3", 2, 1, s1cn, "1.3", "2025-12-31", "done", "2025-12-31", []string{"MINT"}, "agriculture", []string{"2.3"}, nil}.row(),
			decisionSpec{"cn", "cn-4", 2, 1, s1cn, "1.4", "2025-12-31", "done", "2026-01-01", []string{"MEN"}, "energy", []string{"2.4"}, []string{l1, l2}}.row(),
			decisionSpec{"cn", "cn-5", 2, 1, s1cn, "1.5", "2025-06-30", "cancelled", "", []string{"MFA"}, "energy", []string{"2.4"}, nil}.row(),
			decisionSpec{"cn", "cn-6", 2, 1, s1cn, "1.6", "2025-10-01", "open", "", []string{"MEN"}, "mining", []string{"2.2"}, []string{l1}}.row(),
			decisionSpec{"cn", "cn-7", 2, 2, "2026-07-01", "2.1", "2026-12-31", "open", "", []string{"MFA"}, "mining", []string{"2.2"}, []string{l3}}.row(),
			decisionSpec{"de", "de-1", 3, 1, s1de, "4.1", "2026-03-01", "done", "2026-02-15", []string{"MTI", "MINT"}, "machine_building", []string{"2.2"}, []string{l1, l3}}.row(),
			decisionSpec{"de", "de-2", 3, 1, s1de, "4.2", "2026-01-31", "done", "2026-03-02", []string{"MTI", "MFA"}, "machine_building", []string{"2.3"}, []string{l4}}.row(),
			decisionSpec{"de", "de-3", 1, 1, s1de, "4.3", "2027-01-31", "open", "", nil, "", nil, nil}.row(),
			decisionSpec{"tr", "tr-1", 1, 1, s1tr, "1", "2026-12-31", "open", "", []string{"MFA"}, "transport", []string{"2.5"}, nil}.row(),
		},
		DecisionStatuses: []analytics.DecisionStatusRow{
			{CommissionID: "igc-cn", DecisionID: "cn-3", Version: 2, From: "open", To: "done", EffectiveOn: day("2025-12-31"), Actor: "u-mint", Comment: "signed", EvidenceRef: "doc-17", Time: at, EventID: uuid.New(), StreamSeq: 20},
			{CommissionID: "igc-cn", DecisionID: "cn-4", Version: 2, From: "open", To: "done", EffectiveOn: day("2026-01-01"), Actor: "u-men", Comment: "late", Time: at, EventID: uuid.New(), StreamSeq: 21},
		},
		LeadStates: []analytics.LeadStateRow{
			investorLead(l1, 1, "Copper smelter", "900000.00", "USD"),
			investorLead(l1, 2, "Copper smelter", "1000000.00", "USD"),
			investorLead(l2, 1, "Grain terminal", "90000000", "XOF"),
			investorLead(l3, 1, "Wind farm", "250000.50", "USD"),
		},
	}
	// An older version of cn-3 arriving after the newer one (a late redelivery):
	// open, in sector mining; as of asOf it would be overdue if it counted.
	late = &analytics.Rows{DecisionStates: []analytics.DecisionStateRow{
		decisionSpec{"cn", "cn-3", 1, 1, s1cn, "1.3", "2025-12-31", "open", "", []string{"MINT"}, "mining", []string{"2.3"}, nil}.row(),
	}}
	return first, late
}

func loadCommissionFixture(t *testing.T) {
	t.Helper()
	conn := migrated(t)
	ctx := context.Background()
	// Start from empty commission tables so the test can run again (-count).
	for _, table := range []string{"commission_states", "session_states", "decision_states", "decision_status_history"} {
		if err := conn.Exec(ctx, "TRUNCATE TABLE "+table); err != nil {
			t.Fatal(err)
		}
	}
	// lead_states is shared with the pipeline test, which sums every lead: take
	// the fixture's leads out again, whatever order the tests run in.
	t.Cleanup(func() { removeLeads(t, conn, l1, l2, l3, l4) })
	first, late := commissionFixture()
	// The same rows twice, as a redelivery would insert them, then the late old version.
	for _, rows := range []*analytics.Rows{first, first, late} {
		if err := analytics.Write(ctx, conn, rows); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCommissionFigures(t *testing.T) {
	loadCommissionFixture(t)
	conn := chtest.Conn(t)
	ctx := context.Background()
	// 01:00 in Astana on 2026-06-15 is still 2026-06-14 in UTC: the day in asOf's own location counts.
	asOf := time.Date(2026, 6, 15, 1, 0, 0, 0, astana)
	all := analytics.CommissionFilter{}

	t.Run("tables collapse duplicates", func(t *testing.T) {
		for q, want := range map[string]uint64{
			"SELECT count() FROM commission_states FINAL":                                    2,  // igc-cn, igc-de
			"SELECT count() FROM session_states FINAL":                                       4,  // cn-s1, cn-s2, de-s1, tr-s1
			"SELECT toUInt64(sum(decisions)) FROM session_states FINAL":                      11, // 6 + 1 + 3 + 1
			"SELECT count() FROM decision_states FINAL":                                      11, // cn-1..7, de-1..3, tr-1
			"SELECT count() FROM decision_status_history FINAL":                              2,  // cn-3, cn-4
			"SELECT toUInt64(version) FROM decision_states FINAL WHERE decision_id = 'cn-3'": 2,
		} {
			var got uint64
			if err := conn.QueryRow(ctx, q).Scan(&got); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if got != want {
				t.Errorf("%s = %d, want %d", q, got, want)
			}
		}
	})

	t.Run("by commission", func(t *testing.T) {
		got, err := analytics.ExecutionByCommission(ctx, conn, asOf, all)
		if err != nil {
			t.Fatal(err)
		}
		want := []analytics.CommissionExecution{
			// cn-1..cn-6 (cn-7's session is after asOf): due = cn-2, cn-3, cn-4, cn-6 = 4 (cn-1's deadline is
			// asOf itself, cn-5 is cancelled); on time cn-3; late cn-4; overdue cn-2, cn-6; rate 1/4 = 0.2500.
			{CommissionID: "igc-cn", Name: "Kazakhstan-China Intergovernmental Commission", PartnerCountry: "CN",
				Execution: analytics.Execution{Due: 4, DoneOnTime: 1, DoneLate: 1, Overdue: 2, Cancelled: 1, Total: 6, Rate: rateOf("0.25")}},
			// de-1 on time, de-2 late, de-3 not due: rate 1/2 = 0.5000.
			{CommissionID: "igc-de", Name: "Kazakhstan-Germany Intergovernmental Commission", PartnerCountry: "DE",
				Execution: analytics.Execution{Due: 2, DoneOnTime: 1, DoneLate: 1, Overdue: 0, Cancelled: 0, Total: 3, Rate: rateOf("0.5")}},
			// tr-1 not due: no rate; the commission is not recorded, the country comes from the decision.
			{CommissionID: "igc-tr", Name: "", PartnerCountry: "TR",
				Execution: analytics.Execution{Total: 1}},
		}
		checkCommissionExecution(t, got, want)

		// Deadline year 2025 only: cn-3 (on time), cn-4 (late), cn-5 (cancelled), cn-6 (overdue):
		// due 3, rate 1/3 = 0.3333.
		got, err = analytics.ExecutionByCommission(ctx, conn, asOf, analytics.CommissionFilter{Years: []int{2025}})
		if err != nil {
			t.Fatal(err)
		}
		checkCommissionExecution(t, got, []analytics.CommissionExecution{
			{CommissionID: "igc-cn", Name: "Kazakhstan-China Intergovernmental Commission", PartnerCountry: "CN",
				Execution: analytics.Execution{Due: 3, DoneOnTime: 1, DoneLate: 1, Overdue: 1, Cancelled: 1, Total: 4, Rate: rateOf("0.3333")}},
		})

		// One day later cn-1's deadline (2026-06-15) has ended: due 5, overdue 3, rate 1/5 = 0.2000.
		got, err = analytics.ExecutionByCommission(ctx, conn, time.Date(2026, 6, 16, 0, 0, 0, 0, astana), analytics.CommissionFilter{CommissionID: "igc-cn"})
		if err != nil {
			t.Fatal(err)
		}
		checkCommissionExecution(t, got, []analytics.CommissionExecution{
			{CommissionID: "igc-cn", Name: "Kazakhstan-China Intergovernmental Commission", PartnerCountry: "CN",
				Execution: analytics.Execution{Due: 5, DoneOnTime: 1, DoneLate: 1, Overdue: 3, Cancelled: 1, Total: 6, Rate: rateOf("0.2")}},
		})
	})

	t.Run("by agency", func(t *testing.T) {
		got, err := analytics.ExecutionByAgency(ctx, conn, asOf, all)
		if err != nil {
			t.Fatal(err)
		}
		// Totals 2 + 5 + 3 + 2 + 1 = 13 = 10 decisions + 3 second agencies (cn-2, de-1, de-2).
		want := []analytics.AgencyExecution{
			// cn-4 late, cn-6 overdue: rate 0/2 = 0 (a rate, not absent).
			{Agency: "MEN", Execution: analytics.Execution{Due: 2, DoneLate: 1, Overdue: 1, Total: 2, Rate: rateOf("0")}},
			// cn-1 not due, cn-2 overdue, cn-5 cancelled, de-2 late, tr-1 not due: 0/2.
			{Agency: "MFA", Execution: analytics.Execution{Due: 2, DoneLate: 1, Overdue: 1, Cancelled: 1, Total: 5, Rate: rateOf("0")}},
			// cn-2 overdue, cn-3 on time, de-1 on time: 2/3 = 0.6667.
			{Agency: "MINT", Execution: analytics.Execution{Due: 3, DoneOnTime: 2, Overdue: 1, Total: 3, Rate: rateOf("0.6667")}},
			// de-1 on time, de-2 late: 1/2.
			{Agency: "MTI", Execution: analytics.Execution{Due: 2, DoneOnTime: 1, DoneLate: 1, Total: 2, Rate: rateOf("0.5")}},
			// de-3, not due.
			{Agency: "unassigned", Execution: analytics.Execution{Total: 1}},
		}
		if len(got) != len(want) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i].Agency != want[i].Agency || !sameExecution(got[i].Execution, want[i].Execution) {
				t.Errorf("row %d = %s %s, want %s %s", i, got[i].Agency, fmtExecution(got[i].Execution), want[i].Agency, fmtExecution(want[i].Execution))
			}
		}
	})

	t.Run("by year", func(t *testing.T) {
		got, err := analytics.ExecutionByYear(ctx, conn, asOf, all)
		if err != nil {
			t.Fatal(err)
		}
		want := []analytics.YearExecution{
			// cn-3 on time, cn-4 late, cn-5 cancelled, cn-6 overdue: 1/3.
			{CommissionID: "igc-cn", Year: 2025, Execution: analytics.Execution{Due: 3, DoneOnTime: 1, DoneLate: 1, Overdue: 1, Cancelled: 1, Total: 4, Rate: rateOf("0.3333")}},
			// cn-1 not due, cn-2 overdue: 0/1.
			{CommissionID: "igc-cn", Year: 2026, Execution: analytics.Execution{Due: 1, Overdue: 1, Total: 2, Rate: rateOf("0")}},
			// de-1 on time, de-2 late: 1/2.
			{CommissionID: "igc-de", Year: 2026, Execution: analytics.Execution{Due: 2, DoneOnTime: 1, DoneLate: 1, Total: 2, Rate: rateOf("0.5")}},
			{CommissionID: "igc-de", Year: 2027, Execution: analytics.Execution{Total: 1}},
			{CommissionID: "igc-tr", Year: 2026, Execution: analytics.Execution{Total: 1}},
		}
		if len(got) != len(want) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i].CommissionID != want[i].CommissionID || got[i].Year != want[i].Year || !sameExecution(got[i].Execution, want[i].Execution) {
				t.Errorf("row %d = %s %d %s, want %s %d %s", i, got[i].CommissionID, got[i].Year, fmtExecution(got[i].Execution),
					want[i].CommissionID, want[i].Year, fmtExecution(want[i].Execution))
			}
		}
	})

	t.Run("overdue", func(t *testing.T) {
		got, err := analytics.OverdueDecisions(ctx, conn, asOf, all)
		if err != nil {
			t.Fatal(err)
		}
		// cn-6: 2025-10-01 to 2026-06-15 = 30 (rest of Oct) + 30 + 31 + 31 + 28 + 31 + 30 + 31 + 15 = 257 days;
		// cn-2: 2026-06-14 to 2026-06-15 = 1 day. Not cn-1 (deadline is asOf), not cn-3's old open version.
		checkLate(t, got, []lateWant{
			{"cn-6", 1, "1.6", []string{"MEN"}, "2025-10-01", "open", "", 257},
			{"cn-2", 1, "1.2", []string{"MINT", "MFA"}, "2026-06-14", "in_progress", "", 1},
		})
		// One day later cn-1 is overdue by 1 day, the others by one more.
		got, err = analytics.OverdueDecisions(ctx, conn, time.Date(2026, 6, 16, 12, 0, 0, 0, astana), analytics.CommissionFilter{CommissionID: "igc-cn"})
		if err != nil {
			t.Fatal(err)
		}
		checkLate(t, got, []lateWant{
			{"cn-6", 1, "1.6", []string{"MEN"}, "2025-10-01", "open", "", 258},
			{"cn-2", 1, "1.2", []string{"MINT", "MFA"}, "2026-06-14", "in_progress", "", 2},
			{"cn-1", 1, "1.1", []string{"MFA"}, "2026-06-15", "open", "", 1},
		})
	})

	t.Run("done late", func(t *testing.T) {
		got, err := analytics.DoneLateDecisions(ctx, conn, asOf, all)
		if err != nil {
			t.Fatal(err)
		}
		// de-2: 2026-01-31 to 2026-03-02 = 28 (Feb) + 2 = 30 days; cn-4: 2025-12-31 to 2026-01-01 = 1 day.
		// Not cn-3 (done_on == deadline) nor de-1 (done early).
		checkLate(t, got, []lateWant{
			{"de-2", 1, "4.2", []string{"MTI", "MFA"}, "2026-01-31", "done", "2026-03-02", 30},
			{"cn-4", 1, "1.4", []string{"MEN"}, "2025-12-31", "done", "2026-01-01", 1},
		})
	})

	t.Run("by sector and clause", func(t *testing.T) {
		sectors, err := analytics.DecisionsBySector(ctx, conn, asOf, all)
		if err != nil {
			t.Fatal(err)
		}
		// 1 + 2 + 2 + 3 + 1 + 1 = 10 decisions; cn-3 counts in agriculture (its latest version), not mining.
		wantSectors := []analytics.SectorDecisions{
			{Sector: "agriculture", DecisionTally: analytics.DecisionTally{Decisions: 1, Done: 1}},          // cn-3
			{Sector: "energy", DecisionTally: analytics.DecisionTally{Decisions: 2, Done: 1, Cancelled: 1}}, // cn-4, cn-5
			{Sector: "machine_building", DecisionTally: analytics.DecisionTally{Decisions: 2, Done: 2}},     // de-1, de-2
			{Sector: "mining", DecisionTally: analytics.DecisionTally{Decisions: 3, Open: 3, Overdue: 2}},   // cn-1, cn-2 and cn-6 overdue
			{Sector: "transport", DecisionTally: analytics.DecisionTally{Decisions: 1, Open: 1}},            // tr-1
			{Sector: "unassigned", DecisionTally: analytics.DecisionTally{Decisions: 1, Open: 1}},           // de-3
		}
		if !reflect.DeepEqual(sectors, wantSectors) {
			t.Errorf("by sector:\n got %+v\nwant %+v", sectors, wantSectors)
		}
		clauses, err := analytics.DecisionsByClause(ctx, conn, asOf, all)
		if err != nil {
			t.Fatal(err)
		}
		// 4 + 3 + 2 + 1 + 1 = 11 = 10 decisions + cn-2's second clause.
		wantClauses := []analytics.ClauseDecisions{
			{Clause: "2.2", DecisionTally: analytics.DecisionTally{Decisions: 4, Done: 1, Open: 3, Overdue: 2}}, // cn-1, cn-2 (overdue), cn-6 (overdue), de-1 (done)
			{Clause: "2.3", DecisionTally: analytics.DecisionTally{Decisions: 3, Done: 2, Open: 1, Overdue: 1}}, // cn-2 (overdue), cn-3, de-2
			{Clause: "2.4", DecisionTally: analytics.DecisionTally{Decisions: 2, Done: 1, Cancelled: 1}},        // cn-4, cn-5
			{Clause: "2.5", DecisionTally: analytics.DecisionTally{Decisions: 1, Open: 1}},                      // tr-1
			{Clause: "unassigned", DecisionTally: analytics.DecisionTally{Decisions: 1, Open: 1}},               // de-3
		}
		if !reflect.DeepEqual(clauses, wantClauses) {
			t.Errorf("by clause:\n got %+v\nwant %+v", clauses, wantClauses)
		}
	})

	t.Run("investment", func(t *testing.T) {
		got, err := analytics.DecisionInvestment(ctx, conn, asOf, all)
		if err != nil {
			t.Fatal(err)
		}
		want := []analytics.CommissionInvestment{
			// cn-4 (L1, L2) and cn-6 (L1): 2 decisions, leads {L1, L2} = 2; L1 once: 1,000,000.00
			// (its version 2), L2 has no rate. cn-7 (L3) is after asOf.
			{CommissionID: "igc-cn", Name: "Kazakhstan-China Intergovernmental Commission", Decisions: 6, DecisionsWithLeads: 2,
				Leads: 2, CapexUSD: money("1000000.00"), LeadsWithoutRate: 1},
			// de-1 (L1, L3) and de-2 (L4): leads {L1, L3, L4} = 3; 1,000,000.00 + 250,000.50 = 1,250,000.50;
			// L4 is not in lead_states.
			{CommissionID: "igc-de", Name: "Kazakhstan-Germany Intergovernmental Commission", Decisions: 3, DecisionsWithLeads: 2,
				Leads: 3, CapexUSD: money("1250000.50"), LeadsNotFound: 1},
			{CommissionID: "igc-tr", Decisions: 1, CapexUSD: money("0")},
		}
		checkInvestment(t, got, want)

		// As of cn-7's session day (2026-07-01) it counts: 7 decisions, 3 with leads, leads {L1, L2, L3}:
		// 1,000,000.00 + 250,000.50 = 1,250,000.50.
		got, err = analytics.DecisionInvestment(ctx, conn, time.Date(2026, 7, 1, 0, 0, 0, 0, astana), analytics.CommissionFilter{CommissionID: "igc-cn"})
		if err != nil {
			t.Fatal(err)
		}
		checkInvestment(t, got, []analytics.CommissionInvestment{
			{CommissionID: "igc-cn", Name: "Kazakhstan-China Intergovernmental Commission", Decisions: 7, DecisionsWithLeads: 3,
				Leads: 3, CapexUSD: money("1250000.50"), LeadsWithoutRate: 1},
		})
	})

	t.Run("decisions with leads", func(t *testing.T) {
		got, err := analytics.DecisionsWithLeads(ctx, conn, asOf, all)
		if err != nil {
			t.Fatal(err)
		}
		type leadWant struct {
			id    string
			found bool
			usd   string
			noFX  bool
		}
		want := []struct {
			decision string
			leads    []leadWant
			usd      string
			noRate   uint64
		}{
			{"cn-4", []leadWant{{l1, true, "1000000.00", false}, {l2, true, "0", true}}, "1000000.00", 1}, // L2 without rate: not summed
			{"cn-6", []leadWant{{l1, true, "1000000.00", false}}, "1000000.00", 0},
			{"de-1", []leadWant{{l1, true, "1000000.00", false}, {l3, true, "250000.50", false}}, "1250000.50", 0}, // 1,000,000.00 + 250,000.50
			{"de-2", []leadWant{{l4, false, "0", false}}, "0", 0},                                                  // L4 not in lead_states
		}
		if len(got) != len(want) {
			t.Fatalf("got %d decisions %+v, want %d", len(got), got, len(want))
		}
		for i, w := range want {
			g := got[i]
			if g.DecisionID != w.decision || !g.CapexUSD.Equal(money(w.usd)) || g.LeadsWithoutRate != w.noRate || len(g.Leads) != len(w.leads) {
				t.Errorf("decision %d = %+v, want %+v", i, g, w)
				continue
			}
			for j, wl := range w.leads {
				gl := g.Leads[j]
				if gl.LeadID != wl.id || gl.Found != wl.found || !gl.CapexUSD.Equal(money(wl.usd)) || gl.FXMissing != wl.noFX {
					t.Errorf("decision %s lead %d = %+v, want %+v", g.DecisionID, j, gl, wl)
				}
			}
		}
		if got[0].Leads[0].Title != "Copper smelter" || got[0].Leads[0].Stage != "qualified" || got[0].Item != "1.4" || got[0].SessionNumber != 1 {
			t.Errorf("first decision's details: %+v", got[0])
		}
	})

	t.Run("as-of day is required", func(t *testing.T) {
		if _, err := analytics.ExecutionByCommission(ctx, conn, time.Time{}, all); err == nil {
			t.Error("a zero as-of day must be refused")
		}
	})
}

func sameExecution(a, b analytics.Execution) bool {
	ra, rb := a.Rate, b.Rate
	a.Rate, b.Rate = nil, nil
	if a != b || (ra == nil) != (rb == nil) {
		return false
	}
	return ra == nil || ra.Equal(*rb)
}

func fmtExecution(e analytics.Execution) string {
	r := "nil"
	if e.Rate != nil {
		r = e.Rate.StringFixed(4)
	}
	return fmt.Sprintf("{due %d on time %d late %d overdue %d cancelled %d total %d rate %s}",
		e.Due, e.DoneOnTime, e.DoneLate, e.Overdue, e.Cancelled, e.Total, r)
}

func checkCommissionExecution(t *testing.T, got, want []analytics.CommissionExecution) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.CommissionID != w.CommissionID || g.Name != w.Name || g.PartnerCountry != w.PartnerCountry || !sameExecution(g.Execution, w.Execution) {
			t.Errorf("row %d = %s %q %s %s, want %s %q %s %s", i, g.CommissionID, g.Name, g.PartnerCountry, fmtExecution(g.Execution),
				w.CommissionID, w.Name, w.PartnerCountry, fmtExecution(w.Execution))
		}
	}
}

type lateWant struct {
	decision string
	session  uint32
	item     string
	agencies []string
	deadline string
	status   string
	doneOn   string
	days     int32
}

func checkLate(t *testing.T, got []analytics.LateDecision, want []lateWant) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d decisions %+v, want %+v", len(got), got, want)
	}
	for i, w := range want {
		g := got[i]
		doneOn := ""
		if g.DoneOn != nil {
			doneOn = g.DoneOn.Format(time.DateOnly)
		}
		if g.DecisionID != w.decision || g.SessionNumber != w.session || g.Item != w.item || !reflect.DeepEqual(g.Agencies, w.agencies) ||
			g.Deadline.Format(time.DateOnly) != w.deadline || g.Status != w.status || doneOn != w.doneOn || g.DaysLate != w.days ||
			g.Text != "Decision "+w.decision {
			t.Errorf("row %d = %+v (deadline %s, done %s), want %+v", i, g, g.Deadline.Format(time.DateOnly), doneOn, w)
		}
	}
}

func checkInvestment(t *testing.T, got, want []analytics.CommissionInvestment) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows %+v, want %+v", len(got), got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.CommissionID != w.CommissionID || g.Name != w.Name || g.Decisions != w.Decisions || g.DecisionsWithLeads != w.DecisionsWithLeads ||
			g.Leads != w.Leads || !g.CapexUSD.Equal(w.CapexUSD) || g.LeadsWithoutRate != w.LeadsWithoutRate || g.LeadsNotFound != w.LeadsNotFound {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
}
