package dashboards_test

// A real-browser test of accounts and access: an administrator creates an
// attaché account with a password; the attaché signs in with it, sees only
// the Berlin post's leads, is refused Beijing's lead, changes the password,
// creates a personal API token, uses it and revokes it; an analyst is
// refused a write; five wrong passwords lock the account.
//
//	go test -count=1 -run UIIdentity ./dashboards/ -v
//
// Screenshots go to $ECONDIP_SCREENSHOTS when it is set, else to the test's
// temporary folder; the test logs their paths.

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"econdip/services/identity"
	"econdip/services/leads/httpapi"
	"econdip/services/platform/auth"
	"econdip/services/test/stacktest"
)

const (
	// identityBudget bounds the whole test, the stack's start included.
	identityBudget = 90 * time.Second

	newUser       = "a.seitkali"
	newName       = "Aliya Seitkali"
	firstPassword = "steppe wind over the Rhine"
	newPassword   = "tulips in Almaty in April"

	berlinInvestor, berlinTitle   = "Rhein Optik GmbH", "Optical lens plant in Almaty"
	beijingInvestor, beijingTitle = "Jiangsu Confidential Battery Ltd", "Battery cell plant in Pavlodar"
)

func TestUIIdentityAdminCreatesAnAttacheWhoSignsInWithAPassword(t *testing.T) {
	deadline, cancelAll := context.WithTimeout(context.Background(), identityBudget)
	defer cancelAll()
	exe := chromium(t)
	started := time.Now()
	defer func() { t.Logf("test took %s", time.Since(started).Round(100*time.Millisecond)) }()

	s := stacktest.Start(t)
	leadsAPI := "http://" + s.LeadsAddr + "/api/v1/leads"
	apiLead := func(token, investor, country, title string) httpapi.LeadJSON {
		t.Helper()
		r := stacktest.Do(t, "POST", leadsAPI, token, `{"investor_name":"`+investor+`","investor_country":"`+country+`","title":"`+title+`",
			"clauses":["2.2"],"investment_type":"greenfield","capex":{"amount":"4000000","currency":"USD"},"source":"own_research"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create %s: %d %s", investor, r.Status, r.Body)
		}
		var l httpapi.LeadJSON
		r.JSON(t, &l)
		return l
	}
	berlinLead := apiLead(stacktest.Tokens["attache.de-berlin"], berlinInvestor, "DE", berlinTitle)
	beijingLead := apiLead(stacktest.Tokens["attache.cn-beijing"], beijingInvestor, "CN", beijingTitle)

	b := startBrowser(t, deadline, exe, "http://"+s.DashboardAddr)
	navLinks := func() []string {
		return run(b, "read the nav", 5*time.Second, chromedp.Evaluate[[]string](`[...document.querySelectorAll('header nav a')].map(a => a.getAttribute('href'))`))
	}
	fieldErrors := func() map[string]string {
		return run(b, "read the field errors", 5*time.Second, chromedp.Evaluate[map[string]string](
			`Object.fromEntries([...document.querySelectorAll('.field-error')].map(e => [e.id, e.textContent.trim()]))`))
	}
	noValidate := func(form string) {
		b.do("turn off the browser's validation", 5*time.Second,
			chromedp.Evaluate[chromedp.Void](`document.getElementById('`+form+`').noValidate = true`))
	}

	// 1. The administrator signs in with a token; Users and Audit are in the nav.
	b.signIn(stacktest.Tokens["admin"], "/analyst/scorecard")
	if nav := navLinks(); !slices.Contains(nav, "/admin/users") || !slices.Contains(nav, "/admin/audit") {
		t.Errorf("the administrator's nav %q lacks Users or Audit", nav)
	}
	b.follow("open Users", `header nav a[href="/admin/users"]`, http.StatusOK)
	ids := run(b, "list the accounts", 5*time.Second, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#users tr[data-user]')].map(tr => tr.dataset.user)`))
	for id := range stacktest.Tokens {
		if !slices.Contains(ids, id) {
			t.Errorf("Users lists %q, not %s", ids, id)
		}
	}
	b.checkLayout("list of accounts")
	b.screenshot("identity-1-users")

	// 2. A new attaché account: first with no post and a short password.
	b.follow("open the new-account form", `#new-user`, http.StatusOK)
	b.do("type a new account", 5*time.Second,
		chromedp.SendKeys(chromedp.CSS(`#user-form input[name=id]`), newUser),
		chromedp.SendKeys(chromedp.CSS(`#user-form input[name=name]`), newName),
		chromedp.SetValue(chromedp.CSS(`#user-form select[name=role]`), "attache"),
		chromedp.SendKeys(chromedp.CSS(`#user-form input[name=password]`), "short"),
	)
	if hidden := run(b, "scope fields", 5*time.Second, chromedp.Evaluate[[]bool](
		`[...document.querySelectorAll('#user-form [data-scope]')].map(el => el.hidden)`)); !slices.Equal(hidden, []bool{false, true}) {
		t.Errorf("for an attaché the post should show and the commission not: hidden %v", hidden)
	}
	noValidate("user-form")
	b.follow("submit the account without a post", `#user-form button[type=submit]`, http.StatusBadRequest)
	errs := fieldErrors()
	if len(errs) != 2 || !strings.Contains(errs["err-password"], "at least 12") || !strings.Contains(errs["err-post"], "choose the post") {
		t.Errorf("field errors %q, want the short password and the missing post", errs)
	}
	for field, want := range map[string]string{"id": newUser, "name": newName} {
		if v := run(b, "kept "+field, 5*time.Second, chromedp.Value(chromedp.CSS(`#user-form input[name=`+field+`]`))); v != want {
			t.Errorf("the form shows %s %q after the error, want %q", field, v, want)
		}
	}
	b.checkLayout("new-account form with errors")
	b.screenshot("identity-2-new-account-errors")
	b.do("correct the account", 5*time.Second,
		chromedp.SetValue(chromedp.CSS(`#user-form select[name=post]`), "de-berlin"),
		chromedp.Clear(chromedp.CSS(`#user-form input[name=password]`)),
		chromedp.SendKeys(chromedp.CSS(`#user-form input[name=password]`), firstPassword),
	)
	b.follow("create the account", `#user-form button[type=submit]`, http.StatusOK)
	if p := b.path(); p != "/admin/users/"+newUser {
		t.Fatalf("after creating, the browser is at %s", p)
	}
	b.expectText("created", `p.ok`, "The account is created.")

	// Someone else renames the account while the page is open: saving the
	// old version is refused with the form kept, and goes through after.
	ctx := context.Background()
	admin := auth.User{ID: "admin", Role: auth.Admin}
	if _, err := s.Identity.UpdateUser(ctx, admin, newUser, 1, identity.Details{Name: "Aliya Seitkali-Nur", Role: "attache", Post: "de-berlin"}); err != nil {
		t.Fatal(err)
	}
	b.do("rename", 5*time.Second, chromedp.Clear(chromedp.CSS(`#user-form input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`#user-form input[name=name]`), newName+" (Berlin)"))
	b.follow("save the stale version", `#user-form button[type=submit]`, http.StatusConflict)
	if msg := run(b, "conflict message", 5*time.Second, chromedp.TextContent(chromedp.CSS(`p.error`))); !strings.Contains(msg, "version 2") {
		t.Errorf("the conflict says %q, want the current version 2", msg)
	}
	if v := run(b, "kept name", 5*time.Second, chromedp.Value(chromedp.CSS(`#user-form input[name=name]`))); v != newName+" (Berlin)" {
		t.Errorf("after the conflict the name field shows %q, want what was typed", v)
	}
	b.screenshot("identity-3-stale-version")
	b.follow("save again", `#user-form button[type=submit]`, http.StatusOK)
	b.expectText("saved", `p.ok`, "Saved.")
	history := run(b, "read the account's history", 5*time.Second, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#account-history li')].map(li => li.textContent.replace(/\s+/g, " ").trim())`))
	if len(history) != 3 || !strings.Contains(history[0], "admin: created the account") ||
		!strings.Contains(history[1], "admin: changed name") || !strings.Contains(history[2], "admin: changed name") {
		t.Errorf("the account's history: %q, want the creation and two renames by admin", history)
	}
	b.checkLayout("account page")
	b.screenshot("identity-4-account-page")

	// The audit trail has the two leads' creation, once ingest has them;
	// a range that ends before it starts is refused at the field.
	b.follow("open Audit", `header nav a[href="/admin/audit"]`, http.StatusOK)
	until := time.Now().Add(10 * time.Second)
	for {
		rows := run(b, "read the audit table", 5*time.Second, chromedp.Evaluate[[][]string](
			`[...document.querySelectorAll('#audit-table tbody tr')].map(tr => [...tr.cells].map(td => td.textContent.replace(/\s+/g, " ").trim()))`))
		// Actor, event, record (type and id) and scope of each row.
		if len(rows) == 2 && slices.Equal(rows[0][1:5], []string{"attache.de-berlin", "Investor lead created", "Investor lead " + berlinLead.ID, "Post: Berlin"}) &&
			slices.Equal(rows[1][1:5], []string{"attache.cn-beijing", "Investor lead created", "Investor lead " + beijingLead.ID, "Post: Beijing"}) {
			break
		}
		if time.Now().After(until) {
			t.Fatalf("the audit page shows %q, want the two leads' creation", rows)
		}
		time.Sleep(250 * time.Millisecond)
		b.do("reload the audit page", 10*time.Second, chromedp.Reload())
	}
	if href := run(b, "CSV link", 5*time.Second, chromedp.Evaluate[string](`document.getElementById('audit-csv').getAttribute('href')`)); !strings.HasPrefix(href, "/api/audit.csv?from=") {
		t.Errorf("the CSV link is %q", href)
	}
	b.checkLayout("audit page")
	b.screenshot("identity-4a-audit")
	if status, _ := open(b, "/admin/audit?from=2026-02-10&to=2026-02-01"); status != http.StatusBadRequest {
		t.Errorf("a range ending before it starts: %d, want 400", status)
	}
	if errs := fieldErrors(); !strings.Contains(errs["err-to"], "before the first day") {
		t.Errorf("field errors %q, want the end before the start at to", errs)
	}
	b.screenshot("identity-4b-audit-range-error")

	// 3. Signed out, the new attaché signs in with the id and password.
	b.follow("sign out", `header form.who button[type=submit]`, http.StatusOK)
	passwordSignIn(b, newUser, firstPassword, http.StatusOK)
	if p := b.path(); p != "/attache/board" {
		t.Fatalf("after signing in with a password, the browser is at %s, want the board", p)
	}
	cards := run(b, "read the board", 5*time.Second, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('.board a.lead-card')].map(a => a.textContent.replace(/\s+/g, " ").trim())`))
	if len(cards) != 1 || !strings.Contains(cards[0], berlinInvestor) {
		t.Errorf("the board shows %q, want only the Berlin lead of %s", cards, berlinInvestor)
	}
	if nav := navLinks(); slices.Contains(nav, "/admin/users") || slices.Contains(nav, "/admin/audit") {
		t.Errorf("an attaché's nav has administration links: %q", nav)
	}
	b.screenshot("identity-5-board")

	// 4. Beijing's lead, by its URL: refused, and nothing of it shown.
	status, text := open(b, "/attache/leads/"+beijingLead.ID)
	if status != http.StatusNotFound && status != http.StatusForbidden {
		t.Errorf("another post's lead answered %d, want 404 or 403", status)
	}
	for _, secret := range []string{beijingInvestor, beijingTitle, "Pavlodar", "4000000"} {
		if strings.Contains(text, secret) {
			t.Errorf("the refusal shows %q", secret)
		}
	}
	b.screenshot("identity-6-other-posts-lead")

	// 5. The own account: who, password change with errors, then a token.
	b.follow("open the account", `header a.account-link`, http.StatusOK)
	b.expectText("id", `#account-id`, newUser)
	b.expectText("role", `#account-role`, "Trade attaché")
	b.expectText("scope", `#account-scope`, "Post: Berlin")
	b.do("type a mismatched and short new password", 5*time.Second,
		chromedp.SendKeys(chromedp.CSS(`#password-form input[name=current]`), "not the password"),
		chromedp.SendKeys(chromedp.CSS(`#password-form input[name=password]`), "too short"),
		chromedp.SendKeys(chromedp.CSS(`#password-form input[name=password2]`), "too shirt"),
	)
	noValidate("password-form")
	b.follow("submit the mismatch", `#password-form button[type=submit]`, http.StatusBadRequest)
	if errs := fieldErrors(); len(errs) != 1 || !strings.Contains(errs["err-password2"], "differ") {
		t.Errorf("field errors %q, want only the mismatch", errs)
	}
	b.do("type a short new password", 5*time.Second,
		chromedp.SendKeys(chromedp.CSS(`#password-form input[name=current]`), "not the password"),
		chromedp.SendKeys(chromedp.CSS(`#password-form input[name=password]`), "too short"),
		chromedp.SendKeys(chromedp.CSS(`#password-form input[name=password2]`), "too short"),
	)
	noValidate("password-form")
	b.follow("submit the short password", `#password-form button[type=submit]`, http.StatusBadRequest)
	if errs := fieldErrors(); len(errs) != 1 || !strings.Contains(errs["err-password"], "at least 12") {
		t.Errorf("field errors %q, want only the short password", errs)
	}
	b.checkLayout("account page with a password error")
	b.screenshot("identity-7-password-errors")
	b.do("type a wrong current password", 5*time.Second,
		chromedp.SendKeys(chromedp.CSS(`#password-form input[name=current]`), "not the password"),
		chromedp.SendKeys(chromedp.CSS(`#password-form input[name=password]`), newPassword),
		chromedp.SendKeys(chromedp.CSS(`#password-form input[name=password2]`), newPassword),
	)
	b.follow("submit a wrong current password", `#password-form button[type=submit]`, http.StatusBadRequest)
	if errs := fieldErrors(); len(errs) != 1 || !strings.Contains(errs["err-current"], "current password is wrong") {
		t.Errorf("field errors %q, want only the wrong current password", errs)
	}
	b.do("type the password change", 5*time.Second,
		chromedp.SendKeys(chromedp.CSS(`#password-form input[name=current]`), firstPassword),
		chromedp.SendKeys(chromedp.CSS(`#password-form input[name=password]`), newPassword),
		chromedp.SendKeys(chromedp.CSS(`#password-form input[name=password2]`), newPassword),
	)
	b.follow("change the password", `#password-form button[type=submit]`, http.StatusOK)
	if msg := run(b, "changed", 5*time.Second, chromedp.TextContent(chromedp.CSS(`p.ok`))); !strings.HasPrefix(msg, "Your password is changed.") {
		t.Errorf("after the change the page says %q", msg)
	}

	b.do("name a token", 5*time.Second, chromedp.SendKeys(chromedp.CSS(`#token-form input[name=name]`), "monthly report script"))
	b.follow("create a token", `#token-form button[type=submit]`, http.StatusOK)
	plain := run(b, "read the new token", 5*time.Second, chromedp.Value(chromedp.ID("new-token-value")))
	if !strings.HasPrefix(plain, "edp_") {
		t.Fatalf("the new token is %q", plain)
	}
	b.do("copy the token", 5*time.Second, chromedp.Click(chromedp.CSS(`#new-token button[data-copy]`)))
	// The clipboard is asynchronous: wait for the button to say what happened.
	if label := waitFor[string](b, "copy the token", 5*time.Second, `(() => {
		const t = document.querySelector('#new-token button[data-copy]').textContent;
		return t === "Copy" ? null : t;
	})()`); label != "Copied" && !strings.HasPrefix(label, "Selected") {
		t.Errorf("after Copy the button says %q", label)
	}
	b.checkLayout("account page with a new token")
	b.screenshot("identity-8-new-token")
	r := stacktest.Do(t, "GET", leadsAPI, plain, "")
	var list httpapi.ListJSON
	if r.Status == http.StatusOK {
		r.JSON(t, &list)
	}
	if r.Status != http.StatusOK || list.Total != 1 || list.Leads[0].InvestorName != berlinInvestor {
		t.Errorf("the leads API with the new token: %d %s, want the Berlin lead only", r.Status, r.Body)
	}
	b.do("reload the account page", 10*time.Second, chromedp.Navigate(b.base+"/account"), chromedp.WaitVisible(chromedp.ID("token-table")))
	if shown := run(b, "token shown again?", 5*time.Second, chromedp.Evaluate[bool](
		`document.getElementById('new-token') !== null || document.body.innerHTML.includes(`+jsString(plain)+`)`)); shown {
		t.Error("the token is shown again after a reload")
	}
	b.follow("revoke the token", `#token-table .revoke-form button[type=submit]`, http.StatusOK)
	b.expectText("revoked", `p.ok`, "The token is revoked: every service refuses it from now on.")
	if state := run(b, "token state", 5*time.Second, chromedp.TextContent(chromedp.CSS(`#token-table .token-state`))); !strings.HasPrefix(strings.TrimSpace(state), "revoked") {
		t.Errorf("the token's state is %q after revoking", state)
	}
	if r := stacktest.Do(t, "GET", leadsAPI, plain, ""); r.Status != http.StatusUnauthorized {
		t.Errorf("the leads API with the revoked token: %d %s, want 401", r.Status, r.Body)
	}
	b.screenshot("identity-9-token-revoked")

	// 6. An analyst reads but may not write a lead, nor manage accounts.
	b.follow("sign out", `header form.who button[type=submit]`, http.StatusOK)
	b.signIn(stacktest.Tokens["analyst"], "/analyst/scorecard")
	if r := stacktest.Do(t, "POST", leadsAPI, stacktest.Tokens["analyst"], `{"investor_name":"Analyst GmbH","investor_country":"DE","title":"x",
		"clauses":["2.2"],"investment_type":"greenfield","capex":{"amount":"1","currency":"USD"},"source":"own_research"}`); r.Status != http.StatusForbidden {
		t.Errorf("an analyst's POST of a lead: %d %s, want 403", r.Status, r.Body)
	}
	if status, text := open(b, "/admin/users"); status != http.StatusForbidden || !strings.Contains(strings.ToLower(text), "only administrators") {
		t.Errorf("an analyst opening Users: %d %q, want 403 saying only administrators may", status, text)
	}
	b.screenshot("identity-10-analyst-refused")

	// 7. Five wrong passwords lock the account: then even the right one is refused.
	b.follow("sign out", `header form.who button[type=submit]`, http.StatusOK)
	for i := range 5 {
		passwordSignIn(b, newUser, "wrong password "+string(rune('a'+i)), http.StatusUnauthorized)
		b.expectText("refused", `p.error`, "the user id or the password is wrong")
	}
	passwordSignIn(b, newUser, newPassword, http.StatusUnauthorized)
	if msg := run(b, "lock message", 5*time.Second, chromedp.TextContent(chromedp.CSS(`p.error`))); !strings.Contains(msg, "locked") {
		t.Errorf("after five wrong passwords the right one gives %q, want the lock", msg)
	}
	b.checkLayout("sign-in page with the lock")
	b.screenshot("identity-11-locked")

	// 8. The administrator sets a new password, hands out a token, and
	// disables and enables the account: the token follows the account.
	b.signIn(stacktest.Tokens["admin"], "/analyst/scorecard")
	b.do("open the account", 10*time.Second, chromedp.Navigate(b.base+"/admin/users/"+newUser), chromedp.WaitVisible(chromedp.ID("password-form")))
	b.do("type a new password", 5*time.Second,
		chromedp.SendKeys(chromedp.CSS(`#password-form input[name=password]`), "a password set by the admin"),
		chromedp.SendKeys(chromedp.CSS(`#password-form input[name=password2]`), "a password set by the admin"))
	b.follow("set the password", `#password-form button[type=submit]`, http.StatusOK)
	b.do("name a token", 5*time.Second, chromedp.SendKeys(chromedp.CSS(`#token-form input[name=name]`), "laptop"))
	b.follow("create a token for the attaché", `#token-form button[type=submit]`, http.StatusOK)
	handed := run(b, "read the token", 5*time.Second, chromedp.Value(chromedp.ID("new-token-value")))
	b.follow("disable the account", `#disable-form button[type=submit]`, http.StatusOK)
	b.expectText("disabled", `#account-state`, "disabled")
	if r := stacktest.Do(t, "GET", leadsAPI, handed, ""); r.Status != http.StatusUnauthorized {
		t.Errorf("a disabled account's token: %d, want 401", r.Status)
	}
	b.follow("enable the account", `#disable-form button[type=submit]`, http.StatusOK)
	if r := stacktest.Do(t, "GET", leadsAPI, handed, ""); r.Status != http.StatusOK {
		t.Errorf("the token after enabling the account again: %d, want 200", r.Status)
	}
	said := run(b, "read the account's history", 5*time.Second, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#account-history li .change')].map(c => c.textContent.replace(/\s+/g, " ").trim())`))
	want := []string{"admin: created the account", "admin: changed name", "admin: changed name", newUser + ": changed the password",
		newUser + ": created the token “monthly report script”", newUser + ": revoked the token “monthly report script”",
		"admin: set the password", "admin: created the token “laptop”", "admin: disabled the account", "admin: enabled the account"}
	same := len(said) == len(want)
	for i := 0; same && i < len(want); i++ {
		same = strings.HasPrefix(said[i], want[i])
	}
	if !same {
		t.Errorf("the account's history says\n%q\nwant\n%q", said, want)
	}
	b.checkLayout("account page after the administrator's changes")
	b.screenshot("identity-12-account-history")
	b.noExceptions()
}

// passwordSignIn uses the sign-in form with an id and a password.
func passwordSignIn(b *browser, user, password string, status int64) {
	b.t.Helper()
	b.do("open the sign-in page", 10*time.Second,
		chromedp.Navigate(b.base+"/signin"),
		chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), user),
		chromedp.SendKeys(chromedp.ID("password"), password),
	)
	b.follow("sign in as "+user, `form[action="/signin"] button[type=submit]`, status)
}

// open navigates to a path and returns the HTTP status and the text of the page.
func open(b *browser, path string) (int64, string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.tab, 10*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(b.base+path))
	if err != nil {
		b.fail("open "+path, err)
	}
	return resp.Status, run(b, "read "+path, 5*time.Second, chromedp.Evaluate[string](`document.body.innerText`))
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
