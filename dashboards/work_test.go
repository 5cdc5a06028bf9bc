package dashboards_test

import (
	"net/http"
	"strings"
	"testing"

	"econdip/services/test/stacktest"
)

// TestDecisionPageTasksAndNotes: the secretariat's decision page carries
// the decision's tasks and notes; a task without a title is refused on the
// page with the field's error, a valid one is added and shows on "My
// work"; another commission's secretariat cannot add one.
func TestDecisionPageTasksAndNotes(t *testing.T) {
	s := stacktest.Start(t)
	setupCommission(t, s)
	r := stacktest.Do(t, "POST", "http://"+s.CommissionsAddr+"/api/v1/commissions/igc-cn/sessions", "tok-sec-cn",
		`{"number":5,"date":"`+day(-30)+`","place":"Beijing","decisions":[{"item":"1","text":"Open a trade house","agencies":["mti"],"deadline":"`+day(20)+`","clauses":["2.2"]}]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("protocol: %d %s", r.Status, r.Body)
	}
	var p struct{ Decisions []struct{ ID string } }
	r.JSON(t, &p)
	page := "http://" + s.DashboardAddr + "/secretariat/decisions/" + p.Decisions[0].ID
	if status, body := get(t, page, "tok-sec-cn"); status != 200 || !strings.Contains(body, `id="task-form"`) || !strings.Contains(body, `id="note-form"`) {
		t.Fatalf("decision page: %d, task and note forms: %v", status, strings.Contains(body, `id="task-form"`))
	}
	status, body, _ := postForm(t, page+"/tasks", "tok-sec-cn", map[string]string{"title": " ", "due": day(5), "assignee": "secretariat.igc-cn", "idempotency_key": "k1"}, "")
	if status != http.StatusBadRequest || !strings.Contains(body, `id="err-title"`) {
		t.Errorf("a task without a title: %d, field error shown: %v", status, strings.Contains(body, `id="err-title"`))
	}
	status, _, loc := postForm(t, page+"/tasks", "tok-sec-cn", map[string]string{"title": "Draft the trade house charter", "due": day(5), "assignee": "secretariat.igc-cn", "idempotency_key": "k2"}, "")
	if status != http.StatusSeeOther || !strings.HasSuffix(loc, "#tasks") {
		t.Fatalf("add a task: %d %s", status, loc)
	}
	status, _, _ = postForm(t, page+"/notes", "tok-sec-cn", map[string]string{"text": "Ministry contact: Li Wei", "idempotency_key": "k3"}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("add a note: %d", status)
	}
	if _, body := get(t, page, "tok-sec-cn"); !strings.Contains(body, "Draft the trade house charter") || !strings.Contains(body, "Ministry contact: Li Wei") {
		t.Error("the decision page lacks the task or the note")
	}
	if _, body := get(t, "http://"+s.DashboardAddr+"/work", "tok-sec-cn"); !strings.Contains(body, "Draft the trade house charter") || !strings.Contains(body, `href="/secretariat/decisions/`+p.Decisions[0].ID+`"`) {
		t.Error("My work lacks the decision's task")
	}
	if status, _, _ := postForm(t, page+"/tasks", "tok-sec-uz", map[string]string{"title": "x", "due": day(5), "assignee": "secretariat.igc-uz"}, ""); status != http.StatusNotFound && status != http.StatusForbidden {
		t.Errorf("another commission's secretariat adds a task: %d", status)
	}
}

// TestDealAndBarrierPagesTasks: the attaché's deal and barrier pages carry
// their tasks and notes; a task added on each shows on "My work".
func TestDealAndBarrierPagesTasks(t *testing.T) {
	s := stacktest.Start(t)
	exports := "http://" + s.ExportsAddr + "/api/v1"
	if r := stacktest.Do(t, "POST", exports+"/exporters", "tok-berlin", `{"bin":"990340004592","name":"Pavlodar Aluminium JSC"}`); r.Status != http.StatusCreated {
		t.Fatalf("exporter: %d %s", r.Status, r.Body)
	}
	created := func(url, body string) string {
		t.Helper()
		r := stacktest.Do(t, "POST", url, "tok-berlin", body)
		if r.Status != http.StatusCreated {
			t.Fatalf("POST %s: %d %s", url, r.Status, r.Body)
		}
		var out struct{ ID string }
		r.JSON(t, &out)
		return out.ID
	}
	deal := created(exports+"/deals", `{"exporter_bin":"990340004592","buyer_country":"DE","hs_code":"760110",
		"value":{"amount":"1500000","currency":"EUR"},"clauses":["2.7"],"support":["b2b_meeting"]}`)
	barrier := created(exports+"/barriers", `{"country":"DE","hs_codes":["100199"],"type":"sps","title":"Wheat import ban",
		"description":"x","lead_agency":"moa","clauses":["2.6"]}`)
	base := "http://" + s.DashboardAddr
	for _, tc := range []struct{ page, title string }{
		{"/attache/deals/" + deal, "Ask the buyer for the letter of credit"},
		{"/attache/barriers/" + barrier, "Send the lab results to the ministry"},
	} {
		if status, body := get(t, base+tc.page, "tok-berlin"); status != 200 || !strings.Contains(body, `id="task-form"`) {
			t.Fatalf("%s: %d, task form: %v", tc.page, status, strings.Contains(body, `id="task-form"`))
		}
		status, _, loc := postForm(t, base+tc.page+"/tasks", "tok-berlin", map[string]string{"title": tc.title, "due": day(3), "assignee": "attache.de-berlin"}, "")
		if status != http.StatusSeeOther || loc != tc.page+"#tasks" {
			t.Fatalf("%s: add a task: %d %s", tc.page, status, loc)
		}
		if status, body, _ := postForm(t, base+tc.page+"/notes", "tok-berlin", map[string]string{"text": ""}, ""); status != http.StatusBadRequest || !strings.Contains(body, `id="err-text"`) {
			t.Errorf("%s: an empty note: %d", tc.page, status)
		}
	}
	_, body := get(t, base+"/work", "tok-berlin")
	for _, want := range []string{"Ask the buyer for the letter of credit", "Send the lab results to the ministry", "Wheat import ban", "Pavlodar Aluminium JSC"} {
		if !strings.Contains(body, want) {
			t.Errorf("My work lacks %q", want)
		}
	}
}
