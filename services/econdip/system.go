package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/analytics"
	"econdip/analytics/chserver"
	"econdip/dashboards"
	"econdip/events"
	"econdip/services/ingest"
	leadsapp "econdip/services/leads/app"
	"econdip/services/leads/httpapi"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/natsx"
	"econdip/services/reference"
)

// system holds the parts one command starts, and stops them in reverse order.
type system struct {
	cfg     Config
	log     *slog.Logger
	ref     *reference.Data
	natsSrv *server.Server
	chSrv   *chserver.Server
	nc      *nats.Conn
	js      jetstream.JetStream
	ch      driver.Conn
	users   *auth.Directory
	stops   []func()
}

func (s *system) onStop(f func()) { s.stops = append(s.stops, f) }

// Close stops everything started, last first.
func (s *system) Close() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
	s.stops = nil
}

// startNATS connects to ECONDIP_NATS_URL, or runs the embedded server when
// embedded is allowed and no URL is set; then it creates the streams.
func (s *system) startNATS(ctx context.Context, embedded bool) error {
	url := s.cfg.NATSURL
	if url == "" {
		if !embedded {
			return errors.New("ECONDIP_NATS_URL is not set: a single service needs the address of the NATS cluster (or use `econdip up` for everything in one process)")
		}
		dir := filepath.Join(s.cfg.DataDir, "nats")
		s.log.Info("starting embedded NATS with JetStream", "store", dir, "port", s.cfg.NATSPort)
		srv, err := natsx.StartEmbedded(natsx.EmbeddedOptions{StoreDir: dir, Port: s.cfg.NATSPort})
		if err != nil {
			return err
		}
		s.natsSrv = srv
		s.onStop(func() { srv.Shutdown(); srv.WaitForShutdown(); s.log.Info("NATS stopped") })
		url = srv.ClientURL()
	}
	nc, js, err := natsx.Connect(ctx, url, "econdip", s.log)
	if err != nil {
		return err
	}
	s.nc, s.js = nc, js
	s.onStop(func() { _ = nc.Drain() })
	if err := events.EnsureStreams(ctx, js, events.StreamOptions{Replicas: s.cfg.NATSReplicas}); err != nil {
		return err
	}
	s.log.Info("NATS ready", "url", url)
	return nil
}

// startClickHouse connects to ECONDIP_CLICKHOUSE_ADDR, or starts the private
// server under the data folder; then it creates the database and migrates.
func (s *system) startClickHouse(ctx context.Context, private bool) error {
	addr := s.cfg.CHAddr
	if addr == "" {
		if !private {
			return errors.New("ECONDIP_CLICKHOUSE_ADDR is not set: a single service needs the ClickHouse address (or use `econdip up`)")
		}
		srv, err := chserver.Start(ctx, chserver.Options{Dir: filepath.Join(s.cfg.DataDir, "clickhouse"), TCPPort: s.cfg.CHPort, HTTPPort: s.cfg.CHHTTPPort, Logger: s.log})
		if err != nil {
			return err
		}
		s.chSrv = srv
		s.onStop(func() {
			if err := srv.Stop(); err != nil {
				s.log.Warn("stopping ClickHouse", "err", err)
			} else {
				s.log.Info("ClickHouse stopped")
			}
		})
		addr = srv.Addr
	}
	base := analytics.Config{Addr: addr, Database: "default", Username: s.cfg.CHUser, Password: s.cfg.CHPassword, TLS: s.cfg.CHTLS}
	boot, err := analytics.Open(ctx, base)
	if err != nil {
		return err
	}
	err = analytics.CreateDatabase(ctx, boot, s.cfg.CHDatabase)
	boot.Close()
	if err != nil {
		return err
	}
	base.Database = s.cfg.CHDatabase
	conn, err := analytics.Open(ctx, base)
	if err != nil {
		return err
	}
	s.ch = conn
	s.onStop(func() { _ = conn.Close() })
	if err := analytics.Migrate(ctx, conn, s.log); err != nil {
		return err
	}
	s.log.Info("ClickHouse ready", "addr", addr, "database", s.cfg.CHDatabase)
	return nil
}

