package httpapi

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"econdip/services/commissions/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/httpx"
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

// ParseProtocolCSV reads the decisions of a protocol from a CSV file. Errors
// name the line and column; a file with a broken row is refused whole, as is
// a cell that is not UTF-8 or holds a control character other than TAB, LF
// and CR (the rule DecodeStrict applies to JSON).
func ParseProtocolCSV(data []byte) ([]domain.DecisionInput, error) {
	var f apperr.Fields
	if len(data) > MaxCSVBytes {
		f.Add("file", "error.too_large", fmt.Sprintf("%d bytes", MaxCSVBytes))
		return nil, f.Err()
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a byte-order mark from spreadsheet exports
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		f.Add("file", "error.csv_empty")
		return nil, f.Err()
	}
	if err != nil {
		f.Add("rows[1]", "error.csv_syntax", err.Error())
		return nil, f.Err()
	}
	for _, h := range header {
		if !httpx.CheckText(&f, "rows[1]", h) {
			return nil, f.Err()
		}
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(CSVColumns, h) {
			f.Add("rows[1]", "error.csv_column", h, strings.Join(CSVColumns, ", "))
			continue
		}
		if _, dup := col[h]; dup {
			f.Add("rows[1]", "error.csv_duplicate_column", h)
		}
		col[h] = i
	}
	for _, h := range requiredColumns {
		if _, ok := col[h]; !ok {
			f.Add("rows[1]", "error.csv_missing_column", h)
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var out []domain.DecisionInput
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line := len(out) + 2
		if err != nil {
			f.Add("rows["+strconv.Itoa(line)+"]", "error.csv_syntax", err.Error())
			return nil, f.Err()
		}
		if len(rec) != len(header) {
			f.Add("rows["+strconv.Itoa(line)+"]", "error.csv_field_count", len(rec), len(header))
		}
		for i, cell := range rec {
			name := "rows[" + strconv.Itoa(line) + "]"
			if i < len(header) {
				name += "." + strings.ToLower(strings.TrimSpace(header[i]))
			}
			httpx.CheckText(&f, name, cell)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		out = append(out, domain.DecisionInput{
			Item: get("item"), Text: get("text"), Agencies: list(get("agencies")), Deadline: get("deadline"),
			Sector: get("sector"), Clauses: list(get("clauses")), ValueAmount: get("value"), ValueCurrency: get("currency"),
			LeadIDs: list(get("lead_ids")),
		})
		if len(out) > domain.MaxDecisions {
			f.Add("file", "error.too_many", domain.MaxDecisions)
			return nil, f.Err()
		}
	}
	if len(out) == 0 {
		f.Add("file", "error.csv_empty")
	}
	return out, f.Err()
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
