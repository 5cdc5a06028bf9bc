package reference

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

const ratesFixture = `date,currency,quant,kzt,source
2026-01-01,USD,1,500,NBK
2026-01-01,EUR,1,"625,00",NBK
2026-01-15,EUR,1,555.55,NBK
2026-01-10,USD,1,510.5,NBK
2026-01-01,JPY,1,3.33,NBK
2026-01-01,UZS,100,4.02,NBK
`

// TestNBKDay is a day of the National Bank's XML written for the tests in
// the feed's format (the values are invented, near the real ones).
const TestNBKDay = `<?xml version="1.0" encoding="utf-8"?>
<rates>
  <generator>nationalbank.kz</generator>
  <title>Official exchange rates of National Bank of Republic Kazakhstan</title>
  <link>https://nationalbank.kz</link>
  <description>Official exchange rates of National Bank of Republic Kazakhstan</description>
  <copyright>nationalbank.kz</copyright>
  <date>03.11.2026</date>
  <item><fullname>ДОЛЛАР США</fullname><title>USD</title><description>512.37</description><quant>1</quant><index>UP</index><change>1.21</change></item>
  <item><fullname>ЕВРО</fullname><title>EUR</title><description>590,12</description><quant>1</quant><index>DOWN</index><change>-0.5</change></item>
  <item><fullname>РОССИЙСКИЙ РУБЛЬ</fullname><title>RUB</title><description>6.37</description><quant>1</quant><index>DOWN</index><change>-0.02</change></item>
  <item><fullname>КИТАЙСКИЙ ЮАНЬ</fullname><title>CNY</title><description>71.93</description><quant>1</quant><index>UP</index><change>0.11</change></item>
  <item><fullname>ТУРЕЦКАЯ ЛИРА</fullname><title>TRY</title><description>11.62</description><quant>1</quant><index></index><change>0.00</change></item>
  <item><fullname>ДИРХАМ ОАЭ</fullname><title>AED</title><description>139.51</description><quant>1</quant><index>UP</index><change>0.33</change></item>
  <item><fullname>100 УЗБЕКСКИХ СУМОВ</fullname><title>UZS</title><description>4.21</description><quant>100</quant><index>DOWN</index><change>-0.01</change></item>
  <item><fullname>КЫРГЫЗСКИЙ СОМ</fullname><title>KGS</title><description>5.86</description><quant>1</quant><index>UP</index><change>0.01</change></item>
</rates>
`

var noLimits = RateLimits{StaleDays: 100000, MaxAgeDays: 100000}

