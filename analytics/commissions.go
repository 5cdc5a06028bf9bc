package analytics

// Execution of the decisions of intergovernmental commissions (IGC).
//
// Every function here takes asOf, the day the figures are "as of": a calendar
// day in Astana time that the caller computes (only asOf's year, month and day
// in its own location are used). The queries never ask ClickHouse for today:
// Debian's ClickHouse 18.16 has an old time-zone database that puts Astana at
// UTC+6, so its today() is wrong for an hour every night.
//
// Definitions, as of a day D:
//   - A decision counts from the day of the session that took it: decisions of
//     sessions held after D are left out of every figure.
//   - Due: not cancelled, and its deadline is before D (the deadline day has
//     ended). A decision whose deadline is D itself is not due yet.
//   - Done on time: due, status done, and done on or before its deadline.
//   - Done late: due, status done, and done after its deadline; days late =
//     done_on - deadline.
//   - Overdue: due and still open or in progress; days late = D - deadline.
//     So every due decision is exactly one of done on time, done late, overdue.
//   - Execution rate = done on time / due, to 4 decimal places; absent (nil)
//     when nothing is due, which is not the same as a rate of 0.
//   - Statuses are the current ones: a decision done after D counts as done.
//
// Each decision counts once, in its latest version (FINAL collapses
// redelivered events and older versions). Filters that are not part of a
// table's key are applied outside the FINAL read, so an older version can
// never match a filter that the latest one fails.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
)

// CommissionFilter narrows the commission figures; the zero value takes everything.
type CommissionFilter struct {
	CommissionID string // e.g. "igc-cn"; empty: every commission
	Years        []int  // years of the decisions' deadlines; empty: every year
}

// Execution counts decisions as of a day; see the definitions at the top of
// this file. Due = DoneOnTime + DoneLate + Overdue; Total also holds the
// cancelled decisions and those not due yet.
type Execution struct {
	Due        uint64           `json:"due"`
	DoneOnTime uint64           `json:"done_on_time"`
	DoneLate   uint64           `json:"done_late"`
	Overdue    uint64           `json:"overdue"`
	Cancelled  uint64           `json:"cancelled"`
	Total      uint64           `json:"total"`
	Rate       *decimal.Decimal `json:"rate"` // DoneOnTime / Due, 4 places; nil when nothing is due
}

// CommissionExecution is the execution of one commission's decisions.
type CommissionExecution struct {
	CommissionID   string `json:"commission_id"`
	Name           string `json:"name"` // empty while the commission itself is not recorded
	PartnerCountry string `json:"partner_country"`
	Execution
}

// AgencyExecution is the execution of the decisions assigned to one agency.
type AgencyExecution struct {
	Agency string `json:"agency"` // "unassigned" for decisions without agencies
	Execution
}

// YearExecution is the execution of one commission's decisions whose
// deadline falls in one year: execution over time.
type YearExecution struct {
	CommissionID string `json:"commission_id"`
	Year         uint16 `json:"year"` // the deadline's year
	Execution
}

// LateDecision is an overdue or late-done decision.
type LateDecision struct {
	CommissionID  string     `json:"commission_id"`
	DecisionID    string     `json:"decision_id"`
	SessionNumber uint32     `json:"session_number"`
	Item          string     `json:"item"`
	Text          string     `json:"text"`
	Agencies      []string   `json:"agencies"`
	Deadline      time.Time  `json:"deadline"` // a calendar day, midnight UTC
	Status        string     `json:"status"`
	DoneOn        *time.Time `json:"done_on,omitempty"` // set for done decisions
	DaysLate      int32      `json:"days_late"`
}

// DecisionTally counts decisions by status as of a day.
// Decisions = Done + Open + Cancelled; Overdue is part of Open.
type DecisionTally struct {
	Decisions uint64 `json:"decisions"`
	Done      uint64 `json:"done"`
	Open      uint64 `json:"open"` // open or in progress
	Overdue   uint64 `json:"overdue"`
	Cancelled uint64 `json:"cancelled"`
}

