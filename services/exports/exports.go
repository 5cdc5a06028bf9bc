// Package exports is the exports service: the register of exporters (by
// BIN), export deals (HS 2022) and trade barriers. Its parts are domain/
// (the rules, no I/O), app/ (the use cases on the EXPORTS stream) and
// httpapi/ (the Fiber routes, the HS picker); New wires them.
package exports

import (
	"context"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/services/exports/app"
	"econdip/services/exports/httpapi"
	"econdip/services/platform/auth"
	"econdip/services/platform/documents"
	"econdip/services/platform/httpx"
	"econdip/services/platform/reference"
	"econdip/services/platform/work"
)

// New starts the service on js (its read models, kept in the folder views,
// follow the log until ctx ends; a deal's decision is looked up in the COMMISSIONS stream) and
// returns its HTTP app, made with opts.
func New(ctx context.Context, js jetstream.JetStream, ref *reference.Data, log *slog.Logger, views string, users auth.Authenticator, writeLimit fiber.Handler, opts httpx.Options) (*fiber.App, error) {
	svc, err := app.New(ctx, js, ref, app.StreamDecisions{JS: js}, log, views)
	if err != nil {
		return nil, err
	}
	if err := svc.FollowCompanies(ctx, js); err != nil {
		return nil, err
	}
	assignees, err := work.AssigneesOf(users)
	if err != nil {
		return nil, err
	}
	deals, barriers, err := svc.Work(ctx, js, views, log, assignees)
	if err != nil {
		return nil, err
	}
	dealDocs, barrierDocs, err := svc.Documents(ctx, js, views, log)
	if err != nil {
		return nil, err
	}
	small := documents.Uploads(&opts)
	a := httpx.New(opts)
	a.Use(small)
	httpapi.Routes(a, svc, users, writeLimit)
	httpapi.WorkRoutes(a, deals, barriers, users, writeLimit)
	httpapi.DocumentRoutes(a, dealDocs, barrierDocs, users, writeLimit)
	httpx.AddReadyCheck(a, "read_model", work.AllReady(documents.Start(ctx, svc.Ready, dealDocs, barrierDocs), deals, barriers))
	return a, nil
}
