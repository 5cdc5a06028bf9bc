package analytics

// The scorecard's lead metrics from aggregates that ingest keeps (issue 19;
// the design is in AGGREGATES.md, the machinery in aggregates.go):
//
//	lead events ──ingest──▶ lead_kpi_changes ──views──▶ lead_pipeline (pipeline_agg.go),
//	                                                    lead_investment, lead_open, lead_conversion
//
// The investment committed and realised (InvestmentByYear) are dated by
// the first day a lead entered a stage, and the conversion (Conversion)
// counts from the first day it entered identified to the first day it
// entered committed: facts of the lead's history, not of its latest state. Ingest completes each event's keys from those of the
// lead's previous event (Family.Derive), so the ledger carries the days the
// lead first entered identified, committed and implementing. The open
// pipeline (OpenPipeline) is of the latest state only. Each figure's table
// holds every lead once under the empty clause and once more under each of
// its clauses: the figure of all leads reads the empty clause, by clause or of
// one clause the others. (The clauses as a key of their own rather than
// one more key of the sector, country and post rows, which they would
// multiply; in one table rather than a twin table by clause, so that a
// ledger insert writes a part fewer per figure: BENCHMARKS.md, "Where the
// freshness goes".)

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"econdip/events"
)

// LeadKPIKeys are what the scorecard's lead metrics read of a lead: its
// latest state, and the first day it entered identified, committed and
// implementing (zero: never).
type LeadKPIKeys struct {
	Post, InvestorCountry, Sector, Stage, Currency string
	Clauses                                        string // sorted, comma-separated
	Probability, Capex                             decimal.Decimal
	StageDay                                       time.Time
	DecisionYear                                   uint16 // of the expected decision date; 0: none
	Jobs                                           uint32
	IdentifiedOn, CommittedOn, ImplementingOn      time.Time
}

// Equal reports whether both keys put a lead in the same place of every figure.
func (k LeadKPIKeys) Equal(o LeadKPIKeys) bool {
	return k.Post == o.Post && k.InvestorCountry == o.InvestorCountry && k.Sector == o.Sector && k.Stage == o.Stage &&
		k.Currency == o.Currency && k.Clauses == o.Clauses && k.Probability.Equal(o.Probability) && k.Capex.Equal(o.Capex) &&
		k.StageDay.Equal(o.StageDay) && k.DecisionYear == o.DecisionYear && k.Jobs == o.Jobs &&
		k.IdentifiedOn.Equal(o.IdentifiedOn) && k.CommittedOn.Equal(o.CommittedOn) && k.ImplementingOn.Equal(o.ImplementingOn)
}

// never is how the ledger stores "never entered": Date's first day.
var never = time.Unix(0, 0).UTC()

func orNever(t time.Time) time.Time {
	if t.IsZero() {
		return never
	}
	return t
}

func (k LeadKPIKeys) ledgerValues() []any {
	return []any{k.Post, k.InvestorCountry, k.Sector, k.Clauses, k.Stage, k.Probability, k.Capex, k.Currency, k.StageDay,
		k.DecisionYear, k.Jobs, orNever(k.IdentifiedOn), orNever(k.CommittedOn), orNever(k.ImplementingOn)}
}

// LeadKPIKeysOf returns the keys of a lead state, the lead entering its
// stage with this event (enters: a creation or a stage change, as
// lead_stage_history records them) or not. The first days of the lead's
// earlier stages come from its previous keys (LeadKPI.Derive).
func LeadKPIKeysOf(l LeadStateRow, enters bool) LeadKPIKeys {
	k := LeadKPIKeys{Post: l.Post, InvestorCountry: l.InvestorCountry, Sector: l.Sector, Stage: l.Stage, Currency: l.Currency,
		Clauses: clausesKey(l.Clauses), Probability: l.Probability, Capex: l.Capex, StageDay: l.StageDay, Jobs: l.ExpectedJobs}
	if l.ExpectedDecisionDate != nil {
		k.DecisionYear = uint16(l.ExpectedDecisionDate.Year())
	}
	if enters {
		switch l.Stage {
		case "identified":
			k.IdentifiedOn = l.StageDay
		case "committed":
			k.CommittedOn = l.StageDay
		case "implementing":
			k.ImplementingOn = l.StageDay
		}
	}
	return k
}

// entersStage reports whether a lead event of the type enters a stage.
func entersStage(eventType string) bool {
	return eventType == events.TypeLeadCreated || eventType == events.TypeLeadStageChanged
}

