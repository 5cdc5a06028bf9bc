package domain

import "testing"

// withCheck appends the correct check digit to 11 digits (computed here by
// hand-written arithmetic, independent of CheckBIN's loop).
func TestCheckBIN(t *testing.T) {
	// 990340004593: 9·1+9·2+0·3+3·4+4·5+0·6+0·7+0·8+4·9+5·10+9·11 = 9+18+0+12+20+0+0+0+36+50+99 = 244;
	// 244 mod 11 = 2... so the valid BIN with these 11 digits ends in 2.
	cases := []struct {
		bin  string
		rule BINRule
	}{
		{"990340004592", BINOK},
		{"990340004593", BINCheckDigit},
		{"99034000459", BINLength},
		{"9903400045920", BINLength},
		{"99034000459A", BINDigits},
		{"991340004592", BINMonth},    // month 13
		{"990040004592", BINMonth},    // month 00
		{"990330004592", BINType},     // entity type 3
		{"990347004592", BINDivision}, // division 7
	}
	for _, tc := range cases {
		if got := CheckBIN(tc.bin); got != tc.rule {
			t.Errorf("CheckBIN(%s) = %q, want %q", tc.bin, got, tc.rule)
		}
	}
}

func TestBINCheckDigitSecondWeighting(t *testing.T) {
	// 00012400001: weights 1..11 give 1·4+... let the digits be 0,0,0,1,2,4,0,0,0,0,1:
	// first sum = 4·1 + 5·2 + 6·4 + 11·1 = 4+10+24+11 = 49, 49 mod 11 = 5 (no second weighting needed).
	if c, ok := BINCheckDigit11([]int{0, 0, 0, 1, 2, 4, 0, 0, 0, 0, 1}); !ok || c != 5 {
		t.Fatalf("got %d %v, want 5", c, ok)
	}
	// digits 1,0,0,0,0,0,0,0,0,0,1: first sum = 1 + 11 = 12, mod 11 = 1.
	if c, ok := BINCheckDigit11([]int{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}); !ok || c != 1 {
		t.Fatalf("got %d %v, want 1", c, ok)
	}
	// digits 0,0,0,0,0,0,0,0,0,1,0: first sum = 10 → second weighting: weight of position 10 is 1 → 1.
	if c, ok := BINCheckDigit11([]int{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}); !ok || c != 1 {
		t.Fatalf("got %d %v, want 1 from the second weighting", c, ok)
	}
}

func FuzzCheckBIN(f *testing.F) {
	f.Add("990340004592")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if CheckBIN(s) == BINOK && len(s) != 12 {
			t.Fatalf("accepted %q", s)
		}
	})
}
