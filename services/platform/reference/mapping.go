package reference

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Mapping file names: the HS → priority sector map and the raw-commodity
// rule. Administrators edit copies of them (see WriteMappingFiles); a restart
// with edited files reclassifies every export deal, because analytics derive
// sector and raw/non-raw from the HS code at load time, not from the events.
const (
	MappingSectorsFile = fileSectors
	MappingRawFile     = fileRaw
)

// DefaultMapping returns the embedded default mapping files.
func DefaultMapping() (sectors, raw []byte) {
	sectors, _ = embedded.ReadFile("data/" + fileSectors)
	raw, _ = embedded.ReadFile("data/" + fileRaw)
	return sectors, raw
}

// WithMapping returns a copy of d whose sectors and raw-commodity rule come
// from the given files (same format as the defaults), validated the same way:
// errors name the file, line and field, and d is unchanged.
func (d *Data) WithMapping(sectors, raw io.Reader) (*Data, error) {
	c := *d
	b, err := io.ReadAll(sectors)
	if err != nil {
		return nil, err
	}
	if c.sectors, err = parseSectors(bytes.NewReader(upgradeLegacySectors(b, d.sectors)), d.clauseIdx, d.hsIdx); err != nil {
		return nil, err
	}
	if c.raw, err = parseRaw(raw, d.hsIdx); err != nil {
		return nil, err
	}
	c.sectorIdx = indexBy(c.sectors, func(s Sector) string { return s.Code })
	c.sectorPrefix = map[string]int{}
	for i, s := range c.sectors {
		for _, p := range slices.Concat(s.HSChapters, s.HSHeadings) {
			c.sectorPrefix[p] = i
		}
	}
	return &c, nil
}

// WithMappingDir loads the mapping files from dir, first writing the
// defaults there if they are missing (so an administrator has files to edit).
func (d *Data) WithMappingDir(dir string) (*Data, error) {
	if err := WriteMappingFiles(dir, false); err != nil {
		return nil, err
	}
	sectors, err := os.ReadFile(filepath.Join(dir, MappingSectorsFile))
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, MappingRawFile))
	if err != nil {
		return nil, err
	}
	out, err := d.WithMapping(bytes.NewReader(sectors), bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("mapping in %s: %w (fix the file, or delete it to get the default back)", dir, err)
	}
	return out, nil
}

// WriteMappingFiles writes the default mapping files into dir; existing files
// are kept unless overwrite is set.
func WriteMappingFiles(dir string, overwrite bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sectors, raw := DefaultMapping()
	for name, data := range map[string][]byte{MappingSectorsFile: sectors, MappingRawFile: raw} {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err == nil && !overwrite {
			continue
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("write mapping file %s: %w", path, err)
		}
	}
	return nil
}

// legacySectorsHeader is the header of sector mapping files written before
// sector names were translated (name_ru and name_kk).
const legacySectorsHeader = "code,name_en,concept_clause,hs_chapters,hs_headings,note"

// upgradeLegacySectors adds the name_ru and name_kk columns to a sector
// mapping file of the old format, taking the names of each sector code from
// known, so an administrator's edited file keeps working after an upgrade; a
// sector known has no names for is then refused by parseSectors with its
// line and column. Any other file is returned as is.
func upgradeLegacySectors(in []byte, known []Sector) []byte {
	cr := csv.NewReader(bytes.NewReader(in))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil || len(recs) == 0 || strings.Join(recs[0], ",") != legacySectorsHeader {
		return in
	}
	names := map[string]Sector{}
	for _, s := range known {
		names[s.Code] = s
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	for i, r := range recs {
		if len(r) == 6 {
			ru, kk := "name_ru", "name_kk"
			if i > 0 {
				s := names[strings.TrimSpace(r[0])]
				ru, kk = s.NameRU, s.NameKK
			}
			r = slices.Concat(r[:2], []string{ru, kk}, r[2:])
		}
		_ = w.Write(r) // a bytes.Buffer does not fail
	}
	w.Flush()
	return out.Bytes()
}
