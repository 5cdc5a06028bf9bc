// Package identity keeps user accounts, signs people in and resolves the
// tokens every econdip API accepts.
//
//   - Accounts are event-sourced on the USERS stream (never projected into
//     ClickHouse): every change says who made it, and the account's history
//     is its audit trail. Passwords are stored as bcrypt hashes, personal API
//     tokens as SHA-256 hashes; the plain token is shown once.
//   - Sign-in creates a session: a random token kept (hashed) in the
//     SESSIONS key-value bucket with a time to live. The dashboard keeps it
//     in an HttpOnly cookie and sends it on to the services as a bearer
//     token, so the services check the real user and record the real actor;
//     signing out deletes it everywhere at once. Each session has its own
//     CSRF token for the dashboard's forms.
//   - Password sign-ins are limited per account and per source address in
//     the SIGNIN_FAILURES bucket, by compare-and-set (attempts.go says how).
//   - Every password check costs the same: accounts and the decoy checked
//     for an unknown id are hashed at the one configured cost (see
//     PasswordCost), and a stored hash of a lower cost (a users file made
//     at another cost) is checked with the decoy as well, so timing does
//     not tell which ids exist. A stored hash of a higher cost still takes
//     longer until its password is set again.
//
// Every service process follows the stream, so a disabled account or a
// revoked token is refused by every API within moments.
package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/i18n"
	"econdip/services/platform/reference"
)

// Source is the CloudEvents source of account events.
const Source = "econdip/identity"

// Options tune the service; zero values take the defaults.
type Options struct {
	BcryptCost  int           // see PasswordCost: 0 is bcrypt.DefaultCost (10); tests use bcrypt.MinCost
	SessionTTL  time.Duration // default 12 h
	MaxFailures int           // password checks of an account before its password sign-in pauses; default 5
	FirstLock   time.Duration // an account's first pause, doubling at each pause in a row; default 1 min (at most LockFor)
	LockFor     time.Duration // an account's longest pause, and how long its failures are counted; default 15 min
	// SourceMaxFailures is how many refused password sign-ins one source
	// address may have within SourceLockFor before it is blocked; default 10.
	SourceMaxFailures int
	// SourceLockFor is a source address's first block, doubling at each
	// block in a row up to 24 h; default 1 h.
	SourceLockFor time.Duration
	Replicas      int // key-value bucket replicas; default 1
	// ViewsDir is the folder of the accounts' read model ("": a temporary
	// one, rebuilt from the USERS stream at each start).
	ViewsDir string
}

// usersView is the accounts' read model: found by the hashes of their
// active personal tokens.
var usersView = eventstore.Shape[events.UserV1]{Name: "users", Keys: activeTokenHashes, Version: 1}

// PasswordCost is the bcrypt cost of a configured cost: 0 (or anything
// bcrypt would not take as a cost) is bcrypt.DefaultCost. Every password
// hash and the decoy use it, so that checking any account takes as long.
func PasswordCost(configured int) int {
	if configured < bcrypt.MinCost {
		return bcrypt.DefaultCost
	}
	return configured
}

// Service is the account store, sign-in and token resolution.
type Service struct {
	decoy    string // a bcrypt hash checked for unknown ids
	onCheck  func() // called before each password check (tests)
	store    *eventstore.Store[events.UserV1]
	view     *eventstore.View[events.UserV1]
	accounts *command.Kind[events.UserV1, events.UserV1]
	sessions jetstream.KeyValue
	failures jetstream.KeyValue
	ref      *reference.Data
	opts     Options
	log      *slog.Logger
	now      func() time.Time
}

// Token prefixes tell sessions from personal API tokens.
const (
	sessionPrefix  = "eds_"
	personalPrefix = "edp_"
)

// MinPassword is the shortest password accepted.
const MinPassword = 12

