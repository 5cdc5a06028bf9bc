package reference

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

const targetsHead = "edition,scope,code,metric,year,value,unit,source\n"

// targetLine is a valid line with one field replaced (field index as in the header).
func targetLine(field int, value string) string {
	f := []string{"2024", "sector", "machine_building", "investment_committed_usd", "2026", "520000000", "USD", "Plan 2024 annex 2"}
	if field >= 0 {
		f[field] = value
	}
	return strings.Join(f, ",") + "\n"
}

func TestParseTargetsAcceptsAValidFile(t *testing.T) {
	in := "\xef\xbb\xbf" + strings.ReplaceAll(targetsHead+
		targetLine(-1, "")+
		"2022,clause,2.7,export_markets,2024,12,count,\"Plan 2022, annex 5\"\n"+
		"\n"+ // blank lines are skipped
		"2024, sector ,health_care,jobs,2030,1200.0,count,DEMO: invented\n"+
		"2024,clause,2.14,non_raw_exports_usd,2020,0,USD,x\n", "\n", "\r\n")
	got, err := Default().ParseTargets("targets.csv", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		edition, scope, code string
		metric               Metric
		year                 int
		value, unit, source  string
		line                 int
		demo                 bool
	}{
		{"2024", "sector", "machine_building", MetricInvestmentCommitted, 2026, "520000000", "USD", "Plan 2024 annex 2", 2, false},
		{"2022", "clause", "2.7", MetricExportMarkets, 2024, "12", "count", "Plan 2022, annex 5", 3, false},
		{"2024", "sector", "health_care", MetricJobs, 2030, "1200", "count", "DEMO: invented", 5, true},
		{"2024", "clause", "2.14", MetricNonRawExports, 2020, "0", "USD", "x", 6, false},
	}
	if len(got) != len(want) {
		t.Fatalf("%d targets, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Edition != w.edition || g.Scope != w.scope || g.Code != w.code || g.Metric != w.metric || g.Year != w.year ||
			!g.Value.Equal(decimalOf(t, w.value)) || g.Unit != w.unit || g.Source != w.source || g.Line != w.line || g.Demo() != w.demo {
			t.Errorf("target %d = %+v (demo %v), want %+v", i, g, g.Demo(), w)
		}
	}
}

func TestParseTargetsRefusesEachBrokenRule(t *testing.T) {
	const (
		fEdition = iota
		fScope
		fCode
		fMetric
		fYear
		fValue
		fUnit
		fSource
	)
	tests := []struct {
		name, in, want string
	}{
		{"edition not a year", targetLine(fEdition, "24"),
			`targets.csv line 2, field edition: "24" is not a plan edition: write the 4-digit year the edition was adopted, 2020 to 2030, e.g. 2024`},
		{"edition too early", targetLine(fEdition, "2019"), `field edition: "2019" is not a plan edition`},
		{"edition too late", targetLine(fEdition, "2031"), `field edition: "2031" is not a plan edition`},
		{"edition empty", targetLine(fEdition, ""), `field edition: "" is not a plan edition`},
		{"scope", targetLine(fScope, "sectors"), `line 2, field scope: "sectors" is not a scope: write sector or clause`},
		{"code empty", targetLine(fCode, ""), `line 2, field code: is empty: write a priority sector code`},
		{"unknown sector", targetLine(fCode, "machines"),
			`line 2, field code: "machines" is not a priority sector code: write one of machine_building, agro_industrial, `},
		{"clause under scope sector", targetLine(fCode, "2.7"),
			`field code: "2.7" is not a priority sector code (2.7 is a clause: use scope clause)`},
		{"sector under scope clause", targetLine(fScope, "clause"),
			`field code: "machine_building" is not an economic-diplomacy clause of the Concept (machine_building is a sector: use scope sector): write one of 2.1, 2.2, 2.3, 2.4, 2.5, 2.6, 2.7, 2.8, 2.9, 2.10, 2.11, 2.12, 2.13, 2.14`},
		{"clause of another area", "2024,clause,1.3,projects,2026,3,count,x\n",
			`field code: "1.3" is a clause of the security area; targets are set for the economic-diplomacy clauses: write one of 2.1,`},
		{"unknown clause", "2024,clause,2.15,projects,2026,3,count,x\n", `field code: "2.15" is not an economic-diplomacy clause`},
		{"metric", targetLine(fMetric, "fdi"),
			`field metric: "fdi" is not a metric: write one of investment_committed_usd, investment_realised_usd, projects, jobs, non_raw_exports_usd, export_markets`},
		{"year too early", targetLine(fYear, "2019"), `field year: "2019" is not a year from 2020 to 2030`},
		{"year too late", targetLine(fYear, "2031"), `field year: "2031" is not a year from 2020 to 2030`},
		{"year short", targetLine(fYear, "26"), `field year: "26" is not a year`},
		{"year decimal", targetLine(fYear, "2026.0"), `field year: "2026.0" is not a year`},
		{"value empty", targetLine(fValue, ""), `field value: is empty: write the target in digits`},
		{"value negative", targetLine(fValue, "-5"), `field value: must not be negative`},
		{"value decimal comma", targetLine(fValue, `"12,5"`), `field value: "12,5" uses a decimal comma: write the amount with a point`},
		{"value exponent", targetLine(fValue, "5e8"), `field value: "5e8" is in exponent notation`},
		{"value text", targetLine(fValue, "lots"), `field value: "lots" is not a number`},
		{"value too precise", targetLine(fValue, "1.12345"), `field value: at most 4 decimal places`},
		{"value too large", targetLine(fValue, "10000000000001"), `field value: too large`},
		{"count not whole", "2024,sector,mining,jobs,2026,12.5,count,x\n",
			`field value: "12.5" is not a whole number: metric jobs is a count, write e.g. 12`},
		{"unit of a USD metric", targetLine(fUnit, "usd"),
			`field unit: "usd" is not the unit of metric investment_committed_usd: write USD`},
		{"unit of a count metric", "2024,sector,mining,projects,2026,3,USD,x\n",
			`field unit: "USD" is not the unit of metric projects: write count`},
		{"unit empty", targetLine(fUnit, ""), `field unit: "" is not the unit of metric investment_committed_usd: write USD`},
		{"source empty", targetLine(fSource, ""), `line 2, field source: is empty: say where the target comes from`},
		{"duplicate", targetLine(-1, "") + targetLine(fMetric, "jobs") + targetLine(fSource, "other source"),
			`targets.csv line 4, field year: duplicate target (edition 2024, sector machine_building, investment_committed_usd, 2026), first on line 2: keep one of the two lines`},
	}
	d := Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.ParseTargets("targets.csv", strings.NewReader(targetsHead+tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v\nwant it to contain %s", err, tt.want)
			}
			if got != nil {
				t.Errorf("returned %d targets with the error", len(got))
			}
		})
	}
}

