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
	"econdip/services/platform/i18n"
)

// accountView is what the account pages show of an account: never its
// password or token hashes.
type accountView struct {
	ID, Name, Role, Post, Commission string
	Scope                            string // e.g. "post de-berlin (Berlin)", "commission igc-cn", "all"
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

func (s *Server) viewOf(u events.UserV1) accountView {
	v := accountView{ID: u.ID, Name: u.Name, Role: u.Role, Post: u.Post, Commission: u.Commission, Disabled: u.Disabled,
		HasPassword: u.PasswordHash != "", Version: u.Version, Created: u.CreatedAt, Updated: u.UpdatedAt}
	switch {
	case u.Post != "":
		v.Scope = "post " + u.Post
		if p, ok := s.cfg.Ref.Post(u.Post); ok {
			v.Scope += " (" + p.CityEN + ")"
		}
	case u.Commission != "":
		v.Scope = "commission " + u.Commission
	default:
		v.Scope = "all (no post or commission)"
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

// accountPage is the data of the own-account page.
type accountPage struct {
	Account accountView
	// NewToken is a token just created: shown once, on this response only.
	NewToken, NewTokenName string
	TokenName              string // typed into the token form, kept after an error
	Saved                  string
	Error                  string // a message that is not about one field
	Errors                 map[string]string
}

// savedMessages are the confirmations a redirect may ask for (?saved=...):
// only these texts are shown, never the query itself.
var savedMessages = map[string]string{
	"password": "ui.password_changed", "revoked": "ui.token_revoked", "created": "ui.account_created",
	"details": "ui.account_saved", "disabled": "ui.account_disabled", "enabled": "ui.account_enabled", "password_set": "ui.password_set",
}

func savedMessage(c *fiber.Ctx) string {
	if key, ok := savedMessages[c.Query("saved")]; ok {
		return i18n.T(i18n.EN, key)
	}
	return ""
}

// formErrorsOf splits an Invalid or Conflict error into field messages and
// a general message; other errors are returned as they are.
func formErrorsOf(err error, errs map[string]string) (string, error) {
	var ae *apperr.Error
	if !errors.As(err, &ae) || (ae.Code != apperr.Invalid && ae.Code != apperr.Conflict) {
		return "", err
	}
	for _, fe := range ae.Fields {
		errs[fe.Field] = fe.Message
	}
	return ae.Message, nil
}

func (s *Server) accountData(c *fiber.Ctx) (*accountPage, error) {
	me := currentUser(c)
	u, err := s.cfg.Identity.User(me, me.ID)
	if err != nil {
		return nil, err
	}
	return &accountPage{Account: s.viewOf(u), Errors: map[string]string{}}, nil
}

func (s *Server) accountPage(c *fiber.Ctx) error {
	p, err := s.accountData(c)
	if err != nil {
		return err
	}
	p.Saved = savedMessage(c)
	return s.render(c, 200, "account", "Your account", p)
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
	return s.render(c, 200, "account", "Your account", p)
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
	msg, err := formErrorsOf(err, p.Errors)
	if err != nil {
		return err
	}
	if m, ok := p.Errors["name"]; ok { // the token's name: the page has no other
		delete(p.Errors, "name")
		p.Errors["token_name"] = m
	}
	p.Error, p.TokenName = msg, tokenName
	return s.render(c, fiber.StatusBadRequest, "account", "Your account", p)
}

// noStore keeps a page that shows a secret out of every cache, the
// browser's back-forward cache included.
func noStore(c *fiber.Ctx) { c.Set(fiber.HeaderCacheControl, "no-store") }

// identityRoutes mounts the own-account, administration and audit pages.
func (s *Server) identityRoutes(ui auth.Router) {
	ui.Get("/account", auth.SignedIn, s.accountPage)
	ui.Post("/account/password", auth.SignedIn, s.changePassword)
	ui.Post("/account/tokens", auth.SignedIn, s.createOwnToken)
	ui.Post("/account/tokens/:tid/revoke", auth.SignedIn, s.revokeOwnToken)

	ui.Get("/admin/users", auth.ManageUsers, s.usersPage)
	ui.Get("/admin/users/new", auth.ManageUsers, s.newUserPage)
	ui.Post("/admin/users", auth.ManageUsers, s.createUser)
	ui.Get("/admin/users/:uid", auth.ManageUsers, s.userPage)
	ui.Post("/admin/users/:uid", auth.ManageUsers, s.updateUser)
	ui.Post("/admin/users/:uid/disabled", auth.ManageUsers, s.setDisabled)
	ui.Post("/admin/users/:uid/password", auth.ManageUsers, s.resetPassword)
	ui.Post("/admin/users/:uid/tokens", auth.ManageUsers, s.createUserToken)
	ui.Post("/admin/users/:uid/tokens/:tid/revoke", auth.ManageUsers, s.revokeUserToken)

	ui.Get("/admin/audit", auth.ManageUsers, s.auditPage)
	ui.Get("/api/audit", auth.ManageUsers, s.auditJSON)
	ui.Get("/api/audit.csv", auth.ManageUsers, s.auditCSV)
}

// identityPages are the templates of these pages.
var identityPages = []string{"account", "admin_users", "admin_user", "admin_audit"}
