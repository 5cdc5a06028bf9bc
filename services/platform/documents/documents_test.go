package documents_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/documents"
	"econdip/services/platform/documents/doctest"
	"econdip/services/platform/httpx"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
)

var (
	berlin  = auth.User{ID: "attache.de-berlin", Role: auth.Attache, Post: "de-berlin"}
	beijing = auth.User{ID: "attache.cn-beijing", Role: auth.Attache, Post: "cn-beijing"}
	analyst = auth.User{ID: "analyst", Role: auth.Analyst}
	admin   = auth.User{ID: "admin", Role: auth.Admin}
)

// tokens authenticates a test's requests: the token is the user's id.
type tokens map[string]auth.User

func (t tokens) Authenticate(token string) (auth.User, error) {
	if u, ok := t[token]; ok {
		return u, nil
	}
	return auth.User{}, apperr.E(apperr.Unauthorized, "error.unauthorized")
}

// rig is the documents of leads on a real embedded NATS, behind the HTTP
// routes a service mounts; leads maps a lead id to its post, the records
// the policy checks (auth.Permit, as a lead's own Get).
type rig struct {
	js     jetstream.JetStream
	docs   *documents.Docs
	app    *fiber.App
	leads  map[string]string
	offset atomic.Int64 // the clock's offset from now
}

var rigs atomic.Int64

func start(t *testing.T) *rig {
	t.Helper()
	srv := natstest.Start(t)
	r := &rig{js: srv.JS, leads: map[string]string{"lead-berlin": "de-berlin", "lead-beijing": "cn-beijing"}}
	docs, err := documents.New(t.Context(), srv.JS, t.TempDir(), obs.Discard(), documents.Config{
		Kind: events.WorkOnLead, Source: "econdip/leads", Read: auth.ReadLeads, Write: auth.WriteLeads,
		Record: func(_ context.Context, u auth.User, a auth.Action, ref events.WorkRef) (string, error) {
			post, ok := r.leads[ref.ID]
			if !ok {
				return "", apperr.E(apperr.NotFound, "error.not_found", ref.ID)
			}
			return "post:" + post, auth.Permit(u, a, func(u auth.User) bool { return u.Post == post }, "error.other_post")
		},
		Namespace: uuid.MustParse("11111111-2222-4333-8444-555555555555"),
		Now:       func() time.Time { return time.Now().Add(time.Duration(r.offset.Load())) },
	})
	if err != nil {
		t.Fatal(err)
	}
	r.docs = docs
	if err := docs.Ready(t.Context()); err != nil {
		t.Fatal(err)
	}
	users := tokens{berlin.ID: berlin, beijing.ID: beijing, analyst.ID: analyst, admin.ID: admin}
	opts := httpx.Options{Name: "documents-test", Logger: obs.Discard()}
	small := documents.Uploads(&opts)
	r.app = httpx.New(opts)
	r.app.Use(small)
	// Each rig registers its routes under a service name of its own.
	service := "documents-test-" + strconv.FormatInt(rigs.Add(1), 10)
	g := auth.Protect(r.app, service, "/api/v1/leads", auth.Bearer(users))
	docs.Mount(g, "/:id", func(c *fiber.Ctx) events.WorkRef { return docs.Ref("", c.Params("id")) },
		func(c *fiber.Ctx) string { return "/api/v1/leads/" + c.Params("id") })
	if err := documents.RetentionRoutes(r.app, service, srv.JS, auth.Bearer(users)); err != nil {
		t.Fatal(err)
	}
	return r
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (r *rig) do(t *testing.T, req *http.Request, user auth.User) answer {
	t.Helper()
	req.Header.Set("Authorization", "Bearer "+user.ID)
	resp, err := r.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, body}
}

func (r *rig) upload(t *testing.T, user auth.User, lead, name string, data []byte) answer {
	t.Helper()
	body, contentType := doctest.Form(nil, documents.FormField, name, data)
	req := httptest.NewRequest("POST", "/api/v1/leads/"+lead+"/documents", body)
	req.Header.Set("Content-Type", contentType)
	return r.do(t, req, user)
}

func (r *rig) get(t *testing.T, user auth.User, path string) answer {
	t.Helper()
	return r.do(t, httptest.NewRequest("GET", path, nil), user)
}

// stored counts the objects in the object store and the document events in the LEADS stream.
func (r *rig) stored(t *testing.T) (objects int, docEvents uint64) {
	t.Helper()
	store, err := r.js.ObjectStore(t.Context(), documents.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	list, err := store.List(t.Context())
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		t.Fatal(err)
	}
	st, err := r.js.Stream(t.Context(), events.StreamLeads)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context(), jetstream.WithSubjectFilter(events.AllLeadDocuments))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range info.State.Subjects {
		docEvents += n
	}
	return len(list), docEvents
}

