package dashboards

// Tasks and notes on records, and "My work" (issue 17): the attaché's lead
// page shows the lead's tasks and notes with forms to add them and to mark
// a task done; /work lists the user's open tasks from every service, by
// due day, overdue first. Every call goes to the services' APIs with the
// user's token, so the records' policies decide.

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/kernel"
	"econdip/services/platform/work"
)

func (s *Server) workRoutes(ui auth.Router) {
	ui.Get("/work", auth.MyWork, s.workPage)
	ui.Post("/work/tasks", auth.MyWork, s.markTask)
	ui.Post("/attache/leads/:id/tasks", auth.WriteLeads, s.addLeadTask)
	ui.Post("/attache/leads/:id/notes", auth.WriteLeads, s.addLeadNote)
}

func (c *apiClient) tasksOf(ctx context.Context, token, record string) ([]work.TaskJSON, error) {
	var out struct {
		Tasks []work.TaskJSON `json:"tasks"`
	}
	err := c.call(ctx, token, http.MethodGet, record+"/tasks", nil, nil, &out)
	return out.Tasks, err
}

func (c *apiClient) notesOf(ctx context.Context, token, record string) ([]work.NoteJSON, error) {
	var out struct {
		Notes []work.NoteJSON `json:"notes"`
	}
	err := c.call(ctx, token, http.MethodGet, record+"/notes", nil, nil, &out)
	return out.Notes, err
}

func (c *apiClient) addTask(ctx context.Context, token, record, idemKey string, req work.TaskRequest) error {
	return c.call(ctx, token, http.MethodPost, record+"/tasks", map[string]string{"Idempotency-Key": idemKey}, req, nil)
}

func (c *apiClient) addNote(ctx context.Context, token, record, idemKey string, req work.NoteRequest) error {
	return c.call(ctx, token, http.MethodPost, record+"/notes", map[string]string{"Idempotency-Key": idemKey}, req, nil)
}

func (c *apiClient) patchTask(ctx context.Context, token, record, id string, req work.TaskPatch) error {
	return c.call(ctx, token, http.MethodPatch, record+"/tasks/"+url.PathEscape(id), nil, req, nil)
}

func (c *apiClient) myTasks(ctx context.Context, token, path string) ([]work.TaskJSON, error) {
	var out struct {
		Tasks []work.TaskJSON `json:"tasks"`
	}
	err := c.call(ctx, token, http.MethodGet, path+"?open=1", nil, nil, &out)
	return out.Tasks, err
}

// workSection is the Tasks and Notes part of a record's page.
type workSection struct {
	// Action is the page's path, under which the forms post.
	Action    string
	Kind      string
	Record    string
	Tasks     []work.TaskJSON
	Notes     []work.NoteJSON
	Assignees []auth.User
	Today     string
	// What a refused form had typed, and its errors by field.
	Task       work.TaskRequest
	TaskErrors map[string]string
	Note       string
	NoteErrors map[string]string
	TaskKey    string // Idempotency-Keys: a double submit adds one task, one note
	NoteKey    string
}

// leadRecord is the API path of a lead.
func leadRecord(id string) string { return "/api/v1/leads/" + url.PathEscape(id) }

// leadWork is the Tasks and Notes section of a lead's page.
func (s *Server) leadWork(c *fiber.Ctx, id string) (*workSection, error) {
	ctx, tok := apiContext(c), token(c)
	w := &workSection{Action: "/attache/leads/" + id, Kind: events.WorkOnLead, Record: id,
		Today: kernel.Today(time.Now()).String(), TaskErrors: map[string]string{}, NoteErrors: map[string]string{},
		TaskKey: uuid.NewString(), NoteKey: uuid.NewString()}
	var err error
	if w.Tasks, err = s.leads.tasksOf(ctx, tok, leadRecord(id)); err != nil {
		return nil, err
	}
	if w.Notes, err = s.leads.notesOf(ctx, tok, leadRecord(id)); err != nil {
		return nil, err
	}
	if s.cfg.Identity != nil {
		if w.Assignees, err = s.cfg.Identity.Colleagues(currentUser(c)); err != nil {
			return nil, err
		}
	}
	w.Task.Assignee = currentUser(c).ID
	return w, nil
}

// workFailure shows the lead's page again with what was typed in the task
// or note form and the API's field errors.
func (s *Server) workFailure(c *fiber.Ctx, id string, apiErr error, keep func(*workSection)) error {
	l, err := s.leads.get(apiContext(c), token(c), id)
	if err != nil {
		return err
	}
	f, err := s.leadForm(c, l)
	if err != nil {
		return err
	}
	keep(f.Work)
	return s.render(c, fiber.StatusBadRequest, "lead", l.Title, f)
}

func (s *Server) addLeadTask(c *fiber.Ctx) error {
	id := c.Params("id")
	req := work.TaskRequest{Title: c.FormValue("title"), Due: strings.TrimSpace(c.FormValue("due")), Assignee: c.FormValue("assignee")}
	key := c.FormValue("idempotency_key")
	if err := s.leads.addTask(apiContext(c), token(c), leadRecord(id), key, req); err != nil {
		msg, ferr := formErrorsOf(httpx.Lang(c), err, map[string]string{})
		if ferr != nil {
			return ferr
		}
		return s.workFailure(c, id, err, func(w *workSection) {
			w.Task, w.TaskKey = req, key
			_, _ = formErrorsOf(httpx.Lang(c), err, w.TaskErrors)
			if len(w.TaskErrors) == 0 {
				w.TaskErrors["title"] = msg
			}
		})
	}
	return c.Redirect("/attache/leads/"+id+"#tasks", fiber.StatusSeeOther)
}

