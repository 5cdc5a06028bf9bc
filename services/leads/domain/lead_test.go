package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"econdip/services/leads/domain"
	"econdip/services/platform/apperr"
	"econdip/services/reference"
)

func TestCanMove(t *testing.T) {
	cases := []struct {
		from, to domain.Stage
		ok       bool
	}{
		{domain.Identified, domain.Contacted, true},
		{domain.Contacted, domain.Qualified, true},
		{domain.Negotiating, domain.Committed, true},
		{domain.Committed, domain.Implementing, true},
		{domain.Implementing, domain.Operational, true},
		{domain.Identified, domain.Qualified, false}, // no skipping
		{domain.Identified, domain.Operational, false},
		{domain.Qualified, domain.Contacted, true}, // one step back before commitment
		{domain.Implementing, domain.Committed, false},
		{domain.Negotiating, domain.OnHold, true},
		{domain.Implementing, domain.Lost, true},
		{domain.Operational, domain.Lost, false}, // operational is final
		{domain.Operational, domain.OnHold, false},
		{domain.OnHold, domain.Negotiating, true},
		{domain.OnHold, domain.Committed, true},
		{domain.OnHold, domain.Implementing, false},
		{domain.Lost, domain.Identified, true}, // reopen
		{domain.Lost, domain.Negotiating, false},
		{domain.Lost, domain.OnHold, false},
		{domain.Contacted, domain.Contacted, false},
	}
	for _, tc := range cases {
		if got := domain.CanMove(tc.from, tc.to); got != tc.ok {
			t.Errorf("CanMove(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.ok)
		}
	}
	if got := domain.NextStages(domain.Operational); len(got) != 0 {
		t.Errorf("operational leads nowhere, got %v", got)
	}
}

func TestEveryStageHasAProbabilityBetweenZeroAndOne(t *testing.T) {
	for _, s := range domain.Stages {
		p, ok := domain.Probability[s]
		if !ok || p.IsNegative() || p.GreaterThan(decimal.NewFromInt(1)) {
			t.Errorf("stage %s: probability %v", s, p)
		}
	}
}

func valid() domain.Details {
	return domain.Details{InvestorName: "Rhein Maschinenbau GmbH", InvestorCountry: "DE", Title: "Tractor plant",
		Sector: "machine_building", Clauses: []string{"2.2"}, TargetRegion: "KZ-75", InvestmentType: "greenfield",
		CapexAmount: "1250000.50", CapexCurrency: "EUR", ExpectedJobs: 10, Source: "event",
		Contacts: []domain.Contact{{Name: "J. Weber", Email: "j.weber@example.de", Phone: "+49 30 123456"}}}
}

func fieldsOf(err error) []string {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return nil
	}
	var out []string
	for _, f := range ae.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestValidate(t *testing.T) {
	ref := reference.Default()
	cases := []struct {
		name   string
		edit   func(*domain.Details)
		fields string // comma-separated fields with errors, "" for valid
	}{
		{"valid", func(*domain.Details) {}, ""},
		{"amount as a plain integer", func(d *domain.Details) { d.CapexAmount = "5000000" }, ""},
		{"zero capex is allowed (not yet known)", func(d *domain.Details) { d.CapexAmount = "0" }, ""},
		{"no sector, no region", func(d *domain.Details) { d.Sector, d.TargetRegion = "", "" }, ""},
		{"missing name and title", func(d *domain.Details) { d.InvestorName, d.Title = " ", "" }, "investor_name,title"},
		{"negative capex", func(d *domain.Details) { d.CapexAmount = "-1" }, "capex.amount"},
		{"capex not a number", func(d *domain.Details) { d.CapexAmount = "1e9x" }, "capex.amount"},
		{"capex too precise", func(d *domain.Details) { d.CapexAmount = "1.123456" }, "capex.amount"},
		{"capex absurdly large", func(d *domain.Details) { d.CapexAmount = "100000000000000" }, "capex.amount"},
		{"missing capex", func(d *domain.Details) { d.CapexAmount = "" }, "capex.amount"},
		{"unknown currency", func(d *domain.Details) { d.CapexCurrency = "XYZ" }, "capex.currency"},
		{"lower-case currency", func(d *domain.Details) { d.CapexCurrency = "eur" }, "capex.currency"},
		{"domestic investor", func(d *domain.Details) { d.InvestorCountry = "KZ" }, "investor_country"},
		{"Namibia is a country, not missing", func(d *domain.Details) { d.InvestorCountry = "NA" }, ""},
		{"unknown sector", func(d *domain.Details) { d.Sector = "space" }, "sector"},
		{"no clause", func(d *domain.Details) { d.Clauses = nil }, "clauses"},
		{"unknown clause", func(d *domain.Details) { d.Clauses = []string{"9.9"} }, "clauses"},
		{"unknown region", func(d *domain.Details) { d.TargetRegion = "KZ-00" }, "target_region"},
		{"unknown investment type", func(d *domain.Details) { d.InvestmentType = "charity" }, "investment_type"},
		{"unknown source", func(d *domain.Details) { d.Source = "rumour" }, "source"},
		{"negative jobs", func(d *domain.Details) { d.ExpectedJobs = -3 }, "expected_jobs"},
		{"bad date", func(d *domain.Details) { d.ExpectedDecisionDate = "01.03.2027" }, "expected_decision_date"},
		{"too long title", func(d *domain.Details) { d.Title = strings.Repeat("x", 301) }, "title"},
		{"contact without name, bad mail and phone", func(d *domain.Details) {
			d.Contacts = []domain.Contact{{Email: "nope", Phone: "call me"}}
		}, "contacts[0].email,contacts[0].name,contacts[0].phone"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := valid()
			tc.edit(&d)
			capex, err := d.Validate(ref)
			got := strings.Join(fieldsOf(err), ",")
			if got != tc.fields {
				t.Fatalf("fields with errors = %q, want %q (err %v)", got, tc.fields, err)
			}
			if tc.fields == "" && !capex.Amount.Equal(decimal.RequireFromString(d.CapexAmount)) {
				t.Fatalf("parsed capex %s from %q", capex.Amount, d.CapexAmount)
			}
		})
	}
}

