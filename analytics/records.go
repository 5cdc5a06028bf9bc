package analytics

// Lists of records behind the figures (issue 18): leads, deals, barriers and
// decisions, filtered by the keys of a figure, sorted and paginated in
// ClickHouse. Each list reads the same base query as the figures it stands
// behind (lead_states FINAL as the pipeline, dealsClassified as the export
// figures, barriersBase as the barrier figures, decisionsAsOf as the
// commission figures), so a list filtered by a figure's keys holds exactly
// the records the figure counts: its Total is the figure's count.
//
// No personal data: contact persons never reach ClickHouse.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
)

// ListPage is the order and the page of a list: Sort names one of the
// list's sort keys (ListSorts); the record id breaks ties, so pages never
// overlap.
type ListPage struct {
	Sort   string
	Desc   bool
	Limit  int // 1..1000; 0: 50
	Offset int
}

// ListSorts are the sort keys of each list, in the order a page offers them.
var ListSorts = map[string][]string{
	"leads":     {"updated", "title", "investor", "country", "sector", "stage", "capex", "post"},
	"deals":     {"deal_date", "exporter", "buyer_country", "hs_code", "sector", "stage", "value", "post"},
	"barriers":  {"reported_on", "title", "country", "type", "status", "value", "post"},
	"decisions": {"deadline", "commission", "session", "item", "status", "sector"},
}

var sortColumns = map[string]map[string]string{
	"leads": {"updated": "updated_at", "title": "title", "investor": "investor_name", "country": "investor_country", "sector": "sector_code",
		"stage": "stage", "capex": "amount_usd", "post": "post"},
	"deals": {"deal_date": "deal_date", "exporter": "exporter_name", "buyer_country": "buyer_country", "hs_code": "hs_code", "sector": "sector_code",
		"stage": "stage", "value": "value_usd", "post": "post"},
	"barriers": {"reported_on": "reported_on", "title": "title", "country": "country", "type": "type", "status": "status",
		"value": "value_at_stake_usd", "post": "post"},
	"decisions": {"deadline": "deadline", "commission": "commission_id", "session": "session_number", "item": "item",
		"status": "status", "sector": "sector_code"},
}

var idColumn = map[string]string{"leads": "id", "deals": "deal_id", "barriers": "barrier_id", "decisions": "decision_id"}

// orderBy is the ORDER BY, LIMIT and OFFSET of a page of list kind.
func (p ListPage) orderBy(kind string) (string, error) {
	sorts, known := ListSorts[kind]
	if !known {
		return "", fmt.Errorf("no list of %q", kind)
	}
	col, ok := sortColumns[kind][p.Sort]
	if p.Sort == "" {
		col, ok = sortColumns[kind][sorts[0]], true
	}
	if !ok {
		return "", fmt.Errorf("%s: unknown sort %q", kind, p.Sort)
	}
	dir := ""
	if p.Desc {
		dir = " DESC"
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	if limit > 1000 || p.Offset < 0 {
		return "", fmt.Errorf("%s: page out of range", kind)
	}
	return fmt.Sprintf("ORDER BY %s%s, %s%s LIMIT %d OFFSET %d", col, dir, idColumn[kind], dir, limit, p.Offset), nil
}

// where is a list's conditions over its base query's columns.
type where struct {
	conds []string
	args  []any
}

func (w *where) eq(column, value string) {
	if value != "" {
		w.conds = append(w.conds, column+" = ?")
		w.args = append(w.args, value)
	}
}

func (w *where) in(column string, values []string) {
	if len(values) == 0 {
		return
	}
	marks := make([]string, len(values))
	for i, v := range values {
		marks[i] = "?"
		w.args = append(w.args, v)
	}
	w.conds = append(w.conds, column+" IN ("+strings.Join(marks, ", ")+")")
}

func (w *where) has(column, value string) {
	if value != "" {
		w.conds = append(w.conds, "has("+column+", ?)")
		w.args = append(w.args, value)
	}
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return "1"
	}
	return strings.Join(w.conds, " AND ")
}

