package stack_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"econdip/analytics"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/exports/httpapi"
	"econdip/services/platform/reference"
	"econdip/services/test/stacktest"
)

// sectorFigures reads the export value per sector from ClickHouse until it
// counts want deals, or fails after 10 s.
func sectorFigures(t *testing.T, s *stack.Stack, want uint64) map[string]analytics.SectorExports {
	t.Helper()
	until := time.Now().Add(10 * time.Second)
	for {
		rows, err := analytics.ExportsBySector(context.Background(), s.CH, analytics.ExportFilter{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]analytics.SectorExports{}
		var n uint64
		for _, r := range rows {
			out[r.Sector] = r
			n += r.Deals
		}
		if n == want {
			return out
		}
		if time.Now().After(until) {
			t.Fatalf("after 10 s ClickHouse has %d deals, want %d: %+v", n, want, rows)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// An administrator edits the mapping files in the data folder and restarts:
// every deal already recorded is reclassified, in the figures and in the API.
func TestEditedMappingReclassifiesDealsAfterRestart(t *testing.T) {
	dir := t.TempDir()
	s := stacktest.StartWith(t, stacktest.Options{Dir: dir})
	for _, bin := range []string{binAluminium, binRefinery, binOilfield} {
		registerExporter(t, s, berlin, bin, "Exporter "+bin)
	}
	alu := createDeal(t, s, berlin, dealBody(binAluminium, "760110", `"1000"`))
	createDeal(t, s, berlin, dealBody(binRefinery, "271012", `"2000"`))
	createDeal(t, s, berlin, dealBody(binOilfield, "270900", `"4000"`))

	before := sectorFigures(t, s, 3)
	for sector, raw := range map[string]bool{"non_ferrous_metallurgy": false, "petrochemistry_refining": false, "mining": true} {
		r, ok := before[sector]
		if !ok || r.Deals != 1 || r.NonRawUSD.IsZero() == !raw {
			t.Fatalf("before the edit, sector %s: %+v (all: %+v)", sector, r, before)
		}
	}

	// The edit: unwrought aluminium (heading 7601) becomes a raw commodity,
	// and heading 2710 (refined oils) moves from petrochemistry to oil services.
	mapping := filepath.Join(dir, "mapping")
	raw, err := os.ReadFile(filepath.Join(mapping, reference.MappingRawFile))
	if err != nil {
		t.Fatalf("the first start did not write the mapping files to edit: %v", err)
	}
	raw = append(raw, []byte("7601,Unwrought aluminium (edited: counted as raw)\n")...)
	sectors, err := os.ReadFile(filepath.Join(mapping, reference.MappingSectorsFile))
	if err != nil {
		t.Fatal(err)
	}
	// Heading 2710 leaves petrochemistry's headings and joins oil services' (which start with 7304).
	edited := strings.Replace(strings.Replace(string(sectors), `"2710;2712;`, `"2712;`, 1), `"7304;`, `"2710;7304;`, 1)
	if strings.Count(edited, "2710") != 1 || edited == string(sectors) {
		t.Fatalf("the mapping file does not look as expected:\n%s", sectors)
	}
	must(t, os.WriteFile(filepath.Join(mapping, reference.MappingRawFile), raw, 0o644))
	must(t, os.WriteFile(filepath.Join(mapping, reference.MappingSectorsFile), []byte(edited), 0o644))

	s.Close()
	s = stacktest.StartWith(t, stacktest.Options{Dir: dir})
	after := sectorFigures(t, s, 3)
	if r := after["non_ferrous_metallurgy"]; r.Deals != 1 || !r.NonRawUSD.IsZero() || r.ValueUSD.IsZero() {
		t.Errorf("after the edit, aluminium should be raw non-ferrous metallurgy: %+v", r)
	}
	if r, ok := after["oil_services"]; !ok || r.Deals != 1 || r.NonRawUSD.IsZero() {
		t.Errorf("after the edit, refined oils should be non-raw oil services: %+v (all: %+v)", r, after)
	}
	if r, ok := after["petrochemistry_refining"]; ok {
		t.Errorf("after the edit, petrochemistry should have no deal: %+v", r)
	}

	// The API classifies with the same mapping.
	var d httpapi.DealJSON
	r := stacktest.Do(t, "GET", exportsURL(s, "/deals/"+alu.ID), berlin, "")
	if r.Status != 200 {
		t.Fatalf("read the deal after the restart: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &d)
	if d.Sector != "non_ferrous_metallurgy" || !d.Raw {
		t.Errorf("the API after the edit: aluminium deal %+v, want raw non-ferrous metallurgy", d)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
