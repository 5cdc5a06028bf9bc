// Package httpapi is the HTTP API of the company register (Fiber).
package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"econdip/services/companies/app"
	"econdip/services/companies/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/httpx"
)

// Routes mounts the API on r under /api/v1/companies, behind bearer-token
// auth; limit runs after authentication: the per-user limit on writes.
func Routes(r fiber.Router, svc *app.Service, users auth.Authenticator, limit fiber.Handler) {
	g := auth.Protect(r, "companies", "/api/v1/companies", auth.Bearer(users), limit)
	h := handlers{svc: svc}
	g.Post("/match", auth.ReadCompanies, h.match)
	g.Post("/", auth.WriteCompanies, httpx.Create(h.create, func(c domain.Company) string { return "/api/v1/companies/" + c.ID }, func(c domain.Company) any { return ToJSON(c) }))
	g.Get("/", auth.ReadCompanies, h.list)
	g.Get("/:id", auth.ReadCompanies, h.get)
	g.Patch("/:id", auth.WriteCompanies, h.update)
	g.Post("/:id/merge", auth.MergeCompanies, h.merge)
	g.Get("/:id/history", auth.ReadCompanies, h.history)
}

type handlers struct{ svc *app.Service }

// ContactJSON is a contact person.
type ContactJSON struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	Role  string `json:"role,omitempty"`
}

// CompanyJSON is a company as the API returns it.
type CompanyJSON struct {
	ID         string        `json:"id"`
	Version    int           `json:"version"`
	Name       string        `json:"name"`
	NameLatin  string        `json:"name_latin"`
	Country    string        `json:"country"`
	RegNumber  string        `json:"reg_number,omitempty"`
	Website    string        `json:"website,omitempty"`
	Aliases    []string      `json:"aliases"`
	Contacts   []ContactJSON `json:"contacts,omitempty"`
	MergedInto string        `json:"merged_into,omitempty"`
	CreatedBy  string        `json:"created_by"`
	CreatedAt  time.Time     `json:"created_at"`
	UpdatedAt  time.Time     `json:"updated_at"`
}

// CreateRequest is the body of POST /api/v1/companies. CreateAnyway
// creates the company although it likely duplicates another (the user saw
// the candidates and confirmed).
type CreateRequest struct {
	Name         string        `json:"name"`
	NameLatin    string        `json:"name_latin"`
	Country      string        `json:"country"`
	RegNumber    string        `json:"reg_number"`
	Website      string        `json:"website"`
	Aliases      []string      `json:"aliases,omitempty"`
	Contacts     []ContactJSON `json:"contacts,omitempty"`
	CreateAnyway bool          `json:"create_anyway"`
}

// PatchRequest is the body of PATCH /api/v1/companies/:id: the version
// read, and the fields to change; a field left out keeps its value.
type PatchRequest struct {
	Version   *int           `json:"version,omitempty"`
	Name      *string        `json:"name,omitempty"`
	NameLatin *string        `json:"name_latin,omitempty"`
	Country   *string        `json:"country,omitempty"`
	RegNumber *string        `json:"reg_number,omitempty"`
	Website   *string        `json:"website,omitempty"`
	Aliases   *[]string      `json:"aliases,omitempty"`
	Contacts  *[]ContactJSON `json:"contacts,omitempty"`
}

// MatchRequest is the body of POST /api/v1/companies/match.
type MatchRequest struct {
	Name      string `json:"name"`
	Country   string `json:"country"`
	RegNumber string `json:"reg_number"`
	Except    string `json:"except"` // a company to leave out (the one being edited)
}

// MergeRequest is the body of POST /api/v1/companies/:id/merge: the
// company to absorb into :id, and the versions of both that the
// administrator read.
type MergeRequest struct {
	Version       *int   `json:"version,omitempty"`
	Absorb        string `json:"absorb"`
	AbsorbVersion *int   `json:"absorb_version,omitempty"`
}

// CandidateJSON is a likely duplicate.
type CandidateJSON struct {
	Company CompanyJSON `json:"company"`
	Score   float64     `json:"score"`
	Name    string      `json:"matched_name"`
}

