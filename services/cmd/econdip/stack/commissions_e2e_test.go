package stack_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"econdip/events"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/commissions/httpapi"
	"econdip/services/platform/kernel"
	"econdip/services/test/stacktest"
)

const admin, secCN, secUZ = "tok-admin", "tok-sec-cn", "tok-sec-uz"

func commissionsURL(s *stack.Stack) string {
	return "http://" + s.CommissionsAddr + "/api/v1/commissions"
}

// astanaDay is today in Astana shifted by days, as YYYY-MM-DD.
func astanaDay(days int) string {
	return time.Now().In(kernel.Astana).AddDate(0, 0, days).Format(time.DateOnly)
}

func createCommission(t *testing.T, s *stack.Stack, id, partner string) {
	t.Helper()
	body := fmt.Sprintf(`{"id":%q,"name":"Kazakhstan-%s intergovernmental commission","partner_country":%q,"kazakh_co_chair":"First Deputy PM","secretariat_agency":"mti","partner_co_chair":"Vice Premier"}`, id, partner, partner)
	if r := stacktest.Do(t, "POST", commissionsURL(s), admin, body); r.Status != http.StatusCreated {
		t.Fatalf("create commission: %d %s", r.Status, r.Body)
	}
}

// protocolBody is a session with n decisions; deadlines are given per decision.
func protocolBody(number int, date string, deadlines []string, extra string) string {
	var ds []string
	for i, dl := range deadlines {
		agencies := `["mti"]`
		if i%3 == 0 {
			agencies = `["mti","kazakh-invest"]`
		}
		ds = append(ds, fmt.Sprintf(`{"item":"%d","text":"Decision %d: prepare a roadmap","agencies":%s,"deadline":%q,"sector":"agro_industrial","clauses":["2.2","2.7"],"value":{"amount":"1000000","currency":"USD"}}`, i+1, i+1, agencies, dl))
	}
	return fmt.Sprintf(`{"number":%d,"date":%q,"place":"Astana","protocol_ref":"P-%d","decisions":[%s]%s}`, number, date, number, strings.Join(ds, ","), extra)
}

// protocolDecisions reads the decisions of a recorded protocol's answer.
func protocolDecisions(t *testing.T, r stacktest.Response) []httpapi.DecisionJSON {
	t.Helper()
	var p httpapi.ProtocolJSON
	r.JSON(t, &p)
	return p.Decisions
}

// decisionOf reads a decision's answer.
func decisionOf(t *testing.T, r stacktest.Response) httpapi.DecisionJSON {
	t.Helper()
	var d httpapi.DecisionJSON
	r.JSON(t, &d)
	return d
}

func decisionStatus(t *testing.T, s *stack.Stack, token string, d httpapi.DecisionJSON, status, effectiveOn string) (httpapi.DecisionJSON, stacktest.Response) {
	t.Helper()
	body := fmt.Sprintf(`{"version":%d,"status":%q,"effective_on":%q,"comment":"per the ministry's report","evidence_ref":"letter 12-3/456"}`, d.Version, status, effectiveOn)
	r := stacktest.Do(t, "POST", commissionsURL(s)+"/"+d.CommissionID+"/decisions/"+d.ID+"/status", token, body)
	var out httpapi.DecisionJSON
	if r.Status == 200 {
		r.JSON(t, &out)
	}
	return out, r
}

