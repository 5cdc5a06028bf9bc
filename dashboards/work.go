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
	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
	"econdip/services/platform/work"
)

func (s *Server) workRoutes(ui auth.Router) {
	ui.Get("/work", auth.MyWork, s.workPage)
	ui.Post("/work/tasks", auth.MyWork, s.markTask)
	lead, deal, barrier, decision := s.leadWorkForm(), s.dealWorkForm(), s.barrierWorkForm(), s.decisionWorkForm()
	ui.Post("/attache/leads/:id/tasks", auth.WriteLeads, s.addTask(lead))
	ui.Post("/attache/leads/:id/notes", auth.WriteLeads, s.addNote(lead))
	ui.Post("/attache/deals/:id/tasks", auth.WriteExports, s.addTask(deal))
	ui.Post("/attache/deals/:id/notes", auth.WriteExports, s.addNote(deal))
	ui.Post("/attache/barriers/:id/tasks", auth.WriteExports, s.addTask(barrier))
	ui.Post("/attache/barriers/:id/notes", auth.WriteExports, s.addNote(barrier))
	ui.Post("/secretariat/decisions/:did/tasks", auth.WriteCommissions, s.addTask(decision))
	ui.Post("/secretariat/decisions/:did/notes", auth.WriteCommissions, s.addNote(decision))
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
	Action     string
	Kind       string
	Record     string
	Commission string // a decision's
	Tasks      []work.TaskJSON
	Notes      []work.NoteJSON
	Assignees  []auth.User
	Today      string
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

// recordWork is the Tasks and Notes section of the page (at action) of the
// record id of kind (of commission cid, for a decision).
func (s *Server) recordWork(c *fiber.Ctx, kind, cid, id, action string) (*workSection, error) {
	src := s.workSources()[kind]
	ctx, tok, record := apiContext(c), token(c), src.record(cid, id)
	w := &workSection{Action: action, Kind: kind, Record: id, Commission: cid,
		Today: kernel.Today(time.Now()).String(), TaskErrors: map[string]string{}, NoteErrors: map[string]string{},
		TaskKey: uuid.NewString(), NoteKey: uuid.NewString()}
	var err error
	if w.Tasks, err = src.client.tasksOf(ctx, tok, record); err != nil {
		return nil, err
	}
	if w.Notes, err = src.client.notesOf(ctx, tok, record); err != nil {
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

// workForm is a record page's forms for tasks and notes: kind, the
// record's commission and id in the request, and how to show the page
// again with the section changed (a refused form).
type workForm struct {
	kind   string
	record func(c *fiber.Ctx) (cid, id string)
	again  func(c *fiber.Ctx, keep func(*workSection)) error
}

// leadWorkForm shows the lead's page again after a refused task or note.
func (s *Server) leadWorkForm() workForm {
	return workForm{kind: events.WorkOnLead,
		record: func(c *fiber.Ctx) (string, string) { return "", c.Params("id") },
		again: func(c *fiber.Ctx, keep func(*workSection)) error {
			l, err := s.leads.get(apiContext(c), token(c), c.Params("id"))
			if err != nil {
				return err
			}
			f, err := s.leadForm(c, l)
			if err != nil {
				return err
			}
			keep(f.Work)
			return s.render(c, fiber.StatusBadRequest, "lead", l.Title, f)
		}}
}

// dealWorkForm shows the deal's page again after a refused task or note.
func (s *Server) dealWorkForm() workForm {
	return workForm{kind: events.WorkOnDeal,
		record: func(c *fiber.Ctx) (string, string) { return "", c.Params("id") },
		again: func(c *fiber.Ctx, keep func(*workSection)) error {
			d, err := s.exports.deal(apiContext(c), token(c), c.Params("id"))
			if err != nil {
				return err
			}
			f, err := s.dealFormFor(c, d)
			if err != nil {
				return err
			}
			keep(f.Work)
			return s.render(c, fiber.StatusBadRequest, "deal", i18n.T(httpx.Lang(c), "ui.attache.deal_title", d.HSCode), f)
		}}
}

// barrierWorkForm shows the barrier's page again after a refused task or note.
func (s *Server) barrierWorkForm() workForm {
	return workForm{kind: events.WorkOnBarrier,
		record: func(c *fiber.Ctx) (string, string) { return "", c.Params("id") },
		again: func(c *fiber.Ctx, keep func(*workSection)) error {
			b, err := s.exports.barrier(apiContext(c), token(c), c.Params("id"))
			if err != nil {
				return err
			}
			f, err := s.barrierFormFor(c, b, "")
			if err != nil {
				return err
			}
			keep(f.Work)
			return s.render(c, fiber.StatusBadRequest, "barrier", b.Title, f)
		}}
}

// decisionWorkForm shows the decision's page again after a refused task or note.
func (s *Server) decisionWorkForm() workForm {
	return workForm{kind: events.WorkOnDecision,
		record: func(c *fiber.Ctx) (string, string) { return currentUser(c).Commission, c.Params("did") },
		again: func(c *fiber.Ctx, keep func(*workSection)) error {
			p, err := s.decisionView(c, c.Params("did"))
			if err != nil {
				return err
			}
			if p.Work != nil {
				keep(p.Work)
			}
			return s.render(c, fiber.StatusBadRequest, "decision", decisionTitle(c, p), p)
		}}
}

// refused shows the page again with the API's field errors in errs (or
// its message on field, when it names none) and what keep puts back.
func (f workForm) refused(c *fiber.Ctx, apiErr error, field string, errs func(*workSection) map[string]string, keep func(*workSection)) error {
	msg, err := formErrorsOf(httpx.Lang(c), apiErr, map[string]string{})
	if err != nil {
		return err
	}
	return f.again(c, func(w *workSection) {
		keep(w)
		m := errs(w)
		_, _ = formErrorsOf(httpx.Lang(c), apiErr, m)
		if len(m) == 0 {
			m[field] = msg
		}
	})
}

// addTask adds a task to the form's record and goes back to its page.
func (s *Server) addTask(f workForm) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cid, id := f.record(c)
		src := s.workSources()[f.kind]
		req := work.TaskRequest{Title: c.FormValue("title"), Due: strings.TrimSpace(c.FormValue("due")), Assignee: c.FormValue("assignee")}
		key := c.FormValue("idempotency_key")
		if err := src.client.addTask(apiContext(c), token(c), src.record(cid, id), key, req); err != nil {
			return f.refused(c, err, "title", func(w *workSection) map[string]string { return w.TaskErrors },
				func(w *workSection) { w.Task, w.TaskKey = req, key })
		}
		return c.Redirect(src.page(cid, id)+"#tasks", fiber.StatusSeeOther)
	}
}

// addNote adds a note to the form's record and goes back to its page.
func (s *Server) addNote(f workForm) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cid, id := f.record(c)
		src := s.workSources()[f.kind]
		text, key := c.FormValue("text"), c.FormValue("idempotency_key")
		if err := src.client.addNote(apiContext(c), token(c), src.record(cid, id), key, work.NoteRequest{Text: text}); err != nil {
			return f.refused(c, err, "text", func(w *workSection) map[string]string { return w.NoteErrors },
				func(w *workSection) { w.Note, w.NoteKey = text, key })
		}
		return c.Redirect(src.page(cid, id)+"#notes", fiber.StatusSeeOther)
	}
}

