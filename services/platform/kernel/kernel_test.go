package kernel_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"econdip/services/platform/kernel"
)

func TestParseDay(t *testing.T) {
	cases := []struct {
		in      string
		ok      bool
		inRange bool
	}{
		{"2026-11-26", true, true},
		{"2000-01-01", true, true},
		{"2100-12-31", true, true},
		{"1999-12-31", true, false},
		{"2101-01-01", true, false},
		{"1900-01-01", true, false},
		{"2026-02-29", false, false},
		{"27.10.2026", false, false},
		{"2026-10-27T10:00:00Z", false, false},
		{" 2026-10-27", false, false},
		{"", false, false},
	}
	for _, tc := range cases {
		d, err := kernel.ParseDay(tc.in)
		if (err == nil) != tc.ok || d.InRange() != tc.inRange {
			t.Errorf("ParseDay(%q) = %v, %v, in range %v; want ok %v, in range %v", tc.in, d, err, d.InRange(), tc.ok, tc.inRange)
		}
		if tc.ok && d.String() != tc.in {
			t.Errorf("ParseDay(%q).String() = %q", tc.in, d.String())
		}
	}
	if kernel.FirstDay.String() != "2000-01-01" || kernel.LastDay.String() != "2100-12-31" {
		t.Fatalf("range %s..%s", kernel.FirstDay, kernel.LastDay)
	}
}

func TestDayArithmetic(t *testing.T) {
	a, b := kernel.MustDay("2024-02-28"), kernel.MustDay("2024-03-01")
	switch {
	case !a.Before(b) || !b.After(a) || a.Equal(b) || a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0:
		t.Errorf("comparisons of %s and %s", a, b)
	case b.DaysSince(a) != 2 || a.DaysSince(b) != -2:
		t.Errorf("%s - %s = %d days, want 2 (leap year)", b, a, b.DaysSince(a))
	case !a.AddDays(2).Equal(b) || !b.AddDays(-2).Equal(a):
		t.Errorf("AddDays")
	case !b.Time().Equal(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)):
		t.Errorf("Time() = %s, want midnight UTC", b.Time())
	}
	// Across Almaty's change from UTC+6 to UTC+5 (1 March 2024) days stay whole.
	if d := kernel.MustDay("2024-03-02").DaysSince(kernel.MustDay("2024-02-29")); d != 2 {
		t.Errorf("days across the offset change: %d", d)
	}
	var zero kernel.Day
	if !zero.IsZero() || zero.String() != "" || zero.InRange() || !kernel.DayOrZero("garbage").IsZero() {
		t.Errorf("the zero day must be no day")
	}
}

func TestTodayTurnsAtMidnightAstana(t *testing.T) {
	cases := []struct{ at, want string }{
		{"2026-11-26T18:59:59Z", "2026-11-26"}, // UTC+5 since March 2024
		{"2026-11-26T19:00:00Z", "2026-11-27"},
		{"2023-06-01T17:59:59Z", "2023-06-01"}, // UTC+6 before
		{"2023-06-01T18:00:00Z", "2023-06-02"},
	}
	for _, tc := range cases {
		at, _ := time.Parse(time.RFC3339, tc.at)
		if got := kernel.Today(at).String(); got != tc.want {
			t.Errorf("Today(%s) = %s, want %s", tc.at, got, tc.want)
		}
		if got := kernel.AstanaDay(at).String(); got != tc.want {
			t.Errorf("AstanaDay(%s) = %s, want %s", tc.at, got, tc.want)
		}
	}
}

func TestDayJSONIsTheString(t *testing.T) {
	type rec struct {
		On  kernel.Day `json:"on"`
		Off kernel.Day `json:"off,omitzero"`
	}
	b, err := json.Marshal(rec{On: kernel.MustDay("2026-03-14")})
	if err != nil || string(b) != `{"on":"2026-03-14"}` {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var r rec
	if err := json.Unmarshal([]byte(`{"on":"2026-03-15","off":""}`), &r); err != nil || r.On.String() != "2026-03-15" || !r.Off.IsZero() {
		t.Fatalf("unmarshal: %+v %v", r, err)
	}
	if err := json.Unmarshal([]byte(`{"on":"15.03.2026"}`), &r); err == nil {
		t.Fatalf("a bad day must not decode")
	}
}

// TestMoneyJSONIsTheEventsForm: the amount is a JSON string, as the events'
// schemas require, and reads back exactly.
func TestMoneyJSONIsTheEventsForm(t *testing.T) {
	m := kernel.Money{Amount: decimal.RequireFromString("1250000.50"), Currency: "USD"}
	b, err := json.Marshal(m)
	if err != nil || string(b) != `{"amount":"1250000.5","currency":"USD"}` {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var back kernel.Money
	if err := json.Unmarshal(b, &back); err != nil || !back.Amount.Equal(m.Amount) || back.Currency != "USD" {
		t.Fatalf("unmarshal: %+v %v", back, err)
	}
}

func TestIsID(t *testing.T) {
	for in, want := range map[string]bool{
		"9d3b6a52-1c4e-4f7a-b0d8-6e2f4a9c7b13": true,
		"":                                     false,
		"lead-1":                               false,
		"9d3b6a52-1c4e-4f7a-b0d8-6e2f4a9c7b1":  false,
	} {
		if got := kernel.IsID(in); got != want {
			t.Errorf("IsID(%q) = %v", in, got)
		}
	}
}

func TestDistinctKeepsFirstOrderAndNeverNil(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{nil, []string{}},
		{[]string{"2.2", "2.3", "2.2"}, []string{"2.2", "2.3"}},
		{[]string{"b", "a", "b", "a"}, []string{"b", "a"}},
	} {
		if got := kernel.Distinct(tc.in); got == nil || !slices.Equal(got, tc.want) {
			t.Errorf("Distinct(%q) = %#v, want %q", tc.in, got, tc.want)
		}
	}
}
