package demo_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/analytics/chtest"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/exports/domain"
	"econdip/services/exports/httpapi"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
	"econdip/services/test/stacktest"
	"econdip/services/tools/demo"
)

// TestMain gives the package's integration tests (the exports load into a
// full stack) a private ClickHouse server.
func TestMain(m *testing.M) { chtest.Main(m, "econdip_test_demo") }

// exportDays are days the exports demo may be generated on: the real today
// and fixed days after it, so the checks hold whenever the tests run.
func exportDays() []time.Time {
	return []time.Time{time.Now(), time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC), time.Date(2027, 6, 30, 12, 0, 0, 0, time.UTC),
		time.Date(2030, 1, 15, 12, 0, 0, 0, time.UTC)}
}

func astanaDay(t time.Time) string { return kernel.AstanaDay(t).String() }

func TestExportsGenerationIsDeterministic(t *testing.T) {
	ref := reference.Default()
	day := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	a, b := demo.GenerateExports(seed, day, ref), demo.GenerateExports(seed, day, ref)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed and day gave different plans")
	}
	if other := demo.GenerateExports(seed+1, day, ref); reflect.DeepEqual(a.Deals, other.Deals) || reflect.DeepEqual(a.Barriers, other.Barriers) {
		t.Error("another seed gave the same deals or barriers")
	}
	// A later day only adds what happened in between: the same requests,
	// and each record's moves and steps extend those of the earlier day.
	later := demo.GenerateExports(seed, time.Date(2027, 6, 30, 12, 0, 0, 0, time.UTC), ref)
	if !reflect.DeepEqual(a.Exporters, later.Exporters) || len(a.Deals) != len(later.Deals) {
		t.Fatal("exporters or number of deals differ on a later day")
	}
	for i, d := range a.Deals {
		l := later.Deals[i]
		if !reflect.DeepEqual(d.Request, l.Request) || len(l.Moves) < len(d.Moves) || !reflect.DeepEqual(l.Moves[:len(d.Moves)], d.Moves) {
			t.Errorf("deal %d: %v on a later day, %v before", i, l.Moves, d.Moves)
		}
	}
	byIndex := map[int]demo.ExportBarrier{}
	for _, b := range later.Barriers {
		byIndex[b.Index] = b
	}
	for _, b := range a.Barriers {
		l, ok := byIndex[b.Index]
		if !ok || !reflect.DeepEqual(b.Request, l.Request) || len(l.Steps) < len(b.Steps) || !reflect.DeepEqual(l.Steps[:len(b.Steps)], b.Steps) {
			t.Errorf("barrier %d: %v on a later day, %v before", b.Index, l.Steps, b.Steps)
		}
	}
}

