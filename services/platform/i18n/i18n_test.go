package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryKeyUsedIsInTheCatalogue reads the repository's Go code for message
// keys and fails on a key the English catalogue lacks (it would show raw).
func TestEveryKeyUsedIsInTheCatalogue(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	key := regexp.MustCompile(`"((?:error|ui)\.[a-z_]+)"`)
	found := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range key.FindAllStringSubmatch(string(src), -1) {
			found++
			if !Has(m[1]) && path != filepath.Join(root, "services/platform/i18n/en.go") {
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

// TestMessagesFormatWithTheirArguments renders every message with as many
// string arguments as it has verbs and fails on fmt's complaints (%!s(MISSING)).
func TestMessagesFormatWithTheirArguments(t *testing.T) {
	verb := regexp.MustCompile(`%(\[\d+\])?[sdvq]`)
	for key, msg := range en {
		n := 0
		for _, m := range verb.FindAllStringSubmatch(msg, -1) {
			if m[1] == "" {
				n++
			} else if idx := int(m[1][1] - '0'); idx > n {
				n = idx
			}
		}
		args := make([]any, n)
		for i := range args {
			if strings.Contains(msg, "%d") {
				args[i] = i
			} else {
				args[i] = "x"
			}
		}
		if got := T(EN, key, args...); strings.Contains(got, "%!") {
			t.Errorf("%s renders as %q", key, got)
		}
	}
}

func TestFallbacks(t *testing.T) {
	if got := T(RU, "error.range", 1, 5); got != "must be between 1 and 5" {
		t.Errorf("a language without the key falls back to English, got %q", got)
	}
	if got := T(EN, "no.such.key"); got != "no.such.key" {
		t.Errorf("an unknown key shows itself, got %q", got)
	}
}
