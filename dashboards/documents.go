package dashboards

// Documents attached to records (issue 18): a record's page lists its
// documents with download links, and its writers get an upload form and
// remove buttons ("documents-section", templates/documents_section.html).
// Every call goes to the record's service with the user's token, so the
// record's policy decides who lists, downloads, attaches and removes; the
// dashboard only passes the bytes through.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/documents"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
)

// documentKinds are the dashboard's routes of each kind of record's
// documents: the record page's path pattern (the forms post under it), the
// download's (under /api/, so that a refusal is a JSON error, not a page),
// and the actions that read and write.
var documentKinds = []struct {
	kind, path, download string
	read, write          auth.Action
}{
	{events.WorkOnLead, "/attache/leads/:id", "/api/documents/lead/:id", auth.ReadLeads, auth.WriteLeads},
	{events.WorkOnDeal, "/attache/deals/:id", "/api/documents/deal/:id", auth.ReadExports, auth.WriteExports},
	{events.WorkOnBarrier, "/attache/barriers/:id", "/api/documents/barrier/:id", auth.ReadExports, auth.WriteExports},
	{events.WorkOnDecision, "/secretariat/decisions/:did", "/api/documents/decision/:cid/:did", auth.ReadCommissions, auth.WriteCommissions},
}

// downloadPath is the dashboard's download path of the documents of a
// record (its id, and for a decision its commission).
func downloadPath(kind, cid, id string) string {
	if kind == events.WorkOnDecision {
		return "/api/documents/decision/" + url.PathEscape(cid) + "/" + url.PathEscape(id)
	}
	return "/api/documents/" + kind + "/" + url.PathEscape(id)
}

func (s *Server) documentRoutes(ui auth.Router) {
	ui.Get("/admin/documents", auth.ManageDocuments, s.retentionPage)
	ui.Post("/admin/documents", auth.ManageDocuments, s.setRetention)
	forms := map[string]workForm{events.WorkOnLead: s.leadWorkForm(), events.WorkOnDeal: s.dealWorkForm(),
		events.WorkOnBarrier: s.barrierWorkForm(), events.WorkOnDecision: s.decisionWorkForm()}
	for _, k := range documentKinds {
		f := forms[k.kind]
		ui.Get(k.download+"/:doc", k.read, s.downloadDocument(f))
		ui.Post(k.path+"/documents", k.write, s.uploadDocument(f))
		ui.Post(k.path+"/documents/:doc/remove", k.write, s.removeDocument(f))
	}
}

// docSection is the "documents-section" template's data.
type docSection struct {
	// Action is the record page's path: the forms post under it.
	Action string
	// Download is the path the record's documents download under.
	Download string
	Docs     []docRow
	CanWrite bool
	CSRF     string
	Key      string // the upload's Idempotency-Key: a double submit attaches once
	Error    string // a refused upload's or removal's message
}

// docRow is one document of the section, with its type's short name and
// its size for people.
type docRow struct {
	documents.DocumentJSON
	TypeName, SizeText string
}

var typeNames = map[string]string{events.DocPDF: "PDF", events.DocDOCX: "DOCX", events.DocXLSX: "XLSX", events.DocJPEG: "JPEG", events.DocPNG: "PNG"}

// sizeOf writes a byte count in KB or MB (decimal, as people read file
// sizes), with the language's number format.
func sizeOf(lang i18n.Lang, n int64) string {
	switch {
	case n >= 1_000_000:
		return i18n.Number(lang, decimal.NewFromInt(n).Div(decimal.NewFromInt(1_000_000)).Round(1)) + " MB"
	case n >= 1_000:
		return i18n.Number(lang, decimal.NewFromInt(n).Div(decimal.NewFromInt(1_000)).Round(0)) + " KB"
	}
	return strconv.FormatInt(n, 10) + " B"
}

// docErrorKey carries a refused form's message to the page shown again.
const docErrorKey = "documents_error"

