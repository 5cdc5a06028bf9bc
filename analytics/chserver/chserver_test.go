package chserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

func startServer(t *testing.T, dir string) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	s, err := Start(ctx, Options{Dir: dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

func connect(t *testing.T, addr string) driver.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

type row struct {
	A uint32
	B string
}

func readRows(t *testing.T, conn driver.Conn) []row {
	t.Helper()
	rows, err := conn.Query(t.Context(), "SELECT a, b FROM t ORDER BY a")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.A, &r.B); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestStartQueryStopRestart(t *testing.T) {
	dir := t.TempDir()
	began := time.Now()
	s := startServer(t, dir)
	t.Logf("start took %s, version %s, addr %s, http %s", time.Since(began), s.Version, s.Addr, s.HTTPAddr)
	if s.Dir != dir {
		t.Errorf("Dir = %q, want %q", s.Dir, dir)
	}
	if !strings.HasPrefix(s.Addr, "127.0.0.1:") || !strings.HasPrefix(s.HTTPAddr, "127.0.0.1:") || s.Addr == s.HTTPAddr {
		t.Errorf("Addr = %q, HTTPAddr = %q", s.Addr, s.HTTPAddr)
	}

	conn := connect(t, s.Addr)
	ctx := t.Context()
	var version string
	if err := conn.QueryRow(ctx, "SELECT version()").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version == "" || version != s.Version {
		t.Errorf("SELECT version() = %q, Server.Version = %q", version, s.Version)
	}
	// LowCardinality needs the profile's allow_experimental_low_cardinality_type on 18.16.
	if err := conn.Exec(ctx, "CREATE TABLE t (a UInt32, b LowCardinality(String)) ENGINE = MergeTree ORDER BY a"); err != nil {
		t.Fatal(err)
	}
	want := []row{{1, "one"}, {2, "two"}, {3, "three"}}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO t (a, b)")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range want {
		if err := batch.Append(r.A, r.B); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	if got := readRows(t, conn); !slices.Equal(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}

	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, pidFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file still there after Stop: %v", err)
	}

	// A crashed run leaves its pid file behind; the next Start must not trip on it.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, pidFileName), []byte(strconv.Itoa(gone.Process.Pid)), 0o640); err != nil {
		t.Fatal(err)
	}

	s2 := startServer(t, dir)
	if got := readRows(t, connect(t, s2.Addr)); !slices.Equal(got, want) {
		t.Fatalf("after restart rows = %v, want %v", got, want)
	}
	if err := s2.Stop(); err != nil {
		t.Fatalf("Stop after restart: %v", err)
	}
	for _, name := range []string{"clickhouse-server.log", errLogName, stdoutName, stderrName} {
		if _, err := os.Stat(filepath.Join(dir, "log", name)); err != nil {
			t.Errorf("log file: %v", err)
		}
	}
}

func TestStartRefusesFolderOfRunningServer(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	pid := strconv.Itoa(s.cmd.Process.Pid)
	data, err := os.ReadFile(filepath.Join(dir, pidFileName))
	if err != nil || strings.TrimSpace(string(data)) != pid {
		t.Fatalf("pid file = %q, %v; want %s", data, err, pid)
	}

	_, err = Start(t.Context(), Options{Dir: dir, Logger: testLogger(t)})
	if err == nil {
		t.Fatal("second Start on the same Dir succeeded")
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "(pid "+pid+") is still running") {
		t.Errorf("error does not name pid %s: %v", pid, err)
	}
	// The refused Start must leave the running server alone.
	if err := connect(t, s.Addr).Ping(t.Context()); err != nil {
		t.Errorf("first server unusable after refused Start: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestStartReportsServerErrorLog(t *testing.T) {
	dir := t.TempDir()
	// The server fails at once when it cannot open its status file. (A corrupt
	// metadata file is no good here: 18.16 then often crashes or hangs on its
	// way out.)
	if err := os.MkdirAll(filepath.Join(dir, "data", "status"), 0o750); err != nil {
		t.Fatal(err)
	}
	s, err := Start(t.Context(), Options{Dir: dir, Logger: testLogger(t)})
	if err == nil {
		_ = s.Stop()
		t.Fatal("Start succeeded with a broken data folder")
	}
	t.Log(err)
	for _, want := range []string{"exited before it was ready", "last lines", "data/status", "Is a directory", "delete " + dir} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q", want)
		}
	}
	if strings.Contains(err.Error(), "\n    0. ") {
		t.Errorf("error contains stack frames")
	}
	if _, err := os.Stat(filepath.Join(dir, pidFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file left after failed Start: %v", err)
	}
}

func TestStartPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = Start(t.Context(), Options{Dir: t.TempDir(), TCPPort: port})
	if err == nil || !strings.Contains(err.Error(), "port "+strconv.Itoa(port)+" on 127.0.0.1 is already in use") {
		t.Fatalf("err = %v, want port in use", err)
	}
}

