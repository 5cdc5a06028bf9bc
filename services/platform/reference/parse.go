package reference

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"econdip/services/platform/textfold"
)

// File names inside data/.
const (
	fileClauses    = "concept_priorities.csv"
	fileSectors    = "priority_sectors.csv"
	fileRaw        = "raw_commodities.csv"
	fileHS         = "hs_codes.csv"
	fileSections   = "hs_sections.csv"
	fileCountries  = "countries.csv"
	fileCurrencies = "currencies.csv"
	fileRegions    = "kz_regions.csv"
	filePosts      = "posts.csv"
	fileAgencies   = "agencies.csv"
	fileHSNames    = "hs_names.csv"
	fileFRED       = "fx_rates.csv"
	fileKZT        = "fx_kzt_usd_monthly.csv"
)

var (
	reAlpha2   = regexp.MustCompile(`^[A-Z]{2}$`)
	reAlpha3   = regexp.MustCompile(`^[A-Z]{3}$`)
	reNumeric  = regexp.MustCompile(`^[0-9]{1,3}$`)
	reRegion   = regexp.MustCompile(`^KZ-[0-9]{2}$`)
	reChapter  = regexp.MustCompile(`^[0-9]{2}$`)
	reHeading  = regexp.MustCompile(`^[0-9]{4}$`)
	reHSCode   = regexp.MustCompile(`^(?:[0-9]{2}){1,3}$`)
	reSection  = regexp.MustCompile(`^[IVXL]+$`)
	reClause   = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
	reToken    = regexp.MustCompile(`^[a-z][a-z_]*$`)
	rePostCode = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	reRate     = regexp.MustCompile(`^[0-9]+(?:\.[0-9]+)?$`)
	reMinor    = regexp.MustCompile(`^(?:[0-9]|-)$`)
)

var postKinds = []string{"embassy", "consulate", "trade_mission"}