// New opens the account store, follows the USERS stream until ctx ends and
// creates the key-value buckets if they are missing.
func New(ctx context.Context, js jetstream.JetStream, ref *reference.Data, log *slog.Logger, opts Options) (*Service, error) {
	opts.BcryptCost = PasswordCost(opts.BcryptCost)
	if opts.SessionTTL == 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.MaxFailures == 0 {
		opts.MaxFailures = 5
	}
	if opts.LockFor == 0 {
		opts.LockFor = 15 * time.Minute
	}
	if opts.FirstLock == 0 {
		opts.FirstLock = min(time.Minute, opts.LockFor)
	}
	if opts.SourceMaxFailures == 0 {
		opts.SourceMaxFailures = 10
	}
	if opts.SourceLockFor == 0 {
		opts.SourceLockFor = time.Hour
	}
	if opts.Replicas == 0 {
		opts.Replicas = 1
	}
	s := &Service{ref: ref, opts: opts, log: log, now: time.Now}
	decoy, err := bcrypt.GenerateFromPassword([]byte(randomToken("")), opts.BcryptCost)
	if err != nil {
		return nil, err
	}
	s.decoy = string(decoy)
	s.store = eventstore.New(js, events.StreamUsers, events.UserSubject, userState, func(u events.UserV1) string { return u.ID })
	// ">": ids have dots (attache.de-berlin), so a subject has several tokens.
	if s.view, err = s.store.Follow(ctx, opts.ViewsDir, events.AllUsers, usersView, log); err != nil {
		return nil, err
	}
	same := func(u events.UserV1) events.UserV1 { return u }
	s.accounts = &command.Kind[events.UserV1, events.UserV1]{
		Name: "user", Source: Source, Store: s.store, View: s.view, FromEvent: same, ToEvent: same,
		Stamp: func(u *events.UserV1) (*int, *time.Time) { return &u.Version, &u.UpdatedAt },
		// An account's events name it by its subject; accounts are global.
		// An id that is no subject has none: the store refuses to create it.
		Meta: func(_ auth.User, u events.UserV1) (string, string) {
			subject, _ := events.UserSubject(u.ID)
			return subject, "global"
		},
		Now: func() time.Time { return s.now() },
	}
	if s.sessions, err = bucket(ctx, js, "SESSIONS", "sign-in sessions (SHA-256 of the token → user, CSRF token)", opts.SessionTTL, opts.Replicas); err != nil {
		return nil, err
	}
	// A record outlives its longest pause: it remembers how many pauses came in a row.
	keep := 2 * max(opts.LockFor, s.sourceLimit().longest)
	if s.failures, err = bucket(ctx, js, "SIGNIN_FAILURES", "password sign-in attempts per account and per source address", keep, opts.Replicas); err != nil {
		return nil, err
	}
	return s, nil
}

func bucket(ctx context.Context, js jetstream.JetStream, name, what string, ttl time.Duration, replicas int) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: name, Description: what, TTL: ttl, Replicas: replicas, History: 1})
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, fmt.Errorf("key-value bucket %s: %w", name, err), "error.store_unavailable")
	}
	return kv, nil
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func userState(ev events.Event) (events.UserV1, bool) {
	switch e := ev.(type) {
	case *events.UserCreatedV1:
		return e.User, true
	case *events.UserChangedV1:
		return e.User, true
	}
	return events.UserV1{}, false
}

// ToUser is the authenticated user an account is.
func ToUser(u events.UserV1) auth.User {
	return auth.User{ID: u.ID, Name: u.Name, Role: auth.Role(u.Role), Post: u.Post, Commission: u.Commission, Lang: u.Lang}
}

func hashHex(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func randomToken(prefix string) string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return prefix + hex.EncodeToString(b)
}

// Authenticate resolves a session or a personal API token to its user; a
// disabled account, a revoked token and an expired session are refused.
func (s *Service) Authenticate(token string) (auth.User, error) {
	if token == "" {
		return auth.User{}, apperr.E(apperr.Unauthorized, "error.auth_missing")
	}
	if strings.HasPrefix(token, sessionPrefix) {
		sess, err := s.session(context.Background(), token)
		if err != nil {
			return auth.User{}, err
		}
		return sess.User, nil
	}
	u, _, err := s.tokenOwner(token)
	if err != nil {
		return auth.User{}, err
	}
	return ToUser(u), nil
}