// listed runs a list: the total over base filtered by w, then the page's
// columns cols, scanned by scan.
func listed[T any](ctx context.Context, conn driver.Conn, kind, base string, baseArgs []any, w where, p ListPage, cols string,
	scan func(driver.Rows) (T, error)) (rows []T, total uint64, err error) {
	order, err := p.orderBy(kind)
	if err != nil {
		return nil, 0, err
	}
	filtered := `SELECT * FROM (` + base + `) WHERE ` + w.sql()
	args := append(append([]any{}, baseArgs...), w.args...)
	if err := conn.QueryRow(joinContext(ctx), `SELECT toUInt64(count()) FROM (`+filtered+`)`, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("%s list: count: %w", kind, err)
	}
	r, err := conn.Query(joinContext(ctx), `SELECT `+cols+` FROM (`+filtered+`) `+order, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("%s list: %w", kind, err)
	}
	defer r.Close()
	for r.Next() {
		row, err := scan(r)
		if err != nil {
			return nil, 0, fmt.Errorf("%s list row: %w", kind, err)
		}
		rows = append(rows, row)
	}
	return rows, total, r.Err()
}

// LeadListFilter narrows the list of leads by the keys of the investment
// figures. Sector "unassigned" is the leads without one (as the figures).
type LeadListFilter struct {
	Post, Country, Sector, Clause string
	Stages                        []string
	// Metric (Committed or Realised) with Years: the leads the scorecard's
	// investment figure counts in those years (entered the stage then, and
	// are still at or past it).
	Metric string
	Years  []int
	// Commission: the leads linked from the commission's decisions as of AsOf
	// (the figure "decisions that led to investment").
	Commission    string
	AsOf          time.Time
	DecisionYears []int // with Commission: the decisions' deadline years, as the commission figures' filter
}

