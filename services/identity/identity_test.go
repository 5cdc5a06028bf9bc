package identity_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"econdip/events"
	"econdip/services/identity"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
)

var admin = auth.User{ID: "admin", Role: auth.Admin}

func start(t *testing.T) (*identity.Service, *natstest.Server) {
	t.Helper()
	return startWith(t, identity.Options{BcryptCost: bcrypt.MinCost, MaxFailures: 3, LockFor: time.Minute})
}

// startWith runs the service with opts on a new embedded NATS server.
func startWith(t *testing.T, opts identity.Options) (*identity.Service, *natstest.Server) {
	t.Helper()
	srv := natstest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := events.EnsureStreams(ctx, srv.JS, events.StreamOptions{Replicas: 1}); err != nil {
		t.Fatal(err)
	}
	s, err := identity.New(ctx, srv.JS, reference.Default(), obs.Discard(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, srv
}

func fieldOf(err error) string {
	if e, ok := err.(*apperr.Error); ok && len(e.Fields) > 0 {
		return e.Fields[0].Field + ":" + e.Fields[0].Key
	}
	return string(apperr.CodeOf(err))
}

func TestAccountsAreValidatedAndOnlyAdministratorsManageThem(t *testing.T) {
	s, _ := start(t)
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		actor auth.User
		id    string
		d     identity.Details
		pw    string
		want  string
	}{
		{"an analyst may not", auth.User{ID: "a", Role: auth.Analyst}, "x.y", identity.Details{Name: "X", Role: "analyst"}, "", "forbidden"},
		{"bad id", admin, "X Y", identity.Details{Name: "X", Role: "analyst"}, "", "id:error.user_id"},
		{"attaché without a post", admin, "att.x", identity.Details{Name: "X", Role: "attache"}, "", "post:error.no_such_post"},
		{"analyst with a post", admin, "ana.x", identity.Details{Name: "X", Role: "analyst", Post: "de-berlin"}, "", "post:error.scope_role"},
		{"secretariat without a commission", admin, "sec.x", identity.Details{Name: "X", Role: "secretariat"}, "", "commission:error.commission_id"},
		{"unknown role", admin, "r.x", identity.Details{Name: "X", Role: "minister"}, "", "role:error.one_of"},
		{"short password", admin, "p.x", identity.Details{Name: "X", Role: "analyst"}, "short", "password:error.password_short"},
	} {
		_, err := s.CreateUser(ctx, c.actor, c.id, c.d, c.pw)
		if got := fieldOf(err); got != c.want {
			t.Errorf("%s: %v (%s), want %s", c.name, err, got, c.want)
		}
	}
	u, err := s.CreateUser(ctx, admin, "attache.de-berlin", identity.Details{Name: "Aigerim", Role: "attache", Post: "de-berlin"}, "correct horse battery")
	if err != nil || u.Version != 1 || u.PasswordHash == "" || strings.Contains(u.PasswordHash, "horse") {
		t.Fatalf("create: %+v %v", u, err)
	}
	if _, err := s.CreateUser(ctx, admin, "attache.de-berlin", identity.Details{Name: "Again", Role: "analyst"}, ""); apperr.CodeOf(err) != apperr.Conflict {
		t.Errorf("a second account with the id: %v", err)
	}
	// A stale version is a conflict; a role change takes effect.
	if _, err := s.UpdateUser(ctx, admin, u.ID, 7, identity.Details{Name: "Aigerim", Role: "analyst"}); apperr.CodeOf(err) != apperr.Conflict {
		t.Errorf("stale version: %v", err)
	}
	u, err = s.UpdateUser(ctx, admin, u.ID, 1, identity.Details{Name: "Aigerim S.", Role: "analyst"})
	if err != nil || u.Role != "analyst" || u.Post != "" || u.Version != 2 {
		t.Fatalf("update: %+v %v", u, err)
	}
	hist, err := s.History(ctx, admin, u.ID)
	if err != nil || len(hist) != 2 || hist[1].Actor != "admin" || hist[1].Change != "details" || strings.Join(hist[1].Changed, ",") != "name,role,post" {
		t.Errorf("history: %+v %v", hist, err)
	}
}

func TestSignInSessionsLockoutAndSignOut(t *testing.T) {
	s, _ := start(t)
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, admin, "analyst.one", identity.Details{Name: "One", Role: "analyst"}, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	// Wrong password and unknown account: the same answer.
	for _, id := range []string{"analyst.one", "nobody"} {
		if _, err := s.SignIn(ctx, id, "wrong password!!"); apperr.CodeOf(err) != apperr.Unauthorized || !strings.Contains(err.Error(), "user id or the password is wrong") {
			t.Errorf("sign in as %s with a wrong password: %v", id, err)
		}
	}
	sess, err := s.SignIn(ctx, "Analyst.One ", "a long enough password")
	if err != nil || !strings.HasPrefix(sess.Token, "eds_") || sess.CSRF == "" || sess.User.ID != "analyst.one" {
		t.Fatalf("sign in: %+v %v", sess, err)
	}
	if u, err := s.Authenticate(sess.Token); err != nil || u.ID != "analyst.one" {
		t.Fatalf("the session token: %+v %v", u, err)
	}
	// Three failures lock the account, even for the right password.
	for range 3 {
		_, _ = s.SignIn(ctx, "analyst.one", "not the password")
	}
	if _, err := s.SignIn(ctx, "analyst.one", "a long enough password"); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("after three failures: %v", err)
	}
	// A minute later the lock has run out.
	s.SetClock(func() time.Time { return time.Now().Add(2 * time.Minute) })
	if _, err := s.SignIn(ctx, "analyst.one", "a long enough password"); err != nil {
		t.Errorf("after the lock: %v", err)
	}
	s.SetClock(time.Now)
	// Signing out ends the session everywhere; disabling the account ends the others.
	if err := s.SignOut(ctx, sess.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(sess.Token); apperr.CodeOf(err) != apperr.Unauthorized {
		t.Errorf("a signed-out session: %v", err)
	}
	other, err := s.SignIn(ctx, "analyst.one", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetDisabled(ctx, admin, "analyst.one", 0, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(other.Token); apperr.CodeOf(err) != apperr.Unauthorized {
		t.Errorf("a session of a disabled account: %v", err)
	}
	if _, err := s.SignIn(ctx, "analyst.one", "a long enough password"); apperr.CodeOf(err) != apperr.Unauthorized {
		t.Errorf("a disabled account signs in: %v", err)
	}
}

func TestPersonalTokensAreShownOnceAndRevocable(t *testing.T) {
	s, srv := start(t)
	ctx := context.Background()
	me := auth.User{ID: "analyst.two", Role: auth.Analyst}
	if _, err := s.CreateUser(ctx, admin, me.ID, identity.Details{Name: "Two", Role: "analyst"}, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateToken(ctx, auth.User{ID: "someone.else", Role: auth.Analyst}, me.ID, "x"); apperr.CodeOf(err) != apperr.Forbidden {
		t.Errorf("another user's token: %v", err)
	}
	plain, tok, err := s.CreateToken(ctx, me, me.ID, "reporting script")
	if err != nil || !strings.HasPrefix(plain, "edp_") || tok.SHA256 == plain {
		t.Fatalf("create token: %q %+v %v", plain, tok, err)
	}
	if u, err := s.Authenticate(plain); err != nil || u.ID != me.ID {
		t.Fatalf("the token: %+v %v", u, err)
	}
	// Only the hash is in the log.
	st, _ := srv.JS.Stream(ctx, events.StreamUsers)
	info, _ := st.Info(ctx)
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		msg, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(msg.Data), plain) {
			t.Fatalf("event %d holds the plain token", seq)
		}
		if err := events.ValidateSchema(msg.Data); err != nil {
			t.Errorf("event %d: %v", seq, err)
		}
	}
	if err := s.RevokeToken(ctx, me, me.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(plain); apperr.CodeOf(err) != apperr.Unauthorized {
		t.Errorf("a revoked token: %v", err)
	}
	// A session opened from a token is a session.
	plain2, _, _ := s.CreateToken(ctx, admin, me.ID, "second")
	sess, err := s.SessionForToken(ctx, plain2)
	if err != nil || sess.User.ID != me.ID || !strings.HasPrefix(sess.Token, "eds_") {
		t.Fatalf("session for a token: %+v %v", sess, err)
	}
}

func TestImportKeepsExistingAccounts(t *testing.T) {
	s, srv := start(t)
	ctx := context.Background()
	hash, _ := bcrypt.GenerateFromPassword([]byte("demo password 123"), bcrypt.MinCost)
	file := auth.File{Users: []auth.Entry{
		{User: auth.User{ID: "admin", Name: "Admin", Role: auth.Admin}, TokenSHA256: auth.HashToken("tok-admin"), PasswordBcrypt: string(hash)},
		{User: auth.User{ID: "attache.cn-beijing", Name: "Beijing", Role: auth.Attache, Post: "cn-beijing"}, TokenSHA256: auth.HashToken("tok-beijing")},
	}}
	if n, err := s.Import(ctx, file); err != nil || n != 2 {
		t.Fatalf("import: %d %v", n, err)
	}
	if n, err := s.Import(ctx, file); err != nil || n != 0 {
		t.Fatalf("import again: %d %v", n, err)
	}
	if u, err := s.Authenticate("tok-beijing"); err != nil || u.Post != "cn-beijing" {
		t.Errorf("imported token: %+v %v", u, err)
	}
	if _, err := s.SignIn(ctx, "admin", "demo password 123"); err != nil {
		t.Errorf("imported password: %v", err)
	}
	// Another process (or a restart) rebuilds the accounts from the stream;
	// ids with dots are several subject tokens.
	again, err := identity.New(ctx, srv.JS, reference.Default(), obs.Discard(), identity.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := again.Authenticate("tok-beijing"); err != nil || u.ID != "attache.cn-beijing" {
		t.Errorf("after a restart: %+v %v", u, err)
	}
}

// TestANewPasswordOrARevokedTokenEndsTheSessionsBefore: a password set by
// its user or reset by an administrator ends every session opened with the
// old one; a session opened with a personal token ends when the token is
// revoked; sessions opened afterwards, and other tokens' sessions, live on.
func TestANewPasswordOrARevokedTokenEndsTheSessionsBefore(t *testing.T) {
	s, _ := start(t)
	ctx := context.Background()
	me := auth.User{ID: "analyst.three", Role: auth.Analyst}
	if _, err := s.CreateUser(ctx, admin, me.ID, identity.Details{Name: "Three", Role: "analyst"}, "the first long password"); err != nil {
		t.Fatal(err)
	}
	alive := func(what string, sess identity.Session, want bool) {
		t.Helper()
		_, err := s.Authenticate(sess.Token)
		if (err == nil) != want {
			t.Errorf("%s: authenticate = %v, want alive %v", what, err, want)
		}
	}
	laptop, err := s.SignIn(ctx, me.ID, "the first long password")
	if err != nil {
		t.Fatal(err)
	}
	phone, _ := s.SignIn(ctx, me.ID, "the first long password")
	plain, tok, _ := s.CreateToken(ctx, me, me.ID, "script")
	viaToken, err := s.SessionForToken(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, me, me.ID, "the first long password", "the second long password"); err != nil {
		t.Fatal(err)
	}
	alive("a session opened before the user's new password", laptop, false)
	alive("another session opened before it", phone, false)
	alive("a session opened with a personal token", viaToken, true) // not the password's
	after, err := s.SignIn(ctx, me.ID, "the second long password")
	if err != nil {
		t.Fatal(err)
	}
	alive("a session opened with the new password", after, true)
	if err := s.SetPassword(ctx, admin, me.ID, "", "reset by the administrator"); err != nil {
		t.Fatal(err)
	}
	alive("a session opened before an administrator's reset", after, false)
	if err := s.RevokeToken(ctx, me, me.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	alive("the session of a revoked token", viaToken, false)
}

// An account's language is set like its details (its user or an
// administrator, with the version read), recorded on the USERS stream, and
// carried by its sessions and tokens at once.
func TestLanguageSettingFollowsTheAccount(t *testing.T) {
	s, srv := start(t)
	ctx := context.Background()
	me := auth.User{ID: "analyst.lang", Role: auth.Analyst}
	u, err := s.CreateUser(ctx, admin, me.ID, identity.Details{Name: "Lang", Role: "analyst"}, "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := s.CreateToken(ctx, me, me.ID, "script")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := s.SignIn(ctx, me.ID, "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	u, _ = s.User(me, me.ID)
	for _, c := range []struct {
		name    string
		actor   auth.User
		version int
		lang    string
		want    string
	}{
		{"another user", auth.User{ID: "someone.else", Role: auth.Analyst}, u.Version, "kk", "forbidden"},
		{"not a language of the catalogue", me, u.Version, "de", "lang:error.one_of"},
		{"a tag, not the code", me, u.Version, "kk-KZ", "lang:error.one_of"},
		{"a stale version", me, u.Version - 1, "kk", "conflict"},
		{"the same as stored", me, u.Version, "", "invalid"},
	} {
		if _, err := s.SetLang(ctx, c.actor, me.ID, c.version, c.lang); fieldOf(err) != c.want {
			t.Errorf("%s: %v (%s), want %s", c.name, err, fieldOf(err), c.want)
		}
	}
	if u, err = s.SetLang(ctx, me, me.ID, u.Version, "kk"); err != nil || u.Lang != "kk" {
		t.Fatalf("set kk: %+v %v", u, err)
	}
	for what, tok := range map[string]string{"session": sess.Token, "token": plain} {
		if got, err := s.Authenticate(tok); err != nil || got.Lang != "kk" {
			t.Errorf("the %s's user after setting kk: %+v %v", what, got, err)
		}
	}
	// An administrator may set it too, and "" gives the browser's back.
	if u, err = s.SetLang(ctx, admin, me.ID, u.Version, ""); err != nil || u.Lang != "" {
		t.Fatalf("admin clears it: %+v %v", u, err)
	}
	if got, _ := s.Authenticate(plain); got.Lang != "" {
		t.Errorf("after clearing, the token's user has %q", got.Lang)
	}
	history, err := s.History(ctx, me, me.ID)
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, h := range history {
		changes = append(changes, h.Actor+":"+h.Change)
	}
	if want := "analyst.lang:language admin:language"; !strings.HasSuffix(strings.Join(changes, " "), want) {
		t.Errorf("history %q, want it to end with %q", changes, want)
	}
	st, _ := srv.JS.Stream(ctx, events.StreamUsers)
	info, _ := st.Info(ctx)
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		msg, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if err := events.ValidateSchema(msg.Data); err != nil {
			t.Errorf("event %d: %v", seq, err)
		}
	}
}
