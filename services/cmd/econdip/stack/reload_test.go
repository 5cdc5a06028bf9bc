package stack_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
	"econdip/services/test/stacktest"
)

// An administrator edits the rates and targets files and reloads: the
// figures change at once. A malformed file is refused naming its line and
// field, and the figures keep what they had.
func TestReloadedRatesAndTargetsChangeTheFiguresAndBadFilesChangeNothing(t *testing.T) {
	dir := t.TempDir()
	s := stacktest.StartWith(t, stacktest.Options{Dir: dir})
	ctx := context.Background()
	lead := create(t, s, berlin, leadBody("Reload Test GmbH")) // 1,000,000 EUR, identified today

	pipelineUSD := func() decimal.Decimal {
		t.Helper()
		var rows []analytics.PipelineRow
		stacktest.Eventually(t, 5*time.Second, "the lead in the pipeline", func() (bool, error) {
			var err error
			rows, err = analytics.Pipeline(ctx, s.CH, analytics.PipelineFilter{Post: "de-berlin"})
			return err == nil && len(rows) == 1, err
		})
		return rows[0].CapexUSD
	}
	target := func() string {
		t.Helper()
		rows, err := analytics.Targets(ctx, s.CH, analytics.TargetFilter{Scope: "sector", Codes: []string{"mining"},
			Metrics: []string{"investment_committed_usd"}, Years: []int{2027}})
		if err != nil || len(rows) != 1 {
			t.Fatalf("mining 2027 target: %+v %v", rows, err)
		}
		return rows[0].Value.String()
	}
	// The demo rates of today, as the Go conversion of the demo store gives them.
	demo, err := reference.Default().DemoRates()
	if err != nil {
		t.Fatal(err)
	}
	today := kernel.Today(time.Now()).Time()
	want, err := demo.Convert(decimal.NewFromInt(1000000), "EUR", today, reference.DefaultRateLimits)
	if err != nil {
		t.Fatal(err)
	}
	if got := pipelineUSD(); !got.Equal(want.USD) {
		t.Fatalf("pipeline before the reload: %s USD, want %s", got, want.USD)
	}
	before := target()

	ratesFile := filepath.Join(dir, "reference", reference.RatesFile)
	targetsFile := filepath.Join(dir, "reference", reference.TargetsFile)
	rates, err := os.ReadFile(ratesFile)
	if err != nil {
		t.Fatalf("the first start did not write the rates file: %v", err)
	}
	targets, err := os.ReadFile(targetsFile)
	if err != nil {
		t.Fatalf("the first start did not write the targets file: %v", err)
	}

	// A bad line in each file: refused, naming line and field; nothing changes.
	badRates := append(append([]byte{}, rates...), []byte(lead.CreatedAt.Format(time.DateOnly)+",EUR,1,half,NBK\n")...)
	must(t, os.WriteFile(ratesFile, badRates, 0o644))
	_, err = s.LoadReferenceFiles(ctx)
	if err == nil || !strings.Contains(err.Error(), "currency EUR, field kzt") || !strings.Contains(err.Error(), "line ") {
		t.Fatalf("a rate that is not a number: %v", err)
	}
	must(t, os.WriteFile(ratesFile, rates, 0o644))
	badTargets := strings.Replace(string(targets), ",investment_committed_usd,2027,", ",investment_committed_usd,2027x,", 1)
	must(t, os.WriteFile(targetsFile, []byte(badTargets), 0o644))
	_, err = s.LoadReferenceFiles(ctx)
	if err == nil || !strings.Contains(err.Error(), "field year") {
		t.Fatalf("a target with a bad year: %v", err)
	}
	if got := pipelineUSD(); !got.Equal(want.USD) || target() != before {
		t.Fatalf("after refused files: pipeline %s USD, target %s (was %s)", got, target(), before)
	}

	must(t, os.WriteFile(targetsFile, targets, 0o644))
	// An import with a bad file is refused whole, naming the file, currency and field; nothing changes.
	day := today.Format(time.DateOnly)
	good := reference.RatesInput{Name: "eur.csv", Body: []byte("date,currency,quant,kzt\n" + day + ",EUR,1," + want.KZTPerUSD.Mul(decimal.NewFromInt(2)).String() + "\n")}
	bad := reference.RatesInput{Name: "bad.xml", Body: []byte("<rates><date>" + today.Format("02.01.2006") + "</date><item><title>RUB</title><description>6.3.7</description><quant>1</quant></item></rates>")}
	if _, err := s.ImportRates(ctx, []reference.RatesInput{good, bad}, nil); err == nil || !strings.Contains(err.Error(), "bad.xml, day "+today.Format("02.01.2006")+", item 1, currency RUB, field description") {
		t.Fatalf("an import with a bad file: %v", err)
	}
	if after, _ := os.ReadFile(ratesFile); string(after) != string(rates) {
		t.Fatal("a refused import changed the rates store")
	}
	// Good edits: EUR at twice the dollar's tenge rate from today (imported, and loaded at once); the mining 2027 target doubled.
	sum, err := s.ImportRates(ctx, []reference.RatesInput{good}, nil)
	if err != nil || sum.Rates != 1 {
		t.Fatalf("import: %+v %v", sum, err)
	}
	if got := pipelineUSD(); got.String() != "2000000" { // 1,000,000 × 2 × (KZT per USD) / (KZT per USD)
		t.Errorf("pipeline after the import: %s USD, want 2000000", got)
	}
	doubled := decimal.RequireFromString(before).Mul(decimal.NewFromInt(2)).String()
	edited := strings.Replace(string(targets), ",investment_committed_usd,2027,"+before+",", ",investment_committed_usd,2027,"+doubled+",", 1)
	if edited == string(targets) {
		t.Fatalf("no mining 2027 line with %s to edit", before)
	}
	must(t, os.WriteFile(targetsFile, []byte(edited), 0o644))
	load, err := s.LoadReferenceFiles(ctx)
	if err != nil || load.RatesLoaded || load.Targets == 0 {
		t.Fatalf("reload (the rates were loaded by the import): %+v %v", load, err)
	}
	if got := target(); got != doubled {
		t.Errorf("mining 2027 target after the reload: %s, want %s", got, doubled)
	}
	// The same files again: the rates are not loaded a second time.
	if load, err := s.LoadReferenceFiles(ctx); err != nil || load.RatesLoaded {
		t.Errorf("reload of unchanged rates: %+v %v", load, err)
	}
}
