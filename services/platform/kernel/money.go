package kernel

import "github.com/shopspring/decimal"

// Money is an exact amount with its ISO 4217 currency. It is one type from
// the form to the event to the figure so that an amount is never converted
// through a float or paired with the wrong currency on the way. Its JSON is
// the events contract's: {"amount": "1250000.50", "currency": "USD"}, the
// amount a string so no reader parses it as a float (events/schemas).
type Money struct {
	Amount   decimal.Decimal `json:"amount"`
	Currency string          `json:"currency"`
}
