package reference

import (
	"os"
	"strings"
	"testing"
)

// TestGlossaryListsTheNamesAsTheFilesHaveThem keeps the reviewers'
// glossary (services/platform/i18n/GLOSSARY.md) from drifting from the
// names the product shows: each sector and agency has its row there, in
// Kazakh, Russian and English as the reference files give them.
func TestGlossaryListsTheNamesAsTheFilesHaveThem(t *testing.T) {
	raw, err := os.ReadFile("../i18n/GLOSSARY.md")
	if err != nil {
		t.Fatal(err)
	}
	glossary := string(raw)
	d := Default()
	rows := 0
	for _, s := range d.Sectors() {
		rows++
		if row := "| " + s.Code + " | " + s.NameKK + " | " + s.NameRU + " | " + s.NameEN + " |"; !strings.Contains(glossary, row) {
			t.Errorf("the glossary lacks the sector row %q: copy it from priority_sectors.csv", row)
		}
	}
	for _, a := range d.Agencies() {
		rows++
		if row := "| " + a.Code + " | " + a.NameKK + " | " + a.NameRU + " | " + a.NameEN + " |"; !strings.Contains(glossary, row) {
			t.Errorf("the glossary lacks the agency row %q: copy it from agencies.csv", row)
		}
	}
	if rows < 30 {
		t.Fatalf("only %d sectors and agencies: is the reference data loaded?", rows)
	}
}