func TestMoveTo(t *testing.T) {
	ref := reference.Default()
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	l := domain.Lead{Stage: domain.Negotiating, Probability: domain.Probability[domain.Negotiating]}
	if err := l.MoveTo(domain.Move{To: domain.Lost}, ref, now); !strings.Contains(strings.Join(fieldsOf(err), ","), "lost_reason") {
		t.Fatalf("lost needs a reason, got %v", err)
	}
	if err := l.MoveTo(domain.Move{To: domain.Lost, LostReason: "went to Uzbekistan", CompetingCountry: "UZ"}, ref, now); err != nil {
		t.Fatal(err)
	}
	if l.Stage != domain.Lost || !l.Probability.IsZero() || l.CompetingCountry != "UZ" || !l.StageChangedAt.Equal(now) {
		t.Fatalf("after move: %+v", l)
	}
	if err := l.MoveTo(domain.Move{To: domain.Identified}, ref, now); err != nil {
		t.Fatal(err)
	}
	if l.LostReason != "" || l.CompetingCountry != "" || !l.Probability.Equal(domain.Probability[domain.Identified]) {
		t.Fatalf("reopening must clear the loss: %+v", l)
	}
	err := l.MoveTo(domain.Move{To: domain.Operational}, ref, now)
	var ae *apperr.Error
	if got := strings.Join(fieldsOf(err), ","); got != "stage" || !errors.As(err, &ae) || !strings.Contains(ae.Fields[0].Message, "contacted") || strings.Contains(ae.Fields[0].Message, "%!") {
		t.Fatalf("forbidden jump must name the stage field and the allowed moves, got %v", err)
	}
}
