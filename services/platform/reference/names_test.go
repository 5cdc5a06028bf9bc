package reference

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"econdip/services/platform/i18n"
	"econdip/services/platform/textfold"
)

func TestNameFallsBackToEnglish(t *testing.T) {
	full := Sector{NameEN: "Mining", NameRU: "Горнодобывающая промышленность", NameKK: "Тау-кен өндіру өнеркәсібі"}
	enOnly := Post{CityEN: "Geneva"}
	tests := []struct {
		name string
		got  func(i18n.Lang) string
		lang i18n.Lang
		want string
	}{
		{"sector en", full.Name, i18n.EN, "Mining"},
		{"sector ru", full.Name, i18n.RU, "Горнодобывающая промышленность"},
		{"sector kk", full.Name, i18n.KK, "Тау-кен өндіру өнеркәсібі"},
		{"sector, a language the data lacks", full.Name, "de", "Mining"},
		{"post without translations, ru", enOnly.City, i18n.RU, "Geneva"},
		{"post without translations, kk", enOnly.City, i18n.KK, "Geneva"},
		{"clause with ru only, kk", Clause{TitleEN: "ODA", TitleRU: "ОПР"}.Title, i18n.KK, "ODA"},
		{"clause with ru only, ru", Clause{TitleEN: "ODA", TitleRU: "ОПР"}.Title, i18n.RU, "ОПР"},
		{"untranslated subheading", HSCode{Description: "Wheat; durum"}.Name, i18n.RU, "Wheat; durum"},
		{"translated heading", HSCode{Description: "Wheat and meslin", NameKK: "Бидай"}.Name, i18n.KK, "Бидай"},
		{"agency", Agency{NameEN: "MFA", NameRU: "МИД", NameKK: "СІМ"}.Name, i18n.KK, "СІМ"},
		{"region", Region{NameEN: "Abai Region", NameRU: "область Абай", NameKK: "Абай облысы"}.Name, i18n.RU, "область Абай"},
		{"country", Country{NameEN: "Germany", NameRU: "Германия"}.Name, i18n.KK, "Germany"},
		{"section", HSSection{NameEN: "Mineral products", NameKK: "Минералдық өнімдер"}.Name, i18n.KK, "Минералдық өнімдер"},
	}
	for _, tt := range tests {
		if got := tt.got(tt.lang); got != tt.want {
			t.Errorf("%s: Name(%s) = %q, want %q", tt.name, tt.lang, got, tt.want)
		}
	}
}

// TestEmbeddedTranslations: the names the UI shows are there in all three
// languages, and are Cyrillic where they should be.
func TestEmbeddedTranslations(t *testing.T) {
	d := Default()
	cyrillic := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) })
	}
	check := func(what, en, ru, kk string) {
		t.Helper()
		if en == "" || !cyrillic(ru) || !cyrillic(kk) {
			t.Errorf("%s: en %q, ru %q, kk %q", what, en, ru, kk)
		}
	}
	for _, s := range d.Sectors() {
		check("sector "+s.Code, s.NameEN, s.NameRU, s.NameKK)
	}
	for _, a := range d.Agencies() {
		check("agency "+a.Code, a.NameEN, a.NameRU, a.NameKK)
	}
	for _, g := range d.Regions() {
		check("region "+g.Code, g.NameEN, g.NameRU, g.NameKK)
	}
	for _, c := range d.Clauses() {
		check("clause "+c.ID, c.TitleEN, c.TitleRU, c.TitleKK)
	}
	for _, p := range d.Posts() {
		check("post "+p.Code, p.CityEN, p.CityRU, p.CityKK)
		c, _ := d.Country(p.Country)
		check("country "+c.Alpha2, c.NameEN, c.NameRU, c.NameKK)
	}
	for _, id := range []string{"I", "V", "XV", "XXI"} {
		s, ok := d.HSSection(id)
		check("section "+id, s.NameEN, s.NameRU, s.NameKK)
		if !ok {
			t.Errorf("no section %s", id)
		}
	}
	// Every chapter is translated, and every heading a sector maps.
	for _, h := range d.hs {
		if h.Level == 2 {
			check("chapter "+h.Code, h.Description, h.NameRU, h.NameKK)
		}
	}
	for _, s := range d.Sectors() {
		for _, code := range s.HSHeadings {
			h, _ := d.HS(code)
			check("heading "+code, h.Description, h.NameRU, h.NameKK)
		}
	}
	kz, _ := d.Country("KZ")
	if kz.Name(i18n.KK) != "Қазақстан" || kz.Name(i18n.RU) != "Казахстан" {
		t.Errorf("KZ = %+v", kz)
	}
	mfa, _ := d.Agency("mfa")
	if mfa.Name(i18n.RU) != "Министерство иностранных дел Республики Казахстан" || mfa.Name(i18n.KK) != "Қазақстан Республикасы Сыртқы істер министрлігі" {
		t.Errorf("mfa = %+v", mfa)
	}
	var noKK []string
	for _, c := range d.Countries() {
		if c.NameKK == "" {
			noKK = append(noKK, c.Alpha2)
		}
	}
	if len(noKK) > 0 {
		t.Logf("CLDR has no Kazakh name for %v: English is shown", noKK)
	}
}

