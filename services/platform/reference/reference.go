// Package reference holds the product's reference data: the Concept's clauses
// and priority sectors, the raw-commodity rule, the HS 2022 nomenclature, ISO
// countries, currencies and Kazakhstan's regions, Kazakhstan's foreign posts
// and monthly exchange rates (FRED for currencies per USD, the National Bank
// of Kazakhstan for KZT per USD).
//
// The CSV files in data/ are embedded in the binary and validated when
// loaded; data/PROVENANCE.md says where each file comes from, under which
// licence, and what was changed.
package reference

import (
	"embed"
	"io/fs"
	"slices"
	"sync"
)

//go:embed data/*.csv
var embedded embed.FS

// Data is the loaded reference data; it is immutable after loading and safe for concurrent use.
type Data struct {
	countries    []Country
	countryIdx   map[string]int
	currencies   map[string]Currency
	regions      []Region
	regionIdx    map[string]int
	clauses      []Clause
	clauseIdx    map[string]int
	sectors      []Sector
	sectorIdx    map[string]int
	sectorPrefix map[string]int // HS chapter or heading -> index in sectors
	raw          map[string]bool
	hs           []HSCode
	hsIdx        map[string]int
	hsEnglish    []string // folded English descriptions, parallel to hs
	hsTranslated []string // folded Russian and Kazakh names, parallel to hs ("" for most subheadings)
	sections     map[string]HSSection
	posts        []Post
	agencies     []Agency
	agencyIdx    map[string]int
	postIdx      map[string]int
	fx           map[string][]monthRate
	rated        *ratedSet // the currencies with rates (demorates.go)
}

// Country is an ISO 3166-1 country or territory.
type Country struct {
	Alpha2    string // e.g. "NA" for Namibia
	Alpha3    string
	Numeric   string // zero-padded to three digits, e.g. "004"
	NameEN    string // UN English official name
	NameRU    string // UN Russian short name
	NameKK    string // CLDR Kazakh name (x/text); empty where CLDR has none
	Region    string // UN M49 region, empty for Antarctica
	SubRegion string // UN M49 sub-region
	Currency  string // ISO 4217 code of the main currency, empty when there is none
}

// Currency is an ISO 4217 currency in force.
type Currency struct {
	Code       string
	Name       string
	MinorUnits int // -1 when ISO 4217 gives none (gold, SDR, test codes)
}

// Region is a first-level subdivision of Kazakhstan (ISO 3166-2:KZ), e.g. KZ-75 Almaty.
type Region struct{ Code, NameEN, NameRU, NameKK string }

// Clause is a clause of the foreign-policy Concept that leads, deals and decisions are tagged with.
type Clause struct{ ID, Area, TitleEN, TitleRU, TitleKK string }

// Sector is one of the Concept's basic (priority) sectors with its default HS mapping.
type Sector struct {
	Code       string
	NameEN     string
	NameRU     string
	NameKK     string
	Clause     string   // main Concept clause, the first of Clauses
	Clauses    []string // every Concept clause the sector belongs to
	HSChapters []string // 2-digit HS chapters
	HSHeadings []string // 4-digit HS headings
}

// HSCode is an entry of the HS 2022 nomenclature.
type HSCode struct {
	Code        string
	Description string // English (UN Comtrade short description)
	NameRU      string // empty where hs_names.csv has no translation
	NameKK      string
	Parent      string // empty for chapters
	Section     string // Roman numeral I-XXI, empty for chapter 99
	Level       int    // 2, 4 or 6 digits
}

// HSSection is a section I-XXI of the HS nomenclature.
type HSSection struct{ ID, NameEN, NameRU, NameKK string }

// Post is a Kazakh foreign post used as an attaché scope.
type Post struct {
	Code    string // lower-case token usable in NATS subjects and URLs, e.g. "de-berlin"
	Country string // ISO 3166-1 alpha-2
	CityEN  string
	CityRU  string // empty: falls back to CityEN
	CityKK  string
	Kind    string // embassy, consulate or trade_mission
}

// Load parses and validates the embedded data files.
func Load() (*Data, error) {
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		return nil, err
	}
	return load(sub)
}

var loadDefault = sync.OnceValue(func() *Data {
	d, err := Load()
	if err != nil {
		panic("reference: embedded data is corrupt: " + err.Error())
	}
	return d
})

// Default returns the embedded data, loaded once; it panics only if the embedded files are corrupt.
func Default() *Data { return loadDefault() }

// Country returns the country with the given upper-case ISO alpha-2 code.
func (d *Data) Country(alpha2 string) (Country, bool) {
	return lookup(d.countries, d.countryIdx, alpha2)
}

// Countries returns all countries in file order (by name).
func (d *Data) Countries() []Country { return slices.Clone(d.countries) }

// Currency returns the ISO 4217 currency in force with the given upper-case code.
func (d *Data) Currency(code string) (Currency, bool) {
	c, ok := d.currencies[code]
	return c, ok
}

// Region returns the Kazakh region with the given ISO 3166-2 code, e.g. "KZ-75".
func (d *Data) Region(code string) (Region, bool) { return lookup(d.regions, d.regionIdx, code) }

// Regions returns Kazakhstan's regions and cities of republican significance in code order.
func (d *Data) Regions() []Region { return slices.Clone(d.regions) }

// Clause returns the Concept clause with the given id, e.g. "2.7".
func (d *Data) Clause(id string) (Clause, bool) { return lookup(d.clauses, d.clauseIdx, id) }

// Clauses returns the Concept clauses in file order.
func (d *Data) Clauses() []Clause { return slices.Clone(d.clauses) }

// Sector returns the priority sector with the given code, e.g. "mining".
func (d *Data) Sector(code string) (Sector, bool) {
	s, ok := lookup(d.sectors, d.sectorIdx, code)
	return s.clone(), ok
}

// Sectors returns the priority sectors in file order.
func (d *Data) Sectors() []Sector {
	out := make([]Sector, len(d.sectors))
	for i, s := range d.sectors {
		out[i] = s.clone()
	}
	return out
}

// HSSection returns the HS section with the given Roman numeral, e.g. "XV".
func (d *Data) HSSection(id string) (HSSection, bool) {
	s, ok := d.sections[id]
	return s, ok
}

// Post returns the foreign post with the given code, e.g. "de-berlin".
func (d *Data) Post(code string) (Post, bool) { return lookup(d.posts, d.postIdx, code) }

// Agency is a Kazakh state body that can be responsible for a commission decision.
type Agency struct {
	Code   string // e.g. "mti"
	NameEN string // full official names
	NameRU string
	NameKK string
	Kind   string // ministry, agency, holding, company, local
}

var agencyKinds = []string{"ministry", "agency", "holding", "company", "local"}

// Agency returns the state body with the given code.
func (d *Data) Agency(code string) (Agency, bool) { return lookup(d.agencies, d.agencyIdx, code) }

// Agencies returns the state bodies in file order.
func (d *Data) Agencies() []Agency { return slices.Clone(d.agencies) }

// Posts returns the foreign posts in file order.
func (d *Data) Posts() []Post { return slices.Clone(d.posts) }

// clone copies the slices so callers cannot change the shared data.
func (s Sector) clone() Sector {
	s.Clauses = slices.Clone(s.Clauses)
	s.HSChapters = slices.Clone(s.HSChapters)
	s.HSHeadings = slices.Clone(s.HSHeadings)
	return s
}

func lookup[T any](items []T, idx map[string]int, key string) (T, bool) {
	i, ok := idx[key]
	if !ok {
		var zero T
		return zero, false
	}
	return items[i], true
}
