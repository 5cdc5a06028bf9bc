package ingest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"econdip/analytics"
	"econdip/events"
)

// projectRaw decodes raw as ingest does and projects it.
func projectRaw(t *testing.T, stream string, raw []byte) analytics.Rows {
	t.Helper()
	env, ev, err := events.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	var rows analytics.Rows
	if err := project(&rows, stream, 7, env, ev); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestTaskProjectsWithoutTitle: a task event becomes a task_states row and
// an events row, and its title is in neither.
func TestTaskProjectsWithoutTitle(t *testing.T) {
	at := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	done := at.Add(time.Hour)
	task := events.TaskV1{ID: "0b9a1f0e-5f1b-4b7e-9a43-3c2f1d6a7b10", Version: 2,
		WorkRef: events.WorkRef{Kind: events.WorkOnDecision, ID: "d-7", CommissionID: "kz-cn"},
		Scope:   "commission:kz-cn", Title: "Call the Ministry of Agriculture about quotas", Due: "2026-12-03",
		Assignee: "sec.kzcn", Done: true, DoneAt: &done, DoneBy: "sec.kzcn", CreatedBy: "sec.kzcn", CreatedAt: at, UpdatedAt: done}
	for _, ev := range []events.Event{&events.TaskCreatedV1{Task: task}, &events.TaskUpdatedV1{Task: task, Changed: []string{"done"}}} {
		rows := projectRaw(t, events.StreamCommissions, encodeEvent(t, ev))
		if len(rows.TaskStates) != 1 || len(rows.Events) != 1 || rows.Len() != 2 {
			t.Fatalf("%s: rows %+v", ev.EventType(), rows)
		}
		r := rows.TaskStates[0]
		if r.TaskID != task.ID || r.Version != 2 || r.RecordKind != "decision" || r.RecordID != "d-7" || r.CommissionID != "kz-cn" ||
			r.Scope != "commission:kz-cn" || r.Assignee != "sec.kzcn" || r.Due.Format(time.DateOnly) != "2026-12-03" ||
			!r.Done || r.DoneAt == nil || !r.DoneAt.Equal(done) || r.StreamSeq != 7 {
			t.Errorf("%s: task row %+v", ev.EventType(), r)
		}
		data := rows.Events[0].Data
		if strings.Contains(data, "Ministry of Agriculture") || strings.Contains(data, `"title"`) {
			t.Errorf("%s: events row keeps the title: %s", ev.EventType(), data)
		}
		var back struct {
			Task events.TaskV1 `json:"task"`
		}
		if err := json.Unmarshal([]byte(data), &back); err != nil || back.Task.ID != task.ID || back.Task.Due != task.Due {
			t.Errorf("%s: redacted data %s does not decode to the task less its title (%v)", ev.EventType(), data, err)
		}
	}
}

// TestNoteTextNeverProjected: a note event adds an events row without the
// note's text (in any letter case of its name), and nothing else.
func TestNoteTextNeverProjected(t *testing.T) {
	note := events.NoteV1{ID: "5d1c9a7e-1111-4c2b-8a1e-2b3c4d5e6f70", WorkRef: events.WorkRef{Kind: events.WorkOnLead, ID: "7c9e6679-7425-40de-944b-e07fc1f90ae7"},
		Scope: "post:de-berlin", Author: "aigerim.berlin", Text: "Met Jonas Weber, +49 30 1234567", CreatedAt: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}
	raw := encodeEvent(t, &events.NoteAddedV1{Note: note})
	upper := []byte(strings.Replace(string(raw), `"text":`, `"TEXT":`, 1))
	for name, raw := range map[string][]byte{"as written": raw, "name in capitals": upper} {
		rows := projectRaw(t, events.StreamLeads, raw)
		if rows.Len() != 1 || len(rows.Events) != 1 {
			t.Fatalf("%s: rows %+v", name, rows)
		}
		data := rows.Events[0].Data
		if strings.Contains(data, "Jonas") || strings.Contains(strings.ToLower(data), `"text"`) || !strings.Contains(data, note.ID) {
			t.Errorf("%s: events row data %s", name, data)
		}
	}
}

// FuzzNoteTextNeverSurvives: on any valid JSON a note event's data could
// be, the redacted data is valid JSON in which no member named note (in
// any case) keeps a member named text (in any case).
func FuzzNoteTextNeverSurvives(f *testing.F) {
	f.Add([]byte(`{"note":{"id":"n","text":"Jonas Weber","author":"a"}}`))
	f.Add([]byte(`{"Note":{"TEXT":"x","text":"y"},"note":{"Text":1},"other":{"text":"kept"}}`))
	f.Add([]byte(` { "note" : { "a" : [ 1 , "}" ] , "text" : { "text" : 2 } } } `))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		out, err := walkWithout(data, "note", "text")
		if err != nil {
			return // ingest dead-letters it: nothing is stored
		}
		if !json.Valid(out) {
			t.Fatalf("on %s the redaction gives invalid JSON %s", data, out)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(out, &top); err != nil {
			return
		}
		for name, v := range top {
			if !strings.EqualFold(name, "note") {
				continue
			}
			var inner map[string]json.RawMessage
			if json.Unmarshal(v, &inner) != nil {
				continue
			}
			for k := range inner {
				if strings.EqualFold(k, "text") {
					t.Fatalf("on %s the redaction keeps %s: %s", data, k, out)
				}
			}
		}
	})
}
