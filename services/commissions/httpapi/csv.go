package httpapi

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"econdip/services/commissions/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
)

// CSVColumns are the columns of a protocol file, in any order; item, sector,
// value, currency and lead_ids may be left out. Lists (agencies, clauses,
// lead_ids) are separated by semicolons.
var CSVColumns = []string{"item", "text", "agencies", "deadline", "sector", "clauses", "value", "currency", "lead_ids"}

var requiredColumns = []string{"text", "agencies", "deadline", "clauses"}

// MaxCSVBytes bounds an uploaded protocol.
const MaxCSVBytes = 1 << 20

// CSVRows names a decision's field by its line in the file (the header is line 1).
func CSVRows(i int, field string) string { return "rows[" + strconv.Itoa(i+2) + "]." + field }

// CSVDialect is how a protocol file was written: what separates its cells,
// the decimal mark of its values and whether it starts with a byte order mark.
type CSVDialect struct {
	Comma        rune // ',' or ';'
	DecimalComma bool // ';'-separated files (Excel in Russian or Kazakh) write 12,5
	BOM          bool
}

// ReadAs names the dialect for people: "semicolon" (";"-separated with
// decimal commas) or "comma" (","-separated with decimal points).
func (d CSVDialect) ReadAs() string {
	if d.Comma == ';' {
		return "semicolon"
	}
	return "comma"
}

// DetectCSVDialect reads the dialect from the header line: the separator is
// the one of ',' and ';' that appears there outside quotes. Excel writes
// ';' and decimal commas where the list separator is ';' (Russian, Kazakh
// settings), ',' and decimal points elsewhere, so the separator gives the
// decimal mark too. A header with both, or neither with more than one name,
// cannot be read without guessing and is an error on rows[1].
func DetectCSVDialect(data []byte) (CSVDialect, error) {
	d := CSVDialect{Comma: ','}
	if rest, ok := bytes.CutPrefix(data, []byte("\xef\xbb\xbf")); ok {
		d.BOM, data = true, rest
	}
	commas, semicolons, quoted := 0, 0, false
	for _, b := range data {
		if b == '"' {
			quoted = !quoted
		}
		if quoted {
			continue
		}
		if b == '\n' {
			break
		}
		switch b {
		case ',':
			commas++
		case ';':
			semicolons++
		}
	}
	if commas > 0 && semicolons > 0 {
		var f apperr.Fields
		f.Add("rows[1]", "error.csv_ambiguous_separator", commas, semicolons)
		return d, f.Err()
	}
	if semicolons > 0 {
		d.Comma, d.DecimalComma = ';', true
	}
	return d, nil
}

// headerNames maps a header cell, lower case, to its column: the English
// name, and its label in every language (csv.col.<name>), so a file
// exported with Russian or Kazakh headers reads back.
var headerNames = func() map[string]string {
	m := map[string]string{}
	for _, c := range CSVColumns {
		m[c] = c
		for _, l := range i18n.Langs {
			if i18n.Has(l, "csv.col."+c) {
				m[strings.ToLower(i18n.T(l, "csv.col."+c))] = c
			}
		}
	}
	return m
}()

// ParseProtocolCSV reads the decisions of a protocol from a CSV file,
// ','- or ';'-separated (DetectCSVDialect). Errors name the line and
// column; a file with a broken row is refused whole, as is a cell that is
// not UTF-8 or holds a control character other than TAB, LF and CR (the
// rule DecodeStrict applies to JSON).
func ParseProtocolCSV(data []byte) ([]domain.DecisionInput, error) {
	rows, _, err := ReadProtocolCSV(data)
	return rows, err
}