// load parses every file in fsys in dependency order: later files are
// checked against the indexes of earlier ones.
func load(fsys fs.FS) (*Data, error) {
	d := &Data{rated: &ratedSet{}}
	var sections map[string]HSSection
	var fred map[string]map[int]decimal.Decimal
	var kzt map[int]decimal.Decimal
	steps := []struct {
		file  string
		parse func(io.Reader) error
	}{
		{fileSections, func(r io.Reader) (err error) { sections, err = parseSections(r); d.sections = sections; return }},
		{fileHS, func(r io.Reader) (err error) {
			d.hs, err = parseHS(r, sections)
			d.hsIdx = indexBy(d.hs, func(h HSCode) string { return h.Code })
			return
		}},
		{fileHSNames, func(r io.Reader) error { return parseHSNames(r, d.hs, d.hsIdx) }},
		{fileClauses, func(r io.Reader) (err error) {
			d.clauses, err = parseClauses(r)
			d.clauseIdx = indexBy(d.clauses, func(c Clause) string { return c.ID })
			return
		}},
		{fileSectors, func(r io.Reader) (err error) {
			d.sectors, err = parseSectors(r, d.clauseIdx, d.hsIdx)
			d.sectorIdx = indexBy(d.sectors, func(s Sector) string { return s.Code })
			return
		}},
		{fileRaw, func(r io.Reader) (err error) { d.raw, err = parseRaw(r, d.hsIdx); return }},
		{fileCurrencies, func(r io.Reader) (err error) { d.currencies, err = parseCurrencies(r); return }},
		{fileCountries, func(r io.Reader) (err error) {
			d.countries, err = parseCountries(r, d.currencies)
			d.countryIdx = indexBy(d.countries, func(c Country) string { return c.Alpha2 })
			return
		}},
		{fileRegions, func(r io.Reader) (err error) {
			d.regions, err = parseRegions(r)
			d.regionIdx = indexBy(d.regions, func(g Region) string { return g.Code })
			return
		}},
		{filePosts, func(r io.Reader) (err error) {
			d.posts, err = parsePosts(r, d.countryIdx)
			d.postIdx = indexBy(d.posts, func(p Post) string { return p.Code })
			return
		}},
		{fileAgencies, func(r io.Reader) (err error) {
			d.agencies, err = parseAgencies(r)
			d.agencyIdx = indexBy(d.agencies, func(a Agency) string { return a.Code })
			return
		}},
		{fileFRED, func(r io.Reader) (err error) { fred, err = parseFRED(r, d.currencies); return }},
		{fileKZT, func(r io.Reader) (err error) { kzt, err = parseKZT(r); return }},
	}
	for _, s := range steps {
		f, err := fsys.Open(s.file)
		if err != nil {
			return nil, err
		}
		err = s.parse(f)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	d.sectorPrefix = map[string]int{}
	for i, s := range d.sectors {
		for _, p := range slices.Concat(s.HSChapters, s.HSHeadings) {
			d.sectorPrefix[p] = i
		}
	}
	d.hsEnglish, d.hsTranslated = make([]string, len(d.hs)), make([]string, len(d.hs))
	for i, h := range d.hs {
		// A newline keeps a query word from matching across the two names.
		d.hsEnglish[i], d.hsTranslated[i] = textfold.Fold(h.Description), textfold.Fold(strings.TrimSpace(h.NameRU+"\n"+h.NameKK))
	}
	d.fx = buildFX(fred, kzt)
	return d, nil
}

func indexBy[T any](items []T, key func(T) string) map[string]int {
	m := make(map[string]int, len(items))
	for i, it := range items {
		m[key(it)] = i
	}
	return m
}

// row is one CSV record with enough context to name the file, line and field in errors.
type row struct {
	file   string
	line   int
	header []string
	rec    []string
}

func (r row) get(field string) string {
	i := slices.Index(r.header, field)
	if i < 0 {
		panic("reference: no field " + field + " in " + r.file) // programming error
	}
	return r.rec[i]
}

func (r row) errf(field, format string, args ...any) error {
	return fmt.Errorf("%s line %d, field %s: %s", r.file, r.line, field, fmt.Sprintf(format, args...))
}

// match returns the field's value if it matches re, else an error saying it is not what.
func (r row) match(field string, re *regexp.Regexp, what string) (string, error) {
	v := r.get(field)
	if !re.MatchString(v) {
		return "", r.errf(field, "%q is not %s", v, what)
	}
	return v, nil
}

// list splits a ";"-separated field and matches every item; an empty field is an empty list.
func (r row) list(field string, re *regexp.Regexp, what string) ([]string, error) {
	v := r.get(field)
	if v == "" {
		return nil, nil
	}
	items := strings.Split(v, ";")
	for _, it := range items {
		if !re.MatchString(it) {
			return nil, r.errf(field, "%q is not %s", it, what)
		}
	}
	return items, nil
}

// translation returns a name column that every row must fill (sectors,
// agencies, regions): the UI shows it in the user's language, with no
// English fallback for a state body's or region's official name.
func (r row) translation(field string) (string, error) {
	v := r.get(field)
	if v == "" {
		return "", fmt.Errorf("%s line %d, column %d (%s): the translation is missing: every row needs its name in English, Russian and Kazakh",
			r.file, r.line, slices.Index(r.header, field)+1, field)
	}
	return v, nil
}

func (r row) nonEmpty(field string) (string, error) {
	v := r.get(field)
	if v == "" {
		return "", r.errf(field, "is empty")
	}
	return v, nil
}

// month parses a YYYY-MM-DD date that must be the first of a month.
func (r row) month(field string) (int, error) {
	v := r.get(field)
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return 0, r.errf(field, "%q is not a YYYY-MM-DD date", v)
	}
	if t.Day() != 1 {
		return 0, r.errf(field, "%q is not the first day of a month", v)
	}
	return monthIndex(t), nil
}

func (r row) rate(field string) (decimal.Decimal, error) {
	v := r.get(field)
	x, err := decimal.NewFromString(v)
	if !reRate.MatchString(v) || err != nil || !x.IsPositive() {
		return decimal.Decimal{}, r.errf(field, "%q is not a positive decimal rate", v)
	}
	return x, nil
}