func TestParseTargetsRefusesBrokenFiles(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "targets.csv: empty file"},
		{"header only", targetsHead, "targets.csv: no targets: after the header line edition,scope,code,metric,year,value,unit,source write one line per target"},
		{"wrong header", "edition,scope,code,metric,year,value,unit\n", `targets.csv line 1: header is`},
		{"semicolons", strings.ReplaceAll(targetsHead+targetLine(-1, ""), ",", ";"),
			`targets.csv line 1: the columns are separated by ";": save the file as CSV with commas`},
		{"missing field", targetsHead + "2024,sector,mining,jobs,2026,12,count\n", `targets.csv line 2: 7 fields, want 8`},
		{"bad quote", targetsHead + "2024,sector,mining,jobs,2026,12,count,\"x\n", `targets.csv line 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Default().ParseTargets("targets.csv", strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v\nwant it to contain %s", err, tt.want)
			}
		})
	}
}

func TestParseTargetsReportsEveryErrorOfAFile(t *testing.T) {
	in := targetsHead +
		targetLine(4, "2019") + // line 2
		targetLine(-1, "") + // line 3: fine
		"2024,sector,mining,jobs,2026,1.5,USD,\n" + // line 4: value, unit and source
		"2024,sector,mining,jobs\n" // line 5: ends the reading
	_, err := Default().ParseTargets("targets.csv", strings.NewReader(in))
	if err == nil {
		t.Fatal("accepted")
	}
	want := []string{
		`targets.csv line 2, field year: "2019" is not a year`,
		`targets.csv line 4, field value: "1.5" is not a whole number`,
		`targets.csv line 4, field unit: "USD" is not the unit of metric jobs: write count`,
		`targets.csv line 4, field source: is empty`,
		`targets.csv line 5: 4 fields, want 8`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d errors, want %d:\n%v", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("error %d = %s\nwant it to start with %s", i, lines[i], w)
		}
	}

	// Past the cap the parse stops and says so.
	var b strings.Builder
	b.WriteString(targetsHead)
	for range 50 {
		b.WriteString(targetLine(3, "fdi"))
	}
	_, err = Default().ParseTargets("targets.csv", strings.NewReader(b.String()))
	lines = strings.Split(fmt.Sprint(err), "\n")
	if len(lines) != maxTargetErrors+1 || !strings.Contains(lines[maxTargetErrors], "stopped after 20 errors: fix these and load the file again") {
		t.Fatalf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

func TestParseTargetsChecksSectorsOfTheMapping(t *testing.T) {
	// An administrator's mapping without tourism: tourism targets are refused.
	sectors, raw := DefaultMapping()
	var kept []string
	for line := range strings.Lines(string(sectors)) {
		if !strings.HasPrefix(line, "tourism,") {
			kept = append(kept, line)
		}
	}
	m, err := Default().WithMapping(strings.NewReader(strings.Join(kept, "")), bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	in := targetsHead + targetLine(2, "tourism")
	if _, err := Default().ParseTargets("t.csv", strings.NewReader(in)); err != nil {
		t.Fatalf("default sectors: %v", err)
	}
	if _, err := m.ParseTargets("t.csv", strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), `"tourism" is not a priority sector code`) {
		t.Fatalf("edited sectors: %v", err)
	}
}

func TestMetricUnits(t *testing.T) {
	want := map[Metric]string{
		MetricInvestmentCommitted: UnitUSD, MetricInvestmentRealised: UnitUSD, MetricNonRawExports: UnitUSD,
		MetricProjects: UnitCount, MetricJobs: UnitCount, MetricExportMarkets: UnitCount,
	}
	if len(Metrics()) != len(want) {
		t.Fatalf("Metrics() = %v", Metrics())
	}
	for _, m := range Metrics() {
		if !m.Valid() || m.Unit() != want[m] {
			t.Errorf("%s: valid %v unit %q, want %q", m, m.Valid(), m.Unit(), want[m])
		}
	}
	if Metric("fdi").Valid() || Metric("fdi").Unit() != "" {
		t.Error("an unknown metric is valid or has a unit")
	}
}

func TestDemoTargets(t *testing.T) {
	d := Default()
	targets, err := d.ParseTargets(fileTargetsDemo, bytes.NewReader(DemoTargets()))
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		edition, scope, code string
		metric               Metric
		year                 int
	}
	have := map[key]Target{}
	editions := map[string]int{}
	clauses := map[string]bool{}
	for _, tg := range targets {
		if !tg.Demo() {
			t.Errorf("line %d: source %q does not start with DEMO:", tg.Line, tg.Source)
		}
		have[key{tg.Edition, tg.Scope, tg.Code, tg.Metric, tg.Year}] = tg
		editions[tg.Edition]++
		if tg.Scope == TargetScopeClause && tg.Edition == "2024" {
			clauses[tg.Code] = true
		}
	}
	if editions["2024"] == 0 || editions["2022"] == 0 || len(editions) != 2 {
		t.Errorf("editions = %v, want 2024 and a few rows of 2022", editions)
	}
	for _, s := range d.Sectors() {
		for _, m := range []Metric{MetricInvestmentCommitted, MetricInvestmentRealised, MetricProjects, MetricJobs} {
			prev := decimalOf(t, "0")
			for y := 2024; y <= 2030; y++ {
				tg, ok := have[key{"2024", TargetScopeSector, s.Code, m, y}]
				if !ok {
					t.Errorf("no 2024 target for %s %s %d", s.Code, m, y)
					continue
				}
				if !tg.Value.IsPositive() || tg.Value.LessThan(prev) {
					t.Errorf("%s %s %d = %s after %s: want positive and not falling", s.Code, m, y, tg.Value, prev)
				}
				prev = tg.Value
			}
		}
		committed := have[key{"2024", TargetScopeSector, s.Code, MetricInvestmentCommitted, 2026}].Value
		if committed.LessThan(decimalOf(t, "50000000")) || committed.GreaterThan(decimalOf(t, "1000000000")) {
			t.Errorf("%s committed 2026 = %s: want tens to hundreds of millions", s.Code, committed)
		}
	}
	for _, c := range d.targetClauses() {
		if !clauses[c] {
			t.Errorf("no 2024 target for clause %s", c)
		}
	}
	for _, m := range []Metric{MetricNonRawExports, MetricExportMarkets} {
		for y := 2024; y <= 2030; y++ {
			if _, ok := have[key{"2024", TargetScopeClause, "2.7", m, y}]; !ok {
				t.Errorf("no 2024 target for clause 2.7 %s %d", m, y)
			}
		}
	}
	if _, ok := have[key{"2024", TargetScopeSector, "non_ferrous_metallurgy", MetricNonRawExports, 2030}]; !ok {
		t.Error("no non-raw export target for non-ferrous metallurgy")
	}
	if len(d.targetClauses()) != 14 || !slices.Contains(d.targetClauses(), "2.14") {
		t.Errorf("economic-diplomacy clauses = %v", d.targetClauses())
	}
}

func TestWriteTargetsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin", TargetsFile)
	if err := WriteTargetsFile(path, false); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, DemoTargets()) {
		t.Fatal("written file differs from the demo targets")
	}
	// An administrator's file is kept unless overwrite is asked for.
	edited := targetsHead + targetLine(-1, "")
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteTargetsFile(path, false); err != nil {
		t.Fatal(err)
	}
	got, err := Default().LoadTargetsFile(path)
	if err != nil || len(got) != 1 {
		t.Fatalf("kept file: %d targets, %v", len(got), err)
	}
	if err := WriteTargetsFile(path, true); err != nil {
		t.Fatal(err)
	}
	if got, err = Default().LoadTargetsFile(path); err != nil || len(got) < 500 {
		t.Fatalf("overwritten file: %d targets, %v", len(got), err)
	}
	// Errors name the file by its path.
	if err := os.WriteFile(path, []byte(targetsHead+targetLine(4, "1999")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Default().LoadTargetsFile(path); err == nil || !strings.HasPrefix(err.Error(), path+" line 2, field year:") {
		t.Fatalf("error = %v", err)
	}
}

func FuzzParseTargets(f *testing.F) {
	d := Default()
	f.Add([]byte(strings.ReplaceAll(targetsHead+targetLine(-1, ""), ",", ";")))
	f.Add([]byte(targetsHead + targetLine(5, "12.5")))
	fuzzParser(f, fileTargetsDemo, func(r io.Reader) error {
		targets, err := d.ParseTargets("targets.csv", r)
		if err == nil && len(targets) == 0 {
			panic("accepted a file without targets")
		}
		seen := map[string]bool{}
		for _, tg := range targets {
			k := fmt.Sprint(tg.Edition, tg.Scope, tg.Code, tg.Metric, tg.Year)
			switch {
			case err != nil:
				panic("returned targets with an error")
			case !tg.Metric.Valid() || tg.Unit != tg.Metric.Unit():
				panic("accepted metric " + string(tg.Metric) + " in unit " + tg.Unit)
			case tg.Value.IsNegative() || (tg.Unit == UnitCount && !tg.Value.IsInteger()):
				panic("accepted value " + tg.Value.String() + " for " + string(tg.Metric))
			case tg.Year < 2020 || tg.Year > 2030 || tg.Source == "" || tg.Code == "":
				panic(fmt.Sprintf("accepted %+v", tg))
			case seen[k]:
				panic("accepted a duplicate " + k)
			}
			seen[k] = true
		}
		return err
	})
}

func decimalOf(t testing.TB, s string) decimal.Decimal {
	t.Helper()
	v, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
