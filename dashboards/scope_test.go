package dashboards

// The filters' choices come from the rule that limits the figures
// (auth.ReachOf, as postScope and commissionFilter), so that no page offers a
// scope it would not show; the Exports headline's figures are all of one year;
// the pipeline's rows are in stage order.

import (
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/services/platform/auth"
	"econdip/services/platform/i18n"
	"econdip/services/platform/reference"
)

func testServer(t *testing.T) *Server {
	t.Helper()
	ref, err := reference.Load()
	if err != nil {
		t.Fatal(err)
	}
	return &Server{cfg: Config{Ref: ref}}
}

func codes(cs []choice) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Code
	}
	return out
}

func TestPostOptionsFollowTheFiguresScope(t *testing.T) {
	s := testServer(t)
	every := s.cfg.Ref.Posts()
	users := []struct {
		name    string
		user    auth.User
		want    []string // nil: every post
		wantAll bool
	}{
		{"analyst", auth.User{ID: "a", Role: auth.Analyst}, nil, true},
		{"admin", auth.User{ID: "ad", Role: auth.Admin}, nil, true},
		{"attaché", auth.User{ID: "b", Role: auth.Attache, Post: "de-berlin"}, []string{"de-berlin"}, false},
		{"secretariat", auth.User{ID: "s", Role: auth.Secretariat, Commission: "igc-cn"}, []string{}, false},
	}
	for _, a := range []auth.Action{auth.ReadInvestment, auth.ReadExpFigures} {
		for _, u := range users {
			opts, all := s.postOptions(i18n.RU, u.user, a)
			got := codes(opts)
			want := u.want
			if want == nil {
				want = make([]string, len(every))
				for i, p := range every {
					want[i] = p.Code
				}
			}
			if reach := auth.ReachOf(u.user, a); u.name == "secretariat" && reach != auth.None {
				t.Fatalf("the policy gives a secretariat reach %v over %v: update this test", reach, a)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) || all != u.wantAll {
				t.Errorf("%s, %v: posts offered %v (all posts: %v), want %v (all posts: %v)", u.name, a, got, all, want, u.wantAll)
			}
		}
	}
}

func TestCommissionOptionsFollowTheFiguresScope(t *testing.T) {
	known := map[string]string{"igc-cn": "Kazakhstan–China", "igc-de": "Kazakhstan–Germany"}
	for _, tc := range []struct {
		name    string
		user    auth.User
		want    []string
		wantAll bool
	}{
		{"analyst", auth.User{ID: "a", Role: auth.Analyst}, []string{"igc-cn", "igc-de"}, true},
		{"secretariat", auth.User{ID: "s", Role: auth.Secretariat, Commission: "igc-cn"}, []string{"igc-cn"}, false},
		{"attaché", auth.User{ID: "b", Role: auth.Attache, Post: "de-berlin"}, []string{}, false},
	} {
		opts, all := commissionOptions(tc.user, known)
		if got := codes(opts); !slices.Equal(got, tc.want) || all != tc.wantAll {
			t.Errorf("%s: commissions offered %v (all: %v), want %v (all: %v)", tc.name, got, all, tc.want, tc.wantAll)
		}
	}
}

func TestExportHeadlineIsOfOneYear(t *testing.T) {
	share := decimal.RequireFromString("0.4000")
	years := []analytics.NonRawYear{
		{Year: 2025, ExportTotals: analytics.ExportTotals{Deals: 7, ValueUSD: decimal.NewFromInt(9_000_000), DealsWithoutRate: 2}},
		{Year: 2026, ExportTotals: analytics.ExportTotals{Deals: 3, ValueUSD: decimal.NewFromInt(1_000_000), NonRawUSD: decimal.NewFromInt(400_000), DealsWithoutRate: 1}, Share: &share},
	}
	mp := []analytics.MarketsProductsYear{{Year: 2025, Markets: 9, Products: 12}, {Year: 2026, Markets: 2, Products: 3}}
	h := headlineOf(years, mp)
	if h.Year == nil || *h.Year != 2026 {
		t.Fatalf("headline year %v, want 2026", h.Year)
	}
	if !h.CommittedUSD.Equal(decimal.NewFromInt(1_000_000)) || h.CommittedDeals != 3 || h.DealsWithoutRate != 1 {
		t.Errorf("headline value %s in %d deals (%d without rate), want 2026's: 1000000 in 3 (1), not every year's", h.CommittedUSD, h.CommittedDeals, h.DealsWithoutRate)
	}
	if h.NonRawShare == nil || !h.NonRawShare.Equal(share) || h.Markets != 2 || h.Products != 3 {
		t.Errorf("headline share %v, markets %d, products %d, want 2026's 0.4, 2, 3", h.NonRawShare, h.Markets, h.Products)
	}
	if e := headlineOf(nil, nil); e.Year != nil || !e.CommittedUSD.IsZero() {
		t.Errorf("headline without deals: %+v, want no year and zero", e)
	}
}

func TestPipelineRowsInStageOrder(t *testing.T) {
	rows := []analytics.PipelineRow{
		{Sector: "agro", Stage: "qualified"}, {Sector: "agro", Stage: "committed"}, {Sector: "agro", Stage: "contacted"},
		{Sector: "machine_building", Stage: "lost"}, {Sector: "machine_building", Stage: "identified"},
	}
	inPipelineOrder(rows)
	var got []string
	for _, r := range rows {
		got = append(got, r.Sector+":"+r.Stage)
	}
	want := []string{"agro:contacted", "agro:qualified", "agro:committed", "machine_building:identified", "machine_building:lost"}
	if !slices.Equal(got, want) {
		t.Errorf("pipeline rows %v, want %v (domain.Stages order within a sector)", got, want)
	}
}
