// Package documents is the files attached to records (issue 18): a lead, a
// deal, a barrier or a decision may carry PDF, DOCX, XLSX, JPEG and PNG
// files of up to 25 MiB. Each document is a record of its own on its own
// subject under the record (events.WorkSubject with events.WorkDocument),
// in the record's stream; its bytes are an object in the JetStream object
// store (bucket DOCUMENTS), replicated as the streams are.
//
// The log stays the source of truth, with no dual write: the bytes are put
// first, under a name made of the document's id and the bytes' SHA-256
// (putting them again is a no-op), and only then is document.attached
// appended through the one command helper. A crash in between leaves an
// object that no event names: the sweeper deletes such objects once they
// are an hour old (orphanAge). A document is listed and downloadable only
// once its event is stored.
//
// Removal is an event (document.removed); the bytes stay for the retention
// period an administrator sets (SetRetention, default 30 days), after which
// the sweeper deletes them and appends document.purged. The history stays.
package documents

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/natsx"
)

// The object store and key-value buckets of documents (natsx has their names).
const (
	// Bucket holds the documents' bytes: one object per document.
	Bucket = natsx.BucketDocuments
	// BucketSettings holds the administrator's retention period (KeyRetention).
	BucketSettings = natsx.BucketDocumentSettings
	// BucketLease holds the sweepers' leases, one key per kind of record.
	BucketLease = natsx.BucketDocumentLease
	// KeyRetention is the retention period in days, a decimal number.
	KeyRetention = "retention_days"
)

// DefaultRetentionDays is the retention period when none is set.
const DefaultRetentionDays = 30

// MaxRetentionDays bounds what an administrator may set (ten years).
const MaxRetentionDays = 3650

// orphanAge is how old an object must be, with no event that names it,
// before the sweeper deletes it: an upload whose event never came.
const orphanAge = time.Hour

// DefaultLeaseTTL is the sweepers' lease TTL (the lease bucket's).
const DefaultLeaseTTL = 30 * time.Second

// SweeperActor is the actor of document.purged events.
const SweeperActor = "system.documents-sweeper"

// Setup creates or updates the object store and the buckets (the
// administrator's tool runs it, as it does events.EnsureStreams), with
// replicas copies each, as the streams.
func Setup(ctx context.Context, js jetstream.JetStream, replicas int) error {
	replicas = max(replicas, 1)
	if _, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: Bucket, Description: "the bytes of documents attached to records (events name them)",
		Storage: jetstream.FileStorage, Replicas: replicas,
	}); err != nil {
		return fmt.Errorf("create or update object store %s: %w", Bucket, err)
	}
	for _, cfg := range []jetstream.KeyValueConfig{
		{Bucket: BucketSettings, Description: "documents: the retention period of removed documents' bytes", History: 5},
		{Bucket: BucketLease, Description: "documents: the sweepers' leases", History: 1, TTL: DefaultLeaseTTL},
	} {
		cfg.Replicas, cfg.Storage = replicas, jetstream.FileStorage
		if _, err := js.CreateOrUpdateKeyValue(ctx, cfg); err != nil {
			return fmt.Errorf("create or update bucket %s: %w", cfg.Bucket, err)
		}
	}
	return nil
}

// Retention is the retention period in days set in settings (the
// BucketSettings bucket), or DefaultRetentionDays.
func Retention(ctx context.Context, settings jetstream.KeyValue) (int, error) {
	e, err := settings.Get(ctx, KeyRetention)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return DefaultRetentionDays, nil
	}
	if err != nil {
		return 0, apperr.Wrap(apperr.Unavailable, err, "error.service_unavailable")
	}
	days, err := strconv.Atoi(string(e.Value()))
	if err != nil || days < 0 {
		return DefaultRetentionDays, nil
	}
	return days, nil
}

// SetRetention sets the retention period (0 to MaxRetentionDays days; 0:
// the bytes go at the sweeper's next run after the removal).
func SetRetention(ctx context.Context, settings jetstream.KeyValue, days int) error {
	if days < 0 || days > MaxRetentionDays {
		var f apperr.Fields
		f.Add("days", "error.documents_retention_range", MaxRetentionDays)
		return f.Err()
	}
	if _, err := settings.Put(ctx, KeyRetention, []byte(strconv.Itoa(days))); err != nil {
		return apperr.Wrap(apperr.Unavailable, err, "error.service_unavailable")
	}
	return nil
}

