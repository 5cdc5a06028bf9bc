package stack_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/nats-io/nats.go"

	"econdip/analytics/chserver"
	"econdip/events"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/platform/natsx"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
)

// startLocalDefault starts NATS and ClickHouse as `econdip up` does: the
// embedded server and a private ClickHouse, both in dir.
func startLocalDefault(t *testing.T, dir string) *stack.Stack {
	t.Helper()
	s := stack.New(stack.Config{DataDir: dir, NATSPort: -1, NATSReplicas: 1, CHDatabase: "econdip", CHUser: "default",
		UsersFile: filepath.Join(dir, "users.json"), IngestAddr: "off"}, obs.Discard(), reference.Default())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := stack.PrepareDataDir(dir, s.Log); err != nil {
		t.Fatal(err)
	}
	if err := s.StartNATS(ctx, true); err != nil {
		s.Close()
		t.Fatal(err)
	}
	if err := s.StartClickHouse(ctx, true); err != nil {
		s.Close()
		t.Fatal(err)
	}
	return s
}

// TestFinding1And2_LocalDefaultRefusesWhoHasNoPassword: the local default's
// NATS and ClickHouse let nobody in without a password, each user has only
// its rights, and the passwords live in files only this user can read,
// the same across restarts.
func TestFinding1And2_LocalDefaultRefusesWhoHasNoPassword(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := startLocalDefault(t, dir)
	defer s.Close()
	sec, err := stack.LoadLocalSecrets(filepath.Join(dir, stack.SecretsDir), obs.Discard())
	if err != nil {
		t.Fatal(err)
	}
	url := s.NATSSrv.ClientURL()

	t.Run("NATS without credentials is refused", func(t *testing.T) {
		for _, opts := range [][]nats.Option{
			nil,
			{nats.UserInfo(natsx.ServiceAdminTool, "")},
			{nats.UserInfo(natsx.ServiceAdminTool, sec.NATS[natsx.ServiceLeads])}, // another user's password
			{nats.UserInfo("default", "")},
		} {
			nc, err := nats.Connect(url, opts...)
			if err == nil {
				nc.Close()
				t.Fatalf("connected to the local default's NATS with %d options and no right password", len(opts))
			}
			if !errors.Is(err, nats.ErrAuthorization) {
				t.Errorf("connect without credentials: %v, want an authorization violation", err)
			}
		}
	})

	t.Run("a service's NATS user has its rights only", func(t *testing.T) {
		refused := make(chan error, 8)
		opts := append(natsx.Credentials{User: natsx.ServiceLeads, Password: sec.NATS[natsx.ServiceLeads],
			InboxPrefix: natsx.InboxPrefix(natsx.ServiceLeads)}.Options(),
			nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { refused <- err }))
		nc, err := nats.Connect(url, opts...)
		if err != nil {
			t.Fatalf("leads with its password: %v", err)
		}
		defer nc.Close()
		// The server refuses asynchronously, with an -ERR the handler gets.
		wantRefused := func(what string) {
			t.Helper()
			select {
			case err := <-refused:
				if !errors.Is(err, nats.ErrPermissionViolation) {
					t.Errorf("%s: %v, want a permissions violation", what, err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("%s: not refused within 10 s", what)
			}
		}
		// The leads service may not write sessions: a forged session is refused.
		if err := nc.Publish("$KV.SESSIONS.forged", []byte(`{"user":{"id":"admin","role":"admin"}}`)); err != nil {
			t.Fatal(err)
		}
		wantRefused("leads publishing a session")
		// Nor read the USERS stream's hashes through a subscription of its own.
		if _, err := nc.SubscribeSync(events.MustSubject(events.UserSubject("admin"))); err != nil {
			t.Fatal(err)
		}
		wantRefused("leads subscribing to a user subject")
	})

	open := func(user, password string) clickhouse.Conn {
		conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{s.CHSrv.Addr}, DialTimeout: 5 * time.Second,
			Auth:     clickhouse.Auth{Database: "econdip", Username: user, Password: password},
			Settings: clickhouse.Settings{"allow_experimental_low_cardinality_type": 1}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return conn
	}

	t.Run("ClickHouse as default without a password is refused", func(t *testing.T) {
		for _, user := range []string{"default", chserver.AdminUser, chserver.WriterUser, chserver.ReadOnlyUser} {
			var ex *clickhouse.Exception
			if err := open(user, "").Ping(t.Context()); !errors.As(err, &ex) {
				t.Errorf("%s without a password: %v, want refused by the server", user, err)
			}
		}
	})

	t.Run("the dashboard's ClickHouse user cannot CREATE, INSERT or DROP", func(t *testing.T) {
		ro := open(chserver.ReadOnlyUser, sec.ClickHouse[chserver.ReadOnlyUser])
		var n uint64
		if err := ro.QueryRow(t.Context(), "SELECT count() FROM events").Scan(&n); err != nil {
			t.Fatalf("the dashboard's user cannot read: %v", err)
		}
		for _, q := range []string{
			"CREATE TABLE stolen (a UInt8) ENGINE = MergeTree ORDER BY a",
			"CREATE DATABASE other",
			"INSERT INTO targets SELECT * FROM targets",
			"DROP TABLE events",
			"DROP DATABASE econdip",
			"TRUNCATE TABLE events",
			"ALTER TABLE events DELETE WHERE 1",
		} {
			var ex *clickhouse.Exception
			if err := ro.Exec(t.Context(), q); !errors.As(err, &ex) || ex.Code != 164 {
				t.Errorf("dashboard user: %s: %v, want refused (READONLY)", q, err)
			}
		}
		if err := s.CH.QueryRow(t.Context(), "SELECT count() FROM system.tables WHERE database = 'econdip' AND name = 'events'").Scan(&n); err != nil || n != 1 {
			t.Errorf("events table after the refused DROP: %d, %v", n, err)
		}
	})

	t.Run("ingest's ClickHouse user inserts but changes no table", func(t *testing.T) {
		w := open(chserver.WriterUser, sec.ClickHouse[chserver.WriterUser])
		for _, q := range []string{"CREATE TABLE stolen (a UInt8) ENGINE = MergeTree ORDER BY a", "DROP TABLE events", "ALTER TABLE events DELETE WHERE 1"} {
			var ex *clickhouse.Exception
			if err := w.Exec(t.Context(), q); !errors.As(err, &ex) {
				t.Errorf("writer: %s: %v, want refused", q, err)
			}
		}
	})

	t.Run("the passwords are private files", func(t *testing.T) {
		for path, want := range map[string]os.FileMode{dir: 0o700, sec.Dir: 0o700, sec.NATSFile(natsx.ServiceAdminTool): 0o600,
			sec.ClickHouseFile(chserver.AdminUser): 0o600, sec.ClickHouseFile(chserver.ReadOnlyUser): 0o600} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s: mode %o, want %o", path, fi.Mode().Perm(), want)
			}
		}
	})

	// A restart uses the same passwords; a file others could read is made
	// private again.
	s.Close()
	if err := os.Chmod(sec.NATSFile(natsx.ServiceLeads), 0o644); err != nil {
		t.Fatal(err)
	}
	again := startLocalDefault(t, dir)
	defer again.Close()
	sec2, err := stack.LoadLocalSecrets(filepath.Join(dir, stack.SecretsDir), obs.Discard())
	if err != nil {
		t.Fatal(err)
	}
	for service, pw := range sec.NATS {
		if sec2.NATS[service] != pw {
			t.Errorf("NATS password of %s changed across a restart", service)
		}
	}
	if fi, _ := os.Stat(sec.NATSFile(natsx.ServiceLeads)); fi.Mode().Perm() != 0o600 {
		t.Errorf("a readable password file stayed readable: mode %o", fi.Mode().Perm())
	}
	nc, err := nats.Connect(again.NATSSrv.ClientURL(), natsx.Credentials{User: natsx.ServiceAdminTool, Password: sec.NATS[natsx.ServiceAdminTool]}.Options()...)
	if err != nil {
		t.Fatalf("the admin tool with the kept password after a restart: %v", err)
	}
	nc.Close()
}
