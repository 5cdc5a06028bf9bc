package dashboards_test

// The done-when browser test of the deal import: the Berlin attaché uploads
// a file of deals with one bad row (refused whole, the row and column
// named), then the corrected file as Excel in Russian settings saves it
// (previewed, confirmed, every deal created), then the same file again
// (every deal exists: nothing to import, nothing created).
//
//	go test -count=1 -run UIDealImport ./dashboards/ -v

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"econdip/services/test/stacktest"
)

func TestUIDealImportRefusesABadRowThenImportsOnce(t *testing.T) {
	deadline, cancelAll := context.WithTimeout(context.Background(), exportsBudget)
	defer cancelAll()
	exe := chromium(t)
	s := stacktest.Start(t)
	b := startBrowser(t, deadline, exe, "http://"+s.DashboardAddr)
	api := "http://" + s.ExportsAddr + "/api/v1"
	berlin := stacktest.Tokens["attache.de-berlin"]
	for _, x := range []struct{ bin, name string }{{binAluminium, "Pavlodar Aluminium JSC"}, {binRefinery, "Shymkent Refinery LLP"}} {
		if r := stacktest.Do(t, "POST", api+"/exporters", berlin, `{"bin":"`+x.bin+`","name":"`+x.name+`"}`); r.Status != http.StatusCreated {
			t.Fatalf("register %s: %d %s", x.bin, r.Status, r.Body)
		}
	}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Excel in Russian settings: BOM, ';', decimal commas, CRLF, dotted dates,
	// the refinery's BIN without its leading zero.
	rows := []string{
		"exporter_bin;buyer_country;buyer_name;hs_code;product;value;currency;stage;contract_date",
		binAluminium + ";DE;Hamburg Metall AG;760110;primary aluminium ingots;2 450 000,00;EUR;contracted;01.03.2026",
		"BAD;DE;Rhein Öl GmbH;271019;diesel fuel;1 250 000,50;USD;;",
		binAluminium + ";DE;Berlin Draht GmbH;761410;aluminium wire;125 000;EUR;negotiating;",
	}
	file := func() string { return "\xef\xbb\xbf" + strings.Join(rows, "\r\n") + "\r\n" }
	rows[2] = strings.Replace(rows[2], "BAD", binBadCheck, 1)
	bad := write("deals-bad.csv", file())
	rows[2] = strings.Replace(rows[2], binBadCheck, strings.TrimPrefix(binRefinery, "0"), 1)
	good := write("deals.csv", file())

	b.signIn(berlin, "/attache/board")
	b.do("open the deals board", 10*time.Second, chromedp.Navigate(b.base+"/attache/deals"), chromedp.WaitVisible(chromedp.ID("import-deals")))
	b.follow("open the import page", "#import-deals", http.StatusOK)
	if p := b.path(); p != "/attache/deals/import" {
		t.Fatalf("the import button leads to %s", p)
	}
	upload := func(what, path string, status int64) {
		t.Helper()
		b.do("choose "+what, 5*time.Second, chromedp.SetUploadFiles(chromedp.CSS(`#upload-form input[name=csv]`), []string{path}))
		b.follow("check "+what, "#check-file", status)
	}

	// 1. One bad row: the whole file is refused, naming row 3's BIN.
	upload("the file with a bad BIN", bad, http.StatusBadRequest)
	b.do("see the refusal", 5*time.Second, chromedp.WaitVisible(chromedp.CSS(`#import-problems tr[data-row="3"][data-column="exporter_bin"]`)))
	b.expectContains("the refused row's message", `#import-problems tr[data-row="3"]`, "check digit")
	if n := count(b, `#import-problems tbody tr`); n != 1 {
		t.Fatalf("%d problems listed; want the one of row 3", n)
	}
	if n := count(b, `#import-preview, #confirm-form`); n != 0 {
		t.Fatal("a refused file offers a confirmation")
	}
	b.screenshot("dealimport-1-refused")
	if n := dealCount(t, api, berlin); n != 0 {
		t.Fatalf("%d deals after a refused file; want 0", n)
	}

	// 2. The corrected file: a preview of three new deals, then all three created.
	upload("the corrected file", good, http.StatusOK)
	b.do("see the preview", 5*time.Second, chromedp.WaitVisible(chromedp.ID("confirm-import")))
	if n := count(b, `#import-rows tr[data-status="new"]`); n != 3 {
		t.Fatalf("the preview shows %d new deals; want 3", n)
	}
	b.expectContains("the preview's summary", "#import-summary", "creates 3 deals")
	b.expectContains("row 3 read with its BIN's leading zero", `#import-rows tr[data-row="3"]`, binRefinery)
	if n := dealCount(t, api, berlin); n != 0 {
		t.Fatalf("the preview stored %d deals", n)
	}
	b.screenshot("dealimport-2-preview")
	b.follow("confirm the import", "#confirm-import", http.StatusOK)
	b.expectText("the import's result", "#import-done", "3 deals imported.")
	if n := dealCount(t, api, berlin); n != 3 {
		t.Fatalf("%d deals after the import; want 3", n)
	}

	// 3. The same file again: every deal exists, nothing to confirm, nothing created.
	b.do("open the import page again", 10*time.Second, chromedp.Navigate(b.base+"/attache/deals/import"), chromedp.WaitVisible(chromedp.ID("upload-form")))
	upload("the same file again", good, http.StatusOK)
	b.do("see that nothing is new", 5*time.Second, chromedp.WaitVisible(chromedp.ID("nothing-new")))
	if n := count(b, `#import-rows tr[data-status="exists"]`); n != 3 {
		t.Fatalf("the second preview shows %d existing deals; want 3", n)
	}
	if n := count(b, `#confirm-form`); n != 0 {
		t.Fatal("a file of existing deals offers a confirmation")
	}
	b.screenshot("dealimport-3-again")
	if n := dealCount(t, api, berlin); n != 3 {
		t.Fatalf("%d deals after the same file again; want 3", n)
	}
	// And straight to the API, confirmed without a preview: nothing created either.
	r := stacktest.Do(t, "POST", api+"/deals/import", berlin, file(), "Content-Type", "text/csv")
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"created":0`) || !strings.Contains(string(r.Body), `"existing":3`) {
		t.Fatalf("the API with the same file: %d %s", r.Status, r.Body)
	}
	if n := dealCount(t, api, berlin); n != 3 {
		t.Fatalf("%d deals after the API import; want 3", n)
	}
	b.noExceptions()
}

// count is the number of elements selector matches on the page.
func count(b *browser, selector string) int {
	return waitFor[int](b, "count "+selector, 5*time.Second, `document.querySelectorAll(`+jsString(selector)+`).length`)
}
