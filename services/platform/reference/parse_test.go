package reference

import (
	"bytes"
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// dataWith returns the embedded files with one file replaced.
func dataWith(t testing.TB, file, content string) fs.FS {
	t.Helper()
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		t.Fatal(err)
	}
	m := fstest.MapFS{}
	entries, err := fs.ReadDir(sub, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(sub, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = &fstest.MapFile{Data: b}
	}
	if content == "" {
		delete(m, file)
	} else {
		m[file] = &fstest.MapFile{Data: []byte(content)}
	}
	return m
}

const (
	sectorsHeader = "code,name_en,name_ru,name_kk,concept_clause,hs_chapters,hs_headings,note\n"
	countryHeader = "alpha2,alpha3,numeric,name,name_ru,region,sub_region,currency\n"
)

func TestLoadRejectsMalformedData(t *testing.T) {
	tests := []struct {
		file, content, want string
	}{
		{fileSectors, sectorsHeader + "machine_building,Machines,Р,Қ,2.2,84;85,,\nx,X,Р,Қ,2.2,\"8x\",,\n",
			`priority_sectors.csv line 3, field hs_chapters: "8x" is not a 2-digit HS chapter`},
		{fileSectors, sectorsHeader + "x,X,Р,Қ,2.2,,271,\n",
			`priority_sectors.csv line 2, field hs_headings: "271" is not a 4-digit HS heading`},
		{fileSectors, sectorsHeader + "x,X,Р,Қ,9.9,84,,\n",
			`priority_sectors.csv line 2, field concept_clause: "9.9" is not in concept_priorities.csv`},
		{fileSectors, sectorsHeader + "x,X,Р,Қ,2.2,77,,\n",
			`priority_sectors.csv line 2, field hs_chapters: "77" is not in hs_codes.csv`},
		{fileSectors, sectorsHeader + "x,X,Р,Қ,2.2,84,,\ny,Y,Р,Қ,2.2,,2709;2709,\n",
			`priority_sectors.csv line 3, field hs_headings: "2709" is already mapped to sector y`},
		{fileSectors, sectorsHeader + "x,X,Р,Қ,2.2,84,,\nx,X,Р,Қ,2.2,85,,\n",
			`priority_sectors.csv line 3, field code: duplicate "x" (first on line 2)`},
		{fileSectors, sectorsHeader + "x,X,Р,Қ,2.2,84,\n",
			`priority_sectors.csv line 2: 7 fields, want 8`},
		{fileSectors, "code,name,concept_clause,hs_chapters,hs_headings,note\n",
			`priority_sectors.csv line 1: header is`},
		{fileRaw, "hs_prefix,description\n2709,crude\n27091,odd\n",
			`raw_commodities.csv line 3, field hs_prefix: "27091" is not a 2-, 4- or 6-digit HS code`},
		{fileCountries, countryHeader + "AF,AFG,4,Afghanistan,Намибия,Asia,Southern Asia,AFN\nNa,NAM,516,Namibia,Намибия,Africa,,NAD\n",
			`countries.csv line 3, field alpha2: "Na" is not a 2-letter upper-case ISO alpha-2 code`},
		{fileCountries, countryHeader + "NA,NAM,516,Namibia,Намибия,Africa,,NAD\nNA,NAX,517,Namibia,Намибия,Africa,,NAD\n",
			`countries.csv line 3, field alpha2: duplicate "NA" (first on line 2)`},
		{fileCountries, countryHeader + "NA,NAM,516,Namibia,Намибия,Africa,,BGN\n",
			`countries.csv line 2, field currency: "BGN" is not a currency in force in currencies.csv`},
		{fileCountries, countryHeader + "NA,NAM,0516,Namibia,Намибия,Africa,,NAD\n",
			`countries.csv line 2, field numeric: "0516" is not a 1- to 3-digit ISO numeric code`},
		{fileCurrencies, "Entity,Currency,AlphabeticCode,NumericCode,MinorUnit,WithdrawalDate\nX,Euro,EUR,978,2,\nY,Euro,EUR,978,3,\n",
			`currencies.csv line 3, field AlphabeticCode: "EUR" differs from line 2 in name or minor units`},
		{fileCurrencies, "Entity,Currency,AlphabeticCode,NumericCode,MinorUnit,WithdrawalDate\nX,Euro,EUR,978,two,\n",
			`currencies.csv line 2, field MinorUnit: "two" is not a digit or -`},
		{fileRegions, "code,name_en,name_ru,name_kk,type,name_iso_codes\nKZ-7,Astana,Астана,Астана,City,Astana\n",
			`kz_regions.csv line 2, field code: "KZ-7" is not an ISO 3166-2:KZ code like KZ-75`},
		{fileClauses, "clause,area,short_title,short_title_ru,short_title_kk\n2.7,economic_diplomacy,,,\n",
			`concept_priorities.csv line 2, field short_title: is empty`},
		{fileHS, "section,hscode,description,parent,level\nI,01,Animals,TOTAL,2\nI,0101,Horses,01,6\n",
			`hs_codes.csv line 3, field level: "6" does not match the 4-digit code 0101`},
		{fileHS, "section,hscode,description,parent,level\nI,01,Animals,TOTAL,2\nI,0201,Meat,01,4\n",
			`hs_codes.csv line 3, field parent: "01" is not the code's parent listed above it`},
		{fileHS, "section,hscode,description,parent,level\nXXX,01,Animals,TOTAL,2\n",
			`hs_codes.csv line 2, field section: "XXX" is not in hs_sections.csv`},
		{filePosts, "code,country,city,city_ru,city_kk,kind\nDe-Berlin,DE,Berlin,,,embassy\n",
			`posts.csv line 2, field code: "De-Berlin" is not a lower-case token of letters, digits and hyphens`},
		{filePosts, "code,country,city,city_ru,city_kk,kind\nde-berlin,DE,Berlin,,,office\n",
			`posts.csv line 2, field kind: "office" is not one of embassy, consulate, trade_mission`},
		{filePosts, "code,country,city,city_ru,city_kk,kind\nxx-atlantis,XX,Atlantis,,,embassy\n",
			`posts.csv line 2, field country: "XX" is not in countries.csv`},
		{fileAgencies, "code,name_en,name_ru,name_kk,kind\nmti,Ministry of Trade,М,С,ministry\nmti,Again,М,С,ministry\n",
			`agencies.csv line 3, field code: duplicate "mti"`},
		{fileAgencies, "code,name_en,name_ru,name_kk,kind\nmti,Ministry of Trade,М,С,club\n",
			`agencies.csv line 2, field kind: "club" is not one of ministry, agency, holding, company, local`},
		{fileFRED, "Date,Country,Exchange rate\r\n2024-01-01,Euro,0.91\r\n2024-02-01,Euro,0\r\n",
			`fx_rates.csv line 3, field Exchange rate: "0" is not a positive decimal rate`},
		{fileFRED, "Date,Country,Exchange rate\r\n2024-01-01,Euro,1e3\r\n",
			`fx_rates.csv line 2, field Exchange rate: "1e3" is not a positive decimal rate`},
		{fileFRED, "Date,Country,Exchange rate\r\n2024-01-01,Turkey,30.1\r\n",
			`fx_rates.csv line 2, field Country: unknown series "Turkey"`},
		{fileFRED, "Date,Country,Exchange rate\r\n2024-01-01,Euro,0.91\r\n2024-01-01,Euro,0.92\r\n",
			`fx_rates.csv line 3, field Date: duplicate "2024-01-01 Euro" (first on line 2)`},
		{fileKZT, "date,kzt_per_usd\n2024-13-01,450\n",
			`fx_kzt_usd_monthly.csv line 2, field date: "2024-13-01" is not a YYYY-MM-DD date`},
		{fileKZT, "date,kzt_per_usd\n2024-01-15,450\n",
			`fx_kzt_usd_monthly.csv line 2, field date: "2024-01-15" is not the first day of a month`},
		{fileKZT, "date,kzt_per_usd\n2024-01-01,\"450\n",
			`fx_kzt_usd_monthly.csv line 2: extraneous or missing " in quoted-field`},
		{fileKZT, "", `fx_kzt_usd_monthly.csv`}, // missing file
		{fileKZT, "\n", `fx_kzt_usd_monthly.csv: empty file`},
	}
	for _, tt := range tests {
		_, err := load(dataWith(t, tt.file, tt.content))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("load with bad %s: error = %v\nwant it to contain %s", tt.file, err, tt.want)
		}
	}
}

