package reference

import "econdip/services/platform/apperr"

// notMoney are the codes of ISO 4217's list that name no currency a payment
// is made in, with what each is instead: the "no currency" and testing codes,
// precious metals, units of account and the fund codes (indexed units quoted
// beside a country's currency). An amount recorded in one of them cannot be
// converted to USD and means nothing in a trade figure, so every record of
// money refuses them (MoneyCurrency); they stay in currencies.csv as ISO
// publishes it.
var notMoney = map[string]string{
	"XXX": "the ISO code for no currency",
	"XTS": "the ISO code reserved for testing",
	"XAU": "gold", "XAG": "silver", "XPT": "platinum", "XPD": "palladium",
	"XDR": "the IMF's Special Drawing Right, a unit of account",
	"XBA": "a European bond-market unit of account", "XBB": "a European bond-market unit of account",
	"XBC": "a European bond-market unit of account", "XBD": "a European bond-market unit of account",
	"XSU": "the SUCRE clearing unit", "XUA": "the African Development Bank's unit of account",
	"XAD": "the Arab Monetary Fund's unit of account",
	"BOV": "a fund code (Bolivian Mvdol)", "CHE": "a fund code (WIR Euro)", "CHW": "a fund code (WIR Franc)",
	"CLF": "a fund code (Chilean Unidad de Fomento)", "COU": "a fund code (Colombian Unidad de Valor Real)",
	"MXV": "a fund code (Mexican Unidad de Inversion)", "USN": "a fund code (US Dollar next day)",
	"UYI": "a fund code (Uruguay Peso en Unidades Indexadas)", "UYW": "a fund code (Uruguayan Unidad Previsional)",
}

// NotMoney reports whether code is an ISO 4217 code that names no currency
// a payment is made in, and what it names instead.
func NotMoney(code string) (string, bool) {
	what, ok := notMoney[code]
	return what, ok
}

// MoneyCurrency checks code as the currency of an amount: given, an ISO 4217
// currency in force, money a payment is made in (not the codes for "no
// currency" and "testing", gold or a fund code), and with official rates
// (HasRates: every currency the National Bank publishes, and any other the
// rates store has). It records a field
// error on field for anything else.
func (d *Data) MoneyCurrency(f *apperr.Fields, field, code string) bool {
	if what, ok := notMoney[code]; ok {
		f.Add(field, "error.currency_not_money", code, what)
		return false
	}
	if _, ok := d.Currency(code); !ok {
		if code == "" {
			f.Add(field, "error.required")
		} else {
			f.Add(field, "error.unknown_currency", code)
		}
		return false
	}
	if !d.HasRates(code) {
		f.Add(field, "error.currency_without_rates", code)
		return false
	}
	return true
}
