// Package natstest starts NATS with JetStream for tests: one in-process
// server with econdip's streams (Start), or a cluster of servers, in the
// test process or each in a child process that can be killed (Cluster).
package natstest

import (
	"context"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/documents"
	"econdip/services/platform/natsx"
	"econdip/services/platform/obs"
)

// Server is a running test server with a client connected to it.
type Server struct {
	*server.Server
	NC *nats.Conn
	JS jetstream.JetStream
}

// Start runs an embedded server on a free port with file storage in a temp
// dir, creates econdip's streams (and the documents' object store) and stops everything when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return StartIn(tb, tb.TempDir())
}

// StartIn is Start with a given store dir, so a test can restart a server on the same data.
func StartIn(tb testing.TB, dir string) *Server {
	tb.Helper()
	srv, err := natsx.StartEmbedded(natsx.EmbeddedOptions{StoreDir: dir, Port: -1})
	if err != nil {
		tb.Fatal(err)
	}
	nc, js, err := natsx.Connect(context.Background(), srv.ClientURL(), "test", obs.Discard())
	if err != nil {
		srv.Shutdown()
		tb.Fatal(err)
	}
	if err := events.EnsureStreams(context.Background(), js, events.StreamOptions{}); err != nil {
		tb.Fatal(err)
	}
	if err := natsx.SetupIngestLock(context.Background(), js, 1); err != nil {
		tb.Fatal(err)
	}
	// The documents' object store and buckets, as `econdip migrate` makes them.
	if err := documents.Setup(context.Background(), js, 1); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		nc.Close()
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	return &Server{Server: srv, NC: nc, JS: js}
}
