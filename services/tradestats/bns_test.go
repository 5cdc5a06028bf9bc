package tradestats

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"econdip/services/platform/apperr"
	"econdip/services/platform/reference"
)

func ref(tb testing.TB) *reference.Data {
	tb.Helper()
	return reference.Default()
}

// The July 2026 BNS file parses: 97 chapters of one month for all partners,
// its TOTAL within a cent of the chapters' sum, every value exact.
func TestParseJuly2026(t *testing.T) {
	f, err := Parse(DemoFileName, DemoFile, ref(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Groups) != 1 {
		t.Fatalf("groups = %d, want 1", len(f.Groups))
	}
	g := f.Groups[0]
	if g.Month.String() != "2026-07-01" || g.Partner != World || len(g.Rows) != 97 || f.Lines != 98 {
		t.Fatalf("group %s %q with %d rows (%d lines)", g.Month, g.Partner, len(g.Rows), f.Lines)
	}
	want := decimal.RequireFromString("10169912.7375600024090390")
	if !g.Sum.Equal(want) {
		t.Fatalf("sum = %s, want %s (the exact sum of the published values)", g.Sum, want)
	}
	if g.Total == nil || !g.Total.Equal(decimal.RequireFromString("10169912.73756003")) || g.TotalLine != 99 {
		t.Fatalf("total = %v at line %d", g.Total, g.TotalLine)
	}
	// The TOTAL equals the sum to the cent (0.00001 thousand USD).
	if g.Total.Sub(g.Sum).Abs().GreaterThan(decimal.New(1, -5)) {
		t.Fatalf("total %s is not the sum %s to the cent", g.Total, g.Sum)
	}
	// A value with the spreadsheet's float noise is kept exactly.
	for _, r := range g.Rows {
		if r.Chapter == "06" && !r.Value.Equal(decimal.RequireFromString("303.59814000000006")) {
			t.Fatalf("chapter 06 = %s", r.Value)
		}
		if r.Chapter == "06" && r.Line != 7 {
			t.Fatalf("chapter 06 on line %d, want 7", r.Line)
		}
	}
	if len(f.SHA256) != 64 {
		t.Fatalf("sha %q", f.SHA256)
	}
}

// Partner columns split a file into one group per month and partner; the
// TOTAL of each is checked against its own chapters.
func TestParsePartners(t *testing.T) {
	csv := "date,item_code,hs_chapter,value_thousand_usd,partner_country\n" +
		"2026-07-01,HS27,27,100.5,CN\n" +
		"2026-07-01,HS72,72,20,cn\n" +
		"2026-07-01,TOTAL,,120.5,CN\n" +
		"2026-07,HS27,27,7,RU\n" +
		"2026-06-01,HS27,27,3,\n"
	f, err := Parse("p.csv", []byte(csv), ref(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range f.Groups {
		got = append(got, g.MonthLabel()+" "+g.Scope()+" "+g.Sum.String())
	}
	if strings.Join(got, "; ") != "2026-06 all partners 3; 2026-07 CN 120.5; 2026-07 RU 7" {
		t.Fatalf("groups: %v", got)
	}
}

// Every wrong line is refused, naming its line and column; nothing is returned.
func TestParseRefusals(t *testing.T) {
	const head = "date,item_code,hs_chapter,value_thousand_usd,hs_description_en\n"
	tests := []struct {
		name, csv, field, key string
	}{
		{"empty", "", "file", "error.trade_empty"},
		{"header only", head, "file", "error.trade_empty"},
		{"unknown column", "date,item_code,hs_chapter,value_thousand_usd,colour\n", "rows[1]", "error.csv_column"},
		{"missing column", "date,item_code,value_thousand_usd\n", "rows[1]", "error.csv_missing_column"},
		{"duplicate column", "date,date,item_code,hs_chapter,value_thousand_usd\n", "rows[1]", "error.csv_duplicate_column"},
		{"bad date", head + "July 2026,HS01,01,1,x\n", "rows[2].date", "error.trade_month"},
		{"not the first", head + "2026-07-15,HS01,01,1,x\n", "rows[2].date", "error.trade_month_first"},
		{"too early", head + "1999-12-01,HS01,01,1,x\n", "rows[2].date", "error.trade_month_range"},
		{"decimal comma", head + "2026-07-01,HS01,01,\"1,5\",x\n", "rows[2].value_thousand_usd", "error.decimal_comma"},
		{"negative", head + "2026-07-01,HS01,01,-1,x\n", "rows[2].value_thousand_usd", "error.negative"},
		{"exponent", head + "2026-07-01,HS01,01,1e3,x\n", "rows[2].value_thousand_usd", "error.exponent"},
		{"no value", head + "2026-07-01,HS01,01,,x\n", "rows[2].value_thousand_usd", "error.required"},
		{"too precise", head + "2026-07-01,HS01,01,1.0000000000000000001,x\n", "rows[2].value_thousand_usd", "error.too_precise"},
		{"chapter 77", head + "2026-07-01,HS77,77,1,x\n", "rows[2].hs_chapter", "error.trade_unknown_chapter"},
		{"heading not chapter", head + "2026-07-01,HS0101,0101,1,x\n", "rows[2].hs_chapter", "error.trade_chapter"},
		{"item disagrees", head + "2026-07-01,HS02,01,1,x\n", "rows[2].item_code", "error.trade_item_code"},
		{"total with chapter", head + "2026-07-01,TOTAL,01,1,x\n", "rows[2].hs_chapter", "error.trade_total_chapter"},
		{"chapter twice", head + "2026-07-01,HS01,01,1,x\n2026-07-01,HS01,01,2,x\n", "rows[3].item_code", "error.trade_duplicate"},
		{"total wrong", head + "2026-07-01,HS01,01,1,x\n2026-07-01,HS02,02,2,x\n2026-07-01,TOTAL,,3.00002,x\n", "rows[4].value_thousand_usd", "error.trade_total_mismatch"},
		{"total alone", head + "2026-07-01,TOTAL,,3,x\n", "rows[2].item_code", "error.trade_total_alone"},
		{"field count", head + "2026-07-01,HS01,01\n", "rows[2]", "error.csv_field_count"},
		{"control", head + "2026-07-01,HS01,01,1,a\x01b\n", "rows[2].hs_description_en", "error.control_char"},
		{"partner", "date,item_code,hs_chapter,value_thousand_usd,partner_country\n2026-07-01,HS01,01,1,XX\n", "rows[2].partner_country", "error.unknown_country"},
		{"quote", head + "2026-07-01,HS01,01,1,\"x\n", "rows[2]", "error.csv_syntax"},
		{"not utf-8", head + "2026-07-01,HS01,01,1,\xff\n", "file", "error.invalid_utf8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("x.csv", []byte(tc.csv), ref(t))
			if err == nil {
				t.Fatalf("accepted: %+v", f)
			}
			fields, _ := apperr.FieldsOf(err)
			for _, fe := range fields {
				if fe.Field == tc.field && fe.Key == tc.key {
					return
				}
			}
			t.Fatalf("want %s %s, got %v", tc.field, tc.key, fields)
		})
	}
}

// The TOTAL's refusal names both amounts.
func TestTotalMismatchNamesBoth(t *testing.T) {
	csv := "date,item_code,hs_chapter,value_thousand_usd\n2026-07-01,HS01,01,1\n2026-07-01,TOTAL,,2\n"
	_, err := Parse("x.csv", []byte(csv), ref(t))
	fields, _ := apperr.FieldsOf(err)
	if len(fields) != 1 || !strings.Contains(fields[0].Message, "2") || !strings.Contains(fields[0].Message, "1") {
		t.Fatalf("%v", fields)
	}
	t.Log(fields[0].Field, fields[0].Message)
}

// Two files naming the same month and partner are refused together.
func TestCheckOverlap(t *testing.T) {
	a, _ := Parse("a.csv", DemoFile, ref(t))
	b, _ := Parse("b.csv", DemoFile, ref(t))
	if err := Check([]*File{a}); err != nil {
		t.Fatal(err)
	}
	err := Check([]*File{a, b})
	fields, _ := apperr.FieldsOf(err)
	if len(fields) != 1 || !strings.Contains(fields[0].Message, "a.csv") || !strings.Contains(fields[0].Message, "b.csv") {
		t.Fatalf("%v", fields)
	}
}

// FuzzParse: no input makes the decoder panic, and what it accepts holds its
// promises: every group has chapters, sums are the sums of its rows, and a
// TOTAL is within a cent of them.
func FuzzParse(f *testing.F) {
	f.Add(DemoFile)
	f.Add([]byte("date,item_code,hs_chapter,value_thousand_usd,partner_country\n2026-07,HS27,27,1.5,CN\n2026-07-01,TOTAL,,1.5,CN\n"))
	f.Add([]byte("\xef\xbb\xbfdate,item_code,hs_chapter,value_thousand_usd\n2026-07-01,HS01,01,\"1\"\n"))
	r := reference.Default()
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("f.csv", data, r)
		if err != nil {
			if _, ok := err.(*apperr.Error); !ok {
				t.Fatalf("not an apperr: %v", err)
			}
			return
		}
		for _, g := range file.Groups {
			if len(g.Rows) == 0 {
				t.Fatal("a group without chapters")
			}
			sum := decimal.Zero
			for _, row := range g.Rows {
				if row.Value.IsNegative() || row.Month != g.Month || row.Partner != g.Partner {
					t.Fatalf("row %+v in group %s %s", row, g.Month, g.Partner)
				}
				sum = sum.Add(row.Value)
			}
			if !sum.Equal(g.Sum) {
				t.Fatalf("sum %s, rows %s", g.Sum, sum)
			}
			if g.Total != nil && g.Total.Sub(sum).Abs().GreaterThan(TotalTolerance) {
				t.Fatalf("total %s accepted against %s", g.Total, sum)
			}
		}
	})
}
