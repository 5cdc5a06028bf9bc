package dashboards_test

// The Concept scorecard's and the partner-country page's JSON and CSV
// endpoints, end to end: leads, deals, a barrier and a commission's protocol
// are recorded through the services' APIs of a whole in-process stack (with
// the demo targets file it loads at start), ingest projects them into
// ClickHouse, and the dashboard must answer with the values computed by hand
// below, within each user's scope, and refuse bad filters field by field.
//
//	go test -count=1 -run 'Scorecard|Countr' ./dashboards/ -v

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/services/leads/httpapi"
	"econdip/services/test/stacktest"
)

// scorecardBudget bounds the test, the stack's start included.
const scorecardBudget = 40 * time.Second

// scLead creates a lead with token, identified on the first day, and moves
// it one stage at a time along stages, each on its day.
func scLead(t *testing.T, leadsAPI, token, body string, stages []string, days []string) httpapi.LeadJSON {
	t.Helper()
	r := stacktest.Do(t, "POST", leadsAPI, token, strings.TrimSuffix(body, "}")+`,"identified_on":"`+days[0]+`"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("create lead: %d %s", r.Status, r.Body)
	}
	var l httpapi.LeadJSON
	r.JSON(t, &l)
	for i, st := range stages {
		r := stacktest.Do(t, "POST", leadsAPI+"/"+l.ID+"/stage", token, fmt.Sprintf(`{"version":%d,"stage":%q,"effective_on":%q}`, l.Version, st, days[i+1]))
		if r.Status != http.StatusOK {
			t.Fatalf("move lead to %s: %d %s", st, r.Status, r.Body)
		}
		r.JSON(t, &l)
	}
	return l
}

// scLeadBody is a lead's JSON; its last character must be its closing brace.
func scLeadBody(investor, country, title, sector, clauses, amount string, jobs int) string {
	return fmt.Sprintf(`{"investor_name":%q,"investor_country":%q,"title":%q,"sector":%q,"clauses":[%s],"target_region":"KZ-75",
		"investment_type":"greenfield","capex":{"amount":%q,"currency":"USD"},"expected_jobs":%d,"expected_decision_date":"2027-03-01","source":"event"}`,
		investor, country, title, sector, clauses, amount, jobs)
}

// scRow is a scorecard line as the JSON gives it.
type scRow struct {
	Scope, Code, Metric, Name, Unit string
	MetricName                      string  `json:"metric_name"`
	Target                          *string `json:"target"`
	TargetEdition                   string  `json:"target_edition"`
	TargetDemo                      bool    `json:"target_demo"`
	Actual                          string  `json:"actual"`
	Records                         int     `json:"records"`
	Percent                         *string `json:"percent"`
	Status                          string  `json:"status"`
	Trend                           []struct {
		Year  int    `json:"year"`
		Value string `json:"value"`
	} `json:"trend"`
	Forecast   string  `json:"forecast"`
	Target2030 *string `json:"target_2030"`
	Status2030 string  `json:"status_2030"`
}

func TestScorecardAndCountryFigures(t *testing.T) {
	start := time.Now()
	s := stacktest.Start(t)
	setupCommission(t, s)
	dash := "http://" + s.DashboardAddr
	leadsAPI := "http://" + s.LeadsAddr + "/api/v1/leads"
	xapi := figuresAPI{t: t, base: "http://" + s.ExportsAddr + "/api/v1"}
	berlin, beijing := stacktest.Tokens["attache.de-berlin"], stacktest.Tokens["attache.cn-beijing"]
	analyst, admin, secretariat := stacktest.Tokens["analyst"], stacktest.Tokens["admin"], stacktest.Tokens["secretariat.igc-cn"]

	// Leads, in USD (1:1):
	//   A Berlin, DE, machine building, 2.2: 1,000,000, 100 jobs, committed 2025-03-01.
	//   B Berlin, DE, machine building, 2.2 and 2.3: 500,000, 50 jobs, committed 2024-05-01, implementing 2025-06-01.
	//   C Berlin, DE, machine building, 2.2: 2,000,000, open (contacted, probability 0.10: 200,000 weighted).
	//   D Beijing, CN, agro-industrial, 2.2: 300,000, 30 jobs, committed 2025-07-01.
	toCommitted := []string{"contacted", "qualified", "negotiating", "committed"}
	scLead(t, leadsAPI, berlin, scLeadBody("Rhein Maschinenbau GmbH", "DE", "Tractor plant", "machine_building", `"2.2"`, "1000000", 100),
		toCommitted, []string{"2025-01-10", "2025-01-20", "2025-02-01", "2025-02-10", "2025-03-01"})
	scLead(t, leadsAPI, berlin, scLeadBody("Saxon Pumps AG", "DE", "Pump works", "machine_building", `"2.2","2.3"`, "500000", 50),
		append(toCommitted, "implementing"), []string{"2024-02-01", "2024-02-10", "2024-02-20", "2024-03-01", "2024-05-01", "2025-06-01"})
	scLead(t, leadsAPI, berlin, scLeadBody("Bavaria Rail GmbH", "DE", "Railcar works", "machine_building", `"2.2"`, "2000000", 400),
		[]string{"contacted"}, []string{"2025-04-01", "2025-05-01"})
	scLead(t, leadsAPI, beijing, scLeadBody("Jiangsu Agro Co.", "CN", "Grain terminal", "agro_industrial", `"2.2"`, "300000", 30),
		toCommitted, []string{"2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01", "2025-07-01"})
	// Deals (clause 2.7): aluminium to DE, non-raw, 1,000,000 signed 2025-03-10 (Berlin);
	// crude oil to CN, raw, 2,000,000 signed 2025-04-01 (Beijing).
	for _, bin := range []string{figBINAluminium, figBINOilfield} {
		xapi.call("POST", "/exporters", berlin, `{"bin":"`+bin+`","name":"Exporter `+bin+`","region":"KZ-55"}`, http.StatusCreated, nil)
	}
	negotiating := `"stage":"negotiating"`
	xapi.deal(berlin, figBINAluminium, "DE", "760110", "1000000", "USD", negotiating, `"stage":"contracted","contract_date":"2025-03-10"`)
	xapi.deal(beijing, figBINOilfield, "CN", "270900", "2000000", "USD", negotiating, `"stage":"contracted","contract_date":"2025-04-01"`)
	// A barrier China raised: 5,000,000 USD at stake, open.
	xapi.barrier(beijing, "CN", "sps", `"amount":"5000000","currency":"USD"`, "2025-01-10", "verified@2025-01-20")
	// The commission with China: one decision overdue (deadline 10 days ago), one not due yet.
	r := stacktest.Do(t, "POST", "http://"+s.CommissionsAddr+"/api/v1/commissions/igc-cn/sessions", "tok-sec-cn",
		`{"number":12,"date":"`+day(-60)+`","place":"Beijing","decisions":[{"item":"1","text":"Open a trade house","agencies":["mti"],"deadline":"`+day(-10)+`","clauses":["2.7"]},`+
			`{"item":"2","text":"Joint venture study","agencies":["mti"],"deadline":"`+day(10)+`","clauses":["2.2"]}]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("protocol: %d %s", r.Status, r.Body)
	}

	overviewCSV := func(token string) string {
		_, body, _ := figureBody(t, dash+"/api/countries/overview.csv", token)
		return body
	}
	wantOverview := csvLines(
		"country,country_name,committed_usd,projects,jobs,committed_without_rate,open_leads,pipeline_usd,pipeline_weighted_usd,exports_usd,non_raw_usd,deals,deals_without_rate,barriers,barriers_open,open_value_at_stake_usd,commissions,decisions_due,done_on_time,done_late,overdue,execution_rate",
		"CN,China,300000.00,1,30,0,0,0.00,0.00,2000000.00,0.00,1,0,1,1,5000000.00,Kazakhstan-China Cooperation Committee,1,0,0,1,0.0000",
		"DE,Germany,1500000.00,2,150,0,1,2000000.00,200000.00,1000000.00,1000000.00,1,0,0,0,0.00,,,,,,")
	var last string
	stacktest.Eventually(t, scorecardBudget-time.Since(start)-10*time.Second, "every record in the figures", func() (bool, error) {
		last = usdColumns(overviewCSV(analyst), wantOverview)
		return last == wantOverview, nil
	})

	// Conversion by the year identified, and the median days to commit of
	// those committed in the year: A 2025-01-10 → 2025-03-01 (50 days),
	// B 2024-02-01 → 2024-05-01 (90), C identified 2025-04-01 and open,
	// D 2025-02-01 → 2025-07-01 (150). Berlin alone has A, B and C.
	wantConversion := map[string]string{
		"": csvLines("year,leads_identified,of_them_committed,conversion_rate,median_days_to_commit",
			"2024,1,1,1,90", "2025,3,2,0.6667,100"),
		"?post=de-berlin": csvLines("year,leads_identified,of_them_committed,conversion_rate,median_days_to_commit",
			"2024,1,1,1,90", "2025,2,1,0.5,50"),
	}
	for query, want := range wantConversion {
		stacktest.Eventually(t, 10*time.Second, "the conversion"+query+" computed by hand", func() (bool, error) {
			_, got, _ := figureBody(t, dash+"/api/conversion.csv"+query, analyst)
			if got != want {
				return false, fmt.Errorf("got\n%swant\n%s", got, want)
			}
			return true, nil
		})
	}
	// The pipeline page holds the table (its script fills it from
	// /api/conversion: TestUIAnalystInRussian) and its CSV, with the filters.
	page := string(stacktest.Do(t, "GET", dash+"/analyst/pipeline?post=de-berlin", analyst, "").Body)
	for _, want := range []string{`id="table-conversion"`, `href="/api/conversion.csv?post=de-berlin"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the pipeline page lacks %q", want)
		}
	}
	// An attaché sees their own post's conversion whatever post the URL names.
	_, got, _ := figureBody(t, dash+"/api/conversion.csv?post=de-berlin", beijing)
	if want := csvLines("year,leads_identified,of_them_committed,conversion_rate,median_days_to_commit", "2025,1,1,1,150"); got != want {
		t.Errorf("Beijing's attaché's conversion:\n%s\nwant\n%s", got, want)
	}

	rows := func(t *testing.T, query, token string) []scRow {
		t.Helper()
		r := stacktest.Do(t, "GET", dash+"/api/scorecard/rows?"+query, token, "")
		if r.Status != http.StatusOK {
			t.Fatalf("rows?%s: %d %s", query, r.Status, r.Body)
		}
		var out struct{ Rows []scRow }
		r.JSON(t, &out)
		return out.Rows
	}
	find := func(t *testing.T, rows []scRow, scope, code, metric string) scRow {
		t.Helper()
		for _, r := range rows {
			if r.Scope == scope && r.Code == code && r.Metric == metric {
				return r
			}
		}
		t.Fatalf("no row %s %s %s", scope, code, metric)
		return scRow{}
	}
	trend := func(r scRow) string {
		var out []string
		for _, p := range r.Trend {
			out = append(out, fmt.Sprintf("%d:%s", p.Year, p.Value))
		}
		return strings.Join(out, " ")
	}

	t.Run("scorecard rows, computed by hand", func(t *testing.T) {
		got := rows(t, "year=2025&sector=machine_building", analyst)
		for _, r := range got {
			if r.Scope != "sector" || r.Code != "machine_building" || r.Name != "Machine building and instrument making" {
				t.Errorf("filtered to machine building, got %s %s %q", r.Scope, r.Code, r.Name)
			}
		}
		// Committed 2025: A alone (B was committed in 2024). Target 460,000,000 (2024 edition, the latest):
		// 1,000,000 / 460,000,000 = 0.217 % → 0.2, red.
		c := find(t, got, "sector", "machine_building", "investment_committed_usd")
		if c.Actual != "1000000" || c.Records != 1 || c.Target == nil || *c.Target != "460000000" || c.TargetEdition != "2024" || !c.TargetDemo ||
			c.Percent == nil || *c.Percent != "0.2" || c.Status != "red" || c.MetricName != "Investment committed" || c.Unit != "USD" {
			t.Errorf("committed 2025: %+v", c)
		}
		if got := trend(c); got != "2020:0 2021:0 2022:0 2023:0 2024:500000 2025:1000000" {
			t.Errorf("committed trend: %s", got)
		}
		// Forecast: the least-squares line through the last five complete years, at 2030. Run in 2026:
		// 2021-2025 are 0, 0, 0, 500,000, 1,000,000: mean 300,000, slope 250,000 → 300,000 + 7 × 250,000 = 2,050,000;
		// C's expected decision is in 2027, not 2030: nothing added. Off track against 705,000,000.
		byYear := map[int]string{2024: "500000", 2025: "1000000"}
		var complete []analytics.YearValue
		for y := 2020; y < time.Now().In(time.FixedZone("Astana", 5*3600)).Year() && y <= 2030; y++ {
			v := "0"
			if byYear[y] != "" {
				v = byYear[y]
			}
			complete = append(complete, analytics.YearValue{Year: y, Value: decimal.RequireFromString(v)})
		}
		if want := analytics.Forecast(complete, decimal.Zero, "USD"); c.Forecast != want.String() || c.Target2030 == nil || *c.Target2030 != "705000000" || c.Status2030 != "off_track" {
			t.Errorf("committed forecast: %s, want %s; %+v", c.Forecast, want, c)
		}
		// Realised 2025: B. Projects 2025: A, 1 of 7 → 14.3 %. Jobs 2025: A's 100.
		if r := find(t, got, "sector", "machine_building", "investment_realised_usd"); r.Actual != "500000" || r.Records != 1 || *r.Target != "250000000" {
			t.Errorf("realised 2025: %+v", r)
		}
		if p := find(t, got, "sector", "machine_building", "projects"); p.Actual != "1" || *p.Percent != "14.3" || p.Status != "red" || p.Unit != "count" {
			t.Errorf("projects 2025: %+v", p)
		}
		if j := find(t, got, "sector", "machine_building", "jobs"); j.Actual != "100" {
			t.Errorf("jobs 2025: %+v", j)
		}
		// Clauses: 2.2 committed 2025 = A + D; 2.7 non-raw 2025 = the aluminium deal; markets DE and CN.
		cl := rows(t, "year=2025&clause=2.2", analyst)
		if r := find(t, cl, "clause", "2.2", "investment_committed_usd"); r.Actual != "1300000" || r.Records != 2 ||
			!strings.HasPrefix(r.Name, "High-quality foreign direct investment") {
			t.Errorf("2.2 committed 2025: %+v", r)
		}
		both := rows(t, "year=2025&sector=mining&clause=2.7", analyst)
		if r := find(t, both, "clause", "2.7", "non_raw_exports_usd"); r.Actual != "1000000" || *r.Target != "670000000" {
			t.Errorf("2.7 non-raw 2025: %+v", r)
		}
		if r := find(t, both, "clause", "2.7", "export_markets"); r.Actual != "2" || r.Records != 2 {
			t.Errorf("2.7 markets 2025: %+v", r)
		}
		if r := find(t, both, "sector", "mining", "non_raw_exports_usd"); r.Actual != "0" || r.Records != 1 {
			t.Errorf("mining non-raw 2025 (crude oil is raw): %+v", r)
		}
		// Another edition: the 2022 targets, 640,000,000 → 0.15625 % → 0.2.
		if r := find(t, rows(t, "year=2025&sector=machine_building&edition=2022", analyst), "sector", "machine_building", "investment_committed_usd"); *r.Target != "640000000" || r.TargetEdition != "2022" {
			t.Errorf("2022 edition: %+v", r)
		}
		// The country filter: Chinese investors and buyers only.
		if r := find(t, rows(t, "year=2025&clause=2.2&country=cn", analyst), "clause", "2.2", "investment_committed_usd"); r.Actual != "300000" {
			t.Errorf("2.2 committed 2025, China: %+v", r)
		}
		// Without a year: the current one, every sector and clause.
		all := rows(t, "", admin)
		if len(all) < 80 || all[0].Scope != "sector" || all[len(all)-1].Scope != "clause" || len(all[0].Trend) != time.Now().Year()-2019 {
			t.Errorf("the whole scorecard: %d rows, first %+v", len(all), all[0])
		}
	})

	t.Run("scorecard CSV", func(t *testing.T) {
		status, body, r := figureBody(t, dash+"/api/scorecard/rows.csv?year=2025&sector=machine_building", analyst)
		lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
		header := "scope,code,name,metric,unit,year,target,target_edition,demo_target,expected_to_date,actual,percent_of_target,status,records," +
			"records_without_rate,forecast_2030,pipeline_added_2030,target_2030,outlook_2030,actual_usd,actual_kzt,records_stale_rate,max_rate_age_days,records_rate_too_old," +
			"actual_2020,actual_2021,actual_2022,actual_2023,actual_2024,actual_2025"
		if status != 200 || len(lines) != 7 || lines[0] != header {
			t.Fatalf("rows.csv: %d\n%s", status, body)
		}
		// In KZT (?in=KZT): the same records at their days' rates in tenge (1,000,000 USD on 2025-03-01 at
		// 506.03 KZT, the February 2025 average of the demo rates), both units in the CSV.
		status, body, _ = figureBody(t, dash+"/api/scorecard/rows.csv?year=2025&sector=machine_building&in=KZT", analyst)
		if lines := strings.Split(body, "\n"); status != 200 || !strings.HasPrefix(lines[1], "sector,machine_building,Machine building and instrument making,investment_committed_usd,KZT,2025,") ||
			!strings.Contains(lines[1], ",1000000.00,506030000.00,0,3,0,") {
			t.Errorf("rows.csv in KZT: %d\n%s", status, body)
		}
		if status, body, _ := figureBody(t, dash+"/api/scorecard/rows?year=2025&in=EUR", analyst); status != 400 || !strings.Contains(body, `"field":"in"`) {
			t.Errorf("in=EUR: %d %s", status, body)
		}
		if !strings.HasPrefix(lines[1], "sector,machine_building,Machine building and instrument making,investment_committed_usd,USD,2025,460000000.00,2024,true,460000000.00,1000000.00,0.2,red,1,0,") ||
			!strings.HasSuffix(lines[1], ",705000000.00,off_track,1000000.00,506030000.00,0,3,0,0.00,0.00,0.00,0.00,500000.00,1000000.00") {
			t.Errorf("committed line: %s", lines[1])
		}
		if !strings.HasPrefix(lines[3], "sector,machine_building,Machine building and instrument making,projects,count,2025,7,2024,true,7.00,1,14.3,red,1,0,") {
			t.Errorf("projects line: %s", lines[3])
		}
		if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, `concept-scorecard-2025.csv`) {
			t.Errorf("Content-Disposition %q", cd)
		}
		// One table's CSV: the scope chooses the rows.
		_, body, _ = figureBody(t, dash+"/api/scorecard/rows.csv?year=2025&scope=clause", analyst)
		if strings.Contains(body, "\nsector,") || !strings.Contains(body, "\nclause,2.7,") {
			t.Errorf("clause rows CSV has sectors, or lacks 2.7:\n%.400s", body)
		}
		_, body, _ = figureBody(t, dash+"/api/scorecard/targets.csv?sector=machine_building", analyst)
		if !strings.HasPrefix(body, "edition,scope,code,metric,year,value,unit,source,demo,line\n") ||
			!strings.Contains(body, "\n2024,sector,machine_building,investment_committed_usd,2025,460000000,USD,") || strings.Contains(body, ",clause,") {
			t.Errorf("targets CSV:\n%.500s", body)
		}
	})

	t.Run("records behind a figure", func(t *testing.T) {
		type rec struct {
			Kind   string
			Figure struct{ Name, Metric string }
			Rows   []struct {
				Title, Stage, Key   string
				LeadID              string `json:"lead_id"`
				EnteredOn           string `json:"entered_on"`
				USD                 string
				DealID              string `json:"deal_id"`
				BuyerCountry        string `json:"buyer_country"`
				Raw                 bool
				Sector              string
				EnteredStage        string `json:"entered_stage"`
				ExporterName, Value string
			}
			EnteredStage string `json:"entered_stage"`
		}
		get := func(query, token string) rec {
			t.Helper()
			r := stacktest.Do(t, "GET", dash+"/api/scorecard/records?"+query, token, "")
			if r.Status != 200 {
				t.Fatalf("records?%s: %d %s", query, r.Status, r.Body)
			}
			var out rec
			r.JSON(t, &out)
			return out
		}
		c := get("scope=sector&code=machine_building&metric=investment_committed_usd&year=2025", analyst)
		if c.Kind != "investment" || c.EnteredStage != "committed" || len(c.Rows) != 1 || c.Rows[0].Title != "Tractor plant" || c.Rows[0].EnteredOn != "2025-03-01" ||
			c.Rows[0].USD != "1000000" || c.Figure.Name != "Machine building and instrument making" {
			t.Errorf("committed 2025 records: %+v", c)
		}
		// Realised is dated by the start of implementation; projects by the commitment.
		if r := get("scope=sector&code=machine_building&metric=investment_realised_usd&year=2025", analyst); r.EnteredStage != "implementing" ||
			len(r.Rows) != 1 || r.Rows[0].Title != "Pump works" || r.Rows[0].EnteredOn != "2025-06-01" {
			t.Errorf("realised 2025 records: %+v", r)
		}
		if r := get("scope=clause&code=2.3&metric=projects&year=2024", analyst); len(r.Rows) != 1 || r.Rows[0].Title != "Pump works" || r.Rows[0].Stage != "implementing" {
			t.Errorf("2.3 projects 2024 records: %+v", r)
		}
		m := get("scope=clause&code=2.7&metric=export_markets&year=2025", analyst)
		if m.Kind != "exports" || len(m.Rows) != 2 || m.Rows[0].BuyerCountry != "DE" || m.Rows[0].Raw || m.Rows[1].BuyerCountry != "CN" || !m.Rows[1].Raw {
			t.Errorf("2.7 markets 2025 records: %+v", m)
		}
		if r := get("scope=clause&code=2.7&metric=export_markets&year=2025&country=CN", analyst); len(r.Rows) != 1 || r.Rows[0].BuyerCountry != "CN" {
			t.Errorf("2.7 markets 2025, China: %+v", r)
		}
		status, body, resp := figureBody(t, dash+"/api/scorecard/records.csv?scope=sector&code=machine_building&metric=investment_committed_usd&year=2025", analyst)
		lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
		if status != 200 || len(lines) != 2 || lines[0] != "lead_id,title,post,key,entered_on,stage_now,jobs,capex,currency,usd,no_rate,rate_day,kzt,rate_age_days,stale_rate,rate_too_old" ||
			!strings.HasSuffix(lines[1], ",Tractor plant,de-berlin,machine_building,2025-03-01,committed,100,1000000,USD,1000000.00,false,2025-02-26,506030000.00,3,false,false") {
			t.Errorf("records CSV: %d\n%s", status, body)
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "scorecard-records-sector-machine_building-investment_committed_usd-2025.csv") {
			t.Errorf("records CSV file name: %q", cd)
		}
	})

	t.Run("an attaché sees the own post only", func(t *testing.T) {
		for _, q := range []string{"year=2025&sector=machine_building", "year=2025&sector=machine_building&post=de-berlin"} {
			if r := find(t, rows(t, q, beijing), "sector", "machine_building", "investment_committed_usd"); r.Actual != "0" || r.Records != 0 {
				t.Errorf("Beijing's %s: %+v", q, r)
			}
		}
		if r := find(t, rows(t, "year=2025&clause=2.2&post=cn-beijing", berlin), "clause", "2.2", "investment_committed_usd"); r.Actual != "1000000" {
			t.Errorf("Berlin's 2.2 (A only, whatever the URL's post): %+v", r)
		}
		_, body, _ := figureBody(t, dash+"/api/scorecard/records.csv?scope=sector&code=machine_building&metric=investment_committed_usd&year=2025", beijing)
		if strings.Count(body, "\n") != 1 {
			t.Errorf("Beijing sees Berlin's leads:\n%s", body)
		}
		// The country page: Beijing's records only, and no commission figures.
		_, body, _ = figureBody(t, dash+"/api/countries/summary.csv?country=DE", beijing)
		if _, row, _ := strings.Cut(usdColumns(body, wantOverview), "\n"); row != "DE,Germany,0.00,0,0,0,0,0.00,0.00,0.00,0.00,0,0,0,0,0.00,,,,,,\n" {
			t.Errorf("Beijing's Germany: %q", row)
		}
		_, body, _ = figureBody(t, dash+"/api/countries/summary.csv?country=CN", beijing)
		if _, row, _ := strings.Cut(usdColumns(body, wantOverview), "\n"); row != "CN,China,300000.00,1,30,0,0,0.00,0.00,2000000.00,0.00,1,0,1,1,5000000.00,,,,,,\n" {
			t.Errorf("Beijing's China: %q", row)
		}
		if status, _, _ := figureBody(t, dash+"/api/countries/commissions?country=CN", beijing); status != 403 {
			t.Errorf("an attaché reads the commission figures: %d", status)
		}
	})

	t.Run("partner-country figures, computed by hand", func(t *testing.T) {
		if last != wantOverview {
			t.Errorf("overview:\n%s\nwant\n%s", last, wantOverview)
		}
		cases := []struct{ path, want string }{
			{"summary.csv?country=de", csvLines(strings.Split(wantOverview, "\n")[0], strings.Split(wantOverview, "\n")[2])},
			// China's 2025: D committed (300,000, 30 jobs), the crude oil deal, the barrier reported.
			{"years.csv?country=CN&years=2025", csvLines(
				"year,committed_usd,projects,jobs,committed_without_rate,realised_usd,realised_projects,realised_without_rate,exports_usd,non_raw_usd,deals,deals_without_rate,barriers_reported,barriers_resolved,resolved_value_usd,decisions_due,done_on_time,done_late,overdue,execution_rate",
				"2025,300000.00,1,30,0,0.00,0,0,2000000.00,0.00,1,0,1,0,0.00,0,0,0,0,")},
			{"pipeline.csv?country=DE", csvLines("stage,leads,capex_usd,weighted_usd,leads_without_rate",
				"contacted,1,2000000.00,200000.00,0", "committed,1,1000000.00,900000.00,0", "implementing,1,500000.00,500000.00,0")},
			{"deal-stages.csv?country=CN", csvLines("stage,deals,value_usd,non_raw_usd,deals_without_rate", "contracted,1,2000000.00,0.00,0")},
			{"barrier-types.csv?country=CN", csvLines("type,type_name,barriers,open,dormant,resolved,open_value_at_stake_usd,open_without_rate,median_days_to_resolve",
				"sps,Sanitary and phytosanitary,1,1,0,0,5000000.00,0,")},
			{"commissions.csv?country=CN", csvLines("commission,name,partner_country,due,done_on_time,done_late,overdue,cancelled,total,execution_rate",
				"igc-cn,Kazakhstan-China Cooperation Committee,CN,1,0,0,1,0,2,0.0000")},
			{"commissions.csv?country=DE", csvLines("commission,name,partner_country,due,done_on_time,done_late,overdue,cancelled,total,execution_rate")},
		}
		for _, c := range cases {
			if status, body, _ := figureBody(t, dash+"/api/countries/"+c.path, analyst); status != 200 || usdColumns(body, c.want) != c.want {
				t.Errorf("%s: %d\n%s\nwant\n%s", c.path, status, body, c.want)
			}
		}
		// Every year from 2020, with the overdue decision in its deadline's year.
		var years struct {
			Rows []struct {
				Year      int
				Committed string `json:"committed_usd"`
				Execution *struct{ Due, Overdue int }
			}
		}
		stacktest.Do(t, "GET", dash+"/api/countries/years?country=CN", analyst, "").JSON(t, &years)
		deadline, _ := time.Parse(time.DateOnly, day(-10))
		overdue := 0
		for _, y := range years.Rows {
			if y.Execution == nil {
				t.Fatalf("years without execution: %+v", years.Rows)
			}
			if y.Execution.Overdue > 0 && y.Year != deadline.Year() {
				t.Errorf("overdue in %d, the deadline is in %d", y.Year, deadline.Year())
			}
			overdue += y.Execution.Overdue
		}
		if len(years.Rows) < time.Now().Year()-2019 || years.Rows[0].Year != 2020 || overdue != 1 {
			t.Errorf("China by year: %+v", years.Rows)
		}
		_, body, _ := figureBody(t, dash+"/api/countries/leads.csv?country=DE", analyst)
		if lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n"); len(lines) != 4 || !strings.Contains(lines[1], ",Railcar works,Bavaria Rail GmbH,de-berlin,machine_building,contacted,2025-05-01,400,2000000,USD,2000000.00,200000.00,false,2027-03-01") {
			t.Errorf("Germany's leads:\n%s", body)
		}
		_, body, _ = figureBody(t, dash+"/api/countries/deals.csv?country=DE", analyst)
		if lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n"); len(lines) != 2 || !strings.Contains(lines[1], ",DE,760110,non_ferrous_metallurgy,false,contracted,2025-03-10,1000000,USD,1000000.00,false,") {
			t.Errorf("Germany's signed deals:\n%s", body)
		}
		_, body, _ = figureBody(t, dash+"/api/countries/barriers.csv?country=CN", analyst)
		if lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n"); len(lines) != 2 || !strings.Contains(lines[1], ",cn-beijing,CN,sps,Barrier on Kazakh wheat,verified,mti,1001,2025-01-10,,5000000,USD,5000000.00,false,") {
			t.Errorf("China's barriers:\n%s", body)
		}
		_, body, _ = figureBody(t, dash+"/api/countries/overdue.csv?country=CN", analyst)
		if lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], "igc-cn,12,1,Open a trade house,mti,"+day(-10)+",open,,10") {
			t.Errorf("China's overdue decisions:\n%s", body)
		}
	})

	t.Run("bad filters are refused field by field; other roles are refused", func(t *testing.T) {
		thisYear := time.Now().In(time.FixedZone("Astana", 5*3600)).Year()
		cases := []struct {
			name, path, token string
			status            int
			field, code       string
		}{
			{"year before the Concept", "/api/scorecard/rows?year=2019", analyst, 400, "year", "error.one_of"},
			{"year to come", fmt.Sprintf("/api/scorecard/rows?year=%d", thisYear+1), analyst, 400, "year", "error.one_of"},
			{"year not a number", "/api/scorecard/rows.csv?year=20x5", analyst, 400, "year", "error.one_of"},
			{"unknown edition", "/api/scorecard/rows?edition=1999", analyst, 400, "edition", "error.one_of"},
			{"unknown sector", "/api/scorecard/rows?sector=spaceflight", analyst, 400, "sector", "error.unknown_sector"},
			{"unknown clause", "/api/scorecard/rows?clause=9.9", analyst, 400, "clause", "error.unknown_clause"},
			{"unknown country", "/api/scorecard/rows?country=XX", analyst, 400, "country", "error.unknown_country"},
			{"unknown post", "/api/scorecard/targets?post=xx-nowhere", admin, 400, "post", "error.unknown_post_filter"},
			{"unknown scope", "/api/scorecard/rows.csv?scope=galaxy", analyst, 400, "scope", "error.one_of"},
			{"records: unknown metric", "/api/scorecard/records?scope=sector&code=mining&metric=profits&year=2025", analyst, 400, "metric", "error.one_of"},
			{"records: no year", "/api/scorecard/records?scope=sector&code=mining&metric=jobs", analyst, 400, "year", "error.required"},
			{"records: no code", "/api/scorecard/records?scope=clause&metric=jobs&year=2025", analyst, 400, "code", "error.required"},
			{"records: clause as a sector", "/api/scorecard/records?scope=sector&code=2.7&metric=jobs&year=2025", analyst, 400, "code", "error.unknown_sector"},
			{"records: unknown scope", "/api/scorecard/records.csv?scope=galaxy&code=2.7&metric=jobs&year=2025", analyst, 400, "scope", "error.one_of"},
			{"country: bad years", "/api/countries/overview?years=20x5", analyst, 400, "years", "error.year"},
			{"country: unknown country", "/api/countries/years?country=ZZ", analyst, 400, "country", "error.unknown_country"},
			{"country: none", "/api/countries/summary", analyst, 400, "country", "error.required"},
			{"secretariat, scorecard", "/api/scorecard/rows", secretariat, 403, "", ""},
			{"secretariat, records CSV", "/api/scorecard/records.csv?scope=sector&code=mining&metric=jobs&year=2025", secretariat, 403, "", ""},
			{"secretariat, countries", "/api/countries/overview", secretariat, 403, "", ""},
			{"no token", "/api/scorecard/rows", "", 401, "", ""},
			{"unknown figure", "/api/scorecard/profits", analyst, 404, "", ""},
			{"unknown country figure", "/api/countries/profits?country=DE", analyst, 404, "", ""},
		}
		for _, c := range cases {
			r := stacktest.Do(t, "GET", dash+c.path, c.token, "")
			var e struct {
				Error  string
				Fields []struct{ Field, Code, Message string }
			}
			r.JSON(t, &e)
			if r.Status != c.status || e.Error == "" || strings.Contains(string(r.Body), "%!") {
				t.Errorf("%s: %d %s, want %d", c.name, r.Status, r.Body, c.status)
				continue
			}
			if c.field != "" && (len(e.Fields) != 1 || e.Fields[0].Field != c.field || e.Fields[0].Code != c.code || e.Fields[0].Message == "") {
				t.Errorf("%s: fields %+v, want %s %s", c.name, e.Fields, c.field, c.code)
			}
		}
	})

	t.Run("pages", func(t *testing.T) {
		cases := []struct {
			name, path, token string
			status            int
			has, hasNot       []string
		}{
			{"analyst's scorecard", "/analyst/scorecard?year=2025&sector=mining", analyst, 200,
				[]string{`id="table-sector"`, `<option value="2025" selected>`, `value="mining" selected`, `/static/scorecard.js`, "Demo targets.", "least squares", `<select name="post">`}, []string{`id="records"`}},
			{"a figure's records", "/analyst/scorecard?drill_scope=sector&drill_code=mining&drill_metric=jobs&drill_year=2024", admin, 200,
				[]string{`id="records"`, `data-code="mining"`, `data-year="2024"`}, nil},
			{"a figure's bad records", "/analyst/scorecard?drill_scope=sector&drill_code=mining&drill_metric=profits&drill_year=2024", admin, 400,
				[]string{"drill_metric: must be one of"}, []string{`/static/scorecard.js`}},
			{"attaché's scorecard", "/analyst/scorecard?post=cn-beijing", berlin, 200, []string{`id="locked-post">Berlin<`}, []string{`<select name="post">`}},
			{"bad year on the page", "/analyst/scorecard?year=1999", analyst, 400, []string{`id="err-year"`, "must be one of: 2020, 2021"}, []string{`/static/scorecard.js`}},
			{"secretariat's scorecard", "/analyst/scorecard", secretariat, 403, []string{"Your role does not see these figures."}, []string{`/static/scorecard.js`}},
			{"partner countries", "/analyst/countries", analyst, 200, []string{`id="table-countries"`, `/static/country.js`}, []string{`id="country-page"`}},
			{"one country", "/analyst/countries?country=cn&years=2025", analyst, 200, []string{`id="country-page" data-country="CN" data-commissions="true"`, "<h1 class=\"country-head\">China", `id="table-commissions"`}, nil},
			{"one country, attaché", "/analyst/countries?country=CN", beijing, 200, []string{`data-commissions="false"`}, []string{`id="table-commissions"`}},
			{"unknown country on the page", "/analyst/countries?country=ZZ", analyst, 400, []string{`id="err-country"`}, []string{`/static/country.js`}},
			{"secretariat's countries", "/analyst/countries", secretariat, 403, []string{"Your role does not see these figures."}, []string{`/static/country.js`}},
		}
		for _, c := range cases {
			status, body, _ := figureBody(t, dash+c.path, c.token)
			if status != c.status {
				t.Errorf("%s: %d, want %d", c.name, status, c.status)
			}
			for _, h := range c.has {
				if !strings.Contains(body, h) {
					t.Errorf("%s: the page lacks %s", c.name, h)
				}
			}
			for _, h := range c.hasNot {
				if strings.Contains(body, h) {
					t.Errorf("%s: the page has %s", c.name, h)
				}
			}
		}
	})

	if d := time.Since(start); d > scorecardBudget {
		t.Errorf("the test took %s, more than its budget of %s", d, scorecardBudget)
	}
}

// usdColumns keeps of each line of a CSV as many columns as want's header
// has: the figures' columns before the KZT ones and the rate notes (issue
// 16), which kztpages_b_test.go checks.
func usdColumns(body, want string) string {
	n := strings.Count(strings.SplitN(want, "\n", 2)[0], ",") + 1
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		if cells := strings.Split(l, ","); len(cells) > n {
			lines[i] = strings.Join(cells[:n], ",")
		}
	}
	return strings.Join(lines, "\n")
}
