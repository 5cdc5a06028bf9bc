package dashboards_test

// The shell of every page, over HTTP: the sign-in page in the browser's
// language, the header's menu of each role (every link opens), the
// account's language setting (the account page's form and the header's
// menu) and API errors in the user's language.
//
//	go test -count=1 -run Shell ./dashboards/ -v

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/crypto/bcrypt"

	"econdip/dashboards"
	"econdip/services/identity"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
	"econdip/services/test/stacktest"
)

// get fetches a page with headers given as name, value pairs.
func fetch(t *testing.T, c *http.Client, target string, headers ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest("GET", target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(raw)
}

func TestShellSigninPageInTheBrowsersLanguage(t *testing.T) {
	base, _ := signinDashboard(t, identity.Options{BcryptCost: bcrypt.MinCost})
	for _, tc := range []struct{ accept, cookie, lang, heading string }{
		{"ru", "", "ru", "Вход"},
		{"kk-KZ,kk;q=0.9,ru;q=0.8", "", "kk", "Кіру"},
		{"de-DE,de;q=0.9", "", "en", "Sign in"},
		{"ru", "kk", "kk", "Кіру"}, // a language chosen on this browser before wins over its default
	} {
		headers := []string{"Accept-Language", tc.accept}
		if tc.cookie != "" {
			headers = append(headers, "Cookie", httpx.LangCookie+"="+tc.cookie)
		}
		status, h, body := fetch(t, http.DefaultClient, base+"/signin", headers...)
		if status != http.StatusOK || !strings.Contains(body, `<html lang="`+tc.lang+`"`) || h.Get("Content-Language") != tc.lang {
			t.Errorf("Accept-Language %q, cookie %q: %d, Content-Language %q; want %s\n%.300s", tc.accept, tc.cookie, status, h.Get("Content-Language"), tc.lang, body)
		}
		for _, key := range []string{"ui.signin.title", "ui.signin.user", "ui.signin.password", "ui.signin.with_token"} {
			if want := html.EscapeString(i18n.T(i18n.Lang(tc.lang), key)); !strings.Contains(body, want) {
				t.Errorf("%s sign-in page lacks %s %q", tc.lang, key, want)
			}
		}
		if !strings.Contains(body, "<h1>"+tc.heading+"</h1>") {
			t.Errorf("%s sign-in page: no <h1>%s</h1>", tc.lang, tc.heading)
		}
	}
}

// TestShellLanguageSettingFromTheAccountPageAndTheMenu: a signed-in user
// sets a language on the account page (with the version read); the page,
// the next pages and the sign-in page after signing out follow it; the
// header's language menu then changes the setting and comes back to the
// page it was on, never to another site.
func TestShellLanguageSettingFromTheAccountPageAndTheMenu(t *testing.T) {
	base, _ := signinDashboard(t, identity.Options{BcryptCost: bcrypt.MinCost})
	c := clientFrom(t, base, "127.0.0.1")
	if p := c.signIn(c.open(), signinUser, signinPassword, ""); !signedIn(p) {
		t.Fatalf("sign in: %d %.300s", p.status, p.body)
	}
	page := func(path string) (int, string) {
		t.Helper()
		status, _, body := fetch(t, c.http, base+path, "Accept-Language", "en")
		return status, body
	}
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		resp, err := c.http.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}
	status, body := page("/account")
	csrf, version := formToken.FindStringSubmatch(body), regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(body)
	if status != http.StatusOK || csrf == nil || version == nil || !strings.Contains(body, `id="lang-form"`) {
		t.Fatalf("account page: %d, csrf %v, version %v", status, csrf, version)
	}
	// Without a setting the header's menu is links (the browser's choice).
	if !strings.Contains(body, `href="/account?lang=ru"`) {
		t.Errorf("without a setting the language menu has no link to /account?lang=ru")
	}
	if s, _ := post("/account/language", url.Values{"csrf": {csrf[1]}, "version": {"1"}, "lang": {"kk"}}); s != http.StatusConflict && s != http.StatusBadRequest {
		t.Errorf("a stale version: %d, want a refusal", s)
	}
	if s, loc := post("/account/language", url.Values{"csrf": {csrf[1]}, "version": {version[1]}, "lang": {"kk"}}); s != http.StatusSeeOther || loc != "/account?saved=language" {
		t.Fatalf("set kk: %d → %q", s, loc)
	}
	status, body = page("/account?saved=language")
	if status != http.StatusOK || !strings.Contains(body, `<html lang="kk"`) || !strings.Contains(body, html.EscapeString(i18n.T(i18n.KK, "ui.account.lang_saved"))) {
		t.Fatalf("after setting kk the account page is not in Kazakh: %d %.400s", status, body)
	}
	// The setting outranks ?lang= and Accept-Language.
	if _, body = page("/account?lang=en"); !strings.Contains(body, `<html lang="kk"`) {
		t.Errorf("?lang=en overrode the user's setting")
	}
	// With a setting the menu is a form that changes it and comes back.
	if !strings.Contains(body, `action="/account/language"`) || !strings.Contains(body, `name="back" value="/account"`) {
		t.Errorf("with a setting the language menu is not a form posting to /account/language")
	}
	if s, loc := post("/account/language", url.Values{"csrf": {csrf[1]}, "lang": {"ru"}, "back": {"/account?tab=1"}}); s != http.StatusSeeOther || loc != "/account?tab=1" {
		t.Fatalf("the menu's ru: %d → %q", s, loc)
	}
	if _, body = page("/account"); !strings.Contains(body, `<html lang="ru"`) || !strings.Contains(body, "Ваша учётная запись") {
		t.Errorf("after choosing ru in the menu the page is not in Russian")
	}
	for _, back := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example"} {
		if _, loc := post("/account/language", url.Values{"csrf": {csrf[1]}, "lang": {"en"}, "back": {back}}); loc != "/" {
			t.Errorf("back %q led to %q, want /", back, loc)
		}
	}
	if s, _ := post("/account/language", url.Values{"lang": {"kk"}}); s != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d, want 403", s)
	}
	// Signed out, the sign-in page stays in the language last chosen.
	_, _ = post("/account/language", url.Values{"csrf": {csrf[1]}, "lang": {"kk"}, "back": {"/account"}})
	if s, _ := post("/signout", url.Values{"csrf": {csrf[1]}}); s != http.StatusSeeOther {
		t.Fatalf("sign out: %d", s)
	}
	if _, body = page("/signin"); !strings.Contains(body, `<html lang="kk"`) {
		t.Errorf("after signing out the sign-in page is not in the language chosen")
	}
}

