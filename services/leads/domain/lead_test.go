package domain_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"econdip/services/leads/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
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

// keysOf lists an error's fields with their catalogue keys, "field:key", sorted by field.
func keysOf(err error) string {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return ""
	}
	var out []string
	for _, f := range ae.Fields {
		out = append(out, f.Field+":"+f.Key)
	}
	return strings.Join(out, ",")
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

func TestNew(t *testing.T) {
	ref := reference.Default()
	// 20:00 UTC on 2 November is already 3 November in Astana.
	now := time.Date(2026, 11, 2, 20, 0, 0, 0, time.UTC)
	today := kernel.Today(now)
	if today.String() != "2026-11-03" {
		t.Fatalf("Today(%s) = %s, want the Astana day 2026-11-03", now, today)
	}
	cases := []struct {
		name, identifiedOn string
		want               string // the lead's stage day, or the errors as "field:key"
	}{
		{"empty: today in Astana", "", "2026-11-03"},
		{"today", "2026-11-03", "2026-11-03"},
		{"last week", "2026-10-27", "2026-10-27"},
		{"the first day allowed", "2000-01-01", "2000-01-01"},
		{"tomorrow", "2026-11-04", "identified_on:error.future_date"},
		{"before 2000", "1999-12-31", "identified_on:error.date_too_early"},
		{"not YYYY-MM-DD", "27.10.2026", "identified_on:error.date"},
		{"no such day", "2026-02-30", "identified_on:error.date"},
		{"a time, not a day", "2026-10-27T10:00:00Z", "identified_on:error.date"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := valid()
			d.IdentifiedOn = tc.identifiedOn
			l, err := domain.New(d, ref, now, today)
			if err != nil {
				if got := keysOf(err); got != tc.want {
					t.Fatalf("errors %q, want %q (%v)", got, tc.want, err)
				}
				return
			}
			if l.StageEffectiveOn.String() != tc.want || l.Stage != domain.Identified || l.Version != 1 ||
				!l.Probability.Equal(domain.Probability[domain.Identified]) || !l.StageChangedAt.Equal(now) ||
				!l.CreatedAt.Equal(now) || l.InvestorName != d.InvestorName || !l.Capex.Amount.Equal(decimal.RequireFromString(d.CapexAmount)) {
				t.Fatalf("new lead %+v, want stage day %s", l, tc.want)
			}
		})
	}
	// A bad day is reported together with the other fields' errors.
	d := valid()
	d.IdentifiedOn, d.Title, d.CapexAmount = "2030-01-01", "", "-1"
	if got, want := keysOf(func() error { _, err := domain.New(d, ref, now, today); return err }()),
		"capex.amount:error.negative,identified_on:error.future_date,title:error.required"; got != want {
		t.Fatalf("errors %q, want all of %q", got, want)
	}
}

func TestMoveToEffectiveOn(t *testing.T) {
	ref := reference.Default()
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	today := kernel.MustDay("2026-11-02")
	cases := []struct {
		name, effectiveOn string
		want              string // the new stage day, or the errors as "field:key"
	}{
		{"empty: today", "", "2026-11-02"},
		{"today", "2026-11-02", "2026-11-02"},
		{"ten days ago", "2026-10-23", "2026-10-23"},
		{"the day the current stage took effect", "2026-10-15", "2026-10-15"},
		{"the day before the current stage took effect", "2026-10-14", "effective_on:error.before_stage_day"},
		{"tomorrow", "2026-11-03", "effective_on:error.future_date"},
		{"not YYYY-MM-DD", "23.10.2026", "effective_on:error.date"},
		{"no such day", "2026-09-31", "effective_on:error.date"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := domain.Lead{Version: 3, Stage: domain.Negotiating, Probability: domain.Probability[domain.Negotiating],
				StageChangedAt: time.Date(2026, 10, 20, 8, 0, 0, 0, time.UTC), StageEffectiveOn: kernel.MustDay("2026-10-15")}
			l := before
			err := l.MoveTo(domain.Move{To: domain.Committed, EffectiveOn: tc.effectiveOn, Comment: "agreement signed"}, ref, now, today)
			if err != nil {
				if got := keysOf(err); got != tc.want {
					t.Fatalf("errors %q, want %q (%v)", got, tc.want, err)
				}
				if !reflect.DeepEqual(l, before) {
					t.Fatalf("a refused move changed the lead: %+v", l)
				}
				return
			}
			if l.Stage != domain.Committed || l.StageEffectiveOn.String() != tc.want || !l.StageChangedAt.Equal(now) {
				t.Fatalf("after the move: stage %s, effective %s, recorded %s; want committed, %s, %s", l.Stage, l.StageEffectiveOn, l.StageChangedAt, tc.want, now)
			}
		})
	}
	// The message names both days, formatted.
	l := domain.Lead{Stage: domain.Negotiating, StageEffectiveOn: kernel.MustDay("2026-10-15")}
	var ae *apperr.Error
	err := l.MoveTo(domain.Move{To: domain.Committed, EffectiveOn: "2026-10-01"}, ref, now, today)
	if !errors.As(err, &ae) || ae.Fields[0].Message != "2026-10-01 is before the current stage took effect (2026-10-15)" {
		t.Fatalf("before the stage day: %v", err)
	}
	// A lead without a stage day (none recorded) accepts any past day.
	l = domain.Lead{Stage: domain.Negotiating}
	if err := l.MoveTo(domain.Move{To: domain.Committed, EffectiveOn: "2001-05-05"}, ref, now, today); err != nil || l.StageEffectiveOn.String() != "2001-05-05" {
		t.Fatalf("no stage day: %v %+v", err, l)
	}
}

func TestMoveTo(t *testing.T) {
	ref := reference.Default()
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	today := kernel.Today(now)
	l := domain.Lead{Stage: domain.Negotiating, Probability: domain.Probability[domain.Negotiating]}
	if err := l.MoveTo(domain.Move{To: domain.Lost}, ref, now, today); !strings.Contains(strings.Join(fieldsOf(err), ","), "lost_reason") {
		t.Fatalf("lost needs a reason, got %v", err)
	}
	if err := l.MoveTo(domain.Move{To: domain.Lost, LostReason: "went to Uzbekistan", CompetingCountry: "UZ"}, ref, now, today); err != nil {
		t.Fatal(err)
	}
	if l.Stage != domain.Lost || !l.Probability.IsZero() || l.CompetingCountry != "UZ" || !l.StageChangedAt.Equal(now) || !l.StageEffectiveOn.Equal(today) {
		t.Fatalf("after move: %+v", l)
	}
	if err := l.MoveTo(domain.Move{To: domain.Identified}, ref, now, today); err != nil {
		t.Fatal(err)
	}
	if l.LostReason != "" || l.CompetingCountry != "" || !l.Probability.Equal(domain.Probability[domain.Identified]) {
		t.Fatalf("reopening must clear the loss: %+v", l)
	}
	err := l.MoveTo(domain.Move{To: domain.Operational}, ref, now, today)
	var ae *apperr.Error
	if got := strings.Join(fieldsOf(err), ","); got != "stage" || !errors.As(err, &ae) || !strings.Contains(ae.Fields[0].Message, "Contacted") || strings.Contains(ae.Fields[0].Message, "%!") {
		t.Fatalf("forbidden jump must name the stage field and the allowed moves, got %v", err)
	}
	// The stages are named in the reader's language, not as codes.
	if ru := ae.Fields[0].Localized(i18n.RU); !strings.Contains(ru, "Установлен контакт") || strings.Contains(ru, "contacted") {
		t.Errorf("in Russian the allowed moves are named in Russian, got %q", ru)
	}
}