func contactsIn(in []ContactJSON) []domain.Contact {
	out := make([]domain.Contact, len(in))
	for i, c := range in {
		out[i] = domain.Contact{Name: c.Name, Email: c.Email, Phone: c.Phone, Role: c.Role}
	}
	return out
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func (r PatchRequest) apply(d *domain.Details) {
	set(&d.Name, r.Name)
	set(&d.NameLatin, r.NameLatin)
	set(&d.Country, r.Country)
	set(&d.RegNumber, r.RegNumber)
	set(&d.Website, r.Website)
	set(&d.Aliases, r.Aliases)
	if r.Contacts != nil {
		d.Contacts = contactsIn(*r.Contacts)
	}
}

// ToJSON is the API form of a company.
func ToJSON(c domain.Company) CompanyJSON {
	var contacts []ContactJSON
	for _, p := range c.Contacts {
		contacts = append(contacts, ContactJSON{Name: p.Name, Email: p.Email, Phone: p.Phone, Role: p.Role})
	}
	aliases := c.Aliases
	if aliases == nil {
		aliases = []string{}
	}
	return CompanyJSON{ID: c.ID, Version: c.Version, Name: c.Name, NameLatin: c.NameLatin, Country: c.Country,
		RegNumber: c.RegNumber, Website: c.Website, Aliases: aliases, Contacts: contacts, MergedInto: c.MergedInto,
		CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func (h handlers) create(c *fiber.Ctx, req *CreateRequest, key string) (domain.Company, bool, error) {
	d := domain.Details{Name: req.Name, NameLatin: req.NameLatin, Country: req.Country, RegNumber: req.RegNumber,
		Website: req.Website, Aliases: req.Aliases, Contacts: contactsIn(req.Contacts)}
	return h.svc.Create(c.UserContext(), auth.FromCtx(c), key, d, req.CreateAnyway)
}

func (h handlers) get(c *fiber.Ctx) error {
	co, err := h.svc.Get(c.UserContext(), auth.FromCtx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(ToJSON(co))
}

func (h handlers) update(c *fiber.Ctx) error {
	var req PatchRequest
	if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if err := httpx.RequireVersion(req.Version); err != nil {
		return err
	}
	co, err := h.svc.Update(c.UserContext(), auth.FromCtx(c), c.Params("id"), *req.Version, req.apply)
	if err != nil {
		return err
	}
	return c.JSON(ToJSON(co))
}

func (h handlers) merge(c *fiber.Ctx) error {
	var req MergeRequest
	if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if err := httpx.RequireVersion(req.Version); err != nil {
		return err
	}
	if req.AbsorbVersion == nil {
		var f apperr.Fields
		f.Add("absorb_version", "error.version_required")
		return f.Err()
	}
	co, err := h.svc.Merge(c.UserContext(), auth.FromCtx(c), c.Params("id"), *req.Version, req.Absorb, *req.AbsorbVersion)
	if err != nil {
		return err
	}
	return c.JSON(ToJSON(co))
}

func (h handlers) match(c *fiber.Ctx) error {
	var req MatchRequest
	if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
		return err
	}
	found, err := h.svc.Match(auth.FromCtx(c), req.Name, req.Country, req.RegNumber, req.Except)
	if err != nil {
		return err
	}
	out := make([]CandidateJSON, len(found))
	for i, f := range found {
		out[i] = CandidateJSON{Company: ToJSON(f.Company), Score: float64(int(f.Score*1000)) / 1000, Name: f.Name}
	}
	return c.JSON(fiber.Map{"candidates": out})
}

// ListJSON is a page of companies.
type ListJSON struct {
	Companies  []CompanyJSON `json:"companies"`
	Total      int           `json:"total"`
	Limit      int           `json:"limit"`
	Offset     int           `json:"offset"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

func (h handlers) list(c *fiber.Ctx) error {
	var f apperr.Fields
	filter := app.Filter{Country: c.Query("country"), Query: c.Query("q"), Merged: c.Query("merged") == "true",
		Limit: httpx.IntParam(c, "limit", &f), Offset: httpx.IntParam(c, "offset", &f), Cursor: c.Query("cursor")}
	if err := f.Err(); err != nil {
		return err
	}
	page, err := h.svc.List(auth.FromCtx(c), filter)
	if err != nil {
		return err
	}
	out := ListJSON{Companies: []CompanyJSON{}, Total: page.Total, Limit: command.Page{Limit: filter.Limit}.Size(), Offset: filter.Offset, NextCursor: page.Next}
	for _, co := range page.Items {
		out.Companies = append(out.Companies, ToJSON(co))
	}
	return c.JSON(out)
}

// ChangeJSON is one entry of a company's history.
type ChangeJSON struct {
	EventID    string   `json:"event_id"`
	Type       string   `json:"type"`
	Actor      string   `json:"actor"`
	Time       string   `json:"time"`
	Version    int      `json:"version"`
	Name       string   `json:"name"`
	Changed    []string `json:"changed,omitempty"`
	Absorbed   string   `json:"absorbed,omitempty"`
	MergedInto string   `json:"merged_into,omitempty"`
}

func (h handlers) history(c *fiber.Ctx) error {
	changes, err := h.svc.History(c.UserContext(), auth.FromCtx(c), c.Params("id"))
	if err != nil {
		return err
	}
	out := make([]ChangeJSON, len(changes))
	for i, ch := range changes {
		out[i] = ChangeJSON{EventID: ch.EventID, Type: ch.Type, Actor: ch.Actor, Time: ch.Time.Format("2006-01-02T15:04:05.000Z07:00"),
			Version: ch.Version, Name: ch.Name, Changed: ch.Changed, Absorbed: ch.Absorbed, MergedInto: ch.MergedInto}
	}
	return c.JSON(fiber.Map{"history": out})
}
