// Package commissions is the commissions service: intergovernmental
// commissions, their sessions' protocols and decisions, statuses and links.
// Its parts are domain/ (the rules, no I/O), app/ (the use cases on the
// COMMISSIONS stream) and httpapi/ (the Fiber routes and the CSV import);
// New wires them.
package commissions

import (
	"context"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/services/commissions/app"
	"econdip/services/commissions/httpapi"
	"econdip/services/platform/auth"
	"econdip/services/platform/documents"
	"econdip/services/platform/httpx"
	"econdip/services/platform/reference"
	"econdip/services/platform/work"
)

// New starts the service on js (its read models follow the log until ctx
// ends; a decision's links are checked in the LEADS and EXPORTS streams)
// and returns its HTTP app, made with opts and a body limit that fits a
// protocol's CSV file.
func New(ctx context.Context, js jetstream.JetStream, ref *reference.Data, log *slog.Logger, views string, users auth.Authenticator, writeLimit fiber.Handler, opts httpx.Options) (*fiber.App, error) {
	svc, err := app.New(ctx, js, ref, app.StreamRecords{JS: js}, log, views)
	if err != nil {
		return nil, err
	}
	assignees, err := work.AssigneesOf(users)
	if err != nil {
		return nil, err
	}
	w, err := svc.Work(ctx, js, views, log, assignees)
	if err != nil {
		return nil, err
	}
	docs, err := svc.Documents(ctx, js, views, log)
	if err != nil {
		return nil, err
	}
	opts.BodyLimit = max(opts.BodyLimit, httpapi.MaxCSVBytes+64<<10)
	small := documents.Uploads(&opts)
	a := httpx.New(opts)
	a.Use(small)
	httpapi.Routes(a, svc, w, users, writeLimit)
	httpapi.DocumentRoutes(a, docs, users, writeLimit)
	httpx.AddReadyCheck(a, "read_model", work.AllReady(documents.Start(ctx, svc.Ready, docs), w))
	return a, nil
}
