package app_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"econdip/services/exports/app"
	"econdip/services/exports/dealcsv"
	"econdip/services/exports/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
)

const importHeader = "exporter_bin,buyer_country,buyer_name,hs_code,product,value,currency,quantity,unit,support,clauses,stage,contract_date,lost_reason\n"

func parse(t *testing.T, file string) []dealcsv.Line {
	t.Helper()
	lines, _, err := dealcsv.Parse([]byte(file))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return lines
}

func fieldKeys(err error) []string {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return nil
	}
	var out []string
	for _, f := range ae.Fields {
		out = append(out, f.Field+" "+f.Key)
	}
	return out
}

// TestImportRowRules: each rule of the deal form, met in a row of a file,
// is named by the row (as a spreadsheet numbers it) and the file's column.
func TestImportRowRules(t *testing.T) {
	svc := start(t)
	good := bin + ",DE,Hamburg Metall AG,760110,ingots,2450000,EUR,1200,t,b2b_meeting,2.7,,,"
	row := func(change func(c []string)) string {
		c := strings.Split(good, ",")
		change(c)
		return strings.Join(c, ",")
	}
	set := func(i int, v string) func([]string) { return func(c []string) { c[i] = v } }
	tests := []struct {
		name string
		row  string
		want []string
	}{
		{"BIN check digit", row(set(0, "990340004593")), []string{"rows[3].exporter_bin error.bin_check_digit"}},
		{"exporter not registered", row(set(0, "081240005679")), []string{"rows[3].exporter_bin error.exporter_not_registered"}},
		{"buyer outside the post's country", row(set(1, "FR")), []string{"rows[3].buyer_country error.buyer_not_host"}},
		{"unknown country", row(set(1, "XX")), []string{"rows[3].buyer_country error.unknown_country"}},
		{"HS code of 4 digits", row(set(3, "7601")), []string{"rows[3].hs_code error.hs_format"}},
		{"HS chapter 99", row(set(3, "999999")), []string{"rows[3].hs_code error.hs_unknown"}},
		{"no value", row(set(5, "")), []string{"rows[3].value error.required"}},
		{"negative value", row(set(5, "-5")), []string{"rows[3].value error.negative"}},
		{"precious metal currency", row(set(6, "XAU")), []string{"rows[3].currency error.currency_not_money"}},
		{"quantity without a unit", row(set(8, "")), []string{"rows[3].unit error.one_of"}},
		{"unknown support", row(set(9, "lunch")), []string{"rows[3].support error.one_of"}},
		{"unknown clause", row(set(10, "9.9")), []string{"rows[3].clauses error.unknown_clause"}},
		{"unknown stage", row(set(11, "signed")), []string{"rows[3].stage error.unknown_stage"}},
		{"contracted without a date", row(set(11, "contracted")), []string{"rows[3].contract_date error.required"}},
		{"contract date in the future", row(func(c []string) { c[11], c[12] = "paid", "2026-06-01" }), []string{"rows[3].contract_date error.future_date"}},
		{"contract date not a day", row(func(c []string) { c[11], c[12] = "shipped", "31.02.2026" }), []string{"rows[3].contract_date error.date"}},
		{"contract date of an opportunity", row(set(12, "2026-01-10")), []string{"rows[3].contract_date error.contract_date_stage"}},
		{"lost without a reason", row(set(11, "lost")), []string{"rows[3].lost_reason error.required"}},
		{"reason of a deal not lost", row(set(13, "price")), []string{"rows[3].lost_reason error.lost_reason_stage"}},
		{"several wrong cells", row(func(c []string) { c[0], c[3] = "990340004593", "12ab56" }),
			[]string{"rows[3].exporter_bin error.bin_check_digit", "rows[3].hs_code error.hs_format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := parse(t, importHeader+good+"\n"+tt.row+"\n")
			_, err := svc.PlanDealImport(t.Context(), berlin, lines)
			if got := fieldKeys(err); !slices.Equal(got, tt.want) {
				t.Fatalf("errors %v; want %v", got, tt.want)
			}
			if _, err := svc.ImportDeals(t.Context(), berlin, lines, ""); apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("import: %v; want the whole file refused", err)
			}
			if l, _ := svc.Deals(berlin, app.DealFilter{}); l.Total != 0 {
				t.Fatalf("%d deals stored from a refused file", l.Total)
			}
		})
	}
	for _, tt := range []struct {
		name  string
		stage string
		date  string
		lost  string
	}{{"opportunity", "", "", ""}, {"negotiating", "negotiating", "", ""}, {"paid", "paid", "2026-02-01", ""},
		{"lost before a contract", "lost", "", "price"}, {"lost after its contract", "lost", "2026-02-01", "buyer insolvent"}} {
		t.Run("stage "+tt.name, func(t *testing.T) {
			r := row(func(c []string) { c[11], c[12], c[13] = tt.stage, tt.date, tt.lost })
			plan, err := svc.PlanDealImport(t.Context(), berlin, parse(t, importHeader+r+"\n"))
			if err != nil {
				t.Fatal(fieldKeys(err), err)
			}
			d := plan.Deals[0].Deal
			want := domain.Stage(tt.stage)
			if want == "" {
				want = domain.Opportunity
			}
			if d.Stage != want || d.ContractDate.String() != tt.date || d.LostReason != tt.lost {
				t.Fatalf("deal at %s, contract %s, lost %q", d.Stage, d.ContractDate, d.LostReason)
			}
		})
	}
}