// tokenOwner finds the enabled account holding the active personal token,
// and the token's id.
func (s *Service) tokenOwner(token string) (events.UserV1, string, error) {
	sum := hashHex(token)
	var id string
	// A lookup by the hash, not a scan of the accounts: its timing does not
	// depend on how much of a guess matches.
	matches, err := s.view.Lookup(sum)
	if err != nil {
		return events.UserV1{}, "", err
	}
	if len(matches) != 1 || matches[0].State.Disabled {
		return events.UserV1{}, "", apperr.E(apperr.Unauthorized, "error.auth_invalid")
	}
	for _, t := range matches[0].State.Tokens {
		if t.RevokedAt == nil && subtle.ConstantTimeCompare([]byte(t.SHA256), []byte(sum)) == 1 {
			id = t.ID
			break
		}
	}
	return matches[0].State, id, nil
}

// activeTokenHashes index an account by the SHA-256 of its personal tokens not revoked.
func activeTokenHashes(u events.UserV1) []string {
	var out []string
	for _, t := range u.Tokens {
		if t.RevokedAt == nil {
			out = append(out, t.SHA256)
		}
	}
	return out
}

// activeToken reports whether u holds the personal token id, not revoked.
func activeToken(u events.UserV1, id string) bool {
	return slices.ContainsFunc(u.Tokens, func(t events.UserTokenV1) bool { return t.ID == id && t.RevokedAt == nil })
}

