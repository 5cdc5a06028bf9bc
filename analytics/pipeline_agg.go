package analytics

// The investment pipeline from aggregates that ingest keeps (issue 19; the
// design and its measurements are in AGGREGATES.md).
//
//	lead events ──ingest──▶ lead_pipeline_changes ──lead_pipeline_mv──▶ lead_pipeline
//	                        (the ledger: −1 with a lead's   (SummingMergeTree: signed
//	                         previous keys, +1 with its      counts and sums converted
//	                         new ones, amounts as stated)    at insert, keyed by what
//	                                                         the figure groups by)
//
// The view converts each ledger row as it is inserted, with the arithmetic
// of converted() (fx.go) and the rates loaded then. So the sums depend on
// the rates: they are "current" only while the rates they were converted
// at are the ones loaded. PreparePipelineAggregates re-projects them from
// the ledger (which keeps every amount as stated) when they are not, and
// records the rates' digest they were projected at (reference_loads,
// name lead_pipeline). Pipeline reads the aggregates only when that record
// matches the loaded rates; otherwise it reads lead_states FINAL, which is
// correct at any moment, only slower.
//
// Single node only: in cluster mode ingest does not keep the aggregates and
// the figure reads the states (see AGGREGATES.md, "Cluster mode").

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// PipelineKeys are what the pipeline figure reads of a lead's state.
type PipelineKeys struct {
	Post, InvestorCountry, Sector, Stage, Currency string
	Probability, Capex                             decimal.Decimal
	StageDay                                       time.Time
}

// PipelineKeysOf returns the pipeline keys of a lead state.
func PipelineKeysOf(l LeadStateRow) PipelineKeys {
	return PipelineKeys{Post: l.Post, InvestorCountry: l.InvestorCountry, Sector: l.Sector, Stage: l.Stage,
		Currency: l.Currency, Probability: l.Probability, Capex: l.Capex, StageDay: l.StageDay}
}

// Equal reports whether both keys put a lead in the same place of every figure.
func (k PipelineKeys) Equal(o PipelineKeys) bool {
	return k.Post == o.Post && k.InvestorCountry == o.InvestorCountry && k.Sector == o.Sector && k.Stage == o.Stage &&
		k.Currency == o.Currency && k.Probability.Equal(o.Probability) && k.Capex.Equal(o.Capex) && k.StageDay.Equal(o.StageDay)
}

// PipelineChangeRow is one row of the ledger lead_pipeline_changes: a lead
// leaving its previous keys (Sign −1) or taking its new ones (+1) at the
// event at StreamSeq of LEADS.
type PipelineChangeRow struct {
	StreamSeq uint64
	EventID   uuid.UUID
	Sign      int8
	LeadID    uuid.UUID
	PipelineKeys
}

const pipelineLedgerDDL = `CREATE TABLE IF NOT EXISTS lead_pipeline_changes (
    stream_seq       UInt64,
    event_id         UUID,
    sign             Int8,
    lead_id          UUID,
    post             String,
    investor_country String,
    sector           String,
    stage            String,
    probability      Decimal(9, 4),
    capex            Decimal(38, 4),
    currency         String,
    stage_day        Date
) ENGINE = MergeTree ORDER BY (stream_seq, sign)`

const pipelineChangeColumns = "stream_seq, event_id, sign, lead_id, post, investor_country, sector, stage, probability, capex, currency, stage_day"

// The aggregates: a row per distinct (figure keys, rate flags); merges add
// the counts and sums of equal keys up and drop the keys every lead has
// left (all sums 0). The rate flags are keys so that the oldest rate stays
// a max over the keys that hold leads.
const pipelineAggregateColumns = `(
    sector_code      String,
    stage            String,
    post             String,
    investor_country String,
    fx_missing       UInt8,
    fx_stale         UInt8,
    fx_expired       UInt8,
    fx_age_days      Int32,
    leads            Int64,
    capex_usd        Decimal(38, 2),
    weighted_usd     Decimal(38, 6),
    capex_kzt        Decimal(38, 2),
    weighted_kzt     Decimal(38, 6)
) ENGINE = SummingMergeTree()
ORDER BY (sector_code, stage, post, investor_country, fx_missing, fx_stale, fx_expired, fx_age_days)`

