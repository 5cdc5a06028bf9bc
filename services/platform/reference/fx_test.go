package reference

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Expected values are worked out with bc from the CSV rows, e.g. for March 2025:
// fx_rates.csv "2025-03-01,Euro,0.9248" and fx_kzt_usd_monthly.csv "2025-03-01,498.528095":
// 1000/0.9248 = 1081.3148788927...; 1000*498.528095/0.9248 = 539065.8466695501...
func TestConvert(t *testing.T) {
	d := Default()
	tests := []struct {
		name       string
		amount     string
		currency   string
		on         time.Time
		usd, kzt   string
		month      string
		usdPerUnit string
		kztPerUnit string
	}{
		{"EUR in its own month", "1000", "EUR", day("2025-03-17"),
			"1081.31", "539065.85", "2025-03-01", "1.081314878893", "539.06584666955"},
		// FRED ends in 2026-06 while the NBK series runs to 2026-10:
		// 250/0.8684 = 287.8857...; 250*487.852727/0.8684 = 140445.8564...
		{"EUR falls back to the last month with both rates", "250", "EUR", day("2026-09-15"),
			"287.89", "140445.86", "2026-06-01", "1.151543067711", "561.783425840626"},
		{"USD itself", "100", "USD", day("2026-10-05"),
			"100", "44138.5", "2026-10-01", "1", "441.385"},
		{"KZT itself", "441385", "KZT", day("2026-10-31"),
			"1000", "441385", "2026-10-01", "0.002265595795", "1"},
		{"half a cent rounds away from zero", "0.005", "USD", day("2026-10-01"),
			"0.01", "2.21", "2026-10-01", "1", "441.385"},
		{"negative amounts round away from zero too", "-0.005", "USD", day("2026-10-01"),
			"-0.01", "-2.21", "2026-10-01", "1", "441.385"},
		// 00:30 on 1 April in UTC+5 is still 31 March in UTC: the caller's calendar wins.
		{"month is taken in on's location", "1", "USD", time.Date(2025, 4, 1, 0, 30, 0, 0, time.FixedZone("UTC+5", 5*3600)),
			"1", "", "2025-04-01", "1", ""},
		{"first month of the NBK series", "1", "USD", day("1993-11-30"),
			"1", "4.69", "1993-11-01", "1", "4.689333"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := d.Convert(decimal.RequireFromString(tt.amount), tt.currency, tt.on)
			if err != nil {
				t.Fatal(err)
			}
			check := func(field, want string, got decimal.Decimal) {
				if want != "" && !got.Equal(decimal.RequireFromString(want)) {
					t.Errorf("%s = %s, want %s", field, got, want)
				}
			}
			check("USD", tt.usd, c.USD)
			check("KZT", tt.kzt, c.KZT)
			check("USDPerUnit", tt.usdPerUnit, c.USDPerUnit)
			check("KZTPerUnit", tt.kztPerUnit, c.KZTPerUnit)
			if !c.RateMonth.Equal(day(tt.month)) {
				t.Errorf("RateMonth = %s, want %s", c.RateMonth, tt.month)
			}
		})
	}
}

func TestConvertNoRate(t *testing.T) {
	d := Default()
	tests := []struct {
		currency string
		on       time.Time
	}{
		{"TRY", day("2024-01-15")}, // no FRED series
		{"DEM", day("1995-01-15")}, // pre-euro series deliberately not loaded
		{"eur", day("2024-01-15")}, // codes are exact upper case
		{"USD", day("1992-06-01")}, // before the NBK series (1993-11)
		{"JPY", day("1990-01-01")}, // FRED has it, NBK does not
		{"EUR", day("1998-12-31")}, // NBK has it, the euro did not exist yet
	}
	for _, tt := range tests {
		_, err := d.Convert(decimal.NewFromInt(1), tt.currency, tt.on)
		if !errors.Is(err, ErrNoRate) {
			t.Errorf("Convert(%s, %s) error = %v, want ErrNoRate", tt.currency, tt.on.Format(time.DateOnly), err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tt.currency) || !strings.Contains(msg, tt.on.Format(time.DateOnly)) {
			t.Errorf("error %q should name the currency and date", msg)
		}
	}
}

func TestFXCurrencies(t *testing.T) {
	got := Default().FXCurrencies()
	want := []string{"AUD", "BRL", "CAD", "CHF", "CNY", "DKK", "EUR", "GBP", "HKD", "INR", "JPY", "KRW",
		"KZT", "LKR", "MXN", "MYR", "NOK", "NZD", "SEK", "SGD", "THB", "TWD", "USD", "ZAR"}
	if !slices.Equal(got, want) {
		t.Errorf("FXCurrencies() = %v\nwant %v", got, want)
	}
}
