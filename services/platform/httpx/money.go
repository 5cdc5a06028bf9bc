package httpx

import (
	"bytes"
	"encoding/json"
)

// NumberText holds a JSON number or string exactly as sent, so money is parsed
// as a decimal (never through a float) and a bad value is a field error.
type NumberText string

// UnmarshalJSON accepts 12.50 or "12.50".
func (n *NumberText) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = NumberText(s)
		return nil
	}
	var num json.Number
	if err := json.Unmarshal(b, &num); err != nil {
		return err
	}
	*n = NumberText(num)
	return nil
}

// MoneyJSON is an amount with its currency, as every API sends and receives money.
type MoneyJSON struct {
	Amount   NumberText `json:"amount"`
	Currency string     `json:"currency"`
}
