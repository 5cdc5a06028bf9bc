package dashboards

// What the commissions' and partner-country pages add to the unit switch
// (unit.go): the rate notes of figures summed from others, and their tenge
// columns as numbers in CSVs; static/moneyunit.js writes a figure's amount in
// the page's unit and its rate notes.

// rateNotes is how old the rates behind a figure summed from others were:
// amounts at a rate older than the stale limit (Stale, the oldest MaxRateAge
// days older than its record) and without rate for one past the hard limit (TooOld).
type rateNotes struct {
	Stale      uint64 `json:"stale_rate"`
	MaxRateAge int32  `json:"max_rate_age_days"`
	TooOld     uint64 `json:"rate_too_old"`
}

func (n *rateNotes) add(stale uint64, maxAge int32, tooOld uint64) {
	n.Stale, n.MaxRateAge, n.TooOld = n.Stale+stale, max(n.MaxRateAge, maxAge), n.TooOld+tooOld
}

// The amounts in tenge and the rate ages of the commissions' and the
// partner-country pages' CSVs are numbers (the Excel format's decimal comma).
func init() {
	for _, c := range []string{"capex_kzt", "committed_kzt", "pipeline_kzt", "pipeline_weighted_kzt", "exports_kzt", "non_raw_kzt",
		"open_value_at_stake_kzt", "realised_kzt", "resolved_value_kzt", "weighted_kzt", "kzt", "value_at_stake_kzt",
		"weighted_capex_kzt", "rate_age_days", "max_rate_age_days"} {
		numericColumns[c] = true
	}
}
