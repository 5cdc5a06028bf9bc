package dashboards_test

// The analysts' pages in Russian, in a real browser, on the demo data: the
// scorecard, pipeline, commissions and exports pages show Russian text, no
// catalogue key, numbers as Russian writes them; a sortable table sorts by a
// numeric column; chart text is at least 12 CSS px, at 1400 and at 390 px;
// and no page scrolls sideways at 390 px.
//
//	go test -count=1 -run UIAnalystInRussian ./dashboards/ -v

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"econdip/services/test/stacktest"
)

// pageCheck is what the test reads from each page once its figures are in.
type pageCheck struct {
	Lang      string   `json:"lang"`
	Text      string   `json:"text"`
	Keys      []string `json:"keys"`      // texts that look like catalogue keys
	MinFont   float64  `json:"minFont"`   // the smallest chart text, in CSS px as shown
	Charts    int      `json:"charts"`    // SVG charts with text
	ScrollW   int      `json:"scrollW"`   // document width
	Errors    []string `json:"errors"`    // error messages on the page
	SmallText []string `json:"smallText"` // chart texts under 12 px
	Wide      []string `json:"wide"`      // elements of main past the window's right edge (not scrolling in a box)
}

// readPage waits until the page's charts and tables are filled (no "Загрузка…" left) and reads it.
const readPage = `(() => {
	const main = document.querySelector("main");
	if (!main || document.querySelector("#focus[hidden]") && /[?&](sector|clause)=/.test(location.search)) return null;
	const loading = [...document.querySelectorAll("main .tile strong, main td, #records-summary")].some(e => /^…$|Загрузка…|Loading…/.test(e.textContent.trim()));
	const empty = [...document.querySelectorAll("main .chart")].some(c => !c.closest("[hidden]") && c.childElementCount === 0);
	if (loading || empty || document.querySelector("main .chart p.muted:only-child") && /Загрузка/.test(document.querySelector("main .chart").textContent)) return null;
	let min = 1e9, charts = 0; const small = [];
	for (const svg of document.querySelectorAll("main .chart svg, main .chart-box svg")) {
		const texts = [...svg.querySelectorAll("text")];
		if (!texts.length) continue;
		charts++;
		const vb = svg.viewBox.baseVal, scale = vb && vb.width ? svg.getBoundingClientRect().width / vb.width : 1;
		for (const t of texts) {
			const px = parseFloat(getComputedStyle(t).fontSize) * scale;
			if (px < min) min = px;
			if (px < 11.95) small.push(t.textContent + " " + px.toFixed(1) + "px");
		}
	}
	const text = main.innerText;
	return {lang: document.documentElement.lang, text, keys: (document.body.innerText.match(/\b(ui|js|error|enum)\.[a-z_]+\.[a-z_]+/g) || []),
		minFont: charts ? min : 0, charts, scrollW: document.documentElement.scrollWidth,
		errors: [...document.querySelectorAll("main .error")].map(e => e.textContent.trim()), smallText: small.slice(0, 5),
		wide: [...document.querySelectorAll("main, main *")].filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !e.parentElement.closest(".table-wrap, .chart"))
			.slice(0, 6).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && e.className.baseVal === undefined ? "." + e.className : "") + " " + Math.round(e.getBoundingClientRect().right) + "px")};
})()`

// openTranslated opens a page at width (first: with ?lang=, which a cookie
// remembers for the next pages), waits for its figures and checks what every
// translated page must: its <html lang>, no catalogue key, no error, and the
// texts want. It returns what it read and the page's name for messages.
func openTranslated(t *testing.T, b *browser, base, name, path, lang string, width int64, first bool, want []string) (pageCheck, string) {
	t.Helper()
	url := base + path
	if first {
		if strings.Contains(url, "?") {
			url += "&lang=" + lang
		} else {
			url += "?lang=" + lang
		}
	}
	b.do("open the "+name+" page", 10*time.Second, chromedp.Navigate(url))
	got := waitFor[pageCheck](b, "wait for the "+name+" page's figures", 20*time.Second, readPage)
	what := name + " at " + itoa(width) + " px"
	if got.Lang != lang {
		t.Errorf("%s: <html lang=%q>, want %s", what, got.Lang, lang)
	}
	if len(got.Keys) > 0 {
		t.Errorf("%s shows catalogue keys: %q", what, got.Keys)
	}
	if len(got.Errors) > 0 {
		t.Errorf("%s shows errors: %q", what, got.Errors)
	}
	for _, w := range want {
		if !strings.Contains(got.Text, w) {
			t.Errorf("%s does not show %q", what, w)
		}
	}
	return got, what
}

