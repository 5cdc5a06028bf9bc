package domain

import (
	"strconv"
)

// BINRule names the rule of a business identification number that failed.
type BINRule string

// The rules a BIN is checked against, in order.
const (
	BINOK         BINRule = ""
	BINLength     BINRule = "length"      // exactly 12 characters
	BINDigits     BINRule = "digits"      // digits only
	BINMonth      BINRule = "month"       // digits 3-4: month of registration, 01-12
	BINType       BINRule = "entity_type" // digit 5: 4 resident legal entity, 5 non-resident, 6 individual entrepreneur (joint)
	BINDivision   BINRule = "division"    // digit 6: 0 head office, 1 branch, 2 representative office, 3 peasant farm
	BINCheckDigit BINRule = "check_digit" // digit 12: the checksum of digits 1-11
)

// CheckBIN validates a Kazakh BIN (business identification number, 12
// digits): YYMM of registration, the entity type, the division, a serial and
// a check digit computed as for the IIN: the digits 1-11 weighted 1..11, sum
// mod 11; when that is 10, weighted 3..11,1,2 instead; a second 10 makes the
// number invalid. It returns the first rule that fails, or BINOK.
func CheckBIN(bin string) BINRule {
	if len(bin) != 12 {
		return BINLength
	}
	d := make([]int, 12)
	for i := range 12 {
		if bin[i] < '0' || bin[i] > '9' {
			return BINDigits
		}
		d[i] = int(bin[i] - '0')
	}
	if m, _ := strconv.Atoi(bin[2:4]); m < 1 || m > 12 {
		return BINMonth
	}
	if d[4] < 4 || d[4] > 6 {
		return BINType
	}
	if d[5] > 3 {
		return BINDivision
	}
	check, ok := BINCheckDigit11(d[:11])
	if !ok || check != d[11] {
		return BINCheckDigit
	}
	return BINOK
}

// BINCheckDigit11 computes the check digit of the first 11 digits; ok is
// false when no digit is possible (both weightings give 10).
func BINCheckDigit11(d []int) (int, bool) {
	sum := 0
	for i := range 11 {
		sum += d[i] * (i + 1)
	}
	if c := sum % 11; c != 10 {
		return c, true
	}
	sum = 0
	for i := range 11 {
		sum += d[i] * ((i+2)%11 + 1)
	}
	c := sum % 11
	return c, c != 10
}
