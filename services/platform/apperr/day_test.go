package apperr_test

import (
	"testing"

	"econdip/services/platform/apperr"
)

// TestFieldsDay: every day a user writes is refused outside 2000-01-01..2100-12-31.
func TestFieldsDay(t *testing.T) {
	cases := []struct{ in, key string }{
		{"2026-11-26", ""},
		{"2000-01-01", ""},
		{"2100-12-31", ""},
		{"", "error.required"},
		{"1900-01-01", "error.date_too_early"},
		{"1999-12-31", "error.date_too_early"},
		{"2101-01-01", "error.date_too_late"},
		{"9999-12-31", "error.date_too_late"},
		{"2026-02-30", "error.date"},
		{"26.11.2026", "error.date"},
	}
	for _, tc := range cases {
		var f apperr.Fields
		d, ok := f.Day("on", tc.in)
		if tc.key == "" {
			if !ok || len(f) != 0 || d.String() != tc.in {
				t.Errorf("Day(%q) = %s, %v, %v; want it accepted", tc.in, d, ok, f)
			}
			continue
		}
		if ok || !d.IsZero() || len(f) != 1 || f[0].Field != "on" || f[0].Key != tc.key {
			t.Errorf("Day(%q) = %s, %v, %+v; want one %s on the field", tc.in, d, ok, f, tc.key)
		}
	}
	var f apperr.Fields
	f.Day("deadline", "2101-01-01")
	if f[0].Message != "2101-01-01 is too late: give a day up to 2100-12-31" {
		t.Errorf("message: %q", f[0].Message)
	}
}
