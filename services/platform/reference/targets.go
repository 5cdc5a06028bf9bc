package reference

// The targets file of the Concept scorecard: the Government's
// implementation-plan targets per priority sector or Concept clause, metric
// and year, as administrators keep them. The scorecard sets what was
// achieved (investor leads, export deals) against them.
//
// Format (CSV, UTF-8, commas, one header line; a byte-order mark is allowed):
//
//	edition,scope,code,metric,year,value,unit,source
//	2024,sector,machine_building,investment_committed_usd,2026,520000000,USD,Implementation plan 2024 annex 2
//	2024,clause,2.7,export_markets,2026,12,count,"Implementation plan 2024, annex 5"
//
// (a field that contains a comma is quoted, as in any CSV file)
//
//   - edition: the plan edition, the 4-digit year it was adopted, 2020-2030.
//     The Government revises its implementation plan every two years; a file
//     may hold several editions, and the scorecard uses the latest one by
//     default (see analytics.Targets).
//   - scope: sector or clause.
//   - code: for sector, a priority sector code of priority_sectors.csv (or of
//     the administrators' mapping file), e.g. machine_building; for clause, a
//     clause of the Concept's economic-diplomacy area, 2.1 to 2.14.
//   - metric: one of the Metric constants below.
//   - year: the year the target is for, 2020-2030.
//   - value: non-negative, digits with an optional decimal point (the rules of
//     econdip/services/platform/money: no decimal comma, no exponent, at most
//     4 decimal places); a whole number for count metrics.
//   - unit: USD for the metrics ending in _usd, count for the others: stated
//     so that a value is never read in the wrong unit.
//   - source: where the target comes from (document, annex, date); never
//     empty. Invented demo targets start with "DEMO:".
//
// One line per (edition, scope, code, metric, year): a second is refused,
// naming both lines. A file without targets is refused. Every error names the
// file, line and field and says what to write instead; the errors of a whole
// file are reported together (up to maxTargetErrors).

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"econdip/services/platform/apperr"
	"econdip/services/platform/money"
)

// TargetsFile is the usual name of the targets file in its folder.
const TargetsFile = "targets.csv"

// fileTargetsDemo is the demo targets file inside data/.
const fileTargetsDemo = "targets_demo.csv"

// DemoSourcePrefix starts the source of every invented (demo) target.
const DemoSourcePrefix = "DEMO:"

// Target scopes: what a target's code names.
const (
	TargetScopeSector = "sector" // a priority sector code, e.g. machine_building
	TargetScopeClause = "clause" // an economic-diplomacy clause of the Concept, e.g. 2.7
)

// Units of target values.
const (
	UnitUSD   = "USD"
	UnitCount = "count"
)

// Metric is what a target measures.
type Metric string

// The metrics a target can be set for; what counts towards each is defined by
// the scorecard's queries in analytics.
const (
	MetricInvestmentCommitted Metric = "investment_committed_usd" // capex of investment projects committed in the year, USD
	MetricInvestmentRealised  Metric = "investment_realised_usd"  // capex of investment projects whose implementation began in the year, USD
	MetricProjects            Metric = "projects"                 // investment projects committed in the year
	MetricJobs                Metric = "jobs"                     // jobs expected from the projects committed in the year
	MetricNonRawExports       Metric = "non_raw_exports_usd"      // value of non-raw export contracts signed in the year, USD
	MetricExportMarkets       Metric = "export_markets"           // countries buying Kazakh goods under contracts signed in the year
)

// Metrics lists every metric, in the order of the list above.
func Metrics() []Metric {
	return []Metric{MetricInvestmentCommitted, MetricInvestmentRealised, MetricProjects, MetricJobs, MetricNonRawExports, MetricExportMarkets}
}

// Valid reports whether m is one of Metrics.
func (m Metric) Valid() bool {
	switch m {
	case MetricInvestmentCommitted, MetricInvestmentRealised, MetricProjects, MetricJobs, MetricNonRawExports, MetricExportMarkets:
		return true
	}
	return false
}

// Unit is the unit of m's values: UnitUSD for the _usd metrics, UnitCount
// for the others (empty for an invalid metric).
func (m Metric) Unit() string {
	switch {
	case !m.Valid():
		return ""
	case strings.HasSuffix(string(m), "_usd"):
		return UnitUSD
	}
	return UnitCount
}

// Target is one line of a targets file.
type Target struct {
	Edition string // plan edition, e.g. "2024"
	Scope   string // TargetScopeSector or TargetScopeClause
	Code    string // sector code or clause id
	Metric  Metric
	Year    int
	Value   decimal.Decimal // non-negative; whole for count metrics
	Unit    string          // Metric.Unit()
	Source  string
	Line    int // line in the file, for messages that point back to it
}

