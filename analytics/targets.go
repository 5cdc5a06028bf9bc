package analytics

// The targets of the Concept scorecard, as administrators keep them in their
// targets file (format and validation: reference.ParseTargets).
//
// The table is replaced whole at each load (see replaceTable), so readers see
// the old targets or the new ones, never a mix. Validation comes first: a
// caller parses the file, and only a file that passes is loaded; a file with
// errors leaves the loaded targets as they were.
//
// Editions. The Government revises its implementation plan every two years,
// and a file may hold several editions (the 4-digit year each was adopted).
// Read without an edition, the targets are "the latest edition": for each
// (scope, code, metric, year), the row of the highest edition that has one.
// So the years a newer edition does not restate (typically the years before
// it was adopted) keep the target of the edition that set them; every row
// says which edition it comes from. Editions are compared as strings, which
// for 4-digit years is their order in time.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"econdip/services/platform/reference"
)

// TargetRow is one target in the targets table.
type TargetRow struct {
	Edition string          `json:"edition"`
	Scope   string          `json:"scope"` // sector or clause
	Code    string          `json:"code"`  // sector code or clause id
	Metric  string          `json:"metric"`
	Year    uint16          `json:"year"`
	Value   decimal.Decimal `json:"value"`
	Unit    string          `json:"unit"` // USD or count
	Source  string          `json:"source"`
	Demo    bool            `json:"demo"` // an invented demo target: its source starts with reference.DemoSourcePrefix
	Line    uint32          `json:"line"` // line in the file it was loaded from
}

// TargetFilter narrows Targets; the zero value reads every target of the latest edition.
type TargetFilter struct {
	Edition string   // one edition, e.g. "2024"; empty: the latest edition of each target (see the top of this file)
	Scope   string   // sector or clause; empty: both
	Codes   []string // sector codes or clause ids; empty: every code
	Metrics []string // empty: every metric
	Years   []int    // empty: every year
}

// TargetEdition is one edition in the targets table.
type TargetEdition struct {
	Edition string `json:"edition"`
	Targets uint64 `json:"targets"`
	Demo    uint64 `json:"demo"` // how many of them are demo targets
}

const targetColumns = "edition, scope, code, metric, year, value, unit, source, line"

// LoadTargets replaces the targets table with targets, as returned by
// reference.ParseTargets, and returns how many were loaded. An empty list is
// refused: a file without targets is an error, never a reason to empty the
// scorecard.
func LoadTargets(ctx context.Context, conn driver.Conn, targets []reference.Target) (int, error) {
	if len(targets) == 0 {
		return 0, fmt.Errorf("targets: no targets to load; the targets table is left as it was")
	}
	for _, t := range targets {
		if t.Year < 0 || t.Year > 65535 || t.Line < 0 {
			return 0, fmt.Errorf("targets: line %d: year %d or line out of range; parse the file with reference.ParseTargets", t.Line, t.Year)
		}
	}
	err := replaceTable(ctx, conn, "targets", targetColumns, targets, func(t reference.Target) []any {
		return []any{t.Edition, t.Scope, t.Code, string(t.Metric), uint16(t.Year), t.Value, t.Unit, t.Source, uint32(t.Line)}
	})
	if err != nil {
		return 0, fmt.Errorf("targets: %w", err)
	}
	return len(targets), nil
}

