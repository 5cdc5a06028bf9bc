package dashboards_test

// Issue 18's browser test, from the analyst's side: an analyst clicks a
// scorecard number, opens a record from the list behind it, reads its
// history and downloads the PDF attached to it.
//
//	go test -count=1 -run UIAnalystFromScorecard ./dashboards/ -v

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"econdip/services/platform/documents/doctest"
	"econdip/services/test/stacktest"
)

func TestUIAnalystFromScorecardToADocument(t *testing.T) {
	deadline, cancelAll := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancelAll()
	exe := chromium(t)
	s := stacktest.Start(t)
	leads := "http://" + s.LeadsAddr + "/api/v1/leads"
	// Two projects committed this year in machine building.
	var ids []string
	for i := range 2 {
		r := stacktest.Do(t, "POST", leads, "tok-berlin", fmt.Sprintf(`{"investor_name":"Document %d GmbH","investor_country":"DE","title":"Press plant %d","sector":"machine_building",
			"clauses":["2.2"],"investment_type":"greenfield","capex":{"amount":"%d000000","currency":"USD"},"source":"event"}`, i, i, i+2))
		if r.Status != http.StatusCreated {
			t.Fatalf("lead %d: %d %s", i, r.Status, r.Body)
		}
		var l struct{ ID string }
		r.JSON(t, &l)
		ids = append(ids, l.ID)
		for v, st := range []string{"contacted", "qualified", "negotiating", "committed"} {
			if r := stacktest.Do(t, "POST", leads+"/"+l.ID+"/stage", "tok-berlin", fmt.Sprintf(`{"version":%d,"stage":"%s"}`, v+1, st)); r.Status != 200 {
				t.Fatalf("lead %d to %s: %d %s", i, st, r.Status, r.Body)
			}
		}
	}
	// The post attaches the signed letter of intent to the first.
	pdf := doctest.PDF(120 << 10)
	body, contentType := doctest.Form(nil, "file", "Letter of intent signed.pdf", pdf)
	req, _ := http.NewRequest("POST", leads+"/"+ids[0]+"/documents", body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer tok-berlin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("attach the PDF: %v %v", resp, err)
	}
	resp.Body.Close()
	base := "http://" + s.DashboardAddr
	stacktest.Eventually(t, 45*time.Second, "the scorecard counts the two projects", func() (bool, error) {
		r := stacktest.Do(t, "GET", base+"/api/scorecard/rows?sector=machine_building", "tok-analyst", "")
		var out struct {
			Rows []struct {
				Scope, Code, Metric string
				Records             int
			}
		}
		if err := json.Unmarshal(r.Body, &out); err != nil {
			return false, fmt.Errorf("%d %s: %w", r.Status, r.Body, err)
		}
		for _, row := range out.Rows {
			if row.Scope == "sector" && row.Code == "machine_building" && row.Metric == "projects" {
				return row.Records == 2, nil
			}
		}
		return false, nil
	})

	b := startBrowser(t, deadline, exe, base)
	b.signIn("tok-analyst", "/analyst/scorecard")
	figure := `#table-sector tr[data-code="machine_building"][data-metric="projects"] a.figure`
	b.do("wait for the scorecard's number", 15*time.Second, chromedp.WaitVisible(chromedp.CSS(figure)))
	b.follow("click the number of projects", figure, http.StatusOK)
	b.do("wait for the list's link", 15*time.Second, chromedp.WaitVisible(chromedp.ID("records-list")))
	waitFor[bool](b, "the list's link is set", 10*time.Second, `document.getElementById("records-list").getAttribute("href") !== "#" || null`)
	b.follow("open the list behind the number", `#records-list`, http.StatusOK)
	record := `a.record-link[href="/records/lead/` + ids[0] + `"]`
	b.do("the list has the lead", 10*time.Second, chromedp.WaitVisible(chromedp.CSS(record)))
	b.follow("open the lead's record page", record, http.StatusOK)

	// Its history, oldest first: created, then four stage changes.
	entries := waitFor[int](b, "the history", 10*time.Second, `document.querySelectorAll("#history li.history-entry").length || null`)
	if entries != 5 {
		t.Errorf("the history has %d entries, want 5", entries)
	}
	// Its documents: the analyst reads and downloads, and may not attach or remove.
	type docs struct {
		Names  []string `json:"names"`
		Form   bool     `json:"form"`
		Remove bool     `json:"remove"`
	}
	d := waitFor[docs](b, "the documents", 10*time.Second, `(() => {
		const names = [...document.querySelectorAll("#documents a.document-name")].map(a => a.textContent.trim());
		return names.length ? {names, form: !!document.getElementById("document-form"), remove: !!document.querySelector("#documents .document-remove")} : null;
	})()`)
	if len(d.Names) != 1 || d.Names[0] != "Letter of intent signed.pdf" || d.Form || d.Remove {
		t.Fatalf("the analyst's record page shows the documents %+v", d)
	}
	b.screenshot("analyst-record-document")
	run(b, "download the PDF", 5*time.Second, chromedp.Evaluate[bool](`(fetch(document.querySelector("#documents a.document-name").getAttribute("href"))
		.then(async r => { const body = await r.arrayBuffer();
			window.downloaded = {status: r.status, size: body.byteLength, type: r.headers.get("Content-Type"), disposition: r.headers.get("Content-Disposition")}; }), true)`))
	type got struct {
		Status      int    `json:"status"`
		Size        int    `json:"size"`
		Type        string `json:"type"`
		Disposition string `json:"disposition"`
	}
	dl := waitFor[got](b, "the download", 10*time.Second, `window.downloaded || null`)
	if dl.Status != 200 || dl.Size != len(pdf) || dl.Type != "application/pdf" || !strings.Contains(dl.Disposition, "Letter of intent signed.pdf") {
		t.Errorf("the analyst's download: %+v", dl)
	}
	b.noExceptions()
}
