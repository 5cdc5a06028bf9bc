package ingest

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/events"
)

func projectOne(t *testing.T, seq uint64, ev events.Event) (*analytics.Rows, events.Envelope) {
	t.Helper()
	env, err := events.New(events.Meta{Source: "econdip/commissions", Subject: "decision/x", Actor: "u-mint", Scope: "commission:igc-cn",
		Time: time.Date(2026, 1, 5, 7, 30, 0, 0, time.UTC)}, ev)
	if err != nil {
		t.Fatal(err)
	}
	// Through the decoder, as ingest gets it.
	raw, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	env, decoded, err := events.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	rows := &analytics.Rows{}
	if err := project(rows, events.StreamCommissions, seq, env, decoded); err != nil {
		t.Fatal(err)
	}
	if len(rows.Events) != 1 || rows.Events[0].Type != ev.EventType() || rows.Events[0].StreamSeq != seq {
		t.Fatalf("events rows = %+v", rows.Events)
	}
	return rows, env
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func decisionState() events.DecisionV1 {
	return events.DecisionV1{
		ID: "d-1", Version: 3, CommissionID: "igc-cn", PartnerCountry: "CN", SessionID: "s-1", SessionNumber: 4,
		SessionDate: "2025-03-15", Item: "3.2", Text: "Open a trade house", Agencies: []string{"MINT", "MFA"},
		Deadline: "2025-12-31", Sector: "agriculture", Clauses: []string{"2.3"},
		Value:   &events.Money{Amount: decimal.RequireFromString("1234.5"), Currency: "USD"},
		LeadIDs: []string{"A0000000-0000-4000-8000-00000000000A", "a0000000-0000-4000-8000-00000000000a", "b0000000-0000-4000-8000-00000000000b"},
		Status:  "done", StatusDate: "2026-01-05",
		CreatedAt: time.Date(2025, 3, 16, 9, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC),
	}
}

func TestProjectStatusChangeAddsStateAndHistory(t *testing.T) {
	rows, env := projectOne(t, 42, &events.DecisionStatusChangedV1{Decision: decisionState(), From: "in_progress", To: "done",
		EffectiveOn: "2026-01-05", Comment: "opened", EvidenceRef: "note-7"})
	if len(rows.DecisionStates) != 1 || len(rows.DecisionStatuses) != 1 || len(rows.LeadStates)+len(rows.CommissionStates)+len(rows.SessionStates) != 0 {
		t.Fatalf("rows = %+v", rows)
	}
	d := rows.DecisionStates[0]
	if d.DecisionID != "d-1" || d.CommissionID != "igc-cn" || d.Version != 3 || d.SessionNumber != 4 || d.Status != "done" ||
		!d.SessionDate.Equal(date("2025-03-15")) || !d.Deadline.Equal(date("2025-12-31")) || !d.StatusDate.Equal(date("2026-01-05")) ||
		d.StreamSeq != 42 || d.EventID.String() != env.ID {
		t.Errorf("decision row = %+v", d)
	}
	// Done without done_on: the day its status took effect.
	if d.DoneOn == nil || !d.DoneOn.Equal(date("2026-01-05")) {
		t.Errorf("done_on = %v, want 2026-01-05", d.DoneOn)
	}
	// The value as stated: figures convert it when they are read (analytics/fx.go).
	if !d.HasValue || !d.Value.Equal(decimal.RequireFromString("1234.5")) || d.Currency != "USD" {
		t.Errorf("value = %v %s", d.Value, d.Currency)
	}
	// Lead ids canonical (lower case) and without repeats, for the join with lead_states.
	if want := []string{"a0000000-0000-4000-8000-00000000000a", "b0000000-0000-4000-8000-00000000000b"}; !reflect.DeepEqual(d.LeadIDs, want) {
		t.Errorf("lead ids = %v, want %v", d.LeadIDs, want)
	}
	if d.DealIDs == nil {
		t.Error("deal ids must be an empty array, not nil")
	}
	h := rows.DecisionStatuses[0]
	want := analytics.DecisionStatusRow{CommissionID: "igc-cn", DecisionID: "d-1", Version: 3, From: "in_progress", To: "done",
		EffectiveOn: date("2026-01-05"), Actor: "u-mint", Comment: "opened", EvidenceRef: "note-7",
		Time: time.Date(2026, 1, 5, 7, 30, 0, 0, time.UTC), EventID: d.EventID, StreamSeq: 42}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("history row = %+v, want %+v", h, want)
	}
}

