package dashboards

// Administration of accounts: the list, a new account, and one account's
// page (name, role and scope with the version read, disable and enable, a
// password reset, tokens, and the account's history from the USERS
// stream). The identity service checks that the actor is an administrator
// and validates; these handlers turn its answers into forms with errors.

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"econdip/services/identity"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/i18n"
	"econdip/services/platform/reference"
)

// userForm is the data of the new-account page and of an account's page.
type userForm struct {
	IsNew   bool
	Self    bool        // the administrator's own account
	Account accountView // the stored account (not on the new-account page)
	// The details as typed (or as stored), and the version they were read at.
	ID, Name, Role, Post, Commission string
	Version                          int
	Posts                            []reference.Post
	Roles                            []auth.Role
	History                          []historyEntry
	NewToken, NewTokenName           string // a token just created: shown once
	TokenName                        string
	Saved, Error                     string
	Errors                           map[string]string
}

// historyEntry is one change of an account, said in words.
type historyEntry struct {
	Time    time.Time
	Actor   string
	What    string
	Version int
}

func (s *Server) usersPage(c *fiber.Ctx) error {
	users, err := s.cfg.Identity.Users(currentUser(c))
	if err != nil {
		return err
	}
	views := make([]accountView, len(users))
	for i, u := range users {
		views[i] = s.viewOf(u)
	}
	return s.render(c, 200, "admin_users", "Users", fiber.Map{"Users": views, "Saved": savedMessage(c)})
}

func (s *Server) emptyUserForm() *userForm {
	return &userForm{Posts: s.cfg.Ref.Posts(), Roles: auth.Roles, Errors: map[string]string{}}
}

func (s *Server) newUserPage(c *fiber.Ctx) error {
	f := s.emptyUserForm()
	f.IsNew, f.Role = true, string(auth.Attache)
	return s.render(c, 200, "admin_user", "New account", f)
}

// detailsOf reads the details form. The scope fields a role does not have
// are dropped: the form shows both, and a post left selected when the role
// changes to analyst is not what the administrator meant.
func detailsOf(c *fiber.Ctx) identity.Details {
	d := identity.Details{Name: strings.TrimSpace(c.FormValue("name")), Role: c.FormValue("role"),
		Post: strings.TrimSpace(c.FormValue("post")), Commission: strings.TrimSpace(c.FormValue("commission"))}
	switch auth.Role(d.Role) {
	case auth.Attache:
		d.Commission = ""
	case auth.Secretariat:
		d.Post = ""
	case auth.Analyst, auth.Admin:
		d.Post, d.Commission = "", ""
	}
	return d
}

func (s *Server) createUser(c *fiber.Ctx) error {
	id, d := strings.TrimSpace(c.FormValue("id")), detailsOf(c)
	_, err := s.cfg.Identity.CreateUser(c.UserContext(), currentUser(c), id, d, c.FormValue("password"))
	if err == nil {
		return c.Redirect("/admin/users/"+id+"?saved=created", fiber.StatusSeeOther)
	}
	f := s.emptyUserForm()
	f.IsNew, f.ID, f.Name, f.Role, f.Post, f.Commission = true, id, d.Name, d.Role, d.Post, d.Commission
	if apperr.CodeOf(err) == apperr.Conflict { // the id is taken
		f.Errors["id"] = messageOf(err)
		return s.render(c, fiber.StatusConflict, "admin_user", "New account", f)
	}
	if f.Error, err = formErrorsOf(err, f.Errors); err != nil {
		return err
	}
	postChosen(f.Errors, d)
	return s.render(c, fiber.StatusBadRequest, "admin_user", "New account", f)
}

// postChosen words the error of an attaché without a post: identity says
// `"" is not a foreign post of the list`.
func postChosen(errs map[string]string, d identity.Details) {
	if _, ok := errs["post"]; ok && d.Post == "" && auth.Role(d.Role) == auth.Attache {
		errs["post"] = i18n.T(i18n.EN, "error.post_required")
	}
}

// userForm reads an account, its history and the names of its tokens.
func (s *Server) userForm(c *fiber.Ctx, uid string) (*userForm, error) {
	me := currentUser(c)
	u, err := s.cfg.Identity.User(me, uid)
	if err != nil {
		return nil, err
	}
	changes, err := s.cfg.Identity.History(c.UserContext(), me, uid)
	if err != nil {
		return nil, err
	}
	f := s.emptyUserForm()
	f.Account, f.Self = s.viewOf(u), uid == me.ID
	f.ID, f.Name, f.Role, f.Post, f.Commission, f.Version = u.ID, u.Name, u.Role, u.Post, u.Commission, u.Version
	tokens := map[string]string{}
	for _, t := range u.Tokens {
		tokens[t.ID] = t.Name
	}
	for _, ch := range changes {
		f.History = append(f.History, historyEntry{Time: ch.Time, Actor: ch.Actor, What: changeText(ch, uid, tokens), Version: ch.Version})
	}
	return f, nil
}

// changeText says what a change of an account did.
func changeText(ch identity.Change, account string, tokens map[string]string) string {
	token := func() string {
		if name := tokens[ch.TokenID]; name != "" {
			return "“" + name + "” (" + ch.TokenID + ")"
		}
		return ch.TokenID
	}
	switch ch.Change {
	case "created":
		return "created the account"
	case "details":
		return "changed " + strings.Join(ch.Changed, ", ")
	case "disabled":
		return "disabled the account"
	case "enabled":
		return "enabled the account"
	case "password":
		if ch.Actor == account {
			return "changed the password"
		}
		return "set the password"
	case "token_created":
		return "created the token " + token()
	case "token_revoked":
		return "revoked the token " + token()
	}
	return ch.Change
}

