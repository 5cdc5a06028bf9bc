package dashboards

// The weekly digest on demand and the calendar feed (issue 17): every
// signed-in user downloads this week's digest of their scope as a PDF from
// their account page, and makes (or revokes) their calendar address there.
// The feed itself is public: calendar programs fetch it with the secret
// token in its address (services/digest).

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"econdip/services/digest"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
)

// digestRoutes mounts the digest download, the calendar feed and its
// account actions. Without a calendar store (Config.Calendars nil) the feed
// routes are not mounted and the account page offers none.
func (s *Server) digestRoutes(public, ui auth.Router) {
	ui.Get("/digest.pdf", auth.SignedIn, digest.PDFHandler(s.cfg.CH, time.Now))
	if s.cfg.Calendars == nil {
		return
	}
	public.Get("/calendar/:file", auth.Public, digest.CalendarHandler(s.cfg.Calendars, s.cfg.CH, s.calendarUser, s.cfg.Log, time.Now))
	ui.Post("/account/calendar", auth.SignedIn, s.newCalendar)
	ui.Post("/account/calendar/revoke", auth.SignedIn, s.revokeCalendar)
}

// calendarUser is the account a calendar token belongs to, unless it is
// gone or disabled.
func (s *Server) calendarUser(_ context.Context, id string) (auth.User, bool, error) {
	u, err := s.cfg.Identity.User(auth.User{ID: id}, id)
	if apperr.CodeOf(err) == apperr.NotFound {
		return auth.User{}, false, nil
	}
	if err != nil {
		return auth.User{}, false, err
	}
	if u.Disabled {
		return auth.User{}, false, nil
	}
	return auth.User{ID: u.ID, Name: u.Name, Role: auth.Role(u.Role), Post: u.Post, Commission: u.Commission, Lang: u.Lang}, true, nil
}

// newCalendar makes the user a new calendar address (the old one stops
// working) and shows it, once.
func (s *Server) newCalendar(c *fiber.Ctx) error {
	me := currentUser(c)
	token, err := s.cfg.Calendars.New(c.UserContext(), me.ID)
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	p, err := s.accountData(c)
	if err != nil {
		return err
	}
	p.NewCalendar = c.BaseURL() + "/calendar/" + token + ".ics"
	noStore(c)
	return s.render(c, 200, "account", "ui.account.title", p)
}

func (s *Server) revokeCalendar(c *fiber.Ctx) error {
	if err := s.cfg.Calendars.Revoke(c.UserContext(), currentUser(c).ID); err != nil {
		return apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	return c.Redirect("/account?saved=calendar_revoked", fiber.StatusSeeOther)
}

// calendarState fills the account page's calendar section.
func (s *Server) calendarState(c *fiber.Ctx, p *accountPage) error {
	if s.cfg.Calendars == nil {
		return nil
	}
	p.CalendarOffered = true
	has, since, err := s.cfg.Calendars.Has(c.UserContext(), currentUser(c).ID)
	if err != nil && !errors.Is(err, context.Canceled) {
		s.cfg.Log.Warn("calendar token store did not answer", "err", err)
		return nil // the rest of the account page still works
	}
	p.HasCalendar, p.CalendarSince = has, since
	return nil
}