// ReadProtocolCSV is ParseProtocolCSV that also says how it read the file.
// Values and dates are given to the domain as it takes them: 250000,50
// becomes 250000.50 and 31.01.2027 2027-01-31 in a file with decimal
// commas; a value that could be read two ways (1,234: a decimal or
// thousands grouped?) is a field error, never a guess.
func ReadProtocolCSV(data []byte) ([]domain.DecisionInput, CSVDialect, error) {
	var f apperr.Fields
	if len(data) > MaxCSVBytes {
		f.Add("file", "error.too_large", fmt.Sprintf("%d bytes", MaxCSVBytes))
		return nil, CSVDialect{}, f.Err()
	}
	dialect, err := DetectCSVDialect(data)
	if err != nil {
		return nil, dialect, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a byte-order mark from spreadsheet exports
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = dialect.Comma
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		f.Add("file", "error.csv_empty")
		return nil, dialect, f.Err()
	}
	if err != nil {
		f.Add("rows[1]", "error.csv_syntax", err.Error())
		return nil, dialect, f.Err()
	}
	for _, h := range header {
		if !httpx.CheckText(&f, "rows[1]", h) {
			return nil, dialect, f.Err()
		}
	}
	col := map[string]int{}
	names := make([]string, len(header)) // the column of each header cell
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		name, ok := headerNames[h]
		if !ok {
			f.Add("rows[1]", "error.csv_column", h, strings.Join(CSVColumns, ", "))
			names[i] = h
			continue
		}
		if _, dup := col[name]; dup {
			f.Add("rows[1]", "error.csv_duplicate_column", name)
		}
		col[name], names[i] = i, name
	}
	for _, h := range requiredColumns {
		if _, ok := col[h]; !ok {
			f.Add("rows[1]", "error.csv_missing_column", h)
		}
	}
	if err := f.Err(); err != nil {
		return nil, dialect, err
	}
	var out []domain.DecisionInput
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line := len(out) + 2
		row := "rows[" + strconv.Itoa(line) + "]"
		if err != nil {
			f.Add(row, "error.csv_syntax", err.Error())
			return nil, dialect, f.Err()
		}
		if len(rec) != len(header) {
			f.Add(row, "error.csv_field_count", len(rec), len(header))
		}
		for i, cell := range rec {
			name := row
			if i < len(names) {
				name += "." + names[i]
			}
			httpx.CheckText(&f, name, cell)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		value, key := dialect.Number(get("value"))
		if key != "" {
			f.Add(row+".value", key, get("value"))
		}
		clauses := list(get("clauses"))
		if dialect.DecimalComma {
			for i, c := range clauses {
				if clauseWithComma.MatchString(c) { // a clause is chapter.point, never a fraction: 2,7 is 2.7
					clauses[i] = strings.Replace(c, ",", ".", 1)
				}
			}
		}
		out = append(out, domain.DecisionInput{
			Item: get("item"), Text: get("text"), Agencies: list(get("agencies")), Deadline: dialect.day(get("deadline")),
			Sector: get("sector"), Clauses: clauses, ValueAmount: value, ValueCurrency: get("currency"),
			LeadIDs: list(get("lead_ids")),
		})
		if len(out) > domain.MaxDecisions {
			f.Add("file", "error.too_many", domain.MaxDecisions)
			return nil, dialect, f.Err()
		}
	}
	if len(out) == 0 {
		f.Add("file", "error.csv_empty")
	}
	return out, dialect, f.Err()
}

var (
	clauseWithComma = regexp.MustCompile(`^[0-9]+,[0-9]+$`)
	commaDecimal    = regexp.MustCompile(`^[+-]?([0-9]+),([0-9]+)$`)
	// spaceGrouped is 1 234 567,50 as Excel writes a number formatted with
	// grouping (a space, no-break space or narrow no-break space): unambiguous
	// where the decimal mark is a comma.
	spaceGrouped = regexp.MustCompile(`^[+-]?[0-9]{1,3}([ \x{a0}\x{202f}][0-9]{3})+(,[0-9]+)?$`)
	dottedDay    = regexp.MustCompile(`^([0-9]{2})\.([0-9]{2})\.([0-9]{4})$`)
)

// Number gives a value cell as the domain takes it (digits, a decimal
// point), or the key of the error that it could be read two ways.
func (d CSVDialect) Number(s string) (string, string) {
	if s == "" {
		return s, ""
	}
	if !d.DecimalComma {
		if strings.Contains(s, ",") { // 1,234: grouping or a decimal comma? The file's separator says points.
			return s, "error.csv_comma_in_point_file"
		}
		return s, ""
	}
	if strings.Contains(s, ".") { // 1.234 is grouping in some settings, a fraction in others
		return s, "error.csv_point_in_comma_file"
	}
	if strings.Count(s, ",") > 1 { // 1,234,567: commas grouping thousands, not a decimal mark
		return s, "error.csv_ambiguous_number"
	}
	if spaceGrouped.MatchString(s) { // grouped by spaces, so the comma is the decimal mark
		s = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\u00a0' || r == '\u202f' {
				return -1
			}
			return r
		}, s)
		return strings.Replace(s, ",", ".", 1), ""
	}
	if m := commaDecimal.FindStringSubmatch(s); m != nil {
		// 1,234 or 123,456 may be a fraction or one group of thousands (as
		// 1234,567 may not: groups have three digits).
		if len(m[2]) == 3 && len(m[1]) <= 3 {
			return s, "error.csv_ambiguous_number"
		}
		return strings.Replace(s, ",", ".", 1), ""
	}
	return s, "" // not a number: the domain says so
}

// day gives a deadline as the domain takes it: 31.01.2027, the way Excel
// in Russian or Kazakh settings saves a date, is 2027-01-31. Only in a file
// with decimal commas, where day.month.year is the one order in use.
func (d CSVDialect) day(s string) string {
	if m := dottedDay.FindStringSubmatch(s); m != nil && d.DecimalComma {
		return m[3] + "-" + m[2] + "-" + m[1]
	}
	return s
}
func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
