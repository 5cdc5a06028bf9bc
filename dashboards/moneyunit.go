package dashboards

// The unit of money of the analysts' pages other than the scorecard
// (issue 16): in=KZT in the URL shows every amount in tenge (default USD),
// with the scorecard's control (the "unit-switch" template) and its reading
// of the parameter (unitParam, unitHref). The JSON figures carry both units
// whatever the page shows, and so does every CSV; static/moneyunit.js writes
// a figure's amount in the page's unit and its rate notes.

import (
	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/reference"
)

// unitSwitch is the data of the "unit-switch" template.
type unitSwitch struct {
	InKZT            bool
	USDHref, KZTHref string
	RateLimits       reference.RateLimits
}

// moneyUnit is the unit switch of the page c shows, money in KZT or not.
func (s *Server) moneyUnit(c *fiber.Ctx, inKZT bool) unitSwitch {
	return unitSwitch{InKZT: inKZT, USDHref: unitHref(c, ""), KZTHref: unitHref(c, "KZT"), RateLimits: s.rateLimits()}
}

// unitName is the unit of money in=KZT or not names.
func unitName(inKZT bool) string {
	if inKZT {
		return "KZT"
	}
	return "USD"
}

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
