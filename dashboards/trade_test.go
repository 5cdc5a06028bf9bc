package dashboards_test

// Realised trade over HTTP: an administrator imports the July 2026 BNS file
// through the upload form (twice: it counts once), a wrong file is refused
// naming its line and column, and the analysts' page and CSV set the
// statistics against a deal recorded through the exports API.
//
//	go test -count=1 -run Trade ./dashboards/ -v

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"econdip/services/test/stacktest"
	"econdip/services/tradestats"
)

// upload posts files to an administrators' import form as multipart, each
// under the form's field name, the answer in English.
func upload(t *testing.T, url, token, field string, files map[string][]byte) stacktest.Response {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for name, data := range files {
		part, err := w.CreateFormFile(field, name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = part.Write(data)
	}
	_ = w.Close()
	return stacktest.Do(t, "POST", url, token, b.String(), "Content-Type", w.FormDataContentType(), "Accept-Language", "en")
}

func TestTradeImportAndComparison(t *testing.T) {
	start := time.Now()
	s := stacktest.Start(t)
	dash := "http://" + s.DashboardAddr
	api := figuresAPI{t: t, base: "http://" + s.ExportsAddr + "/api/v1"}
	admin, analyst, berlin := stacktest.Tokens["admin"], stacktest.Tokens["analyst"], stacktest.Tokens["attache.de-berlin"]

	// Only administrators import; only analysts and administrators read.
	if r := upload(t, dash+"/admin/trade", analyst, "file", map[string][]byte{"x.csv": tradestats.DemoFile}); r.Status != http.StatusForbidden {
		t.Fatalf("an analyst's upload: %d", r.Status)
	}
	if r := stacktest.Do(t, "GET", dash+"/analyst/trade", berlin, ""); r.Status != http.StatusForbidden {
		t.Fatalf("an attaché's page: %d", r.Status)
	}

	// A wrong file is refused whole, naming its line and column.
	bad := []byte("date,item_code,hs_chapter,value_thousand_usd\n2026-06-01,HS01,01,5\n2026-06-01,HS02,02,\"1,5\"\n")
	r := upload(t, dash+"/admin/trade", admin, "file", map[string][]byte{"june.csv": bad})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "rows[3].value_thousand_usd") || !strings.Contains(string(r.Body), "june.csv") {
		t.Fatalf("a wrong file: %d %.2000s", r.Status, r.Body)
	}

	for round := range 2 {
		r := upload(t, dash+"/admin/trade", admin, "file", map[string][]byte{tradestats.DemoFileName: tradestats.DemoFile})
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `id="imported"`) {
			t.Fatalf("import %d: %d %.2000s", round+1, r.Status, r.Body)
		}
		if replaced := strings.Contains(string(r.Body), "replaces "+tradestats.DemoFileName); replaced != (round == 1) {
			t.Fatalf("import %d names a replaced import: %v", round+1, replaced)
		}
	}

	// A Berlin deal in July 2026: aluminium (chapter 76), 1,000,000 USD, contracted.
	api.call("POST", "/exporters", berlin, `{"bin":"`+figBINAluminium+`","name":"Aluminium exporter","region":"KZ-55"}`, http.StatusCreated, nil)
	api.deal(berlin, figBINAluminium, "DE", "760110", "1000000", "USD", `"stage":"negotiating"`, `"stage":"contracted","contract_date":"2026-07-10"`)

	// Realised July 2026: 10,169,912,737.56 USD (the lines' exact sum, to the
	// cent); chapter 76: 72,853.66431999997 thousand USD = 72,853,664.32 USD,
	// which the deal covers to 1,000,000 / 72,853,664.32 = 0.013726... = 1.37 %.
	want := "all,Total,10169912737.56,"
	var body string
	stacktest.Eventually(t, 30*time.Second-time.Since(start), "the deal reaches the comparison", func() (bool, error) {
		_, body, _ = figureBody(t, dash+"/api/trade/total.csv?from=2026-07&to=2026-07", analyst)
		return strings.Contains(body, want) && strings.Contains(body, ",1,1000000.00,0,0.00,0,0.00,1000000.00,0,"), nil
	})
	status, chapters, _ := figureBody(t, dash+"/api/trade/chapter.csv?from=2026-07&to=2026-07&chapter=76", analyst)
	if status != 200 || !strings.Contains(chapters, "76,76 Aluminium and articles thereof,72853664.32,") || !strings.Contains(chapters, ",0.0137,") {
		t.Fatalf("chapter 76: %d\n%s", status, chapters)
	}

	// The CSV carries USD and KZT: chapter 76's realised KZT is its exact
	// 72,853,664.31999997 USD at the KZT per USD in force on 2026-07-31 (the
	// rate the JSON reports for July), rounded to the cent.
	_, js, _ := figureBody(t, dash+"/api/trade/chapter?from=2026-07&to=2026-07&chapter=76", analyst)
	var fig struct {
		MonthRates []struct {
			Month     string          `json:"month"`
			KZTPerUSD decimal.Decimal `json:"kzt_per_usd"`
			RateDay   time.Time       `json:"rate_day"`
			Found     bool            `json:"found"`
		} `json:"month_rates"`
	}
	if err := json.Unmarshal([]byte(js), &fig); err != nil || len(fig.MonthRates) != 1 || fig.MonthRates[0].Month != "2026-07" || !fig.MonthRates[0].Found ||
		fig.MonthRates[0].RateDay.After(time.Date(2026, 7, 31, 0, 0, 0, 0, time.UTC)) || !fig.MonthRates[0].KZTPerUSD.IsPositive() {
		t.Fatalf("July's rate: %v %.1000s", err, js)
	}
	wantKZT := decimal.RequireFromString("72853664.31999997").Mul(fig.MonthRates[0].KZTPerUSD).Round(2).StringFixed(2)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(chapters, "\ufeff"))).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("chapter CSV: %v\n%s", err, chapters)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	if row := recs[1]; row[col["realised_usd"]] != "72853664.32" || row[col["realised_kzt"]] != wantKZT || row[col["deals_kzt"]] == "0.00" || row[col["deals_usd"]] != "1000000.00" {
		t.Errorf("chapter 76 in USD and KZT: %v %v (want realised_kzt %s)", recs[0], row, wantKZT)
	}
	// In KZT, the page says the rule and July's rate, and shows tenge.
	r = stacktest.Do(t, "GET", dash+"/analyst/trade?from=2026-07&to=2026-07&in=KZT", analyst, "", "Accept-Language", "en")
	if page := string(r.Body); r.Status != 200 || !strings.Contains(page, `id="kzt-rule"`) || !strings.Contains(page, `data-month="2026-07"`) ||
		!strings.Contains(page, `<strong aria-current="true">KZT</strong>`) || strings.Contains(page, `id="months-without-rate"`) {
		t.Errorf("the page in KZT: %d %.3000s", r.Status, page)
	}

	// The page, in Russian, says where its figures come from.
	r = stacktest.Do(t, "GET", dash+"/analyst/trade?from=2026-07&to=2026-07&lang=ru", analyst, "", "Accept-Language", "ru")
	page := string(r.Body)
	if r.Status != 200 || !strings.Contains(page, "Бюро национальной статистики") || !strings.Contains(page, tradestats.DemoFileName) || !strings.Contains(page, `id="trade-total"`) {
		t.Fatalf("page: %d %.3000s", r.Status, page)
	}
	// Its CSV link carries the page's filter as query parameters.
	if !strings.Contains(page, `href="/api/trade/chapter.csv?from=2026-07&amp;to=2026-07"`) {
		t.Errorf("the CSV link does not carry the filter: %s", regexp.MustCompile(`href="/api/trade/[^"]*"`).FindString(page))
	}
	// Bad filters are named, not guessed at.
	if r := stacktest.Do(t, "GET", dash+"/analyst/trade?from=2026-13", analyst, ""); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `id="err-from"`) {
		t.Fatalf("a bad month: %d", r.Status)
	}
}
