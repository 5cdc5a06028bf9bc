// Package httpapi is the global search's HTTP API (Fiber).
package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/search/app"
	"econdip/services/search/domain"
)

// ResultsJSON is the answer of GET /api/v1/search.
type ResultsJSON struct {
	Query   string       `json:"q"`
	Results []domain.Hit `json:"results"`
}

// Routes mounts GET /api/v1/search?q=&kinds=lead,deal&limit=&for=link
// behind bearer-token auth: any signed-in user, who finds what they may
// read; for=link adds what they may link a decision to (the picker).
func Routes(r fiber.Router, ix *app.Index, users auth.Authenticator) {
	g := auth.Protect(r, "search", "/api/v1/search", auth.Bearer(users))
	g.Get("/", auth.SignedIn, func(c *fiber.Ctx) error {
		var f apperr.Fields
		limit := httpx.IntParam(c, "limit", &f)
		if limit < 0 || limit > domain.MaxSize {
			f.Add("limit", "search.error.limit", domain.MaxSize)
		}
		kinds, ok := domain.ParseKinds(c.Query("kinds"))
		if !ok {
			f.Add("kinds", "search.error.kinds")
		}
		q := c.Query("q")
		if len(q) > 500 {
			f.Add("q", "search.error.too_long", 500)
		}
		if err := f.Err(); err != nil {
			return err
		}
		hits, err := ix.Search(c.UserContext(), auth.FromCtx(c), app.Request{Q: q, Kinds: kinds, Limit: limit, ForLink: c.Query("for") == "link"})
		if err != nil {
			return err
		}
		return c.JSON(ResultsJSON{Query: q, Results: hits})
	})
}
