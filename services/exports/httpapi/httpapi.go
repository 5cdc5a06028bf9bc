// Package httpapi is the exports service's HTTP API (Fiber): the exporter
// registry, export deals, trade barriers and the HS code picker.
package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"econdip/services/exports/dealcsv"

	"econdip/services/exports/app"
	"econdip/services/exports/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/httpx"
)

// Routes mounts the API under /api/v1, behind bearer-token auth.
// limit runs after authentication: the per-user limit on writes.
func Routes(r fiber.Router, svc *app.Service, users auth.Authenticator, limit fiber.Handler) {
	h := handlers{svc: svc}
	bearer := auth.Bearer(users)
	e := auth.Protect(r, "exports", "/api/v1/exporters", bearer, limit)
	e.Post("/", auth.WriteExporters, h.registerExporter)
	e.Get("/", auth.ReadExporters, h.exporters)
	e.Get("/:bin", auth.ReadExporters, h.exporter)
	d := auth.Protect(r, "exports", "/api/v1/deals", bearer, limit)
	d.Post("/", auth.WriteExports, httpx.Create(h.createDeal, func(d domain.Deal) string { return "/api/v1/deals/" + d.ID }, h.dealBody))
	d.Post("/import", auth.WriteExports, h.importDeals)
	d.Get("/", auth.ReadExports, h.deals)
	d.Get("/:id", auth.ReadExports, h.deal)
	d.Patch("/:id", auth.WriteExports, h.updateDeal)
	d.Post("/:id/stage", auth.WriteExports, h.moveDeal)
	d.Get("/:id/history", auth.ReadExports, h.dealHistory)
	b := auth.Protect(r, "exports", "/api/v1/barriers", bearer, limit)
	b.Post("/", auth.WriteExports, httpx.Create(h.reportBarrier, func(b domain.Barrier) string { return "/api/v1/barriers/" + b.ID }, barrierBody))
	b.Get("/", auth.ReadExports, h.barriers)
	b.Get("/:id", auth.ReadExports, h.barrier)
	b.Patch("/:id", auth.WriteExports, h.updateBarrier)
	b.Post("/:id/status", auth.WriteExports, h.barrierStatus)
	b.Get("/:id/history", auth.ReadExports, h.barrierHistory)
	auth.Protect(r, "exports", "/api/v1/hs", bearer, limit).Get("", auth.SignedIn, h.hs)
}

type handlers struct{ svc *app.Service }

func (h handlers) registerExporter(c *fiber.Ctx) error {
	var req ExporterRequest
	if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
		return err
	}
	e, what, err := h.svc.RegisterExporter(c.UserContext(), auth.FromCtx(c), req.Version,
		domain.ExporterInput{BIN: req.BIN, Name: req.Name, Region: req.Region})
	if err != nil {
		return err
	}
	c.Location("/api/v1/exporters/" + e.BIN)
	status := fiber.StatusOK
	switch what {
	case app.Registered:
		status = fiber.StatusCreated
	case app.Existing:
		c.Set("Exporter-Registered-Before", "true")
	}
	return c.Status(status).JSON(ExporterToJSON(e))
}

func (h handlers) exporter(c *fiber.Ctx) error {
	e, err := h.svc.Exporter(c.UserContext(), auth.FromCtx(c), c.Params("bin"))
	if err != nil {
		return err
	}
	return c.JSON(ExporterToJSON(e))
}

func (h handlers) exporters(c *fiber.Ctx) error {
	var fe apperr.Fields
	f := app.ExporterFilter{Query: c.Query("q"), Region: c.Query("region"), Limit: httpx.IntParam(c, "limit", &fe), Offset: httpx.IntParam(c, "offset", &fe), Cursor: c.Query("cursor")}
	if err := fe.Err(); err != nil {
		return err
	}
	list, err := h.svc.Exporters(auth.FromCtx(c), f)
	if err != nil {
		return err
	}
	out := []ExporterJSON{}
	for _, e := range list.Items {
		out = append(out, ExporterToJSON(e))
	}
	return c.JSON(pageJSON("exporters", out, list.Total, list.Next, f.Limit, f.Offset))
}

