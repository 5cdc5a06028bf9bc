package analytics

// Realised trade: the export statistics of the Bureau of National Statistics
// (BNS) set against the posts' export deals.
//
// Storage (migration 0010): every import of a month and partner is an
// edition; figures read the latest edition of each (see the migration for
// why editions rather than ReplacingMergeTree or ALTER DELETE).
//
// Definitions of the comparison (TradeCompare):
//   - Realised exports: the BNS value of the months in the range, in USD
//     (the published thousand USD × 1,000, summed exactly, rounded to the
//     cent when shown). "All partners" is the BNS total to all partners
//     (partner ''), never a sum of partner tables, which may be incomplete;
//     a partner's figure is that partner's table.
//   - Deals: the export deals at stage contracted, shipped or paid (their
//     current stage) whose deal date (the contract date, else the day the
//     deal was created) falls in a month of the range that has statistics
//     for the same scope (all partners, or the partner): a month without
//     statistics is left out of both sides and listed as such, so the share
//     never sets deals against months BNS has not published. Values in USD
//     at the rates of the deal date (fx.go); deals without a rate are
//     counted, not summed.
//   - Coverage: deals' USD value / realised exports, of the same rows.
//   - HS classification of the statistics: BNS publishes chapters (2 digits),
//     the mapping classifies 6-digit codes. A chapter takes the sector of its
//     codes when they all have one sector ("unassigned" when none has one),
//     else "mixed"; it is raw when all its codes are raw, non-raw when none
//     is, else "mixed" (chapter 27 holds crude oil and refined products).
//     Chapters the nomenclature has no 6-digit code for (99) are unassigned
//     and non-raw, the rule's default. Deals are put in the buckets of their
//     chapter the same way, so a sector's or class's deals and statistics
//     cover the same goods.
//   - Non-raw share of realised exports: the non-raw chapters' value / all;
//     the mixed chapters' share is given beside it (the true share lies
//     between the two bounds). Non-raw share of the deals: by each deal's
//     own 6-digit code (as on the Exports page), value / value.
//   - In KZT (the page's switch, and the CSV's *_kzt columns): each month's
//     realised USD converts at the KZT per USD in force on the month's last
//     day (the latest NBK rate on or before it, from fx_join); when that
//     rate is past the hard limit relative to the month's last day, or there
//     is none, the month is "without rate": its realised value is left out
//     of the KZT figures and listed (MonthsWithoutRate). Thousand USD × 1,000
//     × rate is exact in decimal (no float) and rounded to the cent after
//     the sum. Deals convert at their own days' rates, as everywhere
//     (amount_kzt of fx.go). Coverage and the non-raw shares are unit-free:
//     they are the USD ratios above, the same whichever unit is shown (a KZT
//     ratio would mix month-end and deal-day rates and drift from them).

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"econdip/services/tradestats"
)

// TradeEdition is one imported month and partner of a BNS file: the
// provenance of its rows.
type TradeEdition struct {
	EditionID      string          `json:"edition_id"`
	Month          time.Time       `json:"month"`   // first day
	Partner        string          `json:"partner"` // "" all partners
	FileName       string          `json:"file_name"`
	FileSHA256     string          `json:"file_sha256"`
	Label          string          `json:"label"`
	LoadedBy       string          `json:"loaded_by"`
	LoadedAt       time.Time       `json:"loaded_at"`
	Chapters       uint32          `json:"chapters"`
	SumThousandUSD decimal.Decimal `json:"sum_thousand_usd"`
	HasTotal       bool            `json:"has_total"`
	TotalThousand  decimal.Decimal `json:"total_thousand_usd"` // the file's TOTAL line (when HasTotal)
}

// MonthLabel is the edition's month as YYYY-MM.
func (e TradeEdition) MonthLabel() string { return e.Month.Format("2006-01") }