// shellRoles are a user of each role in the test stack.
var shellRoles = []struct {
	user string
	role auth.Role
}{
	{"attache.de-berlin", auth.Attache}, {"secretariat.igc-cn", auth.Secretariat}, {"analyst", auth.Analyst}, {"admin", auth.Admin},
}

var navLink = regexp.MustCompile(`<nav[^>]*>(.*?)</nav>`)
var hrefOf = regexp.MustCompile(`href="([^"]+)"`)

// TestShellMenuOfEachRoleOpens: every link of a role's menu answers 200 to
// that role, and the header shows exactly the menu's links; a secretariat's
// menu has no investment or export figures.
func TestShellMenuOfEachRoleOpens(t *testing.T) {
	s := stacktest.Start(t)
	setupCommission(t, s) // the secretariat's register is its commission's
	base := "http://" + s.DashboardAddr
	for _, r := range shellRoles {
		paths := dashboards.MenuPaths(r.role)
		if len(paths) < 3 {
			t.Errorf("%s: menu %q", r.role, paths)
		}
		for _, p := range paths {
			if res := stacktest.Do(t, "GET", base+p, stacktest.Tokens[r.user], ""); res.Status != http.StatusOK {
				t.Errorf("%s: menu link %s answers %d: %.300s", r.role, p, res.Status, res.Body)
			}
		}
		res := stacktest.Do(t, "GET", base+"/account", stacktest.Tokens[r.user], "")
		m := navLink.FindStringSubmatch(string(res.Body))
		if m == nil {
			t.Fatalf("%s: no <nav> on /account", r.role)
		}
		var shown []string
		for _, h := range hrefOf.FindAllStringSubmatch(m[1], -1) {
			shown = append(shown, h[1])
		}
		if !slices.Equal(shown, paths) {
			t.Errorf("%s: the header shows %q, the menu is %q", r.role, shown, paths)
		}
	}
	for _, p := range dashboards.MenuPaths(auth.Secretariat) {
		if p == "/analyst/pipeline" || p == "/analyst/exports" || p == "/analyst/barriers" {
			t.Errorf("the secretariat's menu has %s, which refuses it", p)
		}
	}
}

// TestShellAPIErrorsInTheUsersLanguage: a refused lead names its error in
// the language asked for (Accept-Language) or, before that, the user's own
// setting, carried by their personal token; the code stays the same.
func TestShellAPIErrorsInTheUsersLanguage(t *testing.T) {
	s := stacktest.Start(t)
	leads := "http://" + s.LeadsAddr + "/api/v1/leads"
	bad := `{"investor_name":"Rhein Optik GmbH","investor_country":"DE","title":"Lens plant","clauses":["2.2"],
		"investment_type":"greenfield","capex":{"amount":"-5","currency":"USD"},"source":"own_research"}`
	send := func(token string, headers ...string) httpx.ErrorBody {
		t.Helper()
		r := stacktest.Do(t, "POST", leads, token, bad, headers...)
		var e httpx.ErrorBody
		if err := json.Unmarshal(r.Body, &e); err != nil || r.Status != http.StatusBadRequest || len(e.Fields) == 0 {
			t.Fatalf("a negative capex: %d %s", r.Status, r.Body)
		}
		return e
	}
	token := stacktest.Tokens["attache.de-berlin"]
	en, kk := send(token, "Accept-Language", "en"), send(token, "Accept-Language", "kk")
	if kk.Code != en.Code || kk.Fields[0].Key != en.Fields[0].Key || kk.Fields[0].Field != en.Fields[0].Field {
		t.Errorf("the codes differ by language: en %+v, kk %+v", en, kk)
	}
	if want := i18n.T(i18n.KK, "error.fields_invalid"); kk.Error != want {
		t.Errorf("kk error %q, want %q", kk.Error, want)
	}
	// Strict where the Kazakh API messages exist (api.kk.json): Cyrillic.
	if i18n.Has(i18n.KK, "error.fields_invalid") && !hasCyrillic(kk.Error) {
		t.Errorf("kk error %q is not Kazakh", kk.Error)
	}
	if i18n.Has(i18n.KK, kk.Fields[0].Key) && !hasCyrillic(kk.Fields[0].Message) {
		t.Errorf("kk field message %q is not Kazakh", kk.Fields[0].Message)
	}
	// The user's own setting comes first, with their token.
	if _, err := s.Identity.SetLang(context.Background(), auth.User{ID: "admin", Role: auth.Admin}, "attache.de-berlin", 0, "kk"); err != nil {
		t.Fatal(err)
	}
	if mine := send(token, "Accept-Language", "en"); mine.Error != kk.Error || mine.Code != en.Code {
		t.Errorf("with the setting kk and Accept-Language en: %+v, want the Kazakh %q", mine, kk.Error)
	}
}

func hasCyrillic(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) }) >= 0
}
