package natsx_test

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"econdip/events"
	"econdip/services/platform/natsx"
)

func TestCredentialsFromEnv(t *testing.T) {
	dir := t.TempDir()
	const secret = "s3cret pass "
	pwFile := filepath.Join(dir, "password")
	if err := os.WriteFile(pwFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(dir, "leads.creds")
	if err := os.WriteFile(creds, []byte("-----BEGIN NATS USER JWT-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inbox := natsx.InboxPrefix(natsx.ServiceLeads)
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    natsx.Credentials
		wantErr string
	}{
		{"none: the local embedded server", nil, natsx.Credentials{InboxPrefix: inbox}, ""},
		{"password file, user defaults to the service", map[string]string{natsx.EnvPasswordFile: pwFile},
			natsx.Credentials{User: "leads", Password: secret, InboxPrefix: inbox}, ""},
		{"password and user", map[string]string{natsx.EnvUser: "econdip-leads", natsx.EnvPassword: secret},
			natsx.Credentials{User: "econdip-leads", Password: secret, InboxPrefix: inbox}, ""},
		{"creds file", map[string]string{natsx.EnvCreds: creds}, natsx.Credentials{CredsFile: creds, InboxPrefix: inbox}, ""},
		{"password twice", map[string]string{natsx.EnvPassword: secret, natsx.EnvPasswordFile: pwFile}, natsx.Credentials{}, "set one"},
		{"creds and a password", map[string]string{natsx.EnvCreds: creds, natsx.EnvPassword: secret}, natsx.Credentials{}, "unset the password"},
		{"user without a password", map[string]string{natsx.EnvUser: "leads"}, natsx.Credentials{}, "no password"},
		{"missing password file", map[string]string{natsx.EnvPasswordFile: filepath.Join(dir, "nope")}, natsx.Credentials{}, natsx.EnvPasswordFile},
		{"empty password file", map[string]string{natsx.EnvPasswordFile: empty}, natsx.Credentials{}, "is empty"},
		{"missing creds file", map[string]string{natsx.EnvCreds: filepath.Join(dir, "nope.creds")}, natsx.Credentials{}, natsx.EnvCreds},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := natsx.CredentialsFromEnv(natsx.ServiceLeads, func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %#v, %v; want %#v", got, err, tc.want)
			}
		})
	}
}