// earliest is the earlier of two days, zero meaning none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// LeadKPI is the family of every lead figure: the investment pipeline, the
// scorecard's lead metrics and the conversion; the ledger lead_kpi_changes
// and its four tables.
var LeadKPI = &Family[LeadKPIKeys]{
	Name: "lead_kpi", Ledger: "lead_kpi_changes", Stream: "LEADS",
	ledgerDDL: `CREATE TABLE IF NOT EXISTS lead_kpi_changes (
    stream_seq       UInt64,
    event_id         UUID,
    sign             Int8,
    lead_id          UUID,
    post             String,
    investor_country String,
    sector           String,
    clauses          String,
    stage            String,
    probability      Decimal(9, 4),
    capex            Decimal(38, 4),
    currency         String,
    stage_day        Date,
    decision_year    UInt16,
    expected_jobs    UInt32,
    identified_on    Date,
    committed_on     Date,
    implementing_on  Date
) ENGINE = MergeTree ORDER BY (stream_seq, sign)`,
	ledgerColumns: "stream_seq, event_id, sign, lead_id, post, investor_country, sector, clauses, stage, probability, capex, currency, stage_day, decision_year, expected_jobs, identified_on, committed_on, implementing_on",
	projections: []projection{
		{table: "lead_pipeline", columns: pipelineAggregateColumns, names: pipelineAggregateNames, selectFrom: pipelineSelect},
		investmentProjection(),
		openProjection(),
		conversionProjection(),
	},
	retired: []string{"lead_investment_by_clause", "lead_open_by_clause", "lead_conversion_by_clause"},
	States:  func(rows *Rows) int { return len(rows.LeadStates) },
	At: func(rows *Rows, state, event int) State[LeadKPIKeys] {
		l := rows.LeadStates[state]
		return State[LeadKPIKeys]{Record: l.LeadID, Version: l.Version, EventID: l.EventID, Keys: LeadKPIKeysOf(l, entersStage(rows.Events[event].Type))}
	},
	Derive: func(prev, k LeadKPIKeys) LeadKPIKeys {
		k.IdentifiedOn = earliest(prev.IdentifiedOn, k.IdentifiedOn)
		k.CommittedOn = earliest(prev.CommittedOn, k.CommittedOn)
		k.ImplementingOn = earliest(prev.ImplementingOn, k.ImplementingOn)
		return k
	},
}

// clauseKey is the first key of the lead figures' tables: each lead once
// under the empty clause and once under each of its clauses.
const clauseKey = "arrayJoin(arrayConcat([''], if(clauses = '', emptyArrayString(), splitByChar(',', clauses)))) AS clause"

// kpiTable is the columns and engine of a lead KPI table: the clause,
// keys, the lead's sector, country and post, the rate flags and age, then
// the sums.
func kpiTable(keys, sums []string) (columns, names string) {
	keys = append([]string{"clause String"}, keys...)
	keys = append(keys, "sector_code String", "investor_country String", "post String",
		"fx_missing UInt8", "fx_stale UInt8", "fx_expired UInt8", "fx_age_days Int32")
	var order, all []string
	for _, k := range keys {
		order = append(order, strings.Fields(k)[0])
	}
	for _, c := range sums {
		all = append(all, strings.Fields(c)[0])
	}
	return "(" + strings.Join(append(keys, sums...), ", ") + ") ENGINE = SummingMergeTree() ORDER BY (" + strings.Join(order, ", ") + ")",
		strings.Join(append(order, all...), ", ")
}

// kpiGroup is the GROUP BY of a lead KPI table's view.
func kpiGroup(keys string) string {
	return "clause, " + keys + ", sector_code, investor_country, post, fx_missing, fx_stale, fx_expired, fx_age_days"
}

// investmentProjection is InvestmentByYear's table: per metric (committed,
// realised), year of the first day the lead entered the metric's stage,
// and keys, the leads that entered it and are still in a stage that
// counts, their jobs and capex converted at that day's rates.
func investmentProjection() projection {
	// The metrics a lead counts for, without a lambda: 18.16's views do
	// not see a column from inside one.
	var metrics []string
	for _, m := range []string{Committed, Realised} {
		st := investmentStage[m]
		day := map[string]string{"committed": "committed_on", "implementing": "implementing_on"}[st.entered]
		metrics = append(metrics, fmt.Sprintf("if(%s != toDate(0) AND stage IN ('%s'), ['%s'], emptyArrayString())", day, strings.Join(st.now, "', '"), m))
	}
	// The day that dates the metric, written out wherever it is used: the
	// view may select nothing that is neither a key nor an aggregate.
	entered := "if(metric = '" + Committed + "', committed_on, implementing_on)"
	c := conversionOf("capex", "currency", entered)
	columns, names := kpiTable([]string{"metric String", "year UInt16"},
		[]string{"leads Int64", "jobs Int64", "capex_usd Decimal(38, 2)", "capex_kzt Decimal(38, 2)"})
	return projection{table: "lead_investment", columns: columns, names: names, selectFrom: func(from string) string {
		return `SELECT ` + clauseKey + `, arrayJoin(arrayConcat(` + strings.Join(metrics, ", ") + `)) AS metric,
			toUInt16(toYear(` + entered + `)) AS year,
			if(sector = '', 'unassigned', sector) AS sector_code, investor_country, post,
			` + c.missing + ` AS fx_missing, ` + c.stale + ` AS fx_stale, ` + c.expired + ` AS fx_expired, ` + c.ageDays + ` AS fx_age_days,
			toInt64(sum(sign)) AS leads, toInt64(sum(sign * expected_jobs)) AS jobs,
			sum(sign * ` + c.usd + `) AS capex_usd, sum(sign * ` + c.kzt + `) AS capex_kzt
		FROM ` + from + `
		GROUP BY ` + kpiGroup("metric, year")
	}}
}

