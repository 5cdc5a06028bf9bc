package money

import (
	"testing"

	"econdip/services/platform/apperr"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in, want, key string
	}{
		{"1250000", "1250000", ""},
		{" 1250000.50 ", "1250000.5", ""},
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