// Config is what a service tells the documents of one kind of record.
type Config struct {
	// Kind is the record kind (events.WorkOnLead, ...).
	Kind string
	// Source is the CloudEvents source of the service.
	Source string
	// Read and Write are the record's actions: whoever may read the record
	// lists and downloads its documents (analysts too: documents are what
	// the records' figures rest on); whoever may write it attaches and
	// removes them.
	Read, Write auth.Action
	// Record checks that u may take action a on the record ref and returns
	// its scope, as work.Config.Record.
	Record func(ctx context.Context, u auth.User, a auth.Action, ref events.WorkRef) (scope string, err error)
	// Namespace derives document ids from Idempotency-Keys.
	Namespace uuid.UUID
	Now       func() time.Time
	// Instance names this instance in the sweeper's lease (default: random).
	Instance string
}

// place is where the documents of a kind of record are.
type place struct{ stream, all string }

var places = map[string]place{
	events.WorkOnLead:     {events.StreamLeads, events.AllLeadDocuments},
	events.WorkOnDeal:     {events.StreamExports, events.AllDealDocuments},
	events.WorkOnBarrier:  {events.StreamExports, events.AllBarrierDocuments},
	events.WorkOnDecision: {events.StreamCommissions, events.AllDecisionDocuments},
}

// Docs is the documents of one kind of record.
type Docs struct {
	cfg      Config
	place    place
	js       jetstream.JetStream
	objects  jetstream.ObjectStore
	settings jetstream.KeyValue
	leases   jetstream.KeyValue
	view     *eventstore.View[events.DocumentV1]
	kind     command.Kind[events.DocumentV1, events.DocumentV1]
	log      *slog.Logger
}

func shape(kind string) eventstore.Shape[events.DocumentV1] {
	return eventstore.Shape[events.DocumentV1]{
		Name:  kind + "-documents",
		Order: func(d events.DocumentV1) string { return command.NewestFirst(d.AttachedAt, d.ID) },
		Columns: []eventstore.Column[events.DocumentV1]{
			{Name: "record", Of: func(d events.DocumentV1) string { return d.WorkRef.Key() }},
			{Name: "removed", Of: func(d events.DocumentV1) string { return strconv.FormatBool(d.Removed) }},
			{Name: "purged", Of: func(d events.DocumentV1) string { return strconv.FormatBool(d.Purged) }},
			{Name: "object", Of: func(d events.DocumentV1) string { return d.Object }},
		},
		Indexes: [][]string{{"record", "removed"}, {"removed", "purged"}, {"object"}},
		Version: 1,
	}
}

func state(ev events.Event) (events.DocumentV1, bool) {
	if s, ok := ev.(events.DocumentSnapshot); ok {
		return s.State(), true
	}
	return events.DocumentV1{}, false
}

func idOf(d events.DocumentV1) string { return d.ID }

func noSubject(string) (string, error) {
	return "", fmt.Errorf("%w: a document is read under its record", events.ErrBadID)
}

// New opens the object store and buckets (made by Setup) and the read
// model of the kind's documents (in the folder views), which follows the
// stream until ctx ends.
func New(ctx context.Context, js jetstream.JetStream, views string, log *slog.Logger, cfg Config) (*Docs, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Instance == "" {
		cfg.Instance = uuid.NewString()
	}
	at, ok := places[cfg.Kind]
	if !ok {
		return nil, fmt.Errorf("documents: no kind of record %q (one of %v)", cfg.Kind, events.WorkKinds)
	}
	objects, err := js.ObjectStore(ctx, Bucket)
	if err != nil {
		return nil, fmt.Errorf("documents object store %s (run `econdip migrate`): %w", Bucket, err)
	}
	settings, err := js.KeyValue(ctx, BucketSettings)
	if err != nil {
		return nil, fmt.Errorf("documents bucket %s (run `econdip migrate`): %w", BucketSettings, err)
	}
	leases, err := js.KeyValue(ctx, BucketLease)
	if err != nil {
		return nil, fmt.Errorf("documents bucket %s (run `econdip migrate`): %w", BucketLease, err)
	}
	view, err := eventstore.New(js, at.stream, noSubject, state, idOf).Follow(ctx, views, at.all, shape(cfg.Kind), log)
	if err != nil {
		return nil, err
	}
	d := &Docs{cfg: cfg, place: at, js: js, objects: objects, settings: settings, leases: leases, view: view,
		log: log.With("documents", cfg.Kind)}
	same := func(x events.DocumentV1) events.DocumentV1 { return x }
	d.kind = command.Kind[events.DocumentV1, events.DocumentV1]{
		Name: cfg.Kind + ".document", Source: cfg.Source, View: view, FromEvent: same, ToEvent: same,
		Stamp: func(x *events.DocumentV1) (*int, *time.Time) { return &x.Version, &x.UpdatedAt },
		Meta:  func(_ auth.User, x events.DocumentV1) (string, string) { return meta(cfg.Kind, x) },
		Owns:  func(u auth.User, x events.DocumentV1) bool { return u.Scope() == x.Scope },
		Other: "error.other_scope", Now: func() time.Time { return d.cfg.Now() },
		Valid: func(id string) bool { _, err := uuid.Parse(id); return err == nil },
		IDs:   command.IDSpace{Namespace: cfg.Namespace, WithName: true},
	}
	return d, nil
}