const pipelineAggregateNames = "sector_code, stage, post, investor_country, fx_missing, fx_stale, fx_expired, fx_age_days, leads, capex_usd, weighted_usd, capex_kzt, weighted_kzt"

// pipelineSelect converts the ledger rows of from (a table, or a subquery
// in parentheses) into signed aggregate rows, exactly the aggregates'
// columns: each amount converted and rounded to the cent on its own, as
// the figure from the states does (conversionOf, one flat SELECT, as a
// materialized view needs), then summed by key, so that each insert adds
// a part of one row per key (SummingMergeTree sums only when it merges
// parts, not within the part an insert writes).
func pipelineSelect(from string) string {
	c := conversionOf("capex", "currency", "stage_day")
	return `SELECT if(sector = '', 'unassigned', sector) AS sector_code, stage, post, investor_country,
			` + c.missing + ` AS fx_missing, ` + c.stale + ` AS fx_stale, ` + c.expired + ` AS fx_expired, ` + c.ageDays + ` AS fx_age_days,
			toInt64(sum(sign)) AS leads,
			sum(sign * ` + c.usd + `) AS capex_usd, sum(sign * (` + c.usd + ` * probability)) AS weighted_usd,
			sum(sign * ` + c.kzt + `) AS capex_kzt, sum(sign * (` + c.kzt + ` * probability)) AS weighted_kzt
		FROM ` + from + `
		GROUP BY sector_code, stage, post, investor_country, fx_missing, fx_stale, fx_expired, fx_age_days`
}

// pipelineAggregatesDigest names what the aggregates are a projection of:
// the loaded rates (their digest) and the view's text.
func pipelineAggregatesDigest(ratesDigest string) string {
	h := sha256.Sum256([]byte(ratesDigest + "\x00" + pipelineSelect("lead_pipeline_changes") + "\x00" + pipelineAggregateColumns))
	return hex.EncodeToString(h[:])
}

// aggregatesName is the name the aggregates' projection is recorded under in reference_loads.
const aggregatesName = "lead_pipeline"

// PipelineAggregatesCurrent reports whether lead_pipeline holds the
// projection of the ledger at the rates loaded now.
func PipelineAggregatesCurrent(ctx context.Context, conn driver.Conn) (bool, error) {
	var projected, rates string
	err := conn.QueryRow(ctx, `SELECT argMaxIf(digest, loaded_at, name = ?), argMaxIf(digest, loaded_at, name = 'fx_daily')
		FROM reference_loads WHERE name IN (?, 'fx_daily')`, aggregatesName, aggregatesName).Scan(&projected, &rates)
	if err != nil {
		return false, fmt.Errorf("are the pipeline aggregates current: %w", err)
	}
	return rates != "" && projected == pipelineAggregatesDigest(rates), nil
}

// PreparePipelineAggregates makes lead_pipeline the projection of the
// ledger at the rates loaded now, re-projecting it when it is not, with
// progress on log. It returns whether it re-projected. The caller must be
// the ledger's only writer while it runs (ingest calls it from the LEADS
// inserter, before each insert): rows written meanwhile would go to the
// table being replaced.
func PreparePipelineAggregates(ctx context.Context, conn driver.Conn, log *slog.Logger) (bool, error) {
	for attempt := 0; ; attempt++ {
		var rates string
		if err := conn.QueryRow(ctx, "SELECT argMax(digest, loaded_at) FROM reference_loads WHERE name = 'fx_daily'").Scan(&rates); err != nil {
			return false, fmt.Errorf("the loaded rates: %w", err)
		}
		if rates == "" {
			return false, ErrNoRates
		}
		current, err := PipelineAggregatesCurrent(ctx, conn)
		if err != nil || current {
			return attempt > 0, err
		}
		if attempt == 3 {
			return true, fmt.Errorf("pipeline aggregates: the rates changed during each of 3 re-projections; try again when they are loaded")
		}
		if err := reprojectPipeline(ctx, conn, log, rates); err != nil {
			return true, err
		}
	}
}

