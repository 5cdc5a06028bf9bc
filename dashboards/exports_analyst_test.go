package dashboards_test

// The analysts' Exports and Trade barriers figures, end to end: deals and
// barriers are recorded through the exports API of a whole in-process stack,
// ingest projects them into ClickHouse, and the dashboard's JSON and CSV
// endpoints must give the values computed by hand below, within each user's
// scope.
//
//	go test -count=1 -run 'Export|Barrier' ./dashboards/ -v

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"econdip/services/exports/httpapi"
	"econdip/services/platform/reference"
	"econdip/services/test/stacktest"
)

// figuresBudget bounds the test, the stack's start included.
const figuresBudget = 30 * time.Second

// Valid BINs (see services/cmd/econdip/stack/exports_e2e_test.go for the hand computation).
const (
	figBINAluminium = "990340004592"
	figBINRefinery  = "050440001239"
	figBINOilfield  = "121140007770"
)

// figuresAPI records deals and barriers through the exports API.
type figuresAPI struct {
	t    *testing.T
	base string
}

func (a figuresAPI) call(method, path, token, body string, want int, out any) {
	a.t.Helper()
	r := stacktest.Do(a.t, method, a.base+path, token, body)
	if r.Status != want {
		a.t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
	}
	if out != nil {
		r.JSON(a.t, out)
	}
}

// deal creates a deal on HS code hs, worth amount of currency, sold to a
// buyer in the attaché's host country, and moves it through the stages in
// moves (each the JSON fields of one move, e.g. `"stage":"negotiating"`).
func (a figuresAPI) deal(token, bin, buyer, hs, amount, currency string, moves ...string) httpapi.DealJSON {
	a.t.Helper()
	var d httpapi.DealJSON
	a.call("POST", "/deals", token, fmt.Sprintf(`{"exporter_bin":%q,"buyer_country":%q,"buyer_name":"Buyer GmbH","hs_code":%q,
		"product":"export lot","value":{"amount":%q,"currency":%q},"support":["b2b_meeting"],"clauses":["2.7"]}`,
		bin, buyer, hs, amount, currency), http.StatusCreated, &d)
	for _, m := range moves {
		a.call("POST", "/deals/"+d.ID+"/stage", token, fmt.Sprintf(`{"version":%d,%s}`, d.Version, m), http.StatusOK, &d)
	}
	return d
}

// barrier reports a barrier on reportedOn (value: `"amount":..,"currency":..`
// or empty for none) and moves it through statuses, each "status@day".
func (a figuresAPI) barrier(token, country, typ, value, reportedOn string, statuses ...string) httpapi.BarrierJSON {
	a.t.Helper()
	stake := ""
	if value != "" {
		stake = `"value_at_stake":{` + value + `},`
	}
	var b httpapi.BarrierJSON
	a.call("POST", "/barriers", token, fmt.Sprintf(`{"country":%q,"hs_codes":["1001"],"type":%q,"title":"Barrier on Kazakh wheat",
		"description":"reported for the figures test",%s"lead_agency":"mti","clauses":["2.6"],"reported_on":%q}`, country, typ, stake, reportedOn),
		http.StatusCreated, &b)
	for _, st := range statuses {
		to, on, _ := strings.Cut(st, "@")
		a.call("POST", "/barriers/"+b.ID+"/status", token, fmt.Sprintf(`{"version":%d,"status":%q,"effective_on":%q,"comment":"per the ministry's note"}`,
			b.Version, to, on), http.StatusOK, &b)
	}
	return b
}

// figureBody is one figure's answer: status, body and content type.
func figureBody(t *testing.T, url, token string) (int, string, stacktest.Response) {
	t.Helper()
	r := stacktest.Do(t, "GET", url, token, "")
	body := string(r.Body)
	if r.Status == 200 && strings.Contains(url, ".csv") { // every CSV export opens with a BOM, for Excel
		if !strings.HasPrefix(body, "\ufeff") {
			t.Errorf("%s: the CSV does not start with a byte order mark", url)
		}
		body = strings.TrimPrefix(body, "\ufeff")
	}
	return r.Status, strings.ReplaceAll(body, "\r\n", "\n"), r
}

