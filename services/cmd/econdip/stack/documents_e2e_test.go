package stack_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/platform/documents"
	"econdip/services/platform/documents/doctest"
	"econdip/services/test/stacktest"
)

// uploadDoc posts data as the multipart field "file" named name.
func uploadDoc(t *testing.T, url, token, name string, data []byte) stacktest.Response {
	t.Helper()
	body, contentType := doctest.Form(nil, documents.FormField, name, data)
	req, err := http.NewRequest("POST", url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return stacktest.Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// docsStored counts the objects of the documents' store and the document
// events of a stream.
func docsStored(t *testing.T, s *stack.Stack, stream, filter string) (int, uint64) {
	t.Helper()
	store, err := s.JS.ObjectStore(t.Context(), documents.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	list, err := store.List(t.Context())
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		t.Fatal(err)
	}
	st, err := s.JS.Stream(t.Context(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context(), jetstream.WithSubjectFilter(filter))
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, c := range info.State.Subjects {
		n += c
	}
	return len(list), n
}

var pdfOf = doctest.PDF

// TestDocumentsOnRecords: documents through the services' real HTTP APIs,
// each service on NATS as its own user (the permissions table): a 25 MiB +
// 1 byte upload is refused and nothing is stored, exactly 25 MiB is
// attached; a PNG named .pdf is refused; another post's document answers
// 403; an analyst downloads it; a deal and a decision carry documents too;
// removal is versioned, and the administrator sets the retention period.
func TestDocumentsOnRecords(t *testing.T) {
	s := stacktest.Start(t)
	lead := create(t, s, berlin, leadBody("Document Test GmbH"))
	docsURL := leadsURL(s) + "/" + lead.ID + "/documents"

	r := uploadDoc(t, docsURL, berlin, "too big.pdf", pdfOf(events.MaxDocumentBytes+1))
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"file"`) {
		t.Fatalf("25 MiB + 1: %d %s", r.Status, r.Body)
	}
	if objects, evs := docsStored(t, s, events.StreamLeads, events.AllLeadDocuments); objects != 0 || evs != 0 {
		t.Fatalf("after the refused upload: %d objects, %d events", objects, evs)
	}
	r = uploadDoc(t, docsURL, berlin, "scan.pdf", doctest.PNG())
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "error.documents_extension") && !strings.Contains(string(r.Body), `"file"`) {
		t.Fatalf("a PNG named .pdf: %d %s", r.Status, r.Body)
	}
	data := pdfOf(events.MaxDocumentBytes)
	data[len(data)-1] = 'x'
	r = uploadDoc(t, docsURL, berlin, "Letter of intent.pdf", data)
	if r.Status != http.StatusCreated {
		t.Fatalf("exactly 25 MiB: %d %s", r.Status, r.Body)
	}
	var doc documents.DocumentJSON
	r.JSON(t, &doc)
	if objects, evs := docsStored(t, s, events.StreamLeads, events.AllLeadDocuments); objects != 1 || evs != 1 {
		t.Fatalf("after the upload: %d objects, %d events", objects, evs)
	}

	for _, tc := range []struct {
		who, token, path string
		want             int
	}{
		{"another post, list", beijing, "", 403},
		{"another post, download", beijing, "/" + doc.ID, 403},
		{"the post, list", berlin, "", 200},
		{"an analyst, list", analyst, "", 200},
		{"a secretariat, list", secCN, "", 403},
	} {
		if r := stacktest.Do(t, "GET", docsURL+tc.path, tc.token, ""); r.Status != tc.want {
			t.Errorf("%s: %d, want %d: %s", tc.who, r.Status, tc.want, r.Body)
		}
	}
	r = stacktest.Do(t, "GET", docsURL+"/"+doc.ID, analyst, "")
	if r.Status != 200 || !bytes.Equal(r.Body, data) || r.Header.Get("Content-Type") != events.DocPDF ||
		r.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(r.Header.Get("Content-Disposition"), `filename="Letter of intent.pdf"`) {
		t.Fatalf("the analyst's download: %d, %d bytes, %v", r.Status, len(r.Body), r.Header)
	}

	// A deal and a decision carry documents, through their services.
	registerExporter(t, s, berlin, binAluminium, "Document Test Aluminium JSC")
	deal := createDeal(t, s, berlin, dealBody(binAluminium, "760110", `"1000"`))
	if r := uploadDoc(t, exportsURL(s, "/deals/"+deal.ID+"/documents"), berlin, "contract.docx", doctest.DOCX()); r.Status != http.StatusCreated {
		t.Errorf("a deal's document: %d %s", r.Status, r.Body)
	}
	if r := stacktest.Do(t, "GET", exportsURL(s, "/deals/"+deal.ID+"/documents"), beijing, ""); r.Status != 403 {
		t.Errorf("another post lists a deal's documents: %d", r.Status)
	}
	createCommission(t, s, "igc-cn", "CN")
	r = stacktest.Do(t, "POST", commissionsURL(s)+"/igc-cn/sessions", secCN, protocolBody(4, astanaDay(-10), []string{astanaDay(30)}, ""))
	if r.Status != http.StatusCreated {
		t.Fatalf("protocol: %d %s", r.Status, r.Body)
	}
	dec := protocolDecisions(t, r)[0]
	decURL := commissionsURL(s) + "/igc-cn/decisions/" + dec.ID + "/documents"
	if r := uploadDoc(t, decURL, secCN, "Protocol 4 signed.pdf", pdfOf(2048)); r.Status != http.StatusCreated {
		t.Errorf("a decision's document: %d %s", r.Status, r.Body)
	}
	if r := uploadDoc(t, decURL, secUZ, "x.pdf", pdfOf(10)); r.Status != 403 {
		t.Errorf("another commission's upload: %d %s", r.Status, r.Body)
	}
	if r := stacktest.Do(t, "GET", decURL, secUZ, ""); r.Status != 403 {
		t.Errorf("another commission lists: %d %s", r.Status, r.Body)
	}

	// Removal: versioned; the retention is the administrator's.
	if r := stacktest.Do(t, "DELETE", fmt.Sprintf("%s/%s?version=%d", docsURL, doc.ID, 5), berlin, ""); r.Status != http.StatusConflict {
		t.Errorf("a stale removal: %d %s", r.Status, r.Body)
	}
	if r := stacktest.Do(t, "DELETE", fmt.Sprintf("%s/%s?version=%d", docsURL, doc.ID, doc.Version), berlin, ""); r.Status != 200 {
		t.Fatalf("remove: %d %s", r.Status, r.Body)
	}
	if r := stacktest.Do(t, "GET", docsURL+"/"+doc.ID, berlin, ""); r.Status != http.StatusNotFound {
		t.Errorf("a removed document downloads: %d", r.Status)
	}
	retention := "http://" + s.LeadsAddr + "/api/v1/documents/retention"
	if r := stacktest.Do(t, "PUT", retention, berlin, `{"days":1}`); r.Status != 403 {
		t.Errorf("an attaché sets the retention: %d", r.Status)
	}
	if r := stacktest.Do(t, "PUT", retention, admin, `{"days":7}`); r.Status != 200 {
		t.Errorf("the administrator sets the retention: %d %s", r.Status, r.Body)
	}
	if r := stacktest.Do(t, "GET", retention, admin, ""); !strings.Contains(string(r.Body), `"days":7`) {
		t.Errorf("the retention: %d %s", r.Status, r.Body)
	}
}
