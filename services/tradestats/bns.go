// Package tradestats reads the realised export statistics that the Bureau of
// National Statistics (BNS) publishes: Kazakhstan's exports by HS chapter and
// month, in thousand US dollars, for all partners or by partner country.
//
// The file format (README "Realised trade statistics") is the BNS table as
// published, one line per chapter and month, plus an optional TOTAL line:
//
//	date,item_code,hs_chapter,value_thousand_usd,hs_description_en[,partner_country]
//	2026-07-01,HS01,01,2137.91539,Animals; live
//	2026-07-01,TOTAL,,10169912.73756003,"Total, all goods"
//
// Parse checks every line before anything is stored, and refuses the file
// with every wrong line and field named (rows[<line>].<column>), so a file is
// imported whole or not at all. This package has no I/O: analytics stores
// what it returns.
package tradestats

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"econdip/services/platform/apperr"
	"econdip/services/platform/kernel"
	"econdip/services/platform/money"
	"econdip/services/platform/reference"
)

// Columns of a BNS file. The first four are required; a file without
// partner_country (or with it empty on a line) gives exports to all partners.
const (
	ColDate        = "date"
	ColItemCode    = "item_code"
	ColChapter     = "hs_chapter"
	ColValue       = "value_thousand_usd"
	ColDescription = "hs_description_en"
	ColPartner     = "partner_country"
)

// Columns lists every column a file may have, the required ones first.
var Columns = []string{ColDate, ColItemCode, ColChapter, ColValue, ColDescription, ColPartner}

var requiredColumns = []string{ColDate, ColItemCode, ColChapter, ColValue}

// Limits of a file: far above a BNS table (98 lines a month for all partners,
// ~20,000 for a month by partner), low enough that a wrong upload cannot
// exhaust memory.
const (
	MaxBytes = 32 << 20
	MaxRows  = 500_000
	// MaxDecimals is the most decimal places a value may have: the BNS
	// tables carry the float noise of their spreadsheets (303.59814000000006)
	// and it is kept as published, exactly, in Decimal(38, 18).
	MaxDecimals = 18
	// maxDescription is the longest description kept, in characters.
	maxDescription = 500
)

// TotalTolerance is how far a TOTAL line may be from the sum of its
// chapters: one cent, in thousand USD. The published totals are the exact
// sums rounded to the spreadsheet's float precision, so they differ from the
// sum of the published chapter values in the eighth decimal.
var TotalTolerance = decimal.New(1, -5)

// TotalItem is the item_code of the line that totals a month's chapters.
const TotalItem = "TOTAL"

// World is the partner of exports to all partners together.
const World = ""

// Row is one chapter line of a file.
type Row struct {
	Line        int             // line of the file, 1 = the header
	Month       kernel.Day      // the first day of the month
	Partner     string          // ISO alpha-2; World for all partners
	Chapter     string          // 2 digits
	Value       decimal.Decimal // thousand USD, exactly as published
	Description string
}

// Group is one month of one partner scope in a file: its chapter lines and,
// when the file has one, its TOTAL line. Importing a group replaces what an
// earlier import held for the same month and partner.
type Group struct {
	Month     kernel.Day
	Partner   string
	Rows      []Row            // in the file's order
	Sum       decimal.Decimal  // of Rows, thousand USD
	Total     *decimal.Decimal // the TOTAL line's value; nil when the file has none for the group
	TotalLine int              // the TOTAL line's line number (0: none)
}

// File is a parsed, valid BNS file.
type File struct {
	Name   string  // as given: the base name of the file or upload
	SHA256 string  // of the bytes read, hex
	Groups []Group // by month, then partner (World first)
	Lines  int     // data lines read (chapters and totals)
}

// Rows is every chapter line of f, group by group.
func (f *File) Rows() []Row {
	var out []Row
	for _, g := range f.Groups {
		out = append(out, g.Rows...)
	}
	return out
}

// Field names the column of a line in an error: rows[<line>].<column>.
func Field(line int, column string) string {
	s := "rows[" + strconv.Itoa(line) + "]"
	if column != "" {
		s += "." + column
	}
	return s
}

