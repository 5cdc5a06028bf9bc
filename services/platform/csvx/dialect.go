package csvx

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"econdip/services/platform/apperr"
)

// The catalogue keys of why a file or a cell cannot be read without a guess.
const (
	KeyAmbiguousSeparator = "error.csv_ambiguous_separator" // the header has both ',' and ';' (their counts)
	KeyCommaInPointFile   = "error.csv_comma_in_point_file" // 1,5 in a ','-separated file
	KeyPointInCommaFile   = "error.csv_point_in_comma_file" // 1.5 in a ';'-separated file
	KeyAmbiguousNumber    = "error.csv_ambiguous_number"    // 1,234 or 1,234,567 in a ';'-separated file
	KeyNotANumber         = "error.not_a_number"            // ReadDecimal only: no number at all
)

// Detected says how DetectDialect found a file's dialect.
type Detected string

const (
	// DetectedHeader: the header line has ',' or ';' between its names.
	DetectedHeader Detected = "header"
	// DetectedDefault: the header is one name, nothing to tell by; ','.
	DetectedDefault Detected = "default"
)

// Dialect is how a file people give econdip was written: what separates
// its cells, its decimal mark and whether it starts with a byte order
// mark. Excel writes ';' and decimal commas where the list separator is
// ';' (Russian, Kazakh or German settings), ',' and decimal points
// elsewhere, so the separator gives the decimal mark too.
type Dialect struct {
	Comma        rune // ',' or ';'
	DecimalComma bool // ';'-separated files write 12,5 and 31.01.2027
	BOM          bool
	Detected     Detected // how DetectDialect found it; "" for a dialect made in code
}

// Dialect is the dialect a file written in format f is read back with.
func (f Format) Dialect() Dialect {
	d := Dialect{Comma: ',', DecimalComma: f.DecimalComma, BOM: f.BOM}
	if f.Comma != 0 {
		d.Comma = f.Comma
	}
	return d
}

// ReadAs names the dialect: "semicolon" (';' with decimal commas) or
// "comma" (',' with decimal points).
func (d Dialect) ReadAs() string {
	if d.Comma == ';' {
		return "semicolon"
	}
	return "comma"
}

// DecimalMark is "," or ".".
func (d Dialect) DecimalMark() string {
	if d.DecimalComma {
		return ","
	}
	return "."
}

// Key is the catalogue key of a sentence telling people how their file
// was read.
func (d Dialect) Key() string {
	if d.Comma == ';' {
		return "ui.csv.read_as_semicolon"
	}
	return "ui.csv.read_as_comma"
}

// StripBOM takes a UTF-8 byte order mark off the start of data and says
// whether there was one.
func StripBOM(data []byte) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(data, []byte(BOM))
	return rest, ok
}

// DetectDialect reads the dialect from the header line (the file's first,
// after a byte order mark; a newline inside quotes does not end it): the
// separator is the one of ',' and ';' that appears there outside quotes,
// ',' if neither does. A header with both reads two ways and is refused:
// an *apperr.Error of code Invalid, KeyAmbiguousSeparator on rows[1] with
// the two counts.
func DetectDialect(data []byte) (Dialect, error) {
	d := Dialect{Comma: ',', Detected: DetectedDefault}
	data, d.BOM = StripBOM(data)
	commas, semicolons, quoted := 0, 0, false
	for _, b := range data {
		if b == '"' {
			quoted = !quoted
		}
		if quoted {
			continue
		}
		if b == '\n' {
			break
		}
		switch b {
		case ',':
			commas++
		case ';':
			semicolons++
		}
	}
	switch {
	case commas > 0 && semicolons > 0:
		var f apperr.Fields
		f.Add("rows[1]", KeyAmbiguousSeparator, commas, semicolons)
		return d, f.Err()
	case semicolons > 0:
		d.Comma, d.DecimalComma, d.Detected = ';', true, DetectedHeader
	case commas > 0:
		d.Detected = DetectedHeader
	}
	return d, nil
}

// NewReader reads data, a file of dialect d, without its byte order mark.
// Records may have any number of fields: the importer says what is wrong
// with a short or long row.
func NewReader(data []byte, d Dialect) *csv.Reader {
	data, _ = StripBOM(data)
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = d.Comma
	r.FieldsPerRecord = -1
	return r
}

// Open detects the dialect of data (DetectDialect) and gives a reader of it.
func Open(data []byte) (*csv.Reader, Dialect, error) {
	d, err := DetectDialect(data)
	if err != nil {
		return nil, d, err
	}
	return NewReader(data, d), d, nil
}

// ValueError says why a cell is no value: the catalogue key and the cell
// as it was written (the key's %q).
type ValueError struct {
	Key  string
	Text string
}

func (e *ValueError) Error() string { return e.Key + ": " + strconv.Quote(e.Text) }

