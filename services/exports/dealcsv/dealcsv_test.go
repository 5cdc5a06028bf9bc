package dealcsv_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"econdip/services/exports/dealcsv"
	"econdip/services/platform/apperr"
)

// fieldKeys lists an error's fields as "field key".
func fieldKeys(err error) []string {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return nil
	}
	var out []string
	for _, f := range ae.Fields {
		out = append(out, f.Field+" "+f.Key)
	}
	return out
}

// TestExcelDialects: the same deals written by a program (',' and points)
// and saved by Excel in Russian settings (BOM, ';', decimal commas, CRLF,
// dotted dates, grouped amounts, leading zeros dropped, a clause 2,7) read
// as the same input.
func TestExcelDialects(t *testing.T) {
	plain := "exporter_bin,buyer_country,hs_code,value,currency,quantity,unit,clauses,stage,contract_date\n" +
		"050440001239,de,040510,1234567.5,eur,12.25,t,2.7;2.6,contracted,2026-03-01\n"
	excel := "\xef\xbb\xbfБИН экспортёра;Страна покупателя;Код ТН ВЭД;Стоимость;Валюта;Количество;Единица;Пункты Концепции;Этап;Дата контракта\r\n" +
		"50440001239;DE;40510;1\u00a0234\u00a0567,50;EUR;12,25;t;2,7;2,6;contracted;01.03.2026\r\n;;;;;;;;;\r\n"
	// Excel quotes a cell with the separator: the clauses cell of the ';' file.
	excel = strings.Replace(excel, ";2,7;2,6;", ";\"2,7;2,6\";", 1)
	a, da, err := dealcsv.Parse([]byte(plain))
	if err != nil {
		t.Fatal(err)
	}
	b, db, err := dealcsv.Parse([]byte(excel))
	if err != nil {
		t.Fatal(fieldKeys(err))
	}
	if da.Comma != ',' || da.DecimalComma || da.BOM || db.Comma != ';' || !db.DecimalComma || !db.BOM {
		t.Fatalf("dialects %+v %+v", da, db)
	}
	if len(a) != 1 || len(b) != 1 || a[0].Row != 2 || b[0].Row != 2 {
		t.Fatalf("rows %+v %+v", a, b)
	}
	x, y := a[0].Deal, b[0].Deal
	if x.ExporterBIN != "050440001239" || x.HSCode != "040510" || x.BuyerCountry != "DE" || x.ValueCurrency != "EUR" || x.ContractDate != "2026-03-01" {
		t.Fatalf("plain read as %+v", x)
	}
	if y.ExporterBIN != x.ExporterBIN || y.HSCode != x.HSCode || y.ValueAmount != "1234567.50" || y.Quantity != x.Quantity ||
		!slices.Equal(y.Clauses, x.Clauses) || y.ContractDate != x.ContractDate || y.Stage != x.Stage {
		t.Fatalf("Excel's file read as %+v; want %+v", y, x)
	}
}

// TestRowsAsASpreadsheetNumbersThem: a cell over two lines and an empty
// line do not shift the row an error names.
func TestRowsAsASpreadsheetNumbersThem(t *testing.T) {
	file := "exporter_bin,buyer_country,hs_code,value,currency,product\n" +
		"990340004592,DE,760110,1,USD,\"ingots,\nprimary\"\n" + // row 2, two lines
		"\n" + // row 3, empty
		"990340004592,DE,760110,1,USD,x\n" + // row 4
		"990340004592,DE,760110,\"1,5\",USD,x\n" // row 5
	_, _, err := dealcsv.Parse([]byte(file))
	if got := fieldKeys(err); !slices.Equal(got, []string{"rows[5].value error.csv_comma_in_point_file"}) {
		t.Fatalf("errors %v; want row 5's value", got)
	}
}