func TestSecretariatRecordsAProtocolAndTracksDecisionsToDone(t *testing.T) {
	s := stacktest.Start(t)
	createCommission(t, s, "igc-cn", "CN")
	session := astanaDay(-60)
	// Ten decisions: deadlines from 40 days ago to 40 days ahead, one today.
	deadlines := []string{astanaDay(-40), astanaDay(-30), astanaDay(-20), astanaDay(-10), astanaDay(-1),
		astanaDay(0), astanaDay(10), astanaDay(20), astanaDay(30), astanaDay(40)}
	r := stacktest.Do(t, "POST", commissionsURL(s)+"/igc-cn/sessions", secCN, protocolBody(11, session, deadlines, ""), "Idempotency-Key", "protocol-11")
	if r.Status != http.StatusCreated {
		t.Fatalf("record protocol: %d %s", r.Status, r.Body)
	}
	var p httpapi.ProtocolJSON
	r.JSON(t, &p)
	if len(p.Decisions) != 10 || p.Session.Number != 11 || len(p.Session.DecisionIDs) != 10 {
		t.Fatalf("protocol: %+v", p.Session)
	}
	// A retry with the same key returns the same protocol and stores nothing.
	before := streamMsgs(t, s, events.StreamCommissions)
	r = stacktest.Do(t, "POST", commissionsURL(s)+"/igc-cn/sessions", secCN, protocolBody(11, session, deadlines, ""), "Idempotency-Key", "protocol-11")
	var again httpapi.ProtocolJSON
	r.JSON(t, &again)
	if r.Status != http.StatusCreated || again.Session.ID != p.Session.ID || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %s", r.Status, r.Body)
	}
	// The same session number without the key is a conflict, and nothing of it is stored.
	r = stacktest.Do(t, "POST", commissionsURL(s)+"/igc-cn/sessions", secCN, protocolBody(11, session, deadlines[:2], ""))
	if r.Status != http.StatusConflict {
		t.Fatalf("duplicate session: %d %s", r.Status, r.Body)
	}
	if after := streamMsgs(t, s, events.StreamCommissions); after != before {
		t.Fatalf("retries stored %d events", after-before)
	}

	// Derived facts as of today: decisions 1-5 overdue (40, 30, 20, 10, 1 days), decision 6 due today is not.
	var reg struct {
		Decisions []httpapi.DecisionJSON
		AsOf      string `json:"as_of"`
	}
	stacktest.Do(t, "GET", commissionsURL(s)+"/igc-cn/decisions?overdue=true", analyst, "").JSON(t, &reg)
	got := map[string]int{}
	for _, d := range reg.Decisions {
		got[d.Item] = d.DaysLate
	}
	want := map[string]int{"1": 40, "2": 30, "3": 20, "4": 10, "5": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) || reg.AsOf != astanaDay(0) {
		t.Fatalf("overdue as of %s: %v, want %v", reg.AsOf, got, want)
	}

	byItem := map[string]httpapi.DecisionJSON{}
	for _, d := range p.Decisions {
		byItem[d.Item] = d
	}
	// Decision 2 is done on its deadline (on time); decision 1 three days after its deadline (late).
	for _, c := range []struct {
		item, done string
	}{{"2", deadlines[1]}, {"1", astanaDay(-37)}} {
		d, r := decisionStatus(t, s, secCN, byItem[c.item], "in_progress", session)
		if r.Status != 200 {
			t.Fatalf("item %s in progress: %d %s", c.item, r.Status, r.Body)
		}
		if d, r = decisionStatus(t, s, secCN, d, "done", c.done); r.Status != 200 {
			t.Fatalf("item %s done: %d %s", c.item, r.Status, r.Body)
		}
		byItem[c.item] = d
	}
	if d := byItem["1"]; !d.DoneLate || d.DaysLate != 3 || d.Overdue {
		t.Fatalf("decision 1 done late by 3 days: %+v", d)
	}
	if d := byItem["2"]; d.DoneLate || d.DaysLate != 0 {
		t.Fatalf("decision 2 done on time: %+v", d)
	}
	// Decision 10 is cancelled from open.
	if _, r := decisionStatus(t, s, secCN, byItem["10"], "cancelled", ""); r.Status != 200 {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	// History says who did what and when it took effect.
	var h struct{ History []httpapi.ChangeJSON }
	stacktest.Do(t, "GET", commissionsURL(s)+"/igc-cn/decisions/"+byItem["1"].ID+"/history", secCN, "").JSON(t, &h)
	if len(h.History) != 3 || h.History[2].To != "done" || h.History[2].EffectiveOn != astanaDay(-37) || h.History[2].Actor != "secretariat.igc-cn" {
		t.Fatalf("history: %+v", h.History)
	}
}

