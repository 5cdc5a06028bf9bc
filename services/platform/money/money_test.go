package money

import (
	"strings"
	"testing"

	"econdip/services/platform/apperr"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in, want, key string
	}{
		{"1250000", "1250000", ""},
		{" 1250000.50 ", "", "error.amount_spaces"},
		{"   ", "", "error.required"},
		{"0", "0", ""},
		{"0.0001", "0.0001", ""},
		{"", "", "error.required"},
		{"-5", "", "error.negative"},
		{"12,5", "", "error.decimal_comma"},
		{"1e309", "", "error.exponent"},
		{"1E3", "", "error.exponent"},
		{"abc", "", "error.not_a_number"},
		{"1.2.3", "", "error.not_a_number"},
		{"0x10", "", "error.not_a_number"},
		{"10000000000001", "", "error.too_large"},
		{"1.12345", "", "error.too_precise"},
		{"NaN", "", "error.not_a_number"},
		{"١٢", "", "error.not_a_number"}, // Arabic-Indic digits
	}
	for _, tc := range cases {
		var f apperr.Fields
		v, ok := Parse(&f, "value", tc.in)
		if tc.key == "" {
			if !ok || v.String() != tc.want {
				t.Errorf("Parse(%q) = %s, %v (%v); want %s", tc.in, v, ok, f, tc.want)
			}
			continue
		}
		if ok || len(f) != 1 || f[0].Key != tc.key || f[0].Field != "value" {
			t.Errorf("Parse(%q): %+v, want one error %s", tc.in, f, tc.key)
		}
	}
}

// TestFinding11_AmountWithSpacesIsRefused: " 100" was read as 100; blanks
// around an amount are an error that says to send the amount alone.
func TestFinding11_AmountWithSpacesIsRefused(t *testing.T) {
	for _, in := range []string{" 100", "100 ", "\t100", "100\n", " 1250000.50 ", "\u00a0100"} {
		var f apperr.Fields
		if v, ok := Parse(&f, "capex.amount", in); ok || len(f) != 1 || f[0].Field != "capex.amount" {
			t.Errorf("Parse(%q) = %s, %v, %v; want one error on capex.amount", in, v, ok, f)
		}
	}
	var f apperr.Fields
	Parse(&f, "capex.amount", " 100")
	if f[0].Key != "error.amount_spaces" || !strings.Contains(f[0].Message, "send the amount alone") {
		t.Errorf("the error must say what to do: %+v", f[0])
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1", "12,5", "1e309", "-0", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var fe apperr.Fields
		v, ok := Parse(&fe, "x", s)
		if ok && (v.IsNegative() || v.GreaterThan(MaxAmount) || len(fe) != 0) {
			t.Fatalf("accepted %q as %s", s, v)
		}
		if !ok && len(fe) != 1 {
			t.Fatalf("refused %q without exactly one error: %v", s, fe)
		}
	})
}
