package dashboards_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"econdip/services/leads/httpapi"
	"econdip/services/test/stacktest"
)

var totalAttr = regexp.MustCompile(`id="records-summary" data-total="(\d+)"`)

// listTotal is the total a list page shows.
func listTotal(t *testing.T, body string) int {
	t.Helper()
	m := totalAttr.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no total on the list page:\n%s", body)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestLeadRecordPageForEveryReader: an analyst opens a lead's record page
// and reads its fields and its history in order, without the contact
// persons and without the notes (the API withholds both from the role);
// the lead's own attaché sees them; an attaché of another post gets 403.
func TestLeadRecordPageForEveryReader(t *testing.T) {
	s := stacktest.Start(t)
	leads := "http://" + s.LeadsAddr + "/api/v1/leads"
	r := stacktest.Do(t, "POST", leads, "tok-berlin", `{"investor_name":"Rhein Records GmbH","investor_country":"DE","title":"Axle plant","sector":"machine_building",
		"clauses":["2.2"],"investment_type":"greenfield","capex":{"amount":"2000000","currency":"EUR"},"source":"event",
		"contacts":[{"name":"Jonas Privatmann","email":"jonas@example.de","phone":"+49 30 1234"}]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("lead: %d %s", r.Status, r.Body)
	}
	var l httpapi.LeadJSON
	r.JSON(t, &l)
	if r := stacktest.Do(t, "POST", leads+"/"+l.ID+"/stage", "tok-berlin", `{"version":1,"stage":"contacted","comment":"Met at Hannover Messe"}`); r.Status != 200 {
		t.Fatalf("stage: %d %s", r.Status, r.Body)
	}
	if r := stacktest.Do(t, "PATCH", leads+"/"+l.ID, "tok-berlin", `{"version":2,"expected_jobs":150}`); r.Status != 200 {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	if r := stacktest.Do(t, "POST", leads+"/"+l.ID+"/notes", "tok-berlin", `{"text":"Jonas prefers calls after five"}`); r.Status != http.StatusCreated {
		t.Fatalf("note: %d %s", r.Status, r.Body)
	}
	if r := stacktest.Do(t, "POST", leads+"/"+l.ID+"/tasks", "tok-berlin", `{"title":"Send the site brochure","due":"`+day(7)+`","assignee":"attache.de-berlin"}`); r.Status != http.StatusCreated {
		t.Fatalf("task: %d %s", r.Status, r.Body)
	}
	page := "http://" + s.DashboardAddr + "/records/lead/" + l.ID

	status, body := get(t, page, "tok-analyst")
	if status != 200 {
		t.Fatalf("analyst: %d\n%s", status, body)
	}
	for _, secret := range []string{"Jonas Privatmann", "jonas@example.de", "+49 30 1234", "prefers calls", `id="notes"`, `id="contacts"`} {
		if strings.Contains(body, secret) {
			t.Errorf("the analyst's page shows %q", secret)
		}
	}
	for _, want := range []string{"Axle plant", "Rhein Records GmbH", `id="history"`, "Send the site brochure", `id="links"`, `id="tasks"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the analyst's page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="record-edit"`) {
		t.Error("the analyst is offered to edit the lead")
	}
	// History in order: created (v1), stage changed (v2), changed (v3).
	versions := regexp.MustCompile(`class="history-entry" data-version="(\d+)"`).FindAllStringSubmatch(body, -1)
	var got []string
	for _, v := range versions {
		got = append(got, v[1])
	}
	if strings.Join(got, ",") != "1,2,3" {
		t.Errorf("history versions %v, want 1,2,3 in order", got)
	}
	hist := body[strings.Index(body, `id="history"`):]
	if i, j := strings.Index(hist, "Met at Hannover Messe"), strings.Index(hist, "expected_jobs"); i < 0 || j < 0 || i > j {
		t.Errorf("history lacks the stage change's comment or the changed field, or they are out of order")
	}

	status, body = get(t, page, "tok-berlin")
	if status != 200 || !strings.Contains(body, "jonas@example.de") || !strings.Contains(body, "prefers calls") || !strings.Contains(body, `id="record-edit"`) {
		t.Errorf("the lead's attaché: %d, contacts, notes and edit link shown: %v %v %v", status,
			strings.Contains(body, "jonas@example.de"), strings.Contains(body, "prefers calls"), strings.Contains(body, `id="record-edit"`))
	}
	if status, _ := get(t, page, "tok-beijing"); status != http.StatusForbidden {
		t.Errorf("an attaché of another post: %d, want 403", status)
	}
	if status, _ := get(t, page, "tok-sec-cn"); status != http.StatusForbidden {
		t.Errorf("a secretariat: %d, want 403", status)
	}
}

// TestPipelineFigureLinksToItsList: the number of leads in a cell of the
// pipeline equals the total of its list; the list sorts, pages, filters and
// downloads as CSV with every choice in its links.
func TestPipelineFigureLinksToItsList(t *testing.T) {
	s := stacktest.Start(t)
	leads := "http://" + s.LeadsAddr + "/api/v1/leads"
	for i, tc := range []struct{ token, country, sector, capex string }{
		{"tok-berlin", "DE", "machine_building", "3000000"},
		{"tok-berlin", "DE", "machine_building", "1000000"},
		{"tok-berlin", "DE", "machine_building", "2000000"},
		{"tok-berlin", "DE", "agro_industrial", "500000"},
		{"tok-beijing", "CN", "machine_building", "700000"},
	} {
		body := fmt.Sprintf(`{"investor_name":"Investor %d","investor_country":"%s","title":"Project %d","sector":"%s","clauses":["2.2"],
			"investment_type":"greenfield","capex":{"amount":"%s","currency":"USD"},"source":"event"}`, i, tc.country, i, tc.sector, tc.capex)
		if r := stacktest.Do(t, "POST", leads, tc.token, body); r.Status != http.StatusCreated {
			t.Fatalf("lead %d: %d %s", i, r.Status, r.Body)
		}
	}
	base := "http://" + s.DashboardAddr
	var cell struct{ Leads int }
	stacktest.Eventually(t, 45*time.Second, "the pipeline counts the five leads", func() (bool, error) {
		r := stacktest.Do(t, "GET", base+"/api/pipeline", "tok-analyst", "")
		var out struct {
			Rows []struct {
				Sector, Stage string
				Leads         int
			}
		}
		if err := json.Unmarshal(r.Body, &out); err != nil {
			return false, err
		}
		n := 0
		for _, row := range out.Rows {
			n += row.Leads
			if row.Sector == "machine_building" && row.Stage == "identified" {
				cell.Leads = row.Leads
			}
		}
		return n >= 5, nil
	})
	if cell.Leads != 4 {
		t.Fatalf("pipeline machine_building/identified: %d leads, want 4", cell.Leads)
	}
	list := base + "/records/leads?sector=machine_building&stage=identified"
	// The figure comes from the aggregates, the list from the states: ingest
	// writes the one and then the other, so the list may follow a moment later.
	var status int
	var body string
	stacktest.Eventually(t, 45*time.Second, "the list's total is the figure's number", func() (bool, error) {
		status, body = get(t, list, "tok-analyst")
		if n := listTotal(t, body); status != 200 || n != cell.Leads {
			return false, fmt.Errorf("list %d, total %d, the figure's number %d", status, n, cell.Leads)
		}
		return true, nil
	})
	if n := strings.Count(body, `class="record-link"`); n != 4 {
		t.Errorf("%d rows link to a record page, want 4", n)
	}
	// The attaché's list of the same cell: their post only.
	if _, body := get(t, list, "tok-berlin"); listTotal(t, body) != 3 {
		t.Errorf("the Berlin attaché's list: %d, want 3", listTotal(t, body))
	}
	// Sorted by capex, descending, one row a page: page 2 is the 2,000,000 one.
	status, body = get(t, list+"&sort=capex&desc=1&size=1&page=2", "tok-analyst")
	if status != 200 || listTotal(t, body) != 4 {
		t.Fatalf("page 2: %d, total %d", status, listTotal(t, body))
	}
	rows := body[strings.Index(body, "<tbody>"):]
	rows = rows[:strings.Index(rows, "</tbody>")]
	if !strings.Contains(rows, "Project 2") || strings.Count(rows, "<tr>") != 1 {
		t.Errorf("page 2 by capex descending should hold Project 2 alone:\n%s", rows)
	}
	// Every link keeps every choice: the next and previous pages, the sort links and the CSV.
	for _, id := range []string{"records-prev", "records-next"} {
		m := regexp.MustCompile(`id="` + id + `"[^>]*href="([^"]+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Errorf("no %s link", id)
			continue
		}
		u, _ := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
		q := u.Query()
		if q.Get("sector") != "machine_building" || q.Get("stage") != "identified" || q.Get("sort") != "capex" || q.Get("desc") != "1" || q.Get("size") != "1" {
			t.Errorf("%s loses a choice: %s", id, m[1])
		}
	}
	m := regexp.MustCompile(`id="records-csv" href="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSV link")
	}
	csvURL := strings.ReplaceAll(m[1], "&amp;", "&")
	if u, _ := url.Parse(csvURL); u.Query().Get("sector") != "machine_building" || u.Query().Get("sort") != "capex" {
		t.Errorf("the CSV link loses a choice: %s", csvURL)
	}
	r := stacktest.Do(t, "GET", base+csvURL+"&lang=ru&format=excel", "tok-analyst", "")
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	raw, ok := bytes.CutPrefix(r.Body, []byte("\ufeff"))
	if !ok {
		t.Fatal("the CSV has no byte order mark")
	}
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.Comma = ';'
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 { // the header and every row, not one page
		t.Fatalf("CSV: %d lines, want a header and 4 rows", len(recs))
	}
	if recs[0][1] == "title" {
		t.Errorf("the Russian CSV's header is not in Russian: %q", recs[0])
	}
	if recs[1][7] != "3000000" || recs[1][9] != "3000000,00" {
		t.Errorf("first row by capex descending: capex %q, USD %q; want 3000000 and 3000000,00 (decimal comma)", recs[1][7], recs[1][9])
	}
	// A bad sort key is a field error, not a query.
	if status, _ := get(t, list+"&sort=capex;DROP", "tok-analyst"); status != http.StatusBadRequest {
		t.Errorf("an unknown sort key: %d, want 400", status)
	}
	// The row's link opens the record page.
	m = regexp.MustCompile(`class="record-link" href="(/records/lead/[^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no record link")
	}
	if status, body := get(t, base+m[1], "tok-analyst"); status != 200 || !strings.Contains(body, `id="history"`) {
		t.Errorf("the row's record page: %d", status)
	}
}

// TestDecisionExportsFigureLinksToItsDeals: a deal linked to a decision
// shows in the commissions figure "exports that followed from IGC
// decisions", and its number's list holds that deal; the decision's record
// page and the deal's link each other.
func TestDecisionExportsFigureLinksToItsDeals(t *testing.T) {
	s := stacktest.Start(t)
	setupCommission(t, s)
	exports := "http://" + s.ExportsAddr + "/api/v1"
	if r := stacktest.Do(t, "POST", exports+"/exporters", "tok-beijing", `{"bin":"990340004592","name":"Pavlodar Aluminium JSC"}`); r.Status != http.StatusCreated {
		t.Fatalf("exporter: %d %s", r.Status, r.Body)
	}
	r := stacktest.Do(t, "POST", exports+"/deals", "tok-beijing", `{"exporter_bin":"990340004592","buyer_country":"CN","hs_code":"760110",
		"value":{"amount":"1250000","currency":"USD"},"clauses":["2.7"],"support":["b2b_meeting"]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("deal: %d %s", r.Status, r.Body)
	}
	var deal struct {
		ID      string
		Version int
	}
	r.JSON(t, &deal)
	for _, st := range []string{"negotiating", "contracted"} {
		r := stacktest.Do(t, "POST", exports+"/deals/"+deal.ID+"/stage", "tok-beijing", fmt.Sprintf(`{"version":%d,"stage":"%s"}`, deal.Version, st))
		if r.Status != 200 {
			t.Fatalf("deal to %s: %d %s", st, r.Status, r.Body)
		}
		r.JSON(t, &deal)
	}
	api := "http://" + s.CommissionsAddr + "/api/v1/commissions/igc-cn"
	r = stacktest.Do(t, "POST", api+"/sessions", "tok-sec-cn",
		`{"number":7,"date":"`+day(-30)+`","place":"Beijing","decisions":[{"item":"1","text":"Supply aluminium","agencies":["mti"],"deadline":"`+day(20)+`","clauses":["2.7"]}]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("protocol: %d %s", r.Status, r.Body)
	}
	var p struct{ Decisions []struct{ ID string } }
	r.JSON(t, &p)
	did := p.Decisions[0].ID
	if r := stacktest.Do(t, "POST", api+"/decisions/"+did+"/links", "tok-sec-cn", `{"version":1,"kind":"deal","target_id":"`+deal.ID+`"}`); r.Status != 200 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	base := "http://" + s.DashboardAddr
	var row struct {
		CommissionID string `json:"commission_id"`
		Year         int
		Deals        int
		ValueUSD     string `json:"value_usd"`
	}
	stacktest.Eventually(t, 45*time.Second, "the figure counts the linked deal", func() (bool, error) {
		r := stacktest.Do(t, "GET", base+"/api/commissions/decision-exports", "tok-analyst", "")
		var out struct{ Rows []json.RawMessage }
		if err := json.Unmarshal(r.Body, &out); err != nil {
			return false, fmt.Errorf("%d %s: %w", r.Status, r.Body, err)
		}
		for _, raw := range out.Rows {
			if err := json.Unmarshal(raw, &row); err != nil {
				return false, err
			}
			if row.CommissionID == "igc-cn" {
				return true, nil
			}
		}
		return false, nil
	})
	if row.Deals != 1 || row.ValueUSD != "1250000" && row.ValueUSD != "1250000.00" {
		t.Errorf("igc-cn: %d deals, %s USD; want 1 and 1250000.00", row.Deals, row.ValueUSD)
	}
	// The secretariat sees its commission's figure, but not the deals behind it (no exports.read).
	var sec struct {
		Rows      []json.RawMessage
		DealsList bool `json:"deals_list"`
	}
	stacktest.Do(t, "GET", base+"/api/commissions/decision-exports", "tok-sec-cn", "").JSON(t, &sec)
	if len(sec.Rows) != 1 || sec.DealsList {
		t.Errorf("the secretariat's figure: %d rows, deals list offered: %v; want 1 row, no list", len(sec.Rows), sec.DealsList)
	}
	if status, _ := get(t, base+"/records/deals?commission=igc-cn", "tok-sec-cn"); status != http.StatusForbidden {
		t.Errorf("the secretariat opens the deals list: %d, want 403", status)
	}
	list := fmt.Sprintf("%s/records/deals?commission=igc-cn&years=%d&stage=contracted,shipped,paid", base, row.Year)
	status, body := get(t, list, "tok-analyst")
	if status != 200 || listTotal(t, body) != row.Deals || !strings.Contains(body, `href="/records/deal/`+deal.ID+`"`) {
		t.Errorf("the figure's list: %d, total %d, the deal's link there: %v", status, listTotal(t, body), strings.Contains(body, `href="/records/deal/`+deal.ID+`"`))
	}
	// The links both ways.
	if status, body := get(t, base+"/records/decision/igc-cn/"+did, "tok-analyst"); status != 200 || !strings.Contains(body, `href="/records/deal/`+deal.ID+`"`) {
		t.Errorf("the decision's page: %d, links the deal: %v", status, strings.Contains(body, `href="/records/deal/`+deal.ID+`"`))
	}
	if status, body := get(t, base+"/records/deal/"+deal.ID, "tok-analyst"); status != 200 || !strings.Contains(body, `href="/records/decision/igc-cn/`+did+`"`) {
		t.Errorf("the deal's page: %d, links the decision: %v", status, strings.Contains(body, `href="/records/decision/igc-cn/`+did+`"`))
	}
	// The secretariat reads the decisions list of its own commission only.
	if status, body := get(t, base+"/records/decisions?commission=igc-uz", "tok-sec-cn"); status != 200 || !strings.Contains(body, `id="locked-commission"`) || listTotal(t, body) != 1 {
		t.Errorf("the secretariat's decisions list: %d, locked: %v", status, strings.Contains(body, `id="locked-commission"`))
	}
}

// TestScorecardNumberLinksToItsList: the scorecard's projects committed in
// a sector this year equals the total of the list its number opens (the
// address scorecard.js builds: metric, years, sector).
func TestScorecardNumberLinksToItsList(t *testing.T) {
	s := stacktest.Start(t)
	leads := "http://" + s.LeadsAddr + "/api/v1/leads"
	var ids []string
	for i := range 3 {
		r := stacktest.Do(t, "POST", leads, "tok-berlin", fmt.Sprintf(`{"investor_name":"Score %d GmbH","investor_country":"DE","title":"Plant %d","sector":"machine_building",
			"clauses":["2.2"],"investment_type":"greenfield","capex":{"amount":"%d000000","currency":"USD"},"source":"event"}`, i, i, i+1))
		if r.Status != http.StatusCreated {
			t.Fatalf("lead %d: %d %s", i, r.Status, r.Body)
		}
		var l httpapi.LeadJSON
		r.JSON(t, &l)
		ids = append(ids, l.ID)
	}
	// Two of the three are committed this year; the third stays contacted.
	for i, id := range ids {
		stages := []string{"contacted", "qualified", "negotiating", "committed"}
		if i == 2 {
			stages = stages[:1]
		}
		for v, st := range stages {
			if r := stacktest.Do(t, "POST", leads+"/"+id+"/stage", "tok-berlin", fmt.Sprintf(`{"version":%d,"stage":"%s"}`, v+1, st)); r.Status != 200 {
				t.Fatalf("lead %d to %s: %d %s", i, st, r.Status, r.Body)
			}
		}
	}
	base := "http://" + s.DashboardAddr
	year := time.Now().In(time.FixedZone("UTC+5", 5*3600)).Year()
	var records int
	stacktest.Eventually(t, 45*time.Second, "the scorecard counts the two projects", func() (bool, error) {
		r := stacktest.Do(t, "GET", fmt.Sprintf("%s/api/scorecard/rows?year=%d&sector=machine_building", base, year), "tok-analyst", "")
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
				records = row.Records
			}
		}
		return records == 2, nil
	})
	// The number comes from the aggregates, the list from the states: ingest
	// writes the one and then the other, so the list may follow a moment later.
	var status int
	var body string
	stacktest.Eventually(t, 45*time.Second, "the scorecard's number and its list agree", func() (bool, error) {
		status, body = get(t, fmt.Sprintf("%s/records/leads?sector=machine_building&years=%d&metric=committed", base, year), "tok-analyst")
		if total := listTotal(t, body); status != 200 || total != records {
			return false, fmt.Errorf("the scorecard's number %d, its list: %d with total %d", records, status, total)
		}
		return true, nil
	})
	for _, id := range ids[:2] {
		if !strings.Contains(body, `href="/records/lead/`+id+`"`) {
			t.Errorf("the list lacks committed lead %s", id)
		}
	}
}
