// Package companies is the company register's service: investors and
// foreign buyers, shared by every post. Its parts are domain/ (the rules
// and the duplicate matching, no I/O), app/ (the use cases on the
// COMPANIES stream) and httpapi/ (the Fiber routes); New wires them.
package companies

import (
	"context"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/services/companies/app"
	"econdip/services/companies/httpapi"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/reference"
)

// New starts the service on js (its read model, kept in the folder views,
// follows the log until ctx ends) and returns its HTTP app, made with
// opts: users authenticate requests, writeLimit limits each user's writes.
func New(ctx context.Context, js jetstream.JetStream, ref *reference.Data, log *slog.Logger, views string, users auth.Authenticator, writeLimit fiber.Handler, opts httpx.Options) (*fiber.App, error) {
	svc, err := app.New(ctx, js, ref, log, views)
	if err != nil {
		return nil, err
	}
	a := httpx.New(opts)
	httpapi.Routes(a, svc, users, writeLimit)
	httpx.AddReadyCheck(a, "read_model", svc.Ready)
	return a, nil
}
