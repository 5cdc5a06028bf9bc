package analytics

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
)

// storedGap splits one type's times into separate key ranges where two
// neighbours are further apart than this many seconds, so a batch whose
// events span a long time (a clock set wrong, a replay of old events) reads
// the granules of its own times, not of everything between them.
const storedGap = 3600

// maxStoredRanges bounds the key ranges of one query: beyond it, one range
// per type (a longer read, but a query of bounded length).
const maxStoredRanges = 256

// accessDenied is ClickHouse's ACCESS_DENIED: a user without the grant (servers with SQL grants, 20.x on).
const accessDenied = 497

// IsNotAllowed reports whether err is ClickHouse refusing the user the
// statement: a missing grant (ACCESS_DENIED), DDL prohibited (allow_ddl = 0:
// QUERY_IS_PROHIBITED), or a read-only user (READONLY).
func IsNotAllowed(err error) bool {
	var ex *clickhouse.Exception
	return errors.As(err, &ex) && (ex.Code == accessDenied || ex.Code == 392 || ex.Code == 164)
}

// StoredEvents returns the ids of those of rows that the events table holds
// already. Ingest asks before each insert: JetStream redelivers a batch whose
// ack was lost (a crash between insert and ack) and ClickHouse 18.16 has no
// insert deduplication for non-replicated tables, nor is an insert atomic (a
// block spanning months is stored as one part per month), so without the
// check the raw table shows those events twice until a merge collapses them.
//
// The events are matched by event_id, the identity the table collapses on.
// The query reads through the table's sorting key (type, time, event_id):
// one key range per type and cluster of times in rows, and the partitions of
// those times only.
func StoredEvents(ctx context.Context, conn driver.Conn, rows []EventRow) (map[uuid.UUID]struct{}, error) {
	stored := map[uuid.UUID]struct{}{}
	if len(rows) == 0 {
		return stored, nil
	}
	cond, args := storedKeyRanges(rows)
	// Only the ids of rows: the ranges may hold other events of the same
	// types and seconds, which need not come back.
	res, err := conn.Query(ctx, "SELECT DISTINCT event_id FROM events WHERE "+cond, args...)
	if err != nil {
		var ex *clickhouse.Exception
		if errors.As(err, &ex) && ex.Code == accessDenied {
			return nil, fmt.Errorf("read which events of the batch are stored already: %w; ingest's ClickHouse user needs SELECT(event_id, type, time) ON events (and events_local in cluster mode), see deploy/README.md", err)
		}
		return nil, fmt.Errorf("read which events of the batch are stored already: %w", err)
	}
	defer res.Close()
	want := make(map[uuid.UUID]struct{}, len(rows))
	for _, r := range rows {
		want[r.EventID] = struct{}{}
	}
	for res.Next() {
		var id uuid.UUID
		if err := res.Scan(&id); err != nil {
			return nil, fmt.Errorf("read which events of the batch are stored already: %w", err)
		}
		if _, ok := want[id]; ok {
			stored[id] = struct{}{}
		}
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("read which events of the batch are stored already: %w", err)
	}
	return stored, nil
}

// StoredEventSeqs returns, for the events of rows the events table holds,
// the lowest stream sequence it holds each at: an event stored at a lower
// sequence than a message that carries it again is a copy of that message.
func StoredEventSeqs(ctx context.Context, conn driver.Conn, rows []EventRow) (map[uuid.UUID]uint64, error) {
	out := map[uuid.UUID]uint64{}
	if len(rows) == 0 {
		return out, nil
	}
	cond, args := storedKeyRanges(rows)
	res, err := conn.Query(ctx, "SELECT event_id, min(stream_seq) FROM events WHERE "+cond+" GROUP BY event_id", args...)
	if err != nil {
		return nil, fmt.Errorf("read at which sequences events are stored: %w", err)
	}
	defer res.Close()
	want := make(map[uuid.UUID]bool, len(rows))
	for _, r := range rows {
		want[r.EventID] = true
	}
	for res.Next() {
		var id uuid.UUID
		var seq uint64
		if err := res.Scan(&id, &seq); err != nil {
			return nil, fmt.Errorf("read at which sequences events are stored: %w", err)
		}
		if want[id] {
			out[id] = seq
		}
	}
	return out, res.Err()
}

// storedKeyRanges is the WHERE condition over the sorting key's prefix
// (type, time) that covers every row: per type, one range per run of
// seconds without a gap over storedGap, or one range per type when that
// makes more than maxStoredRanges. time is DateTime, whole seconds: an
// event's row holds the second its time falls in.
func storedKeyRanges(rows []EventRow) (string, []any) {
	byType := map[string][]int64{}
	for _, r := range rows {
		byType[r.Type] = append(byType[r.Type], r.Time.Unix())
	}
	types := make([]string, 0, len(byType))
	for t, secs := range byType {
		slices.Sort(secs)
		types = append(types, t)
	}
	slices.Sort(types) // the same query text for the same batch
	type keyRange struct {
		typ      string
		from, to int64
	}
	var ranges []keyRange
	for _, t := range types {
		secs := byType[t]
		r := keyRange{typ: t, from: secs[0], to: secs[0]}
		for _, s := range secs[1:] {
			if s-r.to > storedGap {
				ranges = append(ranges, r)
				r.from = s
			}
			r.to = s
		}
		ranges = append(ranges, r)
	}
	if len(ranges) > maxStoredRanges {
		ranges = ranges[:0]
		for _, t := range types {
			secs := byType[t]
			ranges = append(ranges, keyRange{typ: t, from: secs[0], to: secs[len(secs)-1]})
		}
	}
	terms := make([]string, len(ranges))
	args := make([]any, 0, 3*len(ranges))
	for i, r := range ranges {
		terms[i] = "(type = ? AND time >= toDateTime(?) AND time <= toDateTime(?))"
		args = append(args, r.typ, r.from, r.to)
	}
	return strings.Join(terms, " OR "), args
}