func TestFindBinaryWithoutPATH(t *testing.T) {
	t.Setenv("PATH", "")
	path, args, err := FindBinary()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("found %s %v", path, args)
	if !filepath.IsAbs(path) || !isExecutable(path) {
		t.Errorf("path %q is not an absolute executable", path)
	}
	switch filepath.Base(path) {
	case "clickhouse":
		if !slices.Equal(args, []string{"server"}) {
			t.Errorf("args = %q, want [server]", args)
		}
	case "clickhouse-server":
		if len(args) != 0 {
			t.Errorf("args = %q, want none", args)
		}
		// Debian's 18.16 lives only in /usr/sbin, which is often not on PATH.
		if isExecutable("/usr/sbin/clickhouse-server") && path != "/usr/sbin/clickhouse-server" && !isExecutable("/usr/bin/clickhouse-server") {
			t.Errorf("path = %q, want /usr/sbin/clickhouse-server", path)
		}
	default:
		t.Errorf("unexpected binary %q", path)
	}
}

func TestFindBinaryPrefersClickhouse(t *testing.T) {
	pathDir := t.TempDir()
	for _, name := range []string{"clickhouse-server", "clickhouse"} {
		if err := os.WriteFile(filepath.Join(pathDir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", pathDir)
	saved := binaryDirs
	binaryDirs = nil
	t.Cleanup(func() { binaryDirs = saved })

	path, args, err := FindBinary()
	if err != nil || path != filepath.Join(pathDir, "clickhouse") || !slices.Equal(args, []string{"server"}) {
		t.Errorf("FindBinary() = %q, %q, %v; want %s/clickhouse [server]", path, args, err, pathDir)
	}

	if err := os.Remove(filepath.Join(pathDir, "clickhouse")); err != nil {
		t.Fatal(err)
	}
	path, args, err = FindBinary()
	if err != nil || path != filepath.Join(pathDir, "clickhouse-server") || len(args) != 0 {
		t.Errorf("FindBinary() = %q, %q, %v; want %s/clickhouse-server", path, args, err, pathDir)
	}
}

func TestFindBinaryNotInstalled(t *testing.T) {
	t.Setenv("PATH", "")
	saved := binaryDirs
	binaryDirs = []string{t.TempDir()}
	t.Cleanup(func() { binaryDirs = saved })

	_, _, err := FindBinary()
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("err = %v, want ErrNotInstalled", err)
	}
	if !strings.Contains(err.Error(), "apt-get install -y clickhouse-server clickhouse-client") {
		t.Errorf("error does not say what to install: %v", err)
	}
	_, err = Start(t.Context(), Options{Dir: t.TempDir()})
	if !errors.Is(err, ErrNotInstalled) {
		t.Errorf("Start err = %v, want ErrNotInstalled", err)
	}
}

func TestParseMajorVersion(t *testing.T) {
	for out, want := range map[string]int{
		"ClickHouse server version 24.8.4.13 (official build).\n": 24,
		"ClickHouse server version 25.3.2.39 (official build).":   25,
		"Unknown option specified: version":                       0,
		"":                                                        0,
	} {
		if got := parseMajorVersion(out); got != want {
			t.Errorf("parseMajorVersion(%q) = %d, want %d", out, got, want)
		}
	}
}

func TestLowCardinalityFlagOnlyForOldServers(t *testing.T) {
	const flag = "<allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>"
	for major, want := range map[int]bool{0: true, 18: true, 19: false, 24: false} {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "config"), 0o750); err != nil {
			t.Fatal(err)
		}
		if _, err := writeConfig(dir, 9000, 8123, "x", newUsersConfig(major, Options{}), ""); err != nil {
			t.Fatal(err)
		}
		users, err := os.ReadFile(filepath.Join(dir, "config", "users.xml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"config.xml", "users.xml"} {
			data, err := os.ReadFile(filepath.Join(dir, "config", name))
			if err != nil {
				t.Fatal(err)
			}
			var doc struct{ XMLName xml.Name }
			if err := xml.Unmarshal(data, &doc); err != nil || doc.XMLName.Local != "clickhouse" {
				t.Errorf("%s: root %q, %v", name, doc.XMLName.Local, err)
			}
		}
		if got := strings.Contains(string(users), flag); got != want {
			t.Errorf("major %d: flag written = %v, want %v\n%s", major, got, want, users)
		}
	}
}

// TestPasswordUsersOnly starts a server as `econdip up` does: no
// passwordless default user; an administrator, ingest's writer (no DDL) and
// the dashboard's read-only user, each with a password.
func TestPasswordUsersOnly(t *testing.T) {
	dir := t.TempDir()
	password := "ro-" + strings.ToLower(rand.Text())
	adminPassword, writerPassword := "admin-"+strings.ToLower(rand.Text()), "writer-"+strings.ToLower(rand.Text())
	var logs bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	s, err := Start(ctx, Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		AdminPassword: adminPassword, WriterPassword: writerPassword, ReadOnlyPassword: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })

	users, err := os.ReadFile(filepath.Join(dir, "config", "users.xml"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(password))
	if !strings.Contains(string(users), "<password_sha256_hex>"+hex.EncodeToString(sum[:])+"</password_sha256_hex>") {
		t.Errorf("users.xml lacks the password's SHA-256:\n%s", users)
	}
	for _, pw := range []string{password, adminPassword, writerPassword} {
		if strings.Contains(string(users), pw) || strings.Contains(logs.String(), pw) {
			t.Error("a plain password is in users.xml or the log")
		}
	}
	openDB := func(db, user, password string) driver.Conn {
		conn, err := clickhouse.Open(&clickhouse.Options{
			Addr: []string{s.Addr}, DialTimeout: 5 * time.Second,
			Auth: clickhouse.Auth{Database: db, Username: user, Password: password},
			// As analytics.Open does: every query carries it.
			Settings: clickhouse.Settings{"allow_experimental_low_cardinality_type": 1},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return conn
	}
	open := func(user, password string) driver.Conn { return openDB("econdip_ro_test", user, password) }
	// Nobody connects without a password: not as default, not as any user.
	for _, who := range []struct{ user, password string }{{"default", ""}, {AdminUser, ""}, {WriterUser, ""}, {ReadOnlyUser, ""}, {"default", adminPassword}} {
		err := openDB("default", who.user, who.password).Ping(t.Context())
		var ex *clickhouse.Exception
		if !errors.As(err, &ex) {
			t.Errorf("%s with password %q: %v, want refused", who.user, who.password, err)
		} else if ex.Code != 192 && ex.Code != 193 && ex.Code != 194 && ex.Code != 516 { // UNKNOWN_USER, WRONG_PASSWORD, REQUIRED_PASSWORD, AUTHENTICATION_FAILED
			t.Errorf("%s: code %d %s, want an authentication failure", who.user, ex.Code, ex.Message)
		}
	}
	admin := openDB("default", AdminUser, adminPassword)
	for _, q := range []string{
		"CREATE DATABASE econdip_ro_test",
		"CREATE TABLE econdip_ro_test.t (a UInt32, b String) ENGINE = MergeTree ORDER BY a",
		"INSERT INTO econdip_ro_test.t SELECT toUInt32(number), toString(number) FROM system.numbers LIMIT 2",
	} {
		if err := admin.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	ro := open(ReadOnlyUser, password)
	var n uint64
	const readonlyCode = 164 // READONLY
	// Query settings, as the figures pin them, and changed from their
	// defaults: readonly = 2 allows them (current servers refuse changed
	// settings under readonly = 1).
	for _, settings := range []clickhouse.Settings{{"join_use_nulls": 0}, {"join_use_nulls": 1, "max_execution_time": 30}} {
		qctx := clickhouse.Context(t.Context(), clickhouse.WithSettings(settings))
		if err := ro.QueryRow(qctx, "SELECT count() FROM t").Scan(&n); err != nil || n != 2 {
			t.Fatalf("read-only user SELECT with settings %v: %d, %v", settings, n, err)
		}
	}

	for _, tc := range []struct {
		name string
		ctx  context.Context
		q    string
	}{
		{"insert", t.Context(), "INSERT INTO t SELECT 3, 'three'"},
		{"insert after lowering readonly", clickhouse.Context(t.Context(), clickhouse.WithSettings(clickhouse.Settings{"readonly": 0})), "INSERT INTO t SELECT 3, 'three'"},
		{"create table", t.Context(), "CREATE TABLE u (a UInt32) ENGINE = MergeTree ORDER BY a"},
		{"create database", t.Context(), "CREATE DATABASE other"},
		{"drop table", t.Context(), "DROP TABLE t"},
		{"truncate", t.Context(), "TRUNCATE TABLE t"},
		{"rename", t.Context(), "RENAME TABLE t TO t2"},
		{"alter", t.Context(), "ALTER TABLE t ADD COLUMN c UInt8"},
	} {
		err := ro.Exec(tc.ctx, tc.q)
		var ex *clickhouse.Exception
		if !errors.As(err, &ex) {
			t.Errorf("%s: %v, want refused", tc.name, err)
			continue
		}
		t.Logf("%s: refused: %d %s", tc.name, ex.Code, ex.Message)
		if ex.Code != readonlyCode {
			t.Errorf("%s: code %d %s, want READONLY (%d)", tc.name, ex.Code, ex.Message, readonlyCode)
		}
	}
	// Ingest's way of writing: a native batch.
	err = func() error {
		b, err := ro.PrepareBatch(t.Context(), "INSERT INTO t (a, b)")
		if err != nil {
			return err
		}
		if err := b.Append(uint32(4), "four"); err != nil {
			return err
		}
		return b.Send()
	}()
	if ex := (*clickhouse.Exception)(nil); !errors.As(err, &ex) || ex.Code != readonlyCode {
		t.Errorf("batch insert: %v, want READONLY", err)
	}
	if err := admin.QueryRow(t.Context(), "SELECT count() FROM econdip_ro_test.t").Scan(&n); err != nil || n != 2 {
		t.Errorf("after the refused writes: %d rows, %v; want 2", n, err)
	}
	var tables uint64
	if err := admin.QueryRow(t.Context(), "SELECT count() FROM system.tables WHERE database = 'econdip_ro_test'").Scan(&tables); err != nil || tables != 1 {
		t.Errorf("tables after the refused DDL: %d, %v; want 1", tables, err)
	}

	if err := open(ReadOnlyUser, password+"x").Ping(t.Context()); err == nil {
		t.Error("a wrong password was accepted")
	}

	// Ingest's writer: a native batch insert works; no DDL, and it cannot
	// turn DDL back on.
	w := open(WriterUser, writerPassword)
	b, err := w.PrepareBatch(t.Context(), "INSERT INTO t (a, b)")
	if err == nil {
		if err = b.Append(uint32(5), "five"); err == nil {
			err = b.Send()
		}
	}
	if err != nil {
		t.Fatalf("writer's batch insert: %v", err)
	}
	refused := []struct {
		name string
		ctx  context.Context
		q    string
	}{
		{"create table", t.Context(), "CREATE TABLE u (a UInt32) ENGINE = MergeTree ORDER BY a"},
		{"create database", t.Context(), "CREATE DATABASE other"},
		{"drop table", t.Context(), "DROP TABLE t"},
		{"drop database", t.Context(), "DROP DATABASE econdip_ro_test"},
		{"truncate", t.Context(), "TRUNCATE TABLE t"},
		{"rename", t.Context(), "RENAME TABLE t TO t2"},
		{"alter", t.Context(), "ALTER TABLE t ADD COLUMN c UInt8"},
		{"delete", t.Context(), "ALTER TABLE t DELETE WHERE a = 5"},
	}
	// 18.16 lets a query set allow_ddl back (no settings constraints there:
	// see users.xml.tmpl); from 20.x the profile's constraint refuses it.
	if bin, args := mustBinary(t); serverMajorVersion(t.Context(), bin, args) >= 20 {
		refused = append(refused, struct {
			name string
			ctx  context.Context
			q    string
		}{"create table after allowing DDL", clickhouse.Context(t.Context(), clickhouse.WithSettings(clickhouse.Settings{"allow_ddl": 1})), "CREATE TABLE u (a UInt32) ENGINE = MergeTree ORDER BY a"})
	}
	for _, tc := range refused {
		err := w.Exec(tc.ctx, tc.q)
		var ex *clickhouse.Exception
		if !errors.As(err, &ex) {
			t.Errorf("writer %s: %v, want refused", tc.name, err)
			continue
		}
		t.Logf("writer %s: refused: %d %s", tc.name, ex.Code, ex.Message)
	}
	if err := admin.QueryRow(t.Context(), "SELECT count() FROM econdip_ro_test.t").Scan(&n); err != nil || n != 3 {
		t.Errorf("after the writer's refused DDL: %d rows, %v; want 3", n, err)
	}
}

func mustBinary(t *testing.T) (string, []string) {
	t.Helper()
	bin, args, err := FindBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin, args
}

func TestNoReadOnlyUserWithoutPassword(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "config"), 0o750); err != nil {
		t.Fatal(err)
	}
	if _, err := writeConfig(dir, 9000, 8123, "x", newUsersConfig(24, Options{}), ""); err != nil {
		t.Fatal(err)
	}
	users, err := os.ReadFile(filepath.Join(dir, "config", "users.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(users), ReadOnlyUser) || strings.Contains(string(users), "<readonly>") {
		t.Errorf("users.xml has a read-only user without a password:\n%s", users)
	}
}

func TestExtraConfigGoesInsideTheRoot(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "config"), 0o750); err != nil {
		t.Fatal(err)
	}
	read := func() string {
		data, err := os.ReadFile(filepath.Join(dir, "config", "config.xml"))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	if _, err := writeConfig(dir, 9000, 8123, "x", newUsersConfig(18, Options{}), ""); err != nil {
		t.Fatal(err)
	}
	plain := read()
	if !strings.HasSuffix(plain, "<default_database>default</default_database>\n</clickhouse>\n") {
		t.Errorf("config.xml without extra config ends\n%s", plain[max(0, len(plain)-120):])
	}
	const extra = "    <macros><replica>r1</replica></macros>"
	if _, err := writeConfig(dir, 9000, 8123, "x", newUsersConfig(18, Options{}), extra); err != nil {
		t.Fatal(err)
	}
	withExtra := read()
	if want := strings.Replace(plain, "</clickhouse>", extra+"\n</clickhouse>", 1); withExtra != want {
		t.Errorf("config.xml with extra config:\n%s\nwant\n%s", withExtra, want)
	}
	var doc struct {
		XMLName xml.Name
		Replica string `xml:"macros>replica"`
	}
	if err := xml.Unmarshal([]byte(withExtra), &doc); err != nil || doc.Replica != "r1" {
		t.Errorf("macros>replica = %q, %v", doc.Replica, err)
	}
}