func TestLoadRejectsMissingTranslations(t *testing.T) {
	tests := []struct {
		file, content, want string
	}{
		{fileSectors, sectorsHeader + "mining,Mining,Горнодобывающая промышленность,,2.2,26,,\n",
			`priority_sectors.csv line 2, column 4 (name_kk): the translation is missing`},
		{fileSectors, sectorsHeader + "mining,Mining,,Тау-кен,2.2,26,,\n",
			`priority_sectors.csv line 2, column 3 (name_ru): the translation is missing`},
		{fileAgencies, "code,name_en,name_ru,name_kk,kind\nmfa,Ministry of Foreign Affairs,,Сыртқы істер министрлігі,ministry\n",
			`agencies.csv line 2, column 3 (name_ru): the translation is missing`},
		{fileRegions, "code,name_en,name_ru,name_kk,type,name_iso_codes\nKZ-71,Astana,Астана,Астана,City,Astana\nKZ-75,Almaty,Алматы,,City,Almaty\n",
			`kz_regions.csv line 3, column 4 (name_kk): the translation is missing`},
		{fileAgencies, "code,name_en,kind\nmfa,Ministry of Foreign Affairs,ministry\n",
			`agencies.csv line 1: header is`},
		{fileHSNames, "code,name_ru,name_kk,source\n10,Злаки,,eaeu-chapter\n",
			`hs_names.csv line 2, column 3 (name_kk): the translation is missing`},
		{fileHSNames, "code,name_ru,name_kk,source\n1001,Пшеница,Бидай,ours\n1001,Пшеница,Бидай,ours\n",
			`hs_names.csv line 3, field code: duplicate "1001" (first on line 2)`},
		{fileHSNames, "code,name_ru,name_kk,source\n7700,Х,Х,ours\n",
			`hs_names.csv line 2, field code: "7700" is not in hs_codes.csv`},
		{fileHSNames, "code,name_ru,name_kk,source\n10,Злаки,Дәнді дақылдар,google\n",
			`hs_names.csv line 2, field source: "google" is not one of eaeu-chapter, ours`},
	}
	for _, tt := range tests {
		_, err := load(dataWith(t, tt.file, tt.content))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("load with bad %s: error = %v\nwant it to contain %s", tt.file, err, tt.want)
		}
	}
	// Optional translations (posts, clauses) may be left empty: English is shown.
	d, err := load(dataWith(t, filePosts, "code,country,city,city_ru,city_kk,kind\nch-geneva,CH,Geneva,,,trade_mission\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := d.Post("ch-geneva"); p.City(i18n.KK) != "Geneva" {
		t.Errorf("ch-geneva in kk = %q", p.City(i18n.KK))
	}
}