func (s *Server) addLeadNote(c *fiber.Ctx) error {
	id := c.Params("id")
	text, key := c.FormValue("text"), c.FormValue("idempotency_key")
	if err := s.leads.addNote(apiContext(c), token(c), leadRecord(id), key, work.NoteRequest{Text: text}); err != nil {
		msg, ferr := formErrorsOf(httpx.Lang(c), err, map[string]string{})
		if ferr != nil {
			return ferr
		}
		return s.workFailure(c, id, err, func(w *workSection) {
			w.Note, w.NoteKey = text, key
			_, _ = formErrorsOf(httpx.Lang(c), err, w.NoteErrors)
			if len(w.NoteErrors) == 0 {
				w.NoteErrors["text"] = msg
			}
		})
	}
	return c.Redirect("/attache/leads/"+id+"#notes", fiber.StatusSeeOther)
}

// workSource is where one kind of record keeps its tasks: the service's
// client, the API path of a record and of the user's tasks, and the
// dashboard page of a record.
type workSource struct {
	client *apiClient
	mine   string
	record func(commission, id string) string
	page   func(commission, id string) string
}

func (s *Server) workSources() map[string]workSource {
	return map[string]workSource{
		events.WorkOnLead: {client: s.leads.apiClient, mine: "/api/v1/leads/tasks",
			record: func(_, id string) string { return leadRecord(id) },
			page:   func(_, id string) string { return "/attache/leads/" + url.PathEscape(id) }},
		events.WorkOnDeal: {client: s.exports.apiClient, mine: "/api/v1/exports/tasks",
			record: func(_, id string) string { return "/api/v1/deals/" + url.PathEscape(id) },
			page:   func(_, id string) string { return "/attache/deals/" + url.PathEscape(id) }},
		events.WorkOnBarrier: {client: s.exports.apiClient, mine: "",
			record: func(_, id string) string { return "/api/v1/barriers/" + url.PathEscape(id) },
			page:   func(_, id string) string { return "/attache/barriers/" + url.PathEscape(id) }},
		events.WorkOnDecision: {client: s.commissions.apiClient, mine: "/api/v1/commissions/tasks",
			record: func(cid, id string) string {
				return "/api/v1/commissions/" + url.PathEscape(cid) + "/decisions/" + url.PathEscape(id)
			},
			page: func(_, id string) string { return "/secretariat/decisions/" + url.PathEscape(id) }},
	}
}

// myTask is one line of "My work".
type myTask struct {
	work.TaskJSON
	Page    string // the record's page
	Overdue bool
}

// workPage lists the user's open tasks from every service, by due day,
// overdue first (they are the earliest days), each with its record.
func (s *Server) workPage(c *fiber.Ctx) error {
	today := kernel.Today(time.Now())
	var out []myTask
	sources := s.workSources()
	for _, src := range sources {
		if src.mine == "" {
			continue // listed with another kind of the same service
		}
		tasks, err := src.client.myTasks(apiContext(c), token(c), src.mine)
		if apperr.CodeOf(err) == apperr.Forbidden {
			continue // a role without this kind of record
		}
		if err != nil {
			return err
		}
		for _, t := range tasks {
			out = append(out, myTask{TaskJSON: t, Page: sources[t.RecordKind].page(t.CommissionID, t.RecordID),
				Overdue: work.Overdue(events.TaskV1{Due: t.Due, Done: t.Done}, today)})
		}
	}
	slices.SortFunc(out, func(a, b myTask) int {
		if a.Due != b.Due {
			return strings.Compare(a.Due, b.Due)
		}
		return strings.Compare(a.ID, b.ID)
	})
	return s.render(c, 200, "work", "ui.work.title", struct{ Tasks []myTask }{out})
}

// markTask marks a task done or open again, from "My work" or a record's
// page, and goes back there.
func (s *Server) markTask(c *fiber.Ctx) error {
	src, ok := s.workSources()[c.FormValue("kind")]
	record, commission := c.FormValue("record"), c.FormValue("commission")
	if !ok || record == "" {
		var f apperr.Fields
		f.Add("kind", "error.one_of", c.FormValue("kind"), strings.Join(events.WorkKinds, ", "))
		return f.Err()
	}
	version, err := strconv.Atoi(c.FormValue("version"))
	if err != nil {
		var f apperr.Fields
		f.Add("version", "error.version_required")
		return f.Err()
	}
	done := c.FormValue("done") == "1"
	if err := src.client.patchTask(apiContext(c), token(c), src.record(commission, record), c.FormValue("task"),
		work.TaskPatch{Version: &version, Done: &done}); err != nil {
		return err
	}
	if c.FormValue("back") == "record" {
		return c.Redirect(src.page(commission, record)+"#tasks", fiber.StatusSeeOther)
	}
	return c.Redirect("/work", fiber.StatusSeeOther)
}
