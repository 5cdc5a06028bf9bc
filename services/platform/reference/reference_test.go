package reference

import (
	"slices"
	"strings"
	"testing"

	"econdip/services/platform/apperr"
)

func TestCountryNamibiaIsNotMissing(t *testing.T) {
	c, ok := Default().Country("NA")
	want := Country{Alpha2: "NA", Alpha3: "NAM", Numeric: "516", NameEN: "Namibia", NameRU: "Намибия", NameKK: "Намибия", Region: "Africa", SubRegion: "Sub-Saharan Africa", Currency: "NAD"}
	if !ok || c != want {
		t.Fatalf("Country(NA) = %+v, %v; want %+v", c, ok, want)
	}
	if _, ok := Default().Country("na"); ok {
		t.Error(`Country("na") found; codes are exact upper case`)
	}
}

func TestCountryFields(t *testing.T) {
	d := Default()
	if af, _ := d.Country("AF"); af.Numeric != "004" {
		t.Errorf("AF numeric = %q, want zero-padded 004", af.Numeric)
	}
	if kz, _ := d.Country("KZ"); kz.Currency != "KZT" || kz.SubRegion != "Central Asia" {
		t.Errorf("KZ = %+v", kz)
	}
	if tr, _ := d.Country("TR"); tr.Currency != "TRY" {
		t.Errorf("TR currency = %q, want TRY (blank in the source, filled in)", tr.Currency)
	}
	if n := len(d.Countries()); n != 249 {
		t.Errorf("%d countries, want 249", n)
	}
}

func TestCurrency(t *testing.T) {
	d := Default()
	if c, ok := d.Currency("EUR"); !ok || c != (Currency{"EUR", "Euro", 2}) {
		t.Errorf("EUR = %+v, %v", c, ok)
	}
	if c, _ := d.Currency("KZT"); c.Name != "Tenge" {
		t.Errorf("KZT = %+v", c)
	}
	if c, _ := d.Currency("XAU"); c.MinorUnits != -1 {
		t.Errorf("XAU minor units = %d, want -1", c.MinorUnits)
	}
	if _, ok := d.Currency("BGN"); ok {
		t.Error("BGN was withdrawn in 2026 and must not be in force")
	}
}

func TestRegionsClausesPosts(t *testing.T) {
	d := Default()
	if r, ok := d.Region("KZ-75"); !ok || r.NameEN != "Almaty" {
		t.Errorf("KZ-75 = %+v, %v", r, ok)
	}
	if n := len(d.Regions()); n != 20 {
		t.Errorf("%d regions, want 20", n)
	}
	if c, ok := d.Clause("2.7"); !ok || c.Area != "economic_diplomacy" {
		t.Errorf("clause 2.7 = %+v, %v", c, ok)
	}
	if cs := d.Clauses(); len(cs) != 26 || cs[0].ID != "1.3" || cs[len(cs)-1].ID != "3.20" {
		t.Errorf("clauses not in file order: %d, first %v", len(cs), cs[0])
	}
	if p, ok := d.Post("de-berlin"); !ok || p != (Post{"de-berlin", "DE", "Berlin", "Берлин", "Берлин", "embassy"}) {
		t.Errorf("de-berlin = %+v, %v", p, ok)
	}
	if p, _ := d.Post("tr-istanbul"); p.Kind != "consulate" {
		t.Errorf("tr-istanbul = %+v", p)
	}
	if len(d.Posts()) < 15 {
		t.Errorf("only %d posts", len(d.Posts()))
	}
}

func TestSectors(t *testing.T) {
	d := Default()
	ss := d.Sectors()
	if len(ss) != 13 || ss[0].Code != "machine_building" {
		t.Fatalf("sectors not in file order: %d, first %q", len(ss), ss[0].Code)
	}
	tl, _ := d.Sector("transport_logistics")
	if tl.Clause != "2.2" || !slices.Equal(tl.Clauses, []string{"2.2", "2.8"}) {
		t.Errorf("transport_logistics clauses = %q / %q", tl.Clause, tl.Clauses)
	}
	// Callers get copies: changing them must not change the shared data.
	m, _ := d.Sector("mining")
	m.HSChapters[0] = "99"
	if again, _ := d.Sector("mining"); again.HSChapters[0] != "26" {
		t.Error("Sector returned shared slices")
	}
}

func TestSectorForHS(t *testing.T) {
	d := Default()
	tests := []struct {
		hs, want string // want "" = no sector
	}{
		{"2710", "petrochemistry_refining"}, // heading: refined products
		{"2709", "mining"},                  // heading: crude
		{"271012", "petrochemistry_refining"},
		{"270900", "mining"},
		{"2710199800", "petrochemistry_refining"}, // 10-digit national code
		{"26", "mining"},                          // chapter itself
		{"260111", "mining"},
		{"870323", "machine_building"},
		{"901890", "health_care"},  // heading 9018 beats chapter 90
		{"843143", "oil_services"}, // heading 8431 beats chapter 84
		{"252321", "construction_materials"},
		{"27", ""},   // chapter 27 is split between sectors by heading
		{"2716", ""}, // electrical energy
		{"2844", ""}, // uranium: raw, but in no sector
		{"7", ""},
		{"", ""},
		{"27x0", ""},
	}
	for _, tt := range tests {
		s, ok := d.SectorForHS(tt.hs)
		if s.Code != tt.want || ok != (tt.want != "") {
			t.Errorf("SectorForHS(%q) = %q, %v; want %q", tt.hs, s.Code, ok, tt.want)
		}
	}
}

