package dashboards

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	notify "econdip/services/notify/app"
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
