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
