package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"econdip/events"
	"econdip/services/platform/auth"
	"econdip/services/platform/documents"
)

// DocumentRoutes mounts the documents of decisions under each decision
// (/api/v1/commissions/:cid/decisions/:did/documents; issue 18).
func DocumentRoutes(r fiber.Router, docs *documents.Docs, users auth.Authenticator, limit fiber.Handler) {
	g := auth.Protect(r, "commissions", "/api/v1/commissions", auth.Bearer(users), limit)
	docs.Mount(g, "/:cid/decisions/:did", func(c *fiber.Ctx) events.WorkRef { return docs.Ref(c.Params("cid"), c.Params("did")) },
		func(c *fiber.Ctx) string {
			return "/api/v1/commissions/" + c.Params("cid") + "/decisions/" + c.Params("did")
		})
}