// TestExportsPlanIsValid checks the plan against the rules the service
// applies: BINs, regions, HS codes, host countries and every move and step
// replayed through the domain.
func TestExportsPlanIsValid(t *testing.T) {
	ref := reference.Default()
	for _, now := range exportDays() {
		today := astanaDay(now)
		plan := demo.GenerateExports(seed, now, ref)
		bins := map[string]bool{}
		names := map[string]bool{}
		for _, e := range plan.Exporters {
			if rule := domain.CheckBIN(e.BIN); rule != domain.BINOK {
				t.Errorf("exporter %s: BIN %s fails %s", e.Name, e.BIN, rule)
			}
			if _, ok := ref.Region(e.Region); !ok {
				t.Errorf("exporter %s: unknown region %s", e.Name, e.Region)
			}
			if bins[e.BIN] || names[e.Name] {
				t.Errorf("exporter %s: BIN %s or name repeated", e.Name, e.BIN)
			}
			bins[e.BIN], names[e.Name] = true, true
		}
		if n := len(plan.Exporters); n < 20 || n > 35 {
			t.Errorf("%d exporters, want about 25", n)
		}

		if len(plan.Deals) != demo.ExportDeals {
			t.Fatalf("%d deals, want %d", len(plan.Deals), demo.ExportDeals)
		}
		hs6, chapters := map[string]bool{}, map[string]bool{}
		postsSeen, countriesSeen := map[string]int{}, map[string]bool{}
		raw, nonRaw := 0, 0
		for i, d := range plan.Deals {
			where := fmt.Sprintf("%s deal %d", today, i)
			if d.Index != i {
				t.Errorf("%s: index %d", where, d.Index)
			}
			post, ok := ref.Post(d.Post)
			if !ok {
				t.Fatalf("%s: unknown post %s", where, d.Post)
			}
			req := d.Request
			if h, ok := ref.HS(req.HSCode); !ok || h.Level != 6 || !domain.IsHS2022(h) {
				t.Errorf("%s: HS code %s not an HS 2022 subheading of the reference data", where, req.HSCode)
			}
			if !bins[req.ExporterBIN] {
				t.Errorf("%s: exporter %s not in the plan", where, req.ExporterBIN)
			}
			in := domain.DealInput{ExporterBIN: req.ExporterBIN, BuyerCountry: req.BuyerCountry, BuyerName: req.BuyerName,
				HSCode: req.HSCode, Product: req.Product, ValueAmount: string(req.Value.Amount), ValueCurrency: req.Value.Currency,
				Unit: req.Unit, Support: req.Support, Clauses: req.Clauses}
			if req.Quantity != nil {
				in.Quantity = string(*req.Quantity)
			}
			if _, _, err := in.Validate(ref, post.Country); err != nil {
				t.Errorf("%s: %v", where, err)
			}
			if _, err := ref.Convert(decimal.RequireFromString(string(req.Value.Amount)), req.Value.Currency, time.Now()); err != nil {
				t.Errorf("%s: value in %s has no exchange rate: %v", where, req.Value.Currency, err)
			}
			deal := domain.Deal{Stage: domain.Opportunity}
			for _, m := range d.Moves {
				if err := deal.MoveTo(domain.Move{To: m.Stage, LostReason: m.LostReason, ContractDate: m.ContractDate, Comment: m.Comment}, kernel.MustDay(today)); err != nil {
					t.Errorf("%s: move to %s: %v", where, m.Stage, err)
				}
				if (m.Stage == domain.Contracted) != (m.ContractDate != "") {
					t.Errorf("%s: move to %s with contract date %q", where, m.Stage, m.ContractDate)
				}
			}
			if c := d.ContractDate(); c != "" && (c < "2020-01-01" || c > today) {
				t.Errorf("%s: contract date %s outside 2020-01-01..%s", where, c, today)
			}
			hs6[req.HSCode], chapters[req.HSCode[:2]] = true, true
			postsSeen[d.Post]++
			countriesSeen[req.BuyerCountry] = true
			if ref.IsRawHS(req.HSCode) {
				raw++
			} else {
				nonRaw++
			}
		}
		if len(hs6) < 40 || len(chapters) < 20 {
			t.Errorf("%s: %d HS codes in %d chapters, want at least 40 in 20", today, len(hs6), len(chapters))
		}
		for _, p := range ref.Posts() {
			if postsSeen[p.Code] < 3 {
				t.Errorf("%s: post %s has %d deals", today, p.Code, postsSeen[p.Code])
			}
			if !countriesSeen[p.Country] {
				t.Errorf("%s: no deal with a buyer in %s", today, p.Country)
			}
		}
		if raw == 0 || nonRaw <= raw {
			t.Errorf("%s: %d raw and %d non-raw deals: want both, non-raw most", today, raw, nonRaw)
		}

		types, statuses := map[string]int{}, map[domain.Status]int{}
		for _, b := range plan.Barriers {
			where := fmt.Sprintf("%s barrier %d", today, b.Index)
			post, ok := ref.Post(b.Post)
			if !ok {
				t.Fatalf("%s: unknown post %s", where, b.Post)
			}
			req := b.Request
			in := domain.BarrierInput{Country: req.Country, HSCodes: req.HSCodes, Type: req.Type, Title: req.Title,
				Description: req.Description, LeadAgency: req.LeadAgency, Clauses: req.Clauses, ReportedOn: req.ReportedOn}
			if v := req.ValueAtStake; v != nil {
				in.ValueAmount, in.ValueCurrency = string(v.Amount), v.Currency
				if _, err := ref.Convert(decimal.RequireFromString(string(v.Amount)), v.Currency, time.Now()); err != nil {
					t.Errorf("%s: value at stake in %s has no exchange rate: %v", where, v.Currency, err)
				}
			}
			if _, err := in.Validate(ref, post.Country, kernel.MustDay(today)); err != nil {
				t.Errorf("%s: %v", where, err)
			}
			if req.ReportedOn < "2020-01-01" {
				t.Errorf("%s: reported on %s", where, req.ReportedOn)
			}
			st, last, prevOn := domain.Reported, req.ReportedOn, req.ReportedOn
			for _, s := range b.Steps {
				if s.On < prevOn || s.On > today || strings.TrimSpace(s.Text) == "" {
					t.Errorf("%s: step %+v out of order (after %s), after today or without text", where, s, prevOn)
				}
				prevOn = s.On
				if s.IsNote() {
					continue
				}
				on, err := domain.CheckStatusChange(st, domain.StatusChange{To: s.Status, EffectiveOn: s.On, Comment: s.Text}, kernel.MustDay(req.ReportedOn), kernel.MustDay(last), kernel.MustDay(today))
				if err != nil {
					t.Errorf("%s: %s -> %s on %s: %v", where, st, s.Status, s.On, err)
				}
				st, last = s.Status, on.String()
			}
			if st != b.Status() {
				t.Errorf("%s: Status() %s, steps end in %s", where, b.Status(), st)
			}
			types[req.Type]++
			statuses[st]++
		}
		if n := len(plan.Barriers); n < 35 || n > 50 {
			t.Errorf("%s: %d barriers, want about 40", today, n)
		}
		for _, typ := range domain.BarrierTypes {
			if types[typ] < 3 {
				t.Errorf("%s: %d barriers of type %s", today, types[typ], typ)
			}
		}
		for _, s := range domain.Statuses {
			if statuses[s] < 2 {
				t.Errorf("%s: %d barriers %s", today, statuses[s], s)
			}
		}
	}
}