func TestRatesConvertThroughTheTenge(t *testing.T) {
	rs, err := Default().ParseRates("rates.csv", strings.NewReader(ratesFixture))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name            string
		amount, cur, on string
		usd, kzt        string
		rateDay         string
		age             int
	}{
		// 1000 EUR × 625 = 625000 KZT; / 500 = 1250 USD.
		{"same day", "1000", "EUR", "2026-01-01", "1250", "625000", "2026-01-01", 0},
		// EUR of the 1st, USD of the 10th: 625000 / 510.5 = 1224.2899118511… → 1224.29; the older day counts.
		{"latest earlier rates", "1000", "EUR", "2026-01-12", "1224.29", "625000", "2026-01-01", 11},
		// From the 15th: 555550 / 510.5 = 1088.2468168462… → 1088.25.
		{"new rate", "1000", "EUR", "2026-01-20", "1088.25", "555550", "2026-01-10", 10},
		// Half away from zero at the cent: 0.0045 × 625 = 2.8125 → 2.81; / 500 = 0.005625 → 0.01.
		{"half away from zero", "0.0045", "EUR", "2026-01-01", "0.01", "2.81", "2026-01-01", 0},
		// USD through its own rate; KZT is 1, its USD at the dollar's rate.
		{"dollars", "99.99", "USD", "2026-01-02", "99.99", "49995", "2026-01-01", 1},
		{"tenge", "510500", "KZT", "2026-01-10", "1000", "510500", "2026-01-10", 0},
		// Quant 100: 4.02 KZT per 100 UZS = 0.0402 per UZS; 12,345,678.9 UZS = 496296.291780 KZT → 496296.29;
		// / 500 = 992.59258356 → 992.59.
		{"quant 100", "12345678.9", "UZS", "2026-01-01", "992.59", "496296.29", "2026-01-01", 0},
		// 1e9 JPY × 3.33 = 3.33e9 KZT; / 510.5 = 6523016.6503428… → 6523016.65.
		{"large", "1000000000", "JPY", "2026-01-10", "6523016.65", "3330000000", "2026-01-01", 9},
		// 10^13 at the dearest test rate: the largest amount.
		{"largest", "10000000000000", "EUR", "2026-01-01", "12500000000000", "6250000000000000", "2026-01-01", 0},
	}
	for _, c := range cases {
		conv, err := rs.Convert(decimal.RequireFromString(c.amount), c.cur, day(c.on), noLimits)
		if err != nil {
			t.Errorf("%s: %s %s on %s: %v", c.name, c.amount, c.cur, c.on, err)
			continue
		}
		if conv.USD.String() != c.usd || conv.KZT.String() != c.kzt || conv.RateDay.Format(time.DateOnly) != c.rateDay || conv.AgeDays != c.age {
			t.Errorf("%s: %s %s on %s: %s USD %s KZT, rate of %s (%d days); want %s USD %s KZT, %s (%d)", c.name, c.amount, c.cur, c.on,
				conv.USD, conv.KZT, conv.RateDay.Format(time.DateOnly), conv.AgeDays, c.usd, c.kzt, c.rateDay, c.age)
		}
	}
	for _, c := range []struct{ cur, on string }{{"EUR", "2025-12-31"}, {"GBP", "2026-02-01"}, {"USD", "2025-12-31"}, {"KZT", "2025-12-31"}} {
		if _, err := rs.Convert(decimal.NewFromInt(1), c.cur, day(c.on), noLimits); !errors.Is(err, ErrNoRate) {
			t.Errorf("%s on %s: %v, want a missing rate", c.cur, c.on, err)
		}
	}
}

// A rate older than the stale limit is flagged; older than the hard limit it
// is not used: the amount has no rate, and the error says why.
func TestRatesStaleAndTooOld(t *testing.T) {
	rs, err := Default().ParseRates("rates.csv", strings.NewReader(ratesFixture))
	if err != nil {
		t.Fatal(err)
	}
	lim := DefaultRateLimits
	for _, c := range []struct {
		on           string
		stale, noRat bool
		age          int
	}{
		{"2026-01-16", false, false, 1}, // EUR of the 15th, USD of the 10th: 6 days
		{"2026-01-17", false, false, 7}, // 7 days: at the limit, not past it
		{"2026-01-18", true, false, 8},
		{"2026-02-24", true, false, 45},
		{"2026-02-25", false, true, 46},
	} {
		conv, err := rs.Convert(decimal.NewFromInt(100), "EUR", day(c.on), lim)
		switch {
		case c.noRat:
			if !errors.Is(err, ErrNoRate) || !errors.Is(err, ErrRateTooOld) || !strings.Contains(err.Error(), "46 days older") {
				t.Errorf("%s: %v, want too old", c.on, err)
			}
		case err != nil:
			t.Errorf("%s: %v", c.on, err)
		case conv.Stale != c.stale || (c.age != 1 && conv.AgeDays != c.age):
			t.Errorf("%s: stale %v age %d, want %v %d", c.on, conv.Stale, conv.AgeDays, c.stale, c.age)
		}
	}
}

