package digest

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/kernel"
)

// PDFHandler answers GET /digest.pdf?week=YYYY-MM-DD for the signed-in
// user (auth.FromCtx): the digest of their scope for the Monday of that
// week (default: this week's, the one sent on its Monday), in their
// language, as a PDF download.
func PDFHandler(conn driver.Conn, now func() time.Time) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := auth.FromCtx(c)
		week := WeekOf(kernel.Today(now()))
		if q := c.Query("week"); q != "" {
			var f apperr.Fields
			d, ok := f.Day("week", q)
			if !ok || !d.AddDays(14).InRange() {
				if ok {
					f.Add("week", "digest.bad_week")
				}
				return f.Err()
			}
			week = WeekOf(d)
		}
		_, _, pdf, err := Build(c.UserContext(), conn, u, week, string(httpx.Lang(c)), c.BaseURL())
		if err != nil {
			return apperr.Wrap(apperr.Unavailable, err, "error.analytics_unavailable")
		}
		c.Set(fiber.HeaderContentType, "application/pdf")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="econdip-digest-`+week.String()+`.pdf"`)
		return c.Send(pdf)
	}
}

// CalendarHandler answers GET /calendar/:file, where file is <token>.ics:
// the feed of the user the token belongs to, or 404 for a token unknown,
// revoked, or of an account that no longer exists or is disabled (user
// says which: ok false). It needs no session: calendar programs fetch it
// on their own.
func CalendarHandler(cals *Calendars, conn driver.Conn, user func(ctx context.Context, id string) (auth.User, bool, error), log *slog.Logger, now func() time.Time) fiber.Handler {
	return func(c *fiber.Ctx) error {
		token, ok := strings.CutSuffix(c.Params("file"), ".ics")
		if !ok || token == "" {
			return apperr.E(apperr.NotFound, "error.not_found", "calendar")
		}
		id, ok, err := cals.User(c.UserContext(), token)
		if err != nil {
			return apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
		}
		if !ok {
			return apperr.E(apperr.NotFound, "error.not_found", "calendar")
		}
		u, ok, err := user(c.UserContext(), id)
		if err != nil {
			return apperr.Wrap(apperr.Unavailable, err, "error.service_unavailable")
		}
		if !ok {
			log.Info("calendar feed of an account that is gone or disabled", "user", id)
			return apperr.E(apperr.NotFound, "error.not_found", "calendar")
		}
		feed, err := Feed(c.UserContext(), conn, u, u.Lang, c.BaseURL(), now())
		if err != nil {
			return apperr.Wrap(apperr.Unavailable, err, "error.analytics_unavailable")
		}
		c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
		c.Set(fiber.HeaderCacheControl, "private, max-age=300")
		return c.Send(feed)
	}
}
