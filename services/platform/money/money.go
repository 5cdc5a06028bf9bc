// Package money parses amounts as people type them into exact decimals, with
// one set of rules for every record: digits with an optional decimal point,
// never a float, never exponent notation or a decimal comma.
package money

import (
	"regexp"
	"strings"

	"github.com/shopspring/decimal"

	"econdip/services/platform/apperr"
)

var plain = regexp.MustCompile(`^[0-9]{1,18}(\.[0-9]+)?$`) // too many decimals: error.too_precise, below

// Limits of an amount: beyond MaxAmount in any currency is a typing error.
var MaxAmount = decimal.New(1, 13)

// MaxDecimals is the most decimal places an amount may have.
const MaxDecimals = 4

// Parse reads a non-negative amount such as "1250000" or "1250000.50". It
// records a field error on f (and returns false) for anything else, saying
// what was wrong: "12,5" (decimal comma), "1e309" (exponent), "-5", "abc",
// " 100" (blanks around it: an API client's bug that should not be guessed
// at; forms and CSV cells are trimmed by their readers before they get here).
func Parse(f *apperr.Fields, field, text string) (decimal.Decimal, bool) {
	return Amounts.Parse(f, field, text)
}

// Rules are the limits a kind of amount keeps; Parse reads by them.
type Rules struct {
	MaxDecimals int32           // the most decimal places
	Max         decimal.Decimal // the largest value; zero: no limit
}

// Amounts are the rules of money in records: MaxDecimals places, at most MaxAmount.
var Amounts = Rules{MaxDecimals: MaxDecimals, Max: MaxAmount}

// Parse reads a non-negative decimal by r, with Parse's words for what was wrong.
func (r Rules) Parse(f *apperr.Fields, field, text string) (decimal.Decimal, bool) {
	switch {
	case strings.TrimSpace(text) == "":
		f.Add(field, "error.required")
	case strings.TrimSpace(text) != text:
		f.Add(field, "error.amount_spaces", text)
	case strings.HasPrefix(text, "-"):
		f.Add(field, "error.negative")
	case strings.Contains(text, ","):
		f.Add(field, "error.decimal_comma", text)
	case strings.ContainsAny(text, "eE"):
		f.Add(field, "error.exponent", text)
	case !plain.MatchString(text):
		f.Add(field, "error.not_a_number", text)
	default:
		v, err := decimal.NewFromString(text)
		switch {
		case err != nil:
			f.Add(field, "error.not_a_number", text)
		case !r.Max.IsZero() && v.GreaterThan(r.Max):
			f.Add(field, "error.too_large", r.Max.String())
		case v.Exponent() < -r.MaxDecimals:
			f.Add(field, "error.too_precise", r.MaxDecimals)
		default:
			return v, true
		}
	}
	return decimal.Decimal{}, false
}
