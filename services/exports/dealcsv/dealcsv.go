// Package dealcsv reads a post's file of export deals for import: a CSV
// file as people keep it, written by a program or saved by Excel in any
// language's settings (',' or ';' between cells, a decimal point or comma,
// with or without a byte-order mark, CRLF or LF line ends; the dialect and
// its numbers and dates are read by csvx, as for every import). It only turns
// cells into the domain's input (domain.ImportRow): every rule of a deal is
// checked afterwards by the exports service, as for the form and the API.
// Errors name the row as a spreadsheet numbers it (the header is row 1) and
// the column: rows[5].hs_code.
package dealcsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"econdip/services/exports/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/csvx"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
)

// Columns are the columns of a deal file, in any order. A header cell is
// the column's name or its label in Kazakh, Russian or English
// (ui.dealimport.col.<name>), in any case.
var Columns = []string{"exporter_bin", "buyer_country", "buyer_name", "hs_code", "product", "value", "currency",
	"quantity", "unit", "support", "clauses", "commission_id", "decision_id", "stage", "contract_date", "lost_reason"}

// Required are the columns a file must have.
var Required = []string{"exporter_bin", "buyer_country", "hs_code", "value", "currency"}

// MaxBytes bounds an uploaded file: 500 deals take about 100 KiB, and the
// dashboard's confirmation carries the file again in base64 (4/3 of it)
// within the 1 MiB a request may have.
const MaxBytes = 512 << 10

// Field names a cell: its row as a spreadsheet shows it and its column.
func Field(row int, column string) string {
	s := "rows[" + strconv.Itoa(row) + "]"
	if column != "" {
		s += "." + column
	}
	return s
}

// Line is one deal of the file and the row it is on.
type Line struct {
	Row  int
	Deal domain.ImportRow
}

// headerNames maps a header cell, lower case, to its column.
var headerNames = func() map[string]string {
	m := map[string]string{}
	for _, c := range Columns {
		m[c] = c
		for _, l := range i18n.Langs {
			if k := "ui.dealimport.col." + c; i18n.Has(l, k) {
				m[strings.ToLower(i18n.T(l, k))] = c
			}
		}
	}
	return m
}()