// SectorDecisions counts the decisions of one priority sector.
type SectorDecisions struct {
	Sector string `json:"sector"` // "unassigned" for decisions without a sector
	DecisionTally
}

// ClauseDecisions counts the decisions serving one clause of the Foreign Policy Concept.
type ClauseDecisions struct {
	Clause string `json:"clause"` // "unassigned" for decisions without clauses
	DecisionTally
}

// CommissionInvestment is what one commission's decisions led to in investor leads.
type CommissionInvestment struct {
	CommissionID       string          `json:"commission_id"`
	Name               string          `json:"name"`
	Decisions          uint64          `json:"decisions"`
	DecisionsWithLeads uint64          `json:"decisions_with_leads"` // linked to at least one lead
	Leads              uint64          `json:"leads"`                // distinct leads linked from the commission's decisions
	CapexUSD           decimal.Decimal `json:"capex_usd"`            // those leads' capex, each lead once; leads without a rate left out
	CapexKZT           decimal.Decimal `json:"capex_kzt"`            // the same in tenge
	LeadsWithoutRate   uint64          `json:"leads_without_rate"`   // linked leads whose currency has no rate: not in CapexUSD
	LeadsNotFound      uint64          `json:"leads_not_found"`      // linked lead ids not (yet) in lead_states: not in CapexUSD
	rateAge                            // leads at a stale rate, and without rate for a too old one (in LeadsWithoutRate)
}

// DecisionLeads is one decision that led to investor leads.
type DecisionLeads struct {
	CommissionID     string          `json:"commission_id"`
	DecisionID       string          `json:"decision_id"`
	SessionNumber    uint32          `json:"session_number"`
	Item             string          `json:"item"`
	Text             string          `json:"text"`
	Status           string          `json:"status"`
	Leads            []LinkedLead    `json:"leads"`              // ordered by lead id
	CapexUSD         decimal.Decimal `json:"capex_usd"`          // the leads' capex with a rate
	CapexKZT         decimal.Decimal `json:"capex_kzt"`          // the same in tenge
	LeadsWithoutRate uint64          `json:"leads_without_rate"` // leads whose currency has no rate
	rateAge                          // leads at a stale rate, and without rate for a too old one (in LeadsWithoutRate)
	// DetailsWithheld: the reader may not read these leads (WithholdLeadDetails);
	// only their ids are given, and CapexUSD and LeadsWithoutRate are zero.
	DetailsWithheld bool `json:"details_withheld,omitempty"`
}

// WithholdLeadDetails keeps of d's leads their ids only, for a reader who
// may link a decision to a lead (a secretariat) but not read the lead: its
// title, stage and capex, and the decision's sum of them, are the lead's
// record and stay with the roles that may read leads.
func (d *DecisionLeads) WithholdLeadDetails() {
	for i, l := range d.Leads {
		d.Leads[i] = LinkedLead{LeadID: l.LeadID}
	}
	d.CapexUSD, d.CapexKZT, d.LeadsWithoutRate, d.rateAge, d.DetailsWithheld = decimal.Zero, decimal.Zero, 0, rateAge{}, true
}

// LinkedLead is a lead a decision led to, in its current state.
type LinkedLead struct {
	LeadID     string          `json:"lead_id"`
	Found      bool            `json:"found"` // false: the lead is not (yet) in lead_states
	Title      string          `json:"title"`
	Stage      string          `json:"stage"`
	CapexUSD   decimal.Decimal `json:"capex_usd"`
	FXMissing  bool            `json:"fx_missing"`
	recordRate                 // capex in KZT, the rate day used and how old it was
}

