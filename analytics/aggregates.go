package analytics

// Families of figures read from aggregates that ingest keeps (issue 19; the
// design and its measurements are in AGGREGATES.md). Each family is
//
//	events ──ingest──▶ <ledger> ──<name>_mv──▶ <name>
//	                   (−1 with a record's    (SummingMergeTree: signed counts
//	                    previous keys, +1     and sums converted at insert,
//	                    with its new ones,    keyed by what the figures group
//	                    amounts as stated)    and filter by)
//
// The view converts each ledger row as it is inserted, with the arithmetic
// of converted() (fx.go) and the rates loaded then. So the sums depend on
// the rates: they are "current" only while the rates they were converted
// at are the ones loaded. Prepare re-projects them from the ledger (which
// keeps every amount as stated) when they are not, and records the rates'
// digest they were projected at (reference_loads, under the family's name).
// A figure reads the aggregates only when that record matches the loaded
// rates; otherwise it reads the states with FINAL, which is correct at any
// moment, only slower.
//
// Single node only: in cluster mode ingest does not keep the aggregates and
// the figures read the states (see AGGREGATES.md, "Cluster mode").

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
)

// FamilyKeys are what the figures of one family read of a record's state.
type FamilyKeys[K any] interface {
	// Equal reports whether both keys put a record in the same place of every figure.
	Equal(K) bool
	// ledgerValues are the keys in the order of the ledger's key columns.
	ledgerValues() []any
}

// Change is one row of a family's ledger: a record leaving its previous
// keys (Sign −1) or taking its new ones (+1) at the event at StreamSeq.
type Change[K any] struct {
	StreamSeq uint64
	EventID   uuid.UUID
	Sign      int8
	Record    any // the record's id, as its ledger column takes it (a lead's uuid.UUID, a deal's string)
	Keys      K
}

// State is one record state that ingest projected a message into.
type State[K any] struct {
	Record  any
	Version uint32
	EventID uuid.UUID
	Keys    K
}

// Family is one family of figures read from aggregates that ingest keeps:
// one ledger, and one or more aggregate tables (projections) its views fill.
type Family[K FamilyKeys[K]] struct {
	Name   string // the family's name: its projection is recorded under it, and its lock too
	Ledger string // the ledger's table
	Stream string // the stream whose events the ledger follows

	ledgerDDL     string
	ledgerColumns string // the ledger's columns: stream_seq, event_id, sign, the record's id, then the keys
	projections   []projection
	// retired are tables of earlier projections, dropped with their views
	// when the family re-projects, so that no view of theirs still follows
	// the ledger.
	retired []string

	// States is how many of the family's state rows rows holds. At is the
	// state'th, projected from a message with the events row event.
	States func(rows *Rows) int
	At     func(rows *Rows, state, event int) State[K]
	// Derive, when set, completes the keys of an event from those of the
	// record's previous event: for keys that depend on the record's history
	// (the first day a lead entered a stage), not only on its latest state.
	// Nil: the keys are the event's own.
	Derive func(prev, k K) K
}

// The clause rows of the figures' tables (lead_investment, lead_open,
// lead_conversion, deal_exports): each record once under the empty clause,
// and once more under each of its clauses. A figure reads one of these.
const (
	everyRecordRows = "clause = ''"
	// > rather than !=: a range of the tables' first key, so that the rows
	// of every record (the empty clause, sorted first) are skipped.
	byClauseRows = "clause > ''"
)

// projection is one aggregates table of a family and the view that fills it.
type projection struct {
	table   string // the aggregates' table; its view is table_mv
	columns string // the aggregates' columns and engine
	names   string // the aggregates' column names
	// selectFrom converts the ledger rows of from (a table, or a subquery in
	// parentheses) into signed aggregate rows, exactly the aggregates'
	// columns: each amount converted and rounded to the cent on its own,
	// as the figure from the states does (conversionOf, one flat SELECT, as
	// a materialized view needs), summed by key, so that each insert adds
	// a part of one row per key (SummingMergeTree sums only when it merges
	// parts, not within the part an insert writes).
	selectFrom func(from string) string
}

// readStates is the context key of ReadStates.
type readStates struct{}

// ReadStates makes the figures that have aggregates read the states
// instead (FINAL, their definition): for tests that compare both models,
// for the one figure a family's tables cannot tell (by clause under a
// clause filter), and for an analyst who doubts the aggregates.
func ReadStates(ctx context.Context) context.Context {
	return context.WithValue(ctx, readStates{}, true)
}

// fromAggregates reports whether a figure of fam reads its aggregates:
// they are current for the loaded rates, and ctx does not ask for the states.
func fromAggregates[K FamilyKeys[K]](ctx context.Context, conn driver.Conn, fam *Family[K]) (bool, error) {
	if on, _ := ctx.Value(readStates{}).(bool); on {
		return false, nil
	}
	return fam.Current(ctx, conn)
}

// clausesKey is a record's clauses as one key: sorted, once each, comma-separated.
func clausesKey(clauses []string) string {
	c := slices.Clone(clauses)
	slices.Sort(c)
	return strings.Join(slices.Compact(c), ",")
}

