package work

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/eventstore"
)

// Config is what a service tells the work of one kind of record.
type Config struct {
	// Kind is the record kind (events.WorkOnLead, ...): it says where its
	// tasks and notes are (places).
	Kind string
	// Source is the CloudEvents source of the service.
	Source string
	// Read and Write are the record's actions: tasks are read with Read
	// and written with Write; notes, which may hold personal data, are read
	// and written with Write (as a lead's contacts).
	Read, Write auth.Action
	// Record checks that u may take action a on the record ref and returns
	// its scope ("post:<post>", "commission:<id>"). Returns NotFound or
	// Forbidden as the record's own read does.
	Record func(ctx context.Context, u auth.User, a auth.Action, ref events.WorkRef) (scope string, err error)
	// Assignees says who a task may be assigned to (Assignees of the
	// user directory).
	Assignees AssigneeCheck
	// Namespace derives task and note ids from Idempotency-Keys.
	Namespace uuid.UUID
	Now       func() time.Time
}

// place is where the tasks and notes of a kind of record are: the record's
// stream, and the wildcards of the kind's tasks and notes.
type place struct{ stream, tasks, notes string }

var places = map[string]place{
	events.WorkOnLead:     {events.StreamLeads, events.AllLeadTasks, events.AllLeadNotes},
	events.WorkOnDeal:     {events.StreamExports, events.AllDealTasks, events.AllDealNotes},
	events.WorkOnBarrier:  {events.StreamExports, events.AllBarrierTasks, events.AllBarrierNotes},
	events.WorkOnDecision: {events.StreamCommissions, events.AllDecisionTasks, events.AllDecisionNotes},
}

// AssigneesOf is the AssigneeCheck of the user directory behind a
// service's authenticator (auth.DirectoryOf).
func AssigneesOf(users auth.Authenticator) (AssigneeCheck, error) {
	dir, err := auth.DirectoryOf(users)
	if err != nil {
		return nil, err
	}
	return Assignees(dir), nil
}

// Work is the tasks and notes of one kind of record.
type Work struct {
	cfg   Config
	place place
	js    jetstream.JetStream
	tasks *eventstore.View[events.TaskV1]
	notes *eventstore.View[events.NoteV1]
	// taskKind and noteKind are the command helper's kinds, without a store:
	// each request binds one to its record (on).
	taskKind command.Kind[events.TaskV1, events.TaskV1]
	noteKind command.Kind[events.NoteV1, events.NoteV1]
}

// tasksShape is the read model of a kind's tasks: by record, by assignee
// and state, by scope; listed by due day, then id.
func tasksShape(kind string) eventstore.Shape[events.TaskV1] {
	return eventstore.Shape[events.TaskV1]{
		Name:  kind + "-tasks",
		Order: func(t events.TaskV1) string { return t.Due + "\x00" + t.ID },
		Columns: []eventstore.Column[events.TaskV1]{
			{Name: "record", Of: func(t events.TaskV1) string { return t.WorkRef.Key() }},
			{Name: "assignee", Of: func(t events.TaskV1) string { return t.Assignee }},
			{Name: "done", Of: func(t events.TaskV1) string { return fmt.Sprint(t.Done) }},
			{Name: "scope", Of: func(t events.TaskV1) string { return t.Scope }},
		},
		Indexes: [][]string{{"record"}, {"assignee", "done"}, {"scope", "done"}},
		Version: 1,
	}
}

// notesShape is the read model of a kind's notes: by record, newest first.
func notesShape(kind string) eventstore.Shape[events.NoteV1] {
	return eventstore.Shape[events.NoteV1]{
		Name:    kind + "-notes",
		Order:   func(n events.NoteV1) string { return command.NewestFirst(n.CreatedAt, n.ID) },
		Columns: []eventstore.Column[events.NoteV1]{{Name: "record", Of: func(n events.NoteV1) string { return n.WorkRef.Key() }}},
		Indexes: [][]string{{"record"}},
		Version: 1,
	}
}

func taskState(ev events.Event) (events.TaskV1, bool) {
	if s, ok := ev.(events.TaskSnapshot); ok {
		return s.State(), true
	}
	return events.TaskV1{}, false
}

func noteState(ev events.Event) (events.NoteV1, bool) {
	if e, ok := ev.(*events.NoteAddedV1); ok {
		return e.Note, true
	}
	return events.NoteV1{}, false
}

// noSubject is the subject of the views' stores, which only follow.
func noSubject(key string) (string, error) {
	return "", fmt.Errorf("%w: a task or note is read under its record", events.ErrBadID)
}

