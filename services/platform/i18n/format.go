package i18n

import (
	"strings"
	"time"

	"github.com/bojanz/currency"
	"github.com/shopspring/decimal"
)

// Numbers and money are formatted by CLDR's rules for the language
// (github.com/bojanz/currency v1.5.1 carries CLDR's number data and works on
// exact decimals): 1 350 000 000,5 in ru and kk (a no-break space groups),
// 1,350,000,000.5 in en. Amounts stay exact decimals until here; only the
// view formats them.
var numberFormatters = map[Lang]*currency.Formatter{}

func init() {
	for _, l := range Langs {
		f := currency.NewFormatter(currency.NewLocale(string(l)))
		f.CurrencyDisplay = currency.DisplayNone
		f.RoundingMode = currency.RoundHalfUp
		numberFormatters[l] = f
	}
}

// Number formats an exact decimal for lang, keeping every decimal place it has.
func Number(lang Lang, d decimal.Decimal) string {
	base, ok := numberFormatters[lang]
	if !ok {
		base = numberFormatters[EN]
	}
	// Every decimal place the amount has, trailing zeros too (1500.50 is
	// money as typed), no more.
	places := max(0, -d.Exponent())
	text := d.StringFixed(places)
	f := *base
	f.MaxDigits, f.MinDigits = uint8(min(places, 255)), uint8(min(places, 255))
	// Any known currency code does, the display being none.
	a, err := currency.NewAmount(text, "USD")
	if err != nil {
		return text
	}
	return f.Format(a)
}

// Rounded formats d for lang with places decimal places (half away from zero).
func Rounded(lang Lang, d decimal.Decimal, places int32) string {
	return Number(lang, d.Round(places))
}

// Int formats a whole number for lang.
func Int(lang Lang, n int64) string { return Number(lang, decimal.NewFromInt(n)) }

// Money formats an amount with its ISO 4217 code after it, the same in
// every language: "1 350 000 000 NOK" (ru, kk), "1,350,000,000 NOK" (en).
func Money(lang Lang, amount decimal.Decimal, code string) string {
	if code == "" {
		return Number(lang, amount)
	}
	return Number(lang, amount) + "\u00a0" + code
}

// Percent formats a share (0.25) as a percentage with places decimal places:
// "25 %" in ru and kk, "25%" in en (CLDR's percent patterns).
func Percent(lang Lang, share decimal.Decimal, places int32) string {
	n := Rounded(lang, share.Mul(decimal.NewFromInt(100)), places)
	if lang == EN {
		return n + "%"
	}
	return n + "\u00a0%"
}

// dateLayouts are CLDR's medium date patterns where they are numeric
// (dd.MM.y in ru and kk) and an unambiguous day-month-year in en.
var dateLayouts = map[Lang]string{KK: "02.01.2006", RU: "02.01.2006", EN: "2 Jan 2006"}

// Date formats a calendar day ("2026-12-07", or a time, taken as it is) for
// lang: 07.12.2026 in ru and kk, 7 Dec 2026 in en. A text that is not a day
// is shown as it is.
func Date(lang Lang, day string) string {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(day))
	if err != nil {
		return day
	}
	return DateOf(lang, t)
}

// DateOf formats t's calendar day for lang.
func DateOf(lang Lang, t time.Time) string {
	layout, ok := dateLayouts[lang]
	if !ok {
		layout = dateLayouts[EN]
	}
	return t.Format(layout)
}

// DateTime formats a moment (already in the zone to show) for lang, to the minute.
func DateTime(lang Lang, t time.Time) string {
	return DateOf(lang, t) + " " + t.Format("15:04")
}
