package dashboards_test

import (
	"strings"
	"testing"
	"time"

	"econdip/services/test/stacktest"
)

// TestFinding6_SecretariatReadsNoLeadThroughADecisionLink: a secretariat
// may link its decision to any lead id it was given (the link records a
// fact of the commission's work), but may not read leads: the decisions
// with leads figure gives it the ids it linked and nothing of the lead
// (title, stage, capex), as JSON and as CSV. The analyst, who reads leads,
// sees them.
func TestFinding6_SecretariatReadsNoLeadThroughADecisionLink(t *testing.T) {
	s := stacktest.Start(t)
	setupCommission(t, s)
	api := "http://" + s.CommissionsAddr + "/api/v1/commissions/igc-cn"
	r := stacktest.Do(t, "POST", api+"/sessions", "tok-sec-cn", `{"number":3,"date":"`+day(-30)+`","place":"Beijing","decisions":[
		{"item":"1","text":"Smelter talks","agencies":["mti"],"deadline":"`+day(30)+`","clauses":["2.2"]}]}`)
	if r.Status != 201 {
		t.Fatalf("protocol: %d %s", r.Status, r.Body)
	}
	var p struct{ Decisions []struct{ ID string } }
	r.JSON(t, &p)
	// Another post's lead, which the secretariat may not read.
	lead := stacktest.Do(t, "POST", "http://"+s.LeadsAddr+"/api/v1/leads", "tok-berlin",
		`{"investor_name":"Rhein Hidden GmbH","investor_country":"DE","title":"Confidential smelter","clauses":["2.2"],"investment_type":"greenfield","capex":{"amount":"7654321","currency":"USD"},"source":"event"}`)
	var l struct{ ID string }
	lead.JSON(t, &l)
	if st := stacktest.Do(t, "GET", "http://"+s.LeadsAddr+"/api/v1/leads/"+l.ID, "tok-sec-cn", "").Status; st != 403 {
		t.Fatalf("secretariat reading the lead itself: %d, want 403", st)
	}
	if r := stacktest.Do(t, "POST", api+"/decisions/"+p.Decisions[0].ID+"/links", "tok-sec-cn", `{"version":1,"kind":"lead","target_id":"`+l.ID+`"}`); r.Status != 200 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}

	url := "http://" + s.DashboardAddr + "/api/commissions/decision-leads"
	stacktest.Eventually(t, 20*time.Second, "the analyst sees the linked lead's details", func() (bool, error) {
		body := string(stacktest.Do(t, "GET", url, "tok-analyst", "").Body)
		return strings.Contains(body, "Confidential smelter") && strings.Contains(body, "7654321"), nil
	})
	for _, path := range []string{"", ".csv"} {
		r := stacktest.Do(t, "GET", url+path, "tok-sec-cn", "")
		body := string(r.Body)
		if r.Status != 200 || !strings.Contains(body, l.ID) {
			t.Fatalf("secretariat%s: %d, want its decision with the linked id:\n%s", path, r.Status, body)
		}
		for _, secret := range []string{"Confidential smelter", "7654321", "identified"} {
			if strings.Contains(body, secret) {
				t.Errorf("secretariat%s reads %q of a lead it may not read:\n%s", path, secret, body)
			}
		}
	}
}
