package analytics

// The HS classification export deals are read with.
//
// Sector and raw/non-raw are not in the deal events: an administrator edits
// the mapping files (priority sectors by HS chapter or heading, and the
// raw-commodity rule), and the figures must follow the edited files. So every
// start classifies each 6-digit code of the HS 2022 nomenclature with the
// current mapping into hs_classification, and the export queries join deals
// with it by HS code at query time: a restart with an edited mapping
// reclassifies every deal, without replaying any event.
//
// Replacing the table safely for concurrent readers. TRUNCATE followed by an
// insert would leave readers an empty, then a half-filled table for as long
// as the insert takes. Instead the new classification is written to a table
// of its own (hs_classification_load_<random>, created AS hs_classification
// so it has the migrated structure), checked by counting, and only then
// swapped in by name:
//   - On an Atomic database (the default of current ClickHouse releases):
//     EXCHANGE TABLES hs_classification AND <load>, one atomic swap.
//   - Elsewhere, notably ClickHouse 18.16, which has neither the Atomic engine
//     nor EXCHANGE TABLES (a syntax error there):
//     RENAME TABLE hs_classification TO <old>, <load> TO hs_classification.
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
// hold the same classification when they read the same files. A load that
// died half-way leaves a hs_classification_load_ table behind: loads drop
// those older than an hour.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"econdip/services/reference"
)

// HSClassificationRow is one row of hs_classification: a 6-digit HS code
// classified under the current mapping.
type HSClassificationRow struct {
	HS6         string // e.g. "760110"
	Chapter     string // "76"
	Heading     string // "7601"
	Description string // the code's HS 2022 description
	Sector      string // priority sector code, empty when the mapping gives none
	SectorName  string
	Raw         bool // a raw commodity under the raw-commodity rule
}

// HSClassification classifies every 6-digit code of ref's HS nomenclature
// with ref's mapping (SectorForHS: the most specific prefix wins; IsRawHS),
// in code order.
func HSClassification(ref *reference.Data) []HSClassificationRow {
	var out []HSClassificationRow
	// The nomenclature lists every code under its parent (checked when it is
	// loaded), so walking chapters, then their headings, then their
	// subheadings finds every 6-digit code.
	for c := range 100 {
		chapter := fmt.Sprintf("%02d", c)
		if _, ok := ref.HS(chapter); !ok {
			continue
		}
		for h := range 100 {
			heading := fmt.Sprintf("%s%02d", chapter, h)
			if _, ok := ref.HS(heading); !ok {
				continue
			}
			for s := range 100 {
				code := fmt.Sprintf("%s%02d", heading, s)
				e, ok := ref.HS(code)
				if !ok || e.Level != 6 {
					continue
				}
				row := HSClassificationRow{HS6: code, Chapter: chapter, Heading: heading, Description: e.Description, Raw: ref.IsRawHS(code)}
				if sec, ok := ref.SectorForHS(code); ok {
					row.Sector, row.SectorName = sec.Code, sec.Name
				}
				out = append(out, row)
			}
		}
	}
	return out
}

const hsClassificationColumns = "hs6, chapter, heading, description, sector, sector_name, raw"

// LoadHSClassification replaces hs_classification with ref's classification
// of every 6-digit HS code (see the top of this file for how readers are
// kept safe) and returns the number of codes. Call it after Migrate, at every
// start, with the reference data carrying the administrators' mapping.
func LoadHSClassification(ctx context.Context, conn driver.Conn, ref *reference.Data) (int, error) {
	rows := HSClassification(ref)
	if len(rows) == 0 {
		return 0, fmt.Errorf("hs classification: the reference data has no 6-digit HS codes")
	}
	dropStaleLoads(ctx, conn)
	suffix, err := randomSuffix()
	if err != nil {
		return 0, err
	}
	load := "hs_classification_load_" + suffix
	if err := conn.Exec(ctx, "CREATE TABLE "+load+" AS hs_classification"); err != nil {
		return 0, fmt.Errorf("hs classification: create %s: %w", load, err)
	}
	swapped := false
	defer func() {
		if !swapped {
			_ = conn.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+load)
		}
	}()
	if err := insert(ctx, conn, load, hsClassificationColumns, rows, func(r HSClassificationRow) []any {
		return []any{r.HS6, r.Chapter, r.Heading, r.Description, r.Sector, r.SectorName, boolByte(r.Raw)}
	}); err != nil {
		return 0, fmt.Errorf("hs classification: %w", err)
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM "+load).Scan(&n); err != nil {
		return 0, fmt.Errorf("hs classification: count %s: %w", load, err)
	}
	if n != uint64(len(rows)) {
		return 0, fmt.Errorf("hs classification: %s holds %d rows, %d were inserted", load, n, len(rows))
	}
	atomicDB, err := atomicDatabase(ctx, conn)
	if err != nil {
		return 0, err
	}
	// old is the name the replaced table has after the swap.
	old := load
	if atomicDB {
		err = conn.Exec(ctx, "EXCHANGE TABLES hs_classification AND "+load)
	} else {
		old = "hs_classification_old_" + suffix
		err = conn.Exec(ctx, "RENAME TABLE hs_classification TO "+old+", "+load+" TO hs_classification")
	}
	if err != nil {
		return 0, fmt.Errorf("hs classification: swap in the new table: %w", err)
	}
	swapped = true
	if err := conn.Exec(ctx, "DROP TABLE IF EXISTS "+old); err != nil {
		return 0, fmt.Errorf("hs classification: drop the replaced table %s: %w", old, err)
	}
	return len(rows), nil
}

// atomicDatabase reports whether the current database supports EXCHANGE
// TABLES: the Atomic engine, and the engines built on it (Replicated, and
// Shared in ClickHouse Cloud).
func atomicDatabase(ctx context.Context, conn driver.Conn) (bool, error) {
	var engine string
	if err := conn.QueryRow(ctx, "SELECT engine FROM system.databases WHERE name = currentDatabase()").Scan(&engine); err != nil {
		return false, fmt.Errorf("hs classification: database engine: %w", err)
	}
	switch engine {
	case "Atomic", "Replicated", "Shared":
		return true, nil
	}
	return false, nil
}

// dropStaleLoads drops the load and replaced tables a load that died
// half-way left behind; an hour is far longer than a load takes, so a load
// running right now in another process is never touched. Best effort: a
// failure here only leaves a small table behind.
func dropStaleLoads(ctx context.Context, conn driver.Conn) {
	rows, err := conn.Query(ctx, `SELECT name FROM system.tables
		WHERE database = currentDatabase()
			AND (startsWith(name, 'hs_classification_load_') OR startsWith(name, 'hs_classification_old_'))
			AND metadata_modification_time < now() - 3600`)
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
	for _, name := range stale {
		if !plainName.MatchString(name) {
			continue
		}
		_ = conn.Exec(ctx, "DROP TABLE IF EXISTS "+name)
	}
}

// plainName guards the table names read back from system.tables before they
// are written into a DROP statement.
var plainName = regexp.MustCompile(`^hs_classification_(load|old)_[0-9a-f]+$`)

func randomSuffix() (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("hs classification: %w", err)
	}
	return hex.EncodeToString(b), nil
}
