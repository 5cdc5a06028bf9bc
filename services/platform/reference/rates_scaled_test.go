package reference_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"econdip/services/platform/reference"
)

// Scaled multiplies one currency's rates and leaves the store it copies,
// and the other currencies, as they were.
func TestScaledChangesOneCurrencyOfACopy(t *testing.T) {
	rs, err := reference.Default().DemoRates()
	if err != nil {
		t.Fatal(err)
	}
	eur, usd := rs.Series("EUR")[0].PerUnit, rs.Series("USD")[0].PerUnit
	scaled := rs.Scaled("EUR", decimal.RequireFromString("1.5"))
	if got, want := scaled.Series("EUR")[0].PerUnit, eur.Mul(decimal.RequireFromString("1.5")); !got.Equal(want) {
		t.Errorf("scaled EUR %s, want %s", got, want)
	}
	if !rs.Series("EUR")[0].PerUnit.Equal(eur) {
		t.Errorf("the original's EUR changed to %s", rs.Series("EUR")[0].PerUnit)
	}
	if !scaled.Series("USD")[0].PerUnit.Equal(usd) {
		t.Errorf("USD changed to %s", scaled.Series("USD")[0].PerUnit)
	}
}
