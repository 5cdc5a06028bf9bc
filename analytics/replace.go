package analytics

// Reference tables the figures join with (the HS classification, exchange
// rates, targets) are replaced whole when their files change.
//
// Replacing a table safely for concurrent readers. TRUNCATE followed by an
// insert would leave readers an empty, then a half-filled table for as long
// as the insert takes. Instead the new content is written to a table of its
// own (<table>_load_<random>, created AS <table> so it has the migrated
// structure), checked by counting, and only then swapped in by name:
//   - On an Atomic database (the default of current ClickHouse releases):
//     EXCHANGE TABLES <table> AND <load>, one atomic swap.
//   - Elsewhere, notably ClickHouse 18.16, which has neither the Atomic engine
//     nor EXCHANGE TABLES (a syntax error there):
//     RENAME TABLE <table> TO <old>, <load> TO <table>.
//     18.16 runs a RENAME of several tables under the server's global lock,
//     after taking each renamed table's alter lock (so it waits for queries
//     still reading the old table), and its own source calls the chain
//     atomic "from the point of view of DBMS client": a query sees the old
//     table or the new one, never none. (On a current server's deprecated
//     Ordinary database the same RENAME is documented as not atomic: a query
//     there may briefly find no table.)
//
// Then the old table is dropped. Names are unique per load, so two services
// starting at once do not collide; each swaps in a complete table, and both
// hold the same content when they read the same files. A load that died
// half-way leaves a <table>_load_ table behind: loads drop those older than
// an hour.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// replaceTable replaces the content of table (one of the migrated reference
// tables) with rows, written in columns by values.
func replaceTable[T any](ctx context.Context, conn driver.Conn, table, columns string, rows []T, values func(T) []any) error {
	return replace(ctx, conn, table, columns, rows, values, true)
}

// replaceJoinTable is replaceTable for a Join table, which 18.16 cannot
// count with SELECT: the caller checks the rows in a readable twin.
func replaceJoinTable[T any](ctx context.Context, conn driver.Conn, table, columns string, rows []T, values func(T) []any) error {
	return replace(ctx, conn, table, columns, rows, values, false)
}

func replace[T any](ctx context.Context, conn driver.Conn, table, columns string, rows []T, values func(T) []any, count bool) error {
	if !plainTable.MatchString(table) {
		return fmt.Errorf("replace table: %q is not a plain table name", table)
	}
	dropStaleLoads(ctx, conn, table)
	suffix, err := randomSuffix()
	if err != nil {
		return err
	}
	load := table + "_load_" + suffix
	if err := conn.Exec(ctx, "CREATE TABLE "+load+" AS "+table); err != nil {
		return fmt.Errorf("create %s: %w", load, err)
	}
	swapped := false
	defer func() {
		if !swapped {
			_ = conn.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+load)
		}
	}()
	if err := insert(ctx, conn, load, columns, rows, values); err != nil {
		return err
	}
	if count {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+load).Scan(&n); err != nil {
			return fmt.Errorf("count %s: %w", load, err)
		}
		if n != uint64(len(rows)) {
			return fmt.Errorf("%s holds %d rows, %d were inserted", load, n, len(rows))
		}
	}
	atomicDB, err := atomicDatabase(ctx, conn)
	if err != nil {
		return err
	}
	// old is the name the replaced table has after the swap.
	old := load
	if atomicDB {
		err = conn.Exec(ctx, "EXCHANGE TABLES "+table+" AND "+load)
	} else {
		old = table + "_old_" + suffix
		err = conn.Exec(ctx, "RENAME TABLE "+table+" TO "+old+", "+load+" TO "+table)
	}
	if err != nil {
		return fmt.Errorf("swap in the new %s: %w", table, err)
	}
	swapped = true
	if err := conn.Exec(ctx, "DROP TABLE IF EXISTS "+old); err != nil {
		return fmt.Errorf("drop the replaced table %s: %w", old, err)
	}
	return nil
}

// plainTable guards table names written into statements.
var plainTable = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// atomicDatabase reports whether the current database supports EXCHANGE
// TABLES: the Atomic engine, and the engines built on it (Replicated, and
// Shared in ClickHouse Cloud).
func atomicDatabase(ctx context.Context, conn driver.Conn) (bool, error) {
	var engine string
	if err := conn.QueryRow(ctx, "SELECT engine FROM system.databases WHERE name = currentDatabase()").Scan(&engine); err != nil {
		return false, fmt.Errorf("database engine: %w", err)
	}
	switch engine {
	case "Atomic", "Replicated", "Shared":
		return true, nil
	}
	return false, nil
}

// dropStaleLoads drops the load and replaced tables of table that a load
// which died half-way left behind; an hour is far longer than a load takes,
// so a load running right now in another process is never touched. Best
// effort: a failure here only leaves a small table behind.
func dropStaleLoads(ctx context.Context, conn driver.Conn, table string) {
	rows, err := conn.Query(ctx, `SELECT name FROM system.tables
		WHERE database = currentDatabase()
			AND (startsWith(name, ?) OR startsWith(name, ?))
			AND metadata_modification_time < now() - 3600`, table+"_load_", table+"_old_")
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) == nil {
			stale = append(stale, name)
		}
	}
	rows.Close()
	leftover := regexp.MustCompile(`^` + table + `_(load|old)_[0-9a-f]+$`)
	for _, name := range stale {
		if leftover.MatchString(name) {
			_ = conn.Exec(ctx, "DROP TABLE IF EXISTS "+name)
		}
	}
}

func randomSuffix() (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
