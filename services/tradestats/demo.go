package tradestats

import _ "embed"

// DemoFileName is the name of the BNS file the demo imports.
const DemoFileName = "kz_exports_by_hs_chapter_2026_07.csv"

// DemoFile is Kazakhstan's exports by HS chapter in July 2026 as the BNS
// published them (data/PROVENANCE.md): the demo imports it on the first
// start, and the tests use it.
//
//go:embed data/kz_exports_by_hs_chapter_2026_07.csv
var DemoFile []byte
