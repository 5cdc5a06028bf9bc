package domain

import (
	"fmt"
	"strings"
	"testing"

	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
)

func TestBarrierStatusChanges(t *testing.T) {
	// reported → verified → in negotiation → resolved partly → resolved;
	// in negotiation → resolved directly; resolved partly back to in
	// negotiation; any open barrier may go dormant, and a dormant one comes
	// back to verified or in negotiation; resolved is final.
	allowed := map[Status][]Status{
		Reported:       {Verified, Dormant},
		Verified:       {InNegotiation, Dormant},
		InNegotiation:  {ResolvedPartly, Resolved, Dormant},
		ResolvedPartly: {InNegotiation, Resolved, Dormant},
		Resolved:       {},
		Dormant:        {Verified, InNegotiation},
	}
	for _, from := range Statuses {
		for _, to := range Statuses {
			want := false
			for _, a := range allowed[from] {
				want = want || a == to
			}
			if got := CanChange(from, to); got != want {
				t.Errorf("CanChange(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
		// NextStatuses lists them in the order of Statuses.
		var want []Status
		for _, s := range Statuses {
			for _, a := range allowed[from] {
				if a == s {
					want = append(want, s)
				}
			}
		}
		if got := fmt.Sprint(NextStatuses(from)); got != fmt.Sprint(want) {
			t.Errorf("NextStatuses(%s) = %s, want %v", from, got, want)
		}
	}
}

func TestCheckStatusChange(t *testing.T) {
	reported, last, today := kernel.MustDay("2026-01-10"), kernel.MustDay("2026-03-01"), kernel.MustDay("2026-05-20")
	cases := []struct {
		name   string
		from   Status
		change StatusChange
		fields string // "" for accepted
		on     string
	}{
		{"verified today by default", Reported, StatusChange{To: Verified, Comment: "confirmed by the ministry"}, "", today.String()},
		{"backdated", InNegotiation, StatusChange{To: Resolved, EffectiveOn: "2026-04-02", Comment: "tariff lifted"}, "", "2026-04-02"},
		{"on the day of the last change", Verified, StatusChange{To: InNegotiation, EffectiveOn: last.String(), Comment: "talks"}, "", last.String()},
		{"out of order", Reported, StatusChange{To: Resolved, Comment: "x"}, "status=error.barrier_status_move", ""},
		{"resolved is final", Resolved, StatusChange{To: InNegotiation, Comment: "x"}, "status=error.barrier_status_move", ""},
		{"unknown status", Reported, StatusChange{To: "solved", Comment: "x"}, "status=error.unknown_status", ""},
		{"comment required", Reported, StatusChange{To: Verified, Comment: "  "}, "comment=error.required", ""},
		{"in the future", Reported, StatusChange{To: Verified, EffectiveOn: "2026-05-21", Comment: "x"}, "effective_on=error.future_date", ""},
		{"before it was reported", Reported, StatusChange{To: Verified, EffectiveOn: "2026-01-09", Comment: "x"}, "effective_on=error.before_reported", ""},
		{"before the last change", Verified, StatusChange{To: InNegotiation, EffectiveOn: "2026-02-28", Comment: "x"}, "effective_on=error.before_last_change", ""},
		{"not a date", Verified, StatusChange{To: InNegotiation, EffectiveOn: "1 March", Comment: "x"}, "effective_on=error.date", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			on, err := CheckStatusChange(tc.from, tc.change, reported, last, today)
			if tc.fields == "" {
				if err != nil || on.String() != tc.on {
					t.Fatalf("got %q %v, want %q", on, err, tc.on)
				}
				return
			}
			if fieldKeys(err) != tc.fields {
				t.Fatalf("errors %q, want %q", fieldKeys(err), tc.fields)
			}
		})
	}
	_, err := CheckStatusChange(Reported, StatusChange{To: InNegotiation, Comment: "x"}, reported, reported, today)
	if msg := firstMessage(err); !strings.Contains(msg, "from Reported it can go to: Verified, Dormant") {
		t.Errorf("message %q does not name the allowed statuses", msg)
	}
	_, err = CheckStatusChange(Resolved, StatusChange{To: Dormant, Comment: "x"}, reported, reported, today)
	if msg := firstMessage(err); !strings.Contains(msg, "none (it is final)") {
		t.Errorf("message %q does not say resolved is final", msg)
	}
}

func TestBarrierInputValidate(t *testing.T) {
	ref := reference.Default()
	today := kernel.MustDay("2026-05-20")
	good := BarrierInput{Country: "CN", HSCodes: []string{"10", "1001", "271012"}, Type: "sps", Title: "Phytosanitary ban on wheat",
		Description: "Imports of Kazakh wheat suspended since January", ValueAmount: "15000000", ValueCurrency: "USD",
		LeadAgency: "mti", Clauses: []string{"2.6"}, ReportedOn: "2026-05-01"}
	value, err := good.Validate(ref, "CN", today)
	if err != nil || value == nil || value.Amount.String() != "15000000" {
		t.Fatalf("valid barrier: %v %v", value, err)
	}
	cases := []struct {
		name   string
		edit   func(*BarrierInput)
		fields string
	}{
		{"another country than the post's", func(in *BarrierInput) { in.Country = "DE" }, "country=error.barrier_not_host"},
		{"no HS code", func(in *BarrierInput) { in.HSCodes = nil }, "hs_codes=error.required"},
		{"odd-length HS code", func(in *BarrierInput) { in.HSCodes = []string{"760"} }, "hs_codes=error.hs_unknown"},
		{"not an HS chapter (Comtrade's 99)", func(in *BarrierInput) { in.HSCodes = []string{"99"} }, "hs_codes=error.hs_unknown"},
		{"unknown type", func(in *BarrierInput) { in.Type = "quota" }, "type=error.one_of"},
		{"no title", func(in *BarrierInput) { in.Title = " " }, "title=error.required"},
		{"unknown agency", func(in *BarrierInput) { in.LeadAgency = "ministry-of-magic" }, "lead_agency=error.unknown_agency"},
		{"reported in the future", func(in *BarrierInput) { in.ReportedOn = "2026-05-21" }, "reported_on=error.future_date"},
		{"value with a decimal comma", func(in *BarrierInput) { in.ValueAmount = "12,5" }, "value_at_stake.amount=error.decimal_comma"},
		{"value without a currency", func(in *BarrierInput) { in.ValueCurrency = "" }, "value_at_stake.currency=error.required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := good
			tc.edit(&in)
			if _, err := in.Validate(ref, "CN", today); fieldKeys(err) != tc.fields {
				t.Fatalf("errors %q, want %q", fieldKeys(err), tc.fields)
			}
		})
	}
	// No value at stake is no value.
	in := good
	in.ValueAmount, in.ValueCurrency = "", ""
	if value, err := in.Validate(ref, "CN", today); err != nil || value != nil {
		t.Fatalf("barrier without a value: %v %v", value, err)
	}
}
