package reference

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
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
	var err error
	if c.sectors, err = parseSectors(sectors, d.clauseIdx, d.hsIdx); err != nil {
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
