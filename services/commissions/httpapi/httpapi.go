// Package httpapi is the commissions service's HTTP API (Fiber): the
// commission registry, protocols (JSON or CSV), decision statuses and links.
package httpapi

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"econdip/events"
	"econdip/services/commissions/app"
	"econdip/services/commissions/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/kernel"
	"econdip/services/platform/work"
)

// Routes mounts the API under /api/v1/commissions, behind bearer-token auth.
// limit runs after authentication: the per-user limit on writes. w is the
// decisions' tasks and notes, under each decision, with the user's own
// tasks at /api/v1/commissions/tasks.
func Routes(r fiber.Router, svc *app.Service, w *work.Work, users auth.Authenticator, limit fiber.Handler) {
	h := handlers{svc: svc}
	g := auth.Protect(r, "commissions", "/api/v1/commissions", auth.Bearer(users), limit)
	g.Get("/tasks", auth.MyWork, work.MyTasks(w)) // before /:cid
	w.Mount(g, "/:cid/decisions/:did", func(c *fiber.Ctx) events.WorkRef { return w.Ref(c.Params("cid"), c.Params("did")) },
		func(c *fiber.Ctx) string {
			return "/api/v1/commissions/" + c.Params("cid") + "/decisions/" + c.Params("did")
		})
	g.Get("/", auth.ReadCommissions, h.list)
	g.Post("/", auth.ManageCommission, h.create)
	g.Get("/:cid", auth.ReadCommissions, h.get)
	g.Put("/:cid", auth.ManageCommission, h.update)
	g.Get("/:cid/sessions", auth.ReadCommissions, h.sessions)
	g.Post("/:cid/sessions", auth.WriteCommissions, httpx.Create(h.recordJSON, protocolLocation, h.protocolBody))
	g.Post("/:cid/sessions/import", auth.WriteCommissions, h.recordCSV)
	g.Get("/:cid/sessions/:sid", auth.ReadCommissions, h.protocol)
	g.Get("/:cid/decisions", auth.ReadCommissions, h.register)
	g.Get("/:cid/decisions/:did", auth.ReadCommissions, h.decision)
	g.Post("/:cid/decisions/:did/status", auth.WriteCommissions, h.status)
	g.Post("/:cid/decisions/:did/links", auth.WriteCommissions, h.link)
	g.Get("/:cid/decisions/:did/history", auth.ReadCommissions, h.history)
}

type handlers struct{ svc *app.Service }

func (h handlers) list(c *fiber.Ctx) error {
	list, err := h.svc.Commissions(auth.FromCtx(c))
	if err != nil {
		return err
	}
	out := []CommissionJSON{}
	for _, cm := range list {
		out = append(out, CommissionToJSON(cm))
	}
	return c.JSON(fiber.Map{"commissions": out})
}

func (h handlers) create(c *fiber.Ctx) error {
	var req CommissionRequest
	if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
		return err
	}
	cm, err := h.svc.CreateCommission(c.UserContext(), auth.FromCtx(c), req.input())
	if err != nil {
		return err
	}
	c.Location("/api/v1/commissions/" + cm.ID)
	return c.Status(fiber.StatusCreated).JSON(CommissionToJSON(cm))
}

func (h handlers) get(c *fiber.Ctx) error {
	cm, err := h.svc.Commission(c.UserContext(), auth.FromCtx(c), c.Params("cid"))
	if err != nil {
		return err
	}
	return c.JSON(CommissionToJSON(cm))
}

func (h handlers) update(c *fiber.Ctx) error {
	var req CommissionRequest
	if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if err := httpx.RequireVersion(req.Version); err != nil {
		return err
	}
	cm, err := h.svc.UpdateCommission(c.UserContext(), auth.FromCtx(c), c.Params("cid"), *req.Version, req.input())
	if err != nil {
		return err
	}
	return c.JSON(CommissionToJSON(cm))
}

func (h handlers) sessions(c *fiber.Ctx) error {
	list, err := h.svc.Sessions(c.UserContext(), auth.FromCtx(c), c.Params("cid"))
	if err != nil {
		return err
	}
	out := []SessionJSON{}
	for _, s := range list {
		out = append(out, SessionToJSON(s))
	}
	return c.JSON(fiber.Map{"sessions": out})
}

func protocolLocation(p app.Protocol) string {
	return "/api/v1/commissions/" + p.Session.CommissionID + "/sessions/" + p.Session.ID
}

func (h handlers) protocolBody(p app.Protocol) any {
	return protocolToJSON(p, kernel.Today(h.svc.Now()))
}

func (h handlers) record(c *fiber.Ctx, key string, in domain.SessionInput, rows domain.RowNamer) (app.Protocol, bool, error) {
	return h.svc.RecordProtocol(c.UserContext(), auth.FromCtx(c), c.Params("cid"), key, in, rows)
}

