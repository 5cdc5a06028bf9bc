package tradestats

import (
	"os"
	"strings"
	"testing"
)

// The README's example of the format parses.
func TestREADMEExampleParses(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "```csv\ndate,item_code,hs_chapter,value_thousand_usd")
	if !ok {
		t.Fatal("the README has no example of the BNS format")
	}
	body, _, _ := strings.Cut(rest, "```")
	f, err := Parse("readme.csv", []byte("date,item_code,hs_chapter,value_thousand_usd"+body), ref(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Groups) != 2 || f.Groups[0].Total == nil {
		t.Fatalf("groups: %+v", f.Groups)
	}
}
