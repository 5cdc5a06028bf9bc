// Package auth maps bearer tokens to users with a role and a scope. This is the
// foundation's static directory (a users file holding token hashes); the
// identity issue replaces it with sign-in and managed tokens behind the same
// User type.
package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/apperr"
)

// Role is what a user does; it decides which actions they may take.
type Role string

// The roles of DESIGN.md.
const (
	Attache     Role = "attache"     // writes leads, deals and barriers for their own post
	Secretariat Role = "secretariat" // writes for their own commission
	Analyst     Role = "analyst"     // reads everything but personal data
	Admin       Role = "admin"       // manages users, reference data and targets
)

// User is an authenticated person.
type User struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Role       Role   `json:"role"`
	Post       string `json:"post,omitempty"`       // attachés: the post they work for
	Commission string `json:"commission,omitempty"` // secretariats: the commission they run
	Lang       string `json:"lang,omitempty"`       // the language the user chose for pages and messages (kk, ru, en); empty: the browser's
}

// Scope is the string events record as the writer's scope, e.g. "post:de-berlin".
func (u User) Scope() string {
	switch {
	case u.Post != "":
		return "post:" + u.Post
	case u.Commission != "":
		return "commission:" + u.Commission
	}
	return "global"
}

// Entry is one user of the users file, with the SHA-256 of their token and,
// optionally, the bcrypt hash of a password to sign in with.
type Entry struct {
	User
	TokenSHA256    string `json:"token_sha256"`
	PasswordBcrypt string `json:"password_bcrypt,omitempty"`
}

// Authenticator resolves the token of a request to its user: the identity
// service (sessions and personal tokens), or a static Directory.
type Authenticator interface {
	Authenticate(token string) (User, error)
}

// UserDirectory looks users up by id: who may be named where a record asks
// for a user (a task's assignee). The identity service implements it (it
// follows the USERS stream), and so does the static Directory.
type UserDirectory interface {
	// LookupUser returns the enabled user with id; false when there is none.
	LookupUser(id string) (User, bool)
}

// DirectoryOf is the user directory behind users (the services get one
// Authenticator, which is also the directory); an error when it is none.
func DirectoryOf(users Authenticator) (UserDirectory, error) {
	d, ok := users.(UserDirectory)
	if !ok {
		return nil, fmt.Errorf("the authenticator %T cannot look users up by id (auth.UserDirectory)", users)
	}
	return d, nil
}

// File is the users file.
type File struct {
	Users []Entry `json:"users"`
}

// Directory resolves tokens to users.
type Directory struct {
	byHash map[[32]byte]User
	byID   map[string]User
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// ReadFile reads and validates a users file.
func ReadFile(path string) (File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return File{}, fmt.Errorf("read users file: %w", err)
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return File{}, fmt.Errorf("users file: %w", err)
	}
	if _, err := directory(f); err != nil {
		return File{}, err
	}
	return f, nil
}

// ParseFile decodes and validates a users file; errors name the user and field.
func ParseFile(data []byte) (*Directory, error) {
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	return directory(f)
}

func directory(f File) (*Directory, error) {
	d := &Directory{byHash: map[[32]byte]User{}, byID: map[string]User{}}
	for i, e := range f.Users {
		where := fmt.Sprintf("users file, user %d (%q)", i+1, e.ID)
		if !idPattern.MatchString(e.ID) {
			return nil, fmt.Errorf("%s: id must be 2-64 lower-case letters, digits, '.', '_' or '-'", where)
		}
		if _, dup := d.byID[e.ID]; dup {
			return nil, fmt.Errorf("%s: duplicate id", where)
		}
		switch e.Role {
		case Attache:
			if e.Post == "" {
				return nil, fmt.Errorf("%s: an attache needs a post", where)
			}
		case Secretariat:
			if e.Commission == "" {
				return nil, fmt.Errorf("%s: a secretariat needs a commission", where)
			}
		case Analyst, Admin:
		default:
			return nil, fmt.Errorf("%s: role %q is not one of attache, secretariat, analyst, admin", where, e.Role)
		}
		raw, err := hex.DecodeString(e.TokenSHA256)
		if err != nil || len(raw) != sha256.Size {
			return nil, fmt.Errorf("%s: token_sha256 must be 64 hex digits (sha256 of the token)", where)
		}
		d.byHash[[32]byte(raw)] = e.User
		d.byID[e.ID] = e.User
	}
	return d, nil
}

// LoadFile reads and parses a users file.
func LoadFile(path string) (*Directory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read users file: %w", err)
	}
	return ParseFile(data)
}

// HashToken returns the hex SHA-256 of a token, as stored in the users file.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewToken returns a fresh random token.
func NewToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return "edp_" + hex.EncodeToString(b)
}

// Authenticate returns the user of a token.
func (d *Directory) Authenticate(token string) (User, error) {
	if token == "" {
		return User{}, apperr.E(apperr.Unauthorized, "error.auth_missing")
	}
	sum := sha256.Sum256([]byte(token))
	// Looking up the hash, not the token, keeps timing independent of how much of a guess matches.
	u, ok := d.byHash[sum]
	if !ok {
		return User{}, apperr.E(apperr.Unauthorized, "error.auth_invalid")
	}
	return u, nil
}

// User returns the user with the given id.
func (d *Directory) User(id string) (User, bool) {
	u, ok := d.byID[id]
	return u, ok
}

// LookupUser is User, for UserDirectory.
func (d *Directory) LookupUser(id string) (User, bool) { return d.User(id) }

const localsKey = "econdip.user"

// Bearer is Fiber middleware that requires "Authorization: Bearer <token>".
func Bearer(d Authenticator) fiber.Handler {
	return func(c *fiber.Ctx) error {
		h := c.Get(fiber.HeaderAuthorization)
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return apperr.E(apperr.Unauthorized, "error.auth_missing")
		}
		u, err := d.Authenticate(strings.TrimSpace(token))
		if err != nil {
			return err
		}
		c.Locals(localsKey, u)
		return c.Next()
	}
}

// SetUser stores the authenticated user of a request (Bearer does; the
// dashboard's session check too), for Guard and the handlers.
func SetUser(c *fiber.Ctx, u User) { c.Locals(localsKey, u) }

// FromCtx returns the user that Bearer stored.
func FromCtx(c *fiber.Ctx) User {
	u, _ := c.Locals(localsKey).(User)
	return u
}