func TestParseRatesRefusesBadLinesNamingThem(t *testing.T) {
	h := "date,currency,quant,kzt\n"
	usd := "2026-01-01,USD,1,500\n"
	for _, c := range []struct{ body, want string }{
		{h + "2026-13-01,EUR,1,590\n" + usd, "line 2, currency EUR, field date: \"2026-13-01\" is not a YYYY-MM-DD date"},
		{h + "2026-01-01,EUX,1,590\n" + usd, "line 2, currency EUX, field currency: \"EUX\" is not an ISO 4217 currency"},
		{h + "2026-01-01,KZT,1,1\n" + usd, "line 2, currency KZT, field currency: KZT is the base"},
		{h + "2026-01-01,EUR,3,590\n" + usd, "line 2, currency EUR, field quant: \"3\" is not a quant"},
		{h + "2026-01-01,EUR,1,1e3\n" + usd, "currency EUR, field kzt: \"1e3\" is not a rate"},
		{h + "2026-01-01,EUR,1,5.1234567\n" + usd, "at most 6 decimal places"},
		{h + "2026-01-01,UZS,1000,4.123456\n" + usd, "more than 8 decimal places per unit"},
		{h + "2026-01-01,EUR,1,0\n" + usd, "field kzt: \"0\" is not positive"},
		{h + "2026-01-01,EUR,1,100000\n" + usd, "more than any currency is worth"},
		{h + usd + "2026-01-01,USD,1,501\n", "line 3, field date: duplicate \"2026-01-01 USD\" (first on line 2)"},
		{h + "2026-01-01,EUR,1,590\n", "no USD rate"},
		{"day,currency,rate\n", "header is"},
		{"date,currency,per_usd\n2026-01-01,KZT,500\n", "line 1: this is the former rates file (units per USD)"},
		{h + "2026-01-01,EUR\n", "line 2: 2 fields, want 4"},
	} {
		_, err := Default().ParseRates("rates.csv", strings.NewReader(c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "rates.csv") {
			t.Errorf("%q: %v, want an error containing %q", c.body, err, c.want)
		}
	}
}

func TestParseNBKXML(t *testing.T) {
	d := Default()
	list, err := d.ParseNBKXML("03.11.2026.xml", strings.NewReader(TestNBKDay))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]DayRate{}
	for _, r := range list {
		got[r.Currency] = r
		if r.Day.Format(time.DateOnly) != "2026-11-03" || r.Source != "NBK" {
			t.Errorf("%s: day %s source %s", r.Currency, r.Day, r.Source)
		}
	}
	if len(got) != 8 || got["UZS"].Quant != 100 || got["UZS"].PerUnit.String() != "0.0421" || got["EUR"].PerUnit.String() != "590.12" {
		t.Fatalf("rates: %+v", got)
	}
	// Several days in one file, wrapped or one after the other.
	two := strings.Replace(TestNBKDay, "</rates>", "</rates>"+strings.Replace(TestNBKDay[strings.Index(TestNBKDay, "<rates>"):], "03.11.2026", "04.11.2026", 1), 1)
	if list, err := d.ParseNBKXML("two.xml", strings.NewReader("<days>"+two[strings.Index(two, "<rates>"):]+"</days>")); err != nil || len(list) != 16 {
		t.Fatalf("two days: %d rates, %v", len(list), err)
	}
	for _, c := range []struct{ edit, want string }{
		{"<date>03.11.2026</date>|<date>2026-11-03</date>", "field date: \"2026-11-03\" is not a DD.MM.YYYY date"},
		{"<description>6.37</description>|<description>6.3.7</description>", "day 03.11.2026, item 3, currency RUB, field description: \"6.3.7\" is not a rate"},
		{"<quant>100</quant>|<quant>50</quant>", "item 7, currency UZS, field quant: \"50\" is not a quant"},
		{"<title>TRY</title>|<title>TRL</title>", "currency TRL, field title: \"TRL\" is not an ISO 4217 currency"},
		{"<title>AED</title>|<title>RUB</title>", "item 6, currency RUB, field title: the currency is given twice this day (first as item 3)"},
		{"rates>|ratez>", "no <rates> element"},
		{"</rates>|", "not readable XML"},
	} {
		from, to, _ := strings.Cut(c.edit, "|")
		_, err := d.ParseNBKXML("day.xml", strings.NewReader(strings.ReplaceAll(TestNBKDay, from, to)))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "day.xml") {
			t.Errorf("%s: %v, want %q", c.edit, err, c.want)
		}
	}
}

