package stack_test

import (
	"net/http"
	"strings"
	"testing"

	"econdip/services/platform/work"
	"econdip/services/test/stacktest"
)

// TestTasksAndNotesOnALead: tasks and notes on a lead (issue 17) through
// the leads API, with the lead's policy: its post writes and reads both,
// another post is refused, an analyst reads the tasks but not the notes
// (personal data); a change from a stale version is 409; a retried create
// with the same Idempotency-Key is the same task; "My work" lists the
// assignee's open tasks and drops a done one.
func TestTasksAndNotesOnALead(t *testing.T) {
	s := stacktest.Start(t)
	lead := create(t, s, berlin, leadBody("Work Queue GmbH"))
	base := leadsURL(s) + "/" + lead.ID
	secCNToken := stacktest.Tokens["secretariat.igc-cn"]

	// Field-level errors, nothing stored.
	r := stacktest.Do(t, "POST", base+"/tasks", berlin, `{"title":"","due":"2026-02-30","assignee":"attache.cn-beijing"}`)
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"title"`) || !strings.Contains(string(r.Body), `"due"`) ||
		!strings.Contains(string(r.Body), "error.assignee_scope") {
		t.Fatalf("invalid task: %d %s", r.Status, r.Body)
	}
	r = stacktest.Do(t, "POST", base+"/tasks", berlin, `{"title":"Call","due":"2026-03-20","assignee":"attache.de-berlin","extra":1}`)
	if r.Status != http.StatusBadRequest {
		t.Fatalf("unknown field: %d %s", r.Status, r.Body)
	}

	body := `{"title":"Call the CFO about the site","due":"2020-01-15","assignee":"attache.de-berlin"}`
	r = stacktest.Do(t, "POST", base+"/tasks", berlin, body, "Idempotency-Key", "task-1")
	if r.Status != http.StatusCreated {
		t.Fatalf("add task: %d %s", r.Status, r.Body)
	}
	var task work.TaskJSON
	r.JSON(t, &task)
	if task.Version != 1 || task.Done || task.Scope != "post:de-berlin" || task.RecordID != lead.ID || task.CreatedBy != "attache.de-berlin" {
		t.Fatalf("task %+v", task)
	}
	if loc := r.Header.Get("Location"); loc != "/api/v1/leads/"+lead.ID+"/tasks/"+task.ID {
		t.Errorf("Location %q", loc)
	}
	r = stacktest.Do(t, "POST", base+"/tasks", berlin, body, "Idempotency-Key", "task-1")
	var again work.TaskJSON
	r.JSON(t, &again)
	if r.Status != http.StatusCreated || again.ID != task.ID || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d %s %s", r.Status, again.ID, r.Header)
	}
	r = stacktest.Do(t, "POST", base+"/notes", berlin, `{"text":"Jonas Weber prefers calls before noon"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("add note: %d %s", r.Status, r.Body)
	}

	// Who sees what.
	for _, tc := range []struct {
		who, token, path string
		want             int
	}{
		{"the post, tasks", berlin, "/tasks", 200},
		{"the post, notes", berlin, "/notes", 200},
		{"analyst, tasks", analyst, "/tasks", 200},
		{"analyst, notes", analyst, "/notes", 403},
		{"another post, tasks", beijing, "/tasks", 403},
		{"another post, notes", beijing, "/notes", 403},
		{"a secretariat, tasks", secCNToken, "/tasks", 403},
	} {
		r := stacktest.Do(t, "GET", base+tc.path, tc.token, "")
		if r.Status != tc.want {
			t.Errorf("%s: %d, want %d: %s", tc.who, r.Status, tc.want, r.Body)
		}
		if r.Status != 200 && strings.Contains(string(r.Body), "Jonas") {
			t.Errorf("%s: the refusal shows the note", tc.who)
		}
	}
	r = stacktest.Do(t, "GET", base+"/notes", berlin, "")
	if !strings.Contains(string(r.Body), "Jonas Weber prefers calls") {
		t.Errorf("notes: %s", r.Body)
	}
	r = stacktest.Do(t, "GET", base+"/tasks", analyst, "")
	if !strings.Contains(string(r.Body), task.ID) {
		t.Errorf("tasks for the analyst: %s", r.Body)
	}
	for _, tc := range []struct{ who, token, method, path, body string }{
		{"another post adds a task", beijing, "POST", "/tasks", body},
		{"another post adds a note", beijing, "POST", "/notes", `{"text":"x"}`},
		{"another post closes the task", beijing, "PATCH", "/tasks/" + task.ID, `{"version":1,"done":true}`},
		{"the analyst closes the task", analyst, "PATCH", "/tasks/" + task.ID, `{"version":1,"done":true}`},
	} {
		if r := stacktest.Do(t, tc.method, base+tc.path, tc.token, tc.body); r.Status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403: %s", tc.who, r.Status, r.Body)
		}
	}

	// My work: the assignee's open tasks, overdue ones included.
	mine := func() string {
		r := stacktest.Do(t, "GET", leadsURL(s)+"/tasks?open=1", berlin, "")
		if r.Status != 200 {
			t.Fatalf("my tasks: %d %s", r.Status, r.Body)
		}
		return string(r.Body)
	}
	if !strings.Contains(mine(), task.ID) {
		t.Fatalf("my work lacks the task: %s", mine())
	}
	if r := stacktest.Do(t, "GET", leadsURL(s)+"/tasks?open=1", analyst, ""); r.Status != http.StatusForbidden {
		t.Errorf("an analyst's work: %d", r.Status)
	}

	// Done, then a stale version is a conflict.
	r = stacktest.Do(t, "PATCH", base+"/tasks/"+task.ID, berlin, `{"version":1,"done":true}`)
	if r.Status != 200 {
		t.Fatalf("done: %d %s", r.Status, r.Body)
	}
	var done work.TaskJSON
	r.JSON(t, &done)
	if !done.Done || done.Version != 2 || done.DoneBy != "attache.de-berlin" || done.DoneAt == "" {
		t.Errorf("done task %+v", done)
	}
	if r := stacktest.Do(t, "PATCH", base+"/tasks/"+task.ID, berlin, `{"version":1,"title":"Lost update"}`); r.Status != http.StatusConflict {
		t.Errorf("stale version: %d %s", r.Status, r.Body)
	}
	if r := stacktest.Do(t, "PATCH", base+"/tasks/"+task.ID, berlin, `{"title":"No version"}`); r.Status != http.StatusBadRequest {
		t.Errorf("no version: %d %s", r.Status, r.Body)
	}
	if strings.Contains(mine(), task.ID) {
		t.Errorf("a done task stays in my work: %s", mine())
	}
	// A task id under another lead is not found there.
	other := create(t, s, berlin, leadBody("Other Work GmbH"))
	if r := stacktest.Do(t, "PATCH", leadsURL(s)+"/"+other.ID+"/tasks/"+task.ID, berlin, `{"version":2,"done":false}`); r.Status != http.StatusNotFound {
		t.Errorf("task under another lead: %d %s", r.Status, r.Body)
	}
}