// recordDocuments is the Documents section of the page (at action) of the
// record id of kind (of commission cid, for a decision); nil when the user
// may not read the record's documents.
func (s *Server) recordDocuments(c *fiber.Ctx, kind, cid, id, action string) (*docSection, error) {
	src := s.workSources()[kind]
	var out struct {
		Documents []documents.DocumentJSON `json:"documents"`
	}
	err := src.client.call(apiContext(c), token(c), http.MethodGet, src.record(cid, id)+"/documents", nil, nil, &out)
	if code := apperr.CodeOf(err); code == apperr.Forbidden || code == apperr.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u := currentUser(c)
	d := &docSection{Action: action, Download: downloadPath(kind, cid, id), CSRF: csrfOf(c), Key: uuid.NewString()}
	for _, doc := range out.Documents {
		d.Docs = append(d.Docs, docRow{DocumentJSON: doc, TypeName: typeNames[doc.ContentType], SizeText: sizeOf(httpx.Lang(c), doc.Size)})
	}
	for _, k := range documentKinds {
		if k.kind == kind {
			d.CanWrite = auth.ReachOf(u, k.write) != auth.None
		}
	}
	d.Error, _ = c.Locals(docErrorKey).(string)
	return d, nil
}

// documentRecord is the record of a request to one of the document routes:
// a download names a decision's commission, a form posts to its own
// commission's decision.
func documentRecord(c *fiber.Ctx, f workForm) (cid, id string) {
	cid, id = f.record(c)
	if f.kind == events.WorkOnDecision && c.Params("cid") != "" {
		cid = c.Params("cid")
	}
	return cid, id
}

// downloadDocument passes a document's bytes through, with the service's
// type, disposition and nosniff.
func (s *Server) downloadDocument(f workForm) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cid, id := documentRecord(c, f)
		src := s.workSources()[f.kind]
		path := src.record(cid, id) + "/documents/" + url.PathEscape(c.Params("doc"))
		resp, err := src.client.raw(apiContext(c), token(c), http.MethodGet, path, "", nil)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, resp.Header.Get(fiber.HeaderContentType))
		c.Set(fiber.HeaderContentDisposition, resp.Header.Get(fiber.HeaderContentDisposition))
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		return c.Send(resp.Body)
	}
}

// uploadDocument passes the form's file to the record's service and goes
// back to the record's page; a refused file shows the page again with why.
func (s *Server) uploadDocument(f workForm) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cid, id := documentRecord(c, f)
		src := s.workSources()[f.kind]
		err := s.passUpload(c, src, cid, id)
		if err != nil {
			return s.documentRefused(c, f, err)
		}
		return c.Redirect(src.page(cid, id)+"#documents", fiber.StatusSeeOther)
	}
}

func (s *Server) passUpload(c *fiber.Ctx, src workSource, cid, id string) error {
	fh, err := c.FormFile(documents.FormField)
	if err != nil {
		var fe apperr.Fields
		fe.Add(documents.FormField, "error.documents_no_file")
		return fe.Err()
	}
	if fh.Size > events.MaxDocumentBytes {
		var fe apperr.Fields
		fe.Add(documents.FormField, "error.documents_too_large", "25 MiB")
		return fe.Err()
	}
	file, err := fh.Open()
	if err != nil {
		return err
	}
	defer file.Close()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, err := w.CreateFormFile(documents.FormField, fh.Filename)
	if err != nil {
		return err
	}
	if _, err := io.Copy(part, io.LimitReader(file, events.MaxDocumentBytes+1)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	_, err = src.client.raw(apiContext(c), token(c), http.MethodPost, src.record(cid, id)+"/documents", w.FormDataContentType(), &body,
		httpx.HeaderIdempotencyKey, c.FormValue("idempotency_key"))
	return err
}

// removeDocument removes a document (the version the page showed) and goes
// back to the record's page.
func (s *Server) removeDocument(f workForm) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cid, id := documentRecord(c, f)
		src := s.workSources()[f.kind]
		version, err := strconv.Atoi(c.FormValue("version"))
		if err != nil {
			var fe apperr.Fields
			fe.Add("version", "error.version_required")
			return s.documentRefused(c, f, fe.Err())
		}
		path := fmt.Sprintf("%s/documents/%s?version=%d", src.record(cid, id), url.PathEscape(c.Params("doc")), version)
		if _, err := src.client.raw(apiContext(c), token(c), http.MethodDelete, path, "", nil); err != nil {
			return s.documentRefused(c, f, err)
		}
		return c.Redirect(src.page(cid, id)+"#documents", fiber.StatusSeeOther)
	}
}

