package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"econdip/services/commissions/app"
	"econdip/services/commissions/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
)

// noLinkedRecords: no lead or deal exists, so a link is refused by the rule.
type noLinkedRecords struct{}

func (noLinkedRecords) Exists(context.Context, string, string) (bool, error) { return false, nil }

var (
	admin   = auth.User{ID: "admin", Role: auth.Admin}
	secCN   = auth.User{ID: "sec.igc-cn", Role: auth.Secretariat, Commission: "igc-cn"}
	secDE   = auth.User{ID: "sec.igc-de", Role: auth.Secretariat, Commission: "igc-de"}
	beijing = auth.User{ID: "attache.cn-beijing", Role: auth.Attache, Post: "cn-beijing"}
	berlin  = auth.User{ID: "attache.de-berlin", Role: auth.Attache, Post: "de-berlin"}
	analyst = auth.User{ID: "analyst", Role: auth.Analyst}
)

// start runs the service on the embedded NATS with a clock at noon in
// Astana on 2026-05-20, with the commissions igc-cn and igc-de.
func start(t *testing.T) *app.Service {
	t.Helper()
	ns := natstest.Start(t)
	svc, err := app.New(t.Context(), ns.JS, reference.Default(), noLinkedRecords{}, obs.Discard(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc.SetClock(func() time.Time { return time.Date(2026, 5, 20, 7, 0, 0, 0, time.UTC) })
	for _, c := range []struct{ id, partner string }{{"igc-cn", "CN"}, {"igc-de", "DE"}} {
		if _, err := svc.CreateCommission(t.Context(), admin, domain.CommissionInput{ID: c.id, Name: "Commission " + c.partner,
			PartnerCountry: c.partner, SecretariatAgency: "mti"}); err != nil {
			t.Fatal(err)
		}
	}
	return svc
}

func protocol(t *testing.T, svc *app.Service) app.Protocol {
	t.Helper()
	in := domain.SessionInput{Number: 1, Date: "2026-03-01", Place: "Astana", Decisions: []domain.DecisionInput{
		{Item: "1.1", Text: "Prepare a roadmap", Agencies: []string{"mti"}, Deadline: "2026-04-30", Clauses: []string{"2.2"}},
		{Item: "1.2", Text: "Open a trade house", Agencies: []string{"mti"}, Deadline: "2026-12-31", Clauses: []string{"2.2"}},
	}}
	p, _, err := svc.RecordProtocol(t.Context(), secCN, "igc-cn", "key-1", in, domain.JSONRows)
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) {
			t.Fatalf("%v: %+v", err, ae.Fields)
		}
		t.Fatal(err)
	}
	return p
}

// TestDecisionCommands runs the command helper's paths for decisions: not
// found, forbidden by role and by scope, a stale version, the state
// machine's refusal, and success, which alone stores an event.
func TestDecisionCommands(t *testing.T) {
	svc := start(t)
	ctx := t.Context()
	p := protocol(t, svc)
	d := p.Decisions[0]
	started := domain.StatusChange{To: domain.InProgress, EffectiveOn: "2026-05-02", Comment: "drafting", EvidenceRef: "letter 1"}
	tests := []struct {
		name       string
		u          auth.User
		cid, id    string
		version    int
		change     domain.StatusChange
		want       apperr.Code
		wantFields string
	}{
		{"no such decision", secCN, "igc-cn", "7d1f4b8e-0000-4000-8000-000000000000", 1, started, apperr.NotFound, ""},
		{"not an id", secCN, "igc-cn", "*", 1, started, apperr.NotFound, ""},
		{"a role that does not write decisions", analyst, "igc-cn", d.ID, 1, started, apperr.Forbidden, ""},
		{"another commission's secretariat", secDE, "igc-cn", d.ID, 1, started, apperr.Forbidden, ""},
		{"stale version", secCN, "igc-cn", d.ID, 2, started, apperr.Conflict, ""},
		{"the state machine refuses", secCN, "igc-cn", d.ID, 1, domain.StatusChange{To: domain.Done, Comment: "x"}, apperr.Invalid, "status"},
		{"success", secCN, "igc-cn", d.ID, 1, started, "", ""},
		{"the same version again", secCN, "igc-cn", d.ID, 1, started, apperr.Conflict, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := svc.History(ctx, analyst, "igc-cn", d.ID)
			got, err := svc.ChangeStatus(ctx, tt.u, tt.cid, tt.id, tt.version, tt.change)
			if apperr.CodeOf(err) != tt.want && (tt.want != "" || err != nil) {
				t.Fatalf("err %v; want %q", err, tt.want)
			}
			if f, _ := apperr.FieldsOf(err); tt.wantFields != "" && !f.Has(tt.wantFields) {
				t.Fatalf("err %v; want a field error on %s", err, tt.wantFields)
			}
			after, _ := svc.History(ctx, analyst, "igc-cn", d.ID)
			if stored := len(after) - len(before); (tt.want == "") != (stored == 1) {
				t.Fatalf("%d events stored", stored)
			}
			if tt.want == "" && (got.Status != domain.InProgress || got.Version != 2 || got.StatusDate.String() != "2026-05-02" || after[1].To != "in_progress") {
				t.Fatalf("decision %+v, history %+v", got, after)
			}
		})
	}
	if _, err := svc.Link(ctx, secCN, "igc-cn", p.Decisions[1].ID, 1, "lead", "8d1f4b8e-0000-4000-8000-000000000000"); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("link to a lead that does not exist: %v; want Invalid", err)
	}
}

