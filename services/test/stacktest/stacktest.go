// Package stacktest starts the whole econdip system in-process for
// end-to-end tests: embedded NATS on a free port, the package's private
// ClickHouse (from chtest) in a database of its own, the leads API, ingest
// and the dashboard on free ports, and users with known tokens.
package stacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"econdip/analytics/chtest"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/platform/auth"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
	"econdip/services/tools/demo"
)

// Tokens of the test users, by user id.
var Tokens = map[string]string{
	"attache.de-berlin":  "tok-berlin",
	"attache.cn-beijing": "tok-beijing",
	"analyst":            "tok-analyst",
	"secretariat.igc-cn": "tok-sec-cn",
	"secretariat.igc-uz": "tok-sec-uz",
	"admin":              "tok-admin",
}

var dbSeq atomic.Int64

// Options adjust a test stack.
type Options struct {
	Dir string    // data folder to reuse (a restart test); empty: a new temp dir
	Log io.Writer // where the stack logs, at debug level (JSON); nil: nowhere
}

// Start runs a full stack and closes it when the test ends.
func Start(tb testing.TB) *stack.Stack { return StartWith(tb, Options{}) }

// StartWith is Start with options.
func StartWith(tb testing.TB, o Options) *stack.Stack {
	tb.Helper()
	dir := o.Dir
	if dir == "" {
		dir = tb.TempDir()
	}
	users := filepath.Join(dir, "users.json")
	if _, err := os.Stat(users); os.IsNotExist(err) {
		writeUsers(tb, users)
	}
	cfg := stack.Config{
		DataDir: dir, NATSPort: -1, NATSReplicas: 1,
		CHAddr: chtest.Addr(), CHDatabase: fmt.Sprintf("%s_s%d_%d", chtest.Database(), os.Getpid()%1000, dbSeq.Add(1)),
		CHUser: "default", LeadsAddr: "127.0.0.1:0", CommissionsAddr: "127.0.0.1:0", ExportsAddr: "127.0.0.1:0", SearchAddr: "127.0.0.1:0", CompaniesAddr: "127.0.0.1:0", DashboardAddr: "127.0.0.1:0", IngestAddr: "127.0.0.1:0", UsersFile: users, IngestBatch: 500,
	}
	if o.Dir != "" {
		// A restart keeps its database: it is named after the folder.
		cfg.CHDatabase = fmt.Sprintf("%s_r%x", chtest.Database(), hash(dir))
	}
	log := obs.Discard()
	if o.Log != nil {
		log = obs.NewLogger(o.Log, "json", "debug")
	}
	s := stack.New(cfg, log, reference.Default())
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(func() { cancel(); s.Close() })
	must(tb, s.LoadUsers(false))
	must(tb, s.StartNATS(ctx, true))
	must(tb, s.StartClickHouse(ctx, false))
	must(tb, s.RunIngest(ctx))
	must(tb, s.ServeLeads(ctx))
	must(tb, s.ServeCommissions(ctx))
	must(tb, s.ServeExports(ctx))
	must(tb, s.ServeCompanies(ctx))
	must(tb, s.RunNotify(ctx))
	must(tb, s.ServeSearch(ctx))
	must(tb, s.ServeDashboard())
	return s
}

func hash(s string) uint32 {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func writeUsers(tb testing.TB, path string) {
	tb.Helper()
	f := auth.File{Users: []auth.Entry{
		{User: auth.User{ID: "attache.de-berlin", Name: "Attaché Berlin", Role: auth.Attache, Post: "de-berlin"}},
		{User: auth.User{ID: "attache.cn-beijing", Name: "Attaché Beijing", Role: auth.Attache, Post: "cn-beijing"}},
		{User: auth.User{ID: "analyst", Name: "Analyst", Role: auth.Analyst}},
		{User: auth.User{ID: "secretariat.igc-cn", Name: "Secretariat KZ-CN", Role: auth.Secretariat, Commission: "igc-cn"}},
		{User: auth.User{ID: "secretariat.igc-uz", Name: "Secretariat KZ-UZ", Role: auth.Secretariat, Commission: "igc-uz"}},
		{User: auth.User{ID: "admin", Name: "Admin", Role: auth.Admin}},
	}}
	for i := range f.Users {
		f.Users[i].TokenSHA256 = auth.HashToken(Tokens[f.Users[i].ID])
	}
	raw, _ := json.Marshal(f)
	must(tb, os.WriteFile(path, raw, 0o600))
}

// Response is a decoded HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r Response) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Do sends a request with a bearer token (none when token is empty).
func Do(tb testing.TB, method, url, token, body string, headers ...string) Response {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	must(tb, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	must(tb, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	must(tb, err)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// Eventually polls cond until it is true or the timeout passes.
func Eventually(tb testing.TB, timeout time.Duration, what string, cond func() (bool, error)) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		ok, err := cond()
		if ok && err == nil {
			return
		}
		lastErr = err
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("%s: not true after %s (last error: %v)", what, timeout, lastErr)
}

// DemoUsers are the demo's people: an administrator, an analyst, an attaché
// of every post and a secretariat of every demo commission.
func DemoUsers() []auth.User {
	users := []auth.User{{ID: "admin", Name: "Admin", Role: auth.Admin}, {ID: "analyst", Name: "Analyst", Role: auth.Analyst}}
	for _, p := range reference.Default().Posts() {
		users = append(users, auth.User{ID: "attache." + p.Code, Name: "Attaché, " + p.CityEN, Role: auth.Attache, Post: p.Code})
	}
	for _, id := range demo.CommissionIDs() {
		users = append(users, auth.User{ID: "secretariat." + id, Name: "Secretariat, " + id, Role: auth.Secretariat, Commission: id})
	}
	return users
}

// StartWithUsers runs a full stack whose users are users, each with the
// token "tok-" + id (the returned map, by user id): Tokens covers only two
// posts and two commissions.
func StartWithUsers(tb testing.TB, users []auth.User) (*stack.Stack, map[string]string) {
	tb.Helper()
	dir := tb.TempDir()
	tokens := map[string]string{}
	var f auth.File
	for _, u := range users {
		tokens[u.ID] = "tok-" + u.ID
		f.Users = append(f.Users, auth.Entry{User: u, TokenSHA256: auth.HashToken(tokens[u.ID])})
	}
	raw, err := json.Marshal(f)
	must(tb, err)
	// StartWith keeps a users file it finds in the folder.
	must(tb, os.WriteFile(filepath.Join(dir, "users.json"), raw, 0o600))
	return StartWith(tb, Options{Dir: dir}), tokens
}
