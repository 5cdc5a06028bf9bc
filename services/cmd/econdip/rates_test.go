package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"econdip/services/cmd/econdip/stack"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
)

// `econdip rates import` without ClickHouse: the files go into the store
// (all or nothing) and the command says how to load them.
func TestRatesImportCommand(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, reference.RatesFile)
	ref := reference.Default()
	sys := stack.New(stack.Config{DataDir: dir, RatesFile: store}, obs.Discard(), ref)
	good := filepath.Join(dir, "03.11.2026.xml")
	bad := filepath.Join(dir, "bad.csv")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(good, []byte(`<rates><date>03.11.2026</date>
<item><title>USD</title><description>512.37</description><quant>1</quant></item>
<item><title>UZS</title><description>4,21</description><quant>100</quant></item></rates>`), 0o644))
	must(os.WriteFile(bad, []byte("date,currency,quant,kzt\n2026-11-04,RUB,1,-6\n"), 0o644))
	ctx := context.Background()
	if err := runRates(ctx, sys, []string{"import"}); err == nil {
		t.Error("no file: accepted")
	}
	err := runRates(ctx, sys, []string{"import", good, bad})
	if err == nil || !strings.Contains(err.Error(), "bad.csv line 2, currency RUB, field kzt") {
		t.Fatalf("a bad file: %v", err)
	}
	if _, err := os.Stat(store); err == nil {
		t.Fatal("a refused import wrote the store")
	}
	must(runRates(ctx, sys, []string{"import", good}))
	rs, err := ref.LoadRatesFile(store)
	if err != nil || rs.Lines() != 2 {
		t.Fatalf("the store after the import: %v", err)
	}
}
