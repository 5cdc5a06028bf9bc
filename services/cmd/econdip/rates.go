package main

// `econdip rates import FILE...`: the National Bank's official rates into
// the rates store (services/platform/reference/nbk.go).

import (
	"context"
	"errors"
	"fmt"
	"os"

	"econdip/services/cmd/econdip/stack"
	"econdip/services/platform/reference"
)

// ratesUsage is the rates command's part of `econdip help`.
const ratesUsage = `  rates import FILE...
             import the National Bank's daily rates XML (one day or many per
             file) or the rates CSV (date,currency,quant,kzt[,source]) into the
             rates store (ECONDIP_RATES_FILE): every file is checked first and
             one bad file refuses all, naming the file, the currency and the
             field; shows the files read and a summary (days, currencies,
             gaps). With ECONDIP_CLICKHOUSE_ADDR the store is then loaded into
             ClickHouse; a running 'econdip up' loads it on SIGHUP`

// runRates is `econdip rates import`.
func runRates(ctx context.Context, sys *stack.Stack, args []string) error {
	if len(args) < 1 || args[0] != "import" {
		return fmt.Errorf("usage: econdip rates import FILE...\n%s", ratesUsage)
	}
	names := args[1:]
	if len(names) == 0 {
		return errors.New("econdip rates import: name one or more files (the National Bank's XML or the rates CSV)")
	}
	var files []reference.RatesInput
	for _, n := range names {
		body, err := os.ReadFile(n)
		if err != nil {
			return fmt.Errorf("nothing imported: %w", err)
		}
		files = append(files, reference.RatesInput{Name: n, Body: body})
	}
	bar := progressBar("checking files", os.Stderr)
	sum, err := sys.ImportRates(ctx, files, func(done, total int, _ string) { bar(done, total) })
	if err != nil {
		return err
	}
	fmt.Printf("imported into %s:\n%s", sys.Cfg.RatesFile, sum)
	if sys.Cfg.CHAddr == "" {
		fmt.Println("not loaded into ClickHouse (ECONDIP_CLICKHOUSE_ADDR is not set): send SIGHUP to a running 'econdip up', or run 'econdip reload'")
		return nil
	}
	if err := sys.StartClickHouse(ctx, false); err != nil {
		return fmt.Errorf("the rates are imported into %s but not loaded: %w", sys.Cfg.RatesFile, err)
	}
	fmt.Println("loaded into ClickHouse: the figures use the new rates")
	return nil
}
