package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"econdip/events"
	"econdip/services/platform/auth"
	"econdip/services/platform/documents"
)

// DocumentRoutes mounts the documents of leads under each lead
// (/api/v1/leads/:id/documents, issue 18).
func DocumentRoutes(r fiber.Router, docs *documents.Docs, users auth.Authenticator, limit fiber.Handler) {
	g := auth.Protect(r, "leads", "/api/v1/leads", auth.Bearer(users), limit)
	docs.Mount(g, "/:id", func(c *fiber.Ctx) events.WorkRef { return docs.Ref("", c.Params("id")) },
		func(c *fiber.Ctx) string { return "/api/v1/leads/" + c.Params("id") })
}