// New opens the read models of the kind's tasks and notes (in the folder
// views) and follows the stream until ctx ends.
func New(ctx context.Context, js jetstream.JetStream, views string, log *slog.Logger, cfg Config) (*Work, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	at, ok := places[cfg.Kind]
	if !ok {
		return nil, fmt.Errorf("work: no kind of record %q (one of %v)", cfg.Kind, events.WorkKinds)
	}
	tasks, err := eventstore.New(js, at.stream, noSubject, taskState, func(t events.TaskV1) string { return t.ID }).
		Follow(ctx, views, at.tasks, tasksShape(cfg.Kind), log)
	if err != nil {
		return nil, err
	}
	notes, err := eventstore.New(js, at.stream, noSubject, noteState, func(n events.NoteV1) string { return n.ID }).
		Follow(ctx, views, at.notes, notesShape(cfg.Kind), log)
	if err != nil {
		return nil, err
	}
	w := &Work{cfg: cfg, place: at, js: js, tasks: tasks, notes: notes}
	owns := func(u auth.User, scope string) bool { return u.Scope() == scope }
	validID := func(id string) bool { _, err := uuid.Parse(id); return err == nil }
	same := func(t events.TaskV1) events.TaskV1 { return t }
	w.taskKind = command.Kind[events.TaskV1, events.TaskV1]{
		Name: cfg.Kind + ".task", Source: cfg.Source, View: tasks, FromEvent: same, ToEvent: same,
		Stamp: func(t *events.TaskV1) (*int, *time.Time) { return &t.Version, &t.UpdatedAt },
		Meta: func(_ auth.User, t events.TaskV1) (string, string) {
			return cfg.Kind + "/" + t.WorkRef.Key() + "/task/" + t.ID, t.Scope
		},
		Owns:  func(u auth.User, t events.TaskV1) bool { return owns(u, t.Scope) },
		Other: "error.other_scope", Valid: validID, Now: func() time.Time { return w.cfg.Now() },
		IDs: command.IDSpace{Namespace: cfg.Namespace, WithName: true},
	}
	sameNote := func(n events.NoteV1) events.NoteV1 { return n }
	w.noteKind = command.Kind[events.NoteV1, events.NoteV1]{
		Name: cfg.Kind + ".note", Source: cfg.Source, View: notes, FromEvent: sameNote, ToEvent: sameNote,
		// A note is never changed: it has no version of its own.
		Stamp: func(n *events.NoteV1) (*int, *time.Time) { v := 1; return &v, &n.CreatedAt },
		Meta: func(_ auth.User, n events.NoteV1) (string, string) {
			return cfg.Kind + "/" + n.WorkRef.Key() + "/note/" + n.ID, n.Scope
		},
		Owns:  func(u auth.User, n events.NoteV1) bool { return owns(u, n.Scope) },
		Other: "error.other_scope", Valid: validID, Now: func() time.Time { return w.cfg.Now() },
		IDs: command.IDSpace{Namespace: cfg.Namespace, WithName: true},
	}
	return w, nil
}

// Ready is nil once both read models have caught up with the log.
func (w *Work) Ready(ctx context.Context) error {
	if err := w.tasks.Ready(ctx); err != nil {
		return err
	}
	return w.notes.Ready(ctx)
}

// AllReady is a readiness check of a service's own read models (ready)
// and of its tasks' and notes' (works): one "read_model" check.
func AllReady(ready func(context.Context) error, works ...*Work) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := ready(ctx); err != nil {
			return err
		}
		for _, w := range works {
			if err := w.Ready(ctx); err != nil {
				return err
			}
		}
		return nil
	}
}

// tasksOn is the task kind bound to the record ref: its store keeps the
// tasks under the record's subject.
func (w *Work) tasksOn(ref events.WorkRef) *command.Kind[events.TaskV1, events.TaskV1] {
	k := w.taskKind
	k.Store = eventstore.New(w.js, w.place.stream, func(id string) (string, error) { return events.WorkSubject(ref, events.WorkTask, id) },
		taskState, func(t events.TaskV1) string { return t.ID })
	return &k
}

func (w *Work) notesOn(ref events.WorkRef) *command.Kind[events.NoteV1, events.NoteV1] {
	k := w.noteKind
	k.Store = eventstore.New(w.js, w.place.stream, func(id string) (string, error) { return events.WorkSubject(ref, events.WorkNote, id) },
		noteState, func(n events.NoteV1) string { return n.ID })
	return &k
}

