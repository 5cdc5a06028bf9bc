package natsx_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"golang.org/x/crypto/bcrypt"

	"econdip/events"
	"econdip/services/platform/natsx"
)

// The deploy files below are generated from ServiceAccess, so the
// documentation and the server configuration cannot drift from the table
// the tests check. Regenerate with:
//
//	go test ./services/platform/natsx -run TestDeployFiles -update
var update = flag.Bool("update", false, "rewrite the deploy files from the permissions table")

const deployDir = "../../../deploy"

const (
	tableBegin = "<!-- permissions table: generated from services/platform/natsx (ServiceAccess) by `go test ./services/platform/natsx -run TestDeployFiles -update` -->\n"
	tableEnd   = "<!-- end of the permissions table -->\n"
)

// passwordHashEnv names the server's environment variable that holds the
// bcrypt hash of service's password.
func passwordHashEnv(service string) string {
	return "ECONDIP_NATS_" + strings.ToUpper(strings.ReplaceAll(service, "-", "_")) + "_PASSWORD_HASH"
}

func markdownTable() string {
	var b strings.Builder
	b.WriteString("| NATS user | stores events on | follows (consumers, messages) | reads single messages of | durable consumer `" + events.ConsumerIngest + "` on | key-value buckets, object stores | JetStream setup |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	list := func(names []string) string {
		if len(names) == 0 {
			return "–"
		}
		return strings.Join(names, ", ")
	}
	for _, s := range natsx.Services() {
		a := natsx.ServiceAccess[s]
		var kv []string
		for _, bkt := range a.KVWrite {
			kv = append(kv, bkt+" read, write")
		}
		for _, bkt := range a.KVRead {
			kv = append(kv, bkt+" read")
		}
		for _, bkt := range a.KVOpen {
			kv = append(kv, bkt+" open only")
		}
		for _, o := range a.Objects {
			kv = append(kv, o+" object store: put, get, delete")
		}
		follow := list(a.Follow)
		setup := "–"
		if a.Manage {
			follow, setup = "every stream", "creates and updates streams, consumers, buckets"
		}
		appends := a.Append
		for _, p := range a.Publish {
			appends = append(appends, "`"+p+"`")
		}
		durable := list(a.Durable)
		if len(a.Queue) > 0 {
			durable = "work queue " + strings.Join(a.Queue, ", ")
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", s, list(appends), follow, list(a.Lookup), durable, list(kv), setup)
	}
	return b.String()
}

// quoted is a configuration array of subjects, one a line, at indent.
func quoted(subjects []string, indent string) string {
	var b strings.Builder
	b.WriteString("[\n")
	for _, s := range subjects {
		b.WriteString(indent + "  \"" + s + "\"\n")
	}
	return b.String() + indent + "]"
}

func serverConfig() string {
	var b strings.Builder
	b.WriteString(`# econdip's NATS users, one per service, with least-privilege permissions.
# Generated from services/platform/natsx (ServiceAccess) by
#   go test ./services/platform/natsx -run TestDeployFiles -update
# Do not edit: a test fails when this file and the table disagree.
#
# Include it in each server's configuration (see deploy/README.md):
#   include ./econdip-users.conf
# Every password is a bcrypt hash that the server reads from its own
# environment (ECONDIP_NATS_<SERVICE>_PASSWORD_HASH); no secret is in this
# file. Services present the plain password (ECONDIP_NATS_PASSWORD_FILE).

authorization {
  users = [
`)
	for _, s := range natsx.Services() {
		p := natsx.ServicePermissions(s)
		fmt.Fprintf(&b, "    {\n      user: %q\n      password: $%s\n      permissions: {\n", s, passwordHashEnv(s))
		fmt.Fprintf(&b, "        publish: {\n          allow: %s\n", quoted(p.Publish, "          "))
		if len(p.DenyPublish) > 0 {
			fmt.Fprintf(&b, "          deny: %s\n", quoted(p.DenyPublish, "          "))
		}
		fmt.Fprintf(&b, "        }\n        subscribe: {\n          allow: %s\n        }\n      }\n    }\n", quoted(p.Subscribe, "          "))
	}
	b.WriteString("  ]\n}\n")
	return b.String()
}

func nscScript() string {
	var b strings.Builder
	b.WriteString(`#!/bin/sh
# econdip's NATS users for a cluster in operator mode (JWT), with nsc.
# Generated from services/platform/natsx (ServiceAccess) by
#   go test ./services/platform/natsx -run TestDeployFiles -update
# Do not edit: a test fails when this file and the table disagree.
#
# usage: nsc-users.sh <folder for the .creds files>
# Run where nsc holds the operator; then push the account to the resolver
# (nsc push -a ECONDIP) and hand each service its .creds file as a secret
# (ECONDIP_NATS_CREDS). A .creds file holds the user's private key: keep it
# out of the repository and out of images.
set -eu
out=${1:?usage: nsc-users.sh <folder for the .creds files>}
account=${ECONDIP_NSC_ACCOUNT:-ECONDIP}
umask 077
mkdir -p "$out"
nsc describe account --name "$account" >/dev/null 2>&1 || nsc add account --name "$account"
nsc edit account --name "$account" --js-mem-storage -1 --js-disk-storage -1 --js-streams -1 --js-consumer -1
`)
	join := func(s []string) string { return "'" + strings.Join(s, ",") + "'" }
	for _, s := range natsx.Services() {
		p := natsx.ServicePermissions(s)
		fmt.Fprintf(&b, "\nnsc add user --account \"$account\" --name %s \\\n  --allow-pub %s \\\n", s, join(p.Publish))
		if len(p.DenyPublish) > 0 {
			fmt.Fprintf(&b, "  --deny-pub %s \\\n", join(p.DenyPublish))
		}
		fmt.Fprintf(&b, "  --allow-sub %s\n", join(p.Subscribe))
		fmt.Fprintf(&b, "nsc generate creds --account \"$account\" --name %s > \"$out/%s.creds\"\n", s, s)
	}
	return b.String()
}

func TestDeployFiles(t *testing.T) {
	readme := filepath.Join(deployDir, "README.md")
	raw, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, tableBegin), strings.Index(doc, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the permissions table markers", readme)
	}
	want := doc[:i+len(tableBegin)] + markdownTable() + doc[j:]
	files := map[string]string{
		readme: want,
		filepath.Join(deployDir, "nats", "econdip-users.conf"): serverConfig(),
		filepath.Join(deployDir, "nats", "nsc-users.sh"):       nscScript(),
	}
	for path, content := range files {
		if *update {
			mode := os.FileMode(0o644)
			if strings.HasSuffix(path, ".sh") {
				mode = 0o755
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), mode); err != nil {
				t.Fatal(err)
			}
			continue
		}
		have, err := os.ReadFile(path)
		if err != nil || string(have) != content {
			t.Errorf("%s is out of date with the permissions table (%v): run go test ./services/platform/natsx -run TestDeployFiles -update", path, err)
		}
	}
}

