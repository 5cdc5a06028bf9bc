package dashboards_test

// CSV for Excel users: every export opens with a byte order mark, plain
// CSV stays for tools, the Excel format writes ';' and decimal commas with
// headers in the reader's language; a protocol saved by Excel in Russian
// settings imports as its plain twin does.
//
//	go test -count=1 -run 'CSVExports|ExcelProtocol' ./dashboards/

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"econdip/services/commissions/httpapi"
	"econdip/services/test/stacktest"
)

func TestCSVExportsOpenWithABOMAndComeInThreeFormats(t *testing.T) {
	s := stacktest.Start(t)
	setupCommission(t, s)
	base := "http://" + s.DashboardAddr
	analyst, admin, sec := stacktest.Tokens["analyst"], stacktest.Tokens["admin"], stacktest.Tokens["secretariat.igc-cn"]
	type export struct{ path, token string }
	var exports []export
	add := func(token string, paths ...string) {
		for _, p := range paths {
			exports = append(exports, export{p, token})
		}
	}
	add(analyst, "/api/pipeline.csv", "/api/conversion.csv", "/api/countries/overview.csv", "/api/scorecard/rows.csv?year=2025", "/api/scorecard/targets.csv",
		"/api/scorecard/records.csv?scope=sector&code=machine_building&metric=investment_committed_usd&year=2025")
	for _, f := range []string{"execution", "agencies", "years", "overdue", "late", "sectors", "clauses", "investment", "decision-leads"} {
		add(analyst, "/api/commissions/"+f+".csv")
	}
	for _, f := range []string{"summary", "stages", "sectors", "destinations", "chapters", "non-raw", "markets-products", "concentration"} {
		add(analyst, "/api/exports/"+f+".csv")
	}
	for _, f := range []string{"summary", "types", "countries", "resolved"} {
		add(analyst, "/api/barriers/"+f+".csv")
	}
	for _, f := range []string{"summary", "years", "pipeline", "leads", "deal-stages", "deal-sectors", "deals", "barrier-types", "barriers", "commissions", "overdue"} {
		add(analyst, "/api/countries/"+f+".csv?country=CN")
	}
	for _, by := range []string{"chapter", "partner", "month", "total"} {
		add(analyst, "/api/trade/"+by+".csv?from=2026-01&to=2026-12")
	}
	add(admin, "/api/audit.csv?from="+day(-1)+"&to="+day(1))
	add(sec, "/secretariat/register.csv", "/secretariat/protocols/template.csv")

	with := func(path, q string) string {
		if strings.Contains(path, "?") {
			return path + "&" + q
		}
		return path + "?" + q
	}
	for _, e := range exports {
		def := stacktest.Do(t, "GET", base+e.path, e.token, "")
		plain := stacktest.Do(t, "GET", base+with(e.path, "format=plain"), e.token, "")
		noBOM := stacktest.Do(t, "GET", base+with(e.path, "bom=0"), e.token, "")
		excel := stacktest.Do(t, "GET", base+with(e.path, "format=excel&lang=ru"), e.token, "")
		for _, r := range []stacktest.Response{def, plain, noBOM, excel} {
			if r.Status != http.StatusOK {
				t.Fatalf("%s: %d %s", e.path, r.Status, r.Body)
			}
		}
		head := func(r stacktest.Response) string { h, _, _ := strings.Cut(string(r.Body), "\n"); return h }
		switch {
		case !strings.HasPrefix(string(def.Body), "\ufeff"):
			t.Errorf("%s does not open with a byte order mark: %.60q", e.path, def.Body)
		case strings.HasPrefix(string(plain.Body), "\ufeff") || strings.HasPrefix(string(noBOM.Body), "\ufeff"):
			t.Errorf("%s: format=plain or bom=0 still has the mark", e.path)
		case !strings.HasPrefix(string(excel.Body), "\ufeff"):
			t.Errorf("%s: the Excel file has no mark", e.path)
		case strings.Contains(head(excel), ","): // a label with a comma would make the header read both ways on import
			t.Errorf("%s: the Excel header %q has a comma", e.path, head(excel))
		case strings.Count(head(excel), ";") != strings.Count(head(plain), ","):
			t.Errorf("%s: the Excel header %q has not the columns of the plain one %q", e.path, head(excel), head(plain))
		case head(excel) == "\ufeff"+strings.ReplaceAll(head(plain), ",", ";"):
			t.Errorf("%s: the Excel header for a Russian reader is in English: %q", e.path, head(excel))
		}
		plainCols, excelCols := strings.Split(head(plain), ","), strings.Split(strings.TrimPrefix(head(excel), "\ufeff"), ";")
		for i := range min(len(plainCols), len(excelCols)) {
			if plainCols[i] == excelCols[i] {
				t.Errorf("%s: column %q has no Russian label (csv.col.%s)", e.path, plainCols[i], plainCols[i])
			}
		}
		if !strings.Contains(string(def.Header.Get("Content-Disposition")), ".csv") {
			t.Errorf("%s: Content-Disposition %q", e.path, def.Header.Get("Content-Disposition"))
		}
	}
	// Only numeric columns take the decimal comma: a clause stays 2.2.
	r := stacktest.Do(t, "GET", base+"/api/scorecard/rows.csv?year=2025&scope=clause&format=excel&lang=kk", analyst, "")
	lines := strings.Split(strings.TrimPrefix(string(r.Body), "\ufeff"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "Аясы;Код;") || !strings.HasPrefix(lines[1], "clause;2.") {
		t.Fatalf("scorecard rows for Excel in Kazakh:\n%.400s", r.Body)
	}
	cells := strings.Split(lines[1], ";")
	if expected := cells[9]; expected != "" && (!strings.Contains(expected, ",") || strings.Contains(expected, ".")) { // expected_to_date, 2 places
		t.Errorf("the expected value %q is not written with a decimal comma: %s", expected, lines[1])
	}
	if r := stacktest.Do(t, "GET", base+"/api/pipeline.csv?format=xlsx", analyst, ""); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"format"`) {
		t.Errorf("an unknown format: %d %s", r.Status, r.Body)
	}
}

// The done-when test of the import: a protocol saved by Excel with Russian
// settings (BOM, ';', decimal commas, day.month.year, CRLF, the Russian
// header of the template) records the same decisions as its plain twin.
func TestExcelProtocolImportsAsItsPlainTwin(t *testing.T) {
	s := stacktest.Start(t)
	setupCommission(t, s)
	base := "http://" + s.DashboardAddr
	tok := stacktest.Tokens["secretariat.igc-cn"]
	dd := func(offset int) string { // day(offset) as Excel in Russian settings writes it
		d := day(offset)
		return d[8:10] + "." + d[5:7] + "." + d[0:4]
	}
	plain := "item,text,agencies,deadline,sector,clauses,value,currency\n" +
		`1,"Open a trade house in Urumqi; ""Silk Road"" brand",mti;qaztrade,` + day(30) + ",,2.7,1250000.50,USD\n" +
		"2,Feasibility study of a joint venture,kazakh-invest," + day(60) + ",machine_building,2.2;2.3,35000000,EUR\n" +
		"3,Phytosanitary protocol for wheat bran,moa," + day(90) + ",agro_industrial,2.7,,\n"
	excel := "\ufeffПункт протокола;Текст решения;Государственные органы;Срок;Сектор (код);Пункты Концепции;Стоимость;Валюта\r\n" +
		`1;"Open a trade house in Urumqi; ""Silk Road"" brand";"mti;qaztrade";` + dd(30) + ";;2,7;1\u00a0250\u00a0000,50;USD\r\n" +
		"2;Feasibility study of a joint venture;kazakh-invest;" + dd(60) + ";machine_building;\"2.2;2.3\";35000000;EUR\r\n" +
		"3;Phytosanitary protocol for wheat bran;moa;" + dd(90) + ";agro_industrial;2,7;;\r\n"

	record := func(number, key, file, readAs string) []httpapi.DecisionJSON {
		t.Helper()
		status, body, loc := postForm(t, base+"/secretariat/protocols", tok,
			map[string]string{"idempotency_key": key, "number": number, "date": day(-1), "place": "Astana"}, file)
		if status != http.StatusSeeOther || !strings.Contains(loc, "recorded=3") || !strings.Contains(loc, "csv="+readAs) {
			t.Fatalf("session %s: %d %s\n%s", number, status, loc, body)
		}
		// The register says how the file was read.
		_, page := get(t, base+loc+"&lang=ru", tok)
		want := map[string]string{"semicolon": "Файл прочитан как разделённый «;» с десятичной запятой.", "comma": "Файл прочитан как разделённый «,» с десятичной точкой."}[readAs]
		if !strings.Contains(page, want) {
			t.Errorf("the register does not say how the file was read (%q)", want)
		}
		r := stacktest.Do(t, "GET", "http://"+s.CommissionsAddr+"/api/v1/commissions/igc-cn/decisions", tok, "")
		var l struct{ Decisions []httpapi.DecisionJSON }
		if err := json.Unmarshal(r.Body, &l); err != nil {
			t.Fatal(err)
		}
		var out []httpapi.DecisionJSON
		for _, d := range l.Decisions {
			if n := strings.TrimSpace(number); d.SessionNumber == sessionNumber(n) {
				out = append(out, d)
			}
		}
		slices.SortFunc(out, func(a, b httpapi.DecisionJSON) int { return strings.Compare(a.Item, b.Item) })
		return out
	}
	a := record("12", "plain-1", plain, "comma")
	b := record("13", "excel-1", excel, "semicolon")
	if len(a) != 3 || len(b) != 3 {
		t.Fatalf("recorded %d and %d decisions, want 3 and 3", len(a), len(b))
	}
	same := func(d httpapi.DecisionJSON) string {
		v := ""
		if d.Value != nil {
			v = string(d.Value.Amount) + " " + d.Value.Currency
		}
		return strings.Join([]string{d.Item, d.Text, strings.Join(d.Agencies, ";"), d.Deadline, d.Sector, strings.Join(d.Clauses, ";"), v}, " | ")
	}
	for i := range a {
		if same(a[i]) != same(b[i]) {
			t.Errorf("decision %d\nplain: %s\nexcel: %s", i+1, same(a[i]), same(b[i]))
		}
	}
	if !strings.Contains(same(b[0]), "1250000.5") || !strings.Contains(same(b[0]), `""`) && !strings.Contains(b[0].Text, `"Silk Road"`) {
		t.Errorf("the Excel row read as %s", same(b[0]))
	}

	// An ambiguous value is an error on its line and column, not a guess.
	status, body, _ := postForm(t, base+"/secretariat/protocols?lang=ru", tok,
		map[string]string{"idempotency_key": "excel-2", "number": "14", "date": day(-1), "place": "Astana"},
		"\ufefftext;agencies;deadline;clauses;value\r\nx;mti;"+dd(10)+";2.2;1,234\r\n")
	if status != http.StatusBadRequest || !strings.Contains(body, `data-field="rows[2].value"`) || !strings.Contains(body, "Строка 2, столбец «Стоимость»") {
		t.Errorf("an ambiguous 1,234: %d\n%s", status, body)
	}
}

func sessionNumber(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}