func TestProjectDecisionWithoutRateAndOpen(t *testing.T) {
	state := decisionState()
	state.Version, state.Status, state.StatusDate = 1, "open", "2025-03-15"
	state.Value = &events.Money{Amount: decimal.RequireFromString("5000000"), Currency: "RUB"}
	state.Agencies, state.Clauses, state.LeadIDs = nil, nil, nil
	rows, _ := projectOne(t, 7, &events.DecisionRecordedV1{Decision: state})
	if len(rows.DecisionStates) != 1 || len(rows.DecisionStatuses) != 0 {
		t.Fatalf("rows = %+v", rows)
	}
	d := rows.DecisionStates[0]
	if d.DoneOn != nil {
		t.Errorf("an open decision has no done_on: %v", d.DoneOn)
	}
	// A currency without a rate is stored as stated; figures count it apart.
	if !d.HasValue || !d.Value.Equal(decimal.RequireFromString("5000000")) || d.Currency != "RUB" {
		t.Errorf("value without a rate: %+v", d)
	}
	if d.Agencies == nil || d.Clauses == nil || d.LeadIDs == nil {
		t.Errorf("arrays must be empty, not nil: %+v", d)
	}
	// No value at all: has_value 0, and nothing missing.
	state.Value = nil
	rows, _ = projectOne(t, 8, &events.DecisionLinkedV1{Decision: state, Kind: "deal", TargetID: "deal-1"})
	if d := rows.DecisionStates[0]; d.HasValue || !d.Value.IsZero() {
		t.Errorf("no value: %+v", d)
	}
}

func TestProjectCommissionAndSession(t *testing.T) {
	at := time.Date(2025, 1, 10, 6, 0, 0, 0, time.UTC)
	rows, env := projectOne(t, 1, &events.CommissionRecordedV1{Commission: events.CommissionV1{ID: "igc-cn", Version: 2,
		Name: "Kazakhstan-China IGC", PartnerCountry: "CN", KazakhCoChair: "Deputy Prime Minister", SecretariatAgency: "MTI",
		PartnerCoChair: "Vice Premier", CreatedAt: at, UpdatedAt: at}})
	want := analytics.CommissionStateRow{CommissionID: "igc-cn", Version: 2, Name: "Kazakhstan-China IGC", PartnerCountry: "CN",
		KazakhCoChair: "Deputy Prime Minister", SecretariatAgency: "MTI", PartnerCoChair: "Vice Premier", CreatedAt: at, UpdatedAt: at,
		EventID: rows.Events[0].EventID, StreamSeq: 1}
	if len(rows.CommissionStates) != 1 || !reflect.DeepEqual(rows.CommissionStates[0], want) || rows.Events[0].EventID.String() != env.ID {
		t.Errorf("commission rows = %+v, want %+v", rows.CommissionStates, want)
	}
	rows, _ = projectOne(t, 2, &events.SessionRecordedV1{Session: events.SessionV1{ID: "s-1", CommissionID: "igc-cn", Number: 4,
		Date: "2025-03-15", Place: "Astana", ProtocolRef: "P-4", DecisionIDs: []string{"d-1", "d-2"}, CreatedAt: at}})
	if len(rows.SessionStates) != 1 {
		t.Fatalf("session rows = %+v", rows.SessionStates)
	}
	s := rows.SessionStates[0]
	if s.SessionID != "s-1" || s.CommissionID != "igc-cn" || s.Number != 4 || !s.Date.Equal(date("2025-03-15")) || s.Place != "Astana" ||
		s.ProtocolRef != "P-4" || s.Decisions != 2 || len(s.DecisionIDs) != 2 || s.StreamSeq != 2 {
		t.Errorf("session row = %+v", s)
	}
}

