// Package csvx is the one CSV writer of every file econdip hands to people
// (the dashboard's figure exports, the audit trail). It is encoding/csv with
// the OWASP rule against formula injection: a cell that a spreadsheet would
// take for a formula is written with a leading apostrophe, so an investor
// named =HYPERLINK("http://evil.example","x") opens as that text, never as a
// link or a command.
//
// A file comes in one of three Formats: the default for people (UTF-8 with a
// byte order mark, so Excel reads the Cyrillic right), Plain for tools (no
// mark, the English column names) and Excel for spreadsheets set to Russian
// or Kazakh (";" between cells, a decimal comma in numeric columns).
//
// The data files econdip reads back itself (the rates and targets files) are
// not written through it: the apostrophe would become part of their values.
//
// It is also where every import of a file people keep in a spreadsheet
// (a commission's protocol, a post's deals) learns how the file was written
// (dialect.go): DetectDialect finds the Dialect (',' with decimal points or
// ';' with decimal commas, a byte order mark) from the header line, Open
// and NewReader read it, and ReadDecimal, DecimalText, ReadDay and ReadCode
// read its numbers, dates and dotted codes, refusing a value that could be
// read two ways with a catalogue key rather than guessing.
package csvx

import (
	"encoding/csv"
	"errors"
	"io"
	"regexp"
	"strings"
)

// BOM is the UTF-8 byte order mark. Excel takes a CSV file without it for
// the ANSI code page and shows Cyrillic as mojibake.
const BOM = "\ufeff"

// Format is how a file is written.
type Format struct {
	Name         string // "", "plain" or "excel", as asked for in ?format=
	BOM          bool   // starts with a byte order mark
	Comma        rune   // between cells: ',' or ';'
	DecimalComma bool   // numeric columns write 12,5 instead of 12.5
	MachineNames bool   // header keeps the English column names tools key on
}

// Default is for people opening the file: with a BOM, comma separated,
// decimal points, headers in the reader's language.
var Default = Format{BOM: true, Comma: ','}

// Plain is for tools: no BOM, comma separated, decimal points and the
// English column names, the same in every language.
var Plain = Format{Name: "plain", Comma: ',', MachineNames: true}

// Excel is for a spreadsheet with Russian or Kazakh regional settings,
// whose list separator is ';' and decimal mark ','.
var Excel = Format{Name: "excel", BOM: true, Comma: ';', DecimalComma: true}

// ErrFormat is returned by ParseFormat for a format it does not know.
var ErrFormat = errors.New(`csvx: format is "plain", "excel" or empty`)

// ParseFormat reads the ?format= and ?bom= parameters of an export: format
// "plain" or "excel" (empty is Default); bom=0 drops the byte order mark of
// any format.
func ParseFormat(format, bom string) (Format, error) {
	var f Format
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "":
		f = Default
	case "plain":
		f = Plain
	case "excel":
		f = Excel
	default:
		return Default, ErrFormat
	}
	switch bom {
	case "0", "false", "no":
		f.BOM = false
	}
	return f, nil
}

// decimalNumber is a number with a fraction as econdip writes it.
var decimalNumber = regexp.MustCompile(`^[+-]?[0-9]+\.[0-9]+$`)

// plainNumber is a number as econdip writes it (an amount, a rate, a
// count): optional sign, digits, optional fraction. Such a cell is left as
// it is even when it starts with '-' or '+': a spreadsheet reads it as the
// number it is, not as a formula, and "-5" must stay a negative amount that
// sums. Anything more ("-2+3+cmd|' /C calc'!A0", "+1e9", "-5 ") is not a
// plain number and is neutralised.
var plainNumber = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

// Cell returns s as it is safe to write into a CSV cell: with a leading
// apostrophe when it starts with '=', '+', '-', '@', a tab or a carriage
// return (the characters that make spreadsheets evaluate a cell or that
// they strip before doing so), unless it is a plain number.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if plainNumber.MatchString(s) {
			return s
		}
		return "'" + s
	}
	return s
}

// Writer writes CSV records, every cell through Cell.
type Writer struct {
	w       *csv.Writer
	out     io.Writer
	f       Format
	numeric []bool
	started bool
	buf     []string
}

// NewWriter returns a Writer of plain CSV (no BOM, ',') to w.
func NewWriter(w io.Writer) *Writer { return NewFormatWriter(w, Plain, nil) }

// NewFormatWriter returns a Writer of format f to w. numeric[i] says column
// i holds numbers (amounts, counts, shares): only there does the Excel
// format write a decimal comma, never in ids or codes such as clause 2.2.
func NewFormatWriter(w io.Writer, f Format, numeric []bool) *Writer {
	cw := csv.NewWriter(w)
	if f.Comma != 0 {
		cw.Comma = f.Comma
	}
	return &Writer{w: cw, out: w, f: f, numeric: numeric}
}

// Write writes one record; the first one is preceded by the BOM if the
// format has one.
func (w *Writer) Write(record []string) error {
	if !w.started {
		w.started = true
		if w.f.BOM {
			if _, err := io.WriteString(w.out, BOM); err != nil {
				return err
			}
		}
	}
	w.buf = w.buf[:0]
	for i, s := range record {
		s = Cell(s) // before the comma: "-12,5" is no plain number and would get an apostrophe
		if w.f.DecimalComma && i < len(w.numeric) && w.numeric[i] && decimalNumber.MatchString(s) {
			s = strings.Replace(s, ".", ",", 1)
		}
		w.buf = append(w.buf, s)
	}
	return w.w.Write(w.buf)
}

// Flush writes any buffered data to the underlying writer.
func (w *Writer) Flush() { w.w.Flush() }

// Error reports an error of an earlier Write or Flush.
func (w *Writer) Error() error { return w.w.Error() }
