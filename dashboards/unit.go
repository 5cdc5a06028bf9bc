package dashboards

// The unit money figures show in: USD by default, KZT with ?in=KZT, kept
// in the page's address (the scorecard, the pipeline, the exports and the
// barriers pages). The figures' JSON and CSV carry both units whatever the
// switch says; the page's script shows the one chosen.

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"econdip/analytics"
	"econdip/services/platform/apperr"
	"econdip/services/platform/reference"
)

// unitParam reads in=USD|KZT, the unit money figures show in (USD by default).
func unitParam(c *fiber.Ctx, fe *apperr.Fields) bool {
	switch v := strings.TrimSpace(c.Query("in")); v {
	case "", "USD":
		return false
	case "KZT":
		return true
	default:
		fe.Add("in", "error.one_of", "USD, KZT")
		return false
	}
}

// unitHref is this page's address with in=unit (empty: USD, the default).
func unitHref(c *fiber.Ctx, unit string) string {
	args := c.Request().URI().QueryArgs()
	q := url.Values{}
	args.VisitAll(func(k, v []byte) {
		if string(k) != "in" {
			q.Add(string(k), string(v))
		}
	})
	if unit != "" {
		q.Set("in", unit)
	}
	if len(q) == 0 {
		return c.Path()
	}
	return c.Path() + "?" + q.Encode()
}

// unitSwitch is the switch's part of a page (template "unit-switch" in
// layout.html), with the rate limits the page's flags are against.
type unitSwitch struct {
	InKZT            bool
	Name             string // USD or KZT
	USDHref, KZTHref string
	RateLimits       reference.RateLimits
}

// unitSwitchOf is the switch of the page c shows, money in KZT or not.
func (s *Server) unitSwitchOf(c *fiber.Ctx, inKZT bool) unitSwitch {
	return unitSwitch{InKZT: inKZT, Name: unitName(inKZT), USDHref: unitHref(c, ""), KZTHref: unitHref(c, "KZT"), RateLimits: s.rateLimits()}
}

// unitName is the name of the unit chosen: USD or KZT.
func unitName(inKZT bool) string {
	if inKZT {
		return analytics.UnitKZT
	}
	return reference.UnitUSD
}

// unitExtra is what a money figure's JSON says beside its rows: the unit
// the page shows and the rate limits the flags are against.
func (s *Server) unitExtra(inKZT bool, extra fiber.Map) fiber.Map {
	extra["in"] = unitName(inKZT)
	extra["rate_limits"] = s.rateLimits()
	return extra
}