func TestDecisionLinkedToALead(t *testing.T) {
	s := stacktest.Start(t)
	createCommission(t, s, "igc-cn", "CN")
	r := stacktest.Do(t, "POST", commissionsURL(s)+"/igc-cn/sessions", secCN, protocolBody(3, astanaDay(-10), []string{astanaDay(30)}, ""))
	var p httpapi.ProtocolJSON
	r.JSON(t, &p)
	lead := create(t, s, beijing, strings.Replace(leadBody("Jiangsu GreenChem Ltd"), `"DE"`, `"CN"`, 1))
	d := p.Decisions[0]
	link := func(target string) stacktest.Response {
		return stacktest.Do(t, "POST", commissionsURL(s)+"/igc-cn/decisions/"+d.ID+"/links", secCN,
			fmt.Sprintf(`{"version":%d,"kind":"lead","target_id":%q}`, d.Version, target))
	}
	if r := link("00000000-0000-4000-8000-000000000000"); r.Status != 400 || !strings.Contains(string(r.Body), "target_id") {
		t.Fatalf("link to a lead that does not exist: %d %s", r.Status, r.Body)
	}
	r = link(lead.ID)
	if r.Status != 200 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &d)
	if len(d.LeadIDs) != 1 || d.LeadIDs[0] != lead.ID || d.Version != 2 {
		t.Fatalf("linked decision: %+v", d)
	}
}

