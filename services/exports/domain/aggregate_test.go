package domain

import (
	"slices"
	"testing"
	"time"

	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
)

var (
	testNow   = time.Date(2026, 5, 20, 6, 0, 0, 0, time.UTC)
	testToday = "2026-05-20"
	testDay   = kernel.MustDay(testToday)
	wheat     = BarrierInput{Country: "CN", HSCodes: []string{"1001", "1001"}, Type: "sps", Title: " Phytosanitary ban ",
		LeadAgency: "mti", Clauses: []string{"2.6"}, ReportedOn: "2026-05-01"}
)

func TestNewBarrierStartsReported(t *testing.T) {
	ref := reference.Default()
	b, err := NewBarrier(wheat, ref, "cn-beijing", "attache.cn-beijing", "CN", testDay, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != Reported || b.Version != 1 || b.ReportedOn.String() != "2026-05-01" || b.Title != "Phytosanitary ban" ||
		!slices.Equal(b.HSCodes, []string{"1001"}) || b.Progress == nil || !b.CreatedAt.Equal(testNow) {
		t.Fatalf("new barrier %+v", b)
	}
	in := wheat
	in.ReportedOn = ""
	if b, _ := NewBarrier(in, ref, "cn-beijing", "a", "CN", testDay, testNow); b.ReportedOn != testDay {
		t.Fatalf("reported on %q; want today", b.ReportedOn)
	}
	if _, err := NewBarrier(wheat, ref, "de-berlin", "a", "DE", testDay, testNow); fieldKeys(err) != "country=error.barrier_not_host" {
		t.Fatalf("another post's country: %q", fieldKeys(err))
	}
}

func TestBarrierEdit(t *testing.T) {
	ref := reference.Default()
	base, err := NewBarrier(wheat, ref, "cn-beijing", "attache.cn-beijing", "CN", testDay, testNow)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		edit   func(*BarrierInput)
		note   *NoteInput
		fields string // "" accepted
		check  func(t *testing.T, b Barrier)
	}{
		{"new title", func(in *BarrierInput) { in.Title = "Ban lifted in part" }, nil, "", func(t *testing.T, b Barrier) {
			if b.Title != "Ban lifted in part" || len(b.Progress) != 0 {
				t.Fatalf("%+v", b)
			}
		}},
		{"the country and report day stay", func(in *BarrierInput) { in.Country, in.ReportedOn = "DE", "2026-01-01" }, nil, "", func(t *testing.T, b Barrier) {
			if b.Country != "CN" || b.ReportedOn.String() != "2026-05-01" {
				t.Fatalf("%+v", b)
			}
		}},
		{"a note dated today", func(*BarrierInput) {}, &NoteInput{Text: " talks held "}, "", func(t *testing.T, b Barrier) {
			if len(b.Progress) != 1 || b.Progress[0] != (Note{On: testDay, Text: "talks held", Author: "attache.cn-beijing"}) {
				t.Fatalf("%+v", b.Progress)
			}
		}},
		{"a note before the report", func(*BarrierInput) {}, &NoteInput{On: "2026-04-30", Text: "x"}, "progress.on=error.before_reported", nil},
		{"a note in the future", func(*BarrierInput) {}, &NoteInput{On: "2026-05-21", Text: "x"}, "progress.on=error.future_date", nil},
		{"every wrong field at once", func(in *BarrierInput) { in.Title = "" }, &NoteInput{Text: ""}, "progress.text=error.required,title=error.required", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := base
			in := b.Input()
			tc.edit(&in)
			err := b.Edit(in, tc.note, "attache.cn-beijing", ref, testDay)
			if tc.fields != "" {
				if fieldKeys(err) != tc.fields {
					t.Fatalf("errors %q; want %q", fieldKeys(err), tc.fields)
				}
				if b.Title != base.Title || len(b.Progress) != len(base.Progress) {
					t.Fatalf("a refused edit changed the barrier: %+v", b)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, b)
		})
	}
}

// TestBarrierChangeStatus: the state machine's rule (CanChange) decides,
// the day is checked against the report and the last change, and resolving
// dates the resolution.
func TestBarrierChangeStatus(t *testing.T) {
	cases := []struct {
		name     string
		from     Status
		change   StatusChange
		last     string
		fields   string
		resolved string
	}{
		{"verify", Reported, StatusChange{To: Verified, Comment: "confirmed"}, "", "", ""},
		{"resolve, backdated", InNegotiation, StatusChange{To: Resolved, EffectiveOn: "2026-05-10", Comment: "lifted"}, "2026-05-05", "", "2026-05-10"},
		{"resolve today", ResolvedPartly, StatusChange{To: Resolved, Comment: "lifted"}, "2026-05-05", "", testToday},
		{"before the last change", InNegotiation, StatusChange{To: Resolved, EffectiveOn: "2026-05-04", Comment: "x"}, "2026-05-05", "effective_on=error.before_last_change", ""},
		{"resolved is final", Resolved, StatusChange{To: Dormant, Comment: "x"}, "", "status=error.barrier_status_move", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := Barrier{Status: tc.from, ReportedOn: kernel.MustDay("2026-05-01")}
			on, err := b.ChangeStatus(tc.change, kernel.DayOrZero(tc.last), testDay)
			if tc.fields != "" {
				if fieldKeys(err) != tc.fields || b.Status != tc.from {
					t.Fatalf("errors %q, status %s; want %q and no change", fieldKeys(err), b.Status, tc.fields)
				}
				return
			}
			if err != nil || b.Status != tc.change.To || b.ResolvedOn.String() != tc.resolved || on.IsZero() {
				t.Fatalf("%+v on %q, %v", b, on, err)
			}
		})
	}
}

func TestExporterRegistryRules(t *testing.T) {
	ref := reference.Default()
	const bin = "990340004592"
	cases := []struct {
		name   string
		in     ExporterInput
		fields string
	}{
		{"valid", ExporterInput{BIN: bin, Name: "Pavlodar Aluminium JSC"}, ""},
		{"no BIN", ExporterInput{Name: "x"}, "bin=error.required"},
		{"no name", ExporterInput{BIN: bin, Name: "  "}, "name=error.required"},
		{"unknown region", ExporterInput{BIN: bin, Name: "x", Region: "KZ-00"}, "region=error.unknown_region"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.in.Trimmed().Validate(ref)
			if got := fieldKeys(err); (tc.fields == "" && err != nil) || (tc.fields != "" && got != tc.fields) {
				t.Fatalf("%q; want %q", got, tc.fields)
			}
		})
	}
	e := NewExporter(ExporterInput{BIN: bin, Name: "A"}, "admin", testNow)
	if e.Version != 1 || e.RegisteredBy != "admin" || e.Rename(ExporterInput{BIN: bin, Name: "A"}) {
		t.Fatalf("%+v: the same name is no change", e)
	}
	if !e.Rename(ExporterInput{BIN: bin, Name: "B", Region: "KZ-75"}) || e.Name != "B" || e.Region != "KZ-75" {
		t.Fatalf("%+v: renamed", e)
	}
}
