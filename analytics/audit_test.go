package analytics_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"econdip/analytics"
	"econdip/events"
)

// auditEvent is an events-table row with the data the producer would have
// written, so the test reads real event JSON, not a hand-made imitation.
func auditEvent(t *testing.T, at time.Time, actor, scope, subject, stream string, seq uint64, ev events.Event) analytics.EventRow {
	t.Helper()
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return analytics.EventRow{EventID: uuid.New(), Type: ev.EventType(), Source: "test", Subject: subject, Time: at,
		Actor: actor, Scope: scope, Stream: stream, StreamSeq: seq, Data: string(data)}
}

func TestAuditListsEachChangeWithItsAuthorInOrder(t *testing.T) {
	conn := migrated(t)
	ctx := context.Background()
	// A month of its own: other tests' events never fall into it.
	day := time.Date(2031, 3, 10, 0, 0, 0, 0, time.UTC)
	at := func(h, m, s int) time.Time {
		return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
	}

	leadID, dealID, decisionID, barrierID := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	lead := events.LeadV1{ID: leadID, Version: 1, Post: "de-berlin", Attache: "attache.de-berlin",
		// Text that looks like the keys read must not be taken for them.
		Title: `Plant "from":"nowhere" "to":"x" "changed":["y"]`, InvestorName: "Rhein GmbH", Stage: "identified",
		Capex: events.Money{Currency: "EUR"}, Clauses: []string{"2.2"}, CreatedAt: at(9, 0, 0), UpdatedAt: at(9, 0, 0)}
	updated, moved := lead, lead
	updated.Version, moved.Version, moved.Stage = 2, 3, "contacted"
	decision := events.DecisionV1{ID: decisionID, Version: 2, CommissionID: "igc-cn", Status: "in_progress", Text: `moved "from":"open"`}
	barrier := events.BarrierV1{ID: barrierID, Version: 2, Post: "de-berlin", Status: "verified"}

	berlin, sec := "attache.de-berlin", "secretariat.igc-cn"
	rows := []analytics.EventRow{
		auditEvent(t, day.Add(-time.Second), berlin, "post:de-berlin", "lead/"+uuid.NewString(), "LEADS", 1,
			events.LeadCreatedV1{Lead: lead}), // the second before the range
		auditEvent(t, at(9, 0, 0), berlin, "post:de-berlin", "lead/"+leadID, "LEADS", 10, events.LeadCreatedV1{Lead: lead}),
		// Two changes in the same second: stream order decides.
		auditEvent(t, at(9, 5, 0), berlin, "post:de-berlin", "lead/"+leadID, "LEADS", 11,
			events.LeadUpdatedV1{Lead: updated, Changed: []string{"title", "capex"}}),
		auditEvent(t, at(9, 5, 0), berlin, "post:de-berlin", "lead/"+leadID, "LEADS", 12,
			events.LeadStageChangedV1{Lead: moved, From: "identified", To: "contacted", Comment: `"to":"won"`}),
		auditEvent(t, at(10, 0, 0), sec, "commission:igc-cn", "decision/"+decisionID, "COMMISSIONS", 5,
			events.DecisionStatusChangedV1{Decision: decision, From: "open", To: "in_progress", EffectiveOn: "2031-03-10"}),
		auditEvent(t, at(11, 0, 0), "admin", "global", "commission/igc-cn", "COMMISSIONS", 6,
			events.CommissionRecordedV1{Commission: events.CommissionV1{ID: "igc-cn", Version: 2, PartnerCountry: "CN"}}),
		auditEvent(t, at(12, 0, 0), berlin, "post:de-berlin", "barrier/"+barrierID, "EXPORTS", 7,
			events.BarrierStatusChangedV1{Barrier: barrier, From: "reported", To: "verified", EffectiveOn: "2031-03-10"}),
		auditEvent(t, at(12, 30, 0), berlin, "post:de-berlin", "deal/"+dealID, "EXPORTS", 8,
			events.DealUpdatedV1{Deal: events.DealV1{ID: dealID, Version: 2, Post: "de-berlin", Stage: "negotiation"}, Changed: []string{"value"}}),
		auditEvent(t, day.Add(24*time.Hour), berlin, "post:de-berlin", "lead/"+leadID, "LEADS", 13,
			events.LeadUpdatedV1{Lead: updated, Changed: []string{"sector"}}), // the end of the range: not in it
	}
	for range 2 { // at-least-once ingest: a redelivered batch must not double the trail
		if err := analytics.Write(ctx, conn, &analytics.Rows{Events: rows}); err != nil {
			t.Fatal(err)
		}
	}

	f := analytics.AuditFilter{From: day, To: day.Add(24 * time.Hour)}
	var got []analytics.AuditRow
	if err := analytics.Audit(ctx, conn, f, 0, func(r analytics.AuditRow) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	type change struct{ actor, typ, record, id, scope, changed, from, to string }
	want := []change{
		{berlin, events.TypeLeadCreated, "lead", leadID, "post:de-berlin", "", "", ""},
		{berlin, events.TypeLeadUpdated, "lead", leadID, "post:de-berlin", "title;capex", "", ""},
		{berlin, events.TypeLeadStageChanged, "lead", leadID, "post:de-berlin", "", "identified", "contacted"},
		{sec, events.TypeDecisionStatusChanged, "decision", decisionID, "commission:igc-cn", "", "open", "in_progress"},
		{"admin", events.TypeCommissionRecorded, "commission", "igc-cn", "global", "", "", ""},
		{berlin, events.TypeBarrierStatusChanged, "barrier", barrierID, "post:de-berlin", "", "reported", "verified"},
		{berlin, events.TypeDealUpdated, "deal", dealID, "post:de-berlin", "value", "", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		c := change{g.Actor, g.Type, g.RecordType, g.RecordID, g.Scope, strings.Join(g.Changed, ";"), g.From, g.To}
		if c != w {
			t.Errorf("event %d = %+v, want %+v", i, c, w)
		}
		if g.EventID != rows[i+1].EventID.String() || !g.Time.Equal(rows[i+1].Time) || g.Time.Location() != time.UTC {
			t.Errorf("event %d: id %s at %s, want %s at %s UTC", i, g.EventID, g.Time, rows[i+1].EventID, rows[i+1].Time)
		}
	}
	if rec := got[1].Record(); !slices.Equal(rec, []string{"2031-03-10T09:05:00Z", berlin, events.TypeLeadUpdated, "lead", leadID,
		"post:de-berlin", "title;capex", "", "", "lead/" + leadID, rows[2].EventID.String()}) || len(rec) != len(analytics.AuditHeader) {
		t.Errorf("CSV record %q does not match the header %q", rec, analytics.AuditHeader)
	}

	n, err := analytics.AuditCount(ctx, conn, f)
	if err != nil || n != uint64(len(want)) {
		t.Errorf("AuditCount = %d, %v; want %d", n, err, len(want))
	}
	var first []string
	if err := analytics.Audit(ctx, conn, f, 2, func(r analytics.AuditRow) error { first = append(first, r.EventID); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first, []string{got[0].EventID, got[1].EventID}) {
		t.Errorf("limit 2 gave %q, want the first two events", first)
	}
	if err := analytics.Audit(ctx, conn, analytics.AuditFilter{From: day, To: day}, 0, func(analytics.AuditRow) error { return nil }); err == nil {
		t.Error("an empty range was accepted")
	}
}