// meta is the CloudEvents subject and scope of a document's events.
func meta(kind string, x events.DocumentV1) (string, string) {
	return kind + "/" + x.WorkRef.Key() + "/document/" + x.ID, x.Scope
}

// Ready is nil once the read model has caught up with the log.
func (d *Docs) Ready(ctx context.Context) error { return d.view.Ready(ctx) }

// Closed is closed once the read model has let go of its files.
func (d *Docs) Closed() <-chan struct{} { return d.view.Closed() }

// Ref names a record of the kind.
func (d *Docs) Ref(commissionID, id string) events.WorkRef {
	return events.WorkRef{Kind: d.cfg.Kind, ID: id, CommissionID: commissionID}
}

// on is the command kind bound to the record ref: its store keeps the
// documents under the record's subject.
func (d *Docs) on(ref events.WorkRef) *command.Kind[events.DocumentV1, events.DocumentV1] {
	k := d.kind
	k.Store = d.storeOn(ref)
	return &k
}

func (d *Docs) storeOn(ref events.WorkRef) *eventstore.Store[events.DocumentV1] {
	return eventstore.New(d.js, d.place.stream, func(id string) (string, error) { return events.WorkSubject(ref, events.WorkDocument, id) },
		state, idOf)
}

// List lists the documents of the record ref that are not removed, newest
// first, if u may read the record.
func (d *Docs) List(ctx context.Context, u auth.User, ref events.WorkRef) ([]events.DocumentV1, error) {
	if _, err := d.cfg.Record(ctx, u, d.cfg.Read, ref); err != nil {
		return nil, err
	}
	recs, err := d.view.Select(eventstore.Query[events.DocumentV1]{Match: map[string]string{"record": ref.Key(), "removed": "false"}})
	if err != nil {
		return nil, err
	}
	out := make([]events.DocumentV1, len(recs))
	for i, r := range recs {
		out[i] = r.State
	}
	return out, nil
}

// Upload is a file to attach: its name as the user gave it, and its bytes
// (File, Size bytes long; a multipart file is an io.ReaderAt).
type Upload struct {
	Name string
	Size int64
	File io.ReaderAt
}

// maxName bounds a file name, in characters.
const maxName = 255

// checkName refuses a file name that is empty, too long, not UTF-8, or
// holds control characters or path separators.
func checkName(f *apperr.Fields, name string) {
	switch {
	case strings.TrimSpace(name) == "":
		f.Add("file", "error.documents_no_name")
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxName ||
		strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || r == '/' || r == '\\' }):
		f.Add("file", "error.documents_bad_name", maxName)
	}
}

// Check checks an upload without storing anything: the name, the size
// (1 to events.MaxDocumentBytes bytes, counted while reading, whatever Size
// says), the content's type and that the name's extension agrees with it.
// It returns the content type and the bytes' hex SHA-256.
func Check(up Upload) (contentType, sum string, err error) {
	var f apperr.Fields
	checkName(&f, up.Name)
	if err := f.Err(); err != nil {
		return "", "", err
	}
	if up.Size > events.MaxDocumentBytes {
		return "", "", tooLarge()
	}
	h := sha256.New()
	n, err := io.Copy(h, io.NewSectionReader(up.File, 0, events.MaxDocumentBytes+1))
	if err != nil {
		return "", "", apperr.Wrap(apperr.Invalid, err, "error.documents_unreadable")
	}
	switch {
	case n > events.MaxDocumentBytes:
		return "", "", tooLarge()
	case n == 0:
		f.Add("file", "error.documents_empty")
		return "", "", f.Err()
	}
	contentType = Sniff(up.File, n)
	switch {
	case contentType == "":
		f.Add("file", "error.documents_type", Extensions())
	case !ExtensionFits(up.Name, contentType):
		f.Add("file", "error.documents_extension", up.Name, strings.Join(extensions[contentType], ", "))
	}
	if err := f.Err(); err != nil {
		return "", "", err
	}
	return contentType, hex.EncodeToString(h.Sum(nil)), nil
}

func tooLarge() error {
	var f apperr.Fields
	f.Add("file", "error.documents_too_large", "25 MiB")
	return f.Err()
}

// objectName is where a document's bytes are: the kind, the document's id
// and the bytes' SHA-256, so that a retry puts the same object again (a
// no-op), and a reused Idempotency-Key with other bytes (refused after the
// put) never overwrites the first document's bytes.
func objectName(kind, id, sum string) string { return kind + "/" + id + "/" + sum }