func TestLoadAcceptsCRLFAndLF(t *testing.T) {
	d, err := load(dataWith(t, fileKZT, "date,kzt_per_usd\r\n2024-01-01,450.5\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.FXCurrencies(); len(got) == 0 {
		t.Error("no FX currencies")
	}
}

// seed returns the first lines of an embedded file as a fuzz seed.
func seed(f *testing.F, file string, lines int) {
	b, err := embedded.ReadFile("data/" + file)
	if err != nil {
		f.Fatal(err)
	}
	parts := bytes.SplitAfterN(b, []byte("\n"), lines+1)
	f.Add(bytes.Join(parts[:min(lines, len(parts))], nil))
	f.Add(append(bytes.Join(parts[:min(2, len(parts))], nil), []byte("x,\"y\n;;;,\xff,\r\n")...))
}

// fuzzParser checks that parse never panics, whatever the input.
func fuzzParser(f *testing.F, file string, parse func(io.Reader) error) {
	seed(f, file, 40)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		_ = parse(bytes.NewReader(in))
	})
}

func FuzzParseSections(f *testing.F) {
	fuzzParser(f, fileSections, func(r io.Reader) error { _, err := parseSections(r); return err })
}

func FuzzParseHS(f *testing.F) {
	sections := map[string]HSSection{"I": {}, "V": {}}
	fuzzParser(f, fileHS, func(r io.Reader) error { _, err := parseHS(r, sections); return err })
}

