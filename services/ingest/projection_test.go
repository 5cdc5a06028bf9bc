package ingest

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/events"
	"econdip/services/reference"
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
	if err := project(rows, reference.Default(), events.StreamCommissions, seq, env, decoded); err != nil {
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
	// USD to USD is the amount itself, at the rate of the session's month (2025-03), not of updated_at (2026-11).
	if !d.HasValue || d.FXMissing || !d.Value.Equal(decimal.RequireFromString("1234.5")) || !d.ValueUSD.Equal(decimal.RequireFromString("1234.50")) ||
		!d.FXRateMonth.Equal(date("2025-03-01")) || !d.ValueKZT.IsPositive() {
		t.Errorf("value = %v %s, usd %v, kzt %v, month %v, missing %v", d.Value, d.Currency, d.ValueUSD, d.ValueKZT, d.FXRateMonth, d.FXMissing)
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
	if !d.HasValue || !d.FXMissing || !d.ValueUSD.IsZero() || !d.FXRateMonth.Equal(date("1970-01-01")) || d.Currency != "RUB" {
		t.Errorf("value without a rate: %+v", d)
	}
	if d.Agencies == nil || d.Clauses == nil || d.LeadIDs == nil {
		t.Errorf("arrays must be empty, not nil: %+v", d)
	}
	// No value at all: has_value 0, and nothing missing.
	state.Value = nil
	rows, _ = projectOne(t, 8, &events.DecisionLinkedV1{Decision: state, Kind: "deal", TargetID: "deal-1"})
	if d := rows.DecisionStates[0]; d.HasValue || d.FXMissing || !d.Value.IsZero() {
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
	err = project(rows, reference.Default(), events.StreamCommissions, 9, env, ev)
	if !errors.Is(err, events.ErrDecode) || rows.Len() != 0 {
		t.Fatalf("err = %v, rows = %+v; want a decode error and no rows", err, rows)
	}
}
