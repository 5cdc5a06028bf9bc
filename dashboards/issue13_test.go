package dashboards_test

// End-to-end tests of issue 13's findings on the dashboard's figures.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"econdip/services/test/stacktest"
)

// evil is a cell a spreadsheet would run as a formula.
const evil = `=HYPERLINK("http://evil.example","x")`

// Finding 5: an investor named like a formula reached the CSV exports as
// typed. Through the leads, barriers and overdue-decisions CSVs it now
// comes out with the apostrophe that makes it text.
func TestFinding5_CSVCellsCannotStartAFormula(t *testing.T) {
	s := stacktest.Start(t)
	setupCommission(t, s)
	r := stacktest.Do(t, "POST", "http://"+s.LeadsAddr+"/api/v1/leads", "tok-berlin",
		scLeadBody(evil, "DE", "Plant of a formula investor", "", `"2.2"`, "1000000", 10))
	if r.Status != http.StatusCreated {
		t.Fatalf("lead: %d %s", r.Status, r.Body)
	}
	r = stacktest.Do(t, "POST", "http://"+s.ExportsAddr+"/api/v1/barriers", "tok-berlin", `{"country":"DE","hs_codes":["1001"],"type":"sps",
		"title":`+jsonString(evil)+`,"description":"x","lead_agency":"moa","clauses":["2.6"]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("barrier: %d %s", r.Status, r.Body)
	}
	r = stacktest.Do(t, "POST", "http://"+s.CommissionsAddr+"/api/v1/commissions/igc-cn/sessions", "tok-sec-cn",
		`{"number":1,"date":"`+day(-60)+`","place":"Beijing","decisions":[{"item":"1","text":`+jsonString(evil)+`,"agencies":["mti"],"deadline":"`+day(-5)+`","clauses":["2.2"]}]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("protocol: %d %s", r.Status, r.Body)
	}
	base := "http://" + s.DashboardAddr
	for _, csv := range []string{"/api/countries/leads.csv?country=DE", "/api/countries/barriers.csv?country=DE", "/api/commissions/overdue.csv"} {
		var body string
		stacktest.Eventually(t, 20*time.Second, csv+" has the record", func() (bool, error) {
			r := stacktest.Do(t, "GET", base+csv, "tok-analyst", "")
			body = string(r.Body)
			return r.Status == http.StatusOK && strings.Contains(body, "HYPERLINK"), nil
		})
		// encoding/csv quotes the cell (it holds quotes): "'=HYPERLINK(""http://evil.example"",""x"")"
		want := `"'=HYPERLINK(""http://evil.example"",""x"")"`
		if !strings.Contains(body, want) || strings.Contains(body, `"=HYPERLINK`) || strings.Contains(body, ",=HYPERLINK") {
			t.Errorf("%s: the formula is not neutralised; want %s in\n%s", csv, want, body)
		}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// fieldError is the 400 answer of a filter, with the fields it names.
type fieldError struct {
	Code   string `json:"code"`
	Fields []struct {
		Field, Code, Message string
	} `json:"fields"`
}

// expectFieldError asks path as token and wants a 400 naming field.
func expectFieldError(t *testing.T, base, path, token, field string) {
	t.Helper()
	r := stacktest.Do(t, "GET", base+path, token, "")
	var e fieldError
	_ = json.Unmarshal(r.Body, &e)
	named := false
	for _, f := range e.Fields {
		named = named || (f.Field == field && f.Message != "")
	}
	if r.Status != http.StatusBadRequest || !named {
		t.Errorf("GET %s: %d %s; want 400 with a field error on %s", path, r.Status, r.Body, field)
	}
}

// Finding 10: as_of=1900-01-01 went to ClickHouse, whose Date cannot hold
// it, and the failed query was answered 503 as if the service were down.
// Every date filter now refuses a day or year out of 2000-2100 with a 400
// naming the parameter.
func TestFinding10_DateFiltersOutOfRangeAre400(t *testing.T) {
	s := stacktest.Start(t)
	base := "http://" + s.DashboardAddr
	for _, day := range []string{"1900-01-01", "1969-12-31", "1999-12-31", "2101-01-01", "2200-06-30", "9999-12-31", "0001-01-01", "2025-13-01", "yesterday"} {
		for _, figure := range []string{"execution", "overdue", "overdue.csv", "agencies", "late", "years"} {
			expectFieldError(t, base, "/api/commissions/"+figure+"?as_of="+day, "tok-analyst", "as_of")
		}
		expectFieldError(t, base, "/api/commissions/execution?as_of="+day, "tok-sec-cn", "as_of")
		q := url.Values{"from": {day}, "to": {"2025-01-31"}}.Encode()
		expectFieldError(t, base, "/api/audit?"+q, "tok-admin", "from")
		expectFieldError(t, base, "/api/audit.csv?"+q, "tok-admin", "from")
		q = url.Values{"from": {"2025-01-01"}, "to": {day}}.Encode()
		expectFieldError(t, base, "/api/audit?"+q, "tok-admin", "to")
	}
	for _, year := range []string{"1900", "1999", "2101", "3000", "-5", "20x5"} {
		expectFieldError(t, base, "/api/commissions/execution?years="+year, "tok-analyst", "years")
		expectFieldError(t, base, "/api/countries/overview?years="+year, "tok-analyst", "years")
		expectFieldError(t, base, "/api/exports/summary?years=2024,"+year, "tok-analyst", "years")
		expectFieldError(t, base, "/api/scorecard/rows?year="+year, "tok-analyst", "year")
	}
	// The page shows the error next to the field, with a 400, not a 503.
	r := stacktest.Do(t, "GET", base+"/analyst/commissions?as_of=1900-01-01", "tok-analyst", "")
	if r.Status != http.StatusBadRequest {
		t.Errorf("commissions page with as_of=1900-01-01: %d, want 400", r.Status)
	}
	// In range, the filters still answer.
	for _, path := range []string{"/api/commissions/execution?as_of=2000-01-01", "/api/commissions/execution?as_of=2100-12-31&years=2000,2100",
		"/api/audit?from=2000-01-01&to=2000-01-31"} {
		token := "tok-analyst"
		if strings.HasPrefix(path, "/api/audit") {
			token = "tok-admin"
		}
		if r := stacktest.Do(t, "GET", base+path, token, ""); r.Status != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
		}
	}
}

// Finding 11: the pipeline's post and country filters were passed to the
// query unchecked (an unknown one gave an empty figure). They are checked
// against the reference data, and an attaché still sees only their post.
func TestFinding11_PipelineFiltersValidated(t *testing.T) {
	s := stacktest.Start(t)
	base := "http://" + s.DashboardAddr
	leads := "http://" + s.LeadsAddr + "/api/v1/leads"
	for _, l := range []struct{ token, investor, country string }{
		{"tok-berlin", "Berlin Investor GmbH", "DE"}, {"tok-beijing", "Beijing Investor Ltd", "CN"}, {"tok-beijing", "Second Beijing Investor Ltd", "CN"},
	} {
		if r := stacktest.Do(t, "POST", leads, l.token, scLeadBody(l.investor, l.country, "A plant", "", `"2.2"`, "1000000", 5)); r.Status != http.StatusCreated {
			t.Fatalf("lead: %d %s", r.Status, r.Body)
		}
	}
	leadsIn := func(path, token string) int {
		t.Helper()
		r := stacktest.Do(t, "GET", base+path, token, "")
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
		}
		var p struct{ Rows []struct{ Leads int } }
		r.JSON(t, &p)
		n := 0
		for _, row := range p.Rows {
			n += row.Leads
		}
		return n
	}
	stacktest.Eventually(t, 20*time.Second, "the leads are in the pipeline", func() (bool, error) {
		return leadsIn("/api/pipeline", "tok-analyst") == 3, nil
	})
	for _, tc := range []struct{ path, token, field string }{
		{"/api/pipeline?post=xx-nowhere", "tok-analyst", "post"},
		{"/api/pipeline.csv?post=*", "tok-analyst", "post"},
		{"/api/pipeline?post=de-berlin%27%20OR%201%3D1", "tok-analyst", "post"},
		{"/api/pipeline?country=ZZ", "tok-analyst", "country"},
		{"/api/pipeline?country=Germany", "tok-analyst", "country"},
		{"/api/pipeline.csv?country=XX", "tok-admin", "country"},
		{"/api/pipeline?country=ZZ", "tok-berlin", "country"},
	} {
		expectFieldError(t, base, tc.path, tc.token, tc.field)
	}
	if n := leadsIn("/api/pipeline?post=cn-beijing", "tok-analyst"); n != 2 {
		t.Errorf("analyst, post cn-beijing: %d leads, want 2", n)
	}
	if n := leadsIn("/api/pipeline?country=de", "tok-analyst"); n != 1 {
		t.Errorf("analyst, country de: %d leads, want 1", n)
	}
	// The attaché's scope: their own post, whatever post the URL names.
	for _, path := range []string{"/api/pipeline", "/api/pipeline?post=cn-beijing", "/api/pipeline?post=xx-nowhere"} {
		if n := leadsIn(path, "tok-berlin"); n != 1 {
			t.Errorf("attaché in Berlin, %s: %d leads, want Berlin's 1", path, n)
		}
	}
}