func (h handlers) dealJSON(d domain.Deal) DealJSON { return DealToJSON(d, h.svc.Classify(d.HSCode)) }

func (h handlers) dealBody(d domain.Deal) any { return h.dealJSON(d) }

func barrierBody(b domain.Barrier) any { return BarrierToJSON(b) }

func (h handlers) createDeal(c *fiber.Ctx, req *DealRequest, key string) (domain.Deal, bool, error) {
	return h.svc.CreateDeal(c.UserContext(), auth.FromCtx(c), key, req.input())
}

func (h handlers) deal(c *fiber.Ctx) error {
	d, err := h.svc.Deal(c.UserContext(), auth.FromCtx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(h.dealJSON(d))
}

func (h handlers) updateDeal(c *fiber.Ctx) error {
	var req DealPatch
	if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if err := httpx.RequireVersion(req.Version); err != nil {
		return err
	}
	d, err := h.svc.UpdateDeal(c.UserContext(), auth.FromCtx(c), c.Params("id"), *req.Version, req.apply)
	if err != nil {
		return err
	}
	return c.JSON(h.dealJSON(d))
}

func (h handlers) moveDeal(c *fiber.Ctx) error {
	var req MoveRequest
	if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if err := httpx.RequireVersion(req.Version); err != nil {
		return err
	}
	d, err := h.svc.MoveDeal(c.UserContext(), auth.FromCtx(c), c.Params("id"), *req.Version, domain.Move{
		To: domain.Stage(req.Stage), LostReason: req.LostReason, ContractDate: req.ContractDate, Comment: req.Comment,
	})
	if err != nil {
		return err
	}
	return c.JSON(h.dealJSON(d))
}

func (h handlers) dealHistory(c *fiber.Ctx) error {
	changes, err := h.svc.DealHistory(c.UserContext(), auth.FromCtx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"history": changesToJSON(changes)})
}

func (h handlers) deals(c *fiber.Ctx) error {
	var fe apperr.Fields
	f := app.DealFilter{Post: c.Query("post"), Stage: c.Query("stage"), Sector: c.Query("sector"),
		BuyerCountry: c.Query("buyer_country"), HS: c.Query("hs"), ExporterBIN: c.Query("exporter_bin"), BuyerID: c.Query("buyer_id"),
		Limit: httpx.IntParam(c, "limit", &fe), Offset: httpx.IntParam(c, "offset", &fe), Cursor: c.Query("cursor")}
	if err := fe.Err(); err != nil {
		return err
	}
	list, err := h.svc.Deals(auth.FromCtx(c), f)
	if err != nil {
		return err
	}
	out := []DealJSON{}
	for _, d := range list.Items {
		out = append(out, h.dealJSON(d))
	}
	return c.JSON(pageJSON("deals", out, list.Total, list.Next, f.Limit, f.Offset))
}

// pageJSON is a page of a list: its items under key, the total, the page
// asked for and, when more follow, the ?cursor= of the next page (deep
// pages answer as fast as the first).
func pageJSON(key string, items any, total int, next string, limit, offset int) fiber.Map {
	m := fiber.Map{key: items, "total": total, "limit": command.Page{Limit: limit}.Size(), "offset": offset}
	if next != "" {
		m["next_cursor"] = next
	}
	return m
}

func (h handlers) reportBarrier(c *fiber.Ctx, req *BarrierRequest, key string) (domain.Barrier, bool, error) {
	return h.svc.ReportBarrier(c.UserContext(), auth.FromCtx(c), key, req.input())
}

