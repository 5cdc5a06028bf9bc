package reference

import (
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"econdip/services/platform/i18n"
)

// kkRegions names countries in Kazakh from CLDR (x/text ships it), so no
// hand-kept list of 249 Kazakh country names is needed.
var kkRegions = display.Regions(language.Kazakh)

// kazakhName is the CLDR Kazakh name of an ISO alpha-2 code, "" if CLDR has none.
func kazakhName(alpha2 string) string {
	r, err := language.ParseRegion(alpha2)
	if err != nil {
		return ""
	}
	return kkRegions.Name(r)
}

// inLang picks the text in lang, falling back to English where that
// language's translation is missing (an optional column left empty).
func inLang(lang i18n.Lang, en, ru, kk string) string {
	switch {
	case lang == i18n.RU && ru != "":
		return ru
	case lang == i18n.KK && kk != "":
		return kk
	}
	return en
}

// Name returns the country's name in lang: UN Russian short name, CLDR Kazakh name, UN English official name.
func (c Country) Name(lang i18n.Lang) string { return inLang(lang, c.NameEN, c.NameRU, c.NameKK) }

// Name returns the region's official name in lang.
func (g Region) Name(lang i18n.Lang) string { return inLang(lang, g.NameEN, g.NameRU, g.NameKK) }

// Title returns the clause's short title in lang.
func (c Clause) Title(lang i18n.Lang) string { return inLang(lang, c.TitleEN, c.TitleRU, c.TitleKK) }

// Name returns the sector's name in lang.
func (s Sector) Name(lang i18n.Lang) string { return inLang(lang, s.NameEN, s.NameRU, s.NameKK) }

// Name returns the state body's full official name in lang.
func (a Agency) Name(lang i18n.Lang) string { return inLang(lang, a.NameEN, a.NameRU, a.NameKK) }

// City returns the post's city in lang.
func (p Post) City(lang i18n.Lang) string { return inLang(lang, p.CityEN, p.CityRU, p.CityKK) }

// Name returns the HS section's name in lang.
func (s HSSection) Name(lang i18n.Lang) string { return inLang(lang, s.NameEN, s.NameRU, s.NameKK) }

// Name returns the HS entry's description in lang; only chapters and some
// headings are translated (hs_names.csv), the rest fall back to English.
func (h HSCode) Name(lang i18n.Lang) string { return inLang(lang, h.Description, h.NameRU, h.NameKK) }
