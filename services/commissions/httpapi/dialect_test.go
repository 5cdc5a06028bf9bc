package httpapi

import (
	"errors"
	"strings"
	"testing"

	"econdip/services/platform/apperr"
)

// The file's dialect is csvx's (its tests): a header that reads two ways
// refuses the file on rows[1], and the answer says how a file was read.
func TestProtocolCSVDialect(t *testing.T) {
	_, _, err := ReadProtocolCSV([]byte("item;text,agencies;deadline;clauses\nx;y,mti;2027-01-01;2.2\n"))
	var ae *apperr.Error
	if !errors.As(err, &ae) || len(ae.Fields) != 1 || ae.Fields[0].Key != "error.csv_ambiguous_separator" || ae.Fields[0].Field != "rows[1]" {
		t.Fatalf("got %v (%+v), want error.csv_ambiguous_separator on rows[1]", err, ae)
	}
	_, d, err := ReadProtocolCSV([]byte("\xef\xbb\xbftext;agencies;deadline;clauses\r\nx;mti;31.01.2027;2,7\r\n"))
	if err != nil || d.Comma != ';' || !d.DecimalComma || !d.BOM || d.ReadAs() != "semicolon" {
		t.Fatalf("read as %+v, %v", d, err)
	}
}

// A value or a date reads one way, or the row says why it cannot.
func TestProtocolCSVValuesAndDatesByDialect(t *testing.T) {
	const semi = "text;agencies;deadline;clauses;value\n"
	const comma = "text,agencies,deadline,clauses,value\n"
	tests := []struct {
		name, data      string
		value, deadline string
		clauses         string
		err             string // error key on rows[2].value
	}{
		{"decimal comma", semi + "x;mti;31.01.2027;2,7;250000,50\n", "250000.50", "2027-01-31", "2.7", ""},
		{"whole number", semi + "x;mti;2027-01-31;2.7;250000\n", "250000", "2027-01-31", "2.7", ""},
		{"grouped by no-break spaces", semi + "x;mti;2027-01-31;\"2,2;2,7\";1\u00a0234\u00a0567,5\n", "1234567.5", "2027-01-31", "2.2|2.7", ""},
		{"grouped by spaces, three decimals", semi + "x;mti;2027-01-31;2.7;1 234,567\n", "1234.567", "2027-01-31", "2.7", ""},
		{"four digits before three decimals", semi + "x;mti;2027-01-31;2.7;1234,567\n", "1234.567", "2027-01-31", "2.7", ""},
		{"1,234 in a comma-decimal file", semi + "x;mti;2027-01-31;2.7;1,234\n", "", "", "", "error.csv_ambiguous_number"},
		{"123,456 too", semi + "x;mti;2027-01-31;2.7;-123,456\n", "", "", "", "error.csv_ambiguous_number"},
		{"commas grouping", semi + "x;mti;2027-01-31;2.7;1,234,567\n", "", "", "", "error.csv_ambiguous_number"},
		{"a point in a comma-decimal file", semi + "x;mti;2027-01-31;2.7;1.5\n", "", "", "", "error.csv_point_in_comma_file"},
		{"decimal point", comma + "x,mti,2027-01-31,2.7,250000.50\n", "250000.50", "2027-01-31", "2.7", ""},
		{"a comma in a point file", comma + "x,mti,2027-01-31,2.7,\"1,5\"\n", "", "", "", "error.csv_comma_in_point_file"},
		{"dotted day only where decimals are commas", comma + "x,mti,31.01.2027,2.7,1\n", "1", "31.01.2027", "2.7", ""},
		{"not a number is the domain's to refuse", semi + "x;mti;2027-01-31;2.7;lots\n", "lots", "2027-01-31", "2.7", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, _, err := ReadProtocolCSV([]byte(tt.data))
			if tt.err != "" {
				var ae *apperr.Error
				if !errors.As(err, &ae) || len(ae.Fields) != 1 || ae.Fields[0].Key != tt.err || ae.Fields[0].Field != "rows[2].value" {
					t.Fatalf("got %v (%+v), want %s on rows[2].value", err, ae, tt.err)
				}
				return
			}
			if err != nil || len(rows) != 1 {
				t.Fatalf("refused: %v", err)
			}
			r := rows[0]
			if r.ValueAmount != tt.value || r.Deadline != tt.deadline || strings.Join(r.Clauses, "|") != tt.clauses {
				t.Fatalf("read value %q deadline %q clauses %v; want %q %q %s", r.ValueAmount, r.Deadline, r.Clauses, tt.value, tt.deadline, tt.clauses)
			}
		})
	}
}

// Headers exported in Russian or Kazakh read back as their columns.
func TestProtocolCSVTranslatedHeaders(t *testing.T) {
	for _, head := range []string{
		"Пункт протокола;Текст решения;Государственные органы;Срок;Пункты Концепции;Стоимость;Валюта",
		"Хаттама тармағы;Шешім мәтіні;Мемлекеттік органдар;Мерзім;Тұжырымдама тармақтары;Құны;Валюта",
		"ITEM;Text ; agencies;deadline;clauses;value;currency",
	} {
		rows, _, err := ReadProtocolCSV([]byte(head + "\r\n1;x;mti;2027-01-31;2.2;10,5;USD\r\n"))
		if err != nil || len(rows) != 1 || rows[0].Text != "x" || rows[0].ValueAmount != "10.5" || rows[0].ValueCurrency != "USD" {
			t.Fatalf("%s: %+v %v", head, rows, err)
		}
	}
}