// TestExportsSpread checks the shape of the figures the dashboards show:
// raw commodities a large share of the value but a minority of the deals,
// value growing over the years, a funnel with lost deals, barriers resolved
// after a spread of days.
func TestExportsSpread(t *testing.T) {
	ref := reference.Default()
	plan := demo.GenerateExports(seed, time.Now(), ref)
	stages := map[domain.Stage]int{}
	byYear, rawByYear := map[string]decimal.Decimal{}, map[string]decimal.Decimal{}
	var rawUSD, allUSD decimal.Decimal
	rawDeals, committed := 0, 0
	for _, d := range plan.Deals {
		stages[d.Stage()]++
		if d.Stage() == domain.Lost && d.Moves[len(d.Moves)-1].LostReason == "" {
			t.Errorf("deal %d lost without a reason", d.Index)
		}
		c := d.ContractDate()
		if c == "" || d.Stage() == domain.Lost {
			continue
		}
		on, _ := time.Parse(time.DateOnly, c)
		conv, err := ref.Convert(decimal.RequireFromString(string(d.Request.Value.Amount)), d.Request.Value.Currency, on)
		if err != nil {
			t.Fatal(err)
		}
		committed++
		allUSD = allUSD.Add(conv.USD)
		byYear[c[:4]] = byYear[c[:4]].Add(conv.USD)
		if ref.IsRawHS(d.Request.HSCode) {
			rawByYear[c[:4]] = rawByYear[c[:4]].Add(conv.USD)
			rawUSD = rawUSD.Add(conv.USD)
			rawDeals++
		}
	}
	share := rawUSD.Div(allUSD)
	years := make([]string, 0, len(byYear))
	for y := range byYear {
		years = append(years, y)
	}
	sort.Strings(years)
	var perYear []string
	for _, y := range years {
		perYear = append(perYear, fmt.Sprintf("%s: %s M (raw %s)", y, byYear[y].Div(decimal.New(1, 6)).StringFixed(0), rawByYear[y].Div(byYear[y]).StringFixed(2)))
	}
	t.Logf("deals by stage %v; committed %d, raw %d; raw share of committed USD %s of %s M; by year %v",
		stages, committed, rawDeals, share.StringFixed(3), allUSD.Div(decimal.New(1, 6)).StringFixed(0), perYear)
	if share.LessThan(decimal.RequireFromString("0.45")) || share.GreaterThan(decimal.RequireFromString("0.85")) {
		t.Errorf("raw share by value %s, want a large share (0.45 to 0.85)", share.StringFixed(3))
	}
	if rawDeals*2 >= committed {
		t.Errorf("%d of %d committed deals raw, want a minority", rawDeals, committed)
	}
	for _, s := range domain.Stages {
		if stages[s] < 10 {
			t.Errorf("%d deals %s", stages[s], s)
		}
	}
	if stages[domain.Paid] <= stages[domain.Shipped] {
		t.Errorf("most old contracts should be paid: %v", stages)
	}
	if !byYear["2025"].GreaterThan(byYear["2020"]) || !byYear["2024"].GreaterThan(byYear["2021"]) {
		t.Errorf("committed value should grow over the years: %v", perYear)
	}

	var days []int
	counts := map[string]int{}
	for _, b := range plan.Barriers {
		counts[b.Request.Type+"/"+string(b.Status())]++
		if b.Status() != domain.Resolved {
			continue
		}
		rep, _ := time.Parse(time.DateOnly, b.Request.ReportedOn)
		res, _ := time.Parse(time.DateOnly, b.Steps[len(b.Steps)-1].On)
		days = append(days, int(res.Sub(rep).Hours()/24))
	}
	slices.Sort(days)
	t.Logf("barriers by type/status %v; days to resolve %v", counts, days)
	if len(days) < 8 || days[0] == days[len(days)-1] || days[len(days)/2] < 90 {
		t.Errorf("days to resolve %v: want several, spread, median above 90", days)
	}
}