// seen reports duplicate keys with the line of their first occurrence.
type seen map[string]int

func (s seen) add(r row, field, key string) error {
	if first, ok := s[key]; ok {
		return r.errf(field, "duplicate %q (first on line %d)", key, first)
	}
	s[key] = r.line
	return nil
}

// readCSV checks the header and the column count, trims every field and calls fn for each record.
func readCSV(file string, in io.Reader, header []string, fn func(row) error) error {
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = -1
	got, err := cr.Read()
	if err == io.EOF {
		return fmt.Errorf("%s: empty file", file)
	}
	if err != nil {
		return csvErr(file, err)
	}
	if !slices.Equal(got, header) {
		return fmt.Errorf("%s line 1: header is %q, want %q", file, got, header)
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvErr(file, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return fmt.Errorf("%s line %d: %d fields, want %d (%s)", file, line, len(rec), len(header), strings.Join(header, ","))
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if err := fn(row{file, line, header, rec}); err != nil {
			return err
		}
	}
}

func csvErr(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s line %d: %v", file, pe.Line, pe.Err)
	}
	return fmt.Errorf("%s: %w", file, err)
}

func parseSections(in io.Reader) (map[string]HSSection, error) {
	out := map[string]HSSection{}
	dup := seen{}
	err := readCSV(fileSections, in, []string{"section", "name", "name_ru", "name_kk"}, func(r row) error {
		var s HSSection
		var err error
		if s.ID, err = r.match("section", reSection, "a Roman numeral"); err != nil {
			return err
		}
		if s.NameEN, err = r.nonEmpty("name"); err != nil {
			return err
		}
		s.NameRU, s.NameKK = r.get("name_ru"), r.get("name_kk")
		out[s.ID] = s
		return dup.add(r, "section", s.ID)
	})
	return out, err
}

func parseHS(in io.Reader, sections map[string]HSSection) ([]HSCode, error) {
	var out []HSCode
	dup := seen{}
	err := readCSV(fileHS, in, []string{"section", "hscode", "description", "parent", "level"}, func(r row) error {
		if r.get("hscode") == "TOTAL" { // the grand-total row is not a code
			return nil
		}
		code, err := r.match("hscode", reHSCode, "a 2-, 4- or 6-digit HS code")
		if err != nil {
			return err
		}
		h := HSCode{Code: code, Level: len(code)}
		if lv := r.get("level"); lv != strconv.Itoa(h.Level) {
			return r.errf("level", "%q does not match the %d-digit code %s", lv, h.Level, code)
		}
		if h.Description, err = r.nonEmpty("description"); err != nil {
			return err
		}
		h.Parent = r.get("parent")
		if h.Level == 2 && h.Parent == "TOTAL" {
			h.Parent = ""
		} else if _, ok := dup[h.Parent]; !ok || h.Parent != code[:h.Level-2] {
			return r.errf("parent", "%q is not the code's parent listed above it", h.Parent)
		}
		h.Section = r.get("section")
		if h.Section == "TOTAL" && strings.HasPrefix(code, "99") {
			h.Section = "" // chapter 99 (not specified by kind) belongs to no section
		} else if _, ok := sections[h.Section]; !ok {
			return r.errf("section", "%q is not in %s", h.Section, fileSections)
		}
		if err := dup.add(r, "hscode", code); err != nil {
			return err
		}
		out = append(out, h)
		return nil
	})
	return out, err
}

// hsNameSources are the values of hs_names.csv's source column (PROVENANCE.md says what each means).
var hsNameSources = []string{"eaeu-chapter", "ours"}

