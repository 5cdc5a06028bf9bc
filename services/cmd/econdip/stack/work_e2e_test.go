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

// TestTasksAndNotesOnDealsBarriersAndDecisions: the same API on the other
// kinds, under each record and with its policy: a deal's and a barrier's
// post, a decision's secretariat (tasks to its own users only); an attaché
// of the partner country reads a decision's tasks, not its notes.
func TestTasksAndNotesOnDealsBarriersAndDecisions(t *testing.T) {
	s := stacktest.Start(t)
	secCNToken, secUZToken := stacktest.Tokens["secretariat.igc-cn"], stacktest.Tokens["secretariat.igc-uz"]
	registerExporter(t, s, berlin, binAluminium, "Work Aluminium JSC")
	deal := createDeal(t, s, berlin, dealBody(binAluminium, "760110", `"1000"`)).ID
	r := stacktest.Do(t, "POST", exportsURL(s, "/barriers"), berlin, `{"country":"DE","hs_codes":["1001"],"type":"sps",
		"title":"Work barrier","description":"x","lead_agency":"moa","clauses":["2.6"]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("barrier: %d %s", r.Status, r.Body)
	}
	var barrier struct{ ID string }
	r.JSON(t, &barrier)
	createCommission(t, s, "igc-cn", "CN")
	r = stacktest.Do(t, "POST", commissionsURL(s)+"/igc-cn/sessions", secCNToken, protocolBody(3, astanaDay(-30), []string{astanaDay(30)}, ""))
	if r.Status != http.StatusCreated {
		t.Fatalf("protocol: %d %s", r.Status, r.Body)
	}
	var p struct{ Decisions []struct{ ID string } }
	r.JSON(t, &p)
	decision := commissionsURL(s) + "/igc-cn/decisions/" + p.Decisions[0].ID

	task := func(url, token, assignee string) (int, work.TaskJSON) {
		t.Helper()
		r := stacktest.Do(t, "POST", url+"/tasks", token, `{"title":"Follow up","due":"`+astanaDay(3)+`","assignee":"`+assignee+`"}`)
		var out work.TaskJSON
		if r.Status == http.StatusCreated {
			r.JSON(t, &out)
		}
		return r.Status, out
	}
	for _, tc := range []struct {
		name, url, token, assignee string
		want                       int
	}{
		{"deal, its post", exportsURL(s, "/deals/"+deal), berlin, "attache.de-berlin", 201},
		{"barrier, its post", exportsURL(s, "/barriers/"+barrier.ID), berlin, "attache.de-berlin", 201},
		{"deal, another post", exportsURL(s, "/deals/"+deal), beijing, "attache.cn-beijing", 403},
		{"decision, its secretariat", decision, secCNToken, "secretariat.igc-cn", 201},
		{"decision, assigned to an attaché", decision, secCNToken, "attache.cn-beijing", 400},
		{"decision, another secretariat", decision, secUZToken, "secretariat.igc-uz", 403},
		{"decision, an attaché", decision, beijing, "attache.cn-beijing", 403},
	} {
		if got, _ := task(tc.url, tc.token, tc.assignee); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if r := stacktest.Do(t, "POST", decision+"/notes", secCNToken, `{"text":"Ministry contact: Li Wei"}`); r.Status != http.StatusCreated {
		t.Fatalf("decision note: %d %s", r.Status, r.Body)
	}
	for _, tc := range []struct {
		name, url, token string
		want             int
	}{
		{"the partner country's attaché reads the decision's tasks", decision + "/tasks", beijing, 200},
		{"the partner country's attaché may not read its notes", decision + "/notes", beijing, 403},
		{"the secretariat reads its notes", decision + "/notes", secCNToken, 200},
		{"an analyst reads a deal's tasks", exportsURL(s, "/deals/"+deal+"/tasks"), analyst, 200},
		{"an analyst may not read a barrier's notes", exportsURL(s, "/barriers/"+barrier.ID+"/notes"), analyst, 403},
	} {
		if r := stacktest.Do(t, "GET", tc.url, tc.token, ""); r.Status != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, r.Status, tc.want)
		}
	}
	count := func(url, token string) int {
		t.Helper()
		r := stacktest.Do(t, "GET", url+"?open=1", token, "")
		var out struct{ Tasks []work.TaskJSON }
		r.JSON(t, &out)
		return len(out.Tasks)
	}
	if n := count("http://"+s.ExportsAddr+"/api/v1/exports/tasks", berlin); n != 2 {
		t.Errorf("the Berlin attaché's export tasks: %d, want 2 (deal and barrier)", n)
	}
	if n := count(commissionsURL(s)+"/tasks", secCNToken); n != 1 {
		t.Errorf("the secretariat's decision tasks: %d, want 1", n)
	}
	if n := count(commissionsURL(s)+"/tasks", secUZToken); n != 0 {
		t.Errorf("another secretariat's decision tasks: %d, want 0", n)
	}
}