// TestServerConfigEnforcesTheTable runs a nats-server on the generated
// configuration, passwords hashed in its environment as in production.
func TestServerConfigEnforcesTheTable(t *testing.T) {
	dir := t.TempDir()
	users, err := os.ReadFile(filepath.Join(deployDir, "nats", "econdip-users.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "econdip-users.conf"), users, 0o600); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("listen: \"127.0.0.1:-1\"\njetstream { store_dir: %q }\ninclude ./econdip-users.conf\n", filepath.Join(dir, "js"))
	if err := os.WriteFile(filepath.Join(dir, "nats-server.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	passwords := natsx.RandomPasswords(natsx.Services()...)
	for s, pw := range passwords {
		hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv(passwordHashEnv(s), string(hash))
	}
	opts, err := server.ProcessConfigFile(filepath.Join(dir, "nats-server.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.Users) != len(natsx.Services()) {
		t.Fatalf("%d users in the configuration, want %d", len(opts.Users), len(natsx.Services()))
	}
	for _, u := range opts.Users {
		p := natsx.ServicePermissions(u.Username)
		if !slices.Equal(u.Permissions.Publish.Allow, p.Publish) || !slices.Equal(u.Permissions.Publish.Deny, p.DenyPublish) ||
			!slices.Equal(u.Permissions.Subscribe.Allow, p.Subscribe) {
			t.Errorf("%s: configuration permissions %+v %+v, table %+v", u.Username, u.Permissions.Publish, u.Permissions.Subscribe, p)
		}
		if !strings.HasPrefix(u.Password, "$2") {
			t.Errorf("%s: password not read as a bcrypt hash from the environment", u.Username)
		}
	}
	opts.NoSigs = true
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	for _, s := range natsx.Services() {
		nc, err := nats.Connect(srv.ClientURL(), nats.UserInfo(s, passwords[s]))
		if err != nil {
			t.Errorf("%s connects with its password: %v", s, err)
			continue
		}
		nc.Close()
	}
	if nc, err := nats.Connect(srv.ClientURL()); err == nil {
		nc.Close()
		t.Error("a connection without credentials was accepted")
	}
}
