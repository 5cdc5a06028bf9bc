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
// The table is replaced whole for concurrent readers: see replaceTable.

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"econdip/services/platform/reference"
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
					row.Sector, row.SectorName = sec.Code, sec.NameEN
				}
				out = append(out, row)
			}
		}
	}
	return out
}

const hsClassificationColumns = "hs6, chapter, heading, description, sector, sector_name, raw"

// LoadHSClassification replaces hs_classification with ref's classification
// of every 6-digit HS code (see replaceTable for how readers are kept safe)
// and returns the number of codes. Call it after Migrate, at every start,
// with the reference data carrying the administrators' mapping.
func LoadHSClassification(ctx context.Context, conn driver.Conn, ref *reference.Data) (int, error) {
	rows := HSClassification(ref)
	if len(rows) == 0 {
		return 0, fmt.Errorf("hs classification: the reference data has no 6-digit HS codes")
	}
	err := replaceTable(ctx, conn, "hs_classification", hsClassificationColumns, rows, func(r HSClassificationRow) []any {
		return []any{r.HS6, r.Chapter, r.Heading, r.Description, r.Sector, r.SectorName, boolByte(r.Raw)}
	})
	if err != nil {
		return 0, fmt.Errorf("hs classification: %w", err)
	}
	return len(rows), nil
}
