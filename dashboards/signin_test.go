package dashboards_test

// Sign-in over HTTP, without a browser: the sign-in form's own CSRF token
// (login CSRF) and the limits per account and per client address. Clients
// dial from different loopback addresses (127.0.0.2, 127.0.0.3) so that the
// dashboard sees them as different sources.
//
//	go test -count=1 -run Finding11 ./dashboards/ -v

import (
	"context"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"econdip/dashboards"
	"econdip/events"
	"econdip/services/identity"
	"econdip/services/platform/auth"
	"econdip/services/platform/i18n"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
)

const signinUser, signinPassword = "analyst.signin", "a long enough password"

// signinDashboard serves a dashboard with only what sign-in needs (no
// ClickHouse, no APIs) and an account with a password and a personal token.
func signinDashboard(t *testing.T, opts identity.Options) (base, token string) {
	t.Helper()
	srv := natstest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := events.EnsureStreams(ctx, srv.JS, events.StreamOptions{Replicas: 1}); err != nil {
		t.Fatal(err)
	}
	opts.BcryptCost = bcrypt.MinCost
	id, err := identity.New(ctx, srv.JS, reference.Default(), obs.Discard(), opts)
	if err != nil {
		t.Fatal(err)
	}
	admin := auth.User{ID: "admin", Role: auth.Admin}
	if _, err := id.CreateUser(ctx, admin, signinUser, identity.Details{Name: "Signin", Role: "analyst"}, signinPassword); err != nil {
		t.Fatal(err)
	}
	if token, _, err = id.CreateToken(ctx, admin, signinUser, "laptop"); err != nil {
		t.Fatal(err)
	}
	app, err := dashboards.New(dashboards.Config{Users: id, Identity: id, Ref: reference.Default(), Log: obs.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String(), token
}

// signinClient is a cookie-keeping HTTP client dialling from one address.
type signinClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func clientFrom(t *testing.T, base, ip string) *signinClient {
	jar, _ := cookiejar.New(nil)
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &signinClient{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		Transport:     &http.Transport{DialContext: dialer.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var formToken = regexp.MustCompile(`<input type="hidden" name="csrf" value="([^"]*)">`)

// signinPage is an answer to GET or POST /signin.
type signinPage struct {
	status int
	header http.Header
	body   string
	csrf   string // the form's token, if the answer has the form
}

func (c *signinClient) do(method string, form url.Values) signinPage {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+"/signin", strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	p := signinPage{status: resp.StatusCode, header: resp.Header, body: html.UnescapeString(string(raw))}
	if m := formToken.FindStringSubmatch(string(raw)); m != nil {
		p.csrf = m[1]
	}
	return p
}

// open loads the sign-in page and returns its form's token.
func (c *signinClient) open() string {
	c.t.Helper()
	p := c.do(http.MethodGet, nil)
	if p.status != http.StatusOK || p.csrf == "" {
		c.t.Fatalf("GET /signin: %d, form token %q", p.status, p.csrf)
	}
	return p.csrf
}

func (c *signinClient) signIn(csrf, user, password, token string) signinPage {
	c.t.Helper()
	form := url.Values{"user": {user}, "password": {password}}
	if token != "" {
		form = url.Values{"token": {token}}
	}
	if csrf != "" {
		form.Set("csrf", csrf)
	}
	return c.do(http.MethodPost, form)
}

func signedIn(p signinPage) bool {
	return p.status == http.StatusSeeOther && p.header.Get("Location") == "/" && strings.Contains(strings.Join(p.header.Values("Set-Cookie"), "\n"), "econdip_session=")
}

// TestFinding11_SigninRefusesAFormWithoutItsToken: POST /signin needs the
// token that GET /signin put in the form and in a cookie (login CSRF); a
// form without it, or with another browser's, is refused with the sign-in
// page saying to sign in again, before any password is checked (three
// wrong ones would pause the account). That page's form works.
func TestFinding11_SigninRefusesAFormWithoutItsToken(t *testing.T) {
	base, token := signinDashboard(t, identity.Options{MaxFailures: 3})
	want := i18n.T(i18n.EN, "error.signin_csrf")
	mine := clientFrom(t, base, "127.0.0.1")
	theirs := clientFrom(t, base, "127.0.0.1")
	theirToken := theirs.open()
	for _, c := range []struct {
		name string
		post func() signinPage
	}{
		{"neither the cookie nor the form's token (another site's form)", func() signinPage {
			return clientFrom(t, base, "127.0.0.1").signIn("", signinUser, "wrong password 1", "")
		}},
		{"the cookie, but not the form's token", func() signinPage { mine.open(); return mine.signIn("", signinUser, "wrong password 2", "") }},
		{"the form's token, but not the cookie", func() signinPage {
			return clientFrom(t, base, "127.0.0.1").signIn(theirToken, signinUser, "wrong password 3", "")
		}},
		{"another browser's token", func() signinPage { mine.open(); return mine.signIn(theirToken, signinUser, "wrong password 4", "") }},
		{"a personal token without the form's token", func() signinPage { return mine.signIn("", "", "", token) }},
	} {
		p := c.post()
		if p.status != http.StatusForbidden || !strings.Contains(p.body, want) || p.csrf == "" {
			t.Errorf("%s: %d, want 403 with the sign-in form and %q; body:\n%.600s", c.name, p.status, want, p.body)
		}
	}
	// The refused page's own form signs in: nothing was counted against the account.
	p := mine.signIn("", signinUser, signinPassword, "")
	if p = mine.signIn(p.csrf, signinUser, signinPassword, ""); !signedIn(p) {
		t.Errorf("the form of the refusal page, with the right password: %d %v\n%.600s", p.status, p.header, p.body)
	}
	if p = theirs.signIn(theirToken, "", "", token); !signedIn(p) {
		t.Errorf("a personal token with the form's token: %d %v\n%.600s", p.status, p.header, p.body)
	}
}

// TestFinding11_SigninLimitsTheStrangersAddressNotTheUser: a stranger's
// wrong passwords pause the account's password sign-in for a while (the
// user's personal token still signs in, and lifts the pause), and block the
// stranger's address, with 429 and Retry-After, but not the user's.
func TestFinding11_SigninLimitsTheStrangersAddressNotTheUser(t *testing.T) {
	base, token := signinDashboard(t, identity.Options{MaxFailures: 3, SourceMaxFailures: 5, SourceLockFor: time.Hour})
	stranger, user := clientFrom(t, base, "127.0.0.2"), clientFrom(t, base, "127.0.0.3")
	strangerForm, userForm := stranger.open(), user.open()
	for i, st := range []struct {
		who      *signinClient
		password string // "" for the personal token
		status   int
		says     string
	}{
		{stranger, "wrong guess 1", http.StatusUnauthorized, "password is wrong"},
		{stranger, "wrong guess 2", http.StatusUnauthorized, "password is wrong"},
		{stranger, "wrong guess 3", http.StatusUnauthorized, "password is wrong"},
		{user, signinPassword, http.StatusUnauthorized, "locked for 1 more minutes"},
		{user, "", http.StatusSeeOther, ""}, // the token, which lifts the pause
		{user, signinPassword, http.StatusSeeOther, ""},
		{stranger, "wrong guess 4", http.StatusUnauthorized, "password is wrong"},
		{stranger, "wrong guess 5", http.StatusUnauthorized, "password is wrong"},
		{stranger, signinPassword, http.StatusTooManyRequests, "from your network address"},
		{user, signinPassword, http.StatusSeeOther, ""},
	} {
		form, tok := strangerForm, ""
		if st.who == user {
			form = userForm
		}
		if st.password == "" {
			tok = token
		}
		p := st.who.signIn(form, signinUser, st.password, tok)
		if p.status != st.status || !strings.Contains(p.body, st.says) || (st.status == http.StatusSeeOther && !signedIn(p)) {
			t.Errorf("step %d: %d, want %d saying %q; body:\n%.600s", i+1, p.status, st.status, st.says, p.body)
		}
		if st.status == http.StatusTooManyRequests {
			if secs, err := strconv.Atoi(p.header.Get("Retry-After")); err != nil || secs < 3590 || secs > 3600 {
				t.Errorf("step %d: Retry-After %q, want about an hour", i+1, p.header.Get("Retry-After"))
			}
		}
	}
}