// workSource is where one kind of record keeps its tasks: the service's
// client, the API path of a record and of the user's tasks, and the
// dashboard page of a record.
type workSource struct {
	client *apiClient
	mine   string
	record func(commission, id string) string
	page   func(commission, id string) string
	// name is what "My work" calls the record (its title).
	name func(ctx context.Context, token, commission, id string) (string, error)
}

func (s *Server) workSources() map[string]workSource {
	return map[string]workSource{
		events.WorkOnLead: {client: s.leads.apiClient, mine: "/api/v1/leads/tasks",
			record: func(_, id string) string { return leadRecord(id) },
			page:   func(_, id string) string { return "/attache/leads/" + url.PathEscape(id) },
			name: func(ctx context.Context, tok, _, id string) (string, error) {
				l, err := s.leads.get(ctx, tok, id)
				return l.InvestorName + ": " + l.Title, err
			}},
		events.WorkOnDeal: {client: s.exports.apiClient, mine: "/api/v1/exports/tasks",
			record: func(_, id string) string { return "/api/v1/deals/" + url.PathEscape(id) },
			page:   func(_, id string) string { return "/attache/deals/" + url.PathEscape(id) },
			name: func(ctx context.Context, tok, _, id string) (string, error) {
				d, err := s.exports.deal(ctx, tok, id)
				return d.ExporterName + ", HS " + d.HSCode, err
			}},
		events.WorkOnBarrier: {client: s.exports.apiClient, mine: "",
			record: func(_, id string) string { return "/api/v1/barriers/" + url.PathEscape(id) },
			page:   func(_, id string) string { return "/attache/barriers/" + url.PathEscape(id) },
			name: func(ctx context.Context, tok, _, id string) (string, error) {
				b, err := s.exports.barrier(ctx, tok, id)
				return b.Title, err
			}},
		events.WorkOnDecision: {client: s.commissions.apiClient, mine: "/api/v1/commissions/tasks",
			record: func(cid, id string) string {
				return "/api/v1/commissions/" + url.PathEscape(cid) + "/decisions/" + url.PathEscape(id)
			},
			page: func(_, id string) string { return "/secretariat/decisions/" + url.PathEscape(id) },
			name: func(ctx context.Context, tok, cid, id string) (string, error) {
				d, err := s.commissions.decision(ctx, tok, cid, id)
				return d.Item + ". " + d.Text, err
			}},
	}
}

// myTask is one line of "My work".
type myTask struct {
	work.TaskJSON
	Page    string // the record's page
	Record  string // the record's title ("" when it could not be read)
	Overdue bool
}

// maxNamed bounds the records "My work" reads the titles of (one call each).
const maxNamed = 100

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
	// Each record's title, once; a record that cannot be read keeps its
	// kind's name (the link still leads to it).
	names := map[string]string{}
	for i, t := range out {
		key := t.RecordKind + "/" + t.CommissionID + "/" + t.RecordID
		name, ok := names[key]
		if !ok && len(names) < maxNamed {
			var err error
			if name, err = sources[t.RecordKind].name(apiContext(c), token(c), t.CommissionID, t.RecordID); err != nil {
				s.cfg.Log.Warn("my work: record title unavailable", "kind", t.RecordKind, "record", t.RecordID, "err", err)
				name = ""
			}
			names[key] = name
		}
		out[i].Record = name
	}
	return s.render(c, 200, "work", "ui.work.title", struct{ Tasks []myTask }{out})
}

// markTask marks a task done or open again, from "My work" or a record's
// page, and goes back there.
func (s *Server) markTask(c *fiber.Ctx) error {
	src, ok := s.workSources()[c.FormValue("kind")]
	record, commission := c.FormValue("record"), c.FormValue("commission")
	if !ok || record == "" {
		var f apperr.Fields
		f.Add("kind", "error.one_of", strings.Join(events.WorkKinds, ", "))
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