// ErrNoRates: the aggregates cannot be projected before rates are loaded
// (econdip loads the rates file at start); the figures read the states.
var ErrNoRates = errors.New("aggregates: no rates are loaded yet")

// digest names what the aggregates are a projection of: the loaded rates
// (their digest) and the views' text.
func (f *Family[K]) digest(ratesDigest string) string {
	text := ratesDigest
	for _, p := range f.projections {
		text += "\x00" + p.selectFrom(f.Ledger) + "\x00" + p.columns
	}
	h := sha256.Sum256([]byte(text))
	return hex.EncodeToString(h[:])
}

// Current reports whether the aggregates hold the projection of the ledger
// at the rates loaded now.
func (f *Family[K]) Current(ctx context.Context, conn driver.Conn) (bool, error) {
	var projected, rates string
	err := conn.QueryRow(ctx, `SELECT argMaxIf(digest, loaded_at, name = ?), argMaxIf(digest, loaded_at, name = 'fx_daily')
		FROM reference_loads WHERE name IN (?, 'fx_daily')`, f.Name, f.Name).Scan(&projected, &rates)
	if err != nil {
		return false, fmt.Errorf("are the %s aggregates current: %w", f.Name, err)
	}
	return rates != "" && projected == f.digest(rates), nil
}

// Prepare makes the aggregates the projection of the ledger at the rates
// loaded now, re-projecting them when they are not, with progress on log.
// It returns whether it re-projected. The caller must be the ledger's only
// writer while it runs (ingest calls it under the family's lock): rows
// written meanwhile would go to the table being replaced.
func (f *Family[K]) Prepare(ctx context.Context, conn driver.Conn, log *slog.Logger) (bool, error) {
	for attempt := 0; ; attempt++ {
		var rates string
		if err := conn.QueryRow(ctx, "SELECT argMax(digest, loaded_at) FROM reference_loads WHERE name = 'fx_daily'").Scan(&rates); err != nil {
			return false, fmt.Errorf("the loaded rates: %w", err)
		}
		if rates == "" {
			return false, ErrNoRates
		}
		current, err := f.Current(ctx, conn)
		if err != nil || current {
			return attempt > 0, err
		}
		if attempt == 3 {
			return true, fmt.Errorf("%s aggregates: the rates changed during each of 3 re-projections; try again when they are loaded", f.Name)
		}
		if err := f.reproject(ctx, conn, log, rates); err != nil {
			return true, err
		}
	}
}

// LedgerBackfill creates the ledger if needed and says whether it holds the
// events from before it existed (done); if not, through is the last
// sequence of the family's stream the events table holds: the ledger must
// get the changes of its events 1..through from the stream, then
// LedgerBackfilled records that it has.
func (f *Family[K]) LedgerBackfill(ctx context.Context, conn driver.Conn) (through uint64, done bool, err error) {
	if err := conn.Exec(ctx, f.ledgerDDL); err != nil {
		return 0, false, fmt.Errorf("create the ledger %s: %w", f.Ledger, err)
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM reference_loads WHERE name = ?", f.Ledger).Scan(&n); err != nil {
		return 0, false, fmt.Errorf("ledger %s: %w", f.Ledger, err)
	}
	if n > 0 {
		return 0, true, nil
	}
	if err := conn.QueryRow(ctx, "SELECT max(stream_seq) FROM events WHERE stream = ?", f.Stream).Scan(&through); err != nil {
		return 0, false, fmt.Errorf("ledger %s: the %s events stored: %w", f.Ledger, f.Stream, err)
	}
	return through, false, nil
}

// LedgerReady reports, without DDL, whether the ledger exists and holds the
// events from before it existed (LedgerBackfilled).
func (f *Family[K]) LedgerReady(ctx context.Context, conn driver.Conn) (bool, error) {
	var tables, marks uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = ?", f.Ledger).Scan(&tables); err != nil {
		return false, fmt.Errorf("ledger %s: %w", f.Ledger, err)
	}
	if err := conn.QueryRow(ctx, "SELECT count() FROM reference_loads WHERE name = ?", f.Ledger).Scan(&marks); err != nil {
		return false, fmt.Errorf("ledger %s: %w", f.Ledger, err)
	}
	return tables > 0 && marks > 0, nil
}

// LedgerBackfilled records that the ledger holds the changes of every event
// of the stream through the sequence.
func (f *Family[K]) LedgerBackfilled(ctx context.Context, conn driver.Conn, through uint64) error {
	return recordLoad(ctx, conn, f.Ledger, fmt.Sprintf("backfilled through %d", through), int(through), f.Stream)
}

// reprojectChunks is how many stream-sequence ranges a re-projection
// converts one after the other, each reported as progress.
const reprojectChunks = 10