func FuzzParseClauses(f *testing.F) {
	fuzzParser(f, fileClauses, func(r io.Reader) error { _, err := parseClauses(r); return err })
}

func FuzzParseSectors(f *testing.F) {
	d := Default()
	fuzzParser(f, fileSectors, func(r io.Reader) error { _, err := parseSectors(r, d.clauseIdx, d.hsIdx); return err })
}

func FuzzParseRawCommodities(f *testing.F) {
	d := Default()
	fuzzParser(f, fileRaw, func(r io.Reader) error { _, err := parseRaw(r, d.hsIdx); return err })
}

func FuzzParseCurrencies(f *testing.F) {
	fuzzParser(f, fileCurrencies, func(r io.Reader) error { _, err := parseCurrencies(r); return err })
}

func FuzzParseCountries(f *testing.F) {
	d := Default()
	fuzzParser(f, fileCountries, func(r io.Reader) error { _, err := parseCountries(r, d.currencies); return err })
}

func FuzzParseRegions(f *testing.F) {
	fuzzParser(f, fileRegions, func(r io.Reader) error { _, err := parseRegions(r); return err })
}

func FuzzParsePosts(f *testing.F) {
	d := Default()
	fuzzParser(f, filePosts, func(r io.Reader) error { _, err := parsePosts(r, d.countryIdx); return err })
}

func FuzzParseAgencies(f *testing.F) {
	fuzzParser(f, fileAgencies, func(r io.Reader) error { _, err := parseAgencies(r); return err })
}

func FuzzParseRates(f *testing.F) {
	d := Default()
	fuzzParser(f, fileFRED, func(r io.Reader) error {
		rates, err := parseFRED(r, d.currencies)
		for _, byMonth := range rates {
			for _, x := range byMonth {
				if err == nil && !x.IsPositive() {
					panic("accepted a rate that is not positive: " + x.String())
				}
			}
		}
		return err
	})
}

func FuzzParseKZTRates(f *testing.F) {
	fuzzParser(f, fileKZT, func(r io.Reader) error { _, err := parseKZT(r); return err })
}