var pdf = doctest.PDF

func fieldError(t *testing.T, a answer) string {
	t.Helper()
	var body httpx.ErrorBody
	_ = json.Unmarshal(a.body, &body)
	for _, f := range body.Fields {
		if f.Field == documents.FormField {
			return f.Key
		}
	}
	return ""
}

// TestSizeLimit: a file of 25 MiB + 1 byte is refused with a field error
// and nothing is stored (no object, no event); exactly 25 MiB is attached.
func TestSizeLimit(t *testing.T) {
	r := start(t)
	a := r.upload(t, berlin, "lead-berlin", "big.pdf", pdf(events.MaxDocumentBytes+1))
	if a.status != http.StatusBadRequest || fieldError(t, a) != "error.documents_too_large" {
		t.Fatalf("25 MiB + 1: %d %s", a.status, a.body)
	}
	if objects, evs := r.stored(t); objects != 0 || evs != 0 {
		t.Fatalf("after a refused upload: %d objects, %d events", objects, evs)
	}
	a = r.upload(t, berlin, "lead-berlin", "exact.pdf", pdf(events.MaxDocumentBytes))
	if a.status != http.StatusCreated {
		t.Fatalf("exactly 25 MiB: %d %s", a.status, a.body)
	}
	var doc documents.DocumentJSON
	if err := json.Unmarshal(a.body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Size != events.MaxDocumentBytes || doc.ContentType != events.DocPDF || doc.Name != "exact.pdf" || doc.AttachedBy != berlin.ID {
		t.Errorf("document %+v", doc)
	}
	if objects, evs := r.stored(t); objects != 1 || evs != 1 {
		t.Errorf("after the upload: %d objects, %d events", objects, evs)
	}
}

// TestContentDecidesTheType: a PNG named .pdf, an HTML page named .pdf and
// an empty file are refused with field errors, and nothing is stored.
func TestContentDecidesTheType(t *testing.T) {
	r := start(t)
	png := doctest.PNG()
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"scan.pdf", png, "error.documents_extension"},
		{"page.pdf", []byte("<html><script>alert(1)</script></html>"), "error.documents_type"},
		{"empty.pdf", nil, "error.documents_empty"},
	} {
		a := r.upload(t, berlin, "lead-berlin", tt.name, tt.data)
		if a.status != http.StatusBadRequest || fieldError(t, a) != tt.want {
			t.Errorf("%s: %d %s, want %s", tt.name, a.status, a.body, tt.want)
		}
	}
	if objects, evs := r.stored(t); objects != 0 || evs != 0 {
		t.Fatalf("after refused uploads: %d objects, %d events", objects, evs)
	}
	if a := r.upload(t, berlin, "lead-berlin", "scan.png", png); a.status != http.StatusCreated {
		t.Errorf("the PNG named .png: %d %s", a.status, a.body)
	}
}

// TestReadersOnly: a document of another post answers 403 (list and
// download) and so does an upload to it; the post and an analyst read it,
// and the download is an attachment of the file's type, named as uploaded.
func TestReadersOnly(t *testing.T) {
	r := start(t)
	data := pdf(4096)
	a := r.upload(t, berlin, "lead-berlin", "Протокол №12.pdf", data)
	if a.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", a.status, a.body)
	}
	var doc documents.DocumentJSON
	_ = json.Unmarshal(a.body, &doc)
	list, file := "/api/v1/leads/lead-berlin/documents", "/api/v1/leads/lead-berlin/documents/"+doc.ID
	for _, path := range []string{list, file} {
		if a := r.get(t, beijing, path); a.status != http.StatusForbidden || bytes.Contains(a.body, []byte("Протокол")) {
			t.Errorf("another post, GET %s: %d %s", path, a.status, a.body)
		}
	}
	if a := r.upload(t, beijing, "lead-berlin", "x.pdf", pdf(10)); a.status != http.StatusForbidden {
		t.Errorf("another post's upload: %d %s", a.status, a.body)
	}
	if a := r.upload(t, analyst, "lead-berlin", "x.pdf", pdf(10)); a.status != http.StatusForbidden {
		t.Errorf("an analyst's upload: %d %s", a.status, a.body)
	}
	for _, u := range []auth.User{berlin, analyst} {
		a := r.get(t, u, list)
		var body struct{ Documents []documents.DocumentJSON }
		_ = json.Unmarshal(a.body, &body)
		if a.status != http.StatusOK || len(body.Documents) != 1 || body.Documents[0].Name != "Протокол №12.pdf" || body.Documents[0].Size != 4096 {
			t.Errorf("%s lists: %d %s", u.ID, a.status, a.body)
		}
		a = r.get(t, u, file)
		if a.status != http.StatusOK || !bytes.Equal(a.body, data) {
			t.Fatalf("%s downloads: %d, %d bytes", u.ID, a.status, len(a.body))
		}
		if ct, cd, ns := a.header.Get("Content-Type"), a.header.Get("Content-Disposition"), a.header.Get("X-Content-Type-Options"); ct != events.DocPDF ||
			!strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "filename*=utf-8''%D0%9F") || ns != "nosniff" {
			t.Errorf("%s download headers: %q %q %q", u.ID, ct, cd, ns)
		}
	}
	// Another lead's path with this document's id finds nothing.
	if a := r.get(t, beijing, "/api/v1/leads/lead-beijing/documents/"+doc.ID); a.status != http.StatusNotFound {
		t.Errorf("the document under another lead: %d %s", a.status, a.body)
	}
}