// LeadListRow is one lead of a list (no contact persons: they never reach ClickHouse).
type LeadListRow struct {
	ID        string          `json:"id"`
	Title     string          `json:"title"`
	Investor  string          `json:"investor"`
	Country   string          `json:"country"`
	Post      string          `json:"post"`
	Sector    string          `json:"sector"`
	Stage     string          `json:"stage"`
	Capex     decimal.Decimal `json:"capex"`
	Currency  string          `json:"currency"`
	CapexUSD  decimal.Decimal `json:"capex_usd"`
	CapexKZT  decimal.Decimal `json:"capex_kzt"`
	NoRate    bool            `json:"no_rate"`
	StageDay  string          `json:"stage_day"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// ListLeads lists the leads in f, one page of them, and how many there are.
// Capex converts at the rates of the day the lead's stage took effect, as
// the pipeline does.
func ListLeads(ctx context.Context, conn driver.Conn, f LeadListFilter, p ListPage) ([]LeadListRow, uint64, error) {
	base := converted(`SELECT toString(lead_id) AS id, title, investor_name, investor_country, post, if(sector = '', 'unassigned', sector) AS sector_code,
			clauses, stage, capex AS fx_amount, currency AS fx_currency, stage_day AS fx_day, updated_at
		FROM (SELECT * FROM lead_states FINAL)`)
	var baseArgs []any
	var w where
	w.eq("post", f.Post)
	w.eq("investor_country", f.Country)
	w.eq("sector_code", f.Sector)
	w.has("clauses", f.Clause)
	w.in("stage", f.Stages)
	if f.Metric != "" {
		st, ok := investmentStage[f.Metric]
		if !ok {
			return nil, 0, fmt.Errorf("leads: unknown metric %q", f.Metric)
		}
		q, args := enteredStage(st.entered, st.now, KPIFilter{Years: f.Years})
		w.add("id IN (SELECT toString(lead_id) FROM ("+q+"))", args...)
	}
	if f.Commission != "" {
		q, args, err := decisionsAsOf(f.AsOf, CommissionFilter{CommissionID: f.Commission, Years: f.DecisionYears})
		if err != nil {
			return nil, 0, err
		}
		w.add("id IN (SELECT arrayJoin(lead_ids) FROM ("+q+"))", args...)
	}
	return listed(ctx, conn, "leads", base, baseArgs, w, p,
		"id, title, investor_name, investor_country, post, sector_code, stage, fx_amount, fx_currency, amount_usd, amount_kzt, fx_missing, fx_day, updated_at",
		func(r driver.Rows) (LeadListRow, error) {
			var l LeadListRow
			var missing uint8
			var stageDay time.Time
			err := r.Scan(&l.ID, &l.Title, &l.Investor, &l.Country, &l.Post, &l.Sector, &l.Stage, &l.Capex, &l.Currency, &l.CapexUSD, &l.CapexKZT,
				&missing, &stageDay, &l.UpdatedAt)
			l.NoRate, l.StageDay = missing == 1, stageDay.Format(time.DateOnly)
			return l, err
		})
}

// DealListFilter narrows the list of deals by the keys of the export
// figures (ExportFilter's, with the same meaning) and a few more.
type DealListFilter struct {
	ExportFilter
	Clause  string // a Concept clause the deal names
	Chapter string // HS chapter, 2 digits
	Raw     string // "1" raw, "0" non-raw, "": both
	// Commission: the deals that followed from the commission's decisions
	// as of AsOf (DecisionExports: a decision names the deal, or the deal
	// names the decision).
	Commission    string
	AsOf          time.Time
	DecisionYears []int // with Commission: the decisions' deadline years, as the commission figures' filter
}

// DealListRow is one deal of a list.
type DealListRow struct {
	ID           string          `json:"id"`
	Post         string          `json:"post"`
	Exporter     string          `json:"exporter"`
	BuyerCountry string          `json:"buyer_country"`
	HSCode       string          `json:"hs_code"`
	Sector       string          `json:"sector"`
	Raw          bool            `json:"raw"`
	Stage        string          `json:"stage"`
	DealDate     string          `json:"deal_date"`
	Value        decimal.Decimal `json:"value"`
	Currency     string          `json:"currency"`
	USD          decimal.Decimal `json:"usd"`
	KZT          decimal.Decimal `json:"kzt"`
	NoRate       bool            `json:"no_rate"`
}

// ListDeals lists the deals in f, one page of them, and how many there are.
func ListDeals(ctx context.Context, conn driver.Conn, f DealListFilter, p ListPage) ([]DealListRow, uint64, error) {
	base, baseArgs := dealsClassified(f.ExportFilter, nil)
	var w where
	w.has("clauses", f.Clause)
	w.eq("hs_chapter", f.Chapter)
	switch f.Raw {
	case "":
	case "0", "1":
		w.add("raw = " + f.Raw)
	default:
		return nil, 0, fmt.Errorf("deals: raw is 0 or 1, not %q", f.Raw)
	}
	if f.Commission != "" {
		linked, args, err := linkedDeals(f.AsOf, CommissionFilter{CommissionID: f.Commission, Years: f.DecisionYears})
		if err != nil {
			return nil, 0, err
		}
		w.add("deal_id IN (SELECT deal_key FROM ("+linked+"))", args...)
	}
	return listed(ctx, conn, "deals", base, baseArgs, w, p,
		"deal_id, post, exporter_name, buyer_country, hs_code, sector_code, raw, stage, deal_date, value, currency, value_usd, value_kzt, fx_missing",
		func(r driver.Rows) (DealListRow, error) {
			var d DealListRow
			var raw, missing uint8
			var dealDate time.Time
			err := r.Scan(&d.ID, &d.Post, &d.Exporter, &d.BuyerCountry, &d.HSCode, &d.Sector, &raw, &d.Stage, &dealDate, &d.Value, &d.Currency,
				&d.USD, &d.KZT, &missing)
			d.Raw, d.NoRate, d.DealDate = raw == 1, missing == 1, dealDate.Format(time.DateOnly)
			return d, err
		})
}

// BarrierListFilter narrows the list of barriers by the keys of the barrier
// figures. State is "open", "dormant" or "resolved" (the figures' flags);
// ResolvedYears: resolved in those years (by the resolution day).
type BarrierListFilter struct {
	BarrierFilter
	State         string
	Statuses      []string
	ResolvedYears []int
}

// BarrierListRow is one barrier of a list.
type BarrierListRow struct {
	ID         string          `json:"id"`
	Post       string          `json:"post"`
	Country    string          `json:"country"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Status     string          `json:"status"`
	HasValue   bool            `json:"has_value"`
	Value      decimal.Decimal `json:"value"`
	Currency   string          `json:"currency"`
	USD        decimal.Decimal `json:"usd"`
	KZT        decimal.Decimal `json:"kzt"`
	NoRate     bool            `json:"no_rate"`
	ReportedOn string          `json:"reported_on"`
	ResolvedOn string          `json:"resolved_on,omitempty"`
}

