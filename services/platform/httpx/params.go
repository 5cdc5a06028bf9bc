package httpx

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/apperr"
	"econdip/services/platform/kernel"
)

// DayParam reads the query parameter name as a day (YYYY-MM-DD) from
// 2000-01-01 to 2100-12-31 (kernel.FirstDay..LastDay), at midnight UTC. The
// figures are in ClickHouse, whose Date holds 1970-01-01 to 2105-12-31
// (18.16): a day outside it made the query fail, and the failure was
// answered as an outage (503). given is false when the
// parameter is absent or blank; a value that is not such a day adds a
// field error naming the parameter to fe.
func DayParam(c *fiber.Ctx, name string, fe *apperr.Fields) (day time.Time, given bool) {
	v := strings.TrimSpace(c.Query(name))
	if v == "" {
		return time.Time{}, false
	}
	return ParseDay(name, v, fe), true
}

// ParseDay checks v as the day of field name, as DayParam does (for a
// day that is not a query parameter of its own, or that has a default).
func ParseDay(name, v string, fe *apperr.Fields) time.Time {
	d, err := kernel.ParseDay(v)
	switch {
	case err != nil:
		fe.Add(name, "error.date", v)
	case !d.InRange():
		fe.Add(name, "error.date_out_of_range", v, kernel.FirstDay.String(), kernel.LastDay.String())
	}
	return d.Time()
}

// YearsParam reads the query parameter name as years from 2000 to 2100,
// given as a comma list, repeated, or both; sorted, without repeats. Each
// value that is not such a year adds a field error naming the parameter.
func YearsParam(c *fiber.Ctx, name string, fe *apperr.Fields) []int {
	var out []int
	for _, raw := range c.Context().QueryArgs().PeekMulti(name) {
		for _, v := range strings.Split(string(raw), ",") {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < kernel.FirstYear || n > kernel.LastYear {
				fe.Add(name, "error.year", v)
				continue
			}
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return out
}