// Session is a signed-in user's session.
type Session struct {
	Token   string    `json:"-"`
	User    auth.User `json:"user"`
	CSRF    string    `json:"csrf"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// PasswordSetAt is the account's PasswordChangedAt when the session
	// opened: a new password ends the sessions opened before it.
	PasswordSetAt *time.Time `json:"password_set_at,omitempty"`
	// ViaToken is the personal token a session was opened with: revoking
	// the token ends the session.
	ViaToken string `json:"via_token,omitempty"`
}

// session reads a session and checks its account is still active.
func (s *Service) session(ctx context.Context, token string) (Session, error) {
	entry, err := s.sessions.Get(ctx, hashHex(token))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Session{}, apperr.E(apperr.Unauthorized, "error.session_expired")
	}
	if err != nil {
		return Session{}, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	var sess Session
	if err := json.Unmarshal(entry.Value(), &sess); err != nil {
		return Session{}, apperr.E(apperr.Unauthorized, "error.session_expired")
	}
	if !s.now().Before(sess.Expires) {
		return Session{}, apperr.E(apperr.Unauthorized, "error.session_expired")
	}
	rec, ok, err := s.view.Get(sess.User.ID)
	if err != nil {
		return Session{}, err
	}
	if !ok || rec.State.Disabled || (sess.ViaToken != "" && !activeToken(rec.State, sess.ViaToken)) {
		return Session{}, apperr.E(apperr.Unauthorized, "error.auth_invalid")
	}
	if sess.ViaToken == "" && !sameTime(sess.PasswordSetAt, rec.State.PasswordChangedAt) {
		return Session{}, apperr.E(apperr.Unauthorized, "error.session_expired")
	}
	sess.Token, sess.User = token, ToUser(rec.State) // role or scope changes apply at once
	return sess, nil
}

// Session returns the session of a token (the dashboard reads its CSRF token).
func (s *Service) Session(ctx context.Context, token string) (Session, error) {
	if !strings.HasPrefix(token, sessionPrefix) {
		return Session{}, apperr.E(apperr.Unauthorized, "error.session_expired")
	}
	return s.session(ctx, token)
}

// SignIn checks an account's password and opens a session, with no limit
// per source address: for callers that are not a sign-in over the network
// (the dashboard after a user's own new password). See SignInFrom.
func (s *Service) SignIn(ctx context.Context, id, password string) (Session, error) {
	return s.SignInFrom(ctx, "", id, password)
}

// SignInFrom checks an account's password, for a person at the source
// address (the client's IP address), and opens a session. Unknown accounts
// and wrong passwords get the same answer; too many attempts pause the
// account's password sign-in (Unauthorized, error.signin_locked) or block
// the source address (TooManyRequests, error.signin_source_blocked), with
// RetryAfter on the error, whatever the password. An empty source is not
// limited by address.
func (s *Service) SignInFrom(ctx context.Context, source, id, password string) (Session, error) {
	id = normalID(id)
	now := s.now()
	var src limit
	var srcKey string
	if source != "" {
		src, srcKey = s.sourceLimit(), s.sourceLimit().key(sourceOf(source))
		a, ok, err := s.take(ctx, src, srcKey, now)
		if err != nil {
			return Session{}, err
		}
		if !ok {
			s.log.Info("sign-in refused: source blocked", "user", id, "source", sourceOf(source))
			return Session{}, apperr.Wrap(apperr.TooManyRequests, retryAfter(a.Until.Sub(now)), "error.signin_source_blocked", minutesLeft(a.Until, now))
		}
	}
	// Take the account's slot before bcrypt runs: concurrent requests
	// cannot all see the account unpaused.
	acct := s.accountLimit()
	a, ok, err := s.take(ctx, acct, acct.key(id), now)
	if err != nil {
		return Session{}, err
	}
	if !ok {
		s.log.Info("sign-in refused: account paused", "user", id)
		return Session{}, apperr.Wrap(apperr.Unauthorized, retryAfter(a.Until.Sub(now)), "error.signin_locked", minutesLeft(a.Until, now))
	}
	rec, known, err := s.view.Get(id)
	if err != nil {
		return Session{}, err
	}
	if !s.passwordMatches(rec.State.PasswordHash, password) || !known || rec.State.Disabled {
		s.log.Info("sign-in refused", "user", id, "failures", a.Count)
		return Session{}, apperr.E(apperr.Unauthorized, "error.signin_failed")
	}
	if source != "" {
		if _, err := s.updateAttempts(ctx, srcKey, func(a *attempts) bool { src.giveBack(a); return true }); err != nil {
			return Session{}, err
		}
	}
	if err := s.liftPause(ctx, id); err != nil {
		return Session{}, err
	}
	return s.openSession(ctx, rec.State, "")
}

// passwordMatches checks password against hash, or against the decoy when
// there is no hash (an unknown id, an account without a password), so that
// every check costs the same. A hash of a lower cost than the configured
// one is checked with the decoy as well, for the same reason.
func (s *Service) passwordMatches(hash, password string) bool {
	if s.onCheck != nil {
		s.onCheck()
	}
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword([]byte(s.decoy), []byte(password))
		return false
	}
	ok := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
	if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost < s.opts.BcryptCost {
		_ = bcrypt.CompareHashAndPassword([]byte(s.decoy), []byte(password))
	}
	return ok
}

// liftPause forgets an account's password attempts: its user proved who
// they are (the right password, a personal token) or has a new password.
func (s *Service) liftPause(ctx context.Context, id string) error {
	if err := s.failures.Delete(ctx, s.accountLimit().key(normalID(id))); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	return nil
}

func normalID(id string) string { return strings.TrimSpace(strings.ToLower(id)) }

// SessionForToken opens a session for the account of a personal API token
// (signing in to the dashboard with a token). It works while the account's
// password sign-in is paused, and lifts the pause: the token's holder is
// the account's user.
func (s *Service) SessionForToken(ctx context.Context, token string) (Session, error) {
	if strings.HasPrefix(token, sessionPrefix) {
		return Session{}, apperr.E(apperr.Unauthorized, "error.auth_invalid")
	}
	u, tokenID, err := s.tokenOwner(token)
	if err != nil {
		return Session{}, err
	}
	if err := s.liftPause(ctx, u.ID); err != nil {
		return Session{}, err
	}
	return s.openSession(ctx, u, tokenID)
}

func (s *Service) openSession(ctx context.Context, st events.UserV1, viaToken string) (Session, error) {
	now := s.now()
	u := ToUser(st)
	sess := Session{Token: randomToken(sessionPrefix), User: u, CSRF: randomToken(""), Created: now, Expires: now.Add(s.opts.SessionTTL),
		PasswordSetAt: st.PasswordChangedAt, ViaToken: viaToken}
	raw, _ := json.Marshal(sess)
	if _, err := s.sessions.Put(ctx, hashHex(sess.Token), raw); err != nil {
		return Session{}, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	s.log.Info("signed in", "user", u.ID)
	return sess, nil
}

// SignOut ends a session.
func (s *Service) SignOut(ctx context.Context, token string) error {
	if !strings.HasPrefix(token, sessionPrefix) {
		return nil
	}
	if err := s.sessions.Delete(ctx, hashHex(token)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	return nil
}

// sameTime reports whether two optional instants are both unset or equal.
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// --- accounts ---

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)
var commissionPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,31}$`)

