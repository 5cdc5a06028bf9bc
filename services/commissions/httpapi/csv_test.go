package httpapi

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"econdip/services/platform/apperr"
	"econdip/services/platform/httpx"
)

func TestParseProtocolCSV(t *testing.T) {
	in := "\xef\xbb\xbfItem,Text,Agencies,Deadline,Clauses,Value,Currency,Lead_IDs\n" +
		"1,\"Open a trade house, Urumqi\",mti; qaztrade,2027-01-31,2.7,250000.50,USD,\n" +
		"2,Feasibility study,kazakh-invest,2027-03-01,2.2;2.5,,,9f0c3b6e-1b2a-4c3d-8e4f-5a6b7c8d9e0f\n"
	rows, err := ParseProtocolCSV([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Text != "Open a trade house, Urumqi" || strings.Join(rows[0].Agencies, "|") != "mti|qaztrade" ||
		rows[0].ValueAmount != "250000.50" || rows[1].ValueAmount != "" || strings.Join(rows[1].Clauses, "|") != "2.2|2.5" || len(rows[1].LeadIDs) != 1 {
		t.Fatalf("rows: %+v", rows)
	}
	bad := map[string]string{
		"empty":          "",
		"header only":    "text,agencies,deadline,clauses\n",
		"unknown column": "text,agencies,deadline,clauses,colour\nx,mti,2027-01-01,2.2,red\n",
		"missing column": "text,agencies\nx,mti\n",
		"field count":    "text,agencies,deadline,clauses\nx,mti,2027-01-01\n",
		"bad quoting":    "text,agencies,deadline,clauses\n\"x,mti,2027-01-01,2.2\n",
	}
	for name, data := range bad {
		if _, err := ParseProtocolCSV([]byte(data)); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("%s: want an Invalid error, got %v", name, err)
		}
	}
}

// TestFinding7_CSVCellsWithControlCharsOrInvalidUTF8AreRefused: a NUL (or
// another C0 control) or invalid UTF-8 in a cell is a field error naming the
// line and column, and the file is refused whole; TAB, LF and CR are text.
func TestFinding7_CSVCellsWithControlCharsOrInvalidUTF8AreRefused(t *testing.T) {
	const head = "item,text,agencies,deadline,clauses\n1,ok,mti,2027-01-01,2.2\n2,ok,mti,2027-01-01,2.2\n3,ok,mti,2027-01-01,2.2\n"
	tests := []struct {
		name, data, key, field string
	}{
		{"NUL", head + "4,A\x00B,mti,2027-01-01,2.2\n", "error.control_char", "rows[5].text"},
		{"escape", head + "4,\x1b[31mred,mti,2027-01-01,2.2\n", "error.control_char", "rows[5].text"},
		{"invalid UTF-8", head + "4,ok,mti\xff,2027-01-01,2.2\n", "error.invalid_utf8", "rows[5].agencies"},
		{"in the header", "te\x00xt,agencies,deadline,clauses\nx,mti,2027-01-01,2.2\n", "error.control_char", "rows[1]"},
		{"TAB and line breaks are text", head + "4,\"a\tb\r\nc\",mti,2027-01-01,2.2\n", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := ParseProtocolCSV([]byte(tt.data))
			if tt.key == "" {
				if err != nil || len(rows) != 4 {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ae *apperr.Error
			if !errors.As(err, &ae) || len(ae.Fields) == 0 || ae.Fields[0].Key != tt.key || ae.Fields[0].Field != tt.field {
				t.Fatalf("got %v (%+v), want %s on %s", err, ae, tt.key, tt.field)
			}
		})
	}
}

var commaNumber = regexp.MustCompile(`^[+-]?[0-9]+,[0-9]+$`)

func FuzzParseProtocolCSV(f *testing.F) {
	f.Add([]byte("item,text,agencies,deadline,clauses\n1,x,mti,2027-01-01,2.2\n"))
	f.Add([]byte("text\n\"unterminated\n"))
	f.Add([]byte("\xef\xbb\xbf"))
	f.Add([]byte("text,agencies,deadline,clauses\nA\x00B,mti\xff,2027-01-01,2.2\n"))
	f.Add([]byte("\xef\xbb\xbfitem;text;agencies;deadline;clauses;value\r\n1;x;mti;31.01.2027;2,7;1 234,5\r\n"))
	f.Add([]byte("text,agencies,deadline,clauses,value\nx,mti,2027-01-01,2.2,\"1,234\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, d, err := ReadProtocolCSV(data)
		var ae *apperr.Error
		if err != nil && (!errors.As(err, &ae) || ae.Code != apperr.Invalid) {
			t.Fatalf("error of the wrong kind: %v", err)
		}
		if err == nil && len(rows) == 0 {
			t.Fatal("accepted a file with no decisions")
		}
		for _, r := range rows {
			if err != nil {
				break
			}
			var fe apperr.Fields
			for _, s := range append([]string{r.Item, r.Text, r.Deadline, r.Sector, r.ValueAmount, r.ValueCurrency}, append(r.Agencies, r.Clauses...)...) {
				httpx.CheckText(&fe, "cell", s)
			}
			if len(fe) > 0 {
				t.Fatalf("accepted a cell with %v", fe)
			}
			// A value is converted or refused, never left with a decimal comma.
			if strings.Contains(r.ValueAmount, ",") && (!d.DecimalComma || commaNumber.MatchString(r.ValueAmount)) {
				t.Fatalf("value %q accepted with its comma from a %s file", r.ValueAmount, d.ReadAs())
			}
		}
	})
}