func TestProjectBadDayAddsNothing(t *testing.T) {
	env, err := events.New(events.Meta{Source: "econdip/commissions", Subject: "decision/x", Actor: "u-mint", Scope: "commission:igc-cn"},
		&events.DecisionRecordedV1{Decision: decisionState()})
	if err != nil {
		t.Fatal(err)
	}
	// Not through the decoder, which would refuse it: a status change whose day is not a day.
	ev := &events.DecisionStatusChangedV1{Decision: decisionState(), From: "in_progress", To: "done", EffectiveOn: "2026-02-30"}
	rows := &analytics.Rows{}
	err = project(rows, events.StreamCommissions, 9, env, ev)
	if !errors.Is(err, events.ErrDecode) || rows.Len() != 0 {
		t.Fatalf("err = %v, rows = %+v; want a decode error and no rows", err, rows)
	}
}

// projectExport projects one export event the way ingest gets it: encoded, then decoded.
func projectExport(t *testing.T, seq uint64, ev events.Event) (*analytics.Rows, events.Envelope) {
	t.Helper()
	env, err := events.New(events.Meta{Source: "econdip/exports", Subject: "deal/x", Actor: "attache.cn-beijing", Scope: "post:cn-beijing",
		Time: time.Date(2026, 4, 2, 7, 30, 0, 0, time.UTC)}, ev)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	env, decoded, err := events.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	rows := &analytics.Rows{}
	if err := project(rows, events.StreamExports, seq, env, decoded); err != nil {
		t.Fatal(err)
	}
	if len(rows.Events) != 1 || rows.Events[0].Type != ev.EventType() || rows.Events[0].Stream != events.StreamExports || rows.Events[0].StreamSeq != seq {
		t.Fatalf("events rows = %+v", rows.Events)
	}
	return rows, env
}

func dealState() events.DealV1 {
	at := time.Date(2026, 4, 2, 7, 0, 0, 0, time.UTC)
	qty := decimal.RequireFromString("1500")
	return events.DealV1{ID: "B1C2D3E4-F5A6-4B7C-8D9E-0F1A2B3C4D5E", Version: 2, Post: "cn-beijing", Attache: "attache.cn-beijing",
		ExporterBIN: "990340004593", ExporterName: "Kazakhstan Aluminium Smelter JSC", BuyerCountry: "CN", BuyerName: "Jiangsu Metals Trading",
		HSCode: "760110", Product: "Unwrought aluminium", Value: events.Money{Amount: decimal.RequireFromString("3750000"), Currency: "USD"},
		Quantity: &qty, Unit: "t", Stage: "contracted", Support: []string{"b2b_meeting", "igc"}, DecisionID: "3f2b8c1d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
		CommissionID: "igc-cn", ContractDate: "2026-03-31", Clauses: []string{"2.7"},
		CreatedAt: time.Date(2025, 11, 3, 6, 0, 0, 0, time.UTC), UpdatedAt: at, StageChangedAt: at}
}

func TestProjectDealWithContract(t *testing.T) {
	rows, env := projectExport(t, 11, &events.DealStageChangedV1{Deal: dealState(), From: "negotiating", To: "contracted", Comment: "signed"})
	if len(rows.DealStates) != 1 || rows.Len() != 2 {
		t.Fatalf("rows = %+v", rows)
	}
	d := rows.DealStates[0]
	contract := date("2026-03-31")
	want := analytics.DealStateRow{
		DealID: "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e", Version: 2, Post: "cn-beijing", Attache: "attache.cn-beijing",
		ExporterBIN: "990340004593", ExporterName: "Kazakhstan Aluminium Smelter JSC", BuyerCountry: "CN", BuyerName: "Jiangsu Metals Trading",
		HSCode: "760110", HSChapter: "76", HSHeading: "7601", Product: "Unwrought aluminium",
		Value: d.Value, Currency: "USD",
		Quantity: d.Quantity, Unit: "t", Stage: "contracted", Support: []string{"b2b_meeting", "igc"},
		DecisionID: "3f2b8c1d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", CommissionID: "igc-cn",
		// Dated by the contract, not by the day it was created (2025-11-03).
		ContractDate: &contract, DealDate: contract, Clauses: []string{"2.7"},
		CreatedAt: time.Date(2025, 11, 3, 6, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 4, 2, 7, 0, 0, 0, time.UTC),
		StageChangedAt: time.Date(2026, 4, 2, 7, 0, 0, 0, time.UTC), EventID: rows.Events[0].EventID, StreamSeq: 11,
	}
	if !reflect.DeepEqual(d, want) || d.EventID.String() != env.ID {
		t.Errorf("deal row =\n%+v\nwant\n%+v", d, want)
	}
	if !d.Value.Equal(decimal.RequireFromString("3750000")) || d.Quantity == nil || !d.Quantity.Equal(decimal.RequireFromString("1500")) {
		t.Errorf("value %v quantity %v", d.Value, d.Quantity)
	}
	// The event's redacted copy is the event itself: no personal data in deals.
	if !strings.Contains(rows.Events[0].Data, `"buyer_name":"Jiangsu Metals Trading"`) {
		t.Errorf("events data = %s", rows.Events[0].Data)
	}
}