// Details are the editable fields of an account.
type Details struct {
	Name       string
	Role       string
	Post       string // attachés
	Commission string // secretariats
}

func (s *Service) validate(f *apperr.Fields, d Details) {
	f.Text("name", d.Name, true, 300)
	switch auth.Role(d.Role) {
	case auth.Attache:
		if _, ok := s.ref.Post(d.Post); !ok {
			f.Add("post", "error.no_such_post", d.Post)
		}
		if d.Commission != "" {
			f.Add("commission", "error.scope_role")
		}
	case auth.Secretariat:
		if !commissionPattern.MatchString(d.Commission) {
			f.Add("commission", "error.commission_id")
		}
		if d.Post != "" {
			f.Add("post", "error.scope_role")
		}
	case auth.Analyst, auth.Admin:
		if d.Post != "" {
			f.Add("post", "error.scope_role")
		}
		if d.Commission != "" {
			f.Add("commission", "error.scope_role")
		}
	default:
		f.Add("role", "error.one_of", "attache, secretariat, analyst, admin")
	}
}

func checkPassword(f *apperr.Fields, field, password string) {
	switch n := utf8.RuneCountInString(password); {
	case n < MinPassword:
		f.Add(field, "error.password_short", MinPassword)
	case len(password) > 72: // bcrypt reads 72 bytes
		f.Add(field, "error.password_long", 72)
	}
}

// system is the actor of the accounts the users file brings in.
var system = auth.User{ID: "system", Role: auth.Admin}

// accountAction is what acting on account id is for actor: on their own
// account, what every signed-in user may do (a password, tokens); on
// another's, managing users.
func accountAction(actor auth.User, id string) auth.Action {
	if actor.ID == id {
		return auth.SignedIn
	}
	return auth.ManageUsers
}

// CreateUser opens an account (administrators). password may be empty: the
// account then signs in only with tokens until a password is set.
func (s *Service) CreateUser(ctx context.Context, actor auth.User, id string, d Details, password string) (events.UserV1, error) {
	if err := auth.Allow(actor, auth.ManageUsers); err != nil {
		return events.UserV1{}, err
	}
	var f apperr.Fields
	if !idPattern.MatchString(id) {
		f.Add("id", "error.user_id")
	}
	s.validate(&f, d)
	if password != "" {
		checkPassword(&f, "password", password)
	}
	if err := f.Err(); err != nil {
		return events.UserV1{}, err
	}
	return s.create(ctx, actor, id, d, password, nil)
}

func (s *Service) create(ctx context.Context, actor auth.User, id string, d Details, password string, tokens []events.UserTokenV1) (events.UserV1, error) {
	u, _, err := s.accounts.Create(ctx, actor, auth.ManageUsers, command.New{ID: id}, func(id string, now time.Time) (events.UserV1, command.Event[events.UserV1], error) {
		u := events.UserV1{ID: id, Version: 1, Name: strings.TrimSpace(d.Name), Role: d.Role, Post: d.Post, Commission: d.Commission,
			Tokens: tokens, CreatedAt: now, UpdatedAt: now}
		if u.Tokens == nil {
			u.Tokens = []events.UserTokenV1{}
		}
		if password != "" {
			h, err := bcrypt.GenerateFromPassword([]byte(password), s.opts.BcryptCost)
			if err != nil {
				return u, nil, apperr.Wrap(apperr.Internal, err, "error.internal")
			}
			u.PasswordHash = string(h)
		}
		return u, func(st events.UserV1) events.Event { return events.UserCreatedV1{User: st} }, nil
	})
	if apperr.CodeOf(err) == apperr.Conflict {
		return u, apperr.E(apperr.Conflict, "error.user_exists", id)
	}
	return u, err
}