// ErrNoRates: the aggregates cannot be projected before rates are loaded
// (econdip loads the rates file at start); the figure reads the states.
var ErrNoRates = errors.New("pipeline aggregates: no rates are loaded yet")

// PipelineLedgerBackfill creates the ledger if needed and says whether it
// holds the events from before it existed (done); if not, through is the
// last LEADS sequence the events table holds: the ledger must get the
// changes of LEADS events 1..through from the stream, then
// PipelineLedgerBackfilled records that it has.
func PipelineLedgerBackfill(ctx context.Context, conn driver.Conn) (through uint64, done bool, err error) {
	if err := conn.Exec(ctx, pipelineLedgerDDL); err != nil {
		return 0, false, fmt.Errorf("create the pipeline ledger: %w", err)
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM reference_loads WHERE name = 'lead_pipeline_changes'").Scan(&n); err != nil {
		return 0, false, fmt.Errorf("pipeline ledger: %w", err)
	}
	if n > 0 {
		return 0, true, nil
	}
	if err := conn.QueryRow(ctx, "SELECT max(stream_seq) FROM events WHERE stream = 'LEADS'").Scan(&through); err != nil {
		return 0, false, fmt.Errorf("pipeline ledger: the lead events stored: %w", err)
	}
	return through, false, nil
}

// PipelineLedgerReady reports, without DDL, whether the ledger exists and
// holds the events from before it existed (PipelineLedgerBackfilled).
func PipelineLedgerReady(ctx context.Context, conn driver.Conn) (bool, error) {
	var tables, marks uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'lead_pipeline_changes'").Scan(&tables); err != nil {
		return false, fmt.Errorf("pipeline ledger: %w", err)
	}
	if err := conn.QueryRow(ctx, "SELECT count() FROM reference_loads WHERE name = 'lead_pipeline_changes'").Scan(&marks); err != nil {
		return false, fmt.Errorf("pipeline ledger: %w", err)
	}
	return tables > 0 && marks > 0, nil
}

// PipelineLedgerBackfilled records that the ledger holds the changes of
// every LEADS event through the sequence.
func PipelineLedgerBackfilled(ctx context.Context, conn driver.Conn, through uint64) error {
	return recordLoad(ctx, conn, "lead_pipeline_changes", fmt.Sprintf("backfilled through %d", through), int(through), "LEADS")
}

// reprojectChunks is how many stream-sequence ranges a re-projection
// converts one after the other, each reported as progress.
const reprojectChunks = 10