// TestImportIsIdempotentAndWhole: a file is stored whole; the same file
// again, by a colleague, in Excel's dialect, stores nothing; a changed row
// is a new deal, flagged as similar to the old one; a confirmation whose
// preview no longer holds stores nothing; two uploads at once store each
// deal once.
func TestImportIsIdempotentAndWhole(t *testing.T) {
	svc := start(t)
	ctx := t.Context()
	file := importHeader +
		bin + ",DE,Hamburg Metall AG,760110,ingots,2450000,EUR,1200,t,b2b_meeting,2.7,contracted,2026-03-01,\n" +
		bin + ",DE,Berlin Draht GmbH,761410,wire,125000.50,USD,,,,2.7,,,\n" +
		bin + ",DE,Berlin Draht GmbH,761410,wire,125000.50,USD,,,,2.7,,,\n" // the same deal twice: two deals
	lines := parse(t, file)
	plan, err := svc.PlanDealImport(ctx, berlin, lines)
	if err != nil || plan.New != 3 || plan.Existing != 0 {
		t.Fatalf("preview: %+v %v", plan, err)
	}
	if l, _ := svc.Deals(berlin, app.DealFilter{}); l.Total != 0 {
		t.Fatalf("the preview stored %d deals", l.Total)
	}
	done, err := svc.ImportDeals(ctx, berlin, lines, plan.Digest)
	if err != nil || done.New != 3 {
		t.Fatalf("import: %+v %v", done, err)
	}
	for _, p := range done.Deals {
		d, err := svc.Deal(ctx, berlin, p.Deal.ID)
		if err != nil || d.Version != 1 || d.Attache != berlin.ID {
			t.Fatalf("row %d: %+v %v", p.Row, d, err)
		}
	}
	if d, _ := svc.Deal(ctx, berlin, done.Deals[0].Deal.ID); d.Stage != domain.Contracted || d.ContractDate.String() != "2026-03-01" || d.ExporterName != "Pavlodar Aluminium JSC" {
		t.Fatalf("first row stored as %+v", d)
	}
	// The same deals, saved by Excel in Russian settings, uploaded by a colleague.
	excel := "\xef\xbb\xbf" + strings.ReplaceAll(strings.ReplaceAll(importHeader, ",", ";"), "\n", "\r\n") +
		bin + ";DE;Berlin Draht GmbH;761410;wire;125 000,50;USD;;;;2,7;;;\r\n" +
		bin + ";DE;Hamburg Metall AG;760110;ingots;2450000,00;EUR;1200;t;b2b_meeting;2,7;contracted;01.03.2026;\r\n" +
		bin + ";DE;Berlin Draht GmbH;761410;wire;125000,5;USD;;;;2.7;;;\r\n"
	again, err := svc.ImportDeals(ctx, berlin2, parse(t, excel), "")
	if err != nil || again.New != 0 || again.Existing != 3 {
		t.Fatalf("the same file again: %+v %v", again, err)
	}
	if l, _ := svc.Deals(berlin, app.DealFilter{}); l.Total != 3 {
		t.Fatalf("%d deals; want 3", l.Total)
	}
	// Another post's attaché with the same rows has other deals (and another buyer country).
	if _, err := svc.PlanDealImport(ctx, beijing, lines); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("Beijing imports German buyers: %v", err)
	}
	// A changed row: a new deal, next to the old one.
	changed := strings.Replace(file, "2450000,EUR", "2500000,EUR", 1)
	plan, err = svc.PlanDealImport(ctx, berlin, parse(t, changed))
	if err != nil || plan.New != 1 || plan.Existing != 2 || len(plan.Deals[0].Similar) != 1 || plan.Deals[0].Similar[0] != done.Deals[0].Deal.ID {
		t.Fatalf("changed row: %+v %v", plan, err)
	}
	// A confirmation of a stale preview stores nothing.
	if _, err := svc.ImportDeals(ctx, berlin, parse(t, changed), done.Digest); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("stale preview: %v; want Conflict", err)
	}
	// Two uploads of a new file at once: each deal once.
	fresh := importHeader + bin + ",DE,Spree Bau,761090,frames,999,USD,,,,,,,\n" + bin + ",DE,Spree Bau,761090,doors,888,USD,,,,,,,\n"
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() { _, errs[i] = svc.ImportDeals(ctx, []auth.User{berlin, berlin2}[i], parse(t, fresh), "") })
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("concurrent imports: %v", errs)
	}
	// The list is the service's projection, which follows the stored
	// events a moment later: wait for it, then check nothing more comes.
	deadline := time.Now().Add(15 * time.Second)
	for {
		l, _ := svc.Deals(berlin, app.DealFilter{})
		if l.Total == 5 {
			break
		}
		if l.Total > 5 || time.Now().After(deadline) {
			t.Fatalf("%d deals after two concurrent uploads; want 5", l.Total)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if l, _ := svc.Deals(berlin, app.DealFilter{}); l.Total != 5 {
		t.Fatalf("%d deals after two concurrent uploads; want 5", l.Total)
	}
	if _, err := svc.ImportDeals(ctx, analyst, lines, ""); apperr.CodeOf(err) != apperr.Forbidden {
		t.Fatalf("an analyst imports: %v", err)
	}
}

// TestREADMEDealFileImports: the example file of the README imports as it says.
func TestREADMEDealFileImports(t *testing.T) {
	raw, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(raw), "### Importing a post's deals from a file")
	_, rest, _ = strings.Cut(rest, "```csv\n")
	file, _, _ := strings.Cut(rest, "```")
	svc := start(t)
	if _, _, err := svc.RegisterExporter(t.Context(), admin, nil, domain.ExporterInput{BIN: "050440001239", Name: "Shymkent Refinery LLP"}); err != nil {
		t.Fatal(err)
	}
	plan, err := svc.ImportDeals(t.Context(), berlin, parse(t, file), "")
	if err != nil || plan.New != 3 {
		t.Fatalf("the README's file: %+v %v", plan, fieldKeys(err))
	}
	if s := plan.Deals[2].Deal; s.Stage != domain.Lost || s.LostReason != "price" || !slices.Equal(s.Support, []string{"trade_mission", "exhibition"}) {
		t.Fatalf("third row: %+v", s)
	}
}
