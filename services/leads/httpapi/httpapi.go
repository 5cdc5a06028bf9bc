// Package httpapi is the attachés' HTTP API for investor leads (Fiber).
package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"econdip/events"
	"econdip/services/leads/app"
	"econdip/services/leads/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/httpx"
	"econdip/services/platform/work"
)

// Routes mounts the API on app under /api/v1/leads, behind bearer-token auth.
// limit runs after authentication: the per-user limit on writes.
// w is the leads' tasks and notes, under each lead, with the user's own
// tasks at /api/v1/leads/tasks.
func Routes(r fiber.Router, svc *app.Service, w *work.Work, users auth.Authenticator, limit fiber.Handler) {
	g := auth.Protect(r, "leads", "/api/v1/leads", auth.Bearer(users), limit)
	h := handlers{svc: svc}
	g.Get("/tasks", auth.MyWork, work.MyTasks(w))
	w.Mount(g, "/:id", func(c *fiber.Ctx) events.WorkRef { return w.Ref("", c.Params("id")) },
		func(c *fiber.Ctx) string { return "/api/v1/leads/" + c.Params("id") })
	g.Post("/", auth.WriteLeads, httpx.Create(h.create, func(l domain.Lead) string { return "/api/v1/leads/" + l.ID }, func(l domain.Lead) any { return ToJSON(l) }))
	g.Get("/", auth.ReadLeads, h.list)
	g.Get("/:id", auth.ReadLeads, h.get)
	g.Patch("/:id", auth.WriteLeads, h.update)
	g.Post("/:id/stage", auth.WriteLeads, h.move)
	g.Get("/:id/history", auth.ReadLeads, h.history)
}

type handlers struct{ svc *app.Service }

func (h handlers) create(c *fiber.Ctx, req *CreateRequest, key string) (domain.Lead, bool, error) {
	return h.svc.Create(c.UserContext(), auth.FromCtx(c), key, req.details())
}

func (h handlers) get(c *fiber.Ctx) error {
	lead, err := h.svc.Get(c.UserContext(), auth.FromCtx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(ToJSON(lead))
}

func (h handlers) update(c *fiber.Ctx) error {
	var req PatchRequest
	if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if err := httpx.RequireVersion(req.Version); err != nil {
		return err
	}
	lead, err := h.svc.Update(c.UserContext(), auth.FromCtx(c), c.Params("id"), *req.Version, req.apply)
	if err != nil {
		return err
	}
	return c.JSON(ToJSON(lead))
}

func (h handlers) move(c *fiber.Ctx) error {
	var req MoveRequest
	if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if err := httpx.RequireVersion(req.Version); err != nil {
		return err
	}
	lead, err := h.svc.MoveStage(c.UserContext(), auth.FromCtx(c), c.Params("id"), *req.Version, domain.Move{
		To: domain.Stage(req.Stage), EffectiveOn: req.EffectiveOn, LostReason: req.LostReason, CompetingCountry: req.CompetingCountry, Comment: req.Comment,
	})
	if err != nil {
		return err
	}
	return c.JSON(ToJSON(lead))
}

// ListJSON is a page of leads.
type ListJSON struct {
	Leads  []LeadJSON `json:"leads"`
	Total  int        `json:"total"`
	Limit  int        `json:"limit"`
	Offset int        `json:"offset"`
	// NextCursor, when set, is the ?cursor= of the next page: deep pages
	// answer as fast as the first.
	NextCursor string `json:"next_cursor,omitempty"`
}

func (h handlers) list(c *fiber.Ctx) error {
	var f apperr.Fields
	filter := app.Filter{Post: c.Query("post"), Stage: c.Query("stage"), Sector: c.Query("sector"), InvestorID: c.Query("investor_id"), Query: c.Query("q"),
		Limit: httpx.IntParam(c, "limit", &f), Offset: httpx.IntParam(c, "offset", &f), Cursor: c.Query("cursor")}
	if err := f.Err(); err != nil {
		return err
	}
	page, err := h.svc.List(auth.FromCtx(c), filter)
	if err != nil {
		return err
	}
	out := ListJSON{Leads: []LeadJSON{}, Total: page.Total, Limit: command.Page{Limit: filter.Limit}.Size(), Offset: filter.Offset, NextCursor: page.Next}
	for _, l := range page.Items {
		out.Leads = append(out.Leads, ToJSON(l))
	}
	return c.JSON(out)
}

// ChangeJSON is one entry of a lead's history.
type ChangeJSON struct {
	EventID string   `json:"event_id"`
	Type    string   `json:"type"`
	Actor   string   `json:"actor"`
	Time    string   `json:"time"`
	Version int      `json:"version"`
	Changed []string `json:"changed,omitempty"`
	From    string   `json:"from,omitempty"`
	To      string   `json:"to,omitempty"`
	// EffectiveOn is the day the stage took effect, on a creation or a stage change.
	EffectiveOn string `json:"effective_on,omitempty"`
	Comment     string `json:"comment,omitempty"`
	// Investor is the investor's name after the change.
	Investor string `json:"investor_name,omitempty"`
}

func (h handlers) history(c *fiber.Ctx) error {
	changes, err := h.svc.History(c.UserContext(), auth.FromCtx(c), c.Params("id"))
	if err != nil {
		return err
	}
	out := make([]ChangeJSON, len(changes))
	for i, ch := range changes {
		out[i] = ChangeJSON{EventID: ch.EventID, Type: ch.Type, Actor: ch.Actor, Time: ch.Time.Format("2006-01-02T15:04:05.000Z07:00"),
			Version: ch.Version, Changed: ch.Changed, From: ch.From, To: ch.To, EffectiveOn: ch.EffectiveOn, Comment: ch.Comment, Investor: ch.Investor}
	}
	return c.JSON(fiber.Map{"history": out})
}
