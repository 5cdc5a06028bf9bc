package reference

import "strings"

// HS returns the HS 2022 entry with the given 2-, 4- or 6-digit code.
func (d *Data) HS(code string) (HSCode, bool) { return lookup(d.hs, d.hsIdx, code) }

// SearchHS returns at most limit entries (all when limit <= 0) whose code
// starts with query or whose description contains every word of it, in any
// order and ignoring case ("unwrought aluminium" finds "Aluminium;
// unwrought, (not alloyed)"); 6-digit codes come first, then headings, then
// chapters.
func (d *Data) SearchHS(query string, limit int) []HSCode {
	query = strings.ToLower(strings.TrimSpace(query))
	if query == "" {
		return nil
	}
	words := strings.Fields(query)
	matches := func(description string) bool {
		for _, w := range words {
			if !strings.Contains(description, w) {
				return false
			}
		}
		return true
	}
	var out []HSCode
	for _, level := range []int{6, 4, 2} {
		for i, h := range d.hs {
			if h.Level != level {
				continue
			}
			if strings.HasPrefix(h.Code, query) || matches(d.hsLower[i]) {
				out = append(out, h)
				if len(out) == limit {
					return out
				}
			}
		}
	}
	return out
}

// SectorForHS returns the priority sector of a goods code of any length (HS or a longer national code); a heading mapping beats a chapter mapping.
func (d *Data) SectorForHS(hs string) (Sector, bool) {
	if !isDigits(hs) {
		return Sector{}, false
	}
	for _, n := range []int{4, 2} {
		if len(hs) >= n {
			if i, ok := d.sectorPrefix[hs[:n]]; ok {
				return d.sectors[i].clone(), true
			}
		}
	}
	return Sector{}, false
}

// IsRawHS reports whether a goods code counts as a raw commodity export under raw_commodities.csv; every code not listed there is non-raw.
func (d *Data) IsRawHS(hs string) bool {
	if !isDigits(hs) {
		return false
	}
	for _, n := range []int{6, 4, 2} {
		if len(hs) >= n && d.raw[hs[:n]] {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