// ListBarriers lists the barriers in f, one page of them, and how many there are.
func ListBarriers(ctx context.Context, conn driver.Conn, f BarrierListFilter, p ListPage) ([]BarrierListRow, uint64, error) {
	base, baseArgs := barriersBase(f.BarrierFilter)
	var w where
	switch f.State {
	case "":
	case "open", "dormant", "resolved":
		w.add("is_" + f.State + " = 1")
	default:
		return nil, 0, fmt.Errorf("barriers: unknown state %q", f.State)
	}
	w.in("status", f.Statuses)
	if len(f.ResolvedYears) > 0 {
		w.add("is_resolved = 1 AND isNotNull(resolved_on) AND " + yearsIn("toYear(assumeNotNull(resolved_on))", f.ResolvedYears))
	}
	return listed(ctx, conn, "barriers", base, baseArgs, w, p,
		"barrier_id, post, country, type, title, status, has_value, value_at_stake, currency, value_at_stake_usd, amount_kzt, fx_missing, reported_on, resolved_on",
		func(r driver.Rows) (BarrierListRow, error) {
			var b BarrierListRow
			var hasValue, missing uint8
			var reported time.Time
			var resolved *time.Time
			err := r.Scan(&b.ID, &b.Post, &b.Country, &b.Type, &b.Title, &b.Status, &hasValue, &b.Value, &b.Currency, &b.USD, &b.KZT,
				&missing, &reported, &resolved)
			b.HasValue, b.NoRate, b.ReportedOn = hasValue == 1, missing == 1, reported.Format(time.DateOnly)
			if resolved != nil {
				b.ResolvedOn = resolved.Format(time.DateOnly)
			}
			return b, err
		})
}

// DecisionListFilter narrows the list of decisions by the keys of the
// commission figures, as of a day (decisionsAsOf). Flag is one of the
// definitions' flags: due, on_time, late, overdue, cancelled.
type DecisionListFilter struct {
	CommissionFilter
	AsOf     time.Time
	Flag     string
	Statuses []string
	Sector   string // "unassigned" for decisions without one
	Clause   string // "unassigned" for decisions without clauses
	Agency   string // "unassigned" for decisions without agencies
	// WithLeads: only the decisions linked to at least one lead.
	WithLeads bool
}

// DecisionListRow is one decision of a list.
type DecisionListRow struct {
	CommissionID  string   `json:"commission_id"`
	ID            string   `json:"id"`
	SessionNumber uint32   `json:"session_number"`
	SessionDate   string   `json:"session_date"`
	Item          string   `json:"item"`
	Text          string   `json:"text"`
	Agencies      []string `json:"agencies"`
	Sector        string   `json:"sector"`
	Deadline      string   `json:"deadline"`
	Status        string   `json:"status"`
	DoneOn        string   `json:"done_on,omitempty"`
	Leads         int      `json:"leads"`
	Deals         int      `json:"deals"`
}

