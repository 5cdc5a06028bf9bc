package httpx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Check is one readiness condition: nil when the dependency it names can be
// used (NATS connected, ClickHouse answering).
type Check func(ctx context.Context) error

// readyCheckTimeout bounds each check, so a hung dependency answers 503
// instead of holding the probe; readyGrace is how long after it /readyz
// still waits for a check that ignores its context. Together they stay well
// under the 1 s a probe waits (variables for tests).
var (
	readyCheckTimeout = 500 * time.Millisecond
	readyGrace        = 100 * time.Millisecond
)

type namedCheck struct {
	name    string
	check   Check
	running *atomic.Bool // a call has not returned yet: the next probe does not start another
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
	rc.checks = append(rc.checks, namedCheck{name: name, check: check, running: new(atomic.Bool)})
	rc.mu.Unlock()
}

// ReadyBody is the JSON of /readyz.
type ReadyBody struct {
	Status string            `json:"status"` // ready or not_ready
	Checks map[string]string `json:"checks"` // by check name: ok or failing
}

// readyHandler answers /readyz with app's checks. They run concurrently,
// each with readyCheckTimeout; one that has not returned readyGrace after
// that counts as failing, and is not called again until it has returned.
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
		errs := runChecks(c.UserContext(), checks)
		body := ReadyBody{Status: "ready", Checks: map[string]string{}}
		for i, ch := range checks {
			if errs[i] != nil {
				body.Status, body.Checks[ch.name] = "not_ready", "failing"
				log.Warn("readiness check failing", "check", ch.name, "err", errs[i])
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

// runChecks runs checks at once and returns their errors, by index, within
// readyCheckTimeout plus readyGrace whatever the checks do.
func runChecks(parent context.Context, checks []namedCheck) []error {
	errs := make([]error, len(checks))
	type result struct {
		i   int
		err error
	}
	results := make(chan result, len(checks)) // a late check never blocks
	ctx, cancel := context.WithTimeout(parent, readyCheckTimeout)
	defer cancel()
	waiting := map[int]bool{}
	for i, ch := range checks {
		if !ch.running.CompareAndSwap(false, true) {
			errs[i] = errors.New("its call from an earlier probe has not returned yet")
			continue
		}
		waiting[i] = true
		go func() {
			defer ch.running.Store(false)
			defer func() {
				if r := recover(); r != nil {
					results <- result{i, fmt.Errorf("panic: %v", r)}
				}
			}()
			results <- result{i, ch.check(ctx)}
		}()
	}
	deadline := time.NewTimer(readyCheckTimeout + readyGrace)
	defer deadline.Stop()
	for len(waiting) > 0 {
		select {
		case r := <-results:
			errs[r.i] = r.err
			delete(waiting, r.i)
		case <-deadline.C:
			for i := range waiting {
				errs[i] = fmt.Errorf("no answer within %s", readyCheckTimeout+readyGrace)
			}
			return errs
		}
	}
	return errs
}
