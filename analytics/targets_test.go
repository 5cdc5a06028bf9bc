package analytics_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"econdip/analytics"
	"econdip/analytics/chtest"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
)

// targetsConn returns a migrated connection.
func targetsConn(t *testing.T) driver.Conn {
	t.Helper()
	conn := chtest.Conn(t)
	if err := analytics.Migrate(context.Background(), conn, obs.Discard()); err != nil {
		t.Fatal(err)
	}
	return conn
}

// loadTargetsFile does what a service does with the administrators' file:
// parse and validate it, and load it only when it passes.
func loadTargetsFile(ctx context.Context, conn driver.Conn, content string) (int, error) {
	targets, err := reference.Default().ParseTargets("targets.csv", strings.NewReader(content))
	if err != nil {
		return 0, err
	}
	return analytics.LoadTargets(ctx, conn, targets)
}

func readTargets(t *testing.T, conn driver.Conn, f analytics.TargetFilter) []analytics.TargetRow {
	t.Helper()
	rows, err := analytics.Targets(context.Background(), conn, f)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestTargetsLoadAndReadBack(t *testing.T) {
	conn := targetsConn(t)
	ctx := context.Background()
	parsed, err := reference.Default().ParseTargets("targets_demo.csv", bytes.NewReader(reference.DemoTargets()))
	if err != nil {
		t.Fatal(err)
	}
	n, err := analytics.LoadTargets(ctx, conn, parsed)
	if err != nil || n != len(parsed) {
		t.Fatalf("LoadTargets = %d, %v; want %d", n, err, len(parsed))
	}

	// One edition reads back exactly what the file says.
	byLine := map[uint32]reference.Target{}
	editions := map[string]uint64{}
	for _, p := range parsed {
		byLine[uint32(p.Line)] = p
		editions[p.Edition]++
	}
	for edition, want := range editions {
		got := readTargets(t, conn, analytics.TargetFilter{Edition: edition})
		if uint64(len(got)) != want {
			t.Fatalf("edition %s: %d rows, want %d", edition, len(got), want)
		}
		for _, g := range got {
			p, ok := byLine[g.Line]
			if !ok || g.Edition != p.Edition || g.Scope != p.Scope || g.Code != p.Code || g.Metric != string(p.Metric) ||
				int(g.Year) != p.Year || !g.Value.Equal(p.Value) || g.Unit != p.Unit || g.Source != p.Source || !g.Demo {
				t.Fatalf("row %+v differs from line %d of the file: %+v", g, g.Line, p)
			}
		}
	}

	// Editions, latest first; every demo target is marked demo.
	eds, err := analytics.TargetEditions(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if len(eds) != 2 || eds[0] != (analytics.TargetEdition{Edition: "2024", Targets: editions["2024"], Demo: editions["2024"]}) ||
		eds[1] != (analytics.TargetEdition{Edition: "2022", Targets: editions["2022"], Demo: editions["2022"]}) {
		t.Fatalf("editions = %+v, file has %v", eds, editions)
	}

	// The latest edition of each target: 2024 where it sets one, 2022 for
	// the years only 2022 covers.
	mb := readTargets(t, conn, analytics.TargetFilter{Scope: "sector", Codes: []string{"machine_building"}, Metrics: []string{"investment_committed_usd"}})
	var got []string
	for _, r := range mb {
		got = append(got, fmt.Sprintf("%d:%s:%s", r.Year, r.Edition, r.Value))
	}
	want := "2022:2022:480000000 2023:2022:530000000 2024:2024:420000000 2025:2024:460000000 2026:2024:500000000 " +
		"2027:2024:545000000 2028:2024:595000000 2029:2024:645000000 2030:2024:705000000"
	if strings.Join(got, " ") != want {
		t.Errorf("machine building committed, latest editions:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	keys := map[string]bool{}
	for _, p := range parsed {
		keys[fmt.Sprint(p.Scope, p.Code, p.Metric, p.Year)] = true
	}
	all := readTargets(t, conn, analytics.TargetFilter{})
	if len(all) != len(keys) {
		t.Errorf("latest edition: %d rows, want one per key (%d)", len(all), len(keys))
	}

	// Filters, and clauses in numeric order after the sectors.
	clauses := readTargets(t, conn, analytics.TargetFilter{Edition: "2024", Scope: "clause", Years: []int{2026}})
	var codes []string
	for _, r := range clauses {
		if r.Scope != "clause" || r.Year != 2026 || r.Edition != "2024" {
			t.Fatalf("filtered row %+v", r)
		}
		if len(codes) == 0 || codes[len(codes)-1] != r.Code {
			codes = append(codes, r.Code)
		}
	}
	if strings.Join(codes, " ") != "2.1 2.2 2.3 2.4 2.5 2.6 2.7 2.8 2.9 2.10 2.11 2.12 2.13 2.14" {
		t.Errorf("clause order: %v", codes)
	}
	if all[0].Scope != "sector" || all[len(all)-1].Scope != "clause" {
		t.Errorf("sectors must come before clauses: first %+v, last %+v", all[0], all[len(all)-1])
	}
	exports := readTargets(t, conn, analytics.TargetFilter{Codes: []string{"2.7"}, Metrics: []string{"export_markets"}, Years: []int{2024, 2030}})
	if len(exports) != 2 || exports[0].Value.String() != "10" || exports[0].Unit != "count" || exports[1].Value.String() != "16" {
		t.Errorf("2.7 export markets 2024, 2030 = %+v", exports)
	}
	if none := readTargets(t, conn, analytics.TargetFilter{Edition: "2026"}); len(none) != 0 {
		t.Errorf("edition 2026: %d rows", len(none))
	}
}

func TestTargetsReloadReplacesAndABadFileKeepsTheOld(t *testing.T) {
	conn := targetsConn(t)
	ctx := context.Background()
	const head = "edition,scope,code,metric,year,value,unit,source\n"
	first := head +
		"2024,sector,mining,jobs,2026,1200,count,Plan 2024\n" +
		"2024,sector,mining,jobs,2027,1300,count,Plan 2024\n" +
		"2024,clause,2.7,non_raw_exports_usd,2026,750000000.50,USD,Plan 2024\n"
	if n, err := loadTargetsFile(ctx, conn, first); err != nil || n != 3 {
		t.Fatalf("first load = %d, %v", n, err)
	}

	// The administrators revise a value, drop a line and add an edition.
	second := head +
		"2024,sector,mining,jobs,2026,1250,count,Plan 2024 as amended\n" +
		"2024,clause,2.7,non_raw_exports_usd,2026,750000000.50,USD,Plan 2024\n" +
		"2026,clause,2.7,non_raw_exports_usd,2026,800000000,USD,Plan 2026\n"
	if n, err := loadTargetsFile(ctx, conn, second); err != nil || n != 3 {
		t.Fatalf("second load = %d, %v", n, err)
	}
	wantSecond := []string{
		"2024 sector mining jobs 2026 1250 count Plan 2024 as amended",
		"2026 clause 2.7 non_raw_exports_usd 2026 800000000 USD Plan 2026",
	}
	checkTargets(t, conn, analytics.TargetFilter{}, wantSecond)
	checkTargets(t, conn, analytics.TargetFilter{Edition: "2024"}, []string{
		"2024 sector mining jobs 2026 1250 count Plan 2024 as amended",
		"2024 clause 2.7 non_raw_exports_usd 2026 750000000.5 USD Plan 2024",
	})

	// A file that fails validation is never loaded: the targets stay as they were.
	bad := second + "2024,sector,mining,jobs,2028,1.5,count,Plan 2024\n"
	_, err := loadTargetsFile(ctx, conn, bad)
	if err == nil || !strings.Contains(err.Error(), "targets.csv line 5, field value:") {
		t.Fatalf("bad file: %v", err)
	}
	if _, err := loadTargetsFile(ctx, conn, head); err == nil || !strings.Contains(err.Error(), "no targets") {
		t.Fatalf("file without targets: %v", err)
	}
	if _, err := analytics.LoadTargets(ctx, conn, nil); err == nil {
		t.Fatal("LoadTargets(nil) emptied the table")
	}
	checkTargets(t, conn, analytics.TargetFilter{}, wantSecond)
	eds, err := analytics.TargetEditions(ctx, conn)
	if err != nil || len(eds) != 2 || eds[0] != (analytics.TargetEdition{Edition: "2026", Targets: 1}) || eds[1].Targets != 2 || eds[1].Demo != 0 {
		t.Fatalf("editions = %+v, %v", eds, err)
	}
}

func checkTargets(t *testing.T, conn driver.Conn, f analytics.TargetFilter, want []string) {
	t.Helper()
	var got []string
	for _, r := range readTargets(t, conn, f) {
		got = append(got, fmt.Sprintf("%s %s %s %s %d %s %s %s", r.Edition, r.Scope, r.Code, r.Metric, r.Year, r.Value, r.Unit, r.Source))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("targets %+v:\n got %q\nwant %q", f, got, want)
	}
}
