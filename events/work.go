package events

import (
	"fmt"
	"slices"
	"time"
)

// Tasks and notes on records (issue 17). Each task and each note is a
// record of its own on its own subject under the record it is about, in
// that record's stream: history, audit and replay as for everything else,
// and the record's own subject keeps only the record's events (its last
// message is still the record).
const (
	TypeTaskCreated = "econdip.task.created.v1"
	TypeTaskUpdated = "econdip.task.updated.v1"
	TypeNoteAdded   = "econdip.note.added.v1"
)

// The kinds of record a task or a note may be about.
const (
	WorkOnLead     = "lead"
	WorkOnDeal     = "deal"
	WorkOnBarrier  = "barrier"
	WorkOnDecision = "decision"
)

// WorkKinds lists them.
var WorkKinds = []string{WorkOnLead, WorkOnDeal, WorkOnBarrier, WorkOnDecision}

// WorkRef names the record a task or note is about. CommissionID is set for
// a decision (its subject is under its commission).
type WorkRef struct {
	Kind         string `json:"record_kind"`
	ID           string `json:"record_id"`
	CommissionID string `json:"commission_id,omitempty"`
}

// Key names the record among those of its kind: its id, under its
// commission for a decision ("<commission>/<id>"). Read models index the
// tasks, notes and documents of a record by it.
func (r WorkRef) Key() string {
	if r.CommissionID != "" {
		return r.CommissionID + "/" + r.ID
	}
	return r.ID
}

func (r WorkRef) validate() error {
	if !slices.Contains(WorkKinds, r.Kind) || r.ID == "" {
		return fmt.Errorf("record_kind %q must be one of %v, with a record_id", r.Kind, WorkKinds)
	}
	if (r.Kind == WorkOnDecision) != (r.CommissionID != "") {
		return fmt.Errorf("commission_id is set for a decision, and only for one")
	}
	return nil
}

// TaskV1 is a follow-up on a record: what to do, by which day, by whom.
// Its scope is the record's (post:<post> or commission:<id>): who may see
// and change it. The title is operational text and stays out of
// ClickHouse; counts, due days and assignees go in.
type TaskV1 struct {
	ID      string `json:"id"` // uuid
	Version int    `json:"version"`
	WorkRef
	Scope     string     `json:"scope"`
	Title     string     `json:"title"`
	Due       string     `json:"due"`      // YYYY-MM-DD, Astana time
	Assignee  string     `json:"assignee"` // a user id within the scope
	Done      bool       `json:"done"`
	DoneAt    *time.Time `json:"done_at,omitempty"`
	DoneBy    string     `json:"done_by,omitempty"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Validate checks what readers rely on.
func (t TaskV1) Validate() error {
	if t.ID == "" || t.Version < 1 || t.Scope == "" || t.Title == "" || t.Assignee == "" {
		return fmt.Errorf("task needs id, version ≥ 1, scope, title and assignee")
	}
	if _, err := time.Parse(time.DateOnly, t.Due); err != nil {
		return fmt.Errorf("task.due %q is not a YYYY-MM-DD day", t.Due)
	}
	if t.Done != (t.DoneAt != nil) {
		return fmt.Errorf("task.done_at is set when the task is done, and only then")
	}
	return t.WorkRef.validate()
}

// Redacted returns the task without its title, for projections.
func (t TaskV1) Redacted() TaskV1 {
	t.Title = ""
	return t
}

// TaskSnapshot is implemented by every task event.
type TaskSnapshot interface {
	Event
	State() TaskV1
}

// TaskCreatedV1 records a new task.
type TaskCreatedV1 struct {
	Task TaskV1 `json:"task"`
}

// TaskUpdatedV1 records a changed task: Changed names the fields (title,
// due, assignee, done; done covers reopening too).
type TaskUpdatedV1 struct {
	Task    TaskV1   `json:"task"`
	Changed []string `json:"changed"`
}

func (TaskCreatedV1) EventType() string { return TypeTaskCreated }
func (TaskUpdatedV1) EventType() string { return TypeTaskUpdated }
func (e TaskCreatedV1) State() TaskV1   { return e.Task }
func (e TaskUpdatedV1) State() TaskV1   { return e.Task }
func (e TaskCreatedV1) Validate() error { return e.Task.Validate() }
func (e TaskUpdatedV1) Validate() error { return e.Task.Validate() }

// NoteV1 is a note on a record: free text, which may name people, so it
// is personal data: it stays in NATS and is never projected into ClickHouse.
type NoteV1 struct {
	ID string `json:"id"` // uuid
	WorkRef
	Scope     string    `json:"scope"`
	Author    string    `json:"author"` // user id
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

// Validate checks what readers rely on.
func (n NoteV1) Validate() error {
	if n.ID == "" || n.Scope == "" || n.Author == "" || n.Text == "" {
		return fmt.Errorf("note needs id, scope, author and text")
	}
	return n.WorkRef.validate()
}

// NoteAddedV1 records a note.
type NoteAddedV1 struct {
	Note NoteV1 `json:"note"`
}

func (NoteAddedV1) EventType() string { return TypeNoteAdded }
func (e NoteAddedV1) State() NoteV1   { return e.Note }
func (e NoteAddedV1) Validate() error { return e.Note.Validate() }

func init() {
	register(func() Event { return &TaskCreatedV1{} })
	register(func() Event { return &TaskUpdatedV1{} })
	register(func() Event { return &NoteAddedV1{} })
}