func TestCredentialsNeverShowThePassword(t *testing.T) {
	c := natsx.Credentials{User: "leads", Password: "hunter2-hunter2", InboxPrefix: "_INBOX_leads"}
	var logs strings.Builder
	slog.New(slog.NewTextHandler(&logs, nil)).Info("nats", "credentials", c)
	for _, text := range []string{logs.String(), fmt.Sprint(c), fmt.Sprintf("%v %+v %s %#v", c, c, c, c)} {
		if strings.Contains(text, "hunter2") {
			t.Errorf("password shown: %s", text)
		}
	}
	if !strings.Contains(logs.String(), "user=leads") {
		t.Errorf("log does not say who: %s", logs.String())
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"nats://127.0.0.1:4222":                               "nats://127.0.0.1:4222",
		"nats://leads:pw@n1:4222,nats://leads:pw@n2:4222":     "nats://leads:xxxxx@n1:4222,nats://leads:xxxxx@n2:4222",
		"nats://s3cr3ttoken@n1:4222":                          "nats://xxxxx@n1:4222",
		"leads:p@ss@n1:4222":                                  "leads:xxxxx@n1:4222",
		"tls://u:a%20b@nats.example.org:4222, nats://n2:4222": "tls://u:xxxxx@nats.example.org:4222, nats://n2:4222",
	} {
		if got := natsx.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPermissionsTable(t *testing.T) {
	for _, tc := range []struct {
		service, subject string
		want             bool
	}{
		{natsx.ServiceLeads, events.MustSubject(events.LeadSubject("42")), true},
		{natsx.ServiceLeads, events.MustSubject(events.DealSubject("42")), false},
		{natsx.ServiceLeads, events.MustSubject(events.UserSubject("admin")), false},
		{natsx.ServiceDashboard, events.MustSubject(events.UserSubject("attache.de-berlin")), true},
		{natsx.ServiceAdminTool, events.MustSubject(events.UserSubject("admin")), true},
		{natsx.ServiceIngest, events.DeadLetterPrefix + events.StreamLeads, true},
		{natsx.ServiceIngest, "$JS.ACK.LEADS.ingest-clickhouse.1.2.3.4.5.6", true},
		{natsx.ServiceIngest, "$JS.ACK.USERS.ingest-clickhouse.1.2.3.4.5.6", false},
		{natsx.ServiceLeads, "$JS.API.CONSUMER.CREATE.LEADS.abc_1.econdip.leads.*", true},
		{natsx.ServiceLeads, "$JS.API.CONSUMER.CREATE.LEADS.ingest-clickhouse", false},
		{natsx.ServiceLeads, "$JS.API.CONSUMER.MSG.NEXT.LEADS.ingest-clickhouse", false},
		{natsx.ServiceLeads, "$KV.SESSIONS.abc", false},
		{natsx.ServiceDashboard, "$KV.SESSIONS.abc", true},
		{"mallory", events.MustSubject(events.LeadSubject("42")), false},
		{"mallory", "_INBOX.x", false},
	} {
		if got := natsx.CanPublish(tc.service, tc.subject); got != tc.want {
			t.Errorf("CanPublish(%s, %s) = %v, want %v", tc.service, tc.subject, got, tc.want)
		}
	}
	if p := natsx.ServicePermissions("mallory"); len(p.Publish) != 0 || len(p.DenyPublish) == 0 || p.DenyPublish[0] != ">" || p.DenySubscribe[0] != ">" {
		t.Errorf("an unknown service gets %+v, want everything denied", p)
	}
	if natsx.Reads(natsx.ServiceIngest, events.StreamUsers) || !natsx.Reads(natsx.ServiceLeads, events.StreamUsers) ||
		!natsx.Reads(natsx.ServiceCommissions, events.StreamExports) || !natsx.Reads(natsx.ServiceAdminTool, events.StreamDeadLetter) {
		t.Error("Reads disagrees with the table")
	}
	// Every stream of the contract has exactly one service writing its
	// events, besides the admin tool (redrive, rebuild, the users file).
	for _, st := range events.Streams {
		var writers []string
		for _, s := range natsx.Services() {
			if s != natsx.ServiceAdminTool && natsx.CanPublish(s, strings.TrimSuffix(st.Subjects[0], ">")+"x") {
				writers = append(writers, s)
			}
		}
		if !natsx.CanPublish(natsx.ServiceAdminTool, strings.TrimSuffix(st.Subjects[0], ">")+"x") {
			t.Errorf("the admin tool cannot write %s (redrive, rebuild)", st.Name)
		}
		if len(writers) != 1 {
			t.Errorf("%s is written by %v", st.Name, writers)
		}
	}
	if _, err := natsx.EmbeddedUsers(map[string]string{"mallory": "x"}); err == nil {
		t.Error("EmbeddedUsers accepted an unknown service")
	}
	if _, err := natsx.EmbeddedUsers(map[string]string{natsx.ServiceLeads: ""}); err == nil {
		t.Error("EmbeddedUsers accepted an empty password")
	}
}

// TestEmbeddedSaysThePortIsTaken: a port in use is named as such, with the
// variable that moves it, not as a server that "did not become ready".
func TestEmbeddedSaysThePortIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = natsx.StartEmbedded(natsx.EmbeddedOptions{StoreDir: t.TempDir(), Port: ln.Addr().(*net.TCPAddr).Port})
	if err == nil || !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), "ECONDIP_NATS_PORT") {
		t.Fatalf("embedded NATS on a taken port: %v, want an error saying the port is in use and naming ECONDIP_NATS_PORT", err)
	}
}