// kztColumns are the columns of the export and barrier CSVs in tenge and
// on the rates' age (issue 16): the hand computations of the figures in
// dollars leave them out (usdFigure); TestKZT* check them.
var kztColumns = map[string]bool{"value_kzt": true, "non_raw_kzt": true, "deals_stale_rate": true, "max_rate_age_days": true,
	"deals_rate_too_old": true, "committed_kzt": true, "open_value_at_stake_kzt": true, "open_stale_rate": true, "open_rate_too_old": true}

// usdFigure is figureBody with a CSV's kztColumns left out.
func usdFigure(t *testing.T, url, token string) (int, string, stacktest.Response) {
	t.Helper()
	status, body, r := figureBody(t, url, token)
	if status != 200 || !strings.Contains(url, ".csv") {
		return status, body, r
	}
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(records) == 0 {
		return status, body, r
	}
	var keep []int
	for i, h := range records[0] {
		if !kztColumns[h] {
			keep = append(keep, i)
		}
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	for _, rec := range records {
		row := make([]string, len(keep))
		for j, i := range keep {
			row[j] = rec[i]
		}
		_ = w.Write(row)
	}
	w.Flush()
	return status, b.String(), r
}

// csvLines joins CSV lines with the final newline encoding/csv writes.
func csvLines(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func TestAnalystExportAndBarrierFigures(t *testing.T) {
	start := time.Now()
	// The demo rates without RUB: a currency the forms accept (the National
	// Bank publishes it) whose rates this store lacks, so its amounts are "without rate".
	dir := t.TempDir()
	var noRUB []string
	for _, line := range strings.SplitAfter(string(reference.Default().DemoRatesCSV()), "\n") {
		if !strings.Contains(line, ",RUB,") {
			noRUB = append(noRUB, line)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "reference"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "reference", reference.RatesFile), []byte(strings.Join(noRUB, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	s := stacktest.StartWith(t, stacktest.Options{Dir: dir})
	api := figuresAPI{t: t, base: "http://" + s.ExportsAddr + "/api/v1"}
	dash := "http://" + s.DashboardAddr
	berlin, beijing := stacktest.Tokens["attache.de-berlin"], stacktest.Tokens["attache.cn-beijing"]
	analyst, admin, secretariat := stacktest.Tokens["analyst"], stacktest.Tokens["admin"], stacktest.Tokens["secretariat.igc-cn"]

	for _, bin := range []string{figBINAluminium, figBINRefinery, figBINOilfield} {
		api.call("POST", "/exporters", berlin, `{"bin":"`+bin+`","name":"Exporter `+bin+`","region":"KZ-55"}`, http.StatusCreated, nil)
	}
	// Deals, in USD unless said (USD converts 1:1; RUB has no rate in this
	// test's rates store). 760110 aluminium: non-ferrous metallurgy, non-raw;
	// 271012 light oils: petrochemistry, non-raw; 270900 crude: mining, raw.
	//   A Berlin 760110  1,000,000      contracted 2025-03-10
	//   B Berlin 270900  3,000,000      contracted 2025-05-20, shipped
	//   C Berlin 271012    500,000.50   contracted 2024-11-01
	//   D Berlin 760110  9,000,000 RUB  contracted 2025-06-01 (no rate)
	//   E Berlin 271012    200,000      opportunity (dated today)
	//   F Berlin 270900    700,000      lost (dated today)
	//   G Beijing 760110 2,000,000      contracted 2025-04-01, buyer CN
	negotiating := `"stage":"negotiating"`
	contracted := func(on string) string { return `"stage":"contracted","contract_date":"` + on + `"` }
	api.deal(berlin, figBINAluminium, "DE", "760110", "1000000", "USD", negotiating, contracted("2025-03-10"))
	api.deal(berlin, figBINOilfield, "DE", "270900", "3000000", "USD", negotiating, contracted("2025-05-20"), `"stage":"shipped"`)
	api.deal(berlin, figBINRefinery, "DE", "271012", "500000.50", "USD", negotiating, contracted("2024-11-01"))
	api.deal(berlin, figBINAluminium, "DE", "760110", "9000000", "RUB", negotiating, contracted("2025-06-01"))
	api.deal(berlin, figBINRefinery, "DE", "271012", "200000", "USD")
	api.deal(berlin, figBINOilfield, "DE", "270900", "700000", "USD", `"stage":"lost","lost_reason":"price"`)
	api.deal(beijing, figBINAluminium, "CN", "760110", "2000000", "USD", negotiating, contracted("2025-04-01"))
	// Barriers, days to resolve by hand: X 2025-01-10 → 2025-03-01 = 21 + 28 + 1 = 50;
	// Y 2025-06-01 → 2025-08-15 = 30 + 31 + 14 = 75; U 2024-01-15 → 2024-12-20 = 355 - 15 = 340 (2024 is a leap year).
	usd := func(amount string) string { return `"amount":"` + amount + `","currency":"USD"` }
	api.barrier(beijing, "CN", "sps", usd("25000000"), "2025-01-10", "verified@2025-01-20", "in_negotiation@2025-02-01", "resolved@2025-03-01")    // X
	api.barrier(beijing, "CN", "tariff", usd("4000000"), "2025-06-01", "verified@2025-06-02", "in_negotiation@2025-06-03", "resolved@2025-08-15")  // Y
	api.barrier(beijing, "CN", "sps", `"amount":"1000000","currency":"RUB"`, "2025-09-01")                                                         // Z: open, no rate
	api.barrier(berlin, "DE", "technical", usd("1500000"), "2024-05-05", "verified@2024-05-10")                                                    // W: open
	api.barrier(berlin, "DE", "tariff", "", "2024-02-01", "dormant@2024-03-01")                                                                    // V: no value, dormant
	api.barrier(berlin, "DE", "technical", usd("600000"), "2024-01-15", "verified@2024-01-20", "in_negotiation@2024-02-01", "resolved@2024-12-20") // U

	// Ingest makes them visible: wait for every deal's and barrier's last state.
	stagesCSV := csvLines("stage,deals,value_usd,non_raw_usd,deals_without_rate",
		"opportunity,1,200000.00,200000.00,0",
		"contracted,4,3500000.50,3500000.50,1",
		"shipped,1,3000000.00,0.00,0",
		"lost,1,700000.00,0.00,0")
	barriersCSV := csvLines("barriers,open,dormant,resolved,open_value_at_stake_usd,open_without_rate,median_days_to_resolve",
		"6,2,1,3,1500000.00,1,75.0")
	var last string
	stacktest.Eventually(t, figuresBudget-time.Since(start)-5*time.Second, "figures show every deal and barrier", func() (bool, error) {
		_, a, _ := usdFigure(t, dash+"/api/exports/stages.csv", analyst)
		_, b, _ := usdFigure(t, dash+"/api/barriers/summary.csv", analyst)
		last = a + b
		return a == stagesCSV && b == barriersCSV, nil
	})

	t.Run("exports CSV for the analyst, computed by hand", func(t *testing.T) {
		cases := []struct{ figure, want string }{
			// Committed (contracted, shipped, paid) in the latest year, 2025: A, B, G
			// with a rate, D without (C, 2024, is not in the headline: every
			// figure of it is of one year).
			{"summary", csvLines("committed_usd,committed_deals,deals_without_rate,year,non_raw_share,markets,products",
				"6000000.00,4,1,2025,0.5000,2,2")},
			{"stages", stagesCSV},
			{"sectors", csvLines("sector,sector_name,deals,value_usd,non_raw_usd,deals_without_rate",
				"mining,Mining,2,3700000.00,0.00,0",
				"non_ferrous_metallurgy,Non-ferrous metallurgy,3,3000000.00,3000000.00,1",
				"petrochemistry_refining,Petrochemistry and oil refining,2,700000.50,700000.50,0")},
			{"destinations", csvLines("buyer_country,buyer_country_name,deals,value_usd,non_raw_usd,deals_without_rate",
				"DE,Germany,6,5400000.50,1700000.50,1",
				"CN,China,1,2000000.00,2000000.00,0")},
			{"chapters", csvLines("hs_chapter,chapter_name,deals,value_usd,non_raw_usd,deals_without_rate",
				`27,"Mineral fuels, mineral oils and products of their distillation; bituminous substances; mineral waxes",4,4400000.50,700000.50,0`,
				"76,Aluminium and articles thereof,3,3000000.00,3000000.00,1")},
			// 2025: 3,000,000 non-raw (A, G) of 6,000,000 (A, B, G).
			{"non-raw", csvLines("year,deals,value_usd,non_raw_usd,deals_without_rate,non_raw_share",
				"2024,1,500000.50,500000.50,0,1.0000",
				"2025,4,6000000.00,3000000.00,1,0.5000")},
			{"markets-products", csvLines("year,deals,markets,products",
				"2024,1,1,1",
				"2025,4,2,2")},
			// 2025 markets: DE 4,000,000 (A+B), CN 2,000,000 (G): 10,000 × (16 + 4) / 36 = 5,555.56;
			// products: 7601 3,000,000 (A+G), 2709 3,000,000 (B): 10,000 × (9 + 9) / 36 = 5,000.
			{"concentration", csvLines("year,value_usd,markets,products,markets_hhi,products_hhi,deals_without_rate",
				"2024,500000.50,1,1,10000.00,10000.00,0",
				"2025,6000000.00,2,2,5555.56,5000.00,1")},
		}
		for _, c := range cases {
			status, body, r := usdFigure(t, dash+"/api/exports/"+c.figure+".csv", analyst)
			if status != 200 || body != c.want {
				t.Errorf("%s.csv: %d\n%s\nwant\n%s", c.figure, status, body, c.want)
			}
			if ct, cd := r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"); ct != "text/csv; charset=utf-8" || !strings.Contains(cd, "attachment") {
				t.Errorf("%s.csv: Content-Type %q, Content-Disposition %q", c.figure, ct, cd)
			}
		}
	})

	t.Run("exports JSON: decimal strings, nulls, the filter applied", func(t *testing.T) {
		var summary struct {
			Rows []struct {
				CommittedUSD string  `json:"committed_usd"`
				Share        *string `json:"non_raw_share"`
				Year         *int    `json:"year"`
				Markets      int     `json:"markets"`
			}
			Filter struct {
				Post   string   `json:"post"`
				Years  []int    `json:"years"`
				Stages []string `json:"stages"`
			}
		}
		stacktest.Do(t, "GET", dash+"/api/exports/summary", analyst, "").JSON(t, &summary)
		if h := summary.Rows[0]; h.CommittedUSD != "6000000" || h.Share == nil || *h.Share != "0.5" || h.Year == nil || *h.Year != 2025 || h.Markets != 2 {
			t.Errorf("summary: %+v", summary)
		}
		var conc struct {
			Rows []struct {
				Year        int     `json:"year"`
				ValueUSD    string  `json:"value_usd"`
				MarketsHHI  *string `json:"markets_hhi"`
				ProductsHHI *string `json:"products_hhi"`
			}
		}
		stacktest.Do(t, "GET", dash+"/api/exports/concentration?years=2025", analyst, "").JSON(t, &conc)
		if len(conc.Rows) != 1 || conc.Rows[0].ValueUSD != "6000000" || *conc.Rows[0].MarketsHHI != "5555.56" || *conc.Rows[0].ProductsHHI != "5000" {
			t.Errorf("concentration 2025: %+v", conc.Rows)
		}
		// Nothing committed in the filter: no year, no share, a zero sum.
		stacktest.Do(t, "GET", dash+"/api/exports/summary?sector=unassigned", analyst, "").JSON(t, &summary)
		if h := summary.Rows[0]; h.CommittedUSD != "0" || h.Share != nil || h.Year != nil {
			t.Errorf("summary of unassigned deals: %+v", summary)
		}
		stacktest.Do(t, "GET", dash+"/api/exports/stages?stage=shipped,paid&years=2025,2024", analyst, "").JSON(t, &summary)
		if f := summary.Filter; strings.Join(f.Stages, ",") != "shipped,paid" || fmt.Sprint(f.Years) != "[2024 2025]" || f.Post != "" {
			t.Errorf("filter echoed: %+v", f)
		}
	})

	t.Run("export filters", func(t *testing.T) {
		cases := []struct{ name, path, token, want string }{
			{"post", "summary.csv?post=cn-beijing", analyst, "2000000.00,1,0,2025,1.0000,1,1"},
			{"admin's post", "summary.csv?post=de-berlin", admin, "4000000.00,3,1,2025,0.2500,1,2"},
			{"year", "non-raw.csv?years=2024", analyst, "2024,1,500000.50,500000.50,0,1.0000"},
			{"sector", "stages.csv?sector=mining", analyst, "shipped,1,3000000.00,0.00,0\nlost,1,700000.00,0.00,0"},
			// Only B is shipped or paid: raw, so the share is 0.
			{"stages, repeated", "summary.csv?stage=shipped&stage=paid", analyst, "3000000.00,1,0,2025,0.0000,1,1"},
			{"buyer country, lower case", "destinations.csv?buyer_country=cn", analyst, "CN,China,1,2000000.00,2000000.00,0"},
			{"no match", "stages.csv?sector=unassigned", analyst, ""},
		}
		for _, c := range cases {
			status, body, _ := usdFigure(t, dash+"/api/exports/"+c.path, c.token)
			_, rows, _ := strings.Cut(body, "\n")
			if status != 200 || strings.TrimSuffix(rows, "\n") != c.want {
				t.Errorf("%s (%s): %d %q, want rows %q", c.name, c.path, status, rows, c.want)
			}
		}
	})

	t.Run("an attaché sees the own post only", func(t *testing.T) {
		berlinSummary := "4000000.00,3,1,2025,0.2500,1,2" // 2025's: the headline is of one year
		for _, path := range []string{"summary.csv", "summary.csv?post=cn-beijing"} {
			_, body, _ := usdFigure(t, dash+"/api/exports/"+path, berlin)
			if _, rows, _ := strings.Cut(body, "\n"); strings.TrimSuffix(rows, "\n") != berlinSummary {
				t.Errorf("Berlin's %s: %q, want %q", path, rows, berlinSummary)
			}
		}
		// Berlin: 2025 products 7601 1,000,000 (A), 2709 3,000,000 (B): 10,000 × (1 + 9) / 16 = 6,250.
		if _, body, _ := usdFigure(t, dash+"/api/exports/concentration.csv?post=cn-beijing&years=2025", berlin); !strings.HasSuffix(body, "\n2025,4000000.00,1,2,10000.00,6250.00,1\n") {
			t.Errorf("Berlin's concentration: %q", body)
		}
		_, body, _ := usdFigure(t, dash+"/api/exports/destinations.csv", beijing)
		if want := csvLines("buyer_country,buyer_country_name,deals,value_usd,non_raw_usd,deals_without_rate", "CN,China,1,2000000.00,2000000.00,0"); body != want {
			t.Errorf("Beijing sees Berlin's deals:\n%s", body)
		}
		var stages struct{ Filter struct{ Post string } }
		stacktest.Do(t, "GET", dash+"/api/exports/stages?post=de-berlin", beijing, "").JSON(t, &stages)
		if stages.Filter.Post != "cn-beijing" {
			t.Errorf("Beijing's filter: %+v", stages.Filter)
		}
		_, body, _ = usdFigure(t, dash+"/api/barriers/summary.csv?post=cn-beijing", berlin)
		if _, rows, _ := strings.Cut(body, "\n"); rows != "3,1,1,1,1500000.00,0,340.0\n" {
			t.Errorf("Berlin's barriers: %q", rows)
		}
	})

	t.Run("barriers CSV and JSON, computed by hand", func(t *testing.T) {
		cases := []struct{ path, want string }{
			{"summary.csv", barriersCSV},
			{"types.csv", csvLines("type,type_name,barriers,open,dormant,resolved,open_value_at_stake_usd,open_without_rate,median_days_to_resolve",
				"sps,Sanitary and phytosanitary,2,1,0,1,0.00,1,50.0",
				"tariff,Tariff,2,0,1,1,0.00,0,75.0",
				"technical,Technical regulation,2,1,0,1,1500000.00,0,340.0")},
			// CN: X 50 and Y 75 days, median (50 + 75) / 2 = 62.5.
			{"countries.csv", csvLines("country,country_name,barriers,open,dormant,resolved,open_value_at_stake_usd,open_without_rate,median_days_to_resolve",
				"CN,China,3,1,0,2,0.00,1,62.5",
				"DE,Germany,3,1,1,1,1500000.00,0,340.0")},
			{"resolved.csv", csvLines("year,resolved,median_days_to_resolve",
				"2024,1,340.0",
				"2025,2,62.5")},
			{"summary.csv?type=sps", csvLines("barriers,open,dormant,resolved,open_value_at_stake_usd,open_without_rate,median_days_to_resolve",
				"2,1,0,1,0.00,1,50.0")},
			{"summary.csv?country=de", csvLines("barriers,open,dormant,resolved,open_value_at_stake_usd,open_without_rate,median_days_to_resolve",
				"3,1,1,1,1500000.00,0,340.0")},
		}
		for _, c := range cases {
			if status, body, _ := usdFigure(t, dash+"/api/barriers/"+c.path, analyst); status != 200 || body != c.want {
				t.Errorf("%s: %d\n%s\nwant\n%s", c.path, status, body, c.want)
			}
		}
		var countries struct {
			Rows []struct {
				Country string  `json:"country"`
				Name    string  `json:"country_name"`
				Value   string  `json:"open_value_at_stake_usd"`
				Median  *string `json:"median_days_to_resolve"`
			}
		}
		stacktest.Do(t, "GET", dash+"/api/barriers/countries", analyst, "").JSON(t, &countries)
		if r := countries.Rows; len(r) != 2 || r[0].Name != "China" || *r[0].Median != "62.5" || r[1].Value != "1500000" || *r[1].Median != "340" {
			t.Errorf("countries: %+v", countries.Rows)
		}
		var none struct {
			Rows []struct {
				Median *string `json:"median_days_to_resolve"`
				Value  string  `json:"open_value_at_stake_usd"`
			}
		}
		stacktest.Do(t, "GET", dash+"/api/barriers/summary?type=discrimination", analyst, "").JSON(t, &none)
		if len(none.Rows) != 1 || none.Rows[0].Median != nil || none.Rows[0].Value != "0" {
			t.Errorf("no barrier of a type: %+v", none.Rows)
		}
	})

	t.Run("bad filters are refused field by field; other roles are refused", func(t *testing.T) {
		cases := []struct {
			name, path, token string
			status            int
			field, code       string
		}{
			{"year not a number", "/api/exports/summary?years=2025,20x5", analyst, 400, "years", "error.year"},
			{"year out of range", "/api/exports/non-raw.csv?years=1999", analyst, 400, "years", "error.year"},
			{"unknown stage", "/api/exports/stages?stage=won", analyst, 400, "stage", "error.unknown_stage"},
			{"unknown post", "/api/exports/stages?post=xx-nowhere", analyst, 400, "post", "error.unknown_post_filter"},
			{"unknown sector", "/api/exports/sectors?sector=spaceflight", analyst, 400, "sector", "error.unknown_sector"},
			{"unknown buyer country", "/api/exports/destinations?buyer_country=XX", analyst, 400, "buyer_country", "error.unknown_country"},
			{"unknown barrier type", "/api/barriers/types?type=quota", analyst, 400, "type", "error.one_of"},
			{"unknown barrier country", "/api/barriers/summary?country=ZZ", analyst, 400, "country", "error.unknown_country"},
			{"secretariat, exports", "/api/exports/summary", secretariat, 403, "", ""},
			{"secretariat, exports CSV", "/api/exports/stages.csv", secretariat, 403, "", ""},
			{"secretariat, barriers", "/api/barriers/summary", secretariat, 403, "", ""},
			{"no token", "/api/exports/summary", "", 401, "", ""},
			{"unknown figure", "/api/exports/profits", analyst, 404, "", ""},
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
			{"analyst's exports", "/analyst/exports?years=2025&stage=contracted", analyst, 200,
				[]string{`id="chart-stages"`, `<select name="post">`, `value="contracted" checked`, `value="2025"`, `/static/exports.js`, `data-figure="concentration"`}, nil},
			{"attaché's exports", "/analyst/exports?post=cn-beijing", berlin, 200, []string{`id="locked-post">Berlin<`}, []string{`<select name="post">`}},
			{"bad year on the page", "/analyst/exports?years=20x5", analyst, 400,
				[]string{`id="err-years"`, "&#34;20x5&#34; is not a year"}, []string{`/static/exports.js`}},
			{"secretariat's exports", "/analyst/exports", secretariat, 403, []string{"Your role may not read export deals and trade barriers."}, []string{`/static/exports.js`}},
			{"analyst's barriers", "/analyst/barriers?type=sps", analyst, 200, []string{`id="chart-types"`, `value="sps" selected`, `/static/barriers.js`}, nil},
			{"bad type on the page", "/analyst/barriers?type=quota", admin, 400, []string{`id="err-type"`}, []string{`/static/barriers.js`}},
		}
		for _, c := range cases {
			status, body, _ := usdFigure(t, dash+c.path, c.token)
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

	// Issue 16: the CSVs carry both units and the rates' age; ?in=KZT
	// chooses the unit the pages show (kept in the URL), a bad unit is a field error.
	t.Run("KZT: both units in the CSVs, the unit switch in the URL", func(t *testing.T) {
		heads := map[string]string{
			"/api/exports/stages.csv":        "stage,deals,value_usd,non_raw_usd,deals_without_rate,value_kzt,non_raw_kzt,deals_stale_rate,max_rate_age_days,deals_rate_too_old",
			"/api/exports/summary.csv":       "committed_usd,committed_deals,deals_without_rate,year,non_raw_share,markets,products,committed_kzt,deals_stale_rate,max_rate_age_days,deals_rate_too_old",
			"/api/barriers/summary.csv":      "barriers,open,dormant,resolved,open_value_at_stake_usd,open_without_rate,median_days_to_resolve,open_value_at_stake_kzt,open_stale_rate,max_rate_age_days,open_rate_too_old",
			"/api/pipeline.csv":              "sector,stage,leads,capex_usd,weighted_capex_usd,leads_without_rate,capex_kzt,weighted_capex_kzt,leads_stale_rate,max_rate_age_days,leads_rate_too_old",
			"/api/exports/stages.csv?in=KZT": "stage,deals,value_usd,non_raw_usd,deals_without_rate,value_kzt,non_raw_kzt,deals_stale_rate,max_rate_age_days,deals_rate_too_old",
		}
		for path, want := range heads {
			status, body, _ := figureBody(t, dash+path, analyst)
			if head, _, _ := strings.Cut(body, "\n"); status != 200 || head != want {
				t.Errorf("%s: %d, header %q, want %q", path, status, head, want)
			}
		}
		var summary struct {
			In   string `json:"in"`
			Rows []struct {
				CommittedUSD string `json:"committed_usd"`
				CommittedKZT string `json:"committed_kzt"`
			}
			RateLimits struct {
				StaleDays int `json:"stale_days"`
			} `json:"rate_limits"`
		}
		stacktest.Do(t, "GET", dash+"/api/exports/summary?in=KZT", analyst, "").JSON(t, &summary)
		if summary.In != "KZT" || len(summary.Rows) != 1 || summary.Rows[0].CommittedKZT == "" || summary.Rows[0].CommittedKZT == "0" ||
			summary.Rows[0].CommittedKZT == summary.Rows[0].CommittedUSD || summary.RateLimits.StaleDays == 0 {
			t.Errorf("summary in KZT: %+v", summary)
		}
		for _, path := range []string{"/api/exports/stages?in=EUR", "/api/barriers/summary?in=EUR", "/api/pipeline?in=EUR"} {
			if status, body, _ := figureBody(t, dash+path, analyst); status != 400 || !strings.Contains(body, `"field":"in"`) {
				t.Errorf("%s: %d %s", path, status, body)
			}
		}
		pages := map[string][]string{
			"/analyst/exports?years=2025&in=KZT": {`id="unit-switch"`, `<strong aria-current="true">KZT</strong>`, `<input type="hidden" name="in" value="KZT">`,
				`href="/analyst/exports?years=2025"`, "Value KZT", `id="rule-rates"`},
			"/analyst/exports":         {`<strong aria-current="true">USD</strong>`, `href="/analyst/exports?in=KZT"`, "Value USD"},
			"/analyst/barriers?in=KZT": {`<strong aria-current="true">KZT</strong>`, "At stake KZT (open)", "At a stale rate"},
			"/analyst/pipeline?in=KZT": {`<strong aria-current="true">KZT</strong>`, "Capex KZT", "Weighted capex (KZT)", `<input type="hidden" name="in" value="KZT">`},
		}
		for path, has := range pages {
			status, body, _ := figureBody(t, dash+path, analyst)
			if status != 200 {
				t.Errorf("%s: %d", path, status)
			}
			for _, h := range has {
				if !strings.Contains(body, h) {
					t.Errorf("%s lacks %s", path, h)
				}
			}
		}
	})

	if t.Failed() {
		t.Logf("last figures seen while waiting:\n%s", last)
	}
	if d := time.Since(start); d > figuresBudget {
		t.Errorf("the test took %s, more than its budget of %s", d, figuresBudget)
	}
}