// Targets reads the targets that f selects, sectors before clauses, then by
// code (clauses in numeric order: 2.2 before 2.10), metric (in the order of
// reference.Metrics) and year.
func Targets(ctx context.Context, conn driver.Conn, f TargetFilter) ([]TargetRow, error) {
	var where []string
	var args []any
	if f.Scope != "" {
		where = append(where, "scope = ?")
		args = append(args, f.Scope)
	}
	for _, in := range []struct {
		column string
		values []string
	}{{"code", f.Codes}, {"metric", f.Metrics}} {
		if len(in.values) == 0 {
			continue
		}
		marks := make([]string, len(in.values))
		for i, v := range in.values {
			marks[i] = "?"
			args = append(args, v)
		}
		where = append(where, in.column+" IN ("+strings.Join(marks, ", ")+")")
	}
	if len(f.Years) > 0 {
		years := make([]string, 0, len(f.Years))
		for _, y := range f.Years {
			years = append(years, strconv.Itoa(y))
		}
		where = append(where, "year IN ("+strings.Join(years, ", ")+")")
	}
	if f.Edition != "" {
		where = append(where, "edition = ?")
		args = append(args, f.Edition)
	}
	cond := ""
	if len(where) > 0 {
		cond = "WHERE " + strings.Join(where, " AND ")
	}
	q := `SELECT edition, scope, code, metric, year, value, unit, source, line
		FROM targets ` + cond
	if f.Edition == "" {
		// The other filters are on the key, so they select whole keys and
		// leave each key's latest edition as it is. (scope, code, metric,
		// year, edition) is unique in a loaded file, so the argMax of each
		// column comes from the same row.
		q = `SELECT max(edition) AS latest, scope, code, metric, year,
				argMax(value, edition), argMax(unit, edition), argMax(source, edition), argMax(line, edition)
			FROM targets ` + cond + `
			GROUP BY scope, code, metric, year`
	}
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("targets query: %w", err)
	}
	defer rows.Close()
	var out []TargetRow
	for rows.Next() {
		var r TargetRow
		if err := rows.Scan(&r.Edition, &r.Scope, &r.Code, &r.Metric, &r.Year, &r.Value, &r.Unit, &r.Source, &r.Line); err != nil {
			return nil, fmt.Errorf("targets row: %w", err)
		}
		r.Demo = strings.HasPrefix(r.Source, reference.DemoSourcePrefix)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("targets rows: %w", err)
	}
	slices.SortFunc(out, compareTargets)
	return out, nil
}

// TargetEditions lists the editions in the targets table, the latest first.
func TargetEditions(ctx context.Context, conn driver.Conn) ([]TargetEdition, error) {
	rows, err := conn.Query(ctx, `SELECT edition, count(), countIf(startsWith(source, ?))
		FROM targets GROUP BY edition ORDER BY edition DESC`, reference.DemoSourcePrefix)
	if err != nil {
		return nil, fmt.Errorf("target editions query: %w", err)
	}
	defer rows.Close()
	var out []TargetEdition
	for rows.Next() {
		var e TargetEdition
		if err := rows.Scan(&e.Edition, &e.Targets, &e.Demo); err != nil {
			return nil, fmt.Errorf("target editions row: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// compareTargets orders sectors before clauses, then by code, metric and year.
func compareTargets(a, b TargetRow) int {
	scopeRank := func(s string) int {
		if s == reference.TargetScopeSector {
			return 0
		}
		return 1
	}
	metricRank := func(m string) int {
		if i := slices.Index(reference.Metrics(), reference.Metric(m)); i >= 0 {
			return i
		}
		return len(reference.Metrics())
	}
	if c := scopeRank(a.Scope) - scopeRank(b.Scope); c != 0 {
		return c
	}
	if c := compareTargetCodes(a.Code, b.Code); c != 0 {
		return c
	}
	if c := metricRank(a.Metric) - metricRank(b.Metric); c != 0 {
		return c
	}
	if c := int(a.Year) - int(b.Year); c != 0 {
		return c
	}
	return strings.Compare(a.Edition, b.Edition)
}

// compareTargetCodes compares clause ids part by part as numbers (2.2 before
// 2.10) and anything else as text.
func compareTargetCodes(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, errX := strconv.Atoi(pa[i])
		y, errY := strconv.Atoi(pb[i])
		if errX != nil || errY != nil {
			return strings.Compare(a, b)
		}
		if x != y {
			return x - y
		}
	}
	if len(pa) != len(pb) {
		return len(pa) - len(pb)
	}
	return strings.Compare(a, b)
}