// change applies one change to an account through the command helper.
// version is the version read; 0 checks none (a change made without
// reading the account: a new password, a token).
func (s *Service) change(ctx context.Context, actor auth.User, id string, version int, apply func(*events.UserV1, time.Time) (events.UserChangedV1, error)) (events.UserV1, error) {
	if version == 0 {
		version = command.AnyVersion
	}
	return s.accounts.Change(ctx, actor, accountAction(actor, id), id, version, func(u *events.UserV1, now time.Time) (command.Event[events.UserV1], error) {
		ev, err := apply(u, now)
		if err != nil {
			return nil, err
		}
		return func(st events.UserV1) events.Event { ev.User = st; return ev }, nil
	})
}

// UpdateUser changes an account's name, role and scope (administrators).
func (s *Service) UpdateUser(ctx context.Context, actor auth.User, id string, version int, d Details) (events.UserV1, error) {
	if err := auth.Allow(actor, auth.ManageUsers); err != nil {
		return events.UserV1{}, err
	}
	var f apperr.Fields
	s.validate(&f, d)
	if err := f.Err(); err != nil {
		return events.UserV1{}, err
	}
	return s.change(ctx, actor, id, version, func(u *events.UserV1, _ time.Time) (events.UserChangedV1, error) {
		var changed []string
		for _, c := range []struct {
			field    string
			dst, src *string
		}{{"name", &u.Name, &d.Name}, {"role", &u.Role, &d.Role}, {"post", &u.Post, &d.Post}, {"commission", &u.Commission, &d.Commission}} {
			if v := strings.TrimSpace(*c.src); *c.dst != v {
				*c.dst = v
				changed = append(changed, c.field)
			}
		}
		if len(changed) == 0 {
			return events.UserChangedV1{}, apperr.E(apperr.Invalid, "error.nothing_changed")
		}
		return events.UserChangedV1{Change: "details", Changed: changed}, nil
	})
}

// SetDisabled disables or enables an account (administrators, not their own).
// A disabled account's sessions and tokens are refused at once.
func (s *Service) SetDisabled(ctx context.Context, actor auth.User, id string, version int, disabled bool) (events.UserV1, error) {
	if err := auth.Allow(actor, auth.ManageUsers); err != nil {
		return events.UserV1{}, err
	}
	if actor.ID == id && disabled {
		return events.UserV1{}, apperr.E(apperr.Invalid, "error.disable_self")
	}
	return s.change(ctx, actor, id, version, func(u *events.UserV1, _ time.Time) (events.UserChangedV1, error) {
		if u.Disabled == disabled {
			return events.UserChangedV1{}, apperr.E(apperr.Invalid, "error.nothing_changed")
		}
		u.Disabled = disabled
		if disabled {
			return events.UserChangedV1{Change: "disabled"}, nil
		}
		return events.UserChangedV1{Change: "enabled"}, nil
	})
}

// SetLang sets the language an account's pages and API messages are in
// (its user or an administrator): one of i18n.Langs, or "" for the
// browser's. version is the version read, as for the details; it applies
// at once, also to sessions and tokens in use.
func (s *Service) SetLang(ctx context.Context, actor auth.User, id string, version int, lang string) (events.UserV1, error) {
	if err := auth.Allow(actor, accountAction(actor, id)); err != nil {
		return events.UserV1{}, err
	}
	if l, ok := i18n.Parse(lang); lang != "" && (!ok || string(l) != lang) {
		names := make([]string, len(i18n.Langs))
		for i, l := range i18n.Langs {
			names[i] = string(l)
		}
		var f apperr.Fields
		f.Add("lang", "error.one_of", strings.Join(names, ", "))
		return events.UserV1{}, f.Err()
	}
	return s.change(ctx, actor, id, version, func(u *events.UserV1, _ time.Time) (events.UserChangedV1, error) {
		if u.Lang == lang {
			return events.UserChangedV1{}, apperr.E(apperr.Invalid, "error.nothing_changed")
		}
		u.Lang = lang
		return events.UserChangedV1{Change: "language", Changed: []string{"lang"}}, nil
	})
}