func TestProjectDealWithoutContractIsDatedInAstana(t *testing.T) {
	state := dealState()
	state.Version, state.Stage, state.ContractDate, state.Quantity, state.Unit = 1, "opportunity", "", nil, ""
	state.DecisionID, state.CommissionID, state.Support = "", "", nil
	// 20:00 UTC on 31 December is 01:00 on 1 January in Astana (UTC+5).
	state.CreatedAt = time.Date(2025, 12, 31, 20, 0, 0, 0, time.UTC)
	state.UpdatedAt = time.Date(2026, 2, 28, 21, 0, 0, 0, time.UTC) // 2026-03-01 02:00 in Astana
	state.StageChangedAt = state.CreatedAt
	rows, _ := projectExport(t, 12, &events.DealCreatedV1{Deal: state})
	d := rows.DealStates[0]
	if d.ContractDate != nil || !d.DealDate.Equal(date("2026-01-01")) {
		t.Errorf("contract %v, deal date %v; want none and 2026-01-01", d.ContractDate, d.DealDate)
	}
	if d.Quantity != nil || d.Support == nil || len(d.Support) != 0 {
		t.Errorf("quantity %v, support %#v: want nil and empty", d.Quantity, d.Support)
	}
	// A currency without a rate: stored as stated.
	state.Value = events.Money{Amount: decimal.RequireFromString("9000000"), Currency: "RUB"}
	rows, _ = projectExport(t, 13, &events.DealUpdatedV1{Deal: state, Changed: []string{"value"}})
	if d := rows.DealStates[0]; !d.Value.Equal(decimal.RequireFromString("9000000")) || d.Currency != "RUB" {
		t.Errorf("no rate: %+v", d)
	}
}

func barrierState() events.BarrierV1 {
	at := time.Date(2026, 2, 10, 7, 0, 0, 0, time.UTC)
	return events.BarrierV1{ID: "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f", Version: 4, Post: "cn-beijing", Attache: "attache.cn-beijing",
		Country: "CN", HSCodes: []string{"1001", "110100"}, Type: "sps", Title: "Phytosanitary certificate for wheat flour",
		Description: "New certificate requirements", ValueAtStake: &events.Money{Amount: decimal.RequireFromString("12000000"), Currency: "EUR"},
		Status: "resolved", LeadAgency: "moa", Clauses: []string{"2.6"}, ReportedOn: "2025-10-20",
		Progress: []events.ProgressNote{{On: "2025-11-01", Text: "Raised at the working group", Author: "attache.cn-beijing"},
			{On: "2026-02-10", Text: "Certificate accepted", Author: "attache.cn-beijing"}},
		CreatedAt: at, UpdatedAt: at}
}

