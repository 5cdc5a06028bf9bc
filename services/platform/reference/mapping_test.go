package reference

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWithMappingDirReclassifies(t *testing.T) {
	d := Default()
	dir := t.TempDir()
	m, err := d.WithMappingDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := m.SectorForHS("760110"); s.Code != "non_ferrous_metallurgy" {
		t.Fatalf("default mapping: 760110 -> %q", s.Code)
	}
	// An administrator moves aluminium (heading 7601) to machine building and marks it raw.
	sectors, _ := os.ReadFile(filepath.Join(dir, MappingSectorsFile))
	edited := strings.Replace(string(sectors), `"84;85;86;87;88;89;90",""`, `"84;85;86;87;88;89;90","7601"`, 1)
	if edited == string(sectors) {
		t.Fatal("test edit did not apply: the machine_building row changed")
	}
	if err := os.WriteFile(filepath.Join(dir, MappingSectorsFile), []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, MappingRawFile))
	if err := os.WriteFile(filepath.Join(dir, MappingRawFile), append(raw, []byte("7601,Unwrought aluminium\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err = d.WithMappingDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := m.SectorForHS("760110"); s.Code != "machine_building" || !m.IsRawHS("760110") {
		t.Fatalf("edited mapping: 760110 -> %q raw=%v", s.Code, m.IsRawHS("760110"))
	}
	if s, _ := d.SectorForHS("760110"); s.Code != "non_ferrous_metallurgy" {
		t.Fatal("WithMapping must not change the original data")
	}
	// A broken file is refused with the line named, and the defaults are not overwritten.
	if err := os.WriteFile(filepath.Join(dir, MappingRawFile), []byte("hs_prefix,description\n99x,bad\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := d.WithMappingDir(dir); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("broken mapping: %v", err)
	}
}