var decisionFlags = map[string]string{"due": "is_due", "on_time": "is_on_time", "late": "is_late", "overdue": "is_overdue", "cancelled": "is_cancelled"}

// ListDecisions lists the decisions in f as of f.AsOf, one page of them, and how many there are.
func ListDecisions(ctx context.Context, conn driver.Conn, f DecisionListFilter, p ListPage) ([]DecisionListRow, uint64, error) {
	inner, baseArgs, err := decisionsAsOf(f.AsOf, f.CommissionFilter)
	if err != nil {
		return nil, 0, err
	}
	base := `SELECT *, if(sector = '', 'unassigned', sector) AS sector_code FROM (` + inner + `)`
	var w where
	if f.Flag != "" {
		col, ok := decisionFlags[f.Flag]
		if !ok {
			return nil, 0, fmt.Errorf("decisions: unknown flag %q", f.Flag)
		}
		w.add(col + " = 1")
	}
	w.in("status", f.Statuses)
	w.eq("sector_code", f.Sector)
	switch f.Clause {
	case "":
	case "unassigned":
		w.add("empty(clauses)")
	default:
		w.has("clauses", f.Clause)
	}
	switch f.Agency {
	case "":
	case "unassigned":
		w.add("empty(agencies)")
	default:
		w.has("agencies", f.Agency)
	}
	if f.WithLeads {
		w.add("notEmpty(lead_ids)")
	}
	return listed(ctx, conn, "decisions", base, baseArgs, w, p,
		"commission_id, decision_id, session_number, session_date, item, text, agencies, sector_code, deadline, status, done_on, length(lead_ids), length(deal_ids)",
		func(r driver.Rows) (DecisionListRow, error) {
			var d DecisionListRow
			var session, deadline time.Time
			var done *time.Time
			var leads, deals uint64
			err := r.Scan(&d.CommissionID, &d.ID, &d.SessionNumber, &session, &d.Item, &d.Text, &d.Agencies, &d.Sector, &deadline, &d.Status, &done, &leads, &deals)
			d.SessionDate, d.Deadline, d.Leads, d.Deals = session.Format(time.DateOnly), deadline.Format(time.DateOnly), int(leads), int(deals)
			if done != nil {
				d.DoneOn = done.Format(time.DateOnly)
			}
			return d, err
		})
}

// linkedDeals is a query of the distinct (commission_id, deal_key) pairs
// of the deals that followed from the decisions in f as of asOf: a decision
// names the deal (deal_ids), or the deal names the decision (its
// decision_id). Decision ids are UUIDs, unique across commissions.
func linkedDeals(asOf time.Time, f CommissionFilter) (string, []any, error) {
	base, args, err := decisionsAsOf(asOf, f)
	if err != nil {
		return "", nil, err
	}
	q := `SELECT DISTINCT commission_id, deal_key FROM (
			SELECT commission_id, arrayJoin(deal_ids) AS deal_key FROM (` + base + `)
			UNION ALL
			SELECT commission_id, deal_key FROM (
				SELECT deal_id AS deal_key, decision_id FROM (SELECT deal_id, decision_id FROM deal_states FINAL) WHERE decision_id != ''
			) ANY INNER JOIN (
				SELECT decision_id, commission_id FROM (` + base + `)
			) USING decision_id
		)`
	return q, append(append([]any{}, args...), args...), nil
}

// DecisionExportsYear is the exports that followed from one commission's
// decisions in one year.
type DecisionExportsYear struct {
	CommissionID     string          `json:"commission_id"`
	Name             string          `json:"name"` // empty while the commission itself is not recorded
	Year             uint16          `json:"year"` // the deal's year (deal date: the contract date, else the day recorded)
	Deals            uint64          `json:"deals"`
	ValueUSD         decimal.Decimal `json:"value_usd"` // deals without a rate left out
	ValueKZT         decimal.Decimal `json:"value_kzt"`
	DealsWithoutRate uint64          `json:"deals_without_rate"`
	rateAge
}

