package csvx_test

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"econdip/services/platform/apperr"
	"econdip/services/platform/csvx"
)

var (
	point = csvx.Dialect{Comma: ','}
	comma = csvx.Dialect{Comma: ';', DecimalComma: true}
)

func TestDetectDialect(t *testing.T) {
	tests := []struct {
		name, data string
		comma      rune
		decimal    bool
		bom        bool
		detected   csvx.Detected
		err        string // the error key on rows[1], if refused
	}{
		{"comma", "item,text,agencies,deadline,clauses\n", ',', false, false, csvx.DetectedHeader, ""},
		{"semicolon, Excel in Russian", "\xef\xbb\xbfitem;text;agencies;deadline;clauses\r\n", ';', true, true, csvx.DetectedHeader, ""},
		{"comma with a BOM", "\xef\xbb\xbftext,agencies,deadline,clauses\n", ',', false, true, csvx.DetectedHeader, ""},
		{"a trailing separator", "exporter_bin;buyer_country;\r\n", ';', true, false, csvx.DetectedHeader, ""},
		{"a quoted name holds the other", "\"Инвестиции, USD\";text;agencies\n", ';', true, false, csvx.DetectedHeader, ""},
		{"the rows do not count", "text,agencies,deadline,clauses\nx;y,mti,2027-01-01,2.2\n", ',', false, false, csvx.DetectedHeader, ""},
		{"one name: comma by default", "text\n", ',', false, false, csvx.DetectedDefault, ""},
		{"empty", "", ',', false, false, csvx.DetectedDefault, ""},
		{"a BOM alone", "\xef\xbb\xbf", ',', false, true, csvx.DetectedDefault, ""},
		{"both outside quotes", "item;text,agencies;deadline;clauses\n", 0, false, false, "", csvx.KeyAmbiguousSeparator},
		{"a quoted newline is no end of the header", "\"te\nxt\",a;b\n", 0, false, false, "", csvx.KeyAmbiguousSeparator},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := csvx.DetectDialect([]byte(tt.data))
			if tt.err != "" {
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Code != apperr.Invalid || len(ae.Fields) != 1 || ae.Fields[0].Key != tt.err || ae.Fields[0].Field != "rows[1]" {
					t.Fatalf("got %v (%+v), want %s on rows[1]", err, ae, tt.err)
				}
				return
			}
			if err != nil || d.Comma != tt.comma || d.DecimalComma != tt.decimal || d.BOM != tt.bom || d.Detected != tt.detected {
				t.Fatalf("got %+v, %v; want comma %q decimal comma %v BOM %v detected %q", d, err, tt.comma, tt.decimal, tt.bom, tt.detected)
			}
		})
	}
}

func TestDialectNames(t *testing.T) {
	for _, tt := range []struct {
		d                 csvx.Dialect
		readAs, mark, key string
	}{
		{point, "comma", ".", "ui.csv.read_as_comma"},
		{comma, "semicolon", ",", "ui.csv.read_as_semicolon"},
	} {
		if tt.d.ReadAs() != tt.readAs || tt.d.DecimalMark() != tt.mark || tt.d.Key() != tt.key {
			t.Errorf("%+v: %s %s %s", tt.d, tt.d.ReadAs(), tt.d.DecimalMark(), tt.d.Key())
		}
	}
	// What a format writes is read back in its dialect.
	for _, f := range []csvx.Format{csvx.Default, csvx.Plain, csvx.Excel} {
		var b bytes.Buffer
		w := csvx.NewFormatWriter(&b, f, []bool{false, true})
		_ = w.Write([]string{"value", "amount"})
		_ = w.Write([]string{"2.7", "1250000.50"})
		w.Flush()
		d, err := csvx.DetectDialect(b.Bytes())
		if want := f.Dialect(); err != nil || d.Comma != want.Comma || d.DecimalComma != want.DecimalComma || d.BOM != want.BOM {
			t.Errorf("format %q: detected %+v %v, want %+v", f.Name, d, err, want)
		}
		recs, err := csvx.NewReader(b.Bytes(), d).ReadAll()
		if err != nil || len(recs) != 2 || recs[0][0] != "value" {
			t.Fatalf("format %q read as %q %v", f.Name, recs, err)
		}
		if v, err := csvx.DecimalText(d, recs[1][1]); err != nil || v != "1250000.50" || csvx.ReadCode(d, recs[1][0]) != "2.7" {
			t.Errorf("format %q: read back %q %v", f.Name, v, err)
		}
	}
}

