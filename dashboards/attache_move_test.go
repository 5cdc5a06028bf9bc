package dashboards_test

import (
	"net/http"
	"strings"
	"testing"

	"econdip/services/test/stacktest"
)

// A double click on a stage form posts the same move twice with the same
// version: the second answers as done (the user's own move is already
// stored), not as "someone else changed this record". A genuinely different
// change since the form's version still gives the conflict page.
func TestRepeatedOwnStageMoveAnswersAsDone(t *testing.T) {
	s := stacktest.Start(t)
	base := "http://" + s.DashboardAddr
	const berlin = "tok-berlin"
	created := func(url, body string) string {
		t.Helper()
		r := stacktest.Do(t, "POST", url, berlin, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("POST %s: %d %s", url, r.Status, r.Body)
		}
		var out struct{ ID string }
		r.JSON(t, &out)
		return out.ID
	}
	twice := func(what, path string, form map[string]string, wantSecond int) {
		t.Helper()
		for i, want := range []int{http.StatusSeeOther, wantSecond} {
			status, body, loc := postForm(t, base+path, berlin, form, "")
			if status != want {
				t.Fatalf("%s, post %d: %d (to %q), want %d\n%s", what, i+1, status, loc, want, body)
			}
			if want == http.StatusSeeOther && !strings.HasSuffix(loc, "?saved=1") {
				t.Errorf("%s, post %d: redirected to %q, want the record's page with ?saved=1", what, i+1, loc)
			}
		}
	}

	// A lead: the same move twice is done twice; after an edit, a move from
	// the old version is a conflict.
	lead := created("http://"+s.LeadsAddr+"/api/v1/leads", scLeadBody("Rhein GmbH", "DE", "Plant", "", `"2.2"`, "1000000", 10))
	move := map[string]string{"version": "1", "stage": "contacted", "comment": "first call"}
	twice("lead move", "/attache/leads/"+lead+"/stage", move, http.StatusSeeOther)
	move["effective_on"] = day(-1) // the same stage on another day is another move
	status, _, _ := postForm(t, base+"/attache/leads/"+lead+"/stage", berlin, move, "")
	if status != http.StatusConflict {
		t.Errorf("a move to the same stage on another day from an old version: %d, want 409", status)
	}
	if r := stacktest.Do(t, "PATCH", "http://"+s.LeadsAddr+"/api/v1/leads/"+lead, berlin, `{"version":2,"title":"Plant, phase 1"}`); r.Status != http.StatusOK {
		t.Fatalf("edit the lead: %d %s", r.Status, r.Body)
	}
	status, body, _ := postForm(t, base+"/attache/leads/"+lead+"/stage", berlin, map[string]string{"version": "2", "stage": "qualified"}, "")
	if status != http.StatusConflict || !strings.Contains(body, "version 3") {
		t.Errorf("a move from a version an edit has passed: %d, want 409 and the conflict message\n%s", status, body)
	}

	// A barrier's status, the same way.
	barrier := created("http://"+s.ExportsAddr+"/api/v1/barriers", `{"country":"DE","hs_codes":["100199"],"type":"sps",
		"title":"Wheat import ban","description":"x","lead_agency":"moa","clauses":["2.6"]}`)
	twice("barrier status", "/attache/barriers/"+barrier+"/status", map[string]string{"version": "1", "status": "verified", "comment": "confirmed"}, http.StatusSeeOther)
	status, _, _ = postForm(t, base+"/attache/barriers/"+barrier+"/status", berlin, map[string]string{"version": "1", "status": "dormant", "comment": "quiet"}, "")
	if status != http.StatusConflict {
		t.Errorf("another status from an old version: %d, want 409", status)
	}

	// A deal's stage, the same way.
	if r := stacktest.Do(t, "POST", "http://"+s.ExportsAddr+"/api/v1/exporters", berlin, `{"bin":"990340004592","name":"Pavlodar Aluminium JSC"}`); r.Status != http.StatusCreated && r.Status != http.StatusOK {
		t.Fatalf("register the exporter: %d %s", r.Status, r.Body)
	}
	deal := created("http://"+s.ExportsAddr+"/api/v1/deals", `{"exporter_bin":"990340004592","buyer_country":"DE","hs_code":"760110",
		"value":{"amount":"1500000","currency":"USD"},"clauses":["2.7"],"support":[]}`)
	twice("deal move", "/attache/deals/"+deal+"/stage", map[string]string{"version": "1", "stage": "negotiating"}, http.StatusSeeOther)
	contract := map[string]string{"version": "2", "stage": "contracted", "contract_date": day(-3)}
	twice("deal contracted", "/attache/deals/"+deal+"/stage", contract, http.StatusSeeOther)
	contract["contract_date"] = day(-2)
	status, _, _ = postForm(t, base+"/attache/deals/"+deal+"/stage", berlin, contract, "")
	if status != http.StatusConflict {
		t.Errorf("contracted on another day from an old version: %d, want 409", status)
	}
}
