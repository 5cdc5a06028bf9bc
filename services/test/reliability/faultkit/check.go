package faultkit

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"

	"econdip/analytics"
	"econdip/analytics/chtest"
)

// Tables is where CheckExactlyOnce, CheckStates and CountEvents read: a
// database's tables (DB), or one replica's own replicated tables (Local).
type Tables struct {
	conn   driver.Conn
	suffix string // follows every table name
	label  string // starts every message
}

// DB reads the tables of conn's database by their names.
func DB(conn driver.Conn) Tables { return Tables{conn: conn} }

// Local reads one replica's own tables (<table>_local, not the Distributed
// tables over them, which may read another replica) through conn, a
// connection to that replica; messages start with "replica <name>: ".
func Local(conn driver.Conn, replica string) Tables {
	return Tables{conn: conn, suffix: analytics.LocalSuffix, label: "replica " + replica + ": "}
}

func (t Tables) table(name string) string { return name + t.suffix }

// EventCounts is what the events table holds.
type EventCounts struct {
	Rows, Unique, Final uint64 // count(), uniqExact(event_id), count() FINAL
}

// CountEvents counts the events table's rows, its distinct event ids and
// its rows read with FINAL.
func CountEvents(tb testing.TB, at Tables) EventCounts {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var c EventCounts
	if err := at.conn.QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM "+at.table("events")).Scan(&c.Rows, &c.Unique); err != nil {
		tb.Fatal(err)
	}
	if err := at.conn.QueryRow(ctx, "SELECT count() FROM "+at.table("events")+" FINAL").Scan(&c.Final); err != nil {
		tb.Fatal(err)
	}
	return c
}

// CheckExactlyOnce compares ClickHouse with the events JetStream
// acknowledged: the events table holds exactly their ids (none missing,
// none more), each once when read with FINAL, and no other event-derived
// table read with FINAL holds an event id twice. Raw rows may exceed the
// ids: that is a redelivery, collapsed by ReplacingMergeTree. It returns
// what the events table holds.
func CheckExactlyOnce(tb testing.TB, at Tables, acks []Ack) EventCounts {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	want := make([]uuid.UUID, 0, len(acks))
	seen := make(map[uuid.UUID]bool, len(acks))
	for _, a := range acks {
		if seen[a.ID] {
			tb.Errorf("%sevent %s acknowledged twice (a retry stored twice?)", at.label, a.ID)
			continue
		}
		seen[a.ID] = true
		want = append(want, a.ID)
	}
	events := at.table("events")
	res := CountEvents(tb, at)
	if res.Unique != uint64(len(want)) || res.Final != res.Unique {
		tb.Errorf("%s%s: %d rows, %d unique ids, %d rows with FINAL; JetStream acknowledged %d", at.label, events, res.Rows, res.Unique, res.Final, len(want))
	}
	rows, err := at.conn.Query(ctx, "SELECT DISTINCT event_id FROM "+events)
	if err != nil {
		tb.Fatal(err)
	}
	got := make([]uuid.UUID, 0, len(want))
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			tb.Fatal(err)
		}
		got = append(got, id)
	}
	rows.Close()
	cmp := func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) }
	slices.SortFunc(want, cmp)
	slices.SortFunc(got, cmp)
	missing, extra := diffSorted(want, got, cmp)
	if len(missing) > 0 {
		tb.Errorf("%s%d acknowledged events are not in %s, e.g. %v", at.label, len(missing), events, missing[:min(5, len(missing))])
	}
	if len(extra) > 0 {
		tb.Errorf("%s%d events in %s were never acknowledged, e.g. %v", at.label, len(extra), events, extra[:min(5, len(extra))])
	}
	for _, table := range analytics.ReplicatedTables() { // the event-derived tables
		if table == "events" {
			continue
		}
		var n, u uint64
		if err := at.conn.QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM "+at.table(table)+" FINAL").Scan(&n, &u); err != nil {
			tb.Fatal(err)
		}
		if n != u {
			tb.Errorf("%s%s FINAL: %d rows but %d event ids: an event counts twice", at.label, at.table(table), n, u)
		}
	}
	return res
}

// CheckStates checks the state tables against what a generator made (its
// Totals): one row per lead and deal at its last version, a stage-history
// row per lead event.
func CheckStates(tb testing.TB, at Tables, want Totals) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, c := range []struct {
		q    string
		want [2]uint64
	}{
		{"SELECT count(), sum(version) FROM " + at.table("lead_states") + " FINAL", [2]uint64{uint64(want.Leads), uint64(want.LeadVersions)}},
		{"SELECT count(), sum(version) FROM " + at.table("deal_states") + " FINAL", [2]uint64{uint64(want.Deals), uint64(want.DealVersions)}},
		{"SELECT count(), uniqExact(lead_id) FROM " + at.table("lead_stage_history") + " FINAL", [2]uint64{uint64(want.LeadEvents), uint64(want.Leads)}},
	} {
		var got [2]uint64
		if err := at.conn.QueryRow(ctx, c.q).Scan(&got[0], &got[1]); err != nil {
			tb.Fatal(err)
		}
		if got != c.want {
			tb.Errorf("%s%s = %v, want %v", at.label, c.q, got, c.want)
		}
	}
}

// diffSorted returns what sorted want lacks of sorted got (missing) and
// what got holds beyond want (extra).
func diffSorted[T any](want, got []T, cmp func(a, b T) int) (missing, extra []T) {
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || (i < len(want) && cmp(want[i], got[j]) < 0):
			missing = append(missing, want[i])
			i++
		case i == len(want) || cmp(want[i], got[j]) > 0:
			extra = append(extra, got[j])
			j++
		default:
			i++
			j++
		}
	}
	return missing, extra
}

// NewDatabase creates a database of its own for a test on the package's
// ClickHouse (analytics/chtest), named after the package's database and
// name, and returns its name and a connection to it; econdip migrate makes
// the tables. It is dropped when the test ends, so that its merges do not
// slow the tests after it.
func NewDatabase(tb testing.TB, name string) (string, driver.Conn) {
	tb.Helper()
	db := chtest.Database() + "_" + name
	ctx := context.Background()
	admin := analytics.Config{Addr: chtest.Addr(), Database: "default", Username: "default"}
	boot, err := analytics.Open(ctx, admin)
	if err != nil {
		tb.Fatal(err)
	}
	defer boot.Close()
	if err := boot.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
		tb.Fatal(err)
	}
	if err := analytics.CreateDatabase(ctx, boot, db); err != nil {
		tb.Fatal(err)
	}
	conn, err := analytics.Open(ctx, analytics.Config{Addr: chtest.Addr(), Database: db, Username: "default"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		conn.Close()
		if boot, err := analytics.Open(ctx, admin); err == nil {
			_ = boot.Exec(ctx, "DROP DATABASE IF EXISTS "+db)
			boot.Close()
		}
	})
	return db, conn
}