// TestOpen: the reader has no byte order mark, takes CRLF and rows of any
// length (the importer says what is wrong with them).
func TestOpen(t *testing.T) {
	r, d, err := csvx.Open([]byte("\xef\xbb\xbfa;b\r\n1;\"2;3\"\r\n4\r\n"))
	if err != nil || !d.BOM {
		t.Fatal(d, err)
	}
	var got []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join(rec, "|"))
	}
	if strings.Join(got, " ") != "a|b 1|2;3 4" {
		t.Fatalf("read %q", got)
	}
	if _, _, err := csvx.Open([]byte("a;b,c\n")); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("a header of both separators opened: %v", err)
	}
	if b, ok := csvx.StripBOM([]byte("\xef\xbb\xbfx")); !ok || string(b) != "x" {
		t.Fatalf("StripBOM: %q %v", b, ok)
	}
	if b, ok := csvx.StripBOM([]byte("x")); ok || string(b) != "x" {
		t.Fatalf("StripBOM without a mark: %q %v", b, ok)
	}
}

func TestReadDecimal(t *testing.T) {
	tests := []struct {
		d        csvx.Dialect
		in, want string // want: DecimalText's answer
		key      string
	}{
		{point, "250000.50", "250000.50", ""},
		{point, " 1234.5 ", "1234.5", ""},
		{point, "1 234.5", "1234.5", ""},
		{point, "1\u00a0234\u00a0567", "1234567", ""},
		{point, "-12.5", "-12.5", ""},
		{point, "1.234", "1.234", ""}, // the file's separator says points
		{point, "1,234", "1,234", csvx.KeyCommaInPointFile},
		{point, "1,5", "1,5", csvx.KeyCommaInPointFile},
		{point, "1 234,5", "1 234,5", csvx.KeyCommaInPointFile},
		{comma, "250000,50", "250000.50", ""},
		{comma, "250000", "250000", ""},
		{comma, "1234,5", "1234.5", ""},
		{comma, "1\u202f234,5", "1234.5", ""},
		{comma, "1\u00a0234\u00a0567,50", "1234567.50", ""},
		{comma, "1 234,567", "1234.567", ""}, // grouped by spaces: the comma is the decimal mark
		{comma, "1234,567", "1234.567", ""},  // four digits are no group of thousands
		{comma, "-1 234,5", "-1234.5", ""},
		{comma, "1.234.567,5", "1234567.5", ""}, // dots grouping before a decimal comma
		{comma, "1.234,567", "1234.567", ""},
		{comma, "1,234", "1,234", csvx.KeyAmbiguousNumber},
		{comma, "-123,456", "-123,456", csvx.KeyAmbiguousNumber},
		{comma, "0,500", "0,500", csvx.KeyAmbiguousNumber},
		{comma, "1,234,567", "1,234,567", csvx.KeyAmbiguousNumber},
		{comma, "1.5", "1.5", csvx.KeyPointInCommaFile},
		{comma, "1.234", "1.234", csvx.KeyPointInCommaFile},
		{comma, "1.234.567", "1.234.567", csvx.KeyPointInCommaFile},
		{comma, "1 234.5", "1 234.5", csvx.KeyPointInCommaFile},
		// No number at all: DecimalText leaves it for the domain to refuse.
		{comma, "lots", "lots", csvx.KeyNotANumber},
		{comma, "", "", csvx.KeyNotANumber},
		{comma, ",5", ",5", csvx.KeyNotANumber},
		{comma, "a,b", "a,b", csvx.KeyNotANumber},
		{point, "1e9", "1e9", csvx.KeyNotANumber},
		{point, "12 34", "12 34", csvx.KeyNotANumber},
		{point, "-", "-", csvx.KeyNotANumber},
	}
	for _, tt := range tests {
		v, err := csvx.ReadDecimal(tt.d, tt.in)
		var ve *csvx.ValueError
		switch {
		case tt.key == "" && (err != nil || !v.Equal(decimal.RequireFromString(tt.want))):
			t.Errorf("ReadDecimal(%c, %q) = %s, %v; want %s", tt.d.Comma, tt.in, v, err, tt.want)
		case tt.key != "" && (!errors.As(err, &ve) || ve.Key != tt.key || ve.Text != strings.TrimSpace(tt.in)):
			t.Errorf("ReadDecimal(%c, %q) = %s, %v; want %s", tt.d.Comma, tt.in, v, err, tt.key)
		}
		text, err := csvx.DecimalText(tt.d, tt.in)
		wantErr := tt.key != "" && tt.key != csvx.KeyNotANumber
		if text != tt.want || (err != nil) != wantErr || (wantErr && !errors.As(err, &ve)) {
			t.Errorf("DecimalText(%c, %q) = %q, %v; want %q (error %v)", tt.d.Comma, tt.in, text, err, tt.want, wantErr)
		}
	}
}