var (
	// spaceGrouped is 1 234 567,50 as Excel writes a number formatted with
	// grouping (a space, no-break space or narrow no-break space).
	spaceGrouped = regexp.MustCompile(`^[0-9]{1,3}([ \x{a0}\x{202f}][0-9]{3})+([.,][0-9]+)?$`)
	// dotGrouped is 1.234.567,50: dots grouping thousands before a decimal
	// comma (Excel in German settings).
	dotGrouped   = regexp.MustCompile(`^[0-9]{1,3}(\.[0-9]{3})+,[0-9]+$`)
	commaDecimal = regexp.MustCompile(`^([0-9]+),([0-9]+)$`)
	pointNumber  = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	dottedDay    = regexp.MustCompile(`^([0-9]{2})\.([0-9]{2})\.([0-9]{4})$`)
	codeComma    = regexp.MustCompile(`^[0-9]+,[0-9]+$`)
)

// readNumber gives text as digits with an optional sign and decimal
// point, as many decimals as written, or the key of why it cannot.
func readNumber(d Dialect, text string) (string, string) {
	s := strings.TrimSpace(text)
	sign := ""
	if s != "" && (s[0] == '-' || s[0] == '+') {
		sign, s = s[:1], s[1:]
	}
	grouped := spaceGrouped.MatchString(s)
	if grouped {
		s = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\u00a0' || r == '\u202f' {
				return -1
			}
			return r
		}, s)
	}
	if !d.DecimalComma {
		if strings.Contains(s, ",") { // 1,234: grouping or a decimal comma? The file's separator says points.
			return "", KeyCommaInPointFile
		}
	} else {
		if dotGrouped.MatchString(s) {
			s, grouped = strings.ReplaceAll(s, ".", ""), true
		}
		switch {
		case strings.Contains(s, "."): // 1.234 groups thousands in some settings, is a fraction in others
			return "", KeyPointInCommaFile
		case strings.Count(s, ",") > 1: // 1,234,567: commas grouping thousands
			return "", KeyAmbiguousNumber
		}
		if m := commaDecimal.FindStringSubmatch(s); m != nil {
			// 1,234 or 123,456 may be a fraction or one group of thousands
			// (as 1234,567 or 1 234,567 may not).
			if !grouped && len(m[2]) == 3 && len(m[1]) <= 3 {
				return "", KeyAmbiguousNumber
			}
			s = m[1] + "." + m[2]
		}
	}
	if !pointNumber.MatchString(s) {
		return "", KeyNotANumber
	}
	return sign + s, ""
}

// ReadDecimal reads a number cell of a file of dialect d: 1234.5 or
// 1 234.5 where decimals are points; 1234,5, 1 234 567,5 or 1.234.567,5
// where they are commas; with an optional sign. A value that could be read
// two ways is a *ValueError, never a guess: a comma where decimals are
// points (KeyCommaInPointFile), a point where they are commas
// (KeyPointInCommaFile, unless dots group thousands before a comma), and
// 1,234, 123,456 or 1,234,567 where they are commas (KeyAmbiguousNumber).
// Anything else (blank, letters, 1e9) is KeyNotANumber.
func ReadDecimal(d Dialect, text string) (decimal.Decimal, error) {
	s, key := readNumber(d, text)
	if key != "" {
		return decimal.Decimal{}, &ValueError{Key: key, Text: strings.TrimSpace(text)}
	}
	return decimal.RequireFromString(strings.TrimPrefix(s, "+")), nil
}

// DecimalText is ReadDecimal for a domain that takes a number as text and
// refuses what is no number in its own words: the number with a decimal
// point and its decimals as written (1 234,50 is 1234.50), or, for a cell
// that is no number at all (blank, letters), the cell as it is. Only a
// value that could be read two ways is an error.
func DecimalText(d Dialect, text string) (string, error) {
	s, key := readNumber(d, text)
	switch key {
	case "":
		return s, nil
	case KeyNotANumber:
		return strings.TrimSpace(text), nil
	}
	return strings.TrimSpace(text), &ValueError{Key: key, Text: strings.TrimSpace(text)}
}

// ReadDay gives a date cell as YYYY-MM-DD: as it is written so, and
// DD.MM.YYYY, as Excel saves a date in Russian, Kazakh or German settings,
// turned round, in a file of decimal commas only (where day.month.year is
// the one order in use). Anything else is given back as it is, for the
// domain to refuse naming the format it takes.
func ReadDay(d Dialect, text string) string {
	s := strings.TrimSpace(text)
	if m := dottedDay.FindStringSubmatch(s); m != nil && d.DecimalComma {
		return m[3] + "-" + m[2] + "-" + m[1]
	}
	return s
}

// ReadCode gives back a dotted code (a clause 2.7) that a spreadsheet of
// decimal commas took for a number and saved as 2,7. Codes are never
// fractions, so in a file of decimal commas digits,digits is digits.digits;
// anything else is as it is.
func ReadCode(d Dialect, text string) string {
	if d.DecimalComma && codeComma.MatchString(text) {
		return strings.Replace(text, ",", ".", 1)
	}
	return text
}