func TestServicesSectorsHaveNoGoods(t *testing.T) {
	d := Default()
	services := []string{"transport_logistics", "education", "tourism"}
	for _, code := range services {
		s, ok := d.Sector(code)
		if !ok || len(s.HSChapters)+len(s.HSHeadings) != 0 {
			t.Errorf("%s = %+v, %v; want a sector without HS codes", code, s, ok)
		}
	}
	for _, h := range d.hs {
		if s, ok := d.SectorForHS(h.Code); ok && slices.Contains(services, s.Code) {
			t.Errorf("SectorForHS(%s) = services sector %s", h.Code, s.Code)
		}
	}
}

func TestIsRawHS(t *testing.T) {
	d := Default()
	tests := []struct {
		hs   string
		want bool
	}{
		{"2709", true}, {"270900", true}, {"2711", true}, {"271121", true},
		{"2710", false}, {"271012", false}, // refined products are non-raw
		{"26", true}, {"2601", true}, {"260111", true},
		{"1001", true}, {"100199", true}, {"1101", false}, // wheat raw, flour not
		{"7402", true}, {"7403", false}, // unrefined vs refined copper
		{"2844", true}, {"5201", true}, {"520100", true},
		{"27", false}, {"2527", false}, {"", false}, {"abcd", false},
	}
	for _, tt := range tests {
		if got := d.IsRawHS(tt.hs); got != tt.want {
			t.Errorf("IsRawHS(%q) = %v, want %v", tt.hs, got, tt.want)
		}
	}
}

func TestHS(t *testing.T) {
	d := Default()
	h, ok := d.HS("2710")
	if !ok || h.Level != 4 || h.Parent != "27" || h.Section != "V" {
		t.Errorf("HS(2710) = %+v, %v", h, ok)
	}
	if ch, _ := d.HS("01"); ch.Parent != "" || ch.Section != "I" {
		t.Errorf("HS(01) = %+v", ch)
	}
	if ch, _ := d.HS("99"); ch.Section != "" {
		t.Errorf("HS(99) = %+v, want no section", ch)
	}
	if _, ok := d.HS("TOTAL"); ok {
		t.Error("the TOTAL row is not a code")
	}
}

func TestSearchHS(t *testing.T) {
	d := Default()
	got := d.SearchHS("2709", 0)
	if codes := hsCodes(got); !slices.Equal(codes, []string{"270900", "2709"}) {
		t.Errorf("SearchHS(2709) = %v", codes)
	}
	got = d.SearchHS("  PETROLEUM oils ", 3)
	if len(got) != 3 {
		t.Fatalf("SearchHS(petroleum, 3) returned %d", len(got))
	}
	for _, h := range got {
		if h.Level != 6 {
			t.Errorf("6-digit codes must come first, got %+v", h)
		}
	}
	all := d.SearchHS("petroleum oils", 0)
	if last := all[len(all)-1]; last.Level == 6 {
		t.Errorf("expected headings after subheadings, last is %+v", last)
	}
	// Words in any order: an attaché types the product, not the nomenclature's wording.
	if got := d.SearchHS("unwrought aluminium", 0); len(got) != 3 || got[0].Code != "760110" || got[1].Code != "760120" || got[2].Code != "7601" {
		t.Errorf("SearchHS(unwrought aluminium) = %v, want 760110, 760120, 7601", got)
	}
	if d.SearchHS("", 10) != nil || d.SearchHS("quantum xylophones", 10) != nil {
		t.Error("empty or unmatched query must return nothing")
	}
}

func hsCodes(hs []HSCode) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Code)
	}
	return out
}

// TestFinding11_NonCurrencyCodesAreRefused: XXX (no currency), XTS (testing),
// precious metals, units of account and fund codes are ISO 4217 codes but not
// money a payment is made in; an amount in one is refused with a field error
// that says what to use. Every such code is one currencies.csv holds, so the
// list cannot drift from the data.
func TestFinding11_NonCurrencyCodesAreRefused(t *testing.T) {
	d := Default()
	for _, code := range []string{"XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XDR", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA", "XAD", "CLF", "USN"} {
		var f apperr.Fields
		if d.MoneyCurrency(&f, "capex.currency", code) || len(f) != 1 || f[0].Field != "capex.currency" || f[0].Key != "error.currency_not_money" {
			t.Errorf("%s: %+v, want one error.currency_not_money on capex.currency", code, f)
			continue
		}
		if !strings.Contains(f[0].Message, "e.g. USD, EUR, KZT") {
			t.Errorf("%s: the message must say what to use: %s", code, f[0].Message)
		}
	}
	for code := range notMoney {
		if _, ok := d.Currency(code); !ok {
			t.Errorf("%s is not in currencies.csv: the list of non-money codes names a code ISO does not list", code)
		}
	}
	for _, code := range []string{"USD", "EUR", "KZT", "RUB", "UZS"} {
		var f apperr.Fields
		if !d.MoneyCurrency(&f, "capex.currency", code) {
			t.Errorf("%s is money: %+v", code, f)
		}
	}
	// Money without official rates (no rate in the National Bank's feed nor
	// the rates store) is refused as such, not as "not money".
	for _, code := range []string{"XOF", "XAF", "XCD", "XPF"} {
		var f apperr.Fields
		if d.MoneyCurrency(&f, "capex.currency", code) || len(f) != 1 || f[0].Key != "error.currency_without_rates" {
			t.Errorf("%s has no rates: %+v", code, f)
		}
	}
	var f apperr.Fields
	d.MoneyCurrency(&f, "v", "")
	d.MoneyCurrency(&f, "w", "ABC")
	if len(f) != 2 || f[0].Key != "error.required" || f[1].Key != "error.unknown_currency" {
		t.Errorf("empty and unknown codes: %+v", f)
	}
}