// Demo reports whether t is an invented demo target (its source starts with DemoSourcePrefix).
func (t Target) Demo() bool { return strings.HasPrefix(t.Source, DemoSourcePrefix) }

var targetsHeader = []string{"edition", "scope", "code", "metric", "year", "value", "unit", "source"}

// Limits of editions and target years: the Concept runs from 2020 to 2030.
const (
	targetFirstYear = 2020
	targetLastYear  = 2030
)

// maxTargetErrors is how many errors a parse collects before it stops:
// enough to see a pattern (a wrong unit on every line), few enough to read.
const maxTargetErrors = 20

var reYear = regexp.MustCompile(`^[0-9]{4}$`)

// errStopTargets ends readCSV once maxTargetErrors are collected.
var errStopTargets = errors.New("too many errors")

// ParseTargets reads and validates a targets file (the format is at the top
// of this file); name is how errors call it, usually its path. It returns
// the targets in file order, or every error found (up to maxTargetErrors),
// each naming the file, line and field. Sector codes are checked against d,
// so a d carrying the administrators' mapping (WithMapping) checks them
// against the edited sectors.
func (d *Data) ParseTargets(name string, r io.Reader) ([]Target, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // byte-order mark written by spreadsheet programs
	first, _, _ := bytes.Cut(b, []byte("\n"))
	if bytes.Contains(first, []byte(";")) && !bytes.Contains(first, []byte(",")) {
		return nil, fmt.Errorf("%s line 1: the columns are separated by \";\": save the file as CSV with commas between the columns (%s)", name, strings.Join(targetsHeader, ","))
	}
	var out []Target
	var errs []error
	dup := map[string]int{} // target key -> first line
	err = readCSV(name, bytes.NewReader(b), targetsHeader, func(r row) error {
		t, rowErrs := d.targetRow(r, dup)
		errs = append(errs, rowErrs...)
		if len(rowErrs) == 0 {
			out = append(out, t)
		}
		if len(errs) >= maxTargetErrors {
			return errStopTargets
		}
		return nil
	})
	switch {
	case errors.Is(err, errStopTargets):
		errs = append(errs, fmt.Errorf("%s: stopped after %d errors: fix these and load the file again to see any others", name, len(errs)))
	case err != nil:
		errs = append(errs, err) // header, column count or CSV syntax: reading cannot go on
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no targets: after the header line %s write one line per target, e.g. 2024,sector,machine_building,jobs,2026,1200,count,Implementation plan 2024",
			name, strings.Join(targetsHeader, ","))
	}
	return out, nil
}

