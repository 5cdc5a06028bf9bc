package csvx_test

import (
	"bytes"
	"encoding/csv"
	"testing"

	"econdip/services/platform/csvx"
)

// Finding 5 of issue 13: cells that start a formula reached the CSV exports
// as they were typed.
func TestFinding5_CSVCellsCannotStartAFormula(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"hyperlink formula", `=HYPERLINK("http://evil.example","x")`, `'=HYPERLINK("http://evil.example","x")`},
		{"plus formula", "+SUM(A1:A9)", "'+SUM(A1:A9)"},
		{"minus command", "-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"at function", "@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"},
		{"leading tab", "\t=1+1", "'\t=1+1"},
		{"leading carriage return", "\r=1+1", "'\r=1+1"},
		{"lone minus", "-", "'-"},
		{"exponent is not a plain number", "+1e9", "'+1e9"},
		{"number with a trailing space", "-5 ", "'-5 "},
		{"negative amount stays a number", "-5", "-5"},
		{"negative decimal stays a number", "-12.5", "-12.5"},
		{"signed positive stays a number", "+3.25", "+3.25"},
		{"plain text", "Jiangsu GreenChem Ltd", "Jiangsu GreenChem Ltd"},
		{"formula character inside", "A=B+C-D@E", "A=B+C-D@E"},
		{"empty", "", ""},
		{"date", "2025-01-31", "2025-01-31"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := csvx.Cell(tc.in); got != tc.want {
				t.Errorf("Cell(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	// The writer applies the rule to every cell and still quotes as CSV does.
	var b bytes.Buffer
	w := csvx.NewWriter(&b)
	in := make([]string, len(tests))
	for i, tc := range tests {
		in[i] = tc.in
	}
	if err := w.Write(in); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	rec, err := csv.NewReader(&b).Read()
	if err != nil {
		t.Fatalf("read back: %v\n%s", err, b.String())
	}
	for i, tc := range tests {
		if rec[i] != tc.want {
			t.Errorf("cell %d (%s) read back as %q, want %q", i, tc.name, rec[i], tc.want)
		}
	}
}

func TestFormats(t *testing.T) {
	rec := []string{"2.2", "-12.5", "=1+2", "1350000000.00", "7"}
	numeric := []bool{false, true, false, true, true} // a clause, then measures
	tests := []struct {
		format, bom, want string
	}{
		{"", "", "\ufeff2.2,-12.5,'=1+2,1350000000.00,7\n"},
		{"plain", "", "2.2,-12.5,'=1+2,1350000000.00,7\n"},
		{"", "0", "2.2,-12.5,'=1+2,1350000000.00,7\n"},
		{"excel", "", "\ufeff2.2;-12,5;'=1+2;1350000000,00;7\n"},
		{"EXCEL", "0", "2.2;-12,5;'=1+2;1350000000,00;7\n"},
	}
	for _, tt := range tests {
		f, err := csvx.ParseFormat(tt.format, tt.bom)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		w := csvx.NewFormatWriter(&b, f, numeric)
		_ = w.Write(rec)
		w.Flush()
		if b.String() != tt.want {
			t.Errorf("format %q bom %q: %q, want %q", tt.format, tt.bom, b.String(), tt.want)
		}
	}
	if _, err := csvx.ParseFormat("xlsx", ""); err == nil {
		t.Error("an unknown format was accepted")
	}
	// A cell with the separator is quoted, whatever the separator.
	var b bytes.Buffer
	w := csvx.NewFormatWriter(&b, csvx.Excel, nil)
	_ = w.Write([]string{"mti;qaztrade", "a,b"})
	w.Flush()
	if b.String() != "\ufeff\"mti;qaztrade\";a,b\n" {
		t.Errorf("quoting: %q", b.String())
	}
}
