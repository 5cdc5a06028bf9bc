package dashboards

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	notify "econdip/services/notify/app"
	"econdip/services/notify/domain"
	notifyhttp "econdip/services/notify/httpapi"
	"econdip/services/platform/auth"
)

// inboxRoutes mounts the inbox page, its forms and the notifier's JSON API
// (services/notify/httpapi) when the dashboard has the notifier's store.
func (s *Server) inboxRoutes(ui auth.Router) {
	if s.cfg.Inbox == nil {
		return
	}
	ui.Get("/inbox", auth.SignedIn, s.inboxPage)
	ui.Post("/inbox/read-all", auth.SignedIn, s.inboxReadAll)
	ui.Post("/inbox/:id/read", auth.SignedIn, s.inboxRead)
	ui.Post("/inbox/:id/mute", auth.SignedIn, s.inboxMute)
	ui.Post("/account/notifications", auth.SignedIn, s.setNotifyPrefs)
	notifyhttp.Routes(ui, s.cfg.Inbox)
}

// unread is the header's count of the user's unread reminders; -1 when
// there is no inbox or it did not answer in time (the header then shows
// none: a page never waits on the inbox for long).
func (s *Server) unread(ctx context.Context, user auth.User) int {
	if s.cfg.Inbox == nil || user.ID == "" {
		return -1
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	n, err := s.cfg.Inbox.Unread(ctx, user.ID)
	if err != nil {
		return -1
	}
	return n
}

func (s *Server) inboxPage(c *fiber.Ctx) error {
	list, err := s.cfg.Inbox.Inbox(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "inbox", "notify.inbox.title", fiber.Map{"Entries": list})
}

func (s *Server) inboxRead(c *fiber.Ctx) error {
	if err := s.cfg.Inbox.MarkRead(c.UserContext(), currentUser(c).ID, c.Params("id"), true); err != nil {
		return err
	}
	return c.Redirect("/inbox", fiber.StatusSeeOther)
}

func (s *Server) inboxReadAll(c *fiber.Ctx) error {
	if err := s.cfg.Inbox.MarkAllRead(c.UserContext(), currentUser(c).ID); err != nil {
		return err
	}
	return c.Redirect("/inbox", fiber.StatusSeeOther)
}

// inboxMute mutes the record of one of the user's entries and marks the entry read.
func (s *Server) inboxMute(c *fiber.Ctx) error {
	user := currentUser(c).ID
	list, err := s.cfg.Inbox.Inbox(c.UserContext(), user)
	if err != nil {
		return err
	}
	for _, e := range list {
		if e.ID == c.Params("id") {
			if _, err := s.cfg.Inbox.Mute(c.UserContext(), user, e.Kind, e.RecordID, true); err != nil {
				return err
			}
			return s.inboxRead(c)
		}
	}
	return s.inboxRead(c) // NotFound
}

// Inbox is the notifier's store of inboxes and preferences.
type Inbox = notify.Store

// notifyChoice is one rule's row of the account page's notification form.
type notifyChoice struct {
	Rule   string
	Choice string // the user's delivery (or the rule's default)
}

// notifyState fills the account page's notification section: the user's
// address and their delivery per rule.
func (s *Server) notifyState(c *fiber.Ctx, p *accountPage) error {
	if s.cfg.Inbox == nil {
		return nil
	}
	prefs, err := s.cfg.Inbox.PrefsOf(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return err
	}
	p.NotifyOffered, p.NotifyEmail = true, prefs.Email
	for _, r := range domain.Rules {
		p.NotifyRules = append(p.NotifyRules, notifyChoice{Rule: r.ID, Choice: string(prefs.DeliveryOf(r.ID))})
	}
	return nil
}

// setNotifyPrefs saves the account page's notification form: the e-mail
// address and, per rule, inbox only, e-mail at once or in the weekly digest.
// Muted records stay as they are.
func (s *Server) setNotifyPrefs(c *fiber.Ctx) error {
	me := currentUser(c)
	prefs, err := s.cfg.Inbox.PrefsOf(c.UserContext(), me.ID)
	if err != nil {
		return err
	}
	prefs.Email = strings.TrimSpace(c.FormValue("email"))
	prefs.Delivery = map[string]domain.Delivery{}
	for _, r := range domain.Rules {
		if d := domain.Delivery(c.FormValue("delivery." + r.ID)); d != "" {
			prefs.Delivery[r.ID] = d
		}
	}
	if err := prefs.Validate(); err != nil {
		return s.accountFailure(c, err, "")
	}
	if _, err := s.cfg.Inbox.SetPrefs(c.UserContext(), me.ID, prefs); err != nil {
		return s.accountFailure(c, err, "")
	}
	return c.Redirect("/account?saved=notifications#notifications", fiber.StatusSeeOther)
}
