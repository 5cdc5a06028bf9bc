// Package search is the global search: one box in the dashboard's header
// that finds leads, deals, barriers, decisions, sessions, companies and
// exporters by words in any order, in Kazakh, Russian or English, whatever
// the case and however the Kazakh letters are typed, among the records the
// user may read. Its parts are domain/ (the query, the scope), app/ (the
// SQLite FTS5 index that follows the record streams; why FTS5 is said
// there) and httpapi/ (GET /api/v1/search); New wires them.
package search

import (
	"context"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/reference"
	"econdip/services/search/app"
	"econdip/services/search/httpapi"
)

// New opens the index (in the folder views) on js, following the record
// streams until ctx ends, and returns the search API made with opts; users
// authenticate requests; ref names the posts' countries. It has the shape
// of the other services' constructors (the write limit is unused: the
// search only reads).
func New(ctx context.Context, js jetstream.JetStream, ref *reference.Data, log *slog.Logger, views string, users auth.Authenticator, _ fiber.Handler, opts httpx.Options) (*fiber.App, error) {
	ix, err := app.Open(ctx, js, views, app.Sources(), PostCountry(ref), log)
	if err != nil {
		return nil, err
	}
	a := httpx.New(opts)
	httpapi.Routes(a, ix, users)
	httpx.AddReadyCheck(a, "search_index", ix.Ready)
	return a, nil
}

// PostCountry is the country of a post in ref ("" for an unknown post).
func PostCountry(ref *reference.Data) func(string) string {
	return func(post string) string {
		p, _ := ref.Post(post)
		return p.Country
	}
}
