package dashboards

// Own account: who you are (id, name, role, scope), your password and your
// personal API tokens. Every change goes through the identity service, which
// checks that the actor is the account's user (or an administrator) and
// records who made it on the USERS stream.

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
)

// accountView is what the account pages show of an account: never its
// password or token hashes.
type accountView struct {
	ID, Name, Role, Post, Commission string
	Lang                             string // the account's language setting; empty: the browser's
	Scope                            string // in the page's language, e.g. "Post: Berlin", "IGC igc-cn", "all"
	Disabled, HasPassword            bool
	Version                          int
	Created, Updated                 time.Time
	Tokens                           []tokenView // newest first
	ActiveTokens                     int
}

// tokenView is a personal API token without its hash.
type tokenView struct {
	ID, Name, CreatedBy string
	Created             time.Time
	Revoked             *time.Time
}

func (s *Server) viewOf(lang i18n.Lang, u events.UserV1) accountView {
	v := accountView{ID: u.ID, Name: u.Name, Role: u.Role, Post: u.Post, Commission: u.Commission, Lang: u.Lang, Disabled: u.Disabled,
		HasPassword: u.PasswordHash != "", Version: u.Version, Created: u.CreatedAt, Updated: u.UpdatedAt}
	switch {
	case u.Post != "":
		v.Scope = i18n.T(lang, "ui.account.scope_post", s.postCity(lang, u.Post))
	case u.Commission != "":
		v.Scope = i18n.T(lang, "ui.account.scope_commission", u.Commission)
	default:
		v.Scope = i18n.T(lang, "ui.account.scope_all")
	}
	for _, t := range u.Tokens {
		v.Tokens = append(v.Tokens, tokenView{ID: t.ID, Name: t.Name, CreatedBy: t.CreatedBy, Created: t.CreatedAt, Revoked: t.RevokedAt})
		if t.RevokedAt == nil {
			v.ActiveTokens++
		}
	}
	slices.Reverse(v.Tokens)
	return v
}

// postCity names a foreign post by its city; a code the list lacks shows as it is.
func (s *Server) postCity(lang i18n.Lang, code string) string {
	if p, ok := s.cfg.Ref.Post(code); ok {
		return p.City(lang)
	}
	return code
}

// scopeText names a writer's scope as events record it ("post:de-berlin",
// "commission:igc-cn", "global") in lang.
func (s *Server) scopeText(lang i18n.Lang, scope string) string {
	switch kind, id, _ := strings.Cut(scope, ":"); kind {
	case "post":
		return i18n.T(lang, "ui.account.scope_post", s.postCity(lang, id))
	case "commission":
		return i18n.T(lang, "ui.account.scope_commission", id)
	case "global":
		return i18n.T(lang, "ui.account.scope_all")
	}
	return scope
}

// accountPage is the data of the own-account page.
type accountPage struct {
	Account accountView
	// NewToken is a token just created: shown once, on this response only.
	NewToken, NewTokenName string
	TokenName              string // typed into the token form, kept after an error
	Saved                  string
	Error                  string // a message that is not about one field
	Errors                 map[string]string
	Langs                  []i18n.Lang // the choices of the language setting
	// The calendar feed: offered where the dashboard has a token store; a
	// new address is shown once, on the response that made it.
	CalendarOffered, HasCalendar bool
	CalendarSince                time.Time
	NewCalendar                  string
	// Notifications: offered where the dashboard has the notifier's store.
	NotifyOffered bool
	NotifyEmail   string
	NotifyRules   []notifyChoice
}

// savedMessages are the confirmations a redirect may ask for (?saved=...):
// only these texts are shown, never the query itself.
var savedMessages = map[string]string{
	"password": "ui.password_changed", "revoked": "ui.token_revoked", "created": "ui.account_created",
	"details": "ui.account_saved", "disabled": "ui.account_disabled", "enabled": "ui.account_enabled", "password_set": "ui.password_set",
	"language": "ui.account.lang_saved", "calendar_revoked": "ui.calendar.revoked", "notifications": "notify.prefs.saved",
}