func reprojectPipeline(ctx context.Context, conn driver.Conn, log *slog.Logger, rates string) error {
	start := time.Now()
	if err := conn.Exec(ctx, pipelineLedgerDDL); err != nil {
		return fmt.Errorf("create the pipeline ledger: %w", err)
	}
	var lo, hi, rows uint64
	if err := conn.QueryRow(ctx, "SELECT min(stream_seq), max(stream_seq), count() FROM lead_pipeline_changes").Scan(&lo, &hi, &rows); err != nil {
		return fmt.Errorf("pipeline ledger: %w", err)
	}
	log.Info("re-projecting the pipeline aggregates from their ledger at the loaded rates", "ledger_rows", rows)
	// The view converts at insert: without it while the new table fills, so
	// that nothing is written twice; ingest, the only writer, waits.
	for _, stmt := range []string{
		"DROP TABLE IF EXISTS lead_pipeline_mv",
		"DROP TABLE IF EXISTS lead_pipeline_new",
		"CREATE TABLE lead_pipeline_new " + pipelineAggregateColumns,
	} {
		if err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("re-project the pipeline aggregates: %s: %w", stmt, err)
		}
	}
	if rows > 0 {
		step := max((hi-lo+1)/reprojectChunks, 1)
		for from := lo; from <= hi; from += step {
			to := min(from+step-1, hi)
			q := "INSERT INTO lead_pipeline_new (" + pipelineAggregateNames + ") " +
				pipelineSelect(fmt.Sprintf("(SELECT * FROM lead_pipeline_changes WHERE stream_seq >= %d AND stream_seq <= %d)", from, to))
			if err := conn.Exec(joinContext(ctx), q); err != nil {
				return fmt.Errorf("re-project the pipeline aggregates, sequences %d-%d: %w", from, to, err)
			}
			log.Info("re-projecting the pipeline aggregates", "done_pct", (to-lo+1)*100/(hi-lo+1), "through_seq", to, "of", hi)
			if to == hi {
				break
			}
		}
	}
	var exists uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'lead_pipeline'").Scan(&exists); err != nil {
		return fmt.Errorf("re-project the pipeline aggregates: %w", err)
	}
	swap := "RENAME TABLE lead_pipeline_new TO lead_pipeline"
	if exists > 0 {
		swap = "RENAME TABLE lead_pipeline TO lead_pipeline_old, lead_pipeline_new TO lead_pipeline"
	}
	for _, stmt := range []string{
		"DROP TABLE IF EXISTS lead_pipeline_old",
		swap,
		"DROP TABLE IF EXISTS lead_pipeline_old",
		"CREATE MATERIALIZED VIEW lead_pipeline_mv TO lead_pipeline AS " + pipelineSelect("lead_pipeline_changes"),
	} {
		if err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("re-project the pipeline aggregates: %s: %w", strings.SplitN(stmt, " AS ", 2)[0], err)
		}
	}
	if err := recordLoad(ctx, conn, aggregatesName, pipelineAggregatesDigest(rates), int(rows), "lead_pipeline_changes"); err != nil {
		return err
	}
	log.Info("pipeline aggregates re-projected", "ledger_rows", rows, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// HeldPipelineChanges returns which stream sequences in [lo, hi] the ledger
// holds rows of: those events are in the aggregates already.
func HeldPipelineChanges(ctx context.Context, conn driver.Conn, lo, hi uint64) (map[uint64]bool, error) {
	rows, err := conn.Query(ctx, "SELECT DISTINCT stream_seq FROM lead_pipeline_changes WHERE stream_seq >= ? AND stream_seq <= ?", lo, hi)
	if err != nil {
		return nil, fmt.Errorf("pipeline ledger: which events it holds: %w", err)
	}
	defer rows.Close()
	held := map[uint64]bool{}
	for rows.Next() {
		var seq uint64
		if err := rows.Scan(&seq); err != nil {
			return nil, err
		}
		held[seq] = true
	}
	return held, rows.Err()
}

// WritePipelineChanges inserts rows into the ledger; the view adds them to
// the aggregates within the same insert.
func WritePipelineChanges(ctx context.Context, conn driver.Conn, rows []PipelineChangeRow) error {
	return insert(joinContext(ctx), conn, "lead_pipeline_changes", pipelineChangeColumns, rows, func(r PipelineChangeRow) []any {
		return []any{r.StreamSeq, r.EventID, r.Sign, r.LeadID, r.Post, r.InvestorCountry, r.Sector, r.Stage,
			r.Probability, r.Capex, r.Currency, r.StageDay}
	})
}

// pipelineFromAggregates is Pipeline read from lead_pipeline: a sum over
// its keys, correct whether or not its parts have merged.
func pipelineFromAggregates(ctx context.Context, conn driver.Conn, cond string, args []any) ([]PipelineRow, error) {
	q := `SELECT sector_code, stage, toUInt64(sum(n)) AS leads_n,
			sum(usd), sum(w_usd), toUInt64(sumIf(n, fx_missing = 1)), sum(kzt), sum(w_kzt),
			toUInt64(sumIf(n, fx_stale = 1)), toInt32(maxIf(fx_age_days, fx_missing = 0)), toUInt64(sumIf(n, fx_expired = 1))
		FROM (
			SELECT sector_code, stage, fx_missing, fx_stale, fx_expired, fx_age_days,
				sum(leads) AS n, sum(capex_usd) AS usd, sum(weighted_usd) AS w_usd, sum(capex_kzt) AS kzt, sum(weighted_kzt) AS w_kzt
			FROM lead_pipeline ` + cond + `
			GROUP BY sector_code, stage, post, investor_country, fx_missing, fx_stale, fx_expired, fx_age_days
			HAVING n != 0
		)
		GROUP BY sector_code, stage
		ORDER BY sector_code, stage`
	return scanPipeline(ctx, conn, q, args)
}