func TestReadDayAndCode(t *testing.T) {
	day, code := csvx.ReadDay, csvx.ReadCode
	for _, tt := range []struct {
		name     string
		read     func(csvx.Dialect, string) string
		d        csvx.Dialect
		in, want string
	}{
		{"day", day, comma, "31.01.2027", "2027-01-31"},
		{"day", day, comma, "2027-01-31", "2027-01-31"},
		{"day", day, point, "2027-01-31", "2027-01-31"},
		{"day", day, point, "31.01.2027", "31.01.2027"}, // day.month.year only where decimals are commas
		{"day", day, comma, "1.3.2026", "1.3.2026"},     // Excel writes two digits: left for the domain to refuse
		{"day", day, comma, "31/01/2027", "31/01/2027"},
		{"day", day, comma, " 31.01.2027 ", "2027-01-31"},
		{"code", code, comma, "2,7", "2.7"},
		{"code", code, comma, "2.7", "2.7"},
		{"code", code, comma, "2,7,1", "2,7,1"},
		{"code", code, point, "2,7", "2,7"},
	} {
		if got := tt.read(tt.d, tt.in); got != tt.want {
			t.Errorf("%s (%c, %q) = %q, want %q", tt.name, tt.d.Comma, tt.in, got, tt.want)
		}
	}
}

var canonical = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

// FuzzDecode: whatever the bytes, the detector answers a dialect of ','
// (decimal points) or ';' (decimal commas) or an Invalid error on rows[1],
// and every cell of the file read in it is a number with a decimal point,
// an error with a key, or given back as it was; never a panic. A number
// that the Excel format writes reads back as itself or is refused as
// ambiguous, never as another number.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("\xef\xbb\xbfitem;text;agencies;deadline;clauses;value\r\n1;x;mti;31.01.2027;2,7;1 234,5\r\n"))
	f.Add([]byte("text,agencies,deadline,clauses,value\nx,mti,2027-01-01,2.2,\"1,234\"\n"))
	f.Add([]byte("exporter_bin;value;quantity\n1;1.234.567,5;1\u00a0234,567\n"))
	f.Add([]byte("a;b,c\n"))
	f.Add([]byte("\"x;y\",\"a\"\"b\"\n"))
	f.Add([]byte("value\n-1 234.5\n1e9\n"))
	keys := map[string]bool{csvx.KeyCommaInPointFile: true, csvx.KeyPointInCommaFile: true, csvx.KeyAmbiguousNumber: true, csvx.KeyNotANumber: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, d, err := csvx.Open(data)
		if err != nil {
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Invalid || len(ae.Fields) != 1 || ae.Fields[0].Field != "rows[1]" {
				t.Fatalf("detector error of the wrong kind: %v", err)
			}
			return
		}
		if d.Comma != ',' && d.Comma != ';' || d.DecimalComma != (d.Comma == ';') || d.BOM != bytes.HasPrefix(data, []byte(csvx.BOM)) {
			t.Fatalf("dialect %+v", d)
		}
		for n := 0; n < 50; n++ {
			rec, err := r.Read()
			if err != nil {
				return
			}
			for _, cell := range rec {
				v, err := csvx.ReadDecimal(d, cell)
				text, terr := csvx.DecimalText(d, cell)
				if err != nil {
					var ve *csvx.ValueError
					if !errors.As(err, &ve) || !keys[ve.Key] || ve.Text != strings.TrimSpace(cell) {
						t.Fatalf("%q: error %v", cell, err)
					}
					if (terr == nil) != (ve.Key == csvx.KeyNotANumber) || text != strings.TrimSpace(cell) {
						t.Fatalf("%q: DecimalText %q %v after %v", cell, text, terr, err)
					}
					continue
				}
				if terr != nil || !canonical.MatchString(text) || !v.Equal(decimal.RequireFromString(strings.TrimPrefix(text, "+"))) {
					t.Fatalf("%q: read %s, text %q %v", cell, v, text, terr)
				}
				if !d.DecimalComma && strings.Contains(cell, ",") || d.DecimalComma && strings.Count(cell, ",") > 1 {
					t.Fatalf("%q: accepted from a %s file", cell, d.ReadAs())
				}
				// Written by the Excel format, read back as itself or refused.
				var b bytes.Buffer
				w := csvx.NewFormatWriter(&b, csvx.Excel, []bool{true})
				_ = w.Write([]string{text})
				w.Flush()
				recs, err := csvx.NewReader(b.Bytes(), csvx.Excel.Dialect()).ReadAll()
				if err != nil || len(recs) != 1 {
					t.Fatalf("%q written as %q: %v", text, b.String(), err)
				}
				back, err := csvx.ReadDecimal(csvx.Excel.Dialect(), recs[0][0])
				var ve *csvx.ValueError
				if err == nil && !back.Equal(v) || err != nil && (!errors.As(err, &ve) || ve.Key != csvx.KeyAmbiguousNumber) {
					t.Fatalf("%q written as %q read back as %s, %v", text, recs[0][0], back, err)
				}
			}
		}
	})
}