func TestBadCommissionInputGetsFieldErrorsAndStoresNothing(t *testing.T) {
	s := stacktest.Start(t)
	createCommission(t, s, "igc-cn", "CN")
	r := stacktest.Do(t, "POST", commissionsURL(s)+"/igc-cn/sessions", secCN, protocolBody(1, astanaDay(-100), []string{astanaDay(-50), astanaDay(50)}, ""))
	var p httpapi.ProtocolJSON
	r.JSON(t, &p)
	d := p.Decisions[0]
	session := astanaDay(-5)
	good := protocolBody(2, session, []string{astanaDay(5), astanaDay(6)}, "")
	csvURL := commissionsURL(s) + "/igc-cn/sessions/import?number=3&date=" + session + "&place=Beijing"
	cases := []struct {
		name, method, url, token, body string
		status                         int
		field                          string
	}{
		{"deadline before the session", "POST", "/igc-cn/sessions", secCN, strings.Replace(good, astanaDay(6), astanaDay(-6), 1), 400, "decisions[1].deadline"},
		{"unknown agency", "POST", "/igc-cn/sessions", secCN, strings.Replace(good, `["mti","kazakh-invest"]`, `["ministry-of-magic"]`, 1), 400, "decisions[0].agencies"},
		{"empty text", "POST", "/igc-cn/sessions", secCN, strings.Replace(good, `"Decision 2: prepare a roadmap"`, `"  "`, 1), 400, "decisions[1].text"},
		{"session in the future", "POST", "/igc-cn/sessions", secCN, strings.Replace(good, session, astanaDay(3), 1), 400, "date"},
		{"no decisions", "POST", "/igc-cn/sessions", secCN, `{"number":2,"date":"` + session + `","place":"Astana","decisions":[]}`, 400, "decisions"},
		{"another commission's secretariat", "POST", "/igc-cn/sessions", secUZ, good, 403, ""},
		{"analyst may not write", "POST", "/igc-cn/sessions", analyst, good, 403, ""},
		{"attaché may not create commissions", "POST", "", berlin, `{"id":"igc-de","name":"x","partner_country":"DE","secretariat_agency":"mti"}`, 403, ""},
		{"commission partner KZ", "POST", "", admin, `{"id":"igc-kz","name":"x","partner_country":"KZ","secretariat_agency":"mti"}`, 400, "partner_country"},
		{"commission exists", "POST", "", admin, `{"id":"igc-cn","name":"again","partner_country":"CN","secretariat_agency":"mti"}`, 409, ""},
		{"CSV with a broken row", "POST", csvURL, secCN, "item,text,agencies,deadline,clauses\n1,Open a trade house,mti," + astanaDay(9) + ",2.7\n2,Second,mti,not-a-date,2.7\n", 400, "rows[3].deadline"},
		{"CSV with an unknown column", "POST", csvURL, secCN, "item,text,colour\n1,x,red\n", 400, "rows[1]"},
		{"CSV with a wrong field count", "POST", csvURL, secCN, "item,text,agencies,deadline,clauses\n1,x,mti\n", 400, "rows[2]"},
		{"status out of order", "POST", "/igc-cn/decisions/" + d.ID + "/status", secCN, fmt.Sprintf(`{"version":%d,"status":"done","comment":"x"}`, d.Version), 400, "status"},
		{"status without comment", "POST", "/igc-cn/decisions/" + d.ID + "/status", secCN, fmt.Sprintf(`{"version":%d,"status":"in_progress","comment":""}`, d.Version), 400, "comment"},
		{"status effective in the future", "POST", "/igc-cn/decisions/" + d.ID + "/status", secCN, fmt.Sprintf(`{"version":%d,"status":"in_progress","comment":"x","effective_on":%q}`, d.Version, astanaDay(2)), 400, "effective_on"},
		{"stale version", "POST", "/igc-cn/decisions/" + d.ID + "/status", secCN, `{"version":7,"status":"in_progress","comment":"x"}`, 409, ""},
		{"another commission's decision", "POST", "/igc-cn/decisions/" + d.ID + "/status", secUZ, fmt.Sprintf(`{"version":%d,"status":"in_progress","comment":"x"}`, d.Version), 403, ""},
		{"another commission's register", "GET", "/igc-cn/decisions", secUZ, "", 403, ""},
		{"attaché of another country", "GET", "/igc-cn/decisions", berlin, "", 403, ""},
	}
	before := streamMsgs(t, s, events.StreamCommissions)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := tc.url
			if !strings.HasPrefix(url, "http") {
				url = commissionsURL(s) + url
			}
			r := stacktest.Do(t, tc.method, url, tc.token, tc.body)
			if r.Status != tc.status || strings.Contains(string(r.Body), "%!") {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.field != "" && !strings.Contains(string(r.Body), `"field":"`+tc.field+`"`) {
				t.Fatalf("the error does not name field %q: %s", tc.field, r.Body)
			}
		})
	}
	if after := streamMsgs(t, s, events.StreamCommissions); after != before {
		t.Fatalf("bad requests stored %d events", after-before)
	}
	// The attaché in Beijing reads the China commission's register.
	if r := stacktest.Do(t, "GET", commissionsURL(s)+"/igc-cn/decisions", beijing, ""); r.Status != 200 {
		t.Fatalf("attaché in the partner country: %d %s", r.Status, r.Body)
	}
	// A good CSV protocol is recorded whole.
	r = stacktest.Do(t, "POST", csvURL, secCN, "item,text,agencies,deadline,clauses,value,currency\n1,Open a trade house,mti;qaztrade,"+astanaDay(9)+",2.7,250000,USD\n2,\"Joint venture, phase 2\",kazakh-invest,"+astanaDay(19)+",2.2;2.5,,\n")
	if r.Status != http.StatusCreated {
		t.Fatalf("CSV import: %d %s", r.Status, r.Body)
	}
	var csvp httpapi.ProtocolJSON
	r.JSON(t, &csvp)
	if len(csvp.Decisions) != 2 || csvp.Decisions[1].Text != "Joint venture, phase 2" || csvp.Decisions[0].Value == nil || csvp.Decisions[1].Value != nil {
		t.Fatalf("CSV protocol: %+v", csvp.Decisions)
	}
}
