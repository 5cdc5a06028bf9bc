// Package natsx starts an embedded NATS server with JetStream on disk (the
// local default and the tests) and connects clients to it or to an external
// cluster (production).
package natsx

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// EmbeddedOptions configure an in-process NATS server.
type EmbeddedOptions struct {
	StoreDir string // JetStream file storage; kept across restarts
	Host     string // default 127.0.0.1
	Port     int    // -1 picks a free port
	// SyncInterval is how often JetStream fsyncs; 0 keeps the server default (2 min).
	// "always" durability is SyncAlways.
	SyncInterval time.Duration
	SyncAlways   bool
}

// StartEmbedded runs a NATS server with JetStream in this process and waits until it accepts clients.
func StartEmbedded(opts EmbeddedOptions) (*server.Server, error) {
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Port == 0 {
		opts.Port = -1
	}
	srv, err := server.NewServer(&server.Options{
		ServerName:   "econdip-local",
		Host:         opts.Host,
		Port:         opts.Port,
		JetStream:    true,
		StoreDir:     opts.StoreDir,
		SyncInterval: opts.SyncInterval,
		SyncAlways:   opts.SyncAlways,
		NoSigs:       true, // signals belong to our process, which shuts NATS down in order
		MaxPayload:   8 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("configure embedded nats: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(15 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded nats did not become ready in 15s (store dir %s): check the directory is writable and not used by another process", opts.StoreDir)
	}
	return srv, nil
}

// Connect dials NATS and returns the connection and a JetStream handle. It
// retries the initial connect and reconnects forever, logging each change.
func Connect(ctx context.Context, url, name string, log *slog.Logger, extra ...nats.Option) (*nats.Conn, jetstream.JetStream, error) {
	opts := append([]nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("nats disconnected", "client", name, "err", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", "client", name, "url", c.ConnectedUrl()) }),
	}, extra...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to nats at %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream context: %w", err)
	}
	// Wait for the first connection so callers can create streams right away.
	deadline := time.Now().Add(15 * time.Second)
	for !nc.IsConnected() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			nc.Close()
			return nil, nil, fmt.Errorf("connect to nats at %s: not connected after 15s; is the server running and the URL right (ECONDIP_NATS_URL)?", url)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nc, js, nil
}