// TradeImportOptions say who imports and how the import reports.
type TradeImportOptions struct {
	LoadedBy string    // the user id, or the operator's name for the command
	Label    string    // the edition's label; empty: the file's name
	Now      time.Time // zero: time.Now
	// Progress, when set, is called after each batch of rows is written,
	// with the rows written so far and in all.
	Progress func(done, total int)
}

// TradeImported is what an import did with one month and partner.
type TradeImported struct {
	File     string        `json:"file"`
	Edition  TradeEdition  `json:"edition"`
	Replaced *TradeEdition `json:"replaced"` // the edition it replaced; nil for a month imported the first time
}

// tradeBatch is the most rows one insert carries.
const tradeBatch = 10_000

// ImportTrade stores parsed BNS files (tradestats.Parse, all of them
// checked, tradestats.Check for overlaps) as new editions: each month and
// partner of them replaces what an earlier import held for it. The rows of
// every file are written first, then the editions in one insert, which is
// what makes them count; a failure before that leaves nothing a figure
// reads.
func ImportTrade(ctx context.Context, conn driver.Conn, files []*tradestats.File, opt TradeImportOptions) ([]TradeImported, error) {
	if err := tradestats.Check(files); err != nil {
		return nil, err
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	current, err := TradeEditions(ctx, conn, true)
	if err != nil {
		return nil, err
	}
	type key struct {
		month   string
		partner string
	}
	was := map[key]TradeEdition{}
	for _, e := range current {
		was[key{e.Month.Format(time.DateOnly), e.Partner}] = e
	}
	type row struct {
		edition string
		r       tradestats.Row
	}
	var rows []row
	var out []TradeImported
	var editions []TradeEdition
	for _, f := range files {
		for _, g := range f.Groups {
			id, err := uuid.NewRandomFromReader(rand.Reader)
			if err != nil {
				return nil, err
			}
			e := TradeEdition{EditionID: id.String(), Month: g.Month.Time(), Partner: g.Partner, FileName: f.Name, FileSHA256: f.SHA256,
				Label: opt.Label, LoadedBy: opt.LoadedBy, LoadedAt: now.UTC().Truncate(time.Second), Chapters: uint32(len(g.Rows)),
				SumThousandUSD: g.Sum, TotalThousand: decimal.Zero}
			if e.Label == "" {
				e.Label = f.Name
			}
			if g.Total != nil {
				e.HasTotal, e.TotalThousand = true, *g.Total
			}
			editions = append(editions, e)
			imp := TradeImported{File: f.Name, Edition: e}
			if old, ok := was[key{g.Month.String(), g.Partner}]; ok {
				imp.Replaced = &old
			}
			out = append(out, imp)
			for _, r := range g.Rows {
				rows = append(rows, row{e.EditionID, r})
			}
		}
	}
	for start := 0; start < len(rows); start += tradeBatch {
		chunk := rows[start:min(start+tradeBatch, len(rows))]
		err := insert(ctx, conn, "trade_exports", "edition_id, month, partner, chapter, value_thousand_usd, description, line", chunk,
			func(r row) []any {
				return []any{r.edition, r.r.Month.Time(), r.r.Partner, r.r.Chapter, r.r.Value, r.r.Description, uint32(r.r.Line)}
			})
		if err != nil {
			return nil, fmt.Errorf("trade statistics: %w", err)
		}
		if opt.Progress != nil {
			opt.Progress(start+len(chunk), len(rows))
		}
	}
	seq := uint64(now.UnixNano())
	err = insert(ctx, conn, "trade_editions", "edition_id, month, partner, file_name, file_sha256, label, loaded_by, loaded_at, load_seq, chapters, sum_thousand_usd, has_total, total_thousand_usd",
		editions, func(e TradeEdition) []any {
			return []any{e.EditionID, e.Month, e.Partner, e.FileName, e.FileSHA256, e.Label, e.LoadedBy, e.LoadedAt, seq, e.Chapters,
				e.SumThousandUSD, boolByte(e.HasTotal), e.TotalThousand}
		})
	if err != nil {
		return nil, fmt.Errorf("trade statistics editions: %w", err)
	}
	return out, nil
}

// currentEditions is a query for the edition_id of the latest edition of
// every month and partner.
const currentEditions = `SELECT argMax(edition_id, load_seq) FROM trade_editions GROUP BY month, partner`

// TradeEditions lists the editions of the statistics, by month and partner:
// only the current one of each when current, else every import, the latest
// first within a month and partner.
func TradeEditions(ctx context.Context, conn driver.Conn, current bool) ([]TradeEdition, error) {
	cond := ""
	if current {
		cond = "WHERE edition_id IN (" + currentEditions + ")"
	}
	q := `SELECT edition_id, month, partner, file_name, file_sha256, label, loaded_by, loaded_at, chapters, sum_thousand_usd,
			has_total, total_thousand_usd
		FROM trade_editions ` + cond + `
		ORDER BY month, partner, load_seq DESC`
	return queryRows(ctx, conn, "trade editions", q, nil, func(e *TradeEdition) []any {
		return []any{&e.EditionID, &e.Month, &e.Partner, &e.FileName, &e.FileSHA256, &e.Label, &e.LoadedBy, &e.LoadedAt, &e.Chapters,
			&e.SumThousandUSD, &e.HasTotal, &e.TotalThousand}
	})
}

// TradeBy is what the comparison is broken down by.
type TradeBy string

// Breakdowns of the comparison.
const (
	TradeByChapter TradeBy = "chapter"
	TradeBySector  TradeBy = "sector"
	TradeByClass   TradeBy = "class" // raw, non_raw, mixed
	TradeByPartner TradeBy = "partner"
	TradeByMonth   TradeBy = "month"
	TradeByTotal   TradeBy = "total"
)

// TradeBreakdowns lists the breakdowns.
var TradeBreakdowns = []TradeBy{TradeByChapter, TradeBySector, TradeByClass, TradeByPartner, TradeByMonth, TradeByTotal}

// Classes of a chapter.
const (
	ClassRaw    = "raw"
	ClassNonRaw = "non_raw"
	ClassMixed  = "mixed"
)

// TradeClasses lists the classes of a chapter.
var TradeClasses = []string{ClassNonRaw, ClassRaw, ClassMixed}

// SectorMixed is the sector of a chapter whose codes the mapping puts in
// more than one sector.
const SectorMixed = "mixed"

// TradeFilter narrows the comparison. From and To are months (any day of
// them), both included.
type TradeFilter struct {
	From, To time.Time
	Partner  string // ISO alpha-2; "": all partners
	Chapter  string // 2 digits
	Sector   string // a sector code, "unassigned" or "mixed"
	Class    string // raw, non_raw or mixed
	// RealisedOnly leaves the deals out (their side of the comparison is
	// empty): for the scorecard's realised line, which reads the realised
	// exports only, without reading every deal's state.
	RealisedOnly bool
}

// TradeDeals counts the deals at one stage.
type TradeDeals struct {
	Deals uint64          `json:"deals"`
	USD   decimal.Decimal `json:"usd"` // of the deals with a rate
	KZT   decimal.Decimal `json:"kzt"` // of the same deals, at their days' rates
}

// TradeFigure is the comparison for one key.
type TradeFigure struct {
	Key               string           `json:"key"`
	RealisedUSD       decimal.Decimal  `json:"realised_usd"`
	RealisedNonRawUSD decimal.Decimal  `json:"realised_non_raw_usd"` // non-raw chapters
	RealisedMixedUSD  decimal.Decimal  `json:"realised_mixed_usd"`   // chapters with raw and non-raw codes
	Contracted        TradeDeals       `json:"contracted"`
	Shipped           TradeDeals       `json:"shipped"`
	Paid              TradeDeals       `json:"paid"`
	DealsUSD          decimal.Decimal  `json:"deals_usd"`
	DealsNonRawUSD    decimal.Decimal  `json:"deals_non_raw_usd"`
	DealsWithoutRate  uint64           `json:"deals_without_rate"`
	Coverage          *decimal.Decimal `json:"coverage"`               // DealsUSD / RealisedUSD, 4 places; nil without realised exports
	RealisedNonRaw    *decimal.Decimal `json:"realised_non_raw_share"` // 4 places
	RealisedMixed     *decimal.Decimal `json:"realised_mixed_share"`
	DealsNonRaw       *decimal.Decimal `json:"deals_non_raw_share"`
	// In KZT (the top of this file): realised at the month-end rates,
	// months without rate left out; deals at their days' rates.
	RealisedKZT       decimal.Decimal `json:"realised_kzt"`
	RealisedNonRawKZT decimal.Decimal `json:"realised_non_raw_kzt"`
	RealisedMixedKZT  decimal.Decimal `json:"realised_mixed_kzt"`
	DealsKZT          decimal.Decimal `json:"deals_kzt"`
	DealsNonRawKZT    decimal.Decimal `json:"deals_non_raw_kzt"`
	realisedThousand  decimal.Decimal
	nonRawThousand    decimal.Decimal
	mixedThousand     decimal.Decimal
	realisedKZTExact  decimal.Decimal // thousand USD × rate, before × 1,000 and rounding
	nonRawKZTExact    decimal.Decimal
	mixedKZTExact     decimal.Decimal
}

// Deals is the number of deals at the three stages.
func (f TradeFigure) Deals() uint64 { return f.Contracted.Deals + f.Shipped.Deals + f.Paid.Deals }

// TradeComparison is the comparison's rows, their total and the months of
// the range with and without statistics (for the filter's partner scope;
// by partner, the months any partner has).
type TradeComparison struct {
	Rows          []TradeFigure `json:"rows"`
	Total         TradeFigure   `json:"total"`
	MonthsWith    []string      `json:"months_with_statistics"` // YYYY-MM
	MonthsWithout []string      `json:"months_without_statistics"`
	// The month-end rates of the months with statistics (the KZT figures).
	MonthRates        []TradeMonthRate `json:"month_rates"`
	MonthsWithoutRate []string         `json:"months_without_rate"` // YYYY-MM: left out of the realised KZT
}

// TradeMonthRate is the KZT per USD a month's statistics convert at: the
// rate in force on the month's last day.
type TradeMonthRate struct {
	Month     string          `json:"month"` // YYYY-MM
	LastDay   time.Time       `json:"last_day"`
	KZTPerUSD decimal.Decimal `json:"kzt_per_usd"` // 0 without rate
	RateDay   time.Time       `json:"rate_day"`    // the NBK rate's day
	Found     bool            `json:"found"`       // a rate no older than the hard limit
}

// ChapterClass is how the statistics of a chapter are classified.
type ChapterClass struct {
	Sector string // a sector code, "unassigned" or "mixed"
	Class  string // raw, non_raw or mixed
}

// ChapterClasses classifies every HS chapter with the current mapping
// (hs_classification), as the top of this file says.
func ChapterClasses(ctx context.Context, conn driver.Conn) (map[string]ChapterClass, error) {
	type row struct {
		chapter string
		sectors []string
		minRaw  uint8
		maxRaw  uint8
	}
	rows, err := queryRows(ctx, conn, "chapter classes",
		`SELECT chapter, groupUniqArray(sector), min(raw), max(raw) FROM hs_classification GROUP BY chapter`, nil,
		func(r *row) []any { return []any{&r.chapter, &r.sectors, &r.minRaw, &r.maxRaw} })
	if err != nil {
		return nil, err
	}
	out := map[string]ChapterClass{}
	for _, r := range rows {
		c := ChapterClass{Sector: SectorMixed, Class: ClassMixed}
		if len(r.sectors) == 1 {
			c.Sector = r.sectors[0]
			if c.Sector == "" {
				c.Sector = "unassigned"
			}
		}
		switch {
		case r.minRaw == 1:
			c.Class = ClassRaw
		case r.maxRaw == 0:
			c.Class = ClassNonRaw
		}
		out[r.chapter] = c
	}
	return out, nil
}

// classOf is a chapter's class, with the default for chapters without codes.
func classOf(classes map[string]ChapterClass, chapter string) ChapterClass {
	if c, ok := classes[chapter]; ok {
		return c
	}
	return ChapterClass{Sector: "unassigned", Class: ClassNonRaw}
}

// monthsOf lists the first days of the months from..to.
func monthsOf(from, to time.Time) []time.Time {
	var out []time.Time
	m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(to.Year(), to.Month(), 1, 0, 0, 0, 0, time.UTC)
	for ; !m.After(end) && len(out) < 1200; m = m.AddDate(0, 1, 0) {
		out = append(out, m)
	}
	return out
}

// realisedCell is the statistics of one partner, month and chapter.
type realisedCell struct {
	Partner  string
	Month    time.Time
	Chapter  string
	Thousand decimal.Decimal
	Rate     decimal.Decimal // KZT per USD on the month's last day; 0 without rate
	RateDay  time.Time
	Found    bool
}

// dealCell is the deals of one buyer country, month, chapter, stage and raw flag.
type dealCell struct {
	Country string
	Month   time.Time
	Chapter string
	Stage   string
	Raw     uint8
	Deals   uint64
	USD     decimal.Decimal
	KZT     decimal.Decimal
	NoRate  uint64
}

// TradeCompare sets the realised exports against the deals, by key (see
// the definitions at the top of this file).
func TradeCompare(ctx context.Context, conn driver.Conn, by TradeBy, f TradeFilter) (TradeComparison, error) {
	if !slices.Contains(TradeBreakdowns, by) {
		return TradeComparison{}, fmt.Errorf("unknown breakdown %q", by)
	}
	months := monthsOf(f.From, f.To)
	if len(months) == 0 {
		return TradeComparison{Total: newFigure("all")}, nil
	}
	from, to := months[0], months[len(months)-1].AddDate(0, 1, -1)
	classes, err := ChapterClasses(ctx, conn)
	if err != nil {
		return TradeComparison{}, err
	}
	partnerCond, args := "partner = ?", []any{from.Format(time.DateOnly), to.Format(time.DateOnly), f.Partner}
	if by == TradeByPartner {
		partnerCond = "partner != ''"
		if f.Partner != "" {
			partnerCond = "partner = ?"
		} else {
			args = args[:2]
		}
	}
	// The month-end USD rate from fx_join (fx.go), keyed 'USD' + the month's
	// last day; a day fx_join does not hold gives fx_found 0: without rate.
	get := func(column string) string { return "joinGet('fx_join', '" + column + "', fx_key)" }
	realised, err := queryRows(ctx, conn, "realised exports", `SELECT partner, month, chapter, thousand,
			if(`+get("fx_found")+` = 1, `+get("kzt_per_usd")+`, toDecimal128(0, 8)), `+get("rate_day")+`, `+get("fx_found")+` = 1
		FROM (
			SELECT partner, month, chapter, sum(value_thousand_usd) AS thousand,
				concat('USD', toString(subtractDays(addMonths(month, 1), 1))) AS fx_key
			FROM trade_exports
			WHERE edition_id IN (`+currentEditions+`) AND month >= toDate(?) AND month <= toDate(?) AND `+partnerCond+`
			GROUP BY partner, month, chapter
		)`, args,
		func(r *realisedCell) []any {
			return []any{&r.Partner, &r.Month, &r.Chapter, &r.Thousand, &r.Rate, &r.RateDay, &r.Found}
		})
	if err != nil {
		return TradeComparison{}, err
	}
	if f.RealisedOnly {
		return compareTrade(by, f, months, classes, realised, nil), nil
	}
	base, dargs := dealsClassified(ExportFilter{BuyerCountry: f.Partner}, CommittedStages)
	dargs = append(dargs, from.Format(time.DateOnly), to.Format(time.DateOnly))
	deals, err := queryRows(ctx, conn, "deals against realised exports", `SELECT buyer_country, toStartOfMonth(deal_date) AS deal_month,
			hs_chapter, stage, raw, toUInt64(count()), sumIf(value_usd, fx_missing = 0), sumIf(value_kzt, fx_missing = 0),
			toUInt64(countIf(fx_missing = 1))
		FROM (`+base+`)
		WHERE deal_date >= toDate(?) AND deal_date <= toDate(?)
		GROUP BY buyer_country, deal_month, hs_chapter, stage, raw`, dargs,
		func(r *dealCell) []any {
			return []any{&r.Country, &r.Month, &r.Chapter, &r.Stage, &r.Raw, &r.Deals, &r.USD, &r.KZT, &r.NoRate}
		})
	if err != nil {
		return TradeComparison{}, err
	}
	return compareTrade(by, f, months, classes, realised, deals), nil
}

func newFigure(key string) TradeFigure {
	z := decimal.Zero
	return TradeFigure{Key: key, RealisedUSD: z, RealisedNonRawUSD: z, RealisedMixedUSD: z, DealsUSD: z, DealsNonRawUSD: z,
		Contracted: TradeDeals{USD: z, KZT: z}, Shipped: TradeDeals{USD: z, KZT: z}, Paid: TradeDeals{USD: z, KZT: z},
		RealisedKZT: z, RealisedNonRawKZT: z, RealisedMixedKZT: z, DealsKZT: z, DealsNonRawKZT: z,
		realisedThousand: z, nonRawThousand: z, mixedThousand: z, realisedKZTExact: z, nonRawKZTExact: z, mixedKZTExact: z}
}

// compareTrade combines the cells into the comparison; it is TradeCompare
// without the queries, so the rules can be tested on cells.
func compareTrade(by TradeBy, f TradeFilter, months []time.Time, classes map[string]ChapterClass, realised []realisedCell, deals []dealCell) TradeComparison {
	keep := func(chapter string) bool {
		c := classOf(classes, chapter)
		return (f.Chapter == "" || f.Chapter == chapter) && (f.Sector == "" || f.Sector == c.Sector) && (f.Class == "" || f.Class == c.Class)
	}
	keyOf := func(partner string, month time.Time, chapter string) string {
		switch by {
		case TradeByChapter:
			return chapter
		case TradeBySector:
			return classOf(classes, chapter).Sector
		case TradeByClass:
			return classOf(classes, chapter).Class
		case TradeByPartner:
			return partner
		case TradeByMonth:
			return month.Format("2006-01")
		}
		return "all"
	}
	type scoped struct {
		partner string
		month   time.Time
	}
	has := map[scoped]bool{} // months with statistics, per scope
	for _, r := range realised {
		has[scoped{r.Partner, r.Month}] = true
	}
	figures := map[string]*TradeFigure{}
	get := func(k string) *TradeFigure {
		if figures[k] == nil {
			fig := newFigure(k)
			figures[k] = &fig
		}
		return figures[k]
	}
	total := newFigure("all")
	addRealised := func(fig *TradeFigure, r realisedCell) {
		kzt := decimal.Zero // a month without rate adds nothing in KZT
		if r.Found {
			kzt = r.Thousand.Mul(r.Rate)
		}
		fig.realisedThousand = fig.realisedThousand.Add(r.Thousand)
		fig.realisedKZTExact = fig.realisedKZTExact.Add(kzt)
		switch classOf(classes, r.Chapter).Class {
		case ClassNonRaw:
			fig.nonRawThousand = fig.nonRawThousand.Add(r.Thousand)
			fig.nonRawKZTExact = fig.nonRawKZTExact.Add(kzt)
		case ClassMixed:
			fig.mixedThousand = fig.mixedThousand.Add(r.Thousand)
			fig.mixedKZTExact = fig.mixedKZTExact.Add(kzt)
		}
	}
	for _, r := range realised {
		if !keep(r.Chapter) {
			continue
		}
		addRealised(get(keyOf(r.Partner, r.Month, r.Chapter)), r)
		addRealised(&total, r)
	}
	addDeals := func(fig *TradeFigure, d dealCell) {
		var st *TradeDeals
		switch d.Stage {
		case "contracted":
			st = &fig.Contracted
		case "shipped":
			st = &fig.Shipped
		case "paid":
			st = &fig.Paid
		default:
			return
		}
		st.Deals += d.Deals
		st.USD = st.USD.Add(d.USD)
		st.KZT = st.KZT.Add(d.KZT)
		fig.DealsUSD = fig.DealsUSD.Add(d.USD)
		fig.DealsKZT = fig.DealsKZT.Add(d.KZT)
		if d.Raw == 0 {
			fig.DealsNonRawUSD = fig.DealsNonRawUSD.Add(d.USD)
			fig.DealsNonRawKZT = fig.DealsNonRawKZT.Add(d.KZT)
		}
		fig.DealsWithoutRate += d.NoRate
	}
	for _, d := range deals {
		scope := scoped{f.Partner, d.Month}
		if by == TradeByPartner {
			scope.partner = d.Country
		}
		if !has[scope] || !keep(d.Chapter) || (f.Partner != "" && d.Country != f.Partner) {
			continue
		}
		addDeals(get(keyOf(d.Country, d.Month, d.Chapter)), d)
		addDeals(&total, d)
	}
	var out TradeComparison
	for _, fig := range figures {
		out.Rows = append(out.Rows, finish(*fig))
	}
	slices.SortFunc(out.Rows, func(a, b TradeFigure) int {
		if by == TradeByPartner { // the largest partner first
			if c := b.RealisedUSD.Cmp(a.RealisedUSD); c != 0 {
				return c
			}
		}
		return strings.Compare(a.Key, b.Key)
	})
	out.Total = finish(total)
	for _, m := range months {
		with := false
		for s := range has {
			if s.month.Equal(m) && (by == TradeByPartner || s.partner == f.Partner) {
				with = true
				break
			}
		}
		if with {
			out.MonthsWith = append(out.MonthsWith, m.Format("2006-01"))
			mr := TradeMonthRate{Month: m.Format("2006-01"), LastDay: m.AddDate(0, 1, -1), KZTPerUSD: decimal.Zero}
			for _, r := range realised { // every cell of a month has the month's rate
				if r.Month.Equal(m) {
					mr.Found, mr.RateDay = r.Found, r.RateDay
					if r.Found {
						mr.KZTPerUSD = r.Rate
					}
					break
				}
			}
			out.MonthRates = append(out.MonthRates, mr)
			if !mr.Found {
				out.MonthsWithoutRate = append(out.MonthsWithoutRate, mr.Month)
			}
		} else {
			out.MonthsWithout = append(out.MonthsWithout, m.Format("2006-01"))
		}
	}
	return out
}

// finish turns a figure's thousands into USD to the cent and computes its shares.
func finish(f TradeFigure) TradeFigure {
	thousand := decimal.NewFromInt(1000)
	f.RealisedUSD = f.realisedThousand.Mul(thousand).Round(2)
	f.RealisedNonRawUSD = f.nonRawThousand.Mul(thousand).Round(2)
	f.RealisedMixedUSD = f.mixedThousand.Mul(thousand).Round(2)
	f.RealisedKZT = f.realisedKZTExact.Mul(thousand).Round(2)
	f.RealisedNonRawKZT = f.nonRawKZTExact.Mul(thousand).Round(2)
	f.RealisedMixedKZT = f.mixedKZTExact.Mul(thousand).Round(2)
	share := func(part, whole decimal.Decimal) *decimal.Decimal {
		if whole.IsZero() {
			return nil
		}
		s := part.DivRound(whole, 4)
		return &s
	}
	f.Coverage = share(f.DealsUSD, f.realisedThousand.Mul(thousand))
	f.RealisedNonRaw = share(f.nonRawThousand, f.realisedThousand)
	f.RealisedMixed = share(f.mixedThousand, f.realisedThousand)
	f.DealsNonRaw = share(f.DealsNonRawUSD, f.DealsUSD)
	return f
}
