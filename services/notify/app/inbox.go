package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/services/notify/domain"
	"econdip/services/platform/apperr"
)

// Store is the users' side of the notifier: inboxes, preferences and the
// administrator's rule parameters, all in NATS KV. The dashboard opens one
// (OpenStore) to show the inbox and its unread count in any process; the
// notifier's Service has one too.
type Store struct {
	inbox, prefs jetstream.KeyValue
}

// OpenStore opens the inbox and preferences buckets (made by Setup).
func OpenStore(ctx context.Context, js jetstream.JetStream) (*Store, error) {
	s := &Store{}
	var err error
	if s.inbox, err = js.KeyValue(ctx, BucketInbox); err != nil {
		return nil, fmt.Errorf("notifier bucket %s (run `econdip migrate`): %w", BucketInbox, err)
	}
	if s.prefs, err = js.KeyValue(ctx, BucketPrefs); err != nil {
		return nil, fmt.Errorf("notifier bucket %s (run `econdip migrate`): %w", BucketPrefs, err)
	}
	return s, nil
}

// Entry is one reminder in one user's inbox.
type Entry struct {
	ID           string    `json:"id"` // the reminder's id: rule, record and period hashed
	Rule         string    `json:"rule"`
	Kind         string    `json:"kind"` // lead, decision, barrier, deal, task
	RecordID     string    `json:"record_id"`
	CommissionID string    `json:"commission_id,omitempty"`
	Title        string    `json:"title"`
	Day          string    `json:"day"` // the day the reminder is about (deadline, due day, since)
	Link         string    `json:"link"`
	CreatedAt    time.Time `json:"created_at"`
	Read         bool      `json:"read"`
	// Mail is the entry's e-mail: "" none, "pending" to be queued,
	// "queued" in the outbox, "digest" left for the weekly digest.
	Mail string `json:"mail,omitempty"`
}

// Mail states of an entry.
const (
	mailPending = "pending"
	mailQueued  = "queued"
	mailDigest  = "digest"
)

// RecordKey names a record for muting: "<kind>:<id>".
func (e Entry) RecordKey() string { return e.Kind + ":" + e.RecordID }

func inboxKey(user, id string) string { return userKey(user) + "." + id }

