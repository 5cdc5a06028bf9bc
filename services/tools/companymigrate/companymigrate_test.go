package companymigrate_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	companies "econdip/services/companies/app"
	cdomain "econdip/services/companies/domain"
	exports "econdip/services/exports/app"
	edomain "econdip/services/exports/domain"
	leads "econdip/services/leads/app"
	ldomain "econdip/services/leads/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
	"econdip/services/tools/companymigrate"
)

const bin = "990340004592"

var (
	berlin  = auth.User{ID: "attache.de-berlin", Role: auth.Attache, Post: "de-berlin"}
	analyst = auth.User{ID: "analyst", Role: auth.Analyst}
	admin   = auth.User{ID: "admin", Role: auth.Admin}
)

type noDecisions struct{}

func (noDecisions) Decision(context.Context, string, string) (events.DecisionV1, bool, error) {
	return events.DecisionV1{}, false, nil
}

type services struct {
	js jetstream.JetStream
	co *companies.Service
	ls *leads.Service
	xs *exports.Service
}

func start(t *testing.T) services {
	t.Helper()
	ns := natstest.Start(t)
	ctx, ref := t.Context(), reference.Default()
	co, err := companies.New(ctx, ns.JS, ref, obs.Discard(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ls, err := leads.New(ctx, ns.JS, ref, obs.Discard(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	xs, err := exports.New(ctx, ns.JS, ref, noDecisions{}, obs.Discard(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := xs.RegisterExporter(ctx, admin, nil, edomain.ExporterInput{BIN: bin, Name: "Pavlodar Aluminium JSC"}); err != nil {
		t.Fatal(err)
	}
	return services{js: ns.JS, co: co, ls: ls, xs: xs}
}

func lead(investorID, name string) ldomain.Details {
	return ldomain.Details{InvestorID: investorID, InvestorName: name, InvestorCountry: "DE", Title: "Tractor plant",
		Sector: "machine_building", Clauses: []string{"2.2"}, TargetRegion: "KZ-75", InvestmentType: "greenfield",
		CapexAmount: "1250000", CapexCurrency: "EUR", ExpectedJobs: 10, Source: "event"}
}

func deal(buyerID, name string) edomain.DealInput {
	return edomain.DealInput{ExporterBIN: bin, BuyerID: buyerID, BuyerCountry: "DE", BuyerName: name, HSCode: "760110",
		ValueAmount: "1000000", ValueCurrency: "USD", Support: []string{"b2b_meeting"}, Clauses: []string{"2.2"}}
}

// eventually retries check until it passes or 15 s have passed.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMergeMovesEveryRecord: leads and deals of the absorbed company follow
// the merge (the services' durable consumers), each record's history shows
// the old and the new name, and the absorbed company says where it went;
// a rename then reaches every record's display copy.
func TestMergeMovesEveryRecord(t *testing.T) {
	s := start(t)
	ctx := t.Context()
	if err := s.ls.FollowCompanies(ctx, s.js); err != nil {
		t.Fatal(err)
	}
	if err := s.xs.FollowCompanies(ctx, s.js); err != nil {
		t.Fatal(err)
	}
	survivor, _, err := s.co.Create(ctx, berlin, "", cdomain.Details{Name: "Rhein Maschinenbau GmbH", Country: "DE"}, false)
	if err != nil {
		t.Fatal(err)
	}
	absorbed, _, err := s.co.Create(ctx, berlin, "", cdomain.Details{Name: "Rhein-Maschinenbau AG", Country: "DE"}, true)
	if err != nil {
		t.Fatal(err)
	}
	var leadIDs, dealIDs []string
	for i := range 3 {
		l, _, err := s.ls.Create(ctx, berlin, "", lead(absorbed.ID, "typed, then replaced"))
		if err != nil {
			t.Fatal(err)
		}
		if l.InvestorName != absorbed.Name {
			t.Fatalf("lead %d: the name is the company's, got %q", i, l.InvestorName)
		}
		leadIDs = append(leadIDs, l.ID)
		d, _, err := s.xs.CreateDeal(ctx, berlin, "", deal(absorbed.ID, ""))
		if err != nil {
			t.Fatal(err)
		}
		dealIDs = append(dealIDs, d.ID)
	}
	onSurvivor, _, err := s.ls.Create(ctx, berlin, "", lead(survivor.ID, ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.co.Merge(ctx, admin, survivor.ID, survivor.Version, absorbed.ID, absorbed.Version); err != nil {
		t.Fatal(err)
	}
	eventually(t, "leads re-pointed", func() error {
		for _, id := range leadIDs {
			l, err := s.ls.Get(ctx, analyst, id)
			if err != nil {
				return err
			}
			if l.InvestorID != survivor.ID || l.InvestorName != survivor.Name {
				return fmt.Errorf("lead %s on %s %q", id, l.InvestorID, l.InvestorName)
			}
		}
		return nil
	})
	eventually(t, "deals re-pointed", func() error {
		for _, id := range dealIDs {
			d, err := s.xs.Deal(ctx, analyst, id)
			if err != nil {
				return err
			}
			if d.BuyerID != survivor.ID || d.BuyerName != survivor.Name {
				return fmt.Errorf("deal %s on %s %q", id, d.BuyerID, d.BuyerName)
			}
		}
		return nil
	})
	for _, id := range leadIDs {
		h, err := s.ls.History(ctx, analyst, id)
		if err != nil {
			t.Fatal(err)
		}
		last := h[len(h)-1]
		if len(h) != 2 || h[0].Investor != absorbed.Name || last.Investor != survivor.Name || last.Actor != "system.company-merge" ||
			strings.Join(last.Changed, ",") != "investor_id,investor_name" {
			t.Errorf("lead %s history: %+v", id, h)
		}
	}
	for _, id := range dealIDs {
		h, err := s.xs.DealHistory(ctx, analyst, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 2 || h[0].Buyer != absorbed.Name || h[1].Buyer != survivor.Name {
			t.Errorf("deal %s history: %+v", id, h)
		}
	}
	// A record on the survivor already is left alone by the merge.
	if h, _ := s.ls.History(ctx, analyst, onSurvivor.ID); len(h) != 1 {
		t.Errorf("a lead on the survivor changed: %+v", h)
	}
	got, err := s.co.Get(ctx, analyst, absorbed.ID)
	if err != nil || got.MergedInto != survivor.ID {
		t.Fatalf("absorbed: %+v %v", got, err)
	}
	// A rename of the survivor reaches the display copies of its records.
	cur, _ := s.co.Get(ctx, analyst, survivor.ID)
	if _, err := s.co.Update(ctx, berlin, survivor.ID, cur.Version, func(d *cdomain.Details) { d.Name = "Rhein Maschinenbau SE" }); err != nil {
		t.Fatal(err)
	}
	eventually(t, "records renamed", func() error {
		for _, id := range append(leadIDs, onSurvivor.ID) {
			if l, err := s.ls.Get(ctx, analyst, id); err != nil || l.InvestorName != "Rhein Maschinenbau SE" {
				return fmt.Errorf("lead %s: %q %v", id, l.InvestorName, err)
			}
		}
		for _, id := range dealIDs {
			if d, err := s.xs.Deal(ctx, analyst, id); err != nil || d.BuyerName != "Rhein Maschinenbau SE" {
				return fmt.Errorf("deal %s: %q %v", id, d.BuyerName, err)
			}
		}
		return nil
	})
	if h, _ := s.ls.History(ctx, analyst, onSurvivor.ID); len(h) != 2 || strings.Join(h[1].Changed, ",") != "investor_name" {
		t.Errorf("the renamed lead's history: %+v", h)
	}

	// A lead can no longer pick the absorbed company, nor one the register lacks.
	for _, id := range []string{absorbed.ID, "00000000-0000-4000-8000-000000000000", "a.*"} {
		_, _, err := s.ls.Create(ctx, berlin, "", lead(id, ""))
		if f, _ := apperr.FieldsOf(err); !f.Has("investor_id") {
			t.Errorf("a lead picked company %q: %v", id, err)
		}
	}
}

// TestMigration groups the spellings of free-text investors and buyers
// into companies, links every record through events, reports what went
// where, and changes nothing on a second run.
func TestMigration(t *testing.T) {
	s := start(t)
	ctx := t.Context()
	existing, _, err := s.co.Create(ctx, berlin, "", cdomain.Details{Name: "Hamburg Metall AG", Country: "DE"}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Rhein Maschinenbau GmbH", "RHEIN MASCHINENBAU", "Rhein Maschinenbau GmbH", "Рейн Машиненбау ГмбХ", "Siemens Energy AG"} {
		if _, _, err := s.ls.Create(ctx, berlin, "", lead("", name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"Hamburg Metall", "Siemens Energy", "Bosch GmbH"} {
		if _, _, err := s.xs.CreateDeal(ctx, berlin, "", deal("", name)); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	rep, err := companymigrate.Run(ctx, s.js, reference.Default(), obs.Discard(), &out)
	if err != nil {
		t.Fatal(err)
	}
	rep.Print(&out)
	t.Log(out.String())
	if rep.Created != 3 || rep.Linked != 8 || len(rep.Failures) != 0 {
		t.Fatalf("created %d, linked %d, failures %v; want 3 new (Rhein, Siemens, Bosch), 8 linked", rep.Created, rep.Linked, rep.Failures)
	}
	groups := map[string]companymigrate.Group{}
	for _, g := range rep.Groups {
		groups[g.Company] = g
	}
	if g := groups["Rhein Maschinenbau GmbH"]; len(g.Spellings) != 3 || g.Linked != 4 || !g.Created {
		t.Errorf("Rhein: %+v", g)
	}
	if g := groups["Hamburg Metall AG"]; g.Created || g.CompanyID != existing.ID || g.Linked != 1 {
		t.Errorf("Hamburg goes to the existing company: %+v", g)
	}
	if g := groups["Siemens Energy"]; len(g.Spellings) != 2 || g.Linked != 2 {
		t.Errorf("Siemens (a lead and a deal): %+v", g)
	}
	// The list is the leads service's projection, which follows the
	// migration's events a moment later.
	eventually(t, "the Rhein leads listed under their company", func() error {
		page, err := s.ls.List(analyst, leads.Filter{InvestorID: groups["Rhein Maschinenbau GmbH"].CompanyID})
		if err != nil || page.Total != 4 {
			return fmt.Errorf("%d leads listed, want 4 (%v)", page.Total, err)
		}
		for _, l := range page.Items {
			h, _ := s.ls.History(ctx, analyst, l.ID)
			if len(h) != 2 || h[1].Investor != "Rhein Maschinenbau GmbH" || h[1].Actor != companymigrate.Actor {
				return fmt.Errorf("lead %s history: %+v", l.ID, h)
			}
		}
		return nil
	})
	again, err := companymigrate.Run(ctx, s.js, reference.Default(), obs.Discard(), &out)
	if err != nil || again.Created != 0 || again.Linked != 0 {
		t.Fatalf("a second run: %+v %v", again, err)
	}
}