// parseHSNames adds the Russian and Kazakh names of hs_names.csv to hs.
func parseHSNames(in io.Reader, hs []HSCode, idx map[string]int) error {
	dup := seen{}
	return readCSV(fileHSNames, in, []string{"code", "name_ru", "name_kk", "source"}, func(r row) error {
		code := r.get("code")
		i, ok := idx[code]
		if !ok {
			return r.errf("code", "%q is not in %s", code, fileHS)
		}
		var err error
		if hs[i].NameRU, err = r.translation("name_ru"); err != nil {
			return err
		}
		if hs[i].NameKK, err = r.translation("name_kk"); err != nil {
			return err
		}
		if src := r.get("source"); !slices.Contains(hsNameSources, src) {
			return r.errf("source", "%q is not one of %s", src, strings.Join(hsNameSources, ", "))
		}
		return dup.add(r, "code", code)
	})
}

func parseClauses(in io.Reader) ([]Clause, error) {
	var out []Clause
	dup := seen{}
	err := readCSV(fileClauses, in, []string{"clause", "area", "short_title", "short_title_ru", "short_title_kk"}, func(r row) error {
		var c Clause
		var err error
		if c.ID, err = r.match("clause", reClause, "a clause number like 2.7"); err != nil {
			return err
		}
		if c.Area, err = r.match("area", reToken, "a lower_case area"); err != nil {
			return err
		}
		if c.TitleEN, err = r.nonEmpty("short_title"); err != nil {
			return err
		}
		c.TitleRU, c.TitleKK = r.get("short_title_ru"), r.get("short_title_kk")
		out = append(out, c)
		return dup.add(r, "clause", c.ID)
	})
	return out, err
}

