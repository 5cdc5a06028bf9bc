package digest_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"econdip/services/digest"
	"econdip/services/platform/auth"
	"econdip/services/platform/kernel"
)

// pdfText is the text of a PDF as poppler's pdftotext reads it (Debian's
// poppler-utils, installed by deploy/local/ensure-deps.sh), with runs of
// spaces and line breaks made single spaces: a line may wrap anywhere.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:min(len(pdf), 20)])
	}
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is missing: install poppler-utils (deploy/local/ensure-deps.sh does)")
	}
	path := filepath.Join(t.TempDir(), "digest.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// TestDigestPDFHoldsTheWeek: the PDF of the fixture week, read back as
// text, holds each expected item under its heading, in the user's
// language, and nothing from outside the user's scope.
func TestDigestPDFHoldsTheWeek(t *testing.T) {
	conn := fixtureConn(t)
	ctx := context.Background()
	w := kernel.MustDay("2026-12-07")
	attache := auth.User{ID: "aigerim.berlin", Role: auth.Attache, Post: "de-berlin"}
	for _, tc := range []struct {
		lang string
		want []string // in this order
	}{
		{"ru", []string{"Еженедельная сводка", "Представительство: de-berlin", "Неделя 30.11.2026 – 06.12.2026",
			"Просроченные решения", "igc-de, заседание 1, пункт 4.3", "срок 06.12.2026 · просрочено на 1 день",
			"Просроченные задачи (1 задача)", "Инвестиционный лид: Rhein Maschinenbau GmbH: Tractor plant", "срок 04.12.2026",
			"Решения со сроком в ближайшие 14 дней", "пункт 4.5", "срок 07.12.2026", "пункт 4.1", "срок 10.12.2026",
			"Открытые задачи (1 задача)", "Экспортная сделка: KazAgro Export LLP: Durum wheat", "срок 09.12.2026",
			"Новые инвестиционные лиды", "Rhein Maschinenbau GmbH: Tractor plant",
			"Лиды, сменившие стадию", "Alpen Solar AG: Solar panel factory", "30.11.2026",
			"Новые экспортные сделки", "KazAgro Export LLP: Durum wheat (DE)",
			"Сделки, сменившие стадию", "Kostanay Mill JSC: Wheat flour (DE)", "04.12.2026"}},
		{"kk", []string{"Апталық шолу", "Өкілдік: de-berlin", "Мерзімі өткен шешімдер", "igc-de, 1-отырыс, 4.3-тармақ",
			"мерзімі 1 күнге өтті", "Мерзімі өткен тапсырмалар (1 тапсырма)", "Ашық тапсырмалар (1 тапсырма)",
			"Жаңа инвестициялық лидтер", "Rhein Maschinenbau GmbH", "Сатысы өзгерген мәмілелер", "Kostanay Mill JSC"}},
		{"en", []string{"Weekly digest", "Post: de-berlin", "The week 30 Nov 2026 – 6 Dec 2026", "Overdue decisions",
			"1 day overdue", "Overdue tasks (1 task)", "Decisions due in the next 14 days", "Open tasks (1 task)",
			"Investor leads that moved stage", "Qualified → Negotiating", "Identified → Contacted"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			subject, html, pdf, err := digest.Build(ctx, conn, attache, w, tc.lang, "https://econdip.example")
			if err != nil {
				t.Fatal(err)
			}
			text := pdfText(t, pdf)
			at := 0
			for _, w := range tc.want {
				i := strings.Index(text[at:], w)
				if i < 0 {
					t.Fatalf("PDF text lacks %q after position %d:\n%s", w, at, text)
				}
				at += i + len(w)
			}
			for _, absent := range []string{"Shaanxi", "Elbe Chemie", "Pavlodar", "4.2", "4.4", "cn-1"} {
				if strings.Contains(text, absent) || strings.Contains(html, absent) {
					t.Errorf("digest holds %q, outside the scope or the week", absent)
				}
			}
			if !strings.Contains(text, subject) {
				t.Errorf("PDF footer lacks the subject %q", subject)
			}
			if !strings.Contains(html, `href="https://econdip.example/attache/leads/a0000000-0000-4000-8000-00000000000a"`) ||
				!strings.Contains(html, "Kostanay Mill JSC") || !strings.Contains(html, `lang="`+tc.lang+`"`) {
				t.Errorf("HTML body lacks a lead link, a deal or its language:\n%s", html)
			}
		})
	}
}

func TestWeekOf(t *testing.T) {
	for day, want := range map[string]string{"2026-12-07": "2026-12-07", "2026-12-09": "2026-12-07", "2026-12-13": "2026-12-07", "2026-12-06": "2026-11-30"} {
		if got := digest.WeekOf(kernel.MustDay(day)).String(); got != want {
			t.Errorf("WeekOf(%s) = %s, want %s", day, got, want)
		}
	}
}