// halfway is the plan as a load cut short would have left it: every
// exporter registered, each deal half-way along its moves, each barrier
// half-way through its steps.
func halfway(plan demo.ExportsPlan) demo.ExportsPlan {
	out := demo.ExportsPlan{Exporters: plan.Exporters}
	for _, d := range plan.Deals {
		d.Moves = d.Moves[:len(d.Moves)/2]
		out.Deals = append(out.Deals, d)
	}
	for _, b := range plan.Barriers {
		b.Steps = b.Steps[:len(b.Steps)/2]
		out.Barriers = append(out.Barriers, b)
	}
	return out
}

// TestExportsLoad loads the whole plan into a full stack: first as a load
// cut short would leave it, then whole (it continues where the first one
// stopped), then whole again (nothing changes). The API and ClickHouse then
// hold each deal and barrier once, where the plan says it ends.
func TestExportsLoad(t *testing.T) {
	s, tokens := stacktest.StartWithUsers(t, stacktest.DemoUsers())
	ctx := context.Background()
	plan := demo.GenerateExports(seed, time.Now(), s.Ref)
	loader := &demo.ExportsLoader{
		BaseURL:    "http://" + s.ExportsAddr,
		TokenFor:   func(post string) (string, bool) { tok, ok := tokens["attache."+post]; return tok, ok },
		AdminToken: tokens["admin"],
	}
	load := func(p demo.ExportsPlan) demo.ExportsSummary {
		t.Helper()
		start := time.Now()
		sum, err := loader.Load(ctx, seed, p)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("load in %s: %+v", time.Since(start).Round(time.Millisecond), sum)
		return sum
	}
	moves, notes, changes := 0, 0, 0
	for _, d := range plan.Deals {
		moves += len(d.Moves)
	}
	for _, b := range plan.Barriers {
		for _, st := range b.Steps {
			if st.IsNote() {
				notes++
			} else {
				changes++
			}
		}
	}

	half := halfway(plan)
	first := load(half)
	second := load(plan)
	third := load(plan)
	nx, nd := len(plan.Exporters), len(plan.Deals)
	want := []struct {
		name      string
		got, want demo.ExportsSummary
	}{
		{"first", first, demo.ExportsSummary{Exporters: nx, Deals: nd, DealMoves: countMoves(half), Barriers: len(plan.Barriers),
			BarrierNotes: countSteps(half, true), BarrierStatusChanges: countSteps(half, false)}},
		{"second", second, demo.ExportsSummary{ExportersExisting: nx, DealsReplayed: nd, DealMoves: moves - countMoves(half),
			BarriersReplayed: len(plan.Barriers), BarrierNotes: notes - countSteps(half, true), BarrierStatusChanges: changes - countSteps(half, false)}},
		{"third", third, demo.ExportsSummary{ExportersExisting: nx, DealsReplayed: nd, BarriersReplayed: len(plan.Barriers)}},
	}
	for _, w := range want {
		if w.got != w.want {
			t.Errorf("%s load: %+v, want %+v", w.name, w.got, w.want)
		}
	}

	// The API: each deal and barrier once, where the plan says it ends.
	var deals struct {
		Deals []httpapi.DealJSON
		Total int
	}
	get(t, s, tokens["analyst"], "/api/v1/deals?limit=500", &deals)
	var gotDeals, wantDeals []string
	for _, d := range deals.Deals {
		gotDeals = append(gotDeals, strings.Join([]string{d.Post, d.ExporterBIN, d.HSCode, string(d.Value.Amount), d.Stage, d.ContractDate, d.LostReason}, "|"))
	}
	for _, d := range plan.Deals {
		wantDeals = append(wantDeals, strings.Join([]string{d.Post, d.Request.ExporterBIN, d.Request.HSCode, string(d.Request.Value.Amount), string(d.Stage()), d.ContractDate(), lostReason(d)}, "|"))
	}
	slices.Sort(gotDeals)
	slices.Sort(wantDeals)
	if deals.Total != len(plan.Deals) || !slices.Equal(gotDeals, wantDeals) {
		t.Errorf("deals in the API (%d):\n%s\nwant:\n%s", deals.Total, strings.Join(gotDeals, "\n"), strings.Join(wantDeals, "\n"))
	}
	var barriers struct {
		Barriers []httpapi.BarrierJSON
		Total    int
	}
	get(t, s, tokens["analyst"], "/api/v1/barriers?limit=500", &barriers)
	byTitle := map[string]httpapi.BarrierJSON{}
	for _, b := range barriers.Barriers {
		byTitle[b.Title] = b
	}
	if barriers.Total != len(plan.Barriers) {
		t.Errorf("%d barriers in the API, want %d", barriers.Total, len(plan.Barriers))
	}
	for _, b := range plan.Barriers {
		got, ok := byTitle[b.Request.Title]
		wantNotes := countSteps(demo.ExportsPlan{Barriers: []demo.ExportBarrier{b}}, true)
		if !ok || got.Status != string(b.Status()) || got.ReportedOn != b.Request.ReportedOn || len(got.Progress) != wantNotes || got.Version != 1+len(b.Steps) {
			t.Errorf("barrier %q: %+v, want %s reported on %s with %d notes", b.Request.Title, got, b.Status(), b.Request.ReportedOn, wantNotes)
		}
		if b.Status() == domain.Resolved && got.ResolvedOn != b.Steps[len(b.Steps)-1].On {
			t.Errorf("barrier %q resolved on %s, want %s", b.Request.Title, got.ResolvedOn, b.Steps[len(b.Steps)-1].On)
		}
	}

	// ClickHouse: every deal and barrier once.
	stacktest.Eventually(t, 15*time.Second, "deals and barriers in ClickHouse", func() (bool, error) {
		st, err := analytics.ExportsByStage(ctx, s.CH, analytics.ExportFilter{})
		if err != nil {
			return false, err
		}
		n, noRate := uint64(0), uint64(0)
		for _, x := range st {
			n += x.Deals
			noRate += x.DealsWithoutRate
		}
		if noRate > 0 {
			return false, fmt.Errorf("%d deals without an exchange rate", noRate)
		}
		tally, err := analytics.Barriers(ctx, s.CH, analytics.BarrierFilter{})
		if err != nil {
			return false, err
		}
		if n > uint64(len(plan.Deals)) || tally.Barriers > uint64(len(plan.Barriers)) {
			return false, fmt.Errorf("duplicates: %d deals, %d barriers", n, tally.Barriers)
		}
		if n == uint64(len(plan.Deals)) && tally.Barriers == uint64(len(plan.Barriers)) {
			if tally.MedianDaysToResolve == nil || tally.OpenWithoutRate > 0 {
				return false, fmt.Errorf("barriers: %+v", tally)
			}
			t.Logf("in ClickHouse: %d deals; barriers %+v (median days to resolve %s)", n, tally, tally.MedianDaysToResolve)
			return true, nil
		}
		return false, fmt.Errorf("%d deals, %d barriers so far", n, tally.Barriers)
	})
}

func lostReason(d demo.ExportDeal) string {
	if d.Stage() == domain.Lost {
		return d.Moves[len(d.Moves)-1].LostReason
	}
	return ""
}

func countMoves(p demo.ExportsPlan) int {
	n := 0
	for _, d := range p.Deals {
		n += len(d.Moves)
	}
	return n
}

func countSteps(p demo.ExportsPlan, notes bool) int {
	n := 0
	for _, b := range p.Barriers {
		for _, s := range b.Steps {
			if s.IsNote() == notes {
				n++
			}
		}
	}
	return n
}

// get reads from the exports API.
func get(t *testing.T, s *stack.Stack, token, path string, out any) {
	t.Helper()
	r := stacktest.Do(t, http.MethodGet, "http://"+s.ExportsAddr+path, token, "")
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	r.JSON(t, out)
}