var (
	chapterPattern = regexp.MustCompile(`^[0-9]{2}$`)
	monthPattern   = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}$`)
)

// Known is what Parse checks codes against: the reference data's HS
// chapters and countries.
type Known interface {
	HS(code string) (reference.HSCode, bool)
	Country(alpha2 string) (reference.Country, bool)
}

// Parse reads and checks a BNS file. A wrong file is refused with an
// apperr.Invalid error naming every wrong line and column; nothing of it
// may then be stored. Rules (also in the README):
//   - a header naming the columns (any order, a byte-order mark allowed);
//     date, item_code, hs_chapter and value_thousand_usd are required;
//   - date: the month, as YYYY-MM-01 (the BNS form) or YYYY-MM, 2000 to 2100;
//   - item_code: HS<chapter> for a chapter (HS01 with hs_chapter 01), or
//     TOTAL with hs_chapter empty;
//   - hs_chapter: a chapter of the HS nomenclature (01-97, 99);
//   - value_thousand_usd: digits with an optional decimal point (at most 18
//     decimals), not negative;
//   - partner_country: empty (all partners) or an ISO 3166-1 alpha-2 code;
//   - each chapter once per month and partner, at most one TOTAL per month
//     and partner, and a TOTAL equal to the sum of its chapters within a cent
//     (0.00001 thousand USD): otherwise the TOTAL line is refused, naming
//     both amounts;
//   - at least one chapter line.
func Parse(name string, data []byte, known Known) (*File, error) {
	var fe apperr.Fields
	if len(data) > MaxBytes {
		fe.Add("file", "error.trade_file_too_large", MaxBytes>>20)
		return nil, fe.Err()
	}
	sum := sha256.Sum256(data)
	out := &File{Name: name, SHA256: hex.EncodeToString(sum[:])}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		fe.Add("file", "error.invalid_utf8")
		return nil, fe.Err()
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		fe.Add("file", "error.trade_empty")
		return nil, fe.Err()
	}
	if err != nil {
		fe.Add(Field(1, ""), "error.csv_syntax", err.Error())
		return nil, fe.Err()
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		_, dup := col[h]
		switch {
		case !slices.Contains(Columns, h):
			fe.Add(Field(1, ""), "error.csv_column", h, strings.Join(Columns, ", "))
		case dup:
			fe.Add(Field(1, ""), "error.csv_duplicate_column", h)
		default:
			col[h] = i
		}
	}
	for _, h := range requiredColumns {
		if _, ok := col[h]; !ok {
			fe.Add(Field(1, ""), "error.csv_missing_column", h)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}

	type key struct {
		month   kernel.Day
		partner string
	}
	groups := map[key]*Group{}
	seen := map[string]int{} // month|partner|chapter -> line
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil { // FieldPos may only be asked about a record read
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			fe.Add(Field(line, ""), "error.csv_syntax", err.Error())
			return nil, fe.Err()
		}
		line, _ := r.FieldPos(0)
		out.Lines++
		if out.Lines > MaxRows {
			fe.Add("file", "error.trade_too_many_rows", MaxRows)
			return nil, fe.Err()
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			out.Lines--
			continue // a blank line
		}
		if len(rec) != len(header) {
			fe.Add(Field(line, ""), "error.csv_field_count", len(rec), len(header))
			continue
		}
		get := func(c string) string {
			if i, ok := col[c]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		bad := len(fe)
		for c, i := range col {
			checkText(&fe, Field(line, c), rec[i])
		}
		month, mok := parseMonth(&fe, Field(line, ColDate), get(ColDate))
		partner := strings.ToUpper(get(ColPartner))
		if partner != World {
			if _, ok := known.Country(partner); !ok || len(partner) != 2 {
				fe.Add(Field(line, ColPartner), "error.unknown_country", partner)
			}
		}
		item, chapter := get(ColItemCode), get(ColChapter)
		isTotal := strings.EqualFold(item, TotalItem)
		switch {
		case isTotal && chapter != "" && !strings.EqualFold(chapter, TotalItem):
			fe.Add(Field(line, ColChapter), "error.trade_total_chapter", chapter)
		case isTotal:
		case !chapterPattern.MatchString(chapter):
			fe.Add(Field(line, ColChapter), "error.trade_chapter", chapter)
		case !isChapter(known, chapter):
			fe.Add(Field(line, ColChapter), "error.trade_unknown_chapter", chapter)
		case !strings.EqualFold(item, "HS"+chapter):
			fe.Add(Field(line, ColItemCode), "error.trade_item_code", item, "HS"+chapter)
		}
		value, vok := values.Parse(&fe, Field(line, ColValue), get(ColValue))
		desc := get(ColDescription)
		if utf8.RuneCountInString(desc) > maxDescription {
			fe.Add(Field(line, ColDescription), "error.too_long", maxDescription)
		}
		if len(fe) > bad || !mok || !vok {
			continue
		}
		k := key{month, partner}
		g := groups[k]
		if g == nil {
			g = &Group{Month: month, Partner: partner, Sum: decimal.Zero}
			groups[k] = g
		}
		id := month.String() + "|" + partner + "|" + chapter
		if isTotal {
			id = month.String() + "|" + partner + "|" + TotalItem
		}
		if first, dup := seen[id]; dup {
			fe.Add(Field(line, ColItemCode), "error.trade_duplicate", item, first)
			continue
		}
		seen[id] = line
		if isTotal {
			v := value
			g.Total, g.TotalLine = &v, line
			continue
		}
		g.Rows = append(g.Rows, Row{Line: line, Month: month, Partner: partner, Chapter: chapter, Value: value, Description: desc})
		g.Sum = g.Sum.Add(value)
	}
	for _, g := range groups {
		switch {
		case len(g.Rows) == 0:
			fe.Add(Field(g.TotalLine, ColItemCode), "error.trade_total_alone", monthText(g.Month), partnerText(g.Partner))
		case g.Total != nil && g.Total.Sub(g.Sum).Abs().GreaterThan(TotalTolerance):
			fe.Add(Field(g.TotalLine, ColValue), "error.trade_total_mismatch", g.Total.String(), g.Sum.String(),
				monthText(g.Month), partnerText(g.Partner))
		}
	}
	if len(fe) == 0 && len(groups) == 0 {
		fe.Add("file", "error.trade_empty")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	for _, g := range groups {
		out.Groups = append(out.Groups, *g)
	}
	slices.SortFunc(out.Groups, func(a, b Group) int {
		if c := a.Month.Compare(b.Month); c != 0 {
			return c
		}
		return strings.Compare(a.Partner, b.Partner)
	})
	return out, nil
}

// checkText refuses control characters other than TAB, LF and CR in a cell
// (the file as a whole was checked to be UTF-8).
func checkText(fe *apperr.Fields, field, text string) {
	for _, r := range text {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			fe.Add(field, "error.control_char", fmt.Sprintf("U+%04X", r))
			return
		}
	}
}

// isChapter says whether chapter is a chapter (level 2) of the nomenclature.
func isChapter(known Known, chapter string) bool {
	h, ok := known.HS(chapter)
	return ok && h.Level == 2
}

// parseMonth reads YYYY-MM-01 or YYYY-MM as the first day of the month.
func parseMonth(fe *apperr.Fields, field, text string) (kernel.Day, bool) {
	if monthPattern.MatchString(text) {
		text += "-01"
	}
	d, err := kernel.ParseDay(text)
	switch {
	case text == "":
		fe.Add(field, "error.required")
	case err != nil:
		fe.Add(field, "error.trade_month", text)
	case d.Time().Day() != 1:
		fe.Add(field, "error.trade_month_first", text, monthText(kernel.Date(d.Time().Year(), d.Time().Month(), 1)))
	case !d.InRange():
		fe.Add(field, "error.trade_month_range", text, kernel.FirstYear, kernel.LastYear)
	default:
		return d, true
	}
	return kernel.Day{}, false
}

// values are read as amounts are everywhere (money.Rules), with the BNS
// tables' decimals and no upper bound of a single record's amount.
var values = money.Rules{MaxDecimals: MaxDecimals}

// monthText writes a month as YYYY-MM.
func monthText(d kernel.Day) string { return d.Time().Format("2006-01") }

// partnerText names a partner scope in a message.
func partnerText(p string) string {
	if p == World {
		return "all partners"
	}
	return p
}

// MonthLabel writes a group's month as YYYY-MM.
func (g Group) MonthLabel() string { return monthText(g.Month) }

// Scope names a group's partner scope: "all partners" or the country code.
func (g Group) Scope() string { return partnerText(g.Partner) }

// Check refuses a set of files that name the same month and partner twice
// (which one should count would depend on the order they were given in): it
// names both files.
func Check(files []*File) error {
	type key struct {
		month   time.Time
		partner string
	}
	var fe apperr.Fields
	first := map[key]string{}
	for _, f := range files {
		for _, g := range f.Groups {
			k := key{g.Month.Time(), g.Partner}
			if other, ok := first[k]; ok {
				fe.Add("file", "error.trade_files_overlap", f.Name, other, g.MonthLabel(), g.Scope())
				continue
			}
			first[k] = f.Name
		}
	}
	return fe.Err()
}