// openProjection is OpenPipeline's table: the leads in an open stage per
// year of the expected decision and keys, capex converted at the rates of
// the day their stage took effect, and weighted by its probability.
func openProjection() projection {
	c := conversionOf("capex", "currency", "stage_day")
	columns, names := kpiTable([]string{"decision_year UInt16"},
		[]string{"leads Int64", "capex_usd Decimal(38, 2)", "weighted_usd Decimal(38, 6)", "capex_kzt Decimal(38, 2)", "weighted_kzt Decimal(38, 6)"})
	return projection{table: "lead_open", columns: columns, names: names, selectFrom: func(from string) string {
		return `SELECT ` + clauseKey + `, decision_year, if(sector = '', 'unassigned', sector) AS sector_code, investor_country, post,
			` + c.missing + ` AS fx_missing, ` + c.stale + ` AS fx_stale, ` + c.expired + ` AS fx_expired, ` + c.ageDays + ` AS fx_age_days,
			toInt64(sum(sign)) AS leads,
			sum(sign * ` + c.usd + `) AS capex_usd, sum(sign * (` + c.usd + ` * probability)) AS weighted_usd,
			sum(sign * ` + c.kzt + `) AS capex_kzt, sum(sign * (` + c.kzt + ` * probability)) AS weighted_kzt
		FROM ` + from + `
		WHERE stage IN ('` + strings.Join(OpenStages, "', '") + `')
		GROUP BY ` + kpiGroup("decision_year")
	}}
}

// conversionProjection is Conversion's table: the leads that entered
// identified, per year of that day, year they first entered committed (0:
// never) and days between the two, and keys.
func conversionProjection() projection {
	keys := []string{"clause String", "identified_year UInt16", "committed_year UInt16", "days Int32", "sector_code String", "investor_country String", "post String"}
	const group = "clause, identified_year, committed_year, days, sector_code, investor_country, post"
	columns := "(" + strings.Join(keys, ", ") + ", leads Int64) ENGINE = SummingMergeTree() ORDER BY (" + group + ")"
	return projection{table: "lead_conversion", columns: columns, names: group + ", leads", selectFrom: func(from string) string {
		return `SELECT ` + clauseKey + `, toUInt16(toYear(identified_on)) AS identified_year,
			toUInt16(if(committed_on != toDate(0), toYear(committed_on), 0)) AS committed_year,
			toInt32(if(committed_on != toDate(0), dateDiff('day', identified_on, committed_on), 0)) AS days,
			if(sector = '', 'unassigned', sector) AS sector_code, investor_country, post,
			toInt64(sum(sign)) AS leads
		FROM ` + from + `
		WHERE identified_on != toDate(0)
		GROUP BY ` + group
	}}
}

// kpiAggregates returns, when the lead KPI aggregates are current and ctx
// does not ask for the states, the table of a figure, the SQL of its key,
// and the WHERE of f over it (with the clause rows the figure reads: by
// clause every clause's, of one clause that clause's, else the rows of
// every lead, the empty clause).
func kpiAggregates(ctx context.Context, conn driver.Conn, base string, by By, f KPIFilter) (table, key, cond string, args []any, ok bool, err error) {
	// By clause under a clause filter lists every clause of the leads that
	// have that one: the rows by clause (a lead once per clause) cannot
	// tell them; the states can.
	if by == ByClause && f.Clause != "" {
		return "", "", "", nil, false, nil
	}
	if ok, err = fromAggregates(ctx, conn, LeadKPI); err != nil || !ok {
		return "", "", "", nil, false, err
	}
	key, err = keyColumn(by, "sector_code", "investor_country")
	where := []string{everyRecordRows}
	switch {
	case by == ByClause:
		key, where = "clause", []string{byClauseRows}
	case f.Clause != "":
		where = []string{"clause = ?"}
		args = append(args, f.Clause)
	}
	for _, c := range []struct{ column, value string }{{"sector_code", f.Sector}, {"investor_country", f.Country}, {"post", f.Post}} {
		if c.value != "" {
			where = append(where, c.column+" = ?")
			args = append(args, c.value)
		}
	}
	return base, key, strings.Join(where, " AND "), args, true, err
}
