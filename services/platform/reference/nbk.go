package reference

// Import of the National Bank of Kazakhstan's official rates into the rates
// store (rates.go).
//
// The National Bank publishes each day's rates as XML
// (https://nationalbank.kz/rss/get_rates.cfm?fdate=DD.MM.YYYY):
//
//	<rates>
//	  <date>07.12.2026</date>
//	  <item>
//	    <fullname>100 УЗБЕКСКИХ СУМОВ</fullname>
//	    <title>UZS</title>
//	    <description>4.02</description>   tenge per quant units, "." or ","
//	    <quant>100</quant>
//	    <index>DOWN</index>
//	    <change>-0.01</change>
//	  </item>
//	  ...
//	</rates>
//
// A file may hold one day or several <rates> elements (days), under any
// wrapping element; the other elements of the feed (generator, title, link,
// copyright) are ignored, and so are fullname, index and change. The rates
// CSV (rates.go) is accepted too; a file is XML when its first character
// other than blanks is "<".
//
// An import reads every file first and refuses them all, changing nothing,
// when one has an error: each error names the file, the day or line, the
// currency and the field.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// maxImportBytes is the largest file an import reads (a year of daily XML is about 4 MB).
const maxImportBytes = 32 << 20

var nbkFields = rateFields{"date", "title", "quant", "description"}

type nbkDay struct {
	Date  string    `xml:"date"`
	Items []nbkItem `xml:"item"`
}

type nbkItem struct {
	FullName    string `xml:"fullname"`
	Title       string `xml:"title"`
	Description string `xml:"description"`
	Quant       string `xml:"quant"`
	Index       string `xml:"index"`
	Change      string `xml:"change"`
}

