package dashboards_test

// The partner-country and trade barriers pages in Kazakh, in a real browser,
// on the demo data: Kazakh text, <html lang="kk">, no catalogue key, names
// not codes, numbers written the Kazakh way, every list a sortable table in
// its scrolling box, CSV links that download, chart text of at least 12 px,
// and no sideways scrolling at 390 px.
//
//	go test -count=1 -run UICountryAndBarriersInKazakh ./dashboards/ -v

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"econdip/services/test/stacktest"
)

func TestUICountryAndBarriersInKazakh(t *testing.T) {
	deadline, cancelAll := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancelAll()
	exe := chromium(t)
	base, tokens, ingested := startWithDemoData(t)
	stacktest.Eventually(t, 30*time.Second, "the demo data in ClickHouse", func() (bool, error) { return ingested(deadline), nil })
	b := startBrowser(t, deadline, exe, base)
	b.signIn(tokens["analyst"], "/analyst/scorecard")

	pages := []struct {
		name, path string
		want       []string // Kazakh texts the page must show
		numbers    *regexp.Regexp
	}{
		{"countries", "/analyst/countries", []string{"Барлық серіктес елдер", "Қытай", "Ашық кедергілер"}, nil},
		{"country", "/analyst/countries?country=CN", []string{"Қытай", "Қабылданған инвестициялар", "Жылдар бойынша", "Инвестициялық жобалар",
			"Ел енгізген сауда кедергілері", "Үкіметаралық комиссиялар", "Мерзімі өткен шешімдер", "жобалар: "},
			regexp.MustCompile(`\d[\x{a0}\x{202f}]\d{3},\d{2}`)}, // 1 234,56: no-break space groups, decimal comma
		{"barriers", "/analyst/barriers", []string{"Сауда кедергілері", "Қатердегі құн", "Кедергілер түрлері бойынша",
			"Санитариялық және фитосанитариялық шаралар", "ашық: "}, regexp.MustCompile(`\d,\d{2}`)},
	}
	// Codes that must show as names: barrier types and statuses, stages.
	codes := regexp.MustCompile(`\b(sps|tariff|technical|in_negotiation|resolved_partly|non_raw|on_hold|contracted|negotiating)\b`)
	// tables: every table of the page sits in a .table-wrap and sorts.
	const tables = `[...document.querySelectorAll("main table")].filter(t => !t.closest(".table-wrap") || !t.classList.contains("sortable")).map(t => t.id)`
	for _, width := range []int64{1400, 390} {
		b.do("set the width", 5*time.Second, chromedp.EmulateViewport(width, 900))
		for i, p := range pages {
			got, what := openTranslated(t, b, base, p.name, p.path, "kk", width, i == 0 && width == 1400, p.want)
			if m := codes.FindAllString(got.Text, 5); len(m) > 0 {
				t.Errorf("%s shows codes instead of names: %q", what, m)
			}
			if p.numbers != nil && !p.numbers.MatchString(got.Text) {
				t.Errorf("%s shows no number written the Kazakh way (%s)", what, p.numbers)
			}
			if p.name != "countries" && (got.Charts == 0 || got.MinFont < 11.95) {
				t.Errorf("%s: %d charts, smallest chart text %.1f px, want at least 12 (%q)", what, got.Charts, got.MinFont, got.SmallText)
			}
			if width == 390 && got.ScrollW > 390 {
				t.Errorf("%s: the page is %d px wide: it scrolls sideways (past the edge: %q)", what, got.ScrollW, got.Wide)
			}
			if bad := run(b, "check the tables", 5*time.Second, chromedp.Evaluate[[]string](tables)); len(bad) > 0 {
				t.Errorf("%s: tables not sortable in a .table-wrap: %q", what, bad)
			}
			b.screenshot("country-kk-" + p.name + "-" + itoa(width))
		}
	}

	// The CSV links download CSV (of the country's barriers, and of the barriers page's summary).
	for _, p := range []struct{ page, figure string }{{"/analyst/countries?country=CN", "barriers"}, {"/analyst/barriers", "summary"}} {
		b.do("open "+p.page, 10*time.Second, chromedp.Navigate(base+p.page))
		got := waitFor[string](b, "download the "+p.figure+" CSV", 10*time.Second, `(() => {
			if (window.csvText !== undefined) return window.csvText;
			const a = document.querySelector('a.csv[data-figure="`+p.figure+`"]');
			if (!a || a.getAttribute("href") === "#" || window.csvAsked) return null;
			window.csvAsked = true;
			fetch(a.href).then(r => r.ok && /text\/csv/.test(r.headers.get("Content-Type")) ? r.text() : "HTTP " + r.status).then(t => { window.csvText = t; });
			return null;
		})()`)
		// The header line is in the reader's language (Kazakh here).
		if first, _, _ := strings.Cut(got, "\n"); !strings.Contains(first, "Кедергі") {
			t.Errorf("%s: the %s CSV link gives %.200q", p.page, p.figure, got)
		}
	}
	b.noExceptions()
}