// TestRemoveThenPurge: removal is an event with a version check; the bytes
// stay until the retention period (set by an administrator) has passed,
// then the sweeper deletes them and appends document.purged; the history
// keeps all three events.
func TestRemoveThenPurge(t *testing.T) {
	r := start(t)
	put := func(user auth.User, body string) answer {
		req := httptest.NewRequest("PUT", "/api/v1/documents/retention", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return r.do(t, req, user)
	}
	if a := put(berlin, `{"days":1}`); a.status != http.StatusForbidden {
		t.Errorf("an attaché sets the retention: %d %s", a.status, a.body)
	}
	if a := put(admin, `{"days":-1}`); a.status != http.StatusBadRequest {
		t.Errorf("a negative retention: %d %s", a.status, a.body)
	}
	if a := put(admin, `{"days":1}`); a.status != http.StatusOK {
		t.Fatalf("set the retention: %d %s", a.status, a.body)
	}
	if a := r.get(t, admin, "/api/v1/documents/retention"); a.status != http.StatusOK || !bytes.Contains(a.body, []byte(`"days":1`)) {
		t.Errorf("the retention: %d %s", a.status, a.body)
	}

	a := r.upload(t, berlin, "lead-berlin", "letter.docx", doctest.DOCX())
	if a.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", a.status, a.body)
	}
	var doc documents.DocumentJSON
	_ = json.Unmarshal(a.body, &doc)
	if doc.ContentType != events.DocDOCX {
		t.Errorf("content type %q", doc.ContentType)
	}
	path := "/api/v1/leads/lead-berlin/documents/" + doc.ID
	del := func(user auth.User, version int) answer {
		return r.do(t, httptest.NewRequest("DELETE", path+"?version="+strconv.Itoa(version), nil), user)
	}
	if a := del(beijing, 1); a.status != http.StatusForbidden {
		t.Errorf("another post removes: %d %s", a.status, a.body)
	}
	if a := del(berlin, 7); a.status != http.StatusConflict {
		t.Errorf("a stale version: %d %s", a.status, a.body)
	}
	if a := del(berlin, 1); a.status != http.StatusOK || !bytes.Contains(a.body, []byte(`"removed":true`)) {
		t.Fatalf("remove: %d %s", a.status, a.body)
	}
	if a := r.get(t, berlin, path); a.status != http.StatusNotFound {
		t.Errorf("download of a removed document: %d", a.status)
	}
	if a := r.get(t, berlin, "/api/v1/leads/lead-berlin/documents"); !bytes.Contains(a.body, []byte(`"documents":[]`)) {
		t.Errorf("list after the removal: %s", a.body)
	}
	if objects, _ := r.stored(t); objects != 1 {
		t.Fatalf("the bytes went at once: %d objects", objects)
	}
	purged, orphans, err := r.docs.Sweep(t.Context())
	if err != nil || purged != 0 || orphans != 0 {
		t.Fatalf("sweep within the retention: %d %d %v", purged, orphans, err)
	}
	r.offset.Store(int64(25 * time.Hour))
	purged, orphans, err = r.docs.Sweep(t.Context())
	if err != nil || purged != 1 || orphans != 0 {
		t.Fatalf("sweep after the retention: %d %d %v", purged, orphans, err)
	}
	if objects, evs := r.stored(t); objects != 0 || evs != 3 {
		t.Errorf("after the purge: %d objects, %d events (want 0 and attached, removed, purged)", objects, evs)
	}
	if purged, _, _ := r.docs.Sweep(t.Context()); purged != 0 {
		t.Errorf("a second sweep purged %d again", purged)
	}
	// The history: three events on the document's subject, by whom.
	subject := events.MustSubject(events.WorkSubject(r.docs.Ref("", "lead-berlin"), events.WorkDocument, doc.ID))
	cons, err := r.js.OrderedConsumer(t.Context(), events.StreamLeads, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	var types, actors []string
	for range 3 {
		msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		env, _, err := events.Decode(msg.Data())
		if err != nil {
			t.Fatal(err)
		}
		types, actors = append(types, env.Type), append(actors, env.Actor)
	}
	if strings.Join(types, " ") != events.TypeDocumentAttached+" "+events.TypeDocumentRemoved+" "+events.TypeDocumentPurged ||
		strings.Join(actors, " ") != berlin.ID+" "+berlin.ID+" "+documents.SweeperActor {
		t.Errorf("history %v by %v", types, actors)
	}
}

// TestOrphanSwept: bytes put without their event (a crash between the
// put and the append) are deleted once an hour old; a document's bytes stay.
func TestOrphanSwept(t *testing.T) {
	r := start(t)
	if a := r.upload(t, berlin, "lead-berlin", "kept.pdf", pdf(100)); a.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", a.status, a.body)
	}
	store, err := r.js.ObjectStore(t.Context(), documents.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.PutBytes(t.Context(), "lead/"+uuid.NewString()+"/"+strings.Repeat("0", 64), pdf(100)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.PutBytes(t.Context(), "deal/"+uuid.NewString()+"/"+strings.Repeat("0", 64), pdf(100)); err != nil {
		t.Fatal(err)
	}
	if _, orphans, err := r.docs.Sweep(t.Context()); err != nil || orphans != 0 {
		t.Fatalf("a young orphan: %d %v", orphans, err)
	}
	r.offset.Store(int64(2 * time.Hour))
	if _, orphans, err := r.docs.Sweep(t.Context()); err != nil || orphans != 1 {
		t.Fatalf("an hour-old orphan: %d %v", orphans, err)
	}
	// The lead's document stays, and the deal's orphan is the deals' sweeper's.
	if objects, _ := r.stored(t); objects != 2 {
		t.Errorf("%d objects left, want the document's and the deal's orphan", objects)
	}
}

// TestOtherRoutesKeepTheirLimit: only an upload may be larger than the
// app's own limit (1 MiB by default).
func TestOtherRoutesKeepTheirLimit(t *testing.T) {
	r := start(t)
	req := httptest.NewRequest("PUT", "/api/v1/documents/retention", strings.NewReader(`{"days":1`+strings.Repeat(" ", 2<<20)+`}`))
	req.Header.Set("Content-Type", "application/json")
	if a := r.do(t, req, admin); a.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MiB JSON body: %d %s", a.status, a.body)
	}
	if a := r.upload(t, berlin, "lead-berlin", "two.pdf", pdf(2<<20)); a.status != http.StatusCreated {
		t.Errorf("a 2 MiB upload: %d %s", a.status, a.body)
	}
}

// TestRetriedUpload: the same upload with the same Idempotency-Key is the
// same document (one object, one event); the key with other bytes is refused.
func TestRetriedUpload(t *testing.T) {
	r := start(t)
	send := func(data []byte) answer {
		body, contentType := doctest.Form(nil, documents.FormField, "letter.pdf", data)
		req := httptest.NewRequest("POST", "/api/v1/leads/lead-berlin/documents", body)
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Idempotency-Key", "upload-1")
		return r.do(t, req, berlin)
	}
	first, again := send(pdf(1000)), send(pdf(1000))
	if first.status != http.StatusCreated || again.status != http.StatusCreated || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("upload and retry: %d %d %v", first.status, again.status, again.header)
	}
	var a, b documents.DocumentJSON
	_ = json.Unmarshal(first.body, &a)
	_ = json.Unmarshal(again.body, &b)
	if a.ID != b.ID {
		t.Errorf("the retry made another document: %s, %s", a.ID, b.ID)
	}
	if other := send(pdf(2000)); other.status != http.StatusUnprocessableEntity {
		t.Errorf("the key with other bytes: %d %s", other.status, other.body)
	}
	// The refused request's bytes are an orphan the sweeper takes later;
	// the document's bytes were not overwritten.
	if objects, evs := r.stored(t); objects != 2 || evs != 1 {
		t.Errorf("%d objects, %d events", objects, evs)
	}
	if got := r.get(t, berlin, "/api/v1/leads/lead-berlin/documents/"+a.ID); !bytes.Equal(got.body, pdf(1000)) {
		t.Errorf("the document's bytes changed: %d bytes", len(got.body))
	}
}
