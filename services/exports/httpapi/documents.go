package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"econdip/events"
	"econdip/services/platform/auth"
	"econdip/services/platform/documents"
)

// DocumentRoutes mounts the documents of deals and barriers under each
// record (/api/v1/deals/:id/documents, /api/v1/barriers/:id/documents;
// issue 18).
func DocumentRoutes(r fiber.Router, deals, barriers *documents.Docs, users auth.Authenticator, limit fiber.Handler) {
	bearer := auth.Bearer(users)
	for _, k := range []struct {
		prefix string
		d      *documents.Docs
	}{{"/api/v1/deals", deals}, {"/api/v1/barriers", barriers}} {
		g := auth.Protect(r, "exports", k.prefix, bearer, limit)
		d, prefix := k.d, k.prefix
		d.Mount(g, "/:id", func(c *fiber.Ctx) events.WorkRef { return d.Ref("", c.Params("id")) },
			func(c *fiber.Ctx) string { return prefix + "/" + c.Params("id") })
	}
}