func savedMessage(c *fiber.Ctx) string {
	if key, ok := savedMessages[c.Query("saved")]; ok {
		return i18n.T(httpx.Lang(c), key)
	}
	return ""
}

// formErrorsOf splits an Invalid or Conflict error into field messages and
// a general message in lang; other errors are returned as they are.
func formErrorsOf(lang i18n.Lang, err error, errs map[string]string) (string, error) {
	var ae *apperr.Error
	if !errors.As(err, &ae) || (ae.Code != apperr.Invalid && ae.Code != apperr.Conflict) {
		return "", err
	}
	for _, fe := range ae.Fields {
		errs[fe.Field] = fe.Localized(lang)
	}
	return ae.Localized(lang), nil
}

func (s *Server) accountData(c *fiber.Ctx) (*accountPage, error) {
	me := currentUser(c)
	u, err := s.cfg.Identity.User(me, me.ID)
	if err != nil {
		return nil, err
	}
	p := &accountPage{Account: s.viewOf(httpx.Lang(c), u), Errors: map[string]string{}, Langs: i18n.Langs}
	if err := s.calendarState(c, p); err != nil {
		return nil, err
	}
	if err := s.notifyState(c, p); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Server) accountPage(c *fiber.Ctx) error {
	p, err := s.accountData(c)
	if err != nil {
		return err
	}
	p.Saved = savedMessage(c)
	return s.render(c, 200, "account", "ui.account.title", p)
}

// changePassword sets the user's own password: the current one, and the new one twice.
func (s *Server) changePassword(c *fiber.Ctx) error {
	me := currentUser(c)
	current, password := c.FormValue("current"), c.FormValue("password")
	var err error
	if password != c.FormValue("password2") {
		var f apperr.Fields
		f.Add("password2", "error.password_mismatch")
		err = f.Err()
	} else {
		err = s.cfg.Identity.SetPassword(c.UserContext(), me, me.ID, current, password)
	}
	if err == nil {
		// The new password ended every session of the account, this one
		// too: carry on in a new one.
		_ = s.cfg.Identity.SignOut(c.UserContext(), c.Cookies(sessionCookie))
		sess, err := s.cfg.Identity.SignIn(c.UserContext(), me.ID, password)
		if err != nil {
			return err
		}
		s.setSessionCookie(c, sess)
		return c.Redirect("/account?saved=password", fiber.StatusSeeOther)
	}
	return s.accountFailure(c, err, "")
}

// createOwnToken creates a personal API token and shows it, once.
func (s *Server) createOwnToken(c *fiber.Ctx) error {
	me := currentUser(c)
	name := strings.TrimSpace(c.FormValue("name"))
	plain, tok, err := s.cfg.Identity.CreateToken(c.UserContext(), me, me.ID, name)
	if err != nil {
		return s.accountFailure(c, err, name)
	}
	p, err := s.accountData(c)
	if err != nil {
		return err
	}
	p.NewToken, p.NewTokenName = plain, tok.Name
	noStore(c)
	return s.render(c, 200, "account", "ui.account.title", p)
}

func (s *Server) revokeOwnToken(c *fiber.Ctx) error {
	me := currentUser(c)
	if err := s.cfg.Identity.RevokeToken(c.UserContext(), me, me.ID, c.Params("tid")); err != nil {
		return err
	}
	return c.Redirect("/account?saved=revoked", fiber.StatusSeeOther)
}

// accountFailure shows the account page again with the error at its field.
func (s *Server) accountFailure(c *fiber.Ctx, err error, tokenName string) error {
	p, perr := s.accountData(c)
	if perr != nil {
		return perr
	}
	msg, err := formErrorsOf(httpx.Lang(c), err, p.Errors)
	if err != nil {
		return err
	}
	if m, ok := p.Errors["name"]; ok { // the token's name: the page has no other
		delete(p.Errors, "name")
		p.Errors["token_name"] = m
	}
	p.Error, p.TokenName = msg, tokenName
	return s.render(c, fiber.StatusBadRequest, "account", "ui.account.title", p)
}