func TestUIAnalystInRussian(t *testing.T) {
	deadline, cancelAll := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancelAll()
	exe := chromium(t)
	base, tokens, ingested := startWithDemoData(t)
	stacktest.Eventually(t, 30*time.Second, "the demo data in ClickHouse", func() (bool, error) { return ingested(deadline), nil })
	b := startBrowser(t, deadline, exe, base)
	b.signIn(tokens["analyst"], "/analyst/scorecard")

	pages := []struct {
		name, path string
		want       []string // Russian texts the page must show
		charts     bool
	}{
		{"scorecard", "/analyst/scorecard", []string{"Показатели Концепции", "Приоритетные секторы", "Цель 2030"}, false},
		{"scorecard-sector", "/analyst/scorecard?sector=" + focusSector, []string{"динамика, цели и прогноз до 2030 года", "По годам"}, true},
		{"pipeline", "/analyst/pipeline", []string{"Воронка проектов по приоритетным секторам и этапам", "Взвешенная стоимость (USD)", "Конверсия и сроки до решения", "Медиана дней до решения"}, true},
		{"commissions", "/analyst/commissions", []string{"Межправительственные комиссии", "Доля исполнения по комиссиям", "Просроченные решения"}, true},
		{"exports", "/analyst/exports", []string{"Экспорт", "Стоимость заключённых сделок в ", "Доля несырьевого экспорта в ", "Стоимость по этапам"}, true},
		{"countries", "/analyst/countries", nil, false},
	}
	ruNumber := regexp.MustCompile(`\d\x{a0}\d{3},\d{2}`) // 1 234,56: no-break space groups, decimal comma
	for _, width := range []int64{1400, 390} {
		b.do("set the width", 5*time.Second, chromedp.EmulateViewport(width, 900))
		for i, p := range pages {
			got, what := openTranslated(t, b, base, p.name, p.path, "ru", width, i == 0 && width == 1400, p.want)
			if p.charts && (got.Charts == 0 || got.MinFont < 11.95) {
				t.Errorf("%s: %d charts, smallest chart text %.1f px, want at least 12 (%q)", what, got.Charts, got.MinFont, got.SmallText)
			}
			if width == 390 && got.ScrollW > 390 {
				t.Errorf("%s: the page is %d px wide: it scrolls sideways (past the edge: %q)", what, got.ScrollW, got.Wide)
			}
			if p.name == "pipeline" && width == 1400 && !ruNumber.MatchString(got.Text) {
				t.Errorf("the pipeline shows no amount written the Russian way (1 234,56)")
			}
			b.screenshot("analyst-ru-" + p.name + "-" + itoa(width))
		}
	}

	// A sortable table sorted by a numeric column: the pipeline's capex, ascending then descending.
	b.do("set the width", 5*time.Second, chromedp.EmulateViewport(1400, 900))
	b.do("open the pipeline", 10*time.Second, chromedp.Navigate(base+"/analyst/pipeline"))
	waitFor[bool](b, "wait for the pipeline table", 20*time.Second, `document.querySelectorAll("#table tbody tr").length > 2 || null`)
	// The conversion table below it, filled by its own request: years, and
	// rates written the Russian way (32,6 %).
	conv := waitFor[string](b, "wait for the conversion table", 20*time.Second, `document.querySelectorAll("#table-conversion tbody tr").length > 2 && document.querySelector("#table-conversion tbody").innerText || null`)
	if !regexp.MustCompile(`20\d\d\s+\d+\s+\d+\s+\d+(,\d)?\x{a0}%`).MatchString(conv) {
		t.Errorf("the conversion table does not read as years with counts and a Russian percentage: %q", conv)
	}
	type sorted struct {
		Sort  string    `json:"sort"`
		Keys  []float64 `json:"keys"`
		Shown []string  `json:"shown"`
	}
	read := `(() => { const th = document.querySelectorAll("#table thead th")[3];
		const rows = [...document.querySelectorAll("#table tbody tr")];
		return {sort: th.getAttribute("aria-sort"), keys: rows.map(r => Number(r.cells[3].dataset.sort)), shown: rows.slice(0, 3).map(r => r.cells[3].textContent)}; })()`
	for _, dir := range []string{"ascending", "descending"} {
		b.do("click the capex header", 5*time.Second, chromedp.Click(chromedp.CSS(`#table thead th:nth-child(4)`)))
		s := run(b, "read the sorted table", 5*time.Second, chromedp.Evaluate[sorted](read))
		ok := s.Sort == dir && len(s.Keys) > 2
		for i := 1; ok && i < len(s.Keys); i++ {
			ok = dir == "ascending" && s.Keys[i-1] <= s.Keys[i] || dir == "descending" && s.Keys[i-1] >= s.Keys[i]
		}
		if !ok {
			t.Errorf("after sorting by capex %s: aria-sort %q, keys %v", dir, s.Sort, s.Keys)
		}
		if dir == "descending" && len(s.Shown) > 0 && !ruNumber.MatchString(s.Shown[0]) {
			t.Errorf("the largest capex shows as %q, want it written the Russian way", s.Shown[0])
		}
	}

	// The CSV link has its Excel (ru/kk) twin: the same figure with a BOM,
	// ';' between fields and decimal commas, with the page's filters.
	type excelCSV struct {
		Href  string `json:"href"`
		BOM   bool   `json:"bom"`
		Head  string `json:"head"`
		Comma bool   `json:"comma"` // a number with a decimal comma in the rows
	}
	x := waitFor[excelCSV](b, "the Excel twin of the CSV link", 10*time.Second, `(() => {
		const twin = document.querySelector("#csv + .csv-excel, #csv ~ .csv-excel");
		if (!twin) return null;
		twin.dispatchEvent(new Event("mouseenter"));
		if (window.__excel) return window.__excel;
		window.__excel = null;
		fetch(twin.href).then(r => r.arrayBuffer()).then(buf => {
			const bytes = new Uint8Array(buf), text = new TextDecoder().decode(bytes);
			const lines = text.split(/\r?\n/);
			window.__excel = {href: twin.getAttribute("href"), bom: bytes[0] === 0xEF && bytes[1] === 0xBB && bytes[2] === 0xBF,
				head: lines[0], comma: lines.slice(1).some(l => /;-?\d+,\d+(;|$)/.test(l))};
		});
		return null;
	})()`)
	if !strings.Contains(x.Href, "format=excel") || !x.BOM || !strings.Contains(x.Head, ";") || strings.Contains(x.Head, ",") || !x.Comma {
		t.Errorf("the Excel (ru/kk) CSV: %+v; want format=excel, a BOM, ';' between fields and decimal commas", x)
	}
	b.noExceptions()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
