package domain

import (
	"slices"
	"testing"
	"unicode/utf8"
)

func TestNormalise(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"Kazakh legal form and guillemets", "ТОО «Қазақ Алюминий»", []string{"qazaq", "alyuminiy"}},
		{"Kazakh ЖШС", `"Қазақ Алюминий" ЖШС`, []string{"qazaq", "alyuminiy"}},
		{"АҚ", "«Самұрық-Қазына» АҚ", []string{"samuryq", "qazyna"}},
		{"Russian ООО with quotes", `ООО "Газпром нефть"`, []string{"gazprom", "neft"}},
		{"ПАО", "ПАО «Сбербанк»", []string{"sberbank"}},
		{"LLP", "Kazakh Aluminium LLP", []string{"kazakh", "aluminium"}},
		{"GmbH & Co. KG", "Rhein Maschinenbau GmbH & Co. KG", []string{"rhein", "maschinenbau"}},
		{"S.A. with dots", "Compañía Minera S.A.", []string{"compania", "minera"}},
		{"SA without dots", "Compania Minera SA", []string{"compania", "minera"}},
		{"Ltd. and Inc", "Acme Ltd.", []string{"acme"}},
		{"written-out form", "Astana Motors Limited Liability Partnership", []string{"astana", "motors"}},
		{"Russian written-out form", "Товарищество с ограниченной ответственностью «Астана Моторс»", []string{"astana", "motors"}},
		{"only a legal form keeps it", "LLC", []string{"llc"}},
		{"single quotes", "'Kaspi' JSC", []string{"kaspi"}},
		{"accents", "Müller Straße AG", []string{"muller", "strasse"}},
		{"empty", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Normalise(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("Normalise(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestTransliterateKazakhLetters(t *testing.T) {
	if got, want := Transliterate("ҚӨҮҰҒҺІӘҢ қөүұғһіәң"), "QOUUGhHIANg qouughhiang"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := LatinForm("ТОО «Қазақ Алюминий»"), "TOO Qazaq Alyuminiy"; got != want {
		t.Errorf("LatinForm: got %q, want %q", got, want)
	}
	if got := LatinForm("Siemens AG"); got != "Siemens AG" {
		t.Errorf("a Latin name is its own Latin form, got %q", got)
	}
}

// Likely duplicates are flagged, clearly different names are not.
func TestSimilarity(t *testing.T) {
	tests := []struct {
		name, a, b string
		dup        bool
	}{
		{"the issue's pair", "ТОО «Қазақ Алюминий»", "Kazakh Aluminium LLP", true},
		{"same in Kazakh form", `"Қазақ Алюминий" ЖШС`, "Kazakh Aluminium", true},
		{"case and legal form", "SIEMENS AG", "Siemens", true},
		{"Cyrillic spelling of a Latin name", "Сименс АГ", "Siemens AG", true},
		{"typo", "Rhein Maschinenbau GmbH", "Rhein Maschinebau", true},
		{"Russian to English romanisation", "ООО «Газпромнефть Казахстан»", "Gazpromneft Kazakhstan LLC", true},
		{"kh and double letters", "Khimprom", "Himprom", true},
		{"-iy ending", "Юнайтед Металлургический", "United Metallurgical", true},
		{"German name in Russian letters", "Рейн Машиненбау ГмбХ", "Rhein Maschinenbau GmbH", true},
		{"words run together", "KazAlum", "Kaz Alum", true},
		{"dots in abbreviations", "C.N.P.C. International", "CNPC International Ltd", true},
		{"same first word, other business", "Kazakh Aluminium", "Kazakh Minerals", false},
		{"same country word only", "Kazakhstan Railways", "Kazakhstan Airlines", false},
		{"different companies", "Siemens AG", "Bosch GmbH", false},
		{"different Cyrillic names", "ТОО «Қазақ Алюминий»", "ТОО «Астана Моторс»", false},
		{"short names", "ABB", "ABC", false},
		{"one shared word of three", "China National Petroleum", "China National Nuclear", false},
		{"subset is not the same", "Samsung", "Samsung Heavy Industries", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Similarity(tc.a, tc.b)
			if got := s >= Threshold; got != tc.dup {
				t.Errorf("Similarity(%q, %q) = %.3f (skeletons %q, %q); duplicate = %v, want %v",
					tc.a, tc.b, s, Skeleton(tc.a), Skeleton(tc.b), got, tc.dup)
			}
			if s2 := Similarity(tc.b, tc.a); s2 != s {
				t.Errorf("not symmetric: %.4f and %.4f", s, s2)
			}
		})
	}
}

func TestMatchSameCountryOnly(t *testing.T) {
	kz := Company{ID: "1", Name: "Kazakh Aluminium LLP", Country: "KZ"}
	de := Company{ID: "2", Name: "Kazakh Aluminium GmbH", Country: "DE"}
	merged := Company{ID: "3", Name: "Kazakh Aluminium", Country: "KZ", MergedInto: "1"}
	other := Company{ID: "4", Name: "Astana Motors", Country: "KZ", RegNumber: "123 456"}
	alias := Company{ID: "5", Name: "Northern Steel", Country: "KZ", Aliases: []string{"ТОО «Қазақ Алюминий»"}}
	got := Match("ТОО «Қазақ Алюминий»", "KZ", "", []Company{kz, de, merged, other, alias})
	var ids []string
	for _, c := range got {
		ids = append(ids, c.Company.ID)
	}
	if !slices.Equal(ids, []string{"1", "5"}) {
		t.Errorf("Match = %v, want the KZ company and the one with the alias (not DE, not merged, not Astana Motors)", ids)
	}
	if byReg := Match("Something else", "KZ", "123456", []Company{other}); len(byReg) != 1 || byReg[0].Score != 1 {
		t.Errorf("an equal registration number is a duplicate: %+v", byReg)
	}
}

func TestAbsorb(t *testing.T) {
	s := Company{ID: "1", Name: "Kazakh Aluminium LLP", NameLatin: "Kazakh Aluminium LLP", Country: "KZ"}
	a := Company{ID: "2", Name: "ТОО «Қазақ Алюминий»", NameLatin: "TOO Qazaq Alyuminiy", Country: "KZ", Aliases: []string{"kazakh aluminium llp", "KazAlum"}}
	if err := s.Absorb(a); err != nil {
		t.Fatal(err)
	}
	if want := []string{"ТОО «Қазақ Алюминий»", "TOO Qazaq Alyuminiy", "KazAlum"}; !slices.Equal(s.Aliases, want) {
		t.Errorf("aliases %q, want %q", s.Aliases, want)
	}
	for _, tc := range []struct {
		name  string
		other Company
	}{
		{"itself", s},
		{"other country", Company{ID: "3", Name: "X", Country: "DE"}},
		{"merged already", Company{ID: "4", Name: "Y", Country: "KZ", MergedInto: "9"}},
	} {
		if err := s.Absorb(tc.other); err == nil {
			t.Errorf("%s: absorbed", tc.name)
		}
	}
}

// FuzzNormalise: any input, valid UTF-8 or not, normalises without a panic
// to words of letters and digits only, and normalising is stable.
func FuzzNormalise(f *testing.F) {
	for _, s := range []string{"ТОО «Қазақ Алюминий»", "Kazakh Aluminium LLP", "S.A.", "", "\xff\xfe", "&&&", "ООО \"Ромашка\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words := Normalise(s)
		for _, w := range words {
			if w == "" || !utf8.ValidString(w) {
				t.Fatalf("Normalise(%q) has an empty or invalid word: %q", s, words)
			}
		}
		_ = Similarity(s, s)
		_ = LatinForm(s)
	})
}
