package dashboards

// Administration of accounts: the list, a new account, and one account's
// page (name, role and scope with the version read, disable and enable, a
// password reset, tokens, and the account's history from the USERS
// stream). The identity service checks that the actor is an administrator
// and validates; these handlers turn its answers into forms with errors.

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/collate"
	xlanguage "golang.org/x/text/language"

	"econdip/services/identity"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
)

// userForm is the data of the new-account page and of an account's page.
type userForm struct {
	IsNew   bool
	Self    bool        // the administrator's own account
	Account accountView // the stored account (not on the new-account page)
	// The details as typed (or as stored), and the version they were read at.
	ID, Name, Role, Post, Commission string
	Version                          int
	Lang                             string // the account's language setting
	Posts                            []postOption
	Roles                            []auth.Role
	Langs                            []i18n.Lang
	History                          []historyEntry
	NewToken, NewTokenName           string // a token just created: shown once
	TokenName                        string
	Saved, Error                     string
	Errors                           map[string]string
}

// postOption is a foreign post in the form's list: its code and city.
type postOption struct{ Code, City string }

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
		views[i] = s.viewOf(httpx.Lang(c), u)
	}
	return s.render(c, 200, "admin_users", "ui.admin.users_title", fiber.Map{"Users": views, "Saved": savedMessage(c)})
}

func (s *Server) emptyUserForm(lang i18n.Lang) *userForm {
	f := &userForm{Roles: auth.Roles, Langs: i18n.Langs, Errors: map[string]string{}}
	for _, p := range s.cfg.Ref.Posts() {
		f.Posts = append(f.Posts, postOption{Code: p.Code, City: s.postCity(lang, p.Code)})
	}
	// By city in the language's alphabetical order (Cyrillic ones too).
	order := collate.New(xlanguage.Make(string(lang)))
	slices.SortStableFunc(f.Posts, func(a, b postOption) int { return order.CompareString(a.City, b.City) })
	return f
}

func (s *Server) newUserPage(c *fiber.Ctx) error {
	f := s.emptyUserForm(httpx.Lang(c))
	f.IsNew, f.Role = true, string(auth.Attache)
	return s.render(c, 200, "admin_user", "ui.admin.new_title", f)
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
	lang := httpx.Lang(c)
	f := s.emptyUserForm(lang)
	f.IsNew, f.ID, f.Name, f.Role, f.Post, f.Commission = true, id, d.Name, d.Role, d.Post, d.Commission
	if apperr.CodeOf(err) == apperr.Conflict { // the id is taken
		f.Errors["id"] = messageOf(lang, err)
		return s.render(c, fiber.StatusConflict, "admin_user", "ui.admin.new_title", f)
	}
	if f.Error, err = formErrorsOf(lang, err, f.Errors); err != nil {
		return err
	}
	postChosen(lang, f.Errors, d)
	return s.render(c, fiber.StatusBadRequest, "admin_user", "ui.admin.new_title", f)
}

// postChosen words the error of an attaché without a post: identity says
// `"" is not a foreign post of the list`.
func postChosen(lang i18n.Lang, errs map[string]string, d identity.Details) {
	if _, ok := errs["post"]; ok && d.Post == "" && auth.Role(d.Role) == auth.Attache {
		errs["post"] = i18n.T(lang, "error.post_required")
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
	lang := httpx.Lang(c)
	f := s.emptyUserForm(lang)
	f.Account, f.Self = s.viewOf(lang, u), uid == me.ID
	f.ID, f.Name, f.Role, f.Post, f.Commission, f.Version, f.Lang = u.ID, u.Name, u.Role, u.Post, u.Commission, u.Version, u.Lang
	tokens := map[string]string{}
	for _, t := range u.Tokens {
		tokens[t.ID] = t.Name
	}
	for _, ch := range changes {
		f.History = append(f.History, historyEntry{Time: ch.Time, Actor: ch.Actor, What: changeText(lang, ch, uid, tokens), Version: ch.Version})
	}
	return f, nil
}

// changeText says what a change of an account did, in lang.
func changeText(lang i18n.Lang, ch identity.Change, account string, tokens map[string]string) string {
	token := func() string {
		if name := tokens[ch.TokenID]; name != "" {
			return "“" + name + "” (" + ch.TokenID + ")"
		}
		return ch.TokenID
	}
	switch ch.Change {
	case "details":
		fields := make([]string, len(ch.Changed))
		for i, f := range ch.Changed {
			fields[i] = label(lang, "account_field", f)
		}
		return i18n.T(lang, "ui.admin.history_details", strings.Join(fields, ", "))
	case "password":
		if ch.Actor == account {
			return i18n.T(lang, "ui.admin.history_password_changed")
		}
		return i18n.T(lang, "ui.admin.history_password_set")
	case "token_created":
		return i18n.T(lang, "ui.admin.history_token_created", token())
	case "token_revoked":
		return i18n.T(lang, "ui.admin.history_token_revoked", token())
	case "created":
		return i18n.T(lang, "ui.admin.history_created")
	case "disabled":
		return i18n.T(lang, "ui.admin.history_disabled")
	case "enabled":
		return i18n.T(lang, "ui.admin.history_enabled")
	case "language":
		return i18n.T(lang, "ui.admin.history_language")
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

// setUserLang sets an account's language (administrators), with the version read.
func (s *Server) setUserLang(c *fiber.Ctx) error {
	uid := c.Params("uid")
	version, err := versionOf(c)
	if err == nil {
		_, err = s.cfg.Identity.SetLang(c.UserContext(), currentUser(c), uid, version, c.FormValue("lang"))
	}
	if err != nil && !unchanged(err) {
		return s.userFailure(c, uid, err, nil)
	}
	return c.Redirect("/admin/users/"+uid+"?saved=language", fiber.StatusSeeOther)
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
	lang := httpx.Lang(c)
	if f.Error, err = formErrorsOf(lang, err, f.Errors); err != nil {
		return err
	}
	if typed != nil {
		postChosen(lang, f.Errors, *typed)
		f.Name, f.Role, f.Post, f.Commission = typed.Name, typed.Role, typed.Post, typed.Commission
		if status == fiber.StatusConflict {
			f.Error = i18n.T(lang, "ui.conflict_kept", f.Version)
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
	if f.Error, err = formErrorsOf(httpx.Lang(c), err, f.Errors); err != nil {
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