// demoTokensFile holds the plain demo tokens next to the users file, so the
// local default can print them again on every start.
func (s *system) demoTokensFile() string { return filepath.Join(s.cfg.DataDir, "demo-tokens.json") }

// loadUsers reads the users file; with createDemo and no file yet, it first
// writes demo users (an attaché per post, an analyst, an administrator).
func (s *system) loadUsers(createDemo bool) error {
	if _, err := os.Stat(s.cfg.UsersFile); errors.Is(err, os.ErrNotExist) && createDemo {
		if err := s.writeDemoUsers(); err != nil {
			return err
		}
	}
	users, err := auth.LoadFile(s.cfg.UsersFile)
	if err != nil {
		return fmt.Errorf("%w (set ECONDIP_USERS_FILE to a users file)", err)
	}
	s.users = users
	return nil
}

func (s *system) writeDemoUsers() error {
	var file auth.File
	tokens := map[string]string{}
	add := func(u auth.User) {
		tok := auth.NewToken()
		tokens[u.ID] = tok
		file.Users = append(file.Users, auth.Entry{User: u, TokenSHA256: auth.HashToken(tok)})
	}
	add(auth.User{ID: "analyst", Name: "Demo Analyst", Role: auth.Analyst})
	add(auth.User{ID: "admin", Name: "Demo Administrator", Role: auth.Admin})
	for _, p := range s.ref.Posts() {
		add(auth.User{ID: "attache." + p.Code, Name: "Attaché, " + p.City, Role: auth.Attache, Post: p.Code})
	}
	if err := os.MkdirAll(filepath.Dir(s.cfg.UsersFile), 0o755); err != nil {
		return err
	}
	if err := writeJSON(s.demoTokensFile(), tokens); err != nil {
		return err
	}
	return writeJSON(s.cfg.UsersFile, file)
}

func writeJSON(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func (s *system) demoTokens() map[string]string {
	raw, err := os.ReadFile(s.demoTokensFile())
	if err != nil {
		return nil
	}
	var tokens map[string]string
	_ = json.Unmarshal(raw, &tokens)
	return tokens
}

// listen serves app on addr until ctx ends, then shuts it down.
func (s *system) listen(ctx context.Context, name, addr string, app *fiber.App) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: listen on %s: %w (is another process using the port? change the address, see the README)", name, addr, err)
	}
	go func() {
		if err := app.Listener(ln); err != nil {
			s.log.Error(name+" stopped serving", "err", err)
		}
	}()
	s.onStop(func() { _ = app.Shutdown(); s.log.Info(name + " stopped") })
	s.log.Info(name+" listening", "addr", addr)
	return nil
}

func (s *system) serveLeads(ctx context.Context) error {
	svc, err := leadsapp.New(ctx, s.js, s.ref, s.log.With("service", "leads"))
	if err != nil {
		return err
	}
	app := httpx.New(httpx.Options{Name: "leads", Logger: s.log})
	httpapi.Routes(app, svc, s.users)
	return s.listen(ctx, "leads API", s.cfg.LeadsAddr, app)
}

func (s *system) serveDashboard(ctx context.Context) error {
	app, err := dashboards.New(dashboards.Config{LeadsURL: s.cfg.LeadsURL, CH: s.ch, Users: s.users, Ref: s.ref, Log: s.log, Secure: s.cfg.SecureCookies})
	if err != nil {
		return err
	}
	return s.listen(ctx, "dashboard", s.cfg.DashboardAddr, app)
}

// runIngest consumes into ClickHouse until ctx ends; Close waits for its final flush.
func (s *system) runIngest(ctx context.Context) {
	svc := ingest.New(s.js, s.ch, s.ref, s.log, ingest.Config{BatchSize: s.cfg.IngestBatch})
	ictx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := svc.Run(ictx); err != nil {
			s.log.Error("ingest stopped", "err", err)
		}
	}()
	s.onStop(func() { cancel(); <-done; s.log.Info("ingest stopped after flushing") })
}

