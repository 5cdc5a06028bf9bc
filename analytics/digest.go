package analytics

// The weekly digest (issue 17): what happened in a user's scope in the week
// before a Monday, and what is due or overdue as of that Monday.
//
// Definitions, for a digest of the week before day W (W is the Monday the
// digest is for; the week is the seven Astana days W-7 … W-1):
//   - New: a lead or deal created in the week (created_at, an instant,
//     between W-7 00:00 and W 00:00 Astana time).
//   - Moved: a lead that changed stage in the week (one line per change, from
//     lead_stage_history), a deal that was not new and changed stage in the
//     week (stage_changed_at; deals keep no stage history, so the line shows
//     the stage it is in now).
//   - Due soon: a decision open or in progress whose deadline is one of the
//     14 days W … W+13.
//   - Overdue: a decision overdue as of W (analytics/commissions.go: its
//     deadline is before W and it is open or in progress); a task not done
//     whose due day is before W (the same rule: a task due on W is not
//     overdue yet).
//   - Open tasks: tasks not done whose due day is W or later.
//
// Scope: an attaché's digest covers their post (its leads, deals and tasks,
// and the decisions linked to its leads or deals); a secretariat's, their
// commission (its decisions and tasks, the deals linked to it and the leads
// its decisions name); everyone else's, everything. As everywhere, the
// latest version of each record counts (FINAL), and filters that are not a
// table's key apply outside the FINAL read.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"econdip/services/platform/kernel"
)

// DigestScope is what a digest covers: one post, one commission, or (zero
// value) everything.
type DigestScope struct {
	Post       string
	Commission string
}

// DigestData is the content of one weekly digest.
type DigestData struct {
	Scope      DigestScope
	WeekStart  kernel.Day // W: the Monday the digest is for
	From, To   kernel.Day // the week reported: From = W-7 … To = W-1
	NewLeads   []DigestLead
	MovedLeads []DigestLead
	NewDeals   []DigestDeal
	MovedDeals []DigestDeal
	DueSoon    []LateDecision // deadline in W … W+13, open or in progress; DaysLate is negative: days left
	Overdue    []LateDecision // overdue as of W, the longest overdue first
	// Tasks not done: overdue as of W, then the others, by due day.
	OverdueTasks []DigestTask
	OpenTasks    []DigestTask
}

// DigestLead is a new lead, or one stage change of a lead.
type DigestLead struct {
	LeadID       string
	Post         string
	Investor     string
	Title        string
	FromStage    string // empty for a new lead
	Stage        string // the stage it entered (moved) or is in (new)
	EffectiveOn  kernel.Day
	InvestorLand string // the investor's country, ISO 3166-1 alpha-2
}

// DigestDeal is a new or moved export deal, in the stage it is in now.
type DigestDeal struct {
	DealID       string
	Post         string
	Exporter     string
	Product      string
	BuyerCountry string
	Stage        string
	ChangedOn    kernel.Day // the Astana day it was created (new) or changed stage (moved)
}

// DigestTask is a task without its title (titles are not in ClickHouse),
// with the name of the record it is about.
type DigestTask struct {
	TaskID       string
	RecordKind   string // lead, deal, barrier or decision
	RecordID     string
	CommissionID string // for a decision
	RecordName   string // e.g. the investor and project title; empty if the record is not projected yet
	Assignee     string
	Due          kernel.Day
}