func (h handlers) barrier(c *fiber.Ctx) error {
	b, err := h.svc.Barrier(c.UserContext(), auth.FromCtx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(BarrierToJSON(b))
}

func (h handlers) updateBarrier(c *fiber.Ctx) error {
	var req BarrierPatch
	if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if err := httpx.RequireVersion(req.Version); err != nil {
		return err
	}
	var note *domain.NoteInput
	if req.Progress != nil {
		note = &domain.NoteInput{On: req.Progress.On, Text: req.Progress.Text}
	}
	b, err := h.svc.UpdateBarrier(c.UserContext(), auth.FromCtx(c), c.Params("id"), *req.Version, req.apply, note)
	if err != nil {
		return err
	}
	return c.JSON(BarrierToJSON(b))
}

func (h handlers) barrierStatus(c *fiber.Ctx) error {
	var req StatusRequest
	if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if err := httpx.RequireVersion(req.Version); err != nil {
		return err
	}
	b, err := h.svc.ChangeBarrierStatus(c.UserContext(), auth.FromCtx(c), c.Params("id"), *req.Version,
		domain.StatusChange{To: domain.Status(req.Status), EffectiveOn: req.EffectiveOn, Comment: req.Comment})
	if err != nil {
		return err
	}
	return c.JSON(BarrierToJSON(b))
}

func (h handlers) barrierHistory(c *fiber.Ctx) error {
	changes, err := h.svc.BarrierHistory(c.UserContext(), auth.FromCtx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"history": changesToJSON(changes)})
}

func (h handlers) barriers(c *fiber.Ctx) error {
	var fe apperr.Fields
	f := app.BarrierFilter{Post: c.Query("post"), Status: c.Query("status"), Type: c.Query("type"), Country: c.Query("country"),
		HS: c.Query("hs"), Query: c.Query("q"), Limit: httpx.IntParam(c, "limit", &fe), Offset: httpx.IntParam(c, "offset", &fe),
		Cursor: c.Query("cursor")}
	if err := fe.Err(); err != nil {
		return err
	}
	list, err := h.svc.Barriers(auth.FromCtx(c), f)
	if err != nil {
		return err
	}
	out := []BarrierJSON{}
	for _, b := range list.Items {
		out = append(out, BarrierToJSON(b))
	}
	return c.JSON(pageJSON("barriers", out, list.Total, list.Next, f.Limit, f.Offset))
}

// hs is the HS code picker: GET /api/v1/hs?q=aluminium&limit=20.
func (h handlers) hs(c *fiber.Ctx) error {
	var fe apperr.Fields
	limit := httpx.IntParam(c, "limit", &fe)
	if err := fe.Err(); err != nil {
		return err
	}
	list, err := h.svc.SearchHS(auth.FromCtx(c), c.Query("q"), limit)
	if err != nil {
		return err
	}
	out := []HSJSON{}
	for _, x := range list {
		out = append(out, HSJSON{Code: x.Code, Description: x.Description, Level: x.Level, Parent: x.Parent, Section: x.Section,
			Sector: x.Sector, SectorName: x.SectorName, Raw: x.Raw})
	}
	return c.JSON(fiber.Map{"results": out})
}

// importDeals reads a CSV file of the post's deals (the body, as it is)
// and, with ?dry_run=true, answers what it would create (200); without, it
// creates the deals that do not exist yet, all or none, and answers 201 if
// it created any, 200 if every deal existed already. ?expect=<digest of a
// preview> refuses (409) a file that no longer plans what was previewed.
func (h handlers) importDeals(c *fiber.Ctx) error {
	lines, dialect, err := dealcsv.Parse(c.Body())
	if err != nil {
		return err
	}
	u := auth.FromCtx(c)
	var plan app.ImportPlan
	dry := c.QueryBool("dry_run")
	if dry {
		plan, err = h.svc.PlanDealImport(c.UserContext(), u, lines)
	} else {
		plan, err = h.svc.ImportDeals(c.UserContext(), u, lines, c.Query("expect"))
	}
	if err != nil {
		return err
	}
	out := ImportJSON{DryRun: dry, New: plan.New, Existing: plan.Existing, Digest: plan.Digest,
		Dialect: DialectJSON{Separator: string(dialect.Comma), DecimalMark: dialect.DecimalMark(), BOM: dialect.BOM}, Deals: []ImportRowJSON{}}
	for _, p := range plan.Deals {
		status := "new"
		switch {
		case p.Exists:
			status = "exists"
		case !dry:
			status = "created"
		}
		out.Deals = append(out.Deals, ImportRowJSON{Row: p.Row, Status: status, Deal: h.dealJSON(p.Deal), Similar: p.Similar})
	}
	if !dry {
		out.Created = plan.New
	}
	if out.Created > 0 {
		return c.Status(fiber.StatusCreated).JSON(out)
	}
	return c.JSON(out)
}