// ExecutionByCommission reports, per commission, its decisions due, done on
// time, done late, overdue and cancelled as of asOf, and the execution rate
// (done on time / due). Commissions without decisions in the filter are not listed.
func ExecutionByCommission(ctx context.Context, conn driver.Conn, asOf time.Time, f CommissionFilter) ([]CommissionExecution, error) {
	base, args, err := decisionsAsOf(asOf, f)
	if err != nil {
		return nil, err
	}
	q := `SELECT commission_id, name, if(partner_country = '', decision_country, partner_country) AS country,
			due, done_on_time, done_late, overdue, cancelled, total
		FROM (
			SELECT commission_id, any(partner_country) AS decision_country, ` + executionSums + `
			FROM (` + base + `)
			GROUP BY commission_id
		) ANY LEFT JOIN (
			SELECT commission_id, name, partner_country FROM commission_states FINAL
		) USING commission_id
		ORDER BY commission_id`
	rows, err := conn.Query(joinContext(ctx), q, args...)
	if err != nil {
		return nil, fmt.Errorf("execution by commission: %w", err)
	}
	defer rows.Close()
	var out []CommissionExecution
	for rows.Next() {
		var r CommissionExecution
		if err := rows.Scan(append([]any{&r.CommissionID, &r.Name, &r.PartnerCountry}, executionDest(&r.Execution)...)...); err != nil {
			return nil, fmt.Errorf("execution by commission row: %w", err)
		}
		r.Rate = rate(r.DoneOnTime, r.Due)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ExecutionByAgency reports the execution of decisions per responsible
// agency as of asOf. A decision with several agencies counts for each of
// them, so the totals add up to more than the number of decisions.
func ExecutionByAgency(ctx context.Context, conn driver.Conn, asOf time.Time, f CommissionFilter) ([]AgencyExecution, error) {
	base, args, err := decisionsAsOf(asOf, f)
	if err != nil {
		return nil, err
	}
	q := `SELECT agency, ` + executionSums + `
		FROM (
			SELECT *, arrayJoin(if(empty(agencies), ['unassigned'], agencies)) AS agency
			FROM (` + base + `)
		)
		GROUP BY agency
		ORDER BY agency`
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("execution by agency: %w", err)
	}
	defer rows.Close()
	var out []AgencyExecution
	for rows.Next() {
		var r AgencyExecution
		if err := rows.Scan(append([]any{&r.Agency}, executionDest(&r.Execution)...)...); err != nil {
			return nil, fmt.Errorf("execution by agency row: %w", err)
		}
		r.Rate = rate(r.DoneOnTime, r.Due)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ExecutionByYear reports, per commission and year of deadline, the
// execution of decisions as of asOf: execution over time. Years whose
// deadlines have not passed yet have nothing due and no rate.
func ExecutionByYear(ctx context.Context, conn driver.Conn, asOf time.Time, f CommissionFilter) ([]YearExecution, error) {
	base, args, err := decisionsAsOf(asOf, f)
	if err != nil {
		return nil, err
	}
	q := `SELECT commission_id, toUInt16(toYear(deadline)) AS deadline_year, ` + executionSums + `
		FROM (` + base + `)
		GROUP BY commission_id, deadline_year
		ORDER BY commission_id, deadline_year`
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("execution by year: %w", err)
	}
	defer rows.Close()
	var out []YearExecution
	for rows.Next() {
		var r YearExecution
		if err := rows.Scan(append([]any{&r.CommissionID, &r.Year}, executionDest(&r.Execution)...)...); err != nil {
			return nil, fmt.Errorf("execution by year row: %w", err)
		}
		r.Rate = rate(r.DoneOnTime, r.Due)
		out = append(out, r)
	}
	return out, rows.Err()
}

// OverdueDecisions lists the decisions overdue as of asOf (still open or in
// progress after their deadline day), the longest overdue first; days late =
// asOf - deadline.
func OverdueDecisions(ctx context.Context, conn driver.Conn, asOf time.Time, f CommissionFilter) ([]LateDecision, error) {
	return lateDecisions(ctx, conn, asOf, f, "is_overdue", "dateDiff('day', deadline, as_of)")
}

// DoneLateDecisions lists the due decisions done after their deadline, the
// most days late first; days late = done_on - deadline.
func DoneLateDecisions(ctx context.Context, conn driver.Conn, asOf time.Time, f CommissionFilter) ([]LateDecision, error) {
	return lateDecisions(ctx, conn, asOf, f, "is_late", "dateDiff('day', deadline, assumeNotNull(done_on))")
}

func lateDecisions(ctx context.Context, conn driver.Conn, asOf time.Time, f CommissionFilter, flag, daysLate string) ([]LateDecision, error) {
	base, args, err := decisionsAsOf(asOf, f)
	if err != nil {
		return nil, err
	}
	q := `SELECT commission_id, decision_id, session_number, item, text, agencies, deadline, status, done_on,
			toInt32(` + daysLate + `) AS days_late
		FROM (` + base + `)
		WHERE ` + flag + ` = 1
		ORDER BY days_late DESC, commission_id, session_number, item, decision_id`
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("late decisions (%s): %w", flag, err)
	}
	defer rows.Close()
	var out []LateDecision
	for rows.Next() {
		var r LateDecision
		if err := rows.Scan(&r.CommissionID, &r.DecisionID, &r.SessionNumber, &r.Item, &r.Text, &r.Agencies,
			&r.Deadline, &r.Status, &r.DoneOn, &r.DaysLate); err != nil {
			return nil, fmt.Errorf("late decision row: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DecisionsBySector counts decisions per priority sector as of asOf: all of
// them, done, open (or in progress), overdue among those, and cancelled.
func DecisionsBySector(ctx context.Context, conn driver.Conn, asOf time.Time, f CommissionFilter) ([]SectorDecisions, error) {
	rows, err := tally(ctx, conn, asOf, f, "if(sector = '', 'unassigned', sector)")
	out := make([]SectorDecisions, len(rows))
	for i, r := range rows {
		out[i] = SectorDecisions{Sector: r.key, DecisionTally: r.DecisionTally}
	}
	return out, err
}

// DecisionsByClause counts decisions per clause of the Foreign Policy
// Concept as of asOf, like DecisionsBySector. A decision serving several
// clauses counts for each.
func DecisionsByClause(ctx context.Context, conn driver.Conn, asOf time.Time, f CommissionFilter) ([]ClauseDecisions, error) {
	rows, err := tally(ctx, conn, asOf, f, "arrayJoin(if(empty(clauses), ['unassigned'], clauses))")
	out := make([]ClauseDecisions, len(rows))
	for i, r := range rows {
		out[i] = ClauseDecisions{Clause: r.key, DecisionTally: r.DecisionTally}
	}
	return out, err
}

type keyedTally struct {
	key string
	DecisionTally
}

func tally(ctx context.Context, conn driver.Conn, asOf time.Time, f CommissionFilter, keyExpr string) ([]keyedTally, error) {
	base, args, err := decisionsAsOf(asOf, f)
	if err != nil {
		return nil, err
	}
	q := `SELECT group_key, toUInt64(count()) AS decisions,
			toUInt64(countIf(status = 'done')) AS done,
			toUInt64(countIf(status IN ('open', 'in_progress'))) AS still_open,
			toUInt64(sum(is_overdue)) AS overdue,
			toUInt64(sum(is_cancelled)) AS cancelled
		FROM (SELECT *, ` + keyExpr + ` AS group_key FROM (` + base + `))
		GROUP BY group_key
		ORDER BY group_key`
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("decision tally: %w", err)
	}
	defer rows.Close()
	var out []keyedTally
	for rows.Next() {
		var r keyedTally
		if err := rows.Scan(&r.key, &r.Decisions, &r.Done, &r.Open, &r.Overdue, &r.Cancelled); err != nil {
			return nil, fmt.Errorf("decision tally row: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DecisionInvestment reports, per commission, how many of its decisions (as
// of asOf) led to investor leads, how many distinct leads, and their capex in
// USD from the leads' current state (lead_states): each lead once per
// commission however many of its decisions name it. A lead named by two
// commissions counts for each, so the commissions' sums may add up to more
// than the leads' total. Leads whose currency has no rate, and lead ids not
// (yet) in lead_states, are counted, not summed.
func DecisionInvestment(ctx context.Context, conn driver.Conn, asOf time.Time, f CommissionFilter) ([]CommissionInvestment, error) {
	base, args, err := decisionsAsOf(asOf, f)
	if err != nil {
		return nil, err
	}
	// 18.16 allows one JOIN per SELECT, so the joins nest; ANY: each left row
	// takes at most one right row, and every right side has one row per key.
	q := `SELECT commission_id, name, decisions, with_leads, leads, capex_usd_sum, capex_kzt_sum, no_rate, not_found, stale_rate, max_rate_age, rate_too_old
		FROM (
			SELECT commission_id, decisions, with_leads, leads, capex_usd_sum, capex_kzt_sum, no_rate, not_found, stale_rate, max_rate_age, rate_too_old
			FROM (
				SELECT commission_id, toUInt64(count()) AS decisions, toUInt64(countIf(notEmpty(lead_ids))) AS with_leads
				FROM (` + base + `)
				GROUP BY commission_id
			) ANY LEFT JOIN (
				SELECT commission_id, toUInt64(count()) AS leads,
					sumIf(capex_usd, found = 1 AND fx_missing = 0) AS capex_usd_sum,
					sumIf(capex_kzt, found = 1 AND fx_missing = 0) AS capex_kzt_sum,
					toUInt64(countIf(found = 1 AND fx_missing = 1)) AS no_rate,
					toUInt64(countIf(found = 0)) AS not_found, ` + rateAgeSQL("found = 1") + `
				FROM (
					SELECT commission_id, lead_key, found, capex_usd, capex_kzt, fx_missing, fx_stale, fx_expired, fx_age_days
					FROM (
						SELECT DISTINCT commission_id, lead_key
						FROM (SELECT commission_id, arrayJoin(lead_ids) AS lead_key FROM (` + base + `))
					) ANY LEFT JOIN (` + leadsByKey + `) USING lead_key
				)
				GROUP BY commission_id
			) USING commission_id
		) ANY LEFT JOIN (
			SELECT commission_id, name FROM commission_states FINAL
		) USING commission_id
		ORDER BY commission_id`
	rows, err := conn.Query(joinContext(ctx), q, append(args, args...)...)
	if err != nil {
		return nil, fmt.Errorf("decision investment: %w", err)
	}
	defer rows.Close()
	var out []CommissionInvestment
	for rows.Next() {
		var r CommissionInvestment
		if err := rows.Scan(&r.CommissionID, &r.Name, &r.Decisions, &r.DecisionsWithLeads, &r.Leads,
			&r.CapexUSD, &r.CapexKZT, &r.LeadsWithoutRate, &r.LeadsNotFound, &r.Stale, &r.MaxRateAge, &r.TooOld); err != nil {
			return nil, fmt.Errorf("decision investment row: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DecisionsWithLeads lists the decisions (as of asOf) that led to at least
// one investor lead, each with its leads' current state and their capex in
// USD (leads without a rate counted, not summed).
func DecisionsWithLeads(ctx context.Context, conn driver.Conn, asOf time.Time, f CommissionFilter) ([]DecisionLeads, error) {
	base, args, err := decisionsAsOf(asOf, f)
	if err != nil {
		return nil, err
	}
	q := `SELECT commission_id, decision_id, session_number, item, text, status, lead_key, found, title, stage, capex_usd, fx_missing,
			capex_kzt, rate_day, fx_age_days, fx_stale, fx_expired
		FROM (
			SELECT commission_id, decision_id, session_number, item, text, status, arrayJoin(lead_ids) AS lead_key
			FROM (` + base + `)
		) ANY LEFT JOIN (` + leadsByKey + `) USING lead_key
		ORDER BY commission_id, session_number, item, decision_id, lead_key`
	rows, err := conn.Query(joinContext(ctx), q, args...)
	if err != nil {
		return nil, fmt.Errorf("decisions with leads: %w", err)
	}
	defer rows.Close()
	var out []DecisionLeads
	for rows.Next() {
		var d DecisionLeads
		var l LinkedLead
		var found, fxMissing, stale, tooOld uint8
		var rateDay time.Time
		var age int32
		if err := rows.Scan(&d.CommissionID, &d.DecisionID, &d.SessionNumber, &d.Item, &d.Text, &d.Status,
			&l.LeadID, &found, &l.Title, &l.Stage, &l.CapexUSD, &fxMissing, &l.KZT, &rateDay, &age, &stale, &tooOld); err != nil {
			return nil, fmt.Errorf("decisions with leads row: %w", err)
		}
		l.Found, l.FXMissing = found == 1, fxMissing == 1
		if l.Found {
			l.set(l.FXMissing, rateDay, age, stale, tooOld)
		}
		if n := len(out); n == 0 || out[n-1].CommissionID != d.CommissionID || out[n-1].DecisionID != d.DecisionID {
			d.CapexUSD, d.CapexKZT = decimal.Zero, decimal.Zero
			out = append(out, d)
		}
		cur := &out[len(out)-1]
		cur.Leads = append(cur.Leads, l)
		switch {
		case l.Found && l.FXMissing:
			cur.LeadsWithoutRate++
			if l.TooOld {
				cur.TooOld++
			}
		case l.Found:
			cur.CapexUSD, cur.CapexKZT = cur.CapexUSD.Add(l.CapexUSD), cur.CapexKZT.Add(l.KZT)
			cur.MaxRateAge = max(cur.MaxRateAge, l.RateAge) // as rateAgeSQL: the oldest rate of the leads with one
			if l.Stale {
				cur.Stale++
			}
		}
	}
	return out, rows.Err()
}

// leadsByKey is the current state of every lead, keyed by its id as text
// (decision_states.lead_ids holds canonical UUID text); found = 1 tells a
// matched lead from the defaults a LEFT JOIN gives a lead id with no row.
// found is materialized so no server treats it as a constant of the right
// side and hands it to unmatched rows as well.
// Capex converts at the rates of the day the lead's current stage took effect.
var leadsByKey = `SELECT lead_key, title, stage, amount_usd AS capex_usd, amount_kzt AS capex_kzt, fx_missing, rate_day, fx_age_days, fx_stale, fx_expired, found FROM (` +
	converted(`SELECT toString(lead_id) AS lead_key, title, stage, capex AS fx_amount, currency AS fx_currency, stage_day AS fx_day,
		materialize(toUInt8(1)) AS found
	FROM lead_states FINAL`) + `)`

// executionSums aggregates the flags of decisionsAsOf; executionDest scans them.
const executionSums = `toUInt64(sum(is_due)) AS due, toUInt64(sum(is_on_time)) AS done_on_time,
	toUInt64(sum(is_late)) AS done_late, toUInt64(sum(is_overdue)) AS overdue,
	toUInt64(sum(is_cancelled)) AS cancelled, toUInt64(count()) AS total`

func executionDest(e *Execution) []any {
	return []any{&e.Due, &e.DoneOnTime, &e.DoneLate, &e.Overdue, &e.Cancelled, &e.Total}
}

// decisionsAsOf returns a query for the latest state of every decision in the
// filter that exists as of asOf, with the definitions' flags (is_due,
// is_on_time, is_late, is_overdue, is_cancelled; 0 or 1) and as_of, and the
// arguments it binds.
//
// Only commission_id, part of the table's key, is filtered in the FINAL read:
// every version of a decision shares it. Everything else is filtered outside,
// after FINAL has picked the latest version; filtering inside could let an
// older version through on a server that moves WHERE to a PREWHERE applied
// ahead of FINAL.
func decisionsAsOf(asOf time.Time, f CommissionFilter) (string, []any, error) {
	day, err := dayLiteral(asOf)
	if err != nil {
		return "", nil, err
	}
	var args []any
	inner := "SELECT *, toDate('" + day + "') AS as_of FROM decision_states FINAL"
	if f.CommissionID != "" {
		inner += " WHERE commission_id = ?"
		args = append(args, f.CommissionID)
	}
	where := []string{"session_date <= as_of"}
	if len(f.Years) > 0 {
		years := make([]string, 0, len(f.Years))
		for _, y := range f.Years {
			years = append(years, strconv.Itoa(y))
		}
		where = append(where, "toYear(deadline) IN ("+strings.Join(years, ", ")+")")
	}
	q := `SELECT *,
			toUInt8(status != 'cancelled' AND deadline < as_of) AS is_due,
			toUInt8(is_due = 1 AND status = 'done' AND ifNull(done_on <= deadline, 0) = 1) AS is_on_time,
			toUInt8(is_due = 1 AND status = 'done' AND ifNull(done_on > deadline, 0) = 1) AS is_late,
			toUInt8(is_due = 1 AND status IN ('open', 'in_progress')) AS is_overdue,
			toUInt8(status = 'cancelled') AS is_cancelled
		FROM (` + inner + `)
		WHERE ` + strings.Join(where, " AND ")
	return q, args, nil
}

// dayLiteral formats asOf's calendar day for SQL. It is built from a
// time.Time, never from input text, so it cannot carry a quote.
func dayLiteral(asOf time.Time) (string, error) {
	if asOf.IsZero() {
		return "", fmt.Errorf("commission figures need the day they are as of")
	}
	// Date holds 1970-01-01 to 2105 on 18.16 (2149 on current servers).
	if y := asOf.Year(); y < 1970 || y > 2105 {
		return "", fmt.Errorf("as-of day %s is outside ClickHouse's Date range", asOf.Format(time.DateOnly))
	}
	return asOf.Format(time.DateOnly), nil
}

// joinContext pins join_use_nulls to its default 0 for queries that rely on
// a LEFT JOIN filling unmatched rows with defaults (0, empty string),
// whatever the server's profile says; 18.16 and current servers both know
// the setting.
func joinContext(ctx context.Context) context.Context {
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"join_use_nulls": 0}))
}

// rate is done / due to 4 places, or nil when nothing is due.
func rate(done, due uint64) *decimal.Decimal {
	if due == 0 {
		return nil
	}
	r := decimal.NewFromUint64(done).DivRound(decimal.NewFromUint64(due), 4)
	return &r
}

// LinkedDecision is a decision that names a given lead among those it led to.
type LinkedDecision struct {
	CommissionID  string `json:"commission_id"`
	DecisionID    string `json:"decision_id"`
	SessionNumber uint32 `json:"session_number"`
	Item          string `json:"item"`
	Text          string `json:"text"`
	Status        string `json:"status"`
}

// DecisionsForLead lists the decisions linked to a lead, the lead's side of a link.
func DecisionsForLead(ctx context.Context, conn driver.Conn, leadID string) ([]LinkedDecision, error) {
	return linkedDecisions(ctx, conn, "decisions for lead", "has(lead_ids, ?)", strings.ToLower(leadID))
}

// linkedDecisions lists the decisions (latest versions) that meet cond.
func linkedDecisions(ctx context.Context, conn driver.Conn, what, cond string, args ...any) ([]LinkedDecision, error) {
	rows, err := conn.Query(ctx, `SELECT commission_id, toString(decision_id), session_number, item, text, status
		FROM (SELECT * FROM decision_states FINAL) WHERE `+cond+`
		ORDER BY commission_id, session_number, item`, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []LinkedDecision
	for rows.Next() {
		var d LinkedDecision
		if err := rows.Scan(&d.CommissionID, &d.DecisionID, &d.SessionNumber, &d.Item, &d.Text, &d.Status); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
