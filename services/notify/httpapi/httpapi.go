// Package httpapi is the notifier's JSON API for users: the inbox (list,
// unread count, mark read, mute a record), a user's notification
// preferences, and the reminder rules' parameters for administrators. It
// mounts on any authenticated router (the dashboard's, so that the
// browser's session works): a user only ever reaches their own inbox.
package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"econdip/services/notify/app"
	"econdip/services/notify/domain"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
)

// Routes mounts the API under /api/inbox and /api/notify.
func Routes(r auth.Router, store *app.Store) {
	h := handlers{store}
	r.Get("/api/inbox", auth.SignedIn, h.list)
	r.Get("/api/inbox/unread", auth.SignedIn, h.unread)
	r.Post("/api/inbox/read-all", auth.SignedIn, h.readAll)
	r.Post("/api/inbox/:id/read", auth.SignedIn, h.read)
	r.Post("/api/inbox/mute", auth.SignedIn, h.mute)
	r.Get("/api/notify/prefs", auth.SignedIn, h.prefs)
	r.Put("/api/notify/prefs", auth.SignedIn, h.setPrefs)
	r.Get("/api/notify/rules", auth.SignedIn, h.rules)
	r.Put("/api/notify/rules", auth.ManageUsers, h.setRules)
}

type handlers struct{ store *app.Store }

// inboxBody is the inbox: entries newest first, and how many are unread.
type inboxBody struct {
	Entries []app.Entry `json:"entries"`
	Unread  int         `json:"unread"`
}

func (h handlers) list(c *fiber.Ctx) error {
	list, err := h.store.Inbox(c.UserContext(), auth.FromCtx(c).ID)
	if err != nil {
		return err
	}
	body := inboxBody{Entries: list}
	if body.Entries == nil {
		body.Entries = []app.Entry{}
	}
	for _, e := range list {
		if !e.Read {
			body.Unread++
		}
	}
	return c.JSON(body)
}

func (h handlers) unread(c *fiber.Ctx) error {
	n, err := h.store.Unread(c.UserContext(), auth.FromCtx(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"unread": n})
}

// readBody marks an entry read or unread; an empty body marks it read.
type readBody struct {
	Read *bool `json:"read"`
}

func (h handlers) read(c *fiber.Ctx) error {
	read := true
	if len(c.Body()) > 0 {
		var req readBody
		if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
			return err
		}
		if req.Read != nil {
			read = *req.Read
		}
	}
	if err := h.store.MarkRead(c.UserContext(), auth.FromCtx(c).ID, c.Params("id"), read); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h handlers) readAll(c *fiber.Ctx) error {
	if err := h.store.MarkAllRead(c.UserContext(), auth.FromCtx(c).ID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// muteBody mutes (muted true) or unmutes a record for the user.
type muteBody struct {
	Kind  string `json:"kind"`
	ID    string `json:"id"`
	Muted bool   `json:"muted"`
}

func (h handlers) mute(c *fiber.Ctx) error {
	var req muteBody
	if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
		return err
	}
	p, err := h.store.Mute(c.UserContext(), auth.FromCtx(c).ID, req.Kind, req.ID, req.Muted)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h handlers) prefs(c *fiber.Ctx) error {
	p, err := h.store.PrefsOf(c.UserContext(), auth.FromCtx(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// prefsBody is what a user sets: the e-mail address and the delivery per rule.
type prefsBody struct {
	Email    string                     `json:"email"`
	Delivery map[string]domain.Delivery `json:"delivery"`
}

func (h handlers) setPrefs(c *fiber.Ctx) error {
	var req prefsBody
	if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
		return err
	}
	p, err := h.store.SetPrefs(c.UserContext(), auth.FromCtx(c).ID, app.Prefs{Email: req.Email, Delivery: req.Delivery})
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h handlers) rules(c *fiber.Ctx) error {
	rs, err := h.store.Rules(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"rules": rs})
}

// rulesBody is the administrator's parameters by rule; a rule or parameter
// left out takes its default.
type rulesBody struct {
	Settings domain.Settings `json:"settings"`
}

func (h handlers) setRules(c *fiber.Ctx) error {
	var req rulesBody
	if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if err := h.store.SetSettings(c.UserContext(), req.Settings); err != nil {
		return err
	}
	return h.rules(c)
}
