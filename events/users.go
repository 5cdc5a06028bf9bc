package events

import (
	"fmt"
	"time"
)

// User account event types. Users live on the USERS stream, which is not
// projected into ClickHouse: it holds password and token hashes.
const (
	TypeUserCreated = "econdip.user.created.v1"
	TypeUserChanged = "econdip.user.changed.v1"
)

// UserTokenV1 is a personal API token: only its SHA-256 is kept.
type UserTokenV1 struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	SHA256    string     `json:"sha256"`
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// UserV1 is the full state of a user account after an event.
type UserV1 struct {
	ID         string `json:"id"`
	Version    int    `json:"version"`
	Name       string `json:"name"`
	Role       string `json:"role"`
	Post       string `json:"post,omitempty"`
	Commission string `json:"commission,omitempty"`
	// Lang is the language the user chose for pages and messages (kk, ru,
	// en); empty: the browser's.
	Lang         string        `json:"lang,omitempty"`
	Disabled     bool          `json:"disabled"`
	PasswordHash string        `json:"password_hash,omitempty"` // bcrypt; empty: no password, tokens only
	Tokens       []UserTokenV1 `json:"tokens"`
	CreatedAt    time.Time     `json:"created_at"`
	UpdatedAt    time.Time     `json:"updated_at"`
	// PasswordChangedAt is when the password was last set after the
	// account was created: sessions opened before it are over.
	PasswordChangedAt *time.Time `json:"password_changed_at,omitempty"`
}

// Validate checks what readers rely on.
func (u UserV1) Validate() error {
	if u.ID == "" || u.Version < 1 || u.Role == "" {
		return fmt.Errorf("user needs id, role and a version of at least 1")
	}
	return nil
}

// UserCreatedV1 records a new account.
type UserCreatedV1 struct {
	User UserV1 `json:"user"`
}

// UserChangedV1 records a change to an account; Change says which:
// details (name, role, scope), disabled, enabled, password, language
// (User.Lang), token_created or token_revoked (TokenID names the token).
type UserChangedV1 struct {
	User    UserV1   `json:"user"`
	Change  string   `json:"change"`
	Changed []string `json:"changed,omitempty"` // for details: the fields changed
	TokenID string   `json:"token_id,omitempty"`
}

func (UserCreatedV1) EventType() string { return TypeUserCreated }
func (UserChangedV1) EventType() string { return TypeUserChanged }

func (e UserCreatedV1) Validate() error { return e.User.Validate() }
func (e UserChangedV1) Validate() error {
	if e.Change == "" {
		return fmt.Errorf("user change needs a change")
	}
	return e.User.Validate()
}

func init() {
	register(func() Event { return &UserCreatedV1{} })
	register(func() Event { return &UserChangedV1{} })
}