// documentRefused shows the record's page again with the refusal's
// message in its Documents section; errors that are no refusal of the
// input (403, 404, a service down) answer as errors.
func (s *Server) documentRefused(c *fiber.Ctx, f workForm, err error) error {
	lang := httpx.Lang(c)
	var ae *apperr.Error
	if !errors.As(err, &ae) || (ae.Code != apperr.Invalid && ae.Code != apperr.Conflict) {
		return err
	}
	msg := ae.Localized(lang)
	for _, fe := range ae.Fields {
		// The service's message, in the page's language (Accept-Language),
		// has the arguments; a field error made here is localized here.
		msg = fe.Message
		if msg == "" {
			msg = fe.Localized(lang)
		}
	}
	c.Locals(docErrorKey, msg)
	return f.again(c, func(*workSection) {})
}

// rawAnswer is a service's answer as it came.
type rawAnswer struct {
	Header http.Header
	Body   []byte
}

// raw sends a request with any body (content type given, or none) and
// returns the answer's headers and bytes (at most a document and a
// margin); an error status comes back as *apperr.Error, as from call.
func (c *apiClient) raw(ctx context.Context, token, method, path, contentType string, body io.Reader, headers ...string) (rawAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return rawAnswer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if l, ok := ctx.Value(langKey{}).(i18n.Lang); ok {
		req.Header.Set("Accept-Language", string(l))
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	// A document is up to 25 MiB each way: a longer timeout than JSON calls'.
	client := *c.http
	client.Timeout = 2 * time.Minute
	resp, err := client.Do(req)
	if err != nil {
		return rawAnswer{}, apperr.Wrap(apperr.Unavailable, err, "error.service_unavailable")
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, events.MaxDocumentBytes+1<<20))
	if err != nil {
		return rawAnswer{}, apperr.Wrap(apperr.Unavailable, err, "error.service_unavailable")
	}
	if resp.StatusCode >= 400 {
		var eb httpx.ErrorBody
		if json.Unmarshal(raw, &eb) != nil || eb.Code == "" {
			return rawAnswer{}, apperr.Wrap(apperr.Internal, fmt.Errorf("%s answered %d: %.200s", c.base, resp.StatusCode, raw), "error.internal")
		}
		return rawAnswer{}, &apperr.Error{Code: eb.Code, Message: eb.Error, Fields: eb.Fields}
	}
	return rawAnswer{Header: resp.Header, Body: raw}, nil
}

// retentionPage shows the administrators' retention period of removed
// documents' bytes (the leads service keeps it for every service).
func (s *Server) retentionPage(c *fiber.Ctx) error {
	var r documents.RetentionJSON
	if err := s.leads.call(apiContext(c), token(c), http.MethodGet, "/api/v1/documents/retention", nil, nil, &r); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "admin_documents", "ui.documents.admin_title", retentionForm{Days: strconv.Itoa(*r.Days), Saved: c.Query("saved") == "1"})
}

type retentionForm struct {
	Days  string
	Saved bool
	Error string
}

// setRetention saves the retention period and shows it again.
func (s *Server) setRetention(c *fiber.Ctx) error {
	days, err := strconv.Atoi(c.FormValue("days"))
	if err == nil {
		err = s.leads.call(apiContext(c), token(c), http.MethodPut, "/api/v1/documents/retention", nil, documents.RetentionJSON{Days: &days}, nil)
	} else {
		var fe apperr.Fields
		fe.Add("days", "error.documents_retention_range", documents.MaxRetentionDays)
		err = fe.Err()
	}
	if err != nil {
		fields := map[string]string{}
		msg, err := formErrorsOf(httpx.Lang(c), err, fields)
		if err != nil {
			return err
		}
		if m, ok := fields["days"]; ok && m != "" {
			msg = m
		}
		return s.render(c, fiber.StatusBadRequest, "admin_documents", "ui.documents.admin_title", retentionForm{Days: c.FormValue("days"), Error: msg})
	}
	return c.Redirect("/admin/documents?saved=1", fiber.StatusSeeOther)
}