// setOwnLang sets the user's language from the account page's form (with
// the version read) or from the header's language menu (no version: a
// choice, not an edit of what was read), then goes back: to the account
// page, or to the page the menu was on. The cookie follows, so the
// sign-in page after signing out is in the same language.
func (s *Server) setOwnLang(c *fiber.Ctx) error {
	me, lang := currentUser(c), c.FormValue("lang")
	version := 0
	fromAccount := c.FormValue("version") != ""
	var err error
	if fromAccount {
		version, err = versionOf(c)
	}
	if err == nil {
		_, err = s.cfg.Identity.SetLang(c.UserContext(), me, me.ID, version, lang)
	}
	if err != nil && !unchanged(err) {
		if fromAccount {
			return s.accountFailure(c, err, "")
		}
		return err
	}
	if l, ok := i18n.Parse(lang); ok {
		c.Cookie(&fiber.Cookie{Name: httpx.LangCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
			HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	}
	if fromAccount {
		return c.Redirect("/account?saved=language", fiber.StatusSeeOther)
	}
	return c.Redirect(localPath(c.FormValue("back")), fiber.StatusSeeOther)
}

// unchanged reports a change refused because the account already had it.
func unchanged(err error) bool {
	var ae *apperr.Error
	return errors.As(err, &ae) && ae.Key == "error.nothing_changed"
}

// localPath is back when it is a path of this site ("/analyst/pipeline?year=2025"),
// else "/": a form must not send the browser elsewhere.
func localPath(back string) string {
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.HasPrefix(back, "/\\") || strings.ContainsAny(back, "\r\n") {
		return "/"
	}
	return back
}

// noStore keeps a page that shows a secret out of every cache, the
// browser's back-forward cache included.
func noStore(c *fiber.Ctx) { c.Set(fiber.HeaderCacheControl, "no-store") }

// identityRoutes mounts the own-account, administration and audit pages.
func (s *Server) identityRoutes(ui auth.Router) {
	ui.Get("/account", auth.SignedIn, s.accountPage)
	ui.Post("/account/password", auth.SignedIn, s.changePassword)
	ui.Post("/account/language", auth.SignedIn, s.setOwnLang)
	ui.Post("/account/tokens", auth.SignedIn, s.createOwnToken)
	ui.Post("/account/tokens/:tid/revoke", auth.SignedIn, s.revokeOwnToken)

	ui.Get("/admin/users", auth.ManageUsers, s.usersPage)
	ui.Get("/admin/users/new", auth.ManageUsers, s.newUserPage)
	ui.Post("/admin/users", auth.ManageUsers, s.createUser)
	ui.Get("/admin/users/:uid", auth.ManageUsers, s.userPage)
	ui.Post("/admin/users/:uid", auth.ManageUsers, s.updateUser)
	ui.Post("/admin/users/:uid/disabled", auth.ManageUsers, s.setDisabled)
	ui.Post("/admin/users/:uid/password", auth.ManageUsers, s.resetPassword)
	ui.Post("/admin/users/:uid/language", auth.ManageUsers, s.setUserLang)
	ui.Post("/admin/users/:uid/tokens", auth.ManageUsers, s.createUserToken)
	ui.Post("/admin/users/:uid/tokens/:tid/revoke", auth.ManageUsers, s.revokeUserToken)

	ui.Get("/admin/audit", auth.ManageUsers, s.auditPage)
	ui.Get("/api/audit", auth.ManageUsers, s.auditJSON)
	ui.Get("/api/audit.csv", auth.ManageUsers, s.auditCSV)
}

// identityPages are the templates of these pages.
var identityPages = []string{"account", "admin_users", "admin_user", "admin_audit"}
