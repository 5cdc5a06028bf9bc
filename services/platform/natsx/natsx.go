// Package natsx starts an embedded NATS server with JetStream on disk (the
// local default and the tests) and connects clients to it or to an external
// cluster (production).
package natsx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
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
	// Users, when set, makes the server require authentication: only these
	// users connect, each with its permissions (see EmbeddedUsers). Empty:
	// anyone who reaches the port connects with every right.
	Users []*server.User
}

// StartEmbedded runs a NATS server with JetStream in this process and waits until it accepts clients.
func StartEmbedded(opts EmbeddedOptions) (*server.Server, error) {
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Port == 0 {
		opts.Port = -1
	}
	if opts.Port > 0 {
		// Said plainly: the server itself only fails to become ready.
		ln, err := net.Listen("tcp", net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port)))
		if err != nil {
			return nil, fmt.Errorf("embedded nats: cannot listen on %s:%d: %w (another process, perhaps another econdip, uses the port: stop it, or choose another port with ECONDIP_NATS_PORT)", opts.Host, opts.Port, err)
		}
		ln.Close()
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
		Users:        opts.Users,
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
// retries the initial connect and reconnects forever, logging each change
// and every error the server reports (a refused subject among them).
// Credentials come in extra (Credentials.Options); a password in the URL
// works too. Neither is ever logged or put in an error: URLs are redacted.
func Connect(ctx context.Context, url, name string, log *slog.Logger, extra ...nats.Option) (*nats.Conn, jetstream.JetStream, error) {
	opts := append([]nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("nats disconnected", "client", name, "err", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("nats reconnected", "client", name, "url", c.ConnectedUrlRedacted())
		}),
		// Permission violations arrive here, naming the subject refused.
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				log.Error("nats error", "client", name, "subscription", sub.Subject, "err", err)
				return
			}
			log.Error("nats error", "client", name, "err", err)
		}),
		// After the same authentication error twice the client gives up
		// for good (a rotated password the server no longer accepts).
		nats.ClosedHandler(func(c *nats.Conn) {
			if err := c.LastError(); isAuthError(err) {
				log.Error("nats connection closed: the server refused the credentials", "client", name, "err", err)
			}
		}),
	}, extra...)
	shown := RedactURL(url)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to nats at %s: %w", shown, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream context: %w", err)
	}
	// Wait for the first connection so callers can create streams right away.
	deadline := time.Now().Add(15 * time.Second)
	for !nc.IsConnected() {
		if nc.IsClosed() {
			err := nc.LastError()
			nc.Close()
			if isAuthError(err) {
				return nil, nil, fmt.Errorf("connect to nats at %s as %s: the server refused the credentials (%s, %s or %s): %w", shown, name, EnvUser, EnvPasswordFile, EnvCreds, err)
			}
			return nil, nil, fmt.Errorf("connect to nats at %s: %w", shown, err)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			err := nc.LastError()
			nc.Close()
			return nil, nil, fmt.Errorf("connect to nats at %s: not connected after 15s (%v); is the server running and the URL right (ECONDIP_NATS_URL)?", shown, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nc, js, nil
}

func isAuthError(err error) bool {
	return errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) || errors.Is(err, nats.ErrAuthRevoked)
}

// secretMask replaces a password or token in a URL that is logged.
const secretMask = "xxxxx"

// RedactURL hides the password (or token) of each URL in a comma-separated
// server list, keeping the user name.
func RedactURL(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		at := strings.LastIndex(p, "@")
		if at < 0 {
			continue
		}
		start := 0
		if k := strings.Index(p, "://"); k >= 0 && k < at {
			start = k + 3
		}
		userinfo := secretMask // a token alone
		if j := strings.Index(p[start:at], ":"); j >= 0 {
			userinfo = p[start:start+j+1] + secretMask // keep the user, hide the password
		}
		parts[i] = p[:start] + userinfo + p[at:]
	}
	return strings.Join(parts, ",")
}