// Ref names a record of the kind: id, and for a decision its commission.
func (w *Work) Ref(commissionID, id string) events.WorkRef {
	return events.WorkRef{Kind: w.cfg.Kind, ID: id, CommissionID: commissionID}
}

// Tasks lists the tasks of the record ref, by due day, if u may read it.
func (w *Work) Tasks(ctx context.Context, u auth.User, ref events.WorkRef) ([]events.TaskV1, error) {
	if _, err := w.cfg.Record(ctx, u, w.cfg.Read, ref); err != nil {
		return nil, err
	}
	return states(w.tasks.Select(eventstore.Query[events.TaskV1]{Match: map[string]string{"record": ref.Key()}}))
}

// AddTask creates a task on the record ref, if u may write it. With an
// Idempotency-Key, a retry answers the first task (replayed=true).
func (w *Work) AddTask(ctx context.Context, u auth.User, ref events.WorkRef, key string, in TaskInput) (events.TaskV1, bool, error) {
	scope, err := w.cfg.Record(ctx, u, w.cfg.Write, ref)
	if err != nil {
		return events.TaskV1{}, false, err
	}
	return w.tasksOn(ref).Create(ctx, u, w.cfg.Write, command.New{IdempotencyKey: key, Input: struct {
		Ref events.WorkRef
		In  TaskInput
	}{ref, in}},
		func(id string, now time.Time) (events.TaskV1, command.Event[events.TaskV1], error) {
			t, err := NewTask(id, ref, scope, in, u, now, w.cfg.Assignees)
			return t, func(st events.TaskV1) events.Event { return events.TaskCreatedV1{Task: st} }, err
		})
}

// taskFields are the fields a task's update may change, as its event names them.
var taskFields = []string{"title", "due", "assignee", "done"}

// ChangeTask changes the task id of the record ref, if u may write the
// record; version is the task's version u read (Conflict otherwise).
func (w *Work) ChangeTask(ctx context.Context, u auth.User, ref events.WorkRef, id string, version int, e TaskEdit) (events.TaskV1, error) {
	if _, err := w.cfg.Record(ctx, u, w.cfg.Write, ref); err != nil {
		return events.TaskV1{}, err
	}
	return w.tasksOn(ref).Change(ctx, u, w.cfg.Write, id, version, func(t *events.TaskV1, now time.Time) (command.Event[events.TaskV1], error) {
		before := *t
		if err := Apply(t, e, u, now, w.cfg.Assignees); err != nil {
			return nil, err
		}
		return command.Updated(before, *t, taskFields, func(st events.TaskV1, changed []string) events.Event {
			return events.TaskUpdatedV1{Task: st, Changed: changed}
		}), nil
	})
}

// Notes lists the notes of the record ref, newest first, if u may write
// the record (notes may hold personal data).
func (w *Work) Notes(ctx context.Context, u auth.User, ref events.WorkRef) ([]events.NoteV1, error) {
	if _, err := w.cfg.Record(ctx, u, w.cfg.Write, ref); err != nil {
		return nil, err
	}
	return states(w.notes.Select(eventstore.Query[events.NoteV1]{Match: map[string]string{"record": ref.Key()}}))
}

// AddNote adds a note to the record ref, if u may write it.
func (w *Work) AddNote(ctx context.Context, u auth.User, ref events.WorkRef, key, text string) (events.NoteV1, bool, error) {
	scope, err := w.cfg.Record(ctx, u, w.cfg.Write, ref)
	if err != nil {
		return events.NoteV1{}, false, err
	}
	return w.notesOn(ref).Create(ctx, u, w.cfg.Write, command.New{IdempotencyKey: key, Input: struct {
		Ref  events.WorkRef
		Text string
	}{ref, text}},
		func(id string, now time.Time) (events.NoteV1, command.Event[events.NoteV1], error) {
			n, err := NewNote(id, ref, scope, text, u, now)
			return n, func(st events.NoteV1) events.Event { return events.NoteAddedV1{Note: st} }, err
		})
}

// Mine lists the tasks of the kind assigned to u, by due day; open: only
// those not done. Only tasks in u's own scope are listed (an assignee
// moved to another post no longer sees the old post's tasks).
func (w *Work) Mine(u auth.User, open bool) ([]events.TaskV1, error) {
	q := eventstore.Query[events.TaskV1]{Match: map[string]string{"assignee": u.ID, "scope": u.Scope()}}
	if open {
		q.Match["done"] = "false"
	}
	return states(w.tasks.Select(q))
}

func states[T any](recs []eventstore.Record[T], err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	out := make([]T, len(recs))
	for i, r := range recs {
		out[i] = r.State
	}
	return out, nil
}