// TestDecisionScope: a decision is read by its commission's secretariat,
// by the attachés of posts in its partner country, and by analysts; a
// secretariat of another commission is refused by scope.
func TestDecisionScope(t *testing.T) {
	svc := start(t)
	ctx := t.Context()
	d := protocol(t, svc).Decisions[0]
	for _, tt := range []struct {
		name string
		u    auth.User
		want apperr.Code
	}{
		{"its secretariat", secCN, ""},
		{"an attaché in the partner country", beijing, ""},
		{"an analyst", analyst, ""},
		{"an attaché elsewhere", berlin, apperr.Forbidden},
		{"another secretariat", secDE, apperr.Forbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.History(ctx, tt.u, "igc-cn", d.ID)
			if apperr.CodeOf(err) != tt.want && (tt.want != "" || err != nil) {
				t.Fatalf("%v; want %q", err, tt.want)
			}
		})
	}
	if list, err := svc.Commissions(beijing); err != nil || len(list) != 1 {
		got := len(list)
		t.Fatalf("the Beijing attaché lists %d commissions; want igc-cn only", got)
	}
}

// TestCommissionCommands: administrators create and rename commissions,
// with the version they read; the id and partner stay.
func TestCommissionCommands(t *testing.T) {
	svc := start(t)
	ctx := t.Context()
	in := domain.CommissionInput{Name: "Kazakhstan-China IGC", PartnerCountry: "DE", SecretariatAgency: "mti"}
	if _, err := svc.UpdateCommission(ctx, secCN, "igc-cn", 1, in); apperr.CodeOf(err) != apperr.Forbidden {
		t.Fatalf("a secretariat renames: %v", err)
	}
	if _, err := svc.UpdateCommission(ctx, admin, "igc-xx", 1, in); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("no such commission: %v", err)
	}
	if _, err := svc.UpdateCommission(ctx, admin, "igc-cn", 3, in); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("stale version: %v", err)
	}
	if _, err := svc.UpdateCommission(ctx, admin, "igc-cn", 1, domain.CommissionInput{Name: " ", SecretariatAgency: "mti"}); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("no name: %v", err)
	}
	c, err := svc.UpdateCommission(ctx, admin, "igc-cn", 1, in)
	if err != nil || c.Version != 2 || c.Name != "Kazakhstan-China IGC" || c.PartnerCountry != "CN" {
		t.Fatalf("%+v, %v", c, err)
	}
	if _, err := svc.CreateCommission(ctx, admin, domain.CommissionInput{ID: "igc-cn", Name: "again", PartnerCountry: "CN", SecretariatAgency: "mti"}); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("the same id again: %v", err)
	}
}