func (f *Family[K]) reproject(ctx context.Context, conn driver.Conn, log *slog.Logger, rates string) error {
	start := time.Now()
	if err := conn.Exec(ctx, f.ledgerDDL); err != nil {
		return fmt.Errorf("create the ledger %s: %w", f.Ledger, err)
	}
	var lo, hi, rows uint64
	if err := conn.QueryRow(ctx, "SELECT min(stream_seq), max(stream_seq), count() FROM "+f.Ledger).Scan(&lo, &hi, &rows); err != nil {
		return fmt.Errorf("ledger %s: %w", f.Ledger, err)
	}
	log.Info("re-projecting aggregates from their ledger at the loaded rates", "aggregates", f.Name, "ledger_rows", rows)
	for _, table := range f.retired {
		for _, stmt := range []string{"DROP TABLE IF EXISTS " + table + "_mv", "DROP TABLE IF EXISTS " + table} {
			if err := conn.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("re-project the %s aggregates: %s: %w", f.Name, stmt, err)
			}
		}
	}
	// The views convert at insert: without them while the new tables fill,
	// so that nothing is written twice; ingest, the only writer, waits.
	for _, p := range f.projections {
		for _, stmt := range []string{
			"DROP TABLE IF EXISTS " + p.table + "_mv",
			"DROP TABLE IF EXISTS " + p.table + "_new",
			"CREATE TABLE " + p.table + "_new " + p.columns,
		} {
			if err := conn.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("re-project the %s aggregates: %s: %w", f.Name, stmt, err)
			}
		}
	}
	if rows > 0 {
		step := max((hi-lo+1)/reprojectChunks, 1)
		for from := lo; from <= hi; from += step {
			to := min(from+step-1, hi)
			for _, p := range f.projections {
				q := "INSERT INTO " + p.table + "_new (" + p.names + ") " +
					p.selectFrom(fmt.Sprintf("(SELECT * FROM %s WHERE stream_seq >= %d AND stream_seq <= %d)", f.Ledger, from, to))
				if err := conn.Exec(joinContext(ctx), q); err != nil {
					return fmt.Errorf("re-project the %s aggregates, sequences %d-%d: %w", p.table, from, to, err)
				}
			}
			log.Info("re-projecting aggregates", "aggregates", f.Name, "done_pct", (to-lo+1)*100/(hi-lo+1), "through_seq", to, "of", hi)
			if to == hi {
				break
			}
		}
	}
	// Merged before they are read: the chunks left ten parts per table,
	// which the figures would sum until the background merges.
	for _, p := range f.projections {
		if err := conn.Exec(ctx, "OPTIMIZE TABLE "+p.table+"_new FINAL"); err != nil {
			return fmt.Errorf("re-project the %s aggregates: merge %s: %w", f.Name, p.table, err)
		}
	}
	for _, p := range f.projections {
		var exists uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = ?", p.table).Scan(&exists); err != nil {
			return fmt.Errorf("re-project the %s aggregates: %w", p.table, err)
		}
		fresh, old := p.table+"_new", p.table+"_old"
		swap := "RENAME TABLE " + fresh + " TO " + p.table
		if exists > 0 {
			swap = "RENAME TABLE " + p.table + " TO " + old + ", " + fresh + " TO " + p.table
		}
		for _, stmt := range []string{
			"DROP TABLE IF EXISTS " + old,
			swap,
			"DROP TABLE IF EXISTS " + old,
			"CREATE MATERIALIZED VIEW " + p.table + "_mv TO " + p.table + " AS " + p.selectFrom(f.Ledger),
		} {
			if err := conn.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("re-project the %s aggregates: %s: %w", p.table, strings.SplitN(stmt, " AS ", 2)[0], err)
			}
		}
	}
	if err := recordLoad(ctx, conn, f.Name, f.digest(rates), int(rows), f.Ledger); err != nil {
		return err
	}
	log.Info("aggregates re-projected", "aggregates", f.Name, "ledger_rows", rows, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// Held returns which stream sequences in [lo, hi] the ledger holds rows
// of: those events are in the aggregates already.
func (f *Family[K]) Held(ctx context.Context, conn driver.Conn, lo, hi uint64) (map[uint64]bool, error) {
	rows, err := conn.Query(ctx, "SELECT DISTINCT stream_seq FROM "+f.Ledger+" WHERE stream_seq >= ? AND stream_seq <= ?", lo, hi)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: which events it holds: %w", f.Ledger, err)
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

// Write inserts rows into the ledger; the view adds them to the aggregates
// within the same insert.
func (f *Family[K]) Write(ctx context.Context, conn driver.Conn, rows []Change[K]) error {
	return insert(joinContext(ctx), conn, f.Ledger, f.ledgerColumns, rows, func(r Change[K]) []any {
		return append([]any{r.StreamSeq, r.EventID, r.Sign, r.Record}, r.Keys.ledgerValues()...)
	})
}

// Changes returns the ledger rows of one event: −1 with prev (unless the
// event created the record, created) and +1 with keys; none when the keys
// did not change (a title, a contact).
func Changes[K FamilyKeys[K]](seq uint64, eventID uuid.UUID, record any, created bool, prev, keys K) []Change[K] {
	plus := Change[K]{StreamSeq: seq, EventID: eventID, Sign: 1, Record: record, Keys: keys}
	if created {
		return []Change[K]{plus}
	}
	if prev.Equal(keys) {
		return nil
	}
	minus := plus
	minus.Sign, minus.Keys = -1, prev
	return []Change[K]{minus, plus}
}