func (h handlers) recordJSON(c *fiber.Ctx, req *ProtocolRequest, key string) (app.Protocol, bool, error) {
	return h.record(c, key, req.Input(), domain.JSONRows)
}

// recordCSV takes the decisions as a CSV body (Content-Type: text/csv) and the
// session's number, date, place and protocol_ref as query parameters.
// The answer's "csv" says how the file was read (separator, decimal mark).
func (h handlers) recordCSV(c *fiber.Ctx) error {
	decisions, dialect, err := ReadProtocolCSV(c.Body())
	if err != nil {
		return err
	}
	number, err := strconv.Atoi(c.Query("number"))
	if err != nil {
		var f apperr.Fields
		f.Add("number", "error.not_a_whole_number", c.Query("number"))
		return f.Err()
	}
	var f apperr.Fields
	for _, name := range []string{"date", "place", "protocol_ref"} {
		httpx.CheckText(&f, name, c.Query(name))
	}
	if err := f.Err(); err != nil {
		return err
	}
	in := domain.SessionInput{Number: number, Date: c.Query("date"), Place: c.Query("place"), ProtocolRef: c.Query("protocol_ref"), Decisions: decisions}
	p, replayed, err := h.record(c, c.Get(httpx.HeaderIdempotencyKey), in, CSVRows)
	if err != nil {
		return err
	}
	body := protocolToJSON(p, kernel.Today(h.svc.Now()))
	body.CSV = &CSVReadJSON{Separator: string(dialect.Comma), DecimalMark: dialect.DecimalMark(),
		BOM: dialect.BOM, ReadAs: dialect.ReadAs()}
	return httpx.Created(c, protocolLocation(p), replayed, body)
}

func (h handlers) protocol(c *fiber.Ctx) error {
	p, err := h.svc.Protocol(c.UserContext(), auth.FromCtx(c), c.Params("cid"), c.Params("sid"))
	if err != nil {
		return err
	}
	today := kernel.Today(h.svc.Now())
	return c.JSON(protocolToJSON(p, today))
}

func (h handlers) register(c *fiber.Ctx) error {
	f := app.DecisionFilter{Status: c.Query("status"), Agency: c.Query("agency"), SessionID: c.Query("session"), Overdue: c.QueryBool("overdue")}
	list, today, err := h.svc.Register(c.UserContext(), auth.FromCtx(c), c.Params("cid"), f)
	if err != nil {
		return err
	}
	out := []DecisionJSON{}
	for _, d := range list {
		out = append(out, DecisionToJSON(d, today))
	}
	return c.JSON(fiber.Map{"decisions": out, "as_of": today.String()})
}

func (h handlers) decision(c *fiber.Ctx) error {
	d, today, err := h.svc.Decision(c.UserContext(), auth.FromCtx(c), c.Params("cid"), c.Params("did"))
	if err != nil {
		return err
	}
	return c.JSON(DecisionToJSON(d, today))
}

func (h handlers) status(c *fiber.Ctx) error {
	var req StatusRequest
	if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if err := httpx.RequireVersion(req.Version); err != nil {
		return err
	}
	d, err := h.svc.ChangeStatus(c.UserContext(), auth.FromCtx(c), c.Params("cid"), c.Params("did"), *req.Version,
		domain.StatusChange{To: domain.Status(req.Status), EffectiveOn: req.EffectiveOn, Comment: req.Comment, EvidenceRef: req.EvidenceRef})
	if err != nil {
		return err
	}
	return c.JSON(DecisionToJSON(d, kernel.Today(h.svc.Now())))
}

func (h handlers) link(c *fiber.Ctx) error {
	var req LinkRequest
	if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if err := httpx.RequireVersion(req.Version); err != nil {
		return err
	}
	d, err := h.svc.Link(c.UserContext(), auth.FromCtx(c), c.Params("cid"), c.Params("did"), *req.Version, req.Kind, req.TargetID)
	if err != nil {
		return err
	}
	return c.JSON(DecisionToJSON(d, kernel.Today(h.svc.Now())))
}

func (h handlers) history(c *fiber.Ctx) error {
	changes, err := h.svc.History(c.UserContext(), auth.FromCtx(c), c.Params("cid"), c.Params("did"))
	if err != nil {
		return err
	}
	out := make([]ChangeJSON, len(changes))
	for i, ch := range changes {
		out[i] = ChangeJSON{EventID: ch.EventID, Type: ch.Type, Actor: ch.Actor, Time: ch.Time, Version: ch.Version,
			From: ch.From, To: ch.To, EffectiveOn: ch.EffectiveOn, Comment: ch.Comment, EvidenceRef: ch.EvidenceRef,
			LinkKind: ch.LinkKind, LinkTarget: ch.LinkTarget}
	}
	return c.JSON(fiber.Map{"history": out})
}
