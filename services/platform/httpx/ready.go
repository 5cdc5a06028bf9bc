package httpx

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Check is one readiness condition: nil when the dependency it names can be
// used (NATS connected, ClickHouse answering).
type Check func(ctx context.Context) error

// readyCheckTimeout bounds each check, so a hung dependency answers 503
// instead of holding the probe (a variable for tests).
var readyCheckTimeout = 2 * time.Second

type namedCheck struct {
	name  string
	check Check
}

// readiness holds each app's checks. Kept beside the app rather than in
// Options because the app is sometimes built by another package (the
// dashboard) and its dependencies are known only to whoever starts it.
var readiness sync.Map // *fiber.App → *readyChecks

type readyChecks struct {
	mu     sync.Mutex
	checks []namedCheck
}

// AddReadyCheck adds a condition to app's /readyz: the route answers 200
// while every condition holds and 503 naming the failing ones otherwise.
// The reasons go to the log only (they may carry addresses).
func AddReadyCheck(app *fiber.App, name string, check Check) {
	v, _ := readiness.LoadOrStore(app, &readyChecks{})
	rc := v.(*readyChecks)
	rc.mu.Lock()
	rc.checks = append(rc.checks, namedCheck{name, check})
	rc.mu.Unlock()
}

// ReadyBody is the JSON of /readyz.
type ReadyBody struct {
	Status string            `json:"status"` // ready or not_ready
	Checks map[string]string `json:"checks"` // by check name: ok or failing
}

// readyHandler answers /readyz with app's checks.
func readyHandler(app *fiber.App, log *slog.Logger) fiber.Handler {
	app.Hooks().OnShutdown(func() error { readiness.Delete(app); return nil })
	return func(c *fiber.Ctx) error {
		var checks []namedCheck
		if v, ok := readiness.Load(app); ok {
			rc := v.(*readyChecks)
			rc.mu.Lock()
			checks = append(checks, rc.checks...)
			rc.mu.Unlock()
		}
		body := ReadyBody{Status: "ready", Checks: map[string]string{}}
		for _, ch := range checks {
			ctx, cancel := context.WithTimeout(c.UserContext(), readyCheckTimeout)
			err := ch.check(ctx)
			cancel()
			if err != nil {
				body.Status, body.Checks[ch.name] = "not_ready", "failing"
				log.Warn("readiness check failing", "check", ch.name, "err", err)
				continue
			}
			body.Checks[ch.name] = "ok"
		}
		if body.Status != "ready" {
			return c.Status(fiber.StatusServiceUnavailable).JSON(body)
		}
		return c.JSON(body)
	}
}
