// Package csvx is the one CSV writer of every file econdip hands to people
// (the dashboard's figure exports, the audit trail). It is encoding/csv with
// the OWASP rule against formula injection: a cell that a spreadsheet would
// take for a formula is written with a leading apostrophe, so an investor
// named =HYPERLINK("http://evil.example","x") opens as that text, never as a
// link or a command.
//
// The data files econdip reads back itself (the rates and targets files) are
// not written through it: the apostrophe would become part of their values.
package csvx

import (
	"encoding/csv"
	"io"
	"regexp"
)

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
	w   *csv.Writer
	buf []string
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: csv.NewWriter(w)} }

// Write writes one record.
func (w *Writer) Write(record []string) error {
	w.buf = w.buf[:0]
	for _, s := range record {
		w.buf = append(w.buf, Cell(s))
	}
	return w.w.Write(w.buf)
}

// Flush writes any buffered data to the underlying writer.
func (w *Writer) Flush() { w.w.Flush() }

// Error reports an error of an earlier Write or Flush.
func (w *Writer) Error() error { return w.w.Error() }
