package digest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"econdip/analytics"
	"econdip/analytics/chtest"
	"econdip/events"
	"econdip/services/ingest"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
	"econdip/services/test/stacktest"
)

// TestTaskAndNoteThroughIngest: task and note events published on their
// subjects reach ClickHouse through the real ingest: the task as a
// task_states row (its latest version, without its title), the note only
// as an events row without its text. Neither the title nor the text is
// anywhere in the database: every String column of every table is searched.
func TestTaskAndNoteThroughIngest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	boot := chtest.Conn(t)
	db := chtest.Database() + "_ingest"
	if err := analytics.CreateDatabase(ctx, boot, db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = boot.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db) })
	conn, err := analytics.Open(ctx, analytics.Config{Addr: chtest.Addr(), Database: db, Username: "default"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if err := analytics.Migrate(ctx, conn, obs.Discard()); err != nil {
		t.Fatal(err)
	}
	ns := natstest.Start(t)

	const title, text = "Ring Frau Weber about the quota", "Jonas Weber's mobile is +49 30 1234567"
	lead := events.WorkRef{Kind: events.WorkOnLead, ID: "7c9e6679-7425-40de-944b-e07fc1f90ae7"}
	at := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	task := events.TaskV1{ID: "0b9a1f0e-5f1b-4b7e-9a43-3c2f1d6a7b10", Version: 1, WorkRef: lead, Scope: "post:de-berlin",
		Title: title, Due: "2026-12-09", Assignee: "aigerim.berlin", CreatedBy: "aigerim.berlin", CreatedAt: at, UpdatedAt: at}
	moved := task
	moved.Version, moved.Due, moved.UpdatedAt = 2, "2026-12-11", at.Add(time.Hour)
	note := events.NoteV1{ID: "5d1c9a7e-1111-4c2b-8a1e-2b3c4d5e6f70", WorkRef: lead, Scope: "post:de-berlin",
		Author: "aigerim.berlin", Text: text, CreatedAt: at}
	publish := func(item, id string, ev events.Event) {
		t.Helper()
		subject, err := events.WorkSubject(lead, item, id)
		if err != nil {
			t.Fatal(err)
		}
		env, err := events.New(events.Meta{Source: "econdip/work", Subject: subject, Actor: "aigerim.berlin", Scope: "post:de-berlin"}, ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := events.Publish(ctx, ns.JS, subject, env, events.PublishOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	publish(events.WorkTask, task.ID, &events.TaskCreatedV1{Task: task})
	publish(events.WorkTask, task.ID, &events.TaskUpdatedV1{Task: moved, Changed: []string{"due"}})
	publish(events.WorkNote, note.ID, &events.NoteAddedV1{Note: note})

	run, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- ingest.New(ns.JS, conn, obs.Discard(), ingest.Config{MaxWait: 50 * time.Millisecond}).Run(run)
	}()
	defer func() { stop(); <-done }()

	// Each batch writes the events table first and task_states last.
	stacktest.Eventually(t, time.Minute, "three events and the task's two versions in ClickHouse", func() (bool, error) {
		var n, v uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM events").Scan(&n); err != nil {
			return false, err
		}
		err := conn.QueryRow(ctx, "SELECT count() FROM task_states").Scan(&v)
		return n == 3 && v == 2, err
	})
	var due time.Time
	var version uint32
	var assignee, kind, record string
	if err := conn.QueryRow(ctx, `SELECT version, due, assignee, record_kind, record_id FROM task_states FINAL WHERE task_id = ?`, task.ID).
		Scan(&version, &due, &assignee, &kind, &record); err != nil {
		t.Fatal(err)
	}
	if version != 2 || due.Format(time.DateOnly) != "2026-12-11" || assignee != "aigerim.berlin" || kind != "lead" || record != lead.ID {
		t.Errorf("task row: version %d, due %s, assignee %s, record %s %s", version, due, assignee, kind, record)
	}

	// Search every String column of every table of the database.
	rows, err := conn.Query(ctx, "SELECT table, name FROM system.columns WHERE database = ? AND type LIKE '%String%'", db)
	if err != nil {
		t.Fatal(err)
	}
	var cols [][2]string
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, [2]string{table, col})
	}
	rows.Close()
	if len(cols) < 20 {
		t.Fatalf("only %d string columns found", len(cols))
	}
	found := map[string]bool{}
	for _, c := range cols {
		// aigerim.berlin (the actor, the assignee) shows the search finds what is there.
		for _, secret := range []string{"Weber", "1234567", "quota", "aigerim.berlin"} {
			var n uint64
			q := "SELECT count() FROM " + c[0] + " WHERE position(toString(" + c[1] + "), ?) > 0"
			if err := conn.QueryRow(ctx, q, secret).Scan(&n); err != nil {
				if strings.Contains(err.Error(), "Illegal type") {
					continue
				}
				t.Fatalf("%s.%s: %v", c[0], c[1], err)
			}
			if n > 0 {
				found[secret] = true
				if secret != "aigerim.berlin" {
					t.Errorf("%q is in %s.%s", secret, c[0], c[1])
				}
			}
		}
	}
	if !found["aigerim.berlin"] {
		t.Error("the search did not find the actor's id: it searches nothing")
	}
	var noteData string
	if err := conn.QueryRow(ctx, "SELECT data FROM events WHERE type = ?", events.TypeNoteAdded).Scan(&noteData); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(noteData, note.ID) || !strings.Contains(noteData, `"author":"aigerim.berlin"`) {
		t.Errorf("the note's events row lost more than its text: %s", noteData)
	}
}
