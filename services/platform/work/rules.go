// Package work gives any kind of record tasks and notes (issue 17): a task
// is a follow-up with a title, a due day, an assignee within the record's
// scope and a done flag; a note is free text with its author and time.
// Each is a record of its own on its own subject under the record it is
// about, in that record's stream (events.WorkSubject), written through the
// one command helper (command.Kind): the record's policy, the version
// check, ids from an Idempotency-Key. A service mounts Mount's routes under
// its records and says, through Config, how a record is found and who may
// read and write it.
package work

import (
	"strings"
	"time"
	"unicode/utf8"

	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/kernel"
)

// The limits of the texts.
const (
	MaxTitle = 300
	MaxNote  = 4000
)

// TaskInput is what a new task says.
type TaskInput struct {
	Title, Due, Assignee string
}

// TaskEdit is a change of a task: nil fields stay as they are.
type TaskEdit struct {
	Title, Due, Assignee *string
	Done                 *bool
}

// AssigneeCheck says whether user id may be named as a task's assignee in
// scope: false for no such user, or one outside the scope.
type AssigneeCheck func(id, scope string) bool

// InScope is the rule of who a task in scope may be assigned to: an attaché
// of the post for post:<post>, a secretariat user of the commission for
// commission:<id>.
func InScope(u auth.User, scope string) bool {
	kind, id, _ := strings.Cut(scope, ":")
	switch kind {
	case "post":
		return u.Role == auth.Attache && u.Post == id
	case "commission":
		return u.Role == auth.Secretariat && u.Commission == id
	}
	return false
}

// Assignees is the AssigneeCheck of a user directory.
func Assignees(dir auth.UserDirectory) AssigneeCheck {
	return func(id, scope string) bool {
		u, ok := dir.LookupUser(id)
		return ok && InScope(u, scope)
	}
}

// checkTitle adds the errors of a title to f and returns it trimmed.
func checkTitle(f *apperr.Fields, title string) string {
	title = strings.TrimSpace(title)
	switch {
	case title == "":
		f.Add("title", "error.required")
	case utf8.RuneCountInString(title) > MaxTitle:
		f.Add("title", "error.too_long", MaxTitle)
	}
	return title
}

func checkDue(f *apperr.Fields, due string) string {
	due = strings.TrimSpace(due)
	if due == "" {
		f.Add("due", "error.required")
		return due
	}
	d, err := kernel.ParseDay(due)
	if err != nil || !d.InRange() {
		f.Add("due", "error.date", due)
		return due
	}
	return d.String()
}

func checkAssignee(f *apperr.Fields, ok AssigneeCheck, id, scope string) string {
	id = strings.TrimSpace(id)
	switch {
	case id == "":
		f.Add("assignee", "error.required")
	case !ok(id, scope):
		f.Add("assignee", "error.assignee_scope", id)
	}
	return id
}

// NewTask makes a task on the record ref in scope, created by u at now,
// from in: the title is required (at most MaxTitle characters), the due
// day a valid day, the assignee a user of the scope. Returns Invalid with
// the fields' errors.
func NewTask(id string, ref events.WorkRef, scope string, in TaskInput, u auth.User, now time.Time, assignees AssigneeCheck) (events.TaskV1, error) {
	var f apperr.Fields
	t := events.TaskV1{ID: id, Version: 1, WorkRef: ref, Scope: scope,
		Title: checkTitle(&f, in.Title), Due: checkDue(&f, in.Due), Assignee: checkAssignee(&f, assignees, in.Assignee, scope),
		CreatedBy: u.ID, CreatedAt: now, UpdatedAt: now}
	return t, f.Err()
}

// Apply changes t by e, made by u at now: the same rules as NewTask for
// what it names; done marks the task done (when and by whom), not done
// reopens it.
func Apply(t *events.TaskV1, e TaskEdit, u auth.User, now time.Time, assignees AssigneeCheck) error {
	var f apperr.Fields
	if e.Title != nil {
		t.Title = checkTitle(&f, *e.Title)
	}
	if e.Due != nil {
		t.Due = checkDue(&f, *e.Due)
	}
	if e.Assignee != nil && strings.TrimSpace(*e.Assignee) != t.Assignee {
		t.Assignee = checkAssignee(&f, assignees, *e.Assignee, t.Scope)
	}
	if err := f.Err(); err != nil {
		return err
	}
	if e.Done != nil && *e.Done != t.Done {
		t.Done = *e.Done
		if t.Done {
			at := now
			t.DoneAt, t.DoneBy = &at, u.ID
		} else {
			t.DoneAt, t.DoneBy = nil, ""
		}
	}
	return nil
}

// NewNote makes a note on the record ref in scope by u at now: the text is
// required, at most MaxNote characters.
func NewNote(id string, ref events.WorkRef, scope, text string, u auth.User, now time.Time) (events.NoteV1, error) {
	var f apperr.Fields
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		f.Add("text", "error.required")
	case utf8.RuneCountInString(text) > MaxNote:
		f.Add("text", "error.too_long", MaxNote)
	}
	return events.NoteV1{ID: id, WorkRef: ref, Scope: scope, Author: u.ID, Text: text, CreatedAt: now}, f.Err()
}

// Overdue is whether an open task is past its due day on today.
func Overdue(t events.TaskV1, today kernel.Day) bool {
	due, err := kernel.ParseDay(t.Due)
	return err == nil && !t.Done && due.Before(today)
}
