package work

import (
	"errors"
	"strings"
	"testing"
	"time"

	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/kernel"
)

var (
	now     = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	berlin  = auth.User{ID: "attache.de-berlin", Role: auth.Attache, Post: "de-berlin"}
	beijing = auth.User{ID: "attache.cn-beijing", Role: auth.Attache, Post: "cn-beijing"}
	secCN   = auth.User{ID: "secretariat.igc-cn", Role: auth.Secretariat, Commission: "igc-cn"}
	analyst = auth.User{ID: "analyst", Role: auth.Analyst}
	users   = map[string]auth.User{berlin.ID: berlin, beijing.ID: beijing, secCN.ID: secCN, analyst.ID: analyst}
	lead    = events.WorkRef{Kind: events.WorkOnLead, ID: "7c9e6679-7425-40de-944b-e07fc1f90ae7"}
)

type dir map[string]auth.User

func (d dir) LookupUser(id string) (auth.User, bool) { u, ok := d[id]; return u, ok }

// fieldKey is the message key of field's error in err ("" for none).
func fieldKey(t *testing.T, err error, field string) string {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return ""
	}
	for _, f := range ae.Fields {
		if f.Field == field {
			return f.Key
		}
	}
	return ""
}

func TestInScope(t *testing.T) {
	for _, tc := range []struct {
		name  string
		u     auth.User
		scope string
		want  bool
	}{
		{"attaché of the post", berlin, "post:de-berlin", true},
		{"attaché of another post", beijing, "post:de-berlin", false},
		{"secretariat on a post", secCN, "post:de-berlin", false},
		{"secretariat of the commission", secCN, "commission:igc-cn", true},
		{"secretariat of another commission", secCN, "commission:igc-uz", false},
		{"attaché on a commission", beijing, "commission:igc-cn", false},
		{"analyst", analyst, "post:de-berlin", false},
		{"no scope", berlin, "global", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := InScope(tc.u, tc.scope); got != tc.want {
				t.Errorf("InScope = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNewTaskRules(t *testing.T) {
	ok := Assignees(dir(users))
	for _, tc := range []struct {
		name         string
		in           TaskInput
		field, wants string // the field refused and its key; "" valid
	}{
		{"valid", TaskInput{"Call the CFO", "2026-03-20", berlin.ID}, "", ""},
		{"title trimmed", TaskInput{"  Call  ", "2026-03-20", berlin.ID}, "", ""},
		{"past due is allowed", TaskInput{"Call", "2026-01-01", berlin.ID}, "", ""},
		{"no title", TaskInput{"  ", "2026-03-20", berlin.ID}, "title", "error.required"},
		{"title 300", TaskInput{strings.Repeat("я", 300), "2026-03-20", berlin.ID}, "", ""},
		{"title 301", TaskInput{strings.Repeat("я", 301), "2026-03-20", berlin.ID}, "title", "error.too_long"},
		{"no due", TaskInput{"Call", "", berlin.ID}, "due", "error.required"},
		{"bad due", TaskInput{"Call", "2026-02-30", berlin.ID}, "due", "error.date"},
		{"due not a day", TaskInput{"Call", "next week", berlin.ID}, "due", "error.date"},
		{"due out of range", TaskInput{"Call", "1900-01-01", berlin.ID}, "due", "error.date"},
		{"no assignee", TaskInput{"Call", "2026-03-20", ""}, "assignee", "error.required"},
		{"unknown assignee", TaskInput{"Call", "2026-03-20", "nobody"}, "assignee", "error.assignee_scope"},
		{"assignee of another post", TaskInput{"Call", "2026-03-20", beijing.ID}, "assignee", "error.assignee_scope"},
		{"analyst assignee", TaskInput{"Call", "2026-03-20", analyst.ID}, "assignee", "error.assignee_scope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			task, err := NewTask("t1", lead, "post:de-berlin", tc.in, berlin, now, ok)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if err := task.Validate(); err != nil {
					t.Fatalf("the task breaks the contract: %v", err)
				}
				if task.Title != strings.TrimSpace(tc.in.Title) || task.Version != 1 || task.CreatedBy != berlin.ID || task.Done {
					t.Errorf("task %+v", task)
				}
				return
			}
			if got := fieldKey(t, err, tc.field); got != tc.wants {
				t.Errorf("%s: got %q (%v), want %q", tc.field, got, err, tc.wants)
			}
		})
	}
	// A decision's task goes to the commission's secretariat.
	dec := events.WorkRef{Kind: events.WorkOnDecision, ID: "d1", CommissionID: "igc-cn"}
	if _, err := NewTask("t2", dec, "commission:igc-cn", TaskInput{"Send the draft", "2026-04-01", secCN.ID}, secCN, now, ok); err != nil {
		t.Errorf("secretariat on its commission's decision: %v", err)
	}
	if _, err := NewTask("t2", dec, "commission:igc-cn", TaskInput{"Send the draft", "2026-04-01", beijing.ID}, secCN, now, ok); fieldKey(t, err, "assignee") != "error.assignee_scope" {
		t.Errorf("an attaché on a decision's task: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestApplyRules(t *testing.T) {
	ok := Assignees(dir(users))
	base, err := NewTask("t1", lead, "post:de-berlin", TaskInput{"Call", "2026-03-20", berlin.ID}, berlin, now, ok)
	if err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Hour)
	for _, tc := range []struct {
		name         string
		from         func() events.TaskV1
		edit         TaskEdit
		field, wants string
		check        func(t *testing.T, got events.TaskV1)
	}{
		{"done", func() events.TaskV1 { return base }, TaskEdit{Done: ptr(true)}, "", "", func(t *testing.T, got events.TaskV1) {
			if !got.Done || got.DoneAt == nil || !got.DoneAt.Equal(later) || got.DoneBy != berlin.ID {
				t.Errorf("done: %+v", got)
			}
		}},
		{"reopen", func() events.TaskV1 {
			d := base
			d.Done, d.DoneAt, d.DoneBy = true, &now, berlin.ID
			return d
		}, TaskEdit{Done: ptr(false)}, "", "", func(t *testing.T, got events.TaskV1) {
			if got.Done || got.DoneAt != nil || got.DoneBy != "" {
				t.Errorf("reopened: %+v", got)
			}
		}},
		{"done again keeps the first time", func() events.TaskV1 {
			d := base
			d.Done, d.DoneAt, d.DoneBy = true, &now, "someone"
			return d
		}, TaskEdit{Done: ptr(true)}, "", "", func(t *testing.T, got events.TaskV1) {
			if !got.DoneAt.Equal(now) || got.DoneBy != "someone" {
				t.Errorf("done twice: %+v", got)
			}
		}},
		{"retitle", func() events.TaskV1 { return base }, TaskEdit{Title: ptr(" Visit ")}, "", "", func(t *testing.T, got events.TaskV1) {
			if got.Title != "Visit" {
				t.Errorf("title %q", got.Title)
			}
		}},
		{"empty title", func() events.TaskV1 { return base }, TaskEdit{Title: ptr("")}, "title", "error.required", nil},
		{"bad due", func() events.TaskV1 { return base }, TaskEdit{Due: ptr("20.03.2026")}, "due", "error.date", nil},
		{"assignee out of scope", func() events.TaskV1 { return base }, TaskEdit{Assignee: ptr(beijing.ID)}, "assignee", "error.assignee_scope", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.from()
			err := Apply(&got, tc.edit, berlin, later, ok)
			if tc.field != "" {
				if k := fieldKey(t, err, tc.field); k != tc.wants {
					t.Errorf("%s: %q (%v), want %q", tc.field, k, err, tc.wants)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("breaks the contract: %v", err)
			}
			tc.check(t, got)
		})
	}
}

func TestNewNoteRules(t *testing.T) {
	for _, tc := range []struct {
		name, text, wants string
	}{
		{"valid", "Met the CFO; follow up in April.", ""},
		{"empty", " \n ", "error.required"},
		{"4000", strings.Repeat("ж", 4000), ""},
		{"4001", strings.Repeat("ж", 4001), "error.too_long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := NewNote("n1", lead, "post:de-berlin", tc.text, berlin, now)
			if got := fieldKey(t, err, "text"); got != tc.wants {
				t.Fatalf("text: %q (%v), want %q", got, err, tc.wants)
			}
			if tc.wants == "" && (n.Validate() != nil || n.Author != berlin.ID) {
				t.Errorf("note %+v: %v", n, n.Validate())
			}
		})
	}
}

func TestOverdue(t *testing.T) {
	today := kernel.MustDay("2026-03-14")
	for _, tc := range []struct {
		due  string
		done bool
		want bool
	}{{"2026-03-13", false, true}, {"2026-03-14", false, false}, {"2026-03-15", false, false}, {"2026-03-13", true, false}} {
		if got := Overdue(events.TaskV1{Due: tc.due, Done: tc.done}, today); got != tc.want {
			t.Errorf("due %s done %v: %v, want %v", tc.due, tc.done, got, tc.want)
		}
	}
}

// FuzzDecodeRequests feeds arbitrary bodies to the decoders of the task and
// note requests: they never panic and fail only with Invalid errors.
func FuzzDecodeRequests(f *testing.F) {
	f.Add([]byte(`{"title":"Call","due":"2026-03-20","assignee":"attache.de-berlin"}`))
	f.Add([]byte(`{"version":2,"done":true}`))
	f.Add([]byte(`{"version":2,"title":null,"due":20260320}`))
	f.Add([]byte(`{"text":"Met the CFO"}`))
	f.Add([]byte(`{"text":"a","text":"b"}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range []any{&TaskRequest{}, &TaskPatch{}, &NoteRequest{}} {
			err := httpx.DecodeStrict(body, v)
			var ae *apperr.Error
			if err != nil && (!errors.As(err, &ae) || ae.Code != apperr.Invalid) {
				t.Fatalf("decode %q: %v is not an Invalid error", body, err)
			}
		}
	})
}
