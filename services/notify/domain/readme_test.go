package domain

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// The README's table of rules names every rule of the table, with its
// default parameters: the rules are documented where they are defined.
func TestREADMEListsEveryRule(t *testing.T) {
	b, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for _, r := range Rules {
		row := ""
		for _, l := range lines {
			if strings.HasPrefix(l, "| `"+r.ID+"` |") {
				row = l
			}
		}
		if row == "" {
			t.Errorf("README has no row for rule %s", r.ID)
			continue
		}
		for name, v := range r.Defaults {
			if !strings.Contains(row, fmt.Sprintf("`%s` %d", name, v)) {
				t.Errorf("README's row of %s lacks its default `%s` %d", r.ID, name, v)
			}
		}
	}
}
