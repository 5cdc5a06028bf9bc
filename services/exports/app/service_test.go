package app_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"econdip/events"
	"econdip/services/exports/app"
	"econdip/services/exports/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
)

// noDecisions: no IGC decision exists.
type noDecisions struct{}

func (noDecisions) Decision(context.Context, string, string) (events.DecisionV1, bool, error) {
	return events.DecisionV1{}, false, nil
}

const bin = "990340004592"

var (
	berlin  = auth.User{ID: "attache.de-berlin", Role: auth.Attache, Post: "de-berlin"}
	berlin2 = auth.User{ID: "attache2.de-berlin", Role: auth.Attache, Post: "de-berlin"}
	beijing = auth.User{ID: "attache.cn-beijing", Role: auth.Attache, Post: "cn-beijing"}
	analyst = auth.User{ID: "analyst", Role: auth.Analyst}
	admin   = auth.User{ID: "admin", Role: auth.Admin}
	secCN   = auth.User{ID: "sec.igc-cn", Role: auth.Secretariat, Commission: "igc-cn"}
)

// start runs the service on the embedded NATS, on 2026-05-20 in Astana,
// with one registered exporter.
func start(t *testing.T) *app.Service {
	t.Helper()
	ns := natstest.Start(t)
	svc, err := app.New(t.Context(), ns.JS, reference.Default(), noDecisions{}, obs.Discard(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc.SetClock(func() time.Time { return time.Date(2026, 5, 20, 7, 0, 0, 0, time.UTC) })
	if _, what, err := svc.RegisterExporter(t.Context(), admin, nil, domain.ExporterInput{BIN: bin, Name: "Pavlodar Aluminium JSC"}); err != nil || what != app.Registered {
		t.Fatalf("register: %v %v", what, err)
	}
	return svc
}

func dealInput() domain.DealInput {
	return domain.DealInput{ExporterBIN: bin, BuyerCountry: "DE", BuyerName: "Hamburg Metall AG", HSCode: "760110",
		ValueAmount: "1250000.50", ValueCurrency: "USD", Quantity: "500", Unit: "t", Support: []string{"b2b_meeting"}, Clauses: []string{"2.2"}}
}

func code(err error) apperr.Code { return apperr.CodeOf(err) }

// TestDealCommands runs the command helper's paths for deals.
func TestDealCommands(t *testing.T) {
	svc := start(t)
	ctx := t.Context()
	d, _, err := svc.CreateDeal(ctx, berlin, "", dealInput())
	if err != nil {
		t.Fatal(err)
	}
	move := func(to domain.Stage) domain.Move { return domain.Move{To: to, Comment: "call"} }
	tests := []struct {
		name    string
		u       auth.User
		id      string
		version int
		m       domain.Move
		want    apperr.Code
	}{
		{"no such deal", berlin, "7d1f4b8e-0000-4000-8000-000000000000", 1, move(domain.Negotiating), apperr.NotFound},
		{"not an id", berlin, "deal>", 1, move(domain.Negotiating), apperr.NotFound},
		{"a role that does not write deals", analyst, d.ID, 1, move(domain.Negotiating), apperr.Forbidden},
		{"another post's deal", beijing, d.ID, 1, move(domain.Negotiating), apperr.Forbidden},
		{"stale version", berlin, d.ID, 2, move(domain.Negotiating), apperr.Conflict},
		{"the stage machine refuses", berlin, d.ID, 1, move(domain.Paid), apperr.Invalid},
		{"success, by a colleague at the post", berlin2, d.ID, 1, move(domain.Negotiating), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := svc.MoveDeal(ctx, tt.u, tt.id, tt.version, tt.m)
			if code(err) != tt.want && (tt.want != "" || err != nil) {
				t.Fatalf("err %v; want %q", err, tt.want)
			}
			h, _ := svc.DealHistory(ctx, analyst, d.ID)
			if tt.want == "" {
				if got.Stage != domain.Negotiating || got.Version != 2 || len(h) != 2 || h[1].To != "negotiating" || h[1].Actor != berlin2.ID {
					t.Fatalf("deal %+v, history %+v", got, h)
				}
			} else if len(h) != 1 {
				t.Fatalf("a refused command stored an event: %d", len(h))
			}
		})
	}
	// An update that changes nothing stores nothing; one that does names its fields.
	same, err := svc.UpdateDeal(ctx, berlin, d.ID, 2, func(*domain.DealInput) {})
	if err != nil || same.Version != 2 {
		t.Fatalf("no change: %+v %v", same, err)
	}
	upd, err := svc.UpdateDeal(ctx, berlin, d.ID, 2, func(in *domain.DealInput) { in.ValueAmount = "1250000.500"; in.BuyerName = "Hamburg Metall GmbH" })
	if err != nil || upd.Version != 3 {
		t.Fatalf("update: %+v %v", upd, err)
	}
	h, _ := svc.DealHistory(ctx, berlin, d.ID)
	if got := h[len(h)-1].Changed; !slices.Equal(got, []string{"buyer_name"}) {
		t.Fatalf("changed %v; want buyer_name only (the same value written otherwise is no change)", got)
	}
	if _, err := svc.UpdateDeal(ctx, berlin, d.ID, 3, func(in *domain.DealInput) { in.ExporterBIN = "990340004593" }); code(err) != apperr.Invalid {
		t.Fatalf("a wrong BIN: %v", err)
	}
	if _, err := svc.Deal(ctx, beijing, d.ID); code(err) != apperr.Forbidden {
		t.Fatalf("another post reads the deal: %v", err)
	}
}

// TestCreateWithIdempotencyKey: deals and barriers share the one create
// path; the same key and input answers the first record, another input is
// KeyReused, and nothing is stored twice.
func TestCreateWithIdempotencyKey(t *testing.T) {
	svc := start(t)
	ctx := t.Context()
	first, replayed, err := svc.CreateDeal(ctx, berlin, "k", dealInput())
	if err != nil || replayed {
		t.Fatalf("first: %v %v", replayed, err)
	}
	again, replayed, err := svc.CreateDeal(ctx, berlin, "k", dealInput())
	if err != nil || !replayed || again.ID != first.ID {
		t.Fatalf("retry: %v %v %s", replayed, err, again.ID)
	}
	other := dealInput()
	other.ValueAmount = "9999"
	if _, _, err := svc.CreateDeal(ctx, berlin, "k", other); code(err) != apperr.KeyReused {
		t.Fatalf("the key with another deal: %v", err)
	}
	// The same key names another record of another kind.
	in := domain.BarrierInput{Country: "DE", HSCodes: []string{"7601"}, Type: "tariff", Title: "Duty on aluminium", LeadAgency: "mti"}
	b, replayed, err := svc.ReportBarrier(ctx, berlin, "k", in)
	if err != nil || replayed || b.ID == first.ID {
		t.Fatalf("a barrier with the deal's key: %+v %v %v", b, replayed, err)
	}
	wrong := dealInput()
	wrong.BuyerCountry = "CN"
	for _, tt := range []struct {
		name string
		u    auth.User
		in   domain.DealInput
		want apperr.Code
	}{
		{"an analyst", analyst, dealInput(), apperr.Forbidden},
		{"a secretariat", secCN, dealInput(), apperr.Forbidden},
		{"a buyer outside the host country", berlin, wrong, apperr.Invalid},
	} {
		if _, _, err := svc.CreateDeal(ctx, tt.u, "k2", tt.in); code(err) != tt.want {
			t.Errorf("%s: %v; want %s", tt.name, err, tt.want)
		}
	}
	if list, err := svc.Deals(analyst, app.DealFilter{}); err != nil || list.Total != 1 || len(list.Items) != 1 {
		t.Fatalf("%d deals, %v; want the one", list.Total, err)
	}
}

// TestBarrierCommands: report, add a note, resolve (dated), and the rules
// that refuse: a day before the last change, a final status.
func TestBarrierCommands(t *testing.T) {
	svc := start(t)
	ctx := t.Context()
	in := domain.BarrierInput{Country: "CN", HSCodes: []string{"1001"}, Type: "sps", Title: "Phytosanitary ban", LeadAgency: "mti", ReportedOn: "2026-05-01"}
	b, _, err := svc.ReportBarrier(ctx, beijing, "", in)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.ReportBarrier(ctx, berlin, "", in); code(err) != apperr.Invalid {
		t.Fatalf("a barrier outside the host country: %v", err)
	}
	b, err = svc.UpdateBarrier(ctx, beijing, b.ID, 1, func(*domain.BarrierInput) {}, &domain.NoteInput{On: "2026-05-05", Text: "talks held"})
	if err != nil || b.Version != 2 || len(b.Progress) != 1 {
		t.Fatalf("note: %+v %v", b, err)
	}
	steps := []struct {
		name    string
		u       auth.User
		version int
		c       domain.StatusChange
		want    apperr.Code
	}{
		{"another post", berlin, 2, domain.StatusChange{To: domain.Verified, Comment: "x"}, apperr.Forbidden},
		{"out of order", beijing, 2, domain.StatusChange{To: domain.Resolved, Comment: "x"}, apperr.Invalid},
		{"verified", beijing, 2, domain.StatusChange{To: domain.Verified, EffectiveOn: "2026-05-10", Comment: "confirmed"}, ""},
		{"before the last change", beijing, 3, domain.StatusChange{To: domain.InNegotiation, EffectiveOn: "2026-05-09", Comment: "x"}, apperr.Invalid},
		{"stale version", beijing, 2, domain.StatusChange{To: domain.InNegotiation, Comment: "x"}, apperr.Conflict},
		{"in negotiation", beijing, 3, domain.StatusChange{To: domain.InNegotiation, EffectiveOn: "2026-05-12", Comment: "talks"}, ""},
		{"resolved", beijing, 4, domain.StatusChange{To: domain.Resolved, EffectiveOn: "2026-05-15", Comment: "ban lifted"}, ""},
		{"resolved is final", beijing, 5, domain.StatusChange{To: domain.Dormant, Comment: "x"}, apperr.Invalid},
	}
	for _, s := range steps {
		got, err := svc.ChangeBarrierStatus(ctx, s.u, b.ID, s.version, s.c)
		if code(err) != s.want && (s.want != "" || err != nil) {
			t.Fatalf("%s: %v; want %q", s.name, err, s.want)
		}
		if s.want == "" && (got.Status != s.c.To || got.Version != s.version+1) {
			t.Fatalf("%s: %+v", s.name, got)
		}
	}
	got, _ := svc.Barrier(ctx, analyst, b.ID)
	h, _ := svc.BarrierHistory(ctx, analyst, b.ID)
	if got.ResolvedOn.String() != "2026-05-15" || len(h) != 5 || h[1].Note == nil || h[1].Note.Text != "talks held" || h[4].EffectiveOn != "2026-05-15" {
		t.Fatalf("barrier %+v, history %+v", got, h)
	}
}

// TestExporterRegistry: registered once; again without a version it is the
// registry's record; with the version read it is renamed; a stale version
// is a Conflict.
func TestExporterRegistry(t *testing.T) {
	svc := start(t)
	ctx := t.Context()
	e, what, err := svc.RegisterExporter(ctx, berlin, nil, domain.ExporterInput{BIN: bin, Name: "Other name"})
	if err != nil || what != app.Existing || e.Name != "Pavlodar Aluminium JSC" {
		t.Fatalf("again: %+v %v %v", e, what, err)
	}
	v := 1
	e, what, err = svc.RegisterExporter(ctx, berlin, &v, domain.ExporterInput{BIN: bin, Name: " Pavlodar Aluminium JSC "})
	if err != nil || what != app.Existing || e.Version != 1 {
		t.Fatalf("the same name with the version: %+v %v %v", e, what, err)
	}
	e, what, err = svc.RegisterExporter(ctx, berlin, &v, domain.ExporterInput{BIN: bin, Name: "PAZ", Region: "KZ-55"})
	if err != nil || what != app.Updated || e.Version != 2 || e.Name != "PAZ" {
		t.Fatalf("rename: %+v %v %v", e, what, err)
	}
	for _, tt := range []struct {
		name    string
		u       auth.User
		version *int
		in      domain.ExporterInput
		want    apperr.Code
	}{
		{"stale version", berlin, &v, domain.ExporterInput{BIN: bin, Name: "X"}, apperr.Conflict},
		{"unknown BIN with a version", berlin, &v, domain.ExporterInput{BIN: "080540001238", Name: "X"}, apperr.NotFound},
		{"an analyst", analyst, nil, domain.ExporterInput{BIN: bin, Name: "X"}, apperr.Forbidden},
		{"a wrong BIN", berlin, nil, domain.ExporterInput{BIN: "990340004593", Name: "X"}, apperr.Invalid},
	} {
		if _, _, err := svc.RegisterExporter(ctx, tt.u, tt.version, tt.in); code(err) != tt.want {
			t.Errorf("%s: %v; want %s", tt.name, err, tt.want)
		}
	}
	if _, err := svc.Exporter(ctx, secCN, bin); code(err) != apperr.Forbidden {
		t.Fatalf("a secretariat reads the registry: %v", err)
	}
	page, err := svc.Exporters(analyst, app.ExporterFilter{Query: "paz"})
	list, total := page.Items, page.Total
	if err != nil || total != 1 || list[0].BIN != bin {
		t.Fatalf("%+v %d %v", list, total, err)
	}
	if _, err := svc.Exporters(analyst, app.ExporterFilter{Limit: 501}); code(err) != apperr.Invalid {
		t.Fatalf("limit 501: %v", err)
	}
}

// TestListsNarrowToTheOwnPost: an attaché lists the post's deals whatever
// post the filter names; an analyst lists the post asked for.
func TestListsNarrowToTheOwnPost(t *testing.T) {
	svc := start(t)
	ctx := t.Context()
	if _, _, err := svc.CreateDeal(ctx, berlin, "", dealInput()); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		u     auth.User
		post  string
		total int
	}{{berlin, "cn-beijing", 1}, {beijing, "de-berlin", 0}, {analyst, "de-berlin", 1}, {analyst, "cn-beijing", 0}} {
		page, err := svc.Deals(tt.u, app.DealFilter{Post: tt.post})
		total := page.Total
		if err != nil || total != tt.total {
			t.Errorf("%s asking for %s: %d, %v; want %d", tt.u.ID, tt.post, total, err, tt.total)
		}
	}
	if _, err := svc.Barriers(secCN, app.BarrierFilter{}); code(err) != apperr.Forbidden {
		t.Fatalf("a secretariat lists barriers: %v", err)
	}
}