func (s *Server) userPage(c *fiber.Ctx) error {
	f, err := s.userForm(c, c.Params("uid"))
	if err != nil {
		return err
	}
	f.Saved = savedMessage(c)
	return s.render(c, 200, "admin_user", f.Account.Name, f)
}

// userFailure shows an account's page again after a refused change, with
// the error at its field; a stale version answers 409 and keeps what was
// typed on top of the current version.
func (s *Server) userFailure(c *fiber.Ctx, uid string, err error, typed *identity.Details) error {
	f, ferr := s.userForm(c, uid)
	if ferr != nil {
		return ferr
	}
	status := fiber.StatusBadRequest
	if apperr.CodeOf(err) == apperr.Conflict {
		status = fiber.StatusConflict
	}
	if f.Error, err = formErrorsOf(err, f.Errors); err != nil {
		return err
	}
	if typed != nil {
		postChosen(f.Errors, *typed)
		f.Name, f.Role, f.Post, f.Commission = typed.Name, typed.Role, typed.Post, typed.Commission
		if status == fiber.StatusConflict {
			f.Error = i18n.T(i18n.EN, "ui.conflict_kept", f.Version)
		}
	}
	return s.render(c, status, "admin_user", f.Account.Name, f)
}

// versionOf reads the version a form was read at; every change of details
// or of the disabled flag must carry it.
func versionOf(c *fiber.Ctx) (int, error) {
	v, err := strconv.Atoi(c.FormValue("version"))
	if err != nil || v < 1 {
		var f apperr.Fields
		f.Add("version", "error.version_required")
		return 0, f.Err()
	}
	return v, nil
}

func (s *Server) updateUser(c *fiber.Ctx) error {
	uid, me, d := c.Params("uid"), currentUser(c), detailsOf(c)
	version, err := versionOf(c)
	if err == nil && uid == me.ID && d.Role != string(me.Role) {
		// An administrator who demotes themselves may leave no administrator.
		var f apperr.Fields
		f.Add("role", "error.own_role")
		err = f.Err()
	}
	if err == nil {
		_, err = s.cfg.Identity.UpdateUser(c.UserContext(), me, uid, version, d)
	}
	if err != nil {
		return s.userFailure(c, uid, err, &d)
	}
	return c.Redirect("/admin/users/"+uid+"?saved=details", fiber.StatusSeeOther)
}

func (s *Server) setDisabled(c *fiber.Ctx) error {
	uid := c.Params("uid")
	version, err := versionOf(c)
	action := c.FormValue("action")
	if err == nil && action != "disable" && action != "enable" {
		var f apperr.Fields
		f.Add("action", "error.one_of", "disable, enable")
		err = f.Err()
	}
	if err == nil {
		_, err = s.cfg.Identity.SetDisabled(c.UserContext(), currentUser(c), uid, version, action == "disable")
	}
	if err != nil {
		return s.userFailure(c, uid, err, nil)
	}
	return c.Redirect("/admin/users/"+uid+"?saved="+action+"d", fiber.StatusSeeOther)
}

// resetPassword sets another account's password (typed twice); one's own
// password is changed on the account page, with the current one.
func (s *Server) resetPassword(c *fiber.Ctx) error {
	uid, me := c.Params("uid"), currentUser(c)
	password := c.FormValue("password")
	var f apperr.Fields
	switch {
	case uid == me.ID:
		f.Add("password", "error.own_password_here")
	case password != c.FormValue("password2"):
		f.Add("password2", "error.password_mismatch")
	}
	err := f.Err()
	if err == nil {
		err = s.cfg.Identity.SetPassword(c.UserContext(), me, uid, "", password)
	}
	if err != nil {
		return s.userFailure(c, uid, err, nil)
	}
	return c.Redirect("/admin/users/"+uid+"?saved=password_set", fiber.StatusSeeOther)
}

// createUserToken creates a token for an account and shows it, once, to
// the administrator, who hands it over.
func (s *Server) createUserToken(c *fiber.Ctx) error {
	uid := c.Params("uid")
	name := strings.TrimSpace(c.FormValue("name"))
	plain, tok, err := s.cfg.Identity.CreateToken(c.UserContext(), currentUser(c), uid, name)
	if err != nil {
		return s.tokenFailure(c, uid, name, err)
	}
	f, err := s.userForm(c, uid)
	if err != nil {
		return err
	}
	f.NewToken, f.NewTokenName = plain, tok.Name
	noStore(c)
	return s.render(c, 200, "admin_user", f.Account.Name, f)
}

// tokenFailure shows the token form's error at the token's name (the
// details form has a name too).
func (s *Server) tokenFailure(c *fiber.Ctx, uid, name string, err error) error {
	f, ferr := s.userForm(c, uid)
	if ferr != nil {
		return ferr
	}
	if f.Error, err = formErrorsOf(err, f.Errors); err != nil {
		return err
	}
	if msg, ok := f.Errors["name"]; ok {
		delete(f.Errors, "name")
		f.Errors["token_name"] = msg
	}
	f.TokenName = name
	return s.render(c, fiber.StatusBadRequest, "admin_user", f.Account.Name, f)
}

func (s *Server) revokeUserToken(c *fiber.Ctx) error {
	uid := c.Params("uid")
	if err := s.cfg.Identity.RevokeToken(c.UserContext(), currentUser(c), uid, c.Params("tid")); err != nil {
		return err
	}
	return c.Redirect("/admin/users/"+uid+"?saved=revoked", fiber.StatusSeeOther)
}