// An import checks every file first: one bad file refuses all of them, the
// error names the file, currency and field, and the store is unchanged.
func TestImportRatesAllOrNothing(t *testing.T) {
	d := Default()
	store, err := d.ParseRates("store.csv", strings.NewReader(ratesFixture))
	if err != nil {
		t.Fatal(err)
	}
	before := store.Lines()
	good := RatesInput{"03.11.2026.xml", []byte(TestNBKDay)}
	bad := RatesInput{"04.11.2026.xml", []byte(strings.Replace(strings.Replace(TestNBKDay, "03.11.2026", "04.11.2026", 1), "<quant>100</quant>", "<quant>7</quant>", 1))}
	var read []string
	_, _, err = d.ImportRates(store, []RatesInput{good, bad}, func(done, total int, name string) { read = append(read, name) })
	if err == nil || !strings.Contains(err.Error(), "04.11.2026.xml, day 04.11.2026, item 7, currency UZS, field quant") || store.Lines() != before || len(read) != 2 {
		t.Fatalf("a bad file: %v; store %d rates (was %d); read %v", err, store.Lines(), before, read)
	}
	csvDay := RatesInput{"06.11.2026.csv", []byte("date,currency,quant,kzt\n2026-11-06,USD,1,513\n2026-11-06,RUB,1,\"6,40\"\n")}
	out, sum, err := d.ImportRates(store, []RatesInput{good, csvDay}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != 2 || sum.Days != 2 || sum.Rates != 10 || sum.Added != 10 || len(sum.Currencies) != 8 || store.Lines() != before {
		t.Fatalf("summary %+v", sum)
	}
	// USD and RUB miss the 4th and the 5th; the others have one day only.
	if len(sum.Gaps) != 2 || sum.Gaps[0].Currency != "RUB" || sum.Gaps[0].Days != 2 || sum.Gaps[0].Ranges[0] != "2026-11-04..2026-11-05" {
		t.Fatalf("gaps %+v", sum.Gaps)
	}
	if !strings.Contains(sum.String(), "gap: USD has no rate on 2 days: 2026-11-04..2026-11-05") {
		t.Errorf("summary text:\n%s", sum)
	}
	if r, _, _ := out.At("RUB", day("2026-11-07")); r.String() != "6.4" {
		t.Errorf("RUB after the import: %s", r)
	}
	// The same again replaces, and two files disagreeing on a day are refused.
	if _, sum, err := d.ImportRates(out, []RatesInput{good}, nil); err != nil || sum.Replaced != 8 || sum.Added != 0 {
		t.Errorf("again: %+v %v", sum, err)
	}
	other := RatesInput{"other.csv", []byte("date,currency,quant,kzt\n2026-11-03,USD,1,999\n")}
	if _, _, err := d.ImportRates(store, []RatesInput{good, other}, nil); err == nil || !strings.Contains(err.Error(), "other.csv, day 2026-11-03, currency USD") {
		t.Errorf("two files disagree: %v", err)
	}
}

// The store file round-trips, and an import writes it whole or not at all.
func TestImportRatesFile(t *testing.T) {
	d := Default()
	path := t.TempDir() + "/" + RatesFile
	if err := d.WriteRatesFile(path, false); err != nil {
		t.Fatal(err)
	}
	demo, err := d.LoadRatesFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = d.ImportRatesFile(path, []RatesInput{{"bad.xml", []byte("<rates><date>01.01.2027</date></rates>")}}, nil)
	if again, _ := d.LoadRatesFile(path); err == nil || again.Lines() != demo.Lines() {
		t.Fatalf("a refused import: %v", err)
	}
	rs, _, err := d.ImportRatesFile(path, []RatesInput{{"day.xml", []byte(TestNBKDay)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := d.LoadRatesFile(path)
	if err != nil || again.Lines() != rs.Lines() || rs.Lines() != demo.Lines()+8 {
		t.Fatalf("after the import: %d rates in the file, %d imported, %d before: %v", again.Lines(), rs.Lines(), demo.Lines(), err)
	}
	if r, _, _ := again.At("UZS", day("2026-11-03")); r.String() != "0.0421" {
		t.Errorf("UZS read back: %s", r)
	}
}

// The demo store: every currency of the National Bank's feed from 2020 to
// 2026, a point a week (so no amount of those years is stale), DEMO where not
// real; KZT per USD is the National Bank's monthly average.
func TestDemoRates(t *testing.T) {
	d := Default()
	rs, err := d.DemoRates()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range NBKCurrencies() {
		s := rs.Series(c.Code)
		if len(s) < 360 || s[0].Day.Format(time.DateOnly) != "2020-01-01" || s[len(s)-1].Day.Year() != 2027 || s[0].Quant != c.Quant {
			t.Fatalf("%s: %d rates", c.Code, len(s))
		}
		if len(c.DemoUSD) > 0 && !strings.HasPrefix(s[0].Source, "DEMO") {
			t.Errorf("%s is invented but says %q", c.Code, s[0].Source)
		}
	}
	for _, code := range []string{"RUB", "TRY", "AED", "UZS", "KGS", "CNY"} {
		if !d.HasRates(code) || !strings.Contains(strings.Join(d.RatedCurrencies(), " "), code) {
			t.Errorf("%s is not usable in forms", code)
		}
	}
	if d.HasRates("PEN") || strings.Contains(strings.Join(d.RatedCurrencies(), " "), "XDR") {
		t.Errorf("PEN has no rates; XDR is not money: %v", d.RatedCurrencies())
	}
	usd, day0, _ := rs.At("USD", day("2024-02-29"))
	want, _ := d.Convert(decimal.NewFromInt(1), "USD", day("2024-02-29"))
	if !usd.Equal(want.KZT.Round(2)) && !usd.Equal(want.KZTPerUnit.Round(2)) || day0.Month() != 2 {
		t.Errorf("USD on 2024-02-29: %s of %s, the monthly average is %s", usd, day0, want.KZTPerUnit)
	}
	lim := DefaultRateLimits
	for on := day("2020-01-01"); on.Year() < 2027; on = on.AddDate(0, 0, 1) {
		if c, err := rs.Convert(decimal.NewFromInt(1), "RUB", on, lim); err != nil || c.Stale {
			t.Fatalf("RUB on %s: %+v %v", on, c, err)
		}
	}
	if !bytes.Contains(d.DemoRatesCSV(), []byte("2026-12-30,UZS,100,")) {
		t.Error("the demo store ends before the end of 2026")
	}
}

func FuzzParseRatesCSV(f *testing.F) {
	f.Add([]byte(ratesFixture))
	f.Add(Default().DemoRatesCSV()[:400])
	f.Add([]byte{})
	d := Default()
	f.Fuzz(func(t *testing.T, in []byte) {
		list, err := d.ParseRatesCSV("fuzz", bytes.NewReader(in))
		if err == nil && len(list) == 0 {
			t.Fatal("a file without rates was accepted")
		}
		checkRates(t, list)
	})
}

func FuzzParseNBKXML(f *testing.F) {
	f.Add([]byte(TestNBKDay))
	f.Add([]byte("<rates><date>01.01.2026</date><item><title>USD</title><description>1</description><quant>1</quant></item></rates>"))
	f.Add([]byte("<?xml version=\"1.0\" encoding=\"windows-1251\"?><rates></rates>"))
	d := Default()
	f.Fuzz(func(t *testing.T, in []byte) {
		list, err := d.ParseNBKXML("fuzz", bytes.NewReader(in))
		if err == nil && len(list) == 0 {
			t.Fatal("a file without rates was accepted")
		}
		checkRates(t, list)
	})
}

// checkRates fails on an accepted rate the store could not hold.
func checkRates(t *testing.T, list []DayRate) {
	for _, r := range list {
		if !r.PerUnit.IsPositive() || r.PerUnit.GreaterThanOrEqual(maxPerUnit) || !r.PerUnit.Equal(r.PerUnit.Truncate(UnitScale)) ||
			!r.PerUnit.Mul(decimal.NewFromInt(r.Quant)).Equal(r.KZT) || r.Currency == "KZT" {
			t.Fatalf("accepted %+v", r)
		}
	}
}