// Digest builds the digest of scope for the week before weekStart.
func Digest(ctx context.Context, conn driver.Conn, scope DigestScope, weekStart kernel.Day) (DigestData, error) {
	d := DigestData{Scope: scope, WeekStart: weekStart, From: weekStart.AddDays(-7), To: weekStart.AddDays(-1)}
	if weekStart.IsZero() || !weekStart.InRange() || !weekStart.AddDays(14).InRange() {
		return d, fmt.Errorf("digest week %q is outside the days ClickHouse holds", weekStart)
	}
	// The week's instants: W-7 00:00 and W 00:00 in Astana, as Unix seconds.
	from := uint32(time.Date(d.From.Time().Year(), d.From.Time().Month(), d.From.Time().Day(), 0, 0, 0, 0, kernel.Astana).Unix())
	to := uint32(time.Date(weekStart.Time().Year(), weekStart.Time().Month(), weekStart.Time().Day(), 0, 0, 0, 0, kernel.Astana).Unix())
	var err error
	if d.NewLeads, d.MovedLeads, err = digestLeads(ctx, conn, scope, from, to); err != nil {
		return d, err
	}
	if d.NewDeals, d.MovedDeals, err = digestDeals(ctx, conn, scope, from, to); err != nil {
		return d, err
	}
	if d.DueSoon, d.Overdue, err = digestDecisions(ctx, conn, scope, weekStart); err != nil {
		return d, err
	}
	tasks, err := digestTasks(ctx, conn, scope)
	if err != nil {
		return d, err
	}
	for _, t := range tasks {
		if t.Due.Before(weekStart) {
			d.OverdueTasks = append(d.OverdueTasks, t)
		} else {
			d.OpenTasks = append(d.OpenTasks, t)
		}
	}
	return d, nil
}

// leadScope is the condition on lead_states columns (post, lead_id) for scope.
func leadScope(scope DigestScope) (string, []any) {
	switch {
	case scope.Post != "":
		return "post = ?", []any{scope.Post}
	case scope.Commission != "":
		return "toString(lead_id) IN (SELECT arrayJoin(lead_ids) FROM decision_states FINAL WHERE commission_id = ?)", []any{scope.Commission}
	}
	return "1", nil
}

// dealScope is the condition on deal_states columns for scope.
func dealScope(scope DigestScope) (string, []any) {
	switch {
	case scope.Post != "":
		return "post = ?", []any{scope.Post}
	case scope.Commission != "":
		return "commission_id = ?", []any{scope.Commission}
	}
	return "1", nil
}

// decisionScope is the condition on decision_states columns for scope: a
// post sees the decisions that name one of its leads or deals, or that one
// of its deals names.
func decisionScope(scope DigestScope) (string, []any) {
	switch {
	case scope.Post != "":
		return `(decision_id IN (SELECT decision_id FROM (SELECT decision_id, arrayJoin(lead_ids) AS lead FROM decision_states FINAL)
				WHERE lead IN (SELECT toString(lead_id) FROM (SELECT lead_id, post FROM lead_states FINAL) WHERE post = ?))
			OR decision_id IN (SELECT decision_id FROM (SELECT decision_id, arrayJoin(deal_ids) AS deal FROM decision_states FINAL)
				WHERE deal IN (SELECT deal_id FROM (SELECT deal_id, post FROM deal_states FINAL) WHERE post = ?))
			OR decision_id IN (SELECT decision_id FROM (SELECT decision_id, post FROM deal_states FINAL) WHERE post = ?))`,
			[]any{scope.Post, scope.Post, scope.Post}
	case scope.Commission != "":
		return "commission_id = ?", []any{scope.Commission}
	}
	return "1", nil
}

// taskScope is the condition on task_states columns for scope.
func taskScope(scope DigestScope) (string, []any) {
	switch {
	case scope.Post != "":
		return "scope = ?", []any{"post:" + scope.Post}
	case scope.Commission != "":
		return "scope = ?", []any{"commission:" + scope.Commission}
	}
	return "1", nil
}

