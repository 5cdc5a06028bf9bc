package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// TestEveryKeyUsedIsInTheCatalogue reads the repository's Go code and
// templates for message keys and fails on a key the English catalogue lacks
// (it would show raw).
func TestEveryKeyUsedIsInTheCatalogue(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	key := regexp.MustCompile(`"((?:error|ui)\.[a-z_]+(?:\.[a-z_0-9]+)*)"`)
	found := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") {
			return err
		}
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".html") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range key.FindAllStringSubmatch(string(src), -1) {
			found++
			if !Has(EN, m[1]) {
				t.Errorf("%s uses message key %q that the catalogue lacks", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 20 {
		t.Fatalf("found only %d key uses: is the walk rooted at the repository?", found)
	}
}

var verb = regexp.MustCompile(`%(\[\d+\])?[sdvqf]`)

// verbs is the arguments a printf message takes, e.g. 3 for "%[1]s %[3]s".
func verbs(msg string) int {
	n, next := 0, 0
	for _, m := range verb.FindAllStringSubmatch(msg, -1) {
		if m[1] == "" {
			next++
			n = max(n, next)
		} else if idx := int(m[1][1] - '0'); idx > n {
			n = idx
		}
	}
	return n
}

// TestEveryLanguageHasEveryKey is the catalogue's completeness check: a key
// in one language and not in another fails, and so does a translation that
// takes a different number of arguments than the English (it would print
// %!s(MISSING) or drop a value), or that is left empty.
func TestEveryLanguageHasEveryKey(t *testing.T) {
	if len(index[EN]) < 100 {
		t.Fatalf("the English catalogue has only %d keys: are the files embedded?", len(index[EN]))
	}
	for _, l := range Langs {
		for k, en := range index[EN] {
			msg, ok := index[l][k]
			switch {
			case !ok:
				t.Errorf("%s lacks %q (English: %q)", l, k, en)
			case strings.TrimSpace(msg) == "":
				t.Errorf("%s has %q empty", l, k)
			case verbs(msg) != verbs(en):
				t.Errorf("%s %q takes %d arguments, English %d: %q", l, k, verbs(msg), verbs(en), msg)
			}
		}
		for k := range index[l] {
			if _, ok := index[EN][k]; !ok {
				t.Errorf("%s has %q, which English lacks", l, k)
			}
		}
	}
}

// TestMessagesFormatWithTheirArguments renders every message of every
// language with as many arguments as it has verbs and fails on fmt's
// complaints (%!s(MISSING), %!d(string=…)).
func TestMessagesFormatWithTheirArguments(t *testing.T) {
	for _, l := range Langs {
		for key, msg := range index[l] {
			got := T(l, key, argsFor(msg)...)
			if strings.Contains(got, "%!") {
				t.Errorf("%s %s renders as %q", l, key, got)
			}
		}
	}
}

// argsFor makes arguments of the types a message's verbs want: an int for
// %d, a string otherwise.
func argsFor(msg string) []any {
	args := make([]any, verbs(msg))
	next := 0
	for _, m := range verb.FindAllStringSubmatch(msg, -1) {
		i := next
		if m[1] != "" {
			i = int(m[1][1]-'0') - 1
		} else {
			next++
		}
		if strings.HasSuffix(m[0], "d") {
			args[i] = i
		} else {
			args[i] = "x"
		}
	}
	return args
}

func TestLookupAndFallbacks(t *testing.T) {
	if got := T(EN, "error.range", 1, 5); got != "must be between 1 and 5" {
		t.Errorf("en: %q", got)
	}
	if got, en := T(RU, "error.range", 1, 5), T(EN, "error.range", 1, 5); got == en || !strings.Contains(got, "1") {
		t.Errorf("ru gives %q, the English is %q", got, en)
	}
	if got := T(Lang("de"), "error.required"); got != T(EN, "error.required") {
		t.Errorf("a language the catalogue lacks falls back to English, got %q", got)
	}
	if got := T(EN, "no.such.key"); got != "no.such.key" {
		t.Errorf("an unknown key shows itself, got %q", got)
	}
}

func TestChoose(t *testing.T) {
	cases := []struct {
		setting, explicit, accept string
		want                      Lang
	}{
		{"", "", "", EN},
		{"", "", "ru-RU,ru;q=0.9,en;q=0.8", RU},
		{"", "", "kk-KZ,kk;q=0.9,ru;q=0.8", KK},
		{"", "", "de-DE,de;q=0.9", EN},
		{"", "", "de-DE,ru;q=0.5", RU},
		{"", "", "en-US,kk;q=0.5", EN},
		{"", "", "*", EN},
		{"", "", ";;;garbage", EN},
		{"", "kk", "ru", KK},
		{"", "xx", "ru", RU},
		{"ru", "kk", "en", RU},
		{"kk", "", "ru", KK},
		{"KK", "", "", KK},
	}
	for _, c := range cases {
		if got := Choose(c.setting, c.explicit, c.accept); got != c.want {
			t.Errorf("Choose(%q, %q, %q) = %s, want %s", c.setting, c.explicit, c.accept, got, c.want)
		}
	}
}

func TestFormatting(t *testing.T) {
	d := decimal.RequireFromString
	cases := []struct {
		got, want string
	}{
		{Money(RU, d("1350000000"), "NOK"), "1\u00a0350\u00a0000\u00a0000\u00a0NOK"},
		{Money(KK, d("1350000000"), "NOK"), "1\u00a0350\u00a0000\u00a0000\u00a0NOK"},
		{Money(EN, d("1350000000"), "NOK"), "1,350,000,000\u00a0NOK"},
		{Number(RU, d("1234567.891")), "1\u00a0234\u00a0567,891"},
		{Number(EN, d("1234567.891")), "1,234,567.891"},
		{Number(EN, d("-1500.50")), "-1,500.50"},
		{Number(RU, d("0.0001")), "0,0001"},
		{Number(EN, d("123456789012345678901234567890")), "123,456,789,012,345,678,901,234,567,890"},
		{Int(KK, 12000), "12\u00a0000"},
		{Rounded(EN, d("2.675"), 2), "2.68"},
		{Percent(RU, d("0.253"), 0), "25\u00a0%"},
		{Percent(EN, d("0.253"), 1), "25.3%"},
		{Date(RU, "2026-12-07"), "07.12.2026"},
		{Date(KK, "2026-12-07"), "07.12.2026"},
		{Date(EN, "2026-12-07"), "7 Dec 2026"},
		{Date(RU, "not a day"), "not a day"},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: %q, want %q", i, c.got, c.want)
		}
	}
	if !slices.Equal(Langs, []Lang{KK, RU, EN}) {
		t.Errorf("Langs = %v", Langs)
	}
}
