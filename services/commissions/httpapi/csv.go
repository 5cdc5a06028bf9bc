package httpapi

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"econdip/services/commissions/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/csvx"
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
// ','- or ';'-separated (csvx.DetectDialect). Errors name the line and
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
func ReadProtocolCSV(data []byte) ([]domain.DecisionInput, csvx.Dialect, error) {
	var f apperr.Fields
	if len(data) > MaxCSVBytes {
		f.Add("file", "error.too_large", fmt.Sprintf("%d bytes", MaxCSVBytes))
		return nil, csvx.Dialect{}, f.Err()
	}
	r, dialect, err := csvx.Open(data)
	if err != nil {
		return nil, dialect, err
	}
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
		value, err := csvx.DecimalText(dialect, get("value"))
		if ve := (*csvx.ValueError)(nil); errors.As(err, &ve) {
			f.Add(row+".value", ve.Key, ve.Text)
		}
		clauses := list(get("clauses"))
		for i, c := range clauses {
			clauses[i] = csvx.ReadCode(dialect, c) // a clause is chapter.point, never a fraction: 2,7 is 2.7
		}
		out = append(out, domain.DecisionInput{
			Item: get("item"), Text: get("text"), Agencies: list(get("agencies")), Deadline: csvx.ReadDay(dialect, get("deadline")),
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

func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
