package ingest

import (
	"strings"
	"testing"
	"time"

	"econdip/events"
)

// TestNoWorkTextReachesTheEventsTable: tasks and notes (issue 17) are
// projected to the events table without the task's title and the note's
// text, which may name people; what the figures need stays.
func TestNoWorkTextReachesTheEventsTable(t *testing.T) {
	at := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	ref := events.WorkRef{Kind: events.WorkOnLead, ID: "7c9e6679-7425-40de-944b-e07fc1f90ae7"}
	task := events.TaskV1{ID: "0b1c2d3e-0000-4000-8000-000000000001", Version: 2, WorkRef: ref, Scope: "post:de-berlin",
		Title: "Call Jonas Weber on 1234567 about the site", Due: "2026-03-20", Assignee: "aigerim.berlin", Done: true, DoneAt: &at,
		DoneBy: "aigerim.berlin", CreatedBy: "aigerim.berlin", CreatedAt: at, UpdatedAt: at}
	note := events.NoteV1{ID: "0b1c2d3e-0000-4000-8000-000000000002", WorkRef: ref, Scope: "post:de-berlin",
		Author: "aigerim.berlin", Text: "Jonas Weber, +49 30 1234567, prefers calls", CreatedAt: at}
	for name, ev := range map[string]events.Event{
		"task created": &events.TaskCreatedV1{Task: task},
		"task updated": &events.TaskUpdatedV1{Task: task, Changed: []string{"title", "done"}},
		"note added":   &events.NoteAddedV1{Note: note},
	} {
		t.Run(name, func(t *testing.T) {
			raw := encodeEvent(t, ev)
			for _, text := range []string{"Jonas", "1234567"} {
				if !strings.Contains(string(raw), text) {
					t.Fatalf("the test's event does not hold %q", text)
				}
			}
			got := storedData(t, raw)
			for _, personal := range []string{"Jonas", "Weber", "1234567", "site"} {
				if strings.Contains(got, personal) {
					t.Errorf("stored data holds %q:\n%s", personal, got)
				}
			}
			if strings.HasPrefix(name, "task") {
				for _, kept := range []string{`"due":"2026-03-20"`, `"assignee":"aigerim.berlin"`, `"done":true`} {
					if !strings.Contains(got, kept) {
						t.Errorf("stored data lost %s:\n%s", kept, got)
					}
				}
			}
		})
	}
}