// ParseNBKXML reads the National Bank's rates XML: one or more days.
func (d *Data) ParseNBKXML(name string, in io.Reader) ([]DayRate, error) {
	dec := xml.NewDecoder(io.LimitReader(in, maxImportBytes))
	dec.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "windows-1251", "cp1251":
			return charmap.Windows1251.NewDecoder().Reader(input), nil
		}
		return nil, fmt.Errorf("encoding %q: save the file as UTF-8 or windows-1251", label)
	}
	var out []DayRate
	var errs []error
	days := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			return nil, fmt.Errorf("%s line %d: not readable XML: %v", name, line, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "rates" {
			continue
		}
		line, _ := dec.InputPos()
		var day nbkDay
		if err := dec.DecodeElement(&day, &se); err != nil {
			l, _ := dec.InputPos()
			return nil, fmt.Errorf("%s line %d: not readable XML: %v", name, l, err)
		}
		days++
		rates, dayErrs := d.nbkDayRates(name, line, day)
		out = append(out, rates...)
		errs = append(errs, dayErrs...)
		if len(errs) >= 20 {
			return nil, errors.Join(append(errs[:20], fmt.Errorf("%s: stopped after 20 errors", name))...)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if days == 0 {
		return nil, fmt.Errorf("%s: no <rates> element: this is not the National Bank's rates XML", name)
	}
	return out, nil
}

func (d *Data) nbkDayRates(name string, line int, day nbkDay) ([]DayRate, []error) {
	date := strings.TrimSpace(day.Date)
	t, err := time.Parse("02.01.2006", date)
	if err != nil {
		return nil, []error{fmt.Errorf("%s, <rates> at line %d, field date: %q is not a DD.MM.YYYY date", name, line, date)}
	}
	if len(day.Items) == 0 {
		return nil, []error{fmt.Errorf("%s, day %s, field item: the day has no <item>", name, date)}
	}
	var out []DayRate
	var errs []error
	first := map[string]int{}
	for i, it := range day.Items {
		cur := strings.TrimSpace(it.Title)
		where := fmt.Sprintf("%s, day %s, item %d", name, date, i+1)
		r, err := d.newDayRate(where, t, cur, strings.TrimSpace(it.Quant), strings.TrimSpace(it.Description), "NBK", nbkFields)
		if err == nil {
			if j, dup := first[cur]; dup {
				err = fmt.Errorf("%s, currency %s, field title: the currency is given twice this day (first as item %d)", where, cur, j)
			}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		first[cur] = i + 1
		out = append(out, r)
	}
	return out, errs
}

// ParseRatesFile reads one file of rates, the National Bank's XML or the
// rates CSV (by its first character).
func (d *Data) ParseRatesFile(name string, body []byte) ([]DayRate, error) {
	if len(body) > maxImportBytes {
		return nil, fmt.Errorf("%s: larger than %d MB: split it", name, maxImportBytes>>20)
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(body, []byte("\ufeff")), " \t\r\n")
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%s: empty file", name)
	}
	if trimmed[0] == '<' {
		return d.ParseNBKXML(name, bytes.NewReader(trimmed))
	}
	return d.ParseRatesCSV(name, bytes.NewReader(body))
}

// RatesInput is one file given to an import.
type RatesInput struct {
	Name string
	Body []byte
}

// ImportSummary says what an import read and changed.
type ImportSummary struct {
	Files       int
	Rates       int // rates read
	Added       int // rates the store did not have
	Replaced    int // rates of a day and currency the store had
	Days        int // distinct days read
	First, Last time.Time
	Currencies  []string
	Gaps        []CurrencyGaps // currencies with days without a rate, in the store, between their first and last day read
}

// CurrencyGaps are a currency's days without a rate between the first and
// the last day of it an import read.
type CurrencyGaps struct {
	Currency string
	Days     int
	Ranges   []string // the first few, "2026-01-03" or "2026-01-03..2026-01-05"
}

// ImportRates reads files into a copy of store: every file is parsed and
// checked before anything changes, and one refused file refuses the import
// (the error names each bad file, currency and field). A rate of a day and
// currency the store has replaces it. progress, when not nil, is called
// after each file read.
func (d *Data) ImportRates(store *Rates, files []RatesInput, progress func(done, total int, name string)) (*Rates, ImportSummary, error) {
	sum := ImportSummary{Files: len(files)}
	if len(files) == 0 {
		return nil, sum, errors.New("no file to import: name one or more files of the National Bank's XML or the rates CSV")
	}
	type origin struct {
		file string
		rate DayRate
	}
	var all []DayRate
	var errs []error
	seenAt := map[string]origin{}
	for i, f := range files {
		list, err := d.ParseRatesFile(f.Name, f.Body)
		if progress != nil {
			progress(i+1, len(files), f.Name)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, r := range list {
			key := r.Day.Format(time.DateOnly) + " " + r.Currency
			if o, ok := seenAt[key]; ok && o.file != f.Name && !o.rate.PerUnit.Equal(r.PerUnit) {
				errs = append(errs, fmt.Errorf("%s, day %s, currency %s, field rate: %s KZT per unit here, %s in %s: keep one of the two files",
					f.Name, r.Day.Format(time.DateOnly), r.Currency, r.PerUnit, o.rate.PerUnit, o.file))
				continue
			}
			seenAt[key] = origin{f.Name, r}
		}
		all = append(all, list...)
	}
	if len(errs) > 0 {
		return nil, sum, fmt.Errorf("nothing imported: %w", errors.Join(errs...))
	}
	out := &Rates{series: map[string][]DayRate{}}
	if store != nil {
		out = store.Clone()
	}
	sum.Rates = len(all)
	sum.Replaced = out.merge(all)
	sum.Added = sum.Rates - sum.Replaced
	days := map[time.Time]bool{}
	span := map[string][2]time.Time{}
	for _, r := range all {
		days[r.Day] = true
		s, ok := span[r.Currency]
		if !ok {
			s = [2]time.Time{r.Day, r.Day}
		}
		if r.Day.Before(s[0]) {
			s[0] = r.Day
		}
		if r.Day.After(s[1]) {
			s[1] = r.Day
		}
		span[r.Currency] = s
	}
	sum.Days = len(days)
	for day := range days {
		if sum.First.IsZero() || day.Before(sum.First) {
			sum.First = day
		}
		if day.After(sum.Last) {
			sum.Last = day
		}
	}
	for c, s := range span {
		sum.Currencies = append(sum.Currencies, c)
		if g := out.gaps(c, s[0], s[1]); g.Days > 0 {
			sum.Gaps = append(sum.Gaps, g)
		}
	}
	slices.Sort(sum.Currencies)
	sort.Slice(sum.Gaps, func(i, j int) bool { return sum.Gaps[i].Currency < sum.Gaps[j].Currency })
	if len(out.series["USD"]) == 0 {
		return nil, sum, errors.New("nothing imported: the store would have no USD rate, and every conversion to dollars needs KZT per USD")
	}
	return out, sum, nil
}

// gaps counts the days from first to last without a rate of currency.
func (rs *Rates) gaps(currency string, first, last time.Time) CurrencyGaps {
	g := CurrencyGaps{Currency: currency}
	have := map[time.Time]bool{}
	for _, r := range rs.series[currency] {
		have[r.Day] = true
	}
	var start time.Time
	flush := func(end time.Time) {
		if start.IsZero() {
			return
		}
		if len(g.Ranges) < 5 {
			if end.Equal(start) {
				g.Ranges = append(g.Ranges, start.Format(time.DateOnly))
			} else {
				g.Ranges = append(g.Ranges, start.Format(time.DateOnly)+".."+end.Format(time.DateOnly))
			}
		}
		start = time.Time{}
	}
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		if have[d] {
			flush(d.AddDate(0, 0, -1))
			continue
		}
		g.Days++
		if start.IsZero() {
			start = d
		}
	}
	flush(last)
	return g
}

// String says the summary in a few lines (for the command line and logs).
func (s ImportSummary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d files, %d rates (%d new, %d replaced), %d days", s.Files, s.Rates, s.Added, s.Replaced, s.Days)
	if s.Days > 0 {
		fmt.Fprintf(&b, " from %s to %s", s.First.Format(time.DateOnly), s.Last.Format(time.DateOnly))
	}
	fmt.Fprintf(&b, ", %d currencies: %s\n", len(s.Currencies), strings.Join(s.Currencies, " "))
	if len(s.Gaps) == 0 {
		b.WriteString("gaps: none (every currency has a rate on every day between its first and last day)\n")
	}
	for _, g := range s.Gaps {
		fmt.Fprintf(&b, "gap: %s has no rate on %d days: %s", g.Currency, g.Days, strings.Join(g.Ranges, ", "))
		if len(g.Ranges) == 5 {
			b.WriteString(", ...")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// ImportRatesFile imports files into the rates store at path (created when
// missing) and writes it back whole, under a lock so two imports do not
// lose each other's rates. It returns the new store; a refused import
// leaves the file as it was.
func (d *Data) ImportRatesFile(path string, files []RatesInput, progress func(done, total int, name string)) (*Rates, ImportSummary, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, ImportSummary{}, err
	}
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, ImportSummary{}, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, ImportSummary{}, fmt.Errorf("lock %s: %w", path, err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing the file unlocks too
	var store *Rates
	switch _, err := os.Stat(path); {
	case err == nil:
		if store, err = d.LoadRatesFile(path); err != nil {
			return nil, ImportSummary{}, fmt.Errorf("the rates store is refused, nothing imported: %w", err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, ImportSummary{}, err
	}
	out, sum, err := d.ImportRates(store, files, progress)
	if err != nil {
		return nil, sum, err
	}
	var b bytes.Buffer
	if err := out.WriteCSV(&b); err != nil {
		return nil, sum, err
	}
	if err := writeFileAtomic(path, b.Bytes()); err != nil {
		return nil, sum, fmt.Errorf("write the rates store %s: %w", path, err)
	}
	return out, sum, nil
}