// Attach attaches the upload to the record ref, if u may write the record.
// Nothing is stored when the upload fails its checks. The bytes are put
// before the event is appended; with an Idempotency-Key, a retry answers
// the first document (replayed=true).
func (d *Docs) Attach(ctx context.Context, u auth.User, ref events.WorkRef, key string, up Upload) (events.DocumentV1, bool, error) {
	scope, err := d.cfg.Record(ctx, u, d.cfg.Write, ref)
	if err != nil {
		return events.DocumentV1{}, false, err
	}
	contentType, sum, err := Check(up)
	if err != nil {
		return events.DocumentV1{}, false, err
	}
	return d.on(ref).Create(ctx, u, d.cfg.Write, command.New{IdempotencyKey: key, Input: struct {
		Ref       events.WorkRef
		Name, Sum string
	}{ref, up.Name, sum}},
		func(id string, now time.Time) (events.DocumentV1, command.Event[events.DocumentV1], error) {
			doc := events.DocumentV1{ID: id, Version: 1, WorkRef: ref, Scope: scope, Name: strings.TrimSpace(up.Name),
				ContentType: contentType, SHA256: sum, Object: objectName(d.cfg.Kind, id, sum),
				AttachedBy: u.ID, AttachedAt: now, UpdatedAt: now}
			n, err := d.put(ctx, doc.Object, io.NewSectionReader(up.File, 0, events.MaxDocumentBytes+1), contentType)
			if err != nil {
				return doc, nil, err
			}
			doc.Size = n
			return doc, func(st events.DocumentV1) events.Event { return events.DocumentAttachedV1{Document: st} }, nil
		})
}

// put stores the bytes as the object name, unless it is there already
// (a retry). It returns the object's size.
func (d *Docs) put(ctx context.Context, name string, r io.Reader, contentType string) (int64, error) {
	if info, err := d.objects.GetInfo(ctx, name); err == nil && !info.Deleted {
		return int64(info.Size), nil
	}
	info, err := d.objects.Put(ctx, jetstream.ObjectMeta{Name: name, Headers: map[string][]string{"Content-Type": {contentType}}},
		io.LimitReader(r, events.MaxDocumentBytes+1))
	if err != nil {
		return 0, apperr.Wrap(apperr.Unavailable, fmt.Errorf("put document %s: %w", name, err), "error.service_unavailable")
	}
	if info.Size > events.MaxDocumentBytes { // cannot happen after Check; never keep it
		_ = d.objects.Delete(ctx, name)
		return 0, tooLarge()
	}
	return int64(info.Size), nil
}

// Document returns the document id of the record ref, read from the log,
// if u may read the record. A removed document is NotFound.
func (d *Docs) Document(ctx context.Context, u auth.User, ref events.WorkRef, id string) (events.DocumentV1, error) {
	if _, err := d.cfg.Record(ctx, u, d.cfg.Read, ref); err != nil {
		return events.DocumentV1{}, err
	}
	doc, err := d.on(ref).Get(ctx, u, d.cfg.Read, id)
	if err != nil {
		return doc, err
	}
	if doc.Removed {
		return events.DocumentV1{}, apperr.E(apperr.NotFound, "error.not_found", id)
	}
	return doc, nil
}

// Open returns the document id of the record ref and a reader of its
// bytes (which the caller closes), if u may read the record.
func (d *Docs) Open(ctx context.Context, u auth.User, ref events.WorkRef, id string) (events.DocumentV1, io.ReadCloser, error) {
	doc, err := d.Document(ctx, u, ref, id)
	if err != nil {
		return doc, nil, err
	}
	obj, err := d.objects.Get(ctx, doc.Object)
	if err != nil {
		return doc, nil, apperr.Wrap(apperr.Unavailable, fmt.Errorf("get document %s: %w", doc.Object, err), "error.service_unavailable")
	}
	return doc, obj, nil
}

// Remove removes the document id of the record ref, if u may write the
// record; version is the document's version u read (Conflict otherwise).
// The bytes stay until the retention period has passed (Sweep).
func (d *Docs) Remove(ctx context.Context, u auth.User, ref events.WorkRef, id string, version int) (events.DocumentV1, error) {
	if _, err := d.cfg.Record(ctx, u, d.cfg.Write, ref); err != nil {
		return events.DocumentV1{}, err
	}
	return d.on(ref).Change(ctx, u, d.cfg.Write, id, version, func(doc *events.DocumentV1, now time.Time) (command.Event[events.DocumentV1], error) {
		if doc.Removed {
			return nil, nil // removed already: nothing to store
		}
		doc.Removed, doc.RemovedBy, doc.RemovedAt = true, u.ID, &now
		return func(st events.DocumentV1) events.Event { return events.DocumentRemovedV1{Document: st} }, nil
	})
}