func digestLeads(ctx context.Context, conn driver.Conn, scope DigestScope, from, to uint32) (created, moved []DigestLead, err error) {
	cond, args := leadScope(scope)
	q := `SELECT toString(lead_id), post, investor_name, title, investor_country, stage, toUInt32(created_at) AS c
		FROM (SELECT * FROM lead_states FINAL)
		WHERE c >= ? AND c < ? AND ` + cond + `
		ORDER BY c, lead_id`
	rows, err := conn.Query(ctx, q, append([]any{from, to}, args...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("digest: new leads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l DigestLead
		var c uint32
		if err := rows.Scan(&l.LeadID, &l.Post, &l.Investor, &l.Title, &l.InvestorLand, &l.Stage, &c); err != nil {
			return nil, nil, fmt.Errorf("digest: new lead row: %w", err)
		}
		// Astana's day of the instant is computed in Go: 18.16's time zone
		// database puts Astana at UTC+6.
		l.EffectiveOn = kernel.AstanaDay(time.Unix(int64(c), 0))
		created = append(created, l)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	q = `SELECT toString(lead_id), post, investor_name, title, investor_country, from_stage, to_stage, effective_on
		FROM (SELECT lead_id, from_stage, to_stage, effective_on, time FROM lead_stage_history FINAL)
		ANY INNER JOIN (SELECT lead_id, post, investor_name, title, investor_country FROM lead_states FINAL) USING lead_id
		WHERE from_stage != '' AND toUInt32(time) >= ? AND toUInt32(time) < ? AND ` + cond + `
		ORDER BY time, lead_id`
	rows2, err := conn.Query(ctx, q, append([]any{from, to}, args...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("digest: moved leads: %w", err)
	}
	defer rows2.Close()
	for rows2.Next() {
		var l DigestLead
		var on time.Time
		if err := rows2.Scan(&l.LeadID, &l.Post, &l.Investor, &l.Title, &l.InvestorLand, &l.FromStage, &l.Stage, &on); err != nil {
			return nil, nil, fmt.Errorf("digest: moved lead row: %w", err)
		}
		l.EffectiveOn = kernel.DayOf(on)
		moved = append(moved, l)
	}
	return created, moved, rows2.Err()
}

func digestDeals(ctx context.Context, conn driver.Conn, scope DigestScope, from, to uint32) (created, moved []DigestDeal, err error) {
	cond, args := dealScope(scope)
	q := `SELECT deal_id, post, exporter_name, product, buyer_country, stage, toUInt32(created_at) AS c, toUInt32(stage_changed_at) AS s
		FROM (SELECT * FROM deal_states FINAL)
		WHERE ((c >= ? AND c < ?) OR (s >= ? AND s < ?)) AND ` + cond + `
		ORDER BY s, deal_id`
	rows, err := conn.Query(ctx, q, append([]any{from, to, from, to}, args...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("digest: deals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d DigestDeal
		var c, s uint32
		if err := rows.Scan(&d.DealID, &d.Post, &d.Exporter, &d.Product, &d.BuyerCountry, &d.Stage, &c, &s); err != nil {
			return nil, nil, fmt.Errorf("digest: deal row: %w", err)
		}
		if c >= from && c < to {
			d.ChangedOn = kernel.AstanaDay(time.Unix(int64(c), 0))
			created = append(created, d)
		} else {
			d.ChangedOn = kernel.AstanaDay(time.Unix(int64(s), 0))
			moved = append(moved, d)
		}
	}
	return created, moved, rows.Err()
}

func digestDecisions(ctx context.Context, conn driver.Conn, scope DigestScope, weekStart kernel.Day) (soon, overdue []LateDecision, err error) {
	base, args, err := decisionsAsOf(weekStart.Time(), CommissionFilter{CommissionID: scope.Commission})
	if err != nil {
		return nil, nil, err
	}
	cond, condArgs := decisionScope(DigestScope{Post: scope.Post})
	q := `SELECT commission_id, decision_id, session_number, item, text, agencies, deadline, status, done_on,
			toInt32(dateDiff('day', deadline, as_of)) AS days_late, is_overdue
		FROM (` + base + `)
		WHERE (is_overdue = 1 OR (status IN ('open', 'in_progress') AND deadline >= as_of AND deadline < as_of + 14)) AND ` + cond + `
		ORDER BY deadline, commission_id, session_number, item, decision_id`
	rows, err := conn.Query(ctx, q, append(args, condArgs...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("digest: decisions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r LateDecision
		var isOverdue uint8
		if err := rows.Scan(&r.CommissionID, &r.DecisionID, &r.SessionNumber, &r.Item, &r.Text, &r.Agencies,
			&r.Deadline, &r.Status, &r.DoneOn, &r.DaysLate, &isOverdue); err != nil {
			return nil, nil, fmt.Errorf("digest: decision row: %w", err)
		}
		if isOverdue == 1 {
			overdue = append(overdue, r)
		} else {
			soon = append(soon, r)
		}
	}
	return soon, overdue, rows.Err()
}

// recordNames names every record a task may be about, keyed by kind,
// commission (decisions only) and id.
const recordNames = `
	SELECT 'lead' AS kind, '' AS cid, toString(lead_id) AS id, concat(investor_name, ': ', title) AS name FROM lead_states FINAL
	UNION ALL SELECT 'deal' AS kind, '' AS cid, deal_id AS id, concat(exporter_name, ': ', product) AS name FROM deal_states FINAL
	UNION ALL SELECT 'barrier' AS kind, '' AS cid, barrier_id AS id, title AS name FROM barrier_states FINAL
	UNION ALL SELECT 'decision' AS kind, commission_id AS cid, decision_id AS id,
		concat(commission_id, ' ', toString(session_number), '/', item) AS name FROM decision_states FINAL`

// AssignedTasks lists the tasks not done assigned to a user, by due day,
// each with the name of its record (the user's calendar).
func AssignedTasks(ctx context.Context, conn driver.Conn, assignee string) ([]DigestTask, error) {
	return openTasks(ctx, conn, "assignee = ?", []any{assignee})
}

// OpenDecisions lists the decisions in scope that are open or in progress,
// whatever their deadline, by deadline (the calendar). DaysLate is 0.
func OpenDecisions(ctx context.Context, conn driver.Conn, scope DigestScope) ([]LateDecision, error) {
	cond, args := decisionScope(DigestScope{Post: scope.Post})
	inner, innerArgs := "SELECT * FROM decision_states FINAL", []any(nil)
	if scope.Commission != "" {
		inner += " WHERE commission_id = ?"
		innerArgs = append(innerArgs, scope.Commission)
	}
	q := `SELECT commission_id, decision_id, session_number, item, text, agencies, deadline, status, done_on
		FROM (` + inner + `)
		WHERE status IN ('open', 'in_progress') AND ` + cond + `
		ORDER BY deadline, commission_id, session_number, item, decision_id`
	rows, err := conn.Query(ctx, q, append(innerArgs, args...)...)
	if err != nil {
		return nil, fmt.Errorf("open decisions: %w", err)
	}
	defer rows.Close()
	var out []LateDecision
	for rows.Next() {
		var r LateDecision
		if err := rows.Scan(&r.CommissionID, &r.DecisionID, &r.SessionNumber, &r.Item, &r.Text, &r.Agencies,
			&r.Deadline, &r.Status, &r.DoneOn); err != nil {
			return nil, fmt.Errorf("open decision row: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func digestTasks(ctx context.Context, conn driver.Conn, scope DigestScope) ([]DigestTask, error) {
	cond, args := taskScope(scope)
	return openTasks(ctx, conn, cond, args)
}

// openTasks lists the tasks not done that match cond (on task_states'
// columns), by due day, with their records' names.
func openTasks(ctx context.Context, conn driver.Conn, cond string, args []any) ([]DigestTask, error) {
	q := `SELECT task_id, kind, id, cid, name, assignee, due
		FROM (SELECT task_id, record_kind AS kind, record_id AS id, commission_id AS cid, assignee, due
			FROM (SELECT * FROM task_states FINAL) WHERE done = 0 AND ` + cond + `)
		ANY LEFT JOIN (` + recordNames + `) USING (kind, cid, id)
		ORDER BY due, kind, id, task_id`
	rows, err := conn.Query(joinContext(ctx), q, args...)
	if err != nil {
		return nil, fmt.Errorf("digest: tasks: %w", err)
	}
	defer rows.Close()
	var out []DigestTask
	for rows.Next() {
		var t DigestTask
		var due time.Time
		if err := rows.Scan(&t.TaskID, &t.RecordKind, &t.RecordID, &t.CommissionID, &t.RecordName, &t.Assignee, &due); err != nil {
			return nil, fmt.Errorf("digest: task row: %w", err)
		}
		t.Due = kernel.DayOf(due)
		t.RecordName = strings.TrimSpace(t.RecordName)
		out = append(out, t)
	}
	return out, rows.Err()
}
