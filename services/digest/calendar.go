package digest

// The calendar feed (issue 17): a per-user iCalendar address with a secret
// token, for Outlook and phones, holding the decision deadlines in the
// user's scope and the due days of the tasks assigned to them.
//
// Only the SHA-256 of a token is stored, in the NATS key-value bucket
// CALENDARS: "token.<sha256 hex>" names the user, "user.<id, base64url>"
// the hash of their current token, so making a new address or revoking
// deletes the old one. The address is shown once, when it is made (as
// personal API tokens are). Who the user is, and so what the feed holds, is
// read at every request: a role or scope changed later applies at once, and
// a disabled account's feed answers 404 like an unknown token.

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	ics "github.com/arran4/golang-ical"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/analytics"
	"econdip/services/platform/auth"
	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
	"econdip/services/platform/natsx"
)

// Calendars is the store of calendar tokens.
type Calendars struct{ kv jetstream.KeyValue }

// OpenCalendars opens (and, where the connection may, creates) the
// CALENDARS bucket.
func OpenCalendars(ctx context.Context, js jetstream.JetStream, replicas int) (*Calendars, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: natsx.BucketCalendars,
		Description: "calendar feed tokens (SHA-256 of the token → user; user → hash of their token)", Replicas: max(replicas, 1), History: 1})
	if err != nil {
		return nil, fmt.Errorf("key-value bucket %s: %w", natsx.BucketCalendars, err)
	}
	return &Calendars{kv: kv}, nil
}

func tokenKey(hash string) string { return "token." + hash }
func userKey(id string) string    { return "user." + base64.RawURLEncoding.EncodeToString([]byte(id)) }

func hashOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// New makes a new calendar token for user id, revoking the one they had,
// and returns it: the only time it is seen.
func (c *Calendars) New(ctx context.Context, id string) (string, error) {
	if err := c.Revoke(ctx, id); err != nil {
		return "", err
	}
	token := auth.NewToken()
	hash := hashOf(token)
	if _, err := c.kv.Put(ctx, tokenKey(hash), []byte(id)); err != nil {
		return "", fmt.Errorf("store calendar token: %w", err)
	}
	if _, err := c.kv.Put(ctx, userKey(id), []byte(hash)); err != nil {
		return "", fmt.Errorf("store calendar token: %w", err)
	}
	return token, nil
}

// Revoke deletes user id's calendar token, if they have one.
func (c *Calendars) Revoke(ctx context.Context, id string) error {
	e, err := c.kv.Get(ctx, userKey(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read calendar token: %w", err)
	}
	if err := c.kv.Delete(ctx, tokenKey(string(e.Value()))); err != nil {
		return fmt.Errorf("revoke calendar token: %w", err)
	}
	if err := c.kv.Delete(ctx, userKey(id)); err != nil {
		return fmt.Errorf("revoke calendar token: %w", err)
	}
	return nil
}

// Has reports whether user id has a calendar address, and since when.
func (c *Calendars) Has(ctx context.Context, id string) (bool, time.Time, error) {
	e, err := c.kv.Get(ctx, userKey(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, time.Time{}, nil
	}
	if err != nil {
		return false, time.Time{}, fmt.Errorf("read calendar token: %w", err)
	}
	return true, e.Created(), nil
}

// User returns the id of the user whose token this is; ok is false for an
// unknown or revoked token.
func (c *Calendars) User(ctx context.Context, token string) (id string, ok bool, err error) {
	if token == "" {
		return "", false, nil
	}
	e, err := c.kv.Get(ctx, tokenKey(hashOf(token)))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read calendar token: %w", err)
	}
	return string(e.Value()), true, nil
}

// Feed is user's calendar as iCalendar text, in lang: an all-day event on
// the deadline of every decision in their scope that is open or in
// progress, and on the due day of every task assigned to them that is not
// done. Task titles are not in ClickHouse, so a task's event names its
// record ("Task due: <record>"), not its title. baseURL is the dashboard's
// address for the events' links ("" for none).
func Feed(ctx context.Context, conn driver.Conn, user auth.User, lang, baseURL string, now time.Time) ([]byte, error) {
	l, ok := i18n.Parse(lang)
	if !ok {
		l = i18n.EN
	}
	decisions, err := analytics.OpenDecisions(ctx, conn, ScopeOf(user))
	if err != nil {
		return nil, err
	}
	tasks, err := analytics.AssignedTasks(ctx, conn, user.ID)
	if err != nil {
		return nil, err
	}
	cal := ics.NewCalendar()
	cal.SetMethod(ics.MethodPublish)
	cal.SetProductId("-//econdip//calendar feed//EN")
	cal.SetName(i18n.T(l, "digest.calendar.title"))
	cal.SetXWRCalName(i18n.T(l, "digest.calendar.title"))
	cal.SetXWRTimezone(kernel.Astana.String())
	cal.SetRefreshInterval("PT1H")
	cal.SetXPublishedTTL("PT1H")
	add := func(uid string, day time.Time, summary, description, link string) {
		ev := cal.AddEvent(uid)
		ev.SetDtStampTime(now)
		ev.SetAllDayStartAt(day)
		ev.SetAllDayEndAt(day.AddDate(0, 0, 1))
		ev.SetSummary(summary)
		if description != "" {
			ev.SetDescription(description)
		}
		if link != "" {
			ev.SetURL(link)
		}
		ev.SetTimeTransparency(ics.TransparencyTransparent)
	}
	for _, d := range decisions {
		name := i18n.T(l, "digest.decision", d.CommissionID, d.SessionNumber, d.Item)
		link := ""
		if baseURL != "" && user.Role == auth.Secretariat {
			link = baseURL + "/secretariat/decisions/" + d.DecisionID
		}
		add("decision-"+d.CommissionID+"-"+d.DecisionID+"@econdip", d.Deadline,
			i18n.T(l, "digest.calendar.summary.decision", name), shorten(d.Text, 500), link)
	}
	for _, t := range tasks {
		name := t.RecordName
		if name == "" {
			name = i18n.T(l, "digest.unnamed_record", t.RecordID)
		}
		add("task-"+t.TaskID+"@econdip", t.Due.Time(), i18n.T(l, "digest.calendar.summary.task", name),
			i18n.T(l, "digest.kind."+t.RecordKind)+": "+name, "")
	}
	return []byte(cal.Serialize()), nil
}