func TestFileErrors(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
	}{
		{"empty", "", []string{"file error.dealimport_empty"}},
		{"header only", "exporter_bin,buyer_country,hs_code,value,currency\r\n", []string{"file error.dealimport_empty"}},
		{"both separators", "exporter_bin;buyer_country,hs_code\n", []string{"rows[1] error.csv_ambiguous_separator"}},
		{"UTF-16", "\xff\xfee\x00", []string{"file error.dealimport_utf16"}},
		{"Windows-1251", "exporter_bin,buyer_name\n1,\xcf\xe0\xe2\xeb\xee\xe4\xe0\xf0\n", []string{"file error.dealimport_not_utf8"}},
		{"unknown and missing columns", "exporter_bin,buyer_country,hs_code,value,price\n",
			[]string{"rows[1] error.dealimport_column", "rows[1] error.dealimport_missing_column"}},
		{"column twice", "exporter_bin,buyer_country,hs_code,value,currency,Value\n", []string{"rows[1] error.dealimport_duplicate_column"}},
		{"broken quotes", "exporter_bin,buyer_country,hs_code,value,currency\n1,DE,\"76\"01,1,USD\n", []string{"rows[2] error.dealimport_syntax"}},
		{"too many cells", "exporter_bin,buyer_country,hs_code,value,currency\n1,DE,760110,1,USD,extra\n", []string{"rows[2] error.dealimport_field_count"}},
		{"point in a comma file", "exporter_bin;buyer_country;hs_code;value;currency\n1;DE;760110;1.234;USD\n", []string{"rows[2].value error.csv_point_in_comma_file"}},
		{"1,500 in a comma file: a fraction or thousands?", "exporter_bin;buyer_country;hs_code;value;currency;quantity\n1;DE;760110;1;USD;1,500\n",
			[]string{"rows[2].quantity error.csv_ambiguous_number"}},
		{"control character", "exporter_bin,buyer_country,hs_code,value,currency,product\n1,DE,760110,1,USD,a\x01b\n", []string{"rows[2].product error.control_char"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := dealcsv.Parse([]byte(tt.file))
			if got := fieldKeys(err); !slices.Equal(got, tt.want) {
				t.Fatalf("errors %v; want %v", got, tt.want)
			}
		})
	}
}

// FuzzParse: any bytes either parse into rows numbered from 2 upwards, each
// after the last, or are refused with field errors naming the file or a
// row; nothing panics.
func FuzzParse(f *testing.F) {
	f.Add([]byte("exporter_bin,buyer_country,hs_code,value,currency\n990340004592,DE,760110,1.5,USD\n"))
	f.Add([]byte("\xef\xbb\xbfexporter_bin;buyer_country;hs_code;value;currency\r\n50440001239;DE;40510;1 234,5;EUR\r\n;;;;\r\n"))
	f.Add([]byte("exporter_bin,buyer_country,hs_code,value,currency,product\n1,DE,7,1,USD,\"a\nb\"\n\n1,DE,7,\"1,5\",USD,x\n"))
	f.Add([]byte("a;b,c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, _, err := dealcsv.Parse(data)
		if err != nil {
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Invalid || len(ae.Fields) == 0 {
				t.Fatalf("error %v is no field error", err)
			}
			for _, fe := range ae.Fields {
				if fe.Field != "file" && !strings.HasPrefix(fe.Field, "rows[") {
					t.Fatalf("field %q names neither the file nor a row", fe.Field)
				}
			}
			return
		}
		last := 1
		for _, l := range lines {
			if l.Row <= last {
				t.Fatalf("row %d after row %d", l.Row, last)
			}
			last = l.Row
		}
	})
}

// TestDottedDateOnlyWithDecimalCommas: 01.03.2026 is Excel's date where
// decimals are commas; in a file of decimal points it is left for the
// exports service to refuse, naming the format it takes.
func TestDottedDateOnlyWithDecimalCommas(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{"exporter_bin;buyer_country;hs_code;value;currency;contract_date\n1;DE;760110;1;USD;01.03.2026\n", "2026-03-01"},
		{"exporter_bin,buyer_country,hs_code,value,currency,contract_date\n1,DE,760110,1,USD,01.03.2026\n", "01.03.2026"},
	} {
		lines, _, err := dealcsv.Parse([]byte(tt.file))
		if err != nil || len(lines) != 1 || lines[0].Deal.ContractDate != tt.want {
			t.Fatalf("%q: %+v %v; want %s", tt.file, lines, err, tt.want)
		}
	}
}