// DecisionExports is the figure "exports that followed from IGC decisions,
// by commission and year": per commission and year of the deal date, the
// realised or committed deals (contracted, shipped or paid, as every export
// figure) that a decision in f as of asOf names, or that name such a
// decision, each deal once per commission, valued in USD and KZT at the
// rates of its deal date (as the export figures). A deal linked from two
// commissions counts for each. f.Years are the decisions' deadline years,
// as in the other commission figures.
func DecisionExports(ctx context.Context, conn driver.Conn, asOf time.Time, f CommissionFilter) ([]DecisionExportsYear, error) {
	linked, args, err := linkedDeals(asOf, f)
	if err != nil {
		return nil, err
	}
	deals, dealArgs := dealsClassified(ExportFilter{}, CommittedStages)
	// 18.16 allows one JOIN per SELECT, so the joins nest. ANY INNER: each
	// (commission, deal) pair takes its deal's one current row.
	q := `SELECT commission_id, name, deal_year, deal_count, value_sum, value_kzt_sum, no_rate, stale_rate, max_rate_age, rate_too_old
		FROM (
			SELECT commission_id, deal_year, toUInt64(count()) AS deal_count,
				sumIf(value_usd, fx_missing = 0) AS value_sum, sumIf(value_kzt, fx_missing = 0) AS value_kzt_sum,
				toUInt64(countIf(fx_missing = 1)) AS no_rate, ` + rateAgeSQL("1") + `
			FROM (
				SELECT commission_id, deal_key, deal_year, value_usd, value_kzt, fx_missing, fx_stale, fx_expired, fx_age_days
				FROM (` + linked + `) ANY INNER JOIN (
					SELECT deal_id AS deal_key, deal_year, value_usd, value_kzt, fx_missing, fx_stale, fx_expired, fx_age_days FROM (` + deals + `)
				) USING deal_key
			)
			GROUP BY commission_id, deal_year
		) ANY LEFT JOIN (
			SELECT commission_id, name FROM commission_states FINAL
		) USING commission_id
		ORDER BY commission_id, deal_year`
	rows, err := conn.Query(joinContext(ctx), q, append(args, dealArgs...)...)
	if err != nil {
		return nil, fmt.Errorf("decision exports: %w", err)
	}
	defer rows.Close()
	var out []DecisionExportsYear
	for rows.Next() {
		var r DecisionExportsYear
		if err := rows.Scan(&r.CommissionID, &r.Name, &r.Year, &r.Deals, &r.ValueUSD, &r.ValueKZT, &r.DealsWithoutRate,
			&r.Stale, &r.MaxRateAge, &r.TooOld); err != nil {
			return nil, fmt.Errorf("decision exports row: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// YearsText is years as a list parameter ("2025,2026").
func YearsText(years []int) string {
	s := make([]string, len(years))
	for i, y := range years {
		s[i] = strconv.Itoa(y)
	}
	return strings.Join(s, ",")
}

// DecisionsForDeal lists the decisions linked to a deal, the deal's side of
// a link: those that name the deal (deal_ids) and the one the deal names
// (decisionID, "" for none).
func DecisionsForDeal(ctx context.Context, conn driver.Conn, dealID, decisionID string) ([]LinkedDecision, error) {
	return linkedDecisions(ctx, conn, "decisions for deal", "has(deal_ids, ?) OR (decision_id = ? AND decision_id != '')", strings.ToLower(dealID), decisionID)
}

// DealsNamingDecision lists the deals whose own link names the decision, by id.
func DealsNamingDecision(ctx context.Context, conn driver.Conn, decisionID string) ([]string, error) {
	rows, err := conn.Query(ctx, `SELECT deal_id FROM (SELECT deal_id, decision_id FROM deal_states FINAL) WHERE decision_id = ? ORDER BY deal_id`, decisionID)
	if err != nil {
		return nil, fmt.Errorf("deals naming decision: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("deals naming decision: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