func TestProjectBarrierStatusChange(t *testing.T) {
	rows, env := projectExport(t, 21, &events.BarrierStatusChangedV1{Barrier: barrierState(), From: "in_negotiation", To: "resolved",
		EffectiveOn: "2026-02-10", Comment: "lifted"})
	if len(rows.BarrierStates) != 1 || len(rows.BarrierStatuses) != 1 || rows.Len() != 3 {
		t.Fatalf("rows = %+v", rows)
	}
	b := rows.BarrierStates[0]
	// Resolved without resolved_on: the day the change took effect.
	if b.ResolvedOn == nil || !b.ResolvedOn.Equal(date("2026-02-10")) || !b.ReportedOn.Equal(date("2025-10-20")) || b.Status != "resolved" ||
		b.BarrierID != "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f" || b.Version != 4 || b.Type != "sps" || b.Country != "CN" ||
		!reflect.DeepEqual(b.HSCodes, []string{"1001", "110100"}) || b.StreamSeq != 21 {
		t.Errorf("barrier row = %+v", b)
	}
	if !reflect.DeepEqual(b.ProgressOn, []time.Time{date("2025-11-01"), date("2026-02-10")}) ||
		!reflect.DeepEqual(b.ProgressText, []string{"Raised at the working group", "Certificate accepted"}) ||
		!reflect.DeepEqual(b.ProgressAuthor, []string{"attache.cn-beijing", "attache.cn-beijing"}) {
		t.Errorf("progress = %v %v %v", b.ProgressOn, b.ProgressText, b.ProgressAuthor)
	}
	if !b.HasValue || b.Currency != "EUR" || !b.ValueAtStake.IsPositive() {
		t.Errorf("value at stake %v %s", b.ValueAtStake, b.Currency)
	}
	want := analytics.BarrierStatusRow{BarrierID: b.BarrierID, Version: 4, From: "in_negotiation", To: "resolved",
		EffectiveOn: date("2026-02-10"), Actor: "attache.cn-beijing", Comment: "lifted", Time: time.Date(2026, 4, 2, 7, 30, 0, 0, time.UTC),
		EventID: b.EventID, StreamSeq: 21}
	if h := rows.BarrierStatuses[0]; !reflect.DeepEqual(h, want) || h.EventID.String() != env.ID {
		t.Errorf("history row = %+v, want %+v", h, want)
	}
	// An update of an open barrier: no history row, no resolution day, no value.
	state := barrierState()
	state.Status, state.Version, state.ValueAtStake, state.Progress = "verified", 2, nil, nil
	rows, _ = projectExport(t, 22, &events.BarrierUpdatedV1{Barrier: state, Changed: []string{"description"}})
	if b := rows.BarrierStates[0]; len(rows.BarrierStatuses) != 0 || b.ResolvedOn != nil || b.HasValue || b.ProgressOn == nil || len(b.ProgressOn) != 0 {
		t.Errorf("open barrier: %+v, history %+v", b, rows.BarrierStatuses)
	}
}

func TestProjectExporter(t *testing.T) {
	at := time.Date(2025, 3, 20, 6, 0, 0, 0, time.UTC)
	rows, _ := projectExport(t, 31, &events.ExporterRegisteredV1{Exporter: events.ExporterV1{BIN: "990340004593", Version: 2,
		Name: "Kazakhstan Aluminium Smelter JSC", Region: "KZ-55", RegisteredBy: "attache.cn-beijing", CreatedAt: at, UpdatedAt: at}})
	want := analytics.ExporterStateRow{BIN: "990340004593", Version: 2, Name: "Kazakhstan Aluminium Smelter JSC", Region: "KZ-55",
		RegisteredBy: "attache.cn-beijing", CreatedAt: at, UpdatedAt: at, EventID: rows.Events[0].EventID, StreamSeq: 31}
	if len(rows.ExporterStates) != 1 || !reflect.DeepEqual(rows.ExporterStates[0], want) || rows.Len() != 2 {
		t.Errorf("exporter rows = %+v, want %+v", rows.ExporterStates, want)
	}
}

func TestProjectExportBadDayAddsNothing(t *testing.T) {
	env, err := events.New(events.Meta{Source: "econdip/exports", Subject: "barrier/x", Actor: "attache.cn-beijing", Scope: "post:cn-beijing"},
		&events.BarrierReportedV1{Barrier: barrierState()})
	if err != nil {
		t.Fatal(err)
	}
	// Not through the decoder, which would refuse some of them.
	bad := barrierState()
	bad.Progress[1].On = "2026-02-30"
	early := dealState()
	early.ContractDate = "1969-12-31" // before the first day a ClickHouse Date holds
	for name, ev := range map[string]events.Event{
		"status change on no day": &events.BarrierStatusChangedV1{Barrier: barrierState(), From: "in_negotiation", To: "resolved", EffectiveOn: "2026-13-01"},
		"progress note on no day": &events.BarrierUpdatedV1{Barrier: bad},
		"contract before 1970":    &events.DealUpdatedV1{Deal: early},
	} {
		rows := &analytics.Rows{}
		err := project(rows, events.StreamExports, 9, env, ev)
		if !errors.Is(err, events.ErrDecode) || rows.Len() != 0 {
			t.Errorf("%s: err = %v, rows = %+v; want a decode error and no rows", name, err, rows)
		}
	}
}
