package dashboards

// Sign-in, sessions and CSRF. A person signs in with their account's
// password (or a personal API token); the identity service opens a session
// whose token the dashboard keeps in an HttpOnly, SameSite=Strict cookie
// (Secure behind TLS) and sends on to the services as the bearer token, so
// every service checks the real user. Each session has a CSRF token that
// every form carries and every write checks; signing out ends the session
// for every service at once.
//
// The sign-in form has a CSRF token of its own (login CSRF: another site
// must not sign a browser in to the attacker's account). GET /signin sets
// it in a cookie (SameSite=Strict, HttpOnly; __Host- prefixed behind TLS,
// so a sibling subdomain cannot plant one) and in the form; POST /signin
// compares the two in constant time and refuses a form without them with
// the sign-in page and a fresh token. Password sign-ins are limited per
// account and per client address (c.IP(): the dashboard is not behind a
// proxy) by the identity service; see identity/attempts.go.

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"econdip/services/identity"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
)

const sessionCookie = "econdip_session"

func currentUser(c *fiber.Ctx) auth.User { return auth.FromCtx(c) }
func token(c *fiber.Ctx) string          { t, _ := c.Locals("token").(string); return t }
func csrfOf(c *fiber.Ctx) string         { t, _ := c.Locals("csrf").(string); return t }

// requireUser admits requests with a valid session cookie (or a bearer token
// for the JSON endpoints); pages redirect to sign-in, APIs answer 401. A
// write with the cookie must carry the session's CSRF token (form field
// csrf or header X-CSRF-Token).
func (s *Server) requireUser(c *fiber.Ctx) error {
	tok := c.Cookies(sessionCookie)
	bearer := false
	if h, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer "); ok {
		tok, bearer = strings.TrimSpace(h), true
	}
	u, err := s.cfg.Users.Authenticate(tok)
	if err != nil {
		if bearer || strings.HasPrefix(c.Path(), "/api/") {
			return err
		}
		c.ClearCookie(sessionCookie)
		return c.Redirect("/signin")
	}
	auth.SetUser(c, u)
	if l, ok := i18n.Parse(u.Lang); ok {
		httpx.SetLang(c, l)
	}
	c.Locals("token", tok)
	if !bearer {
		sess, err := s.cfg.Identity.Session(c.UserContext(), tok)
		if err != nil {
			return err
		}
		c.Locals("csrf", sess.CSRF)
		if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
			sent := c.FormValue("csrf")
			if sent == "" {
				sent = c.Get("X-CSRF-Token")
			}
			if subtle.ConstantTimeCompare([]byte(sent), []byte(sess.CSRF)) != 1 {
				return apperr.E(apperr.Forbidden, "error.csrf")
			}
		}
	}
	return c.Next()
}

func (s *Server) signinPage(c *fiber.Ctx) error {
	s.signinToken(c, true)
	return s.render(c, 200, "signin", "ui.signin.title", fiber.Map{})
}

// signinCookie is the name of the sign-in form's CSRF cookie.
func (s *Server) signinCookie() string {
	if s.cfg.Secure {
		return "__Host-econdip_signin"
	}
	return "econdip_signin"
}

var signinTokenLen = len(rand.Text())

// signinToken is the browser's sign-in form token: the one in its cookie
// when reuse allows and it looks like one (another tab's form stays
// valid), else a new one, set in the cookie. The forms rendered carry it.
func (s *Server) signinToken(c *fiber.Ctx, reuse bool) string {
	tok := c.Cookies(s.signinCookie())
	if !reuse || len(tok) != signinTokenLen {
		tok = rand.Text()
		c.Cookie(&fiber.Cookie{Name: s.signinCookie(), Value: tok, Path: "/", HTTPOnly: true, SameSite: "Strict", Secure: s.cfg.Secure})
	}
	c.Locals("csrf", tok)
	return tok
}

// signin opens a session from an account's id and password, or from a
// personal API token, when the form carries the browser's sign-in token.
func (s *Server) signin(c *fiber.Ctx) error {
	id, password, tok := strings.TrimSpace(c.FormValue("user")), c.FormValue("password"), strings.TrimSpace(c.FormValue("token"))
	sent, kept := c.FormValue("csrf"), c.Cookies(s.signinCookie())
	if sent == "" || kept == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(kept)) != 1 {
		s.signinToken(c, false)
		return s.render(c, fiber.StatusForbidden, "signin", "ui.signin.title", fiber.Map{"Error": messageOf(httpx.Lang(c), apperr.E(apperr.Forbidden, "error.signin_csrf")), "User": id})
	}
	var sess identity.Session
	var err error
	if tok != "" {
		sess, err = s.cfg.Identity.SessionForToken(c.UserContext(), tok)
	} else {
		sess, err = s.cfg.Identity.SignInFrom(c.UserContext(), c.IP(), id, password)
	}
	if err != nil {
		status := fiber.StatusUnauthorized
		switch apperr.CodeOf(err) {
		case apperr.Unauthorized:
		case apperr.TooManyRequests:
			status = fiber.StatusTooManyRequests
			if wait := identity.RetryAfter(err); wait > 0 {
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int((wait+time.Second-1)/time.Second)))
			}
		default:
			return err
		}
		c.Locals("csrf", kept)
		return s.render(c, status, "signin", "ui.signin.title", fiber.Map{"Error": messageOf(httpx.Lang(c), err), "User": id})
	}
	s.setSessionCookie(c, sess)
	return c.Redirect("/", fiber.StatusSeeOther)
}

func (s *Server) setSessionCookie(c *fiber.Ctx, sess identity.Session) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: sess.Token, Path: "/", HTTPOnly: true, SameSite: "Strict", Secure: s.cfg.Secure,
		Expires: sess.Expires})
}

func (s *Server) signout(c *fiber.Ctx) error {
	if err := s.cfg.Identity.SignOut(c.UserContext(), c.Cookies(sessionCookie)); err != nil {
		return err
	}
	c.ClearCookie(sessionCookie)
	return c.Redirect("/signin", fiber.StatusSeeOther)
}

// messageOf is the user-facing text of an application error in lang.
func messageOf(lang i18n.Lang, err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Localized(lang)
	}
	return err.Error()
}

// pageErrors shows a refused or missing page as a page, not as the JSON the
// figures' endpoints answer: what was wrong and the way back.
func (s *Server) pageErrors(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil || strings.HasPrefix(c.Path(), "/api/") || strings.HasPrefix(c.Path(), "/static/") {
		return err
	}
	var title string
	status := fiber.StatusForbidden
	switch apperr.CodeOf(err) {
	case apperr.Forbidden:
		title = "ui.error.forbidden_title"
	case apperr.NotFound:
		title, status = "ui.error.not_found_title", fiber.StatusNotFound
	default:
		return err
	}
	msg := sentence(messageOf(httpx.Lang(c), err))
	return s.render(c, status, "error", title, fiber.Map{"Message": msg})
}

// sentence starts a message with a capital letter (of any alphabet) and
// ends it with a full stop, for a message shown on its own.
func sentence(msg string) string {
	r, size := utf8.DecodeRuneInString(msg)
	if size == 0 {
		return msg
	}
	msg = string(unicode.ToUpper(r)) + msg[size:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}
