package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"econdip/analytics"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/platform/apperr"
	"econdip/services/platform/i18n"
	"econdip/services/tradestats"
)

const tradeUsage = `  trade import [--by NAME] [--label TEXT] FILE...
             import BNS export statistics (CSV by HS chapter and month, with
             an optional partner_country column; README "Realised trade
             statistics") into ClickHouse: every file is checked first, and
             one wrong line refuses them all, naming file, line and column;
             a month (and partner) imported again replaces the earlier import
  trade list [--all]
             the imported months: file, SHA-256, who loaded them and when
             (--all: every import, the replaced ones too)`

// runTrade is `econdip trade import|list`.
func runTrade(ctx context.Context, sys *stack.Stack, args []string) error {
	if len(args) == 0 || (args[0] != "import" && args[0] != "list") {
		return fmt.Errorf("usage: econdip trade import|list ...\n%s", tradeUsage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("econdip trade "+sub, flag.ContinueOnError)
	by := fs.String("by", "", "import: who loads the files (default: the operating-system user)")
	label := fs.String("label", "", "import: the edition's label, e.g. \"BNS express information 2026-08-14\" (default: the file's name)")
	all := fs.Bool("all", false, "list: every import, the replaced ones too")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if sub == "import" && fs.NArg() == 0 {
		return fmt.Errorf("usage: econdip trade import [--by NAME] [--label TEXT] FILE...")
	}
	var files []*tradestats.File
	if sub == "import" {
		var err error
		if files, err = readTradeFiles(fs.Args(), sys.Ref, os.Stderr); err != nil {
			return err
		}
	}
	if err := sys.StartClickHouse(ctx, false); err != nil {
		return err
	}
	if sub == "list" {
		eds, err := analytics.TradeEditions(ctx, sys.CH, !*all)
		if err != nil {
			return err
		}
		printEditions(os.Stdout, eds)
		return nil
	}
	who := *by
	if who == "" {
		who = "operator"
		if u, err := user.Current(); err == nil {
			who = "os:" + u.Username
		}
	}
	done, err := analytics.ImportTrade(ctx, sys.CH, files, analytics.TradeImportOptions{LoadedBy: who, Label: *label,
		Progress: progressBar("writing", os.Stderr)})
	if err != nil {
		return err
	}
	printImported(os.Stdout, done)
	return nil
}

// readTradeFiles reads and checks every file before anything is written,
// printing each wrong line; one wrong file refuses all.
func readTradeFiles(paths []string, known tradestats.Known, w io.Writer) ([]*tradestats.File, error) {
	var files []*tradestats.File
	bad := 0
	report := progressBar("checking", os.Stderr)
	for i, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		f, err := tradestats.Parse(filepath.Base(p), data, known)
		if err != nil {
			bad++
			printFieldErrors(w, p, err)
		} else {
			files = append(files, f)
		}
		report(i+1, len(paths))
	}
	if bad == 0 {
		if err := tradestats.Check(files); err != nil {
			printFieldErrors(w, "", err)
			bad++
		}
	}
	if bad > 0 {
		return nil, fmt.Errorf("%d of %d files refused: nothing was imported; correct them and import again", bad, len(paths))
	}
	return files, nil
}

// printFieldErrors writes an import error, one wrong field a line.
func printFieldErrors(w io.Writer, file string, err error) {
	prefix := ""
	if file != "" {
		prefix = file + ": "
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) || len(ae.Fields) == 0 {
		fmt.Fprintf(w, "%s%v\n", prefix, err)
		return
	}
	for _, fe := range ae.Fields {
		fmt.Fprintf(w, "%s%s: %s\n", prefix, fe.Field, fe.Localized(i18n.EN))
	}
}

func scopeName(partner string) string {
	if partner == tradestats.World {
		return "all partners"
	}
	return partner
}

func printImported(w io.Writer, done []analytics.TradeImported) {
	chapters, replaced := 0, 0
	for _, d := range done {
		e := d.Edition
		line := fmt.Sprintf("%s  %-12s  %3d chapters  %s thousand USD", e.MonthLabel(), scopeName(e.Partner), e.Chapters, e.SumThousandUSD.StringFixed(5))
		if e.HasTotal {
			line += fmt.Sprintf(" (TOTAL line %s)", e.TotalThousand.StringFixed(5))
		}
		if d.Replaced != nil {
			replaced++
			line += fmt.Sprintf("; replaces %s loaded by %s on %s", d.Replaced.FileName, d.Replaced.LoadedBy, d.Replaced.LoadedAt.Format("2006-01-02 15:04 UTC"))
		}
		fmt.Fprintf(w, "%s: %s\n", d.File, line)
		chapters += int(e.Chapters)
	}
	fmt.Fprintf(w, "imported %d months (by partner) with %d chapter lines; %d replaced an earlier import, %d new\n",
		len(done), chapters, replaced, len(done)-replaced)
}

func printEditions(w io.Writer, eds []analytics.TradeEdition) {
	if len(eds) == 0 {
		fmt.Fprintln(w, "no BNS statistics imported")
		return
	}
	fmt.Fprintln(w, strings.Join([]string{"month", "partner", "chapters", "sum_thousand_usd", "file", "sha256", "label", "loaded_by", "loaded_at"}, "\t"))
	for _, e := range eds {
		fmt.Fprintln(w, strings.Join([]string{e.MonthLabel(), scopeName(e.Partner), fmt.Sprint(e.Chapters), e.SumThousandUSD.StringFixed(5),
			e.FileName, e.FileSHA256[:min(12, len(e.FileSHA256))], e.Label, e.LoadedBy, e.LoadedAt.Format("2006-01-02T15:04:05Z")}, "\t"))
	}
}

// loadDemoTrade imports the BNS file of July 2026 (real statistics,
// services/tradestats/data/PROVENANCE.md) into the demo, as an import by
// "demo", so the analysts' "Realised trade" page has a month to compare.
func loadDemoTrade(ctx context.Context, sys *stack.Stack) error {
	f, err := tradestats.Parse(tradestats.DemoFileName, tradestats.DemoFile, sys.Ref)
	if err != nil {
		return fmt.Errorf("the demo's BNS file: %w", err)
	}
	done, err := analytics.ImportTrade(ctx, sys.CH, []*tradestats.File{f}, analytics.TradeImportOptions{LoadedBy: "demo"})
	if err != nil {
		return err
	}
	sys.Log.Info("demo data: BNS export statistics imported", "file", f.Name, "months", len(done))
	return nil
}