// SetPassword sets an account's password (the user with the current one,
// or an administrator for any account) and ends the account's sessions:
// the user's own dashboard signs in again with the new password.
func (s *Service) SetPassword(ctx context.Context, actor auth.User, id, current, password string) error {
	if err := auth.Allow(actor, accountAction(actor, id)); err != nil {
		return err
	}
	var f apperr.Fields
	checkPassword(&f, "password", password)
	if err := f.Err(); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.opts.BcryptCost)
	if err != nil {
		return apperr.Wrap(apperr.Internal, err, "error.internal")
	}
	_, err = s.change(ctx, actor, id, 0, func(u *events.UserV1, now time.Time) (events.UserChangedV1, error) {
		if actor.ID == id && (u.PasswordHash == "" || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(current)) != nil) {
			var f apperr.Fields
			f.Add("current", "error.password_wrong")
			return events.UserChangedV1{}, f.Err()
		}
		u.PasswordHash = string(hash)
		at := now
		u.PasswordChangedAt = &at // ends every session opened before
		return events.UserChangedV1{Change: "password"}, nil
	})
	if err == nil {
		_ = s.liftPause(ctx, id) // a new password lifts a pause
	}
	return err
}

// CreateToken creates a personal API token for an account (its user or an
// administrator) and returns it: it is shown once, only its hash is kept.
func (s *Service) CreateToken(ctx context.Context, actor auth.User, id, name string) (string, events.UserTokenV1, error) {
	if err := auth.Allow(actor, accountAction(actor, id)); err != nil {
		return "", events.UserTokenV1{}, err
	}
	var f apperr.Fields
	f.Text("name", name, true, 100)
	if err := f.Err(); err != nil {
		return "", events.UserTokenV1{}, err
	}
	plain := randomToken(personalPrefix)
	var tok events.UserTokenV1
	_, err := s.change(ctx, actor, id, 0, func(u *events.UserV1, now time.Time) (events.UserChangedV1, error) {
		active := 0
		for _, t := range u.Tokens {
			if t.RevokedAt == nil {
				active++
			}
		}
		if active >= 10 {
			return events.UserChangedV1{}, apperr.E(apperr.Invalid, "error.too_many_tokens", 10)
		}
		tok = events.UserTokenV1{ID: strconv.FormatInt(now.UnixMilli(), 36) + "-" + hashHex(plain)[:6], Name: strings.TrimSpace(name),
			SHA256: hashHex(plain), CreatedAt: now, CreatedBy: actor.ID}
		u.Tokens = append(u.Tokens, tok)
		return events.UserChangedV1{Change: "token_created", TokenID: tok.ID}, nil
	})
	if err != nil {
		return "", events.UserTokenV1{}, err
	}
	return plain, tok, nil
}

// RevokeToken revokes a personal API token (its user or an administrator).
func (s *Service) RevokeToken(ctx context.Context, actor auth.User, id, tokenID string) error {
	if err := auth.Allow(actor, accountAction(actor, id)); err != nil {
		return err
	}
	_, err := s.change(ctx, actor, id, 0, func(u *events.UserV1, now time.Time) (events.UserChangedV1, error) {
		i := slices.IndexFunc(u.Tokens, func(t events.UserTokenV1) bool { return t.ID == tokenID && t.RevokedAt == nil })
		if i < 0 {
			return events.UserChangedV1{}, apperr.E(apperr.NotFound, "error.not_found", tokenID)
		}
		at := now
		u.Tokens[i].RevokedAt = &at
		return events.UserChangedV1{Change: "token_revoked", TokenID: tokenID}, nil
	})
	return err
}

