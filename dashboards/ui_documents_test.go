package dashboards_test

// Documents on a lead (issue 18), in a real browser: an attaché picks a
// file on the lead's page and attaches it; the page lists it with who
// attached it; its link downloads the same bytes as a PDF attachment; a
// PNG named .pdf is refused on the page with why; the document is removed.
//
//	go test -count=1 -run UIDocuments ./dashboards/ -v

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"econdip/services/platform/documents/doctest"
	"econdip/services/test/stacktest"
)

func TestUIDocumentsOnALead(t *testing.T) {
	deadline, cancelAll := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancelAll()
	exe := chromium(t)
	s := stacktest.Start(t)
	b := startBrowser(t, deadline, exe, "http://"+s.DashboardAddr)
	const berlin = "tok-berlin"
	r := stacktest.Do(t, "POST", "http://"+s.LeadsAddr+"/api/v1/leads", berlin,
		scLeadBody("Document Browser GmbH", "DE", "Gearbox plant", "", `"2.2"`, "5000000", 10))
	if r.Status != http.StatusCreated {
		t.Fatalf("create the lead: %d %s", r.Status, r.Body)
	}
	var lead struct{ ID string }
	r.JSON(t, &lead)
	dir := t.TempDir()
	pdf, fake := filepath.Join(dir, "Letter of intent.pdf"), filepath.Join(dir, "scan.pdf")
	data := doctest.PDF(300 << 10)
	if err := os.WriteFile(pdf, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fake, doctest.PNG(), 0o600); err != nil {
		t.Fatal(err)
	}

	b.signIn(berlin, "")
	b.do("open the lead", 10*time.Second, chromedp.Navigate(b.base+"/attache/leads/"+lead.ID), chromedp.WaitVisible(chromedp.ID("document-form")))
	b.expectText("no documents yet", "#documents p.muted", "No documents attached.")

	// A PNG named .pdf: refused, and the page says why.
	b.do("pick the fake PDF", 10*time.Second, chromedp.SetUploadFiles(chromedp.CSS(`#document-form input[type=file]`), []string{fake}))
	b.follow("attach it", `#document-form button[type=submit]`, http.StatusBadRequest)
	msg := waitFor[string](b, "the refusal", 5*time.Second, `(document.querySelector("#documents [role=alert]") || {}).textContent || null`)
	if !strings.Contains(msg, "scan.pdf") {
		t.Errorf("the refusal says %q", msg)
	}

	// The real PDF.
	b.do("pick the PDF", 10*time.Second, chromedp.SetUploadFiles(chromedp.CSS(`#document-form input[type=file]`), []string{pdf}))
	b.follow("attach it", `#document-form button[type=submit]`, http.StatusOK)
	type row struct {
		Name string `json:"name"`
		Type string `json:"type"`
		By   string `json:"by"`
		Link string `json:"link"`
	}
	rows := waitFor[[]row](b, "the documents listed", 5*time.Second, `(() => {
		const rows = [...document.querySelectorAll("#documents li.document")];
		return rows.length ? rows.map(r => ({name: r.querySelector(".document-name").textContent.trim(), type: r.querySelector(".document-type").textContent.trim(),
			by: r.querySelector(".document-by").textContent.trim(), link: r.querySelector("a").getAttribute("href")})) : null;
	})()`)
	if len(rows) != 1 || rows[0].Name != "Letter of intent.pdf" || rows[0].Type != "PDF" || rows[0].By != "attache.de-berlin" ||
		!strings.HasPrefix(rows[0].Link, "/api/documents/lead/"+lead.ID+"/") {
		t.Fatalf("the lead lists %+v", rows)
	}
	b.screenshot("documents-lead")

	// The link downloads the bytes, as a PDF attachment.
	type got struct {
		Size        int    `json:"size"`
		Type        string `json:"type"`
		Disposition string `json:"disposition"`
	}
	run(b, "start the download", 5*time.Second, chromedp.Evaluate[bool](`(fetch(document.querySelector("#documents a.document-name").getAttribute("href"))
		.then(async r => { const body = await r.arrayBuffer();
			window.downloaded = {size: body.byteLength, type: r.headers.get("Content-Type"), disposition: r.headers.get("Content-Disposition")}; }), true)`))
	dl := waitFor[got](b, "the download", 10*time.Second, `window.downloaded || null`)
	if dl.Size != len(data) || dl.Type != "application/pdf" || !strings.Contains(dl.Disposition, "Letter of intent.pdf") {
		t.Errorf("the download: %+v", dl)
	}

	// Removed: the lead lists none.
	b.follow("remove it", `#documents button.document-remove`, http.StatusOK)
	b.expectText("no documents after the removal", "#documents p.muted", "No documents attached.")
	b.noExceptions()
}
