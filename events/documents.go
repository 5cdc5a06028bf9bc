package events

import (
	"fmt"
	"time"
)

// Documents attached to records (issue 18). A document is a record of its
// own on its own subject under the record it belongs to, in that record's
// stream (as tasks and notes are: WorkSubject with WorkDocument). Its bytes
// are not in the event: they are an object in the JetStream object store
// (bucket DOCUMENTS), named by Object; the event says what the bytes are
// (type, size, SHA-256), who attached them, and later that they were
// removed and, once the retention period has passed, purged.
const (
	TypeDocumentAttached = "econdip.document.attached.v1"
	TypeDocumentRemoved  = "econdip.document.removed.v1"
	TypeDocumentPurged   = "econdip.document.purged.v1"
)

// The content types a document may have.
const (
	DocPDF  = "application/pdf"
	DocDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	DocXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	DocJPEG = "image/jpeg"
	DocPNG  = "image/png"
)

// DocumentTypes lists them.
var DocumentTypes = []string{DocPDF, DocDOCX, DocXLSX, DocJPEG, DocPNG}

// MaxDocumentBytes is the largest document: 25 MiB. One byte more is refused.
const MaxDocumentBytes = 25 << 20

// DocumentV1 is a file attached to a record. Its scope is the record's
// (post:<post> or commission:<id>). Name is the file's name as uploaded,
// which may name people: it stays in NATS and is never projected into
// ClickHouse (ingest redacts it, as it does a note's text).
type DocumentV1 struct {
	ID      string `json:"id"` // uuid
	Version int    `json:"version"`
	WorkRef
	Scope       string `json:"scope"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"` // one of DocumentTypes, detected from the bytes
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"` // hex
	// Object is the name of the bytes in the object store.
	Object     string     `json:"object"`
	AttachedBy string     `json:"attached_by"`
	AttachedAt time.Time  `json:"attached_at"`
	Removed    bool       `json:"removed"`
	RemovedBy  string     `json:"removed_by,omitempty"`
	RemovedAt  *time.Time `json:"removed_at,omitempty"`
	// Purged: the bytes are gone from the object store (a removed document
	// past the retention period).
	Purged    bool       `json:"purged"`
	PurgedAt  *time.Time `json:"purged_at,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Validate checks what readers rely on.
func (d DocumentV1) Validate() error {
	if d.ID == "" || d.Version < 1 || d.Scope == "" || d.Name == "" || d.Object == "" || d.AttachedBy == "" {
		return fmt.Errorf("document needs id, version ≥ 1, scope, name, object and attached_by")
	}
	known := false
	for _, t := range DocumentTypes {
		known = known || t == d.ContentType
	}
	if !known {
		return fmt.Errorf("document.content_type %q is not one of %v", d.ContentType, DocumentTypes)
	}
	if d.Size < 0 || d.Size > MaxDocumentBytes || len(d.SHA256) != 64 {
		return fmt.Errorf("document needs a size of 0 to %d bytes and a hex SHA-256", MaxDocumentBytes)
	}
	if d.Removed != (d.RemovedAt != nil) || d.Purged != (d.PurgedAt != nil) || (d.Purged && !d.Removed) {
		return fmt.Errorf("document.removed_at (purged_at) is set when it is removed (purged), and only a removed document is purged")
	}
	return d.WorkRef.validate()
}

// Redacted returns the document without its file name, for projections.
func (d DocumentV1) Redacted() DocumentV1 {
	d.Name = ""
	return d
}

// DocumentSnapshot is implemented by every document event.
type DocumentSnapshot interface {
	Event
	State() DocumentV1
}

// DocumentAttachedV1 records a file attached to a record: its bytes are in
// the object store before the event is stored.
type DocumentAttachedV1 struct {
	Document DocumentV1 `json:"document"`
}

// DocumentRemovedV1 records a document's removal: it is no longer listed
// nor downloadable; its bytes stay until the retention period has passed.
type DocumentRemovedV1 struct {
	Document DocumentV1 `json:"document"`
}

// DocumentPurgedV1 records that a removed document's bytes were deleted
// from the object store; its history stays.
type DocumentPurgedV1 struct {
	Document DocumentV1 `json:"document"`
}

func (DocumentAttachedV1) EventType() string   { return TypeDocumentAttached }
func (DocumentRemovedV1) EventType() string    { return TypeDocumentRemoved }
func (DocumentPurgedV1) EventType() string     { return TypeDocumentPurged }
func (e DocumentAttachedV1) State() DocumentV1 { return e.Document }
func (e DocumentRemovedV1) State() DocumentV1  { return e.Document }
func (e DocumentPurgedV1) State() DocumentV1   { return e.Document }
func (e DocumentAttachedV1) Validate() error   { return e.Document.Validate() }
func (e DocumentRemovedV1) Validate() error    { return e.Document.Validate() }
func (e DocumentPurgedV1) Validate() error     { return e.Document.Validate() }

func init() {
	register(func() Event { return &DocumentAttachedV1{} })
	register(func() Event { return &DocumentRemovedV1{} })
	register(func() Event { return &DocumentPurgedV1{} })
}