// User returns an account (its user, or an administrator).
func (s *Service) User(actor auth.User, id string) (events.UserV1, error) {
	if err := auth.Allow(actor, accountAction(actor, id)); err != nil {
		return events.UserV1{}, err
	}
	rec, ok, err := s.view.Get(id)
	if err != nil {
		return events.UserV1{}, err
	}
	if !ok {
		return events.UserV1{}, apperr.E(apperr.NotFound, "error.not_found", id)
	}
	return rec.State, nil
}

// LookupUser returns the enabled account with id as a user
// (auth.UserDirectory): whom a task may be assigned to.
func (s *Service) LookupUser(id string) (auth.User, bool) {
	rec, ok, err := s.view.Get(id)
	if err != nil || !ok || rec.State.Disabled {
		return auth.User{}, false
	}
	return ToUser(rec.State), true
}

// Colleagues lists the enabled attachés and secretariat users of u's own
// scope (u's post or commission), by id: whom u may assign a task to.
// Users without a scope have none.
func (s *Service) Colleagues(u auth.User) ([]auth.User, error) {
	if u.Role != auth.Attache && u.Role != auth.Secretariat {
		return nil, nil
	}
	scope := u.Scope()
	recs, err := s.view.Select(eventstore.Query[events.UserV1]{Keep: func(a events.UserV1) bool {
		other := ToUser(a)
		return !a.Disabled && other.Role == u.Role && other.Scope() == scope
	}})
	if err != nil {
		return nil, err
	}
	out := make([]auth.User, len(recs))
	for i, r := range recs {
		out[i] = ToUser(r.State)
	}
	return out, nil
}

// Users lists every account by id (administrators).
func (s *Service) Users(actor auth.User) ([]events.UserV1, error) {
	if err := auth.Allow(actor, auth.ManageUsers); err != nil {
		return nil, err
	}
	recs, err := s.view.Select(eventstore.Query[events.UserV1]{}) // by id: the view's order
	if err != nil {
		return nil, err
	}
	out := make([]events.UserV1, len(recs))
	for i, r := range recs {
		out[i] = r.State
	}
	return out, nil
}

// Change is one entry of an account's history: who changed what, when.
type Change struct {
	command.Entry
	Change  string
	Changed []string
	TokenID string
}

// History is an account's audit trail (its user, or an administrator).
func (s *Service) History(ctx context.Context, actor auth.User, id string) ([]Change, error) {
	return command.History(ctx, s.accounts, actor, accountAction(actor, id), id, func(en command.Entry, ev events.Event) Change {
		c := Change{Entry: en, Change: "created"}
		if e, ok := ev.(*events.UserChangedV1); ok {
			c.Change, c.Changed, c.TokenID = e.Change, e.Changed, e.TokenID
		}
		return c
	})
}

// Import creates the accounts of a users file that do not exist yet, with
// their token (and password hash, when the file has one). It is how the
// local default's demo users and a first administrator come in; accounts
// that exist are left as they are. It returns how many it created.
func (s *Service) Import(ctx context.Context, f auth.File) (int, error) {
	n := 0
	for _, e := range f.Users {
		if _, ok, err := s.view.Get(e.ID); err != nil {
			return n, err
		} else if ok {
			continue
		}
		now := s.now().UTC().Truncate(time.Millisecond)
		tokens := []events.UserTokenV1{{ID: "users-file", Name: "from the users file", SHA256: e.TokenSHA256, CreatedAt: now, CreatedBy: "system"}}
		d := Details{Name: e.Name, Role: string(e.Role), Post: e.Post, Commission: e.Commission}
		u, err := s.create(ctx, system, e.ID, d, "", tokens)
		if err != nil && apperr.CodeOf(err) != apperr.Conflict {
			return n, fmt.Errorf("import user %s: %w", e.ID, err)
		}
		if err == nil && e.PasswordBcrypt != "" {
			if _, err := s.change(ctx, system, u.ID, 0, func(u *events.UserV1, _ time.Time) (events.UserChangedV1, error) {
				u.PasswordHash = e.PasswordBcrypt
				return events.UserChangedV1{Change: "password"}, nil
			}); err != nil {
				return n, fmt.Errorf("import user %s: %w", e.ID, err)
			}
		}
		if err == nil {
			n++
		}
	}
	return n, nil
}
