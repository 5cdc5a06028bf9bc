// Package leads is the leads service: investor leads and their pipeline
// stages. Its parts are domain/ (the rules, no I/O), app/ (the use cases on
// the LEADS stream) and httpapi/ (the Fiber routes); New wires them, so the
// command and the tests start the service through one call.
package leads

import (
	"context"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/services/leads/app"
	"econdip/services/leads/httpapi"
	"econdip/services/platform/auth"
	"econdip/services/platform/documents"
	"econdip/services/platform/httpx"
	"econdip/services/platform/reference"
	"econdip/services/platform/work"
)

// New starts the service on js (its read model, kept in the folder views,
// follows the log until ctx ends) and returns its HTTP app, made with opts: users authenticate
// requests, writeLimit limits each user's writes.
func New(ctx context.Context, js jetstream.JetStream, ref *reference.Data, log *slog.Logger, views string, users auth.Authenticator, writeLimit fiber.Handler, opts httpx.Options) (*fiber.App, error) {
	svc, err := app.New(ctx, js, ref, log, views)
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
	w, err := svc.Work(ctx, js, views, log, assignees)
	if err != nil {
		return nil, err
	}
	docs, err := svc.Documents(ctx, js, views, log)
	if err != nil {
		return nil, err
	}
	small := documents.Uploads(&opts)
	a := httpx.New(opts)
	a.Use(small)
	httpapi.Routes(a, svc, w, users, writeLimit)
	httpapi.DocumentRoutes(a, docs, users, writeLimit)
	// The administrators' retention period of removed documents' bytes.
	if err := documents.RetentionRoutes(a, "leads", js, auth.Bearer(users), writeLimit); err != nil {
		return nil, err
	}
	httpx.AddReadyCheck(a, "read_model", work.AllReady(documents.Start(ctx, svc.Ready, docs), w))
	return a, nil
}
