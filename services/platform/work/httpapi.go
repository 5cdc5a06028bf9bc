package work

import (
	"cmp"
	"slices"

	"github.com/gofiber/fiber/v2"

	"econdip/events"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
)

// TaskRequest is the body of POST …/tasks.
type TaskRequest struct {
	Title    string `json:"title"`
	Due      string `json:"due"`
	Assignee string `json:"assignee"`
}

// TaskPatch is the body of PATCH …/tasks/:task: the version read, and the
// fields to change.
type TaskPatch struct {
	Version  *int    `json:"version,omitempty"`
	Title    *string `json:"title,omitempty"`
	Due      *string `json:"due,omitempty"`
	Assignee *string `json:"assignee,omitempty"`
	Done     *bool   `json:"done,omitempty"`
}

// NoteRequest is the body of POST …/notes.
type NoteRequest struct {
	Text string `json:"text"`
}

// TaskJSON is a task as the API answers it.
type TaskJSON struct {
	ID           string `json:"id"`
	Version      int    `json:"version"`
	RecordKind   string `json:"record_kind"`
	RecordID     string `json:"record_id"`
	CommissionID string `json:"commission_id,omitempty"`
	Scope        string `json:"scope"`
	Title        string `json:"title"`
	Due          string `json:"due"`
	Assignee     string `json:"assignee"`
	Done         bool   `json:"done"`
	DoneAt       string `json:"done_at,omitempty"`
	DoneBy       string `json:"done_by,omitempty"`
	CreatedBy    string `json:"created_by"`
	CreatedAt    string `json:"created_at"`
	UpdatedAt    string `json:"updated_at"`
}

// NoteJSON is a note as the API answers it.
type NoteJSON struct {
	ID           string `json:"id"`
	RecordKind   string `json:"record_kind"`
	RecordID     string `json:"record_id"`
	CommissionID string `json:"commission_id,omitempty"`
	Author       string `json:"author"`
	Text         string `json:"text"`
	CreatedAt    string `json:"created_at"`
}

const stamp = "2006-01-02T15:04:05.000Z07:00"

// ToJSON is the API's form of a task.
func ToJSON(t events.TaskV1) TaskJSON {
	j := TaskJSON{ID: t.ID, Version: t.Version, RecordKind: t.Kind, RecordID: t.WorkRef.ID, CommissionID: t.CommissionID, Scope: t.Scope,
		Title: t.Title, Due: t.Due, Assignee: t.Assignee, Done: t.Done, DoneBy: t.DoneBy, CreatedBy: t.CreatedBy,
		CreatedAt: t.CreatedAt.UTC().Format(stamp), UpdatedAt: t.UpdatedAt.UTC().Format(stamp)}
	if t.DoneAt != nil {
		j.DoneAt = t.DoneAt.UTC().Format(stamp)
	}
	return j
}

// NoteToJSON is the API's form of a note.
func NoteToJSON(n events.NoteV1) NoteJSON {
	return NoteJSON{ID: n.ID, RecordKind: n.Kind, RecordID: n.WorkRef.ID, CommissionID: n.CommissionID, Author: n.Author,
		Text: n.Text, CreatedAt: n.CreatedAt.UTC().Format(stamp)}
}

// Mount adds the routes of the tasks and notes of the records at path of g
// ("/:id", "/:cid/decisions/:did"); ref names the record of a request, and
// location the URL of a record's path (for the Location of a new task or
// note): GET and POST path/tasks, PATCH path/tasks/:task, GET and POST
// path/notes. The record is checked before the body is read, so that a
// user outside its scope learns nothing from a validation error.
func (w *Work) Mount(g auth.Router, path string, ref func(c *fiber.Ctx) events.WorkRef, location func(c *fiber.Ctx) string) {
	g.Get(path+"/tasks", w.cfg.Read, func(c *fiber.Ctx) error {
		tasks, err := w.Tasks(c.UserContext(), auth.FromCtx(c), ref(c))
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"tasks": tasksJSON(tasks)})
	})
	g.Post(path+"/tasks", w.cfg.Write, func(c *fiber.Ctx) error {
		u, r := auth.FromCtx(c), ref(c)
		if _, err := w.cfg.Record(c.UserContext(), u, w.cfg.Write, r); err != nil {
			return err
		}
		var req TaskRequest
		if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
			return err
		}
		t, replayed, err := w.AddTask(c.UserContext(), u, r, c.Get(httpx.HeaderIdempotencyKey), TaskInput(req))
		if err != nil {
			return err
		}
		return httpx.Created(c, location(c)+"/tasks/"+t.ID, replayed, ToJSON(t))
	})
	g.Patch(path+"/tasks/:task", w.cfg.Write, func(c *fiber.Ctx) error {
		u, r := auth.FromCtx(c), ref(c)
		if _, err := w.cfg.Record(c.UserContext(), u, w.cfg.Write, r); err != nil {
			return err
		}
		var req TaskPatch
		if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
			return err
		}
		if err := httpx.RequireVersion(req.Version); err != nil {
			return err
		}
		t, err := w.ChangeTask(c.UserContext(), u, r, c.Params("task"), *req.Version,
			TaskEdit{Title: req.Title, Due: req.Due, Assignee: req.Assignee, Done: req.Done})
		if err != nil {
			return err
		}
		return c.JSON(ToJSON(t))
	})
	g.Get(path+"/notes", w.cfg.Write, func(c *fiber.Ctx) error {
		notes, err := w.Notes(c.UserContext(), auth.FromCtx(c), ref(c))
		if err != nil {
			return err
		}
		out := make([]NoteJSON, len(notes))
		for i, n := range notes {
			out[i] = NoteToJSON(n)
		}
		return c.JSON(fiber.Map{"notes": out})
	})
	g.Post(path+"/notes", w.cfg.Write, func(c *fiber.Ctx) error {
		u, r := auth.FromCtx(c), ref(c)
		if _, err := w.cfg.Record(c.UserContext(), u, w.cfg.Write, r); err != nil {
			return err
		}
		var req NoteRequest
		if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
			return err
		}
		n, replayed, err := w.AddNote(c.UserContext(), u, r, c.Get(httpx.HeaderIdempotencyKey), req.Text)
		if err != nil {
			return err
		}
		return httpx.Created(c, location(c)+"/notes/"+n.ID, replayed, NoteToJSON(n))
	})
}

// MyTasks is the handler of a service's list of the user's tasks ("My
// work", auth.MyWork): ?open=1 for those not done; the list holds the
// tasks assigned to the user in their own scope, of every kind given.
func MyTasks(kinds ...*Work) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := auth.FromCtx(c)
		open := c.Query("open") == "1" || c.Query("open") == "true"
		var all []events.TaskV1
		for _, w := range kinds {
			tasks, err := w.Mine(u, open)
			if err != nil {
				return err
			}
			all = append(all, tasks...)
		}
		sortTasks(all)
		return c.JSON(fiber.Map{"tasks": tasksJSON(all)})
	}
}

func tasksJSON(tasks []events.TaskV1) []TaskJSON {
	out := make([]TaskJSON, len(tasks))
	for i, t := range tasks {
		out[i] = ToJSON(t)
	}
	return out
}

// sortTasks orders tasks by due day, then id (a view's order, across kinds).
func sortTasks(tasks []events.TaskV1) {
	slices.SortFunc(tasks, func(a, b events.TaskV1) int {
		if a.Due != b.Due {
			return cmp.Compare(a.Due, b.Due)
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