// TestLegacyMappingFileGetsNames: a sector mapping file an administrator
// edited before the names were translated still loads, with the default names.
func TestLegacyMappingFileGetsNames(t *testing.T) {
	dir := t.TempDir()
	legacy := legacySectorsHeader + "\n" +
		`mining,"Mining",2.2,"26","2709",` + "\n" +
		`space,"Space industry",2.3,"88","",` + "\n"
	if err := os.WriteFile(filepath.Join(dir, MappingSectorsFile), []byte(legacy), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Default().WithMappingDir(dir)
	if err == nil || !strings.Contains(err.Error(), "priority_sectors.csv line 3, column 3 (name_ru): the translation is missing") {
		t.Fatalf("a new sector without names: %v", err)
	}
	legacy = strings.Join(strings.Split(legacy, "\n")[:2], "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, MappingSectorsFile), []byte(legacy), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Default().WithMappingDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := m.SectorForHS("270900"); s.Code != "mining" || s.Name(i18n.KK) != "Тау-кен өндіру өнеркәсібі" {
		t.Errorf("mining from a legacy file: %+v", s)
	}
}

func TestSearchHSInThreeLanguages(t *testing.T) {
	d := Default()
	tests := []struct {
		query string
		want  []string // codes that must be found
		not   []string // codes that must not
	}{
		{"wheat", []string{"100111", "1001"}, nil},
		{"пшеница", []string{"100111", "100119", "100191", "100199", "1001"}, []string{"1003"}},
		{"ПШЕНИЦ", []string{"100111", "1001"}, nil},
		{"пшеницы", []string{"100111", "1001"}, nil},            // inflected: the ending is cut
		{"бидай", []string{"100111", "1001"}, []string{"1003"}}, // Kazakh
		{"Бидай", []string{"1001"}, nil},
		{"1001", []string{"100111", "1001"}, []string{"10"}},
		{"1001.11", []string{"100111"}, []string{"100119"}},
		{"злаки", []string{"10", "1001", "100111"}, nil}, // the chapter, and what is under it
		{"дәнді", []string{"10"}, nil},
		{"данди", []string{"10"}, nil}, // Kazakh letters typed on a Russian keyboard
		{"мёд", []string{"04"}, nil},   // ё and е are one letter for the search
		{"сырая нефть", []string{"2709", "270900"}, nil},
		{"шикі мұнай", []string{"2709"}, nil},
		{"медь", []string{"74", "7402"}, nil},
		{"unwrought aluminium", []string{"760110", "7601"}, []string{"74"}},
	}
	for _, tt := range tests {
		got := hsCodes(d.SearchHS(tt.query, 0))
		for _, c := range tt.want {
			if !slices.Contains(got, c) {
				t.Errorf("SearchHS(%q) lacks %s: %v", tt.query, c, head(got))
			}
		}
		for _, c := range tt.not {
			if slices.Contains(got, c) {
				t.Errorf("SearchHS(%q) has %s: %v", tt.query, c, head(got))
			}
		}
	}
	if got := d.SearchHS("пшеница", 2); len(got) != 2 || got[0].Level != 6 {
		t.Errorf("limit and order: %v", got)
	}
	for _, q := range []string{"", "  ", ".,;", "квантовый ксилофон"} {
		if got := d.SearchHS(q, 10); got != nil {
			t.Errorf("SearchHS(%q) = %v, want nothing", q, hsCodes(got))
		}
	}
}

func head(s []string) []string { return s[:min(len(s), 12)] }

func TestHSLabel(t *testing.T) {
	d := Default()
	tests := []struct {
		code         string
		lang         i18n.Lang
		name, within string
	}{
		{"1001", i18n.RU, "Пшеница и меслин", ""},
		{"1001", i18n.EN, "Wheat and meslin", ""},
		{"100111", i18n.KK, "Cereals; wheat and meslin, durum wheat, seed", "Бидай және меслин (бидай мен қарабидай қоспасы)"},
		{"100111", i18n.EN, "Cereals; wheat and meslin, durum wheat, seed", ""},
		{"0101", i18n.RU, "Horses, asses, mules and hinnies; live", "Живые животные"}, // an untranslated heading: its chapter
		{"10", i18n.KK, "Дәнді дақылдар", ""},
		{"0000", i18n.RU, "", ""},
	}
	for _, tt := range tests {
		if name, within := d.HSLabel(tt.code, tt.lang); name != tt.name || within != tt.within {
			t.Errorf("HSLabel(%s, %s) = %q, %q; want %q, %q", tt.code, tt.lang, name, within, tt.name, tt.within)
		}
	}
}

func FuzzParseHSQuery(f *testing.F) {
	for _, q := range []string{"wheat", "пшеница", "Бидай", "1001", "1001.10", "10 01", " ,. ", "n.e.c.", "Ёлка ҚАЗАҚ", "\xff", "7601 unwrought"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		code, words := parseHSQuery(q)
		if strings.ContainsFunc(code, func(r rune) bool { return r < '0' || r > '9' }) {
			t.Fatalf("code %q of %q is not digits", code, q)
		}
		for _, w := range words {
			if w == "" || w != textfold.Fold(w) || strings.ContainsFunc(w, unicode.IsSpace) {
				t.Fatalf("word %q of %q is empty, not folded or not one word", w, q)
			}
			if utf8.ValidString(q) && !utf8.ValidString(w) {
				t.Fatalf("word %q of valid %q is not valid UTF-8", w, q)
			}
		}
		_ = Default().SearchHS(q, 5) // never panics
	})
}

func BenchmarkSearchHS(b *testing.B) {
	d := Default()
	for _, q := range []string{"пшеница", "бидай", "unwrought aluminium", "1001", "xyz"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				d.SearchHS(q, 20)
			}
		})
	}
}
