package analytics_test

import (
	"strings"
	"testing"

	"econdip/analytics"
	"econdip/services/platform/reference"
)

func TestHSClassificationCoversEverySixDigitCode(t *testing.T) {
	ref := reference.Default()
	rows := analytics.HSClassification(ref)
	// Every 6-digit code, found another way: SearchHS by chapter prefix.
	want := map[string]bool{}
	for c := 1; c <= 99; c++ {
		chapter := string(rune('0'+c/10)) + string(rune('0'+c%10))
		for _, h := range ref.SearchHS(chapter, 0) {
			if h.Level == 6 && strings.HasPrefix(h.Code, chapter) {
				want[h.Code] = true
			}
		}
	}
	if len(rows) != len(want) || len(rows) < 5000 {
		t.Fatalf("%d codes classified, the nomenclature has %d", len(rows), len(want))
	}
	for i, r := range rows {
		if !want[r.HS6] || r.Chapter != r.HS6[:2] || r.Heading != r.HS6[:4] || r.Description == "" {
			t.Fatalf("row %d = %+v", i, r)
		}
		if i > 0 && rows[i-1].HS6 >= r.HS6 {
			t.Fatalf("rows not in code order at %d: %s then %s", i, rows[i-1].HS6, r.HS6)
		}
	}
}

func TestHSClassificationFollowsTheMapping(t *testing.T) {
	byCode := map[string]analytics.HSClassificationRow{}
	for _, r := range analytics.HSClassification(reference.Default()) {
		byCode[r.HS6] = r
	}
	for _, w := range []struct {
		code, sector string
		raw          bool
	}{
		{"760110", "non_ferrous_metallurgy", false}, // chapter 76; unwrought aluminium is not on the raw list
		{"760120", "non_ferrous_metallurgy", false},
		{"740200", "non_ferrous_metallurgy", true},   // heading 7402 (unrefined copper) is raw
		{"271012", "petrochemistry_refining", false}, // heading 2710 beats nothing in chapter 27
		{"270900", "mining", true},                   // heading 2709: crude oil
		{"100199", "agro_industrial", true},          // chapter 10, heading 1001 raw
		{"271600", "", false},                        // electrical energy: no sector maps chapter 27 or heading 2716
	} {
		r, ok := byCode[w.code]
		if !ok || r.Sector != w.sector || r.Raw != w.raw {
			t.Errorf("%s = %+v, want sector %q raw %v", w.code, r, w.sector, w.raw)
		}
		if w.sector != "" && r.SectorName == "" {
			t.Errorf("%s has no sector name", w.code)
		}
	}
}