// Inbox lists a user's entries, newest first.
func (s *Store) Inbox(ctx context.Context, user string) ([]Entry, error) {
	keys, err := s.inbox.ListKeysFiltered(ctx, userKey(user)+".*")
	if err != nil {
		return nil, unavailable(err)
	}
	var out []Entry
	for k := range keys.Keys() {
		kve, err := s.inbox.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, unavailable(err)
		}
		var e Entry
		if err := json.Unmarshal(kve.Value(), &e); err != nil {
			return nil, fmt.Errorf("inbox entry %s: %w", k, err)
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Unread counts a user's unread entries.
func (s *Store) Unread(ctx context.Context, user string) (int, error) {
	list, err := s.Inbox(ctx, user)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range list {
		if !e.Read {
			n++
		}
	}
	return n, nil
}

// MarkRead marks one of a user's entries read (or unread). NotFound when
// the user has no such entry.
func (s *Store) MarkRead(ctx context.Context, user, id string, read bool) error {
	if !validToken(id) {
		return apperr.E(apperr.NotFound, "error.not_found")
	}
	return s.updateEntry(ctx, user, id, func(e *Entry) { e.Read = read })
}

// MarkAllRead marks every entry of a user read.
func (s *Store) MarkAllRead(ctx context.Context, user string) error {
	list, err := s.Inbox(ctx, user)
	if err != nil {
		return err
	}
	for _, e := range list {
		if !e.Read {
			if err := s.MarkRead(ctx, user, e.ID, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// updateEntry changes an entry by CAS on its revision, again when another
// change came first.
func (s *Store) updateEntry(ctx context.Context, user, id string, change func(*Entry)) error {
	key := inboxKey(user, id)
	for range 5 {
		kve, err := s.inbox.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return apperr.E(apperr.NotFound, "error.not_found")
		}
		if err != nil {
			return unavailable(err)
		}
		var e Entry
		if err := json.Unmarshal(kve.Value(), &e); err != nil {
			return fmt.Errorf("inbox entry %s: %w", key, err)
		}
		change(&e)
		b, _ := json.Marshal(e)
		if _, err := s.inbox.Update(ctx, key, b, kve.Revision()); err == nil {
			return nil
		} else if !errors.Is(err, jetstream.ErrKeyExists) {
			return unavailable(err)
		}
	}
	return apperr.E(apperr.Conflict, "error.conflict")
}

// validToken: an id the notifier makes (hex), never a subject wildcard.
func validToken(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

func unavailable(err error) error {
	return apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
}

// Prefs are one user's notification settings.
type Prefs struct {
	// Email is where the user's e-mails go; empty: inbox only.
	Email string `json:"email,omitempty"`
	// Delivery is the user's choice per rule; a rule missing takes its default.
	Delivery map[string]domain.Delivery `json:"delivery,omitempty"`
	// Muted are the records ("<kind>:<id>") the user gets no reminders for.
	Muted []string `json:"muted,omitempty"`
}

// DeliveryOf is the user's delivery for rule.
func (p Prefs) DeliveryOf(rule string) domain.Delivery {
	if d, ok := p.Delivery[rule]; ok {
		return d
	}
	r, _ := domain.RuleByID(rule)
	return r.Delivery
}

// Validate checks the prefs a user sends.
func (p Prefs) Validate() error {
	f := apperr.Fields{}
	if p.Email != "" && (len(p.Email) > 254 || strings.Count(p.Email, "@") != 1 || strings.ContainsAny(p.Email, " \r\n<>,;") ||
		strings.HasPrefix(p.Email, "@") || strings.HasSuffix(p.Email, "@")) {
		f.Add("email", "notify.error.email")
	}
	for rule, d := range p.Delivery {
		if _, ok := domain.RuleByID(rule); !ok {
			f.Add("delivery."+rule, "notify.error.unknown_rule")
		} else if !d.Valid() {
			f.Add("delivery."+rule, "notify.error.delivery")
		}
	}
	if len(p.Muted) > 1000 {
		f.Add("muted", "notify.error.too_many")
	}
	return f.Err()
}

// PrefsOf returns a user's notification settings (zero when none are stored).
func (s *Store) PrefsOf(ctx context.Context, user string) (Prefs, error) {
	p, _, err := s.prefsOf(ctx, user)
	return p, err
}

func (s *Store) prefsOf(ctx context.Context, user string) (Prefs, uint64, error) {
	kve, err := s.prefs.Get(ctx, userKey(user))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Prefs{}, 0, nil
	}
	if err != nil {
		return Prefs{}, 0, unavailable(err)
	}
	var p Prefs
	if err := json.Unmarshal(kve.Value(), &p); err != nil {
		return Prefs{}, 0, fmt.Errorf("prefs of %s: %w", user, err)
	}
	return p, kve.Revision(), nil
}

// SetPrefs stores a user's e-mail address and deliveries (the muted records stay as they are).
func (s *Store) SetPrefs(ctx context.Context, user string, p Prefs) (Prefs, error) {
	if err := p.Validate(); err != nil {
		return Prefs{}, err
	}
	return s.changePrefs(ctx, user, func(old *Prefs) { old.Email, old.Delivery = p.Email, p.Delivery })
}

// Mute mutes (or unmutes) a record for a user: no reminder about it reaches them.
func (s *Store) Mute(ctx context.Context, user, kind, id string, mute bool) (Prefs, error) {
	if !slices.Contains([]string{"lead", "decision", "barrier", "deal", "task"}, kind) || id == "" || len(id) > 200 {
		f := apperr.Fields{}
		f.Add("record", "notify.error.record")
		return Prefs{}, f.Err()
	}
	rec := kind + ":" + id
	return s.changePrefs(ctx, user, func(p *Prefs) {
		p.Muted = slices.DeleteFunc(p.Muted, func(m string) bool { return m == rec })
		if mute {
			p.Muted = append(p.Muted, rec)
			slices.Sort(p.Muted)
		}
	})
}

func (s *Store) changePrefs(ctx context.Context, user string, change func(*Prefs)) (Prefs, error) {
	for range 5 {
		p, rev, err := s.prefsOf(ctx, user)
		if err != nil {
			return Prefs{}, err
		}
		change(&p)
		b, _ := json.Marshal(p)
		if rev == 0 {
			_, err = s.prefs.Create(ctx, userKey(user), b)
		} else {
			_, err = s.prefs.Update(ctx, userKey(user), b, rev)
		}
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return Prefs{}, unavailable(err)
		}
	}
	return Prefs{}, apperr.E(apperr.Conflict, "error.conflict")
}

// Settings returns the administrator's rule parameters.
func (s *Store) Settings(ctx context.Context) (domain.Settings, error) {
	kve, err := s.prefs.Get(ctx, KeySettings)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return domain.Settings{}, nil
	}
	if err != nil {
		return nil, unavailable(err)
	}
	var set domain.Settings
	if err := json.Unmarshal(kve.Value(), &set); err != nil {
		return nil, fmt.Errorf("rule settings: %w", err)
	}
	return set, nil
}

// SetSettings replaces the administrator's rule parameters (missing ones take the defaults).
func (s *Store) SetSettings(ctx context.Context, set domain.Settings) error {
	if err := set.Validate(); err != nil {
		f := apperr.Fields{}
		f.Add("settings", "notify.error.rule_settings")
		return errors.Join(f.Err(), err)
	}
	b, _ := json.Marshal(set)
	if _, err := s.prefs.Put(ctx, KeySettings, b); err != nil {
		return unavailable(err)
	}
	return nil
}

// DigestEntries are a user's reminders left for the weekly digest (the
// user chose "digest" for their rule) created from since on, oldest first:
// for the digest's builder.
func (s *Store) DigestEntries(ctx context.Context, user string, since time.Time) ([]Entry, error) {
	list, err := s.Inbox(ctx, user)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, e := range slices.Backward(list) {
		if e.Mail == mailDigest && !e.CreatedAt.Before(since) {
			out = append(out, e)
		}
	}
	return out, nil
}