func parseSectors(in io.Reader, clauses, hs map[string]int) ([]Sector, error) {
	var out []Sector
	dup := seen{}
	owner := map[string]string{} // HS prefix -> sector code
	header := []string{"code", "name_en", "name_ru", "name_kk", "concept_clause", "hs_chapters", "hs_headings", "note"}
	err := readCSV(fileSectors, in, header, func(r row) error {
		var s Sector
		var err error
		if s.Code, err = r.match("code", reToken, "a lower_case sector code"); err != nil {
			return err
		}
		if err := dup.add(r, "code", s.Code); err != nil {
			return err
		}
		if s.NameEN, err = r.nonEmpty("name_en"); err != nil {
			return err
		}
		if s.NameRU, err = r.translation("name_ru"); err != nil {
			return err
		}
		if s.NameKK, err = r.translation("name_kk"); err != nil {
			return err
		}
		if s.Clauses, err = r.list("concept_clause", reClause, "a clause number like 2.2"); err != nil {
			return err
		}
		if len(s.Clauses) == 0 {
			return r.errf("concept_clause", "is empty")
		}
		for _, c := range s.Clauses {
			if _, ok := clauses[c]; !ok {
				return r.errf("concept_clause", "%q is not in %s", c, fileClauses)
			}
		}
		s.Clause = s.Clauses[0]
		if s.HSChapters, err = r.list("hs_chapters", reChapter, "a 2-digit HS chapter"); err != nil {
			return err
		}
		if s.HSHeadings, err = r.list("hs_headings", reHeading, "a 4-digit HS heading"); err != nil {
			return err
		}
		for _, f := range []struct {
			field string
			codes []string
		}{{"hs_chapters", s.HSChapters}, {"hs_headings", s.HSHeadings}} {
			field := f.field
			for _, c := range f.codes {
				if _, ok := hs[c]; !ok {
					return r.errf(field, "%q is not in %s", c, fileHS)
				}
				if other, ok := owner[c]; ok {
					return r.errf(field, "%q is already mapped to sector %s", c, other)
				}
				owner[c] = s.Code
			}
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

func parseRaw(in io.Reader, hs map[string]int) (map[string]bool, error) {
	out := map[string]bool{}
	dup := seen{}
	err := readCSV(fileRaw, in, []string{"hs_prefix", "description"}, func(r row) error {
		p, err := r.match("hs_prefix", reHSCode, "a 2-, 4- or 6-digit HS code")
		if err != nil {
			return err
		}
		if _, ok := hs[p]; !ok {
			return r.errf("hs_prefix", "%q is not in %s", p, fileHS)
		}
		out[p] = true
		return dup.add(r, "hs_prefix", p)
	})
	return out, err
}

func parseCurrencies(in io.Reader) (map[string]Currency, error) {
	out := map[string]Currency{}
	lines := map[string]int{} // first line of each code
	header := []string{"Entity", "Currency", "AlphabeticCode", "NumericCode", "MinorUnit", "WithdrawalDate"}
	err := readCSV(fileCurrencies, in, header, func(r row) error {
		if r.get("WithdrawalDate") != "" {
			return nil
		}
		if r.get("AlphabeticCode") == "" && r.get("Currency") == "No universal currency" {
			return nil // Antarctica and the like
		}
		var c Currency
		var err error
		if c.Code, err = r.match("AlphabeticCode", reAlpha3, "a 3-letter ISO 4217 code"); err != nil {
			return err
		}
		if c.Name, err = r.nonEmpty("Currency"); err != nil {
			return err
		}
		minor, err := r.match("MinorUnit", reMinor, "a digit or -")
		if err != nil {
			return err
		}
		c.MinorUnits = -1
		if minor != "-" {
			c.MinorUnits = int(minor[0] - '0')
		}
		// One row per entity using the currency: keep one, but they must agree.
		if prev, ok := out[c.Code]; ok && prev != c {
			return r.errf("AlphabeticCode", "%q differs from line %d in name or minor units", c.Code, lines[c.Code])
		}
		if _, ok := lines[c.Code]; !ok {
			lines[c.Code] = r.line
		}
		out[c.Code] = c
		return nil
	})
	return out, err
}

func parseCountries(in io.Reader, currencies map[string]Currency) ([]Country, error) {
	var out []Country
	dup2, dup3, dupN := seen{}, seen{}, seen{}
	header := []string{"alpha2", "alpha3", "numeric", "name", "name_ru", "region", "sub_region", "currency"}
	err := readCSV(fileCountries, in, header, func(r row) error {
		var c Country
		var err error
		if c.Alpha2, err = r.match("alpha2", reAlpha2, "a 2-letter upper-case ISO alpha-2 code"); err != nil {
			return err
		}
		if c.Alpha3, err = r.match("alpha3", reAlpha3, "a 3-letter upper-case ISO alpha-3 code"); err != nil {
			return err
		}
		num, err := r.match("numeric", reNumeric, "a 1- to 3-digit ISO numeric code")
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(num)
		c.Numeric = fmt.Sprintf("%03d", n)
		if c.NameEN, err = r.nonEmpty("name"); err != nil {
			return err
		}
		c.NameRU, c.NameKK = r.get("name_ru"), kazakhName(c.Alpha2)
		c.Region, c.SubRegion, c.Currency = r.get("region"), r.get("sub_region"), r.get("currency")
		if _, ok := currencies[c.Currency]; c.Currency != "" && !ok {
			return r.errf("currency", "%q is not a currency in force in %s", c.Currency, fileCurrencies)
		}
		for _, e := range []error{dup2.add(r, "alpha2", c.Alpha2), dup3.add(r, "alpha3", c.Alpha3), dupN.add(r, "numeric", c.Numeric)} {
			if e != nil {
				return e
			}
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

func parseRegions(in io.Reader) ([]Region, error) {
	var out []Region
	dup := seen{}
	err := readCSV(fileRegions, in, []string{"code", "name_en", "name_ru", "name_kk", "type", "name_iso_codes"}, func(r row) error {
		var g Region
		var err error
		if g.Code, err = r.match("code", reRegion, "an ISO 3166-2:KZ code like KZ-75"); err != nil {
			return err
		}
		if g.NameEN, err = r.nonEmpty("name_en"); err != nil {
			return err
		}
		if g.NameRU, err = r.translation("name_ru"); err != nil {
			return err
		}
		if g.NameKK, err = r.translation("name_kk"); err != nil {
			return err
		}
		if t := r.get("type"); t != "Region" && t != "City" {
			return r.errf("type", "%q is not Region or City", t)
		}
		out = append(out, g)
		return dup.add(r, "code", g.Code)
	})
	return out, err
}

func parsePosts(in io.Reader, countries map[string]int) ([]Post, error) {
	var out []Post
	dup := seen{}
	err := readCSV(filePosts, in, []string{"code", "country", "city", "city_ru", "city_kk", "kind"}, func(r row) error {
		var p Post
		var err error
		if p.Code, err = r.match("code", rePostCode, "a lower-case token of letters, digits and hyphens"); err != nil {
			return err
		}
		if p.Country, err = r.match("country", reAlpha2, "a 2-letter upper-case ISO alpha-2 code"); err != nil {
			return err
		}
		if _, ok := countries[p.Country]; !ok {
			return r.errf("country", "%q is not in %s", p.Country, fileCountries)
		}
		if p.CityEN, err = r.nonEmpty("city"); err != nil {
			return err
		}
		p.CityRU, p.CityKK = r.get("city_ru"), r.get("city_kk")
		if p.Kind = r.get("kind"); !slices.Contains(postKinds, p.Kind) {
			return r.errf("kind", "%q is not one of %s", p.Kind, strings.Join(postKinds, ", "))
		}
		out = append(out, p)
		return dup.add(r, "code", p.Code)
	})
	return out, err
}

func parseAgencies(in io.Reader) ([]Agency, error) {
	var out []Agency
	dup := seen{}
	err := readCSV(fileAgencies, in, []string{"code", "name_en", "name_ru", "name_kk", "kind"}, func(r row) error {
		var a Agency
		var err error
		if a.Code, err = r.match("code", rePostCode, "a lower-case token of letters, digits and hyphens"); err != nil {
			return err
		}
		if a.NameEN, err = r.nonEmpty("name_en"); err != nil {
			return err
		}
		if a.NameRU, err = r.translation("name_ru"); err != nil {
			return err
		}
		if a.NameKK, err = r.translation("name_kk"); err != nil {
			return err
		}
		if a.Kind = r.get("kind"); !slices.Contains(agencyKinds, a.Kind) {
			return r.errf("kind", "%q is not one of %s", a.Kind, strings.Join(agencyKinds, ", "))
		}
		out = append(out, a)
		return dup.add(r, "code", a.Code)
	})
	return out, err
}

// parseFRED returns units of currency per 1 USD by ISO code and month.
func parseFRED(in io.Reader, currencies map[string]Currency) (map[string]map[int]decimal.Decimal, error) {
	out := map[string]map[int]decimal.Decimal{}
	dup := seen{}
	err := readCSV(fileFRED, in, []string{"Date", "Country", "Exchange rate"}, func(r row) error {
		m, err := r.month("Date")
		if err != nil {
			return err
		}
		series := r.get("Country")
		code, known := fredCurrencies[series]
		if !known {
			return r.errf("Country", "unknown series %q: map it to an ISO 4217 code in fredCurrencies", series)
		}
		x, err := r.rate("Exchange rate")
		if err != nil {
			return err
		}
		if err := dup.add(r, "Date", r.get("Date")+" "+series); err != nil {
			return err
		}
		if code == "" {
			return nil
		}
		if _, ok := currencies[code]; !ok {
			return r.errf("Country", "%q maps to %s, which is not a currency in force", series, code)
		}
		if out[code] == nil {
			out[code] = map[int]decimal.Decimal{}
		}
		out[code][m] = x
		return nil
	})
	return out, err
}

// parseKZT returns KZT per 1 USD by month.
func parseKZT(in io.Reader) (map[int]decimal.Decimal, error) {
	out := map[int]decimal.Decimal{}
	dup := seen{}
	err := readCSV(fileKZT, in, []string{"date", "kzt_per_usd"}, func(r row) error {
		m, err := r.month("date")
		if err != nil {
			return err
		}
		x, err := r.rate("kzt_per_usd")
		if err != nil {
			return err
		}
		out[m] = x
		return dup.add(r, "date", r.get("date"))
	})
	return out, err
}
