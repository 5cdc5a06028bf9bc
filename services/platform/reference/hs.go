package reference

import (
	"slices"
	"strings"
	"unicode"

	"econdip/services/platform/i18n"
	"econdip/services/platform/textfold"
)

// HS returns the HS 2022 entry with the given 2-, 4- or 6-digit code.
func (d *Data) HS(code string) (HSCode, bool) { return lookup(d.hs, d.hsIdx, code) }

// HSLabel returns the entry's description in lang and, when the entry itself
// has no translation in lang, the translated name of its nearest heading or
// chapter (within), so a Russian or Kazakh reader sees where an English-only
// subheading belongs. within is "" for English and for translated entries.
func (d *Data) HSLabel(code string, lang i18n.Lang) (name, within string) {
	h, ok := d.HS(code)
	if !ok {
		return "", ""
	}
	name = h.Name(lang)
	if lang == i18n.EN || name != h.Description {
		return name, ""
	}
	for _, n := range []int{4, 2} {
		if p, ok := d.HS(code[:min(n, len(code))]); ok && p.Code != code && p.Name(lang) != p.Description {
			return name, p.Name(lang)
		}
	}
	return name, ""
}

// SearchHS returns at most limit entries (all when limit <= 0) whose code
// starts with query or whose names contain every word of it, in any order,
// ignoring case, in English, Russian or Kazakh ("unwrought aluminium" finds
// "Aluminium; unwrought, (not alloyed)", "пшеница" and "бидай" find heading
// 1001 "Wheat and meslin"); 6-digit codes come first, then headings, then
// chapters. A subheading also matches on the Russian and Kazakh names of its
// heading and chapter, since only those are translated.
func (d *Data) SearchHS(query string, limit int) []HSCode {
	code, words := parseHSQuery(query)
	if code == "" && len(words) == 0 {
		return nil
	}
	all := uint64(1)<<len(words) - 1
	// found returns the bit mask of the words text contains.
	found := func(text string) (m uint64) {
		for i, w := range words {
			if text != "" && strings.Contains(text, w) {
				m |= 1 << i
			}
		}
		return m
	}
	// A translation's words count for the entry and everything under it:
	// parents precede their children in d.hs, so one pass suffices, and the
	// long chapter names are scanned once, not once per subheading.
	inherited := make([]uint64, len(d.hs))
	var byLevel [3][]HSCode // 6, 4 and 2 digits
	for i, h := range d.hs {
		inherited[i] = found(d.hsTranslated[i])
		if p, ok := d.hsIdx[h.Parent]; ok && h.Parent != "" {
			inherited[i] |= inherited[p]
		}
		if (code != "" && strings.HasPrefix(h.Code, code)) || (len(words) > 0 && (inherited[i]|found(d.hsEnglish[i])) == all) {
			l := 3 - h.Level/2
			byLevel[l] = append(byLevel[l], h)
		}
	}
	out := slices.Concat(byLevel[0], byLevel[1], byLevel[2])
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// parseHSQuery decodes a search box: a query of digits with optional spaces
// and dots ("1001", "1001.10", "10 01") is also a code prefix; every query is
// also split into folded words, stripped of surrounding punctuation ("wheat,"),
// with inflected Cyrillic endings cut ("пшеницы" → "пшениц", see textfold.Stem).
func parseHSQuery(q string) (code string, words []string) {
	if strings.ContainsFunc(q, unicode.IsDigit) && !strings.ContainsFunc(q, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' && !unicode.IsSpace(r) }) {
		code = strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, q)
	}
	for _, w := range strings.Fields(textfold.Fold(q)) {
		w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if w != "" && len(words) < 64 { // SearchHS keeps a bit per word
			words = append(words, textfold.Stem(w))
		}
	}
	return code, words
}

// SectorForHS returns the priority sector of a goods code of any length (HS or a longer national code); a heading mapping beats a chapter mapping.
func (d *Data) SectorForHS(hs string) (Sector, bool) {
	if !isDigits(hs) {
		return Sector{}, false
	}
	for _, n := range []int{4, 2} {
		if len(hs) >= n {
			if i, ok := d.sectorPrefix[hs[:n]]; ok {
				return d.sectors[i].clone(), true
			}
		}
	}
	return Sector{}, false
}

// IsRawHS reports whether a goods code counts as a raw commodity export under raw_commodities.csv; every code not listed there is non-raw.
func (d *Data) IsRawHS(hs string) bool {
	if !isDigits(hs) {
		return false
	}
	for _, n := range []int{6, 4, 2} {
		if len(hs) >= n && d.raw[hs[:n]] {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
