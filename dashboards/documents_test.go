package dashboards_test

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"econdip/services/platform/documents/doctest"
	"econdip/services/test/stacktest"
)

// postFile sends a multipart form with fields and a file in the field
// "file", as the user with token (redirects not followed).
func postFile(t *testing.T, url, token string, fields map[string]string, name string, data []byte) (int, string, string) {
	t.Helper()
	body, contentType := doctest.Form(fields, "file", name, data)
	req, _ := http.NewRequest("POST", url, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), resp.Header.Get("Location")
}

// TestDecisionPageDocuments: the secretariat attaches a signed protocol on
// the decision's page, which lists it with a download link; the download
// passes the bytes through with the file's type; a PNG named .pdf is
// refused on the page with why; another commission's secretariat cannot
// download it; removal takes it off the page.
func TestDecisionPageDocuments(t *testing.T) {
	s := stacktest.Start(t)
	setupCommission(t, s)
	r := stacktest.Do(t, "POST", "http://"+s.CommissionsAddr+"/api/v1/commissions/igc-cn/sessions", "tok-sec-cn",
		`{"number":6,"date":"`+day(-30)+`","place":"Beijing","decisions":[{"item":"1","text":"Sign the grain protocol","agencies":["mti"],"deadline":"`+day(20)+`","clauses":["2.7"]}]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("protocol: %d %s", r.Status, r.Body)
	}
	var p struct{ Decisions []struct{ ID string } }
	r.JSON(t, &p)
	page := "http://" + s.DashboardAddr + "/secretariat/decisions/" + p.Decisions[0].ID
	if status, body := get(t, page, "tok-sec-cn"); status != 200 || !strings.Contains(body, `id="documents"`) || !strings.Contains(body, `id="document-form"`) {
		t.Fatalf("decision page: %d, documents section: %v", status, strings.Contains(body, `id="documents"`))
	}
	status, body, _ := postFile(t, page+"/documents", "tok-sec-cn", map[string]string{"idempotency_key": "d1"}, "scan.pdf", doctest.PNG())
	if status != http.StatusBadRequest || !strings.Contains(body, "scan.pdf") || !strings.Contains(body, `role="alert"`) {
		t.Errorf("a PNG named .pdf: %d, message shown: %v", status, strings.Contains(body, `role="alert"`))
	}
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 5000)...)
	status, _, loc := postFile(t, page+"/documents", "tok-sec-cn", map[string]string{"idempotency_key": "d2"}, "Protocol 6 signed.pdf", pdf)
	if status != http.StatusSeeOther || !strings.HasSuffix(loc, "#documents") {
		t.Fatalf("attach: %d %s", status, loc)
	}
	_, body = get(t, page, "tok-sec-cn")
	link := regexp.MustCompile(`href="(/api/documents/decision/igc-cn/[^"]+/[0-9a-f-]{36})"`).FindStringSubmatch(body)
	if link == nil || !strings.Contains(body, "Protocol 6 signed.pdf") || !strings.Contains(body, "secretariat.igc-cn") {
		t.Fatalf("the page lacks the document or its link")
	}
	r = stacktest.Do(t, "GET", "http://"+s.DashboardAddr+link[1], "tok-sec-cn", "")
	if r.Status != 200 || !bytes.Equal(r.Body, pdf) || r.Header.Get("Content-Type") != "application/pdf" ||
		!strings.Contains(r.Header.Get("Content-Disposition"), "Protocol 6 signed.pdf") || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("download: %d, %d bytes, %v", r.Status, len(r.Body), r.Header)
	}
	if r := stacktest.Do(t, "GET", "http://"+s.DashboardAddr+link[1], "tok-sec-uz", ""); r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
		t.Errorf("another commission's secretariat downloads: %d", r.Status)
	}
	version := regexp.MustCompile(`name="version" value="(\d+)"><button type="submit" class="link document-remove"`).FindStringSubmatch(body)
	if version == nil {
		t.Fatal("no remove button")
	}
	doc := link[1][strings.LastIndex(link[1], "/")+1:]
	status, _, _ = postForm(t, page+"/documents/"+doc+"/remove", "tok-sec-cn", map[string]string{"version": version[1]}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("remove: %d", status)
	}
	if _, body := get(t, page, "tok-sec-cn"); strings.Contains(body, "Protocol 6 signed.pdf") {
		t.Error("the removed document is still listed")
	}
}

// TestRetentionAdminPage: the administrator sets the retention period of
// removed documents' bytes on /admin/documents; a value out of range is
// refused on the page; other roles are refused the page.
func TestRetentionAdminPage(t *testing.T) {
	s := stacktest.Start(t)
	page := "http://" + s.DashboardAddr + "/admin/documents"
	if status, body := get(t, page, "tok-admin"); status != 200 || !strings.Contains(body, `id="retention-form"`) || !strings.Contains(body, `value="30"`) {
		t.Fatalf("the page: %d, form with the default: %v", status, strings.Contains(body, `value="30"`))
	}
	if status, body, _ := postForm(t, page, "tok-admin", map[string]string{"days": "-1"}, ""); status != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) {
		t.Errorf("a negative period: %d", status)
	}
	if status, _, loc := postForm(t, page, "tok-admin", map[string]string{"days": "90"}, ""); status != http.StatusSeeOther || loc != "/admin/documents?saved=1" {
		t.Fatalf("save: %d %s", status, loc)
	}
	if _, body := get(t, page+"?saved=1", "tok-admin"); !strings.Contains(body, `value="90"`) || !strings.Contains(body, `id="retention-saved"`) {
		t.Error("the page does not show the saved period")
	}
	if status, _ := get(t, page, "tok-berlin"); status != http.StatusForbidden {
		t.Errorf("an attaché opens the page: %d", status)
	}
}
