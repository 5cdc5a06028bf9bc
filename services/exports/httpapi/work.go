package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"econdip/events"
	"econdip/services/platform/auth"
	"econdip/services/platform/work"
)

// WorkRoutes mounts the tasks and notes of deals and barriers under each
// record (/api/v1/deals/:id/tasks, …/notes; the same for barriers), and the
// user's own tasks of both at /api/v1/exports/tasks. Mounted after Routes.
func WorkRoutes(r fiber.Router, deals, barriers *work.Work, users auth.Authenticator, limit fiber.Handler) {
	bearer := auth.Bearer(users)
	for _, k := range []struct {
		prefix string
		w      *work.Work
	}{{"/api/v1/deals", deals}, {"/api/v1/barriers", barriers}} {
		g := auth.Protect(r, "exports", k.prefix, bearer, limit)
		w, prefix := k.w, k.prefix
		w.Mount(g, "/:id", func(c *fiber.Ctx) events.WorkRef { return w.Ref("", c.Params("id")) },
			func(c *fiber.Ctx) string { return prefix + "/" + c.Params("id") })
	}
	auth.Protect(r, "exports", "/api/v1/exports/tasks", bearer, limit).Get("", auth.MyWork, work.MyTasks(deals, barriers))
}