// targetRow checks every field of one line and returns all its errors.
func (d *Data) targetRow(r row, dup map[string]int) (Target, []error) {
	var errs []error
	fail := func(field, format string, args ...any) {
		errs = append(errs, r.errf(field, format, args...))
	}
	t := Target{Line: r.line}

	t.Edition = r.get("edition")
	if y, ok := yearIn(t.Edition); !ok {
		fail("edition", "%q is not a plan edition: write the 4-digit year the edition was adopted, %d to %d, e.g. 2024", t.Edition, targetFirstYear, targetLastYear)
		t.Edition = ""
	} else {
		t.Edition = strconv.Itoa(y)
	}

	t.Scope = r.get("scope")
	if t.Scope != TargetScopeSector && t.Scope != TargetScopeClause {
		fail("scope", "%q is not a scope: write %s or %s", t.Scope, TargetScopeSector, TargetScopeClause)
		t.Scope = ""
	}

	t.Code = r.get("code")
	codeOK := false
	switch {
	case t.Code == "":
		fail("code", "is empty: write a priority sector code for scope %s (e.g. machine_building) or a clause for scope %s (e.g. 2.7)", TargetScopeSector, TargetScopeClause)
	case t.Scope == TargetScopeSector:
		if _, ok := d.Sector(t.Code); ok {
			codeOK = true
		} else {
			hint := ""
			if _, isClause := d.Clause(t.Code); isClause {
				hint = fmt.Sprintf(" (%s is a clause: use scope %s)", t.Code, TargetScopeClause)
			}
			fail("code", "%q is not a priority sector code%s: write one of %s", t.Code, hint, strings.Join(d.sectorCodes(), ", "))
		}
	case t.Scope == TargetScopeClause:
		c, ok := d.Clause(t.Code)
		switch {
		case ok && c.Area == economicDiplomacy:
			codeOK = true
		case ok:
			fail("code", "%q is a clause of the %s area; targets are set for the economic-diplomacy clauses: write one of %s", t.Code, c.Area, strings.Join(d.targetClauses(), ", "))
		default:
			hint := ""
			if _, isSector := d.Sector(t.Code); isSector {
				hint = fmt.Sprintf(" (%s is a sector: use scope %s)", t.Code, TargetScopeSector)
			}
			fail("code", "%q is not an economic-diplomacy clause of the Concept%s: write one of %s", t.Code, hint, strings.Join(d.targetClauses(), ", "))
		}
	}
	if !codeOK {
		t.Code = ""
	}

	t.Metric = Metric(r.get("metric"))
	if !t.Metric.Valid() {
		names := make([]string, 0, 6)
		for _, m := range Metrics() {
			names = append(names, string(m))
		}
		fail("metric", "%q is not a metric: write one of %s", t.Metric, strings.Join(names, ", "))
		t.Metric = ""
	}

	yearText := r.get("year")
	if y, ok := yearIn(yearText); ok {
		t.Year = y
	} else {
		fail("year", "%q is not a year from %d to %d: write the 4-digit year the target is for, e.g. 2027", yearText, targetFirstYear, targetLastYear)
	}

	valueText := r.get("value")
	if valueText == "" {
		fail("value", "is empty: write the target in digits, e.g. 250000000 (USD) or 12 (count)")
	} else {
		var fe apperr.Fields
		v, ok := money.Parse(&fe, "value", valueText)
		switch {
		case !ok:
			fail("value", "%s", fe[0].Message)
		case t.Metric.Unit() == UnitCount && !v.IsInteger():
			fail("value", "%q is not a whole number: metric %s is a count, write e.g. %s", valueText, t.Metric, v.Floor())
		default:
			t.Value = v
		}
	}

	t.Unit = r.get("unit")
	if want := t.Metric.Unit(); want != "" && t.Unit != want {
		fail("unit", "%q is not the unit of metric %s: write %s", t.Unit, t.Metric, want)
	}

	if t.Source = r.get("source"); t.Source == "" {
		fail("source", "is empty: say where the target comes from, e.g. Implementation plan 2024, annex 2")
	}

	if t.Edition != "" && t.Scope != "" && t.Code != "" && t.Metric != "" && t.Year != 0 {
		key := fmt.Sprintf("edition %s, %s %s, %s, %d", t.Edition, t.Scope, t.Code, t.Metric, t.Year)
		if first, ok := dup[key]; ok {
			fail("year", "duplicate target (%s), first on line %d: keep one of the two lines", key, first)
		} else {
			dup[key] = r.line
		}
	}
	return t, errs
}

const economicDiplomacy = "economic_diplomacy"

// yearIn parses a 4-digit year within the Concept's years.
func yearIn(s string) (int, bool) {
	if !reYear.MatchString(s) {
		return 0, false
	}
	y, _ := strconv.Atoi(s)
	return y, y >= targetFirstYear && y <= targetLastYear
}

func (d *Data) sectorCodes() []string {
	out := make([]string, len(d.sectors))
	for i, s := range d.sectors {
		out[i] = s.Code
	}
	return out
}

// targetClauses lists the clauses a target can be set for, in file order.
func (d *Data) targetClauses() []string {
	var out []string
	for _, c := range d.clauses {
		if c.Area == economicDiplomacy {
			out = append(out, c.ID)
		}
	}
	return out
}

// DemoTargets returns the embedded demo targets file: invented targets of a
// 2024 edition (every priority sector, every economic-diplomacy clause,
// 2024-2030) and a few of a 2022 edition, each with a source starting with
// DemoSourcePrefix. They are not Government figures.
func DemoTargets() []byte {
	b, _ := embedded.ReadFile("data/" + fileTargetsDemo)
	return b
}

// WriteTargetsFile writes the demo targets to path, creating its folder,
// unless a file is there already (or overwrite is set): an administrator
// then has a file in the documented format to replace with the real targets.
func WriteTargetsFile(path string, overwrite bool) error {
	if _, err := os.Stat(path); err == nil && !overwrite {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write targets file %s: %w", path, err)
	}
	if err := os.WriteFile(path, DemoTargets(), 0o644); err != nil {
		return fmt.Errorf("write targets file %s: %w", path, err)
	}
	return nil
}

// LoadTargetsFile reads and validates the targets file at path (see ParseTargets).
func (d *Data) LoadTargetsFile(path string) ([]Target, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return d.ParseTargets(path, f)
}