// Parse reads the deals of a file. The whole file is refused (an
// *apperr.Error of code Invalid, with every field error found) when it is
// not UTF-8, its header lacks a required column or names one twice or an
// unknown one, a row does not parse, or a cell is not a value the column
// takes: a number that could be read two ways (1,234 in a file of decimal
// points; 1.234 in one of decimal commas) is an error, never a guess. Rows
// with every cell blank are skipped (Excel saves them as ;;;;).
func Parse(data []byte) ([]Line, csvx.Dialect, error) {
	var f apperr.Fields
	switch {
	case len(data) > MaxBytes:
		f.Add("file", "error.too_large", fmt.Sprintf("%d bytes", MaxBytes))
		return nil, csvx.Dialect{}, f.Err()
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		f.Add("file", "error.dealimport_utf16")
		return nil, csvx.Dialect{}, f.Err()
	case !utf8.Valid(data):
		f.Add("file", "error.dealimport_not_utf8")
		return nil, csvx.Dialect{}, f.Err()
	}
	r, dialect, err := csvx.Open(data)
	if err != nil {
		return nil, dialect, err
	}
	rows := rowCounter{r: r}
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		f.Add("file", "error.dealimport_empty")
		return nil, dialect, f.Err()
	}
	if err != nil {
		f.Add(Field(rows.failed(err), ""), "error.dealimport_syntax", syntaxReason(err))
		return nil, dialect, f.Err()
	}
	headerRow := rows.next(header)
	col := map[string]int{}
	for i, h := range header {
		if !httpx.CheckText(&f, Field(headerRow, ""), h) {
			return nil, dialect, f.Err()
		}
		h = strings.ToLower(strings.TrimSpace(h))
		name, ok := headerNames[h]
		switch {
		case h == "" && i == len(header)-1: // a trailing separator
		case !ok:
			f.Add(Field(headerRow, ""), "error.dealimport_column", h, strings.Join(Columns, ", "))
		case col[name] != 0:
			f.Add(Field(headerRow, ""), "error.dealimport_duplicate_column", name)
		default:
			col[name] = i + 1 // 0: absent
		}
	}
	for _, c := range Required {
		if col[c] == 0 {
			f.Add(Field(headerRow, ""), "error.dealimport_missing_column", c)
		}
	}
	if err := f.Err(); err != nil {
		return nil, dialect, err
	}
	var out []Line
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.Add(Field(rows.failed(err), ""), "error.dealimport_syntax", syntaxReason(err))
			return nil, dialect, f.Err()
		}
		row := rows.next(rec)
		blank := true
		for _, c := range rec {
			blank = blank && strings.TrimSpace(c) == ""
		}
		if blank {
			continue
		}
		if len(out) == domain.MaxImportRows {
			f.Add("file", "error.dealimport_too_many", domain.MaxImportRows)
			return nil, dialect, f.Err()
		}
		if len(rec) > len(header) {
			f.Add(Field(row, ""), "error.dealimport_field_count", len(rec), len(header))
		}
		get := func(name string) string {
			if i := col[name] - 1; i >= 0 && i < len(rec) {
				v := strings.TrimSpace(rec[i])
				if httpx.CheckText(&f, Field(row, name), v) {
					return v
				}
			}
			return ""
		}
		d := domain.ImportRow{DealInput: domain.DealInput{
			ExporterBIN: excelDigits(get("exporter_bin"), 12, 2), BuyerCountry: strings.ToUpper(get("buyer_country")),
			BuyerName: get("buyer_name"), HSCode: excelDigits(get("hs_code"), 6, 1), Product: get("product"),
			ValueCurrency: strings.ToUpper(get("currency")), Unit: get("unit"),
			Support: list(dialect, get("support")), Clauses: list(dialect, get("clauses")),
			CommissionID: get("commission_id"), DecisionID: get("decision_id"),
		}, Stage: get("stage"), ContractDate: csvx.ReadDay(dialect, get("contract_date")), LostReason: get("lost_reason")}
		for _, n := range []struct {
			col string
			to  *string
		}{{"value", &d.ValueAmount}, {"quantity", &d.Quantity}} {
			v, err := csvx.DecimalText(dialect, get(n.col))
			if ve := (*csvx.ValueError)(nil); errors.As(err, &ve) {
				f.Add(Field(row, n.col), ve.Key, ve.Text)
			}
			*n.to = v
		}
		out = append(out, Line{Row: row, Deal: d})
	}
	if len(out) == 0 && len(f) == 0 {
		f.Add("file", "error.dealimport_empty")
	}
	return out, dialect, f.Err()
}

// rowCounter numbers records as a spreadsheet numbers its rows: one per
// record, however many lines its quoted cells take, and one per empty line
// (which encoding/csv skips and a spreadsheet shows).
type rowCounter struct {
	r       *csv.Reader
	row     int // of the last record read
	lastEnd int // the file's line the last record ended on
}

func (c *rowCounter) next(rec []string) int {
	start, _ := c.r.FieldPos(0)
	c.row += start - c.lastEnd // the record, after the empty lines since the last
	last := len(rec) - 1
	end, _ := c.r.FieldPos(last)
	c.lastEnd = end + strings.Count(rec[last], "\n")
	return c.row
}

// failed is the row of a record that did not parse: the row after the
// last, past any empty lines.
func (c *rowCounter) failed(err error) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) && pe.StartLine > c.lastEnd {
		return c.row + pe.StartLine - c.lastEnd
	}
	return c.row + 1
}

func syntaxReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// excelDigits gives back the leading zeros (at most dropped) a spreadsheet
// drops from a code of n digits it took for a number: a BIN of 2005
// (05...) saved as 11 digits, the HS code 040510 saved as 40510. Such a
// code is never shorter, so the zeros are no guess; the BIN's check digit
// still checks the result. A 4-digit HS heading stays as it is, and is
// refused as no subheading.
func excelDigits(s string, n, dropped int) string {
	if len(s) >= n-dropped && len(s) < n && allDigits(s) {
		return strings.Repeat("0", n-len(s)) + s
	}
	return s
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// list splits a cell of several codes (support kinds, clauses): ';' or
// blanks between them, and ',' too in a file of decimal points. In a file
// of decimal commas a clause 2.7 may have become 2,7: it is read back.
func list(d csvx.Dialect, s string) []string {
	split := func(r rune) bool {
		return r == ';' || r == ' ' || r == '\t' || r == '\n' || (!d.DecimalComma && r == ',')
	}
	out := []string{}
	for _, item := range strings.FieldsFunc(s, split) {
		out = append(out, csvx.ReadCode(d, item))
	}
	return out
}
