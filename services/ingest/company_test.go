package ingest

import (
	"context"
	"strings"
	"testing"
	"time"

	"econdip/analytics"
	"econdip/events"
	"econdip/services/platform/obs"
	"econdip/services/test/reliability/faultkit"
)

// TestCompanyProjectsWithoutContacts: company events (issue 18) become
// company_states rows, the latest version winning, and events rows; the
// contact persons reach neither: every String column is searched.
func TestCompanyProjectsWithoutContacts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, conn := faultkit.NewDatabase(t, "companies")
	if err := analytics.Migrate(ctx, conn, obs.Discard()); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	c := events.CompanyV1{ID: "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b", Version: 1, Name: "ТОО «Қазақ Алюминий»", NameLatin: "TOO Qazaq Alyuminiy",
		Country: "KZ", Aliases: []string{}, Contacts: []events.Contact{{Name: "Aidos Nurlanov", Email: "a.nurlanov@example.kz", Phone: "+7 701 1234567"}},
		CreatedBy: "attache.de-berlin", CreatedAt: at, UpdatedAt: at}
	merged := c
	merged.Version, merged.MergedInto, merged.UpdatedAt = 2, "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", at.Add(time.Hour)
	var rows analytics.Rows
	for i, ev := range []events.Event{&events.CompanyCreatedV1{Company: c},
		&events.CompanyMergedV1{Company: merged, Into: events.CompanyRef{ID: merged.MergedInto, Name: "Kazakh Aluminium LLP", NameLatin: "Kazakh Aluminium LLP"}}} {
		r := projectRaw(t, events.StreamCompanies, encodeEvent(t, ev))
		if len(r.CompanyStates) != 1 || len(r.Events) != 1 {
			t.Fatalf("%s: rows %+v", ev.EventType(), r)
		}
		r.Events[0].StreamSeq = uint64(i + 1)
		rows.CompanyStates = append(rows.CompanyStates, r.CompanyStates...)
		rows.Events = append(rows.Events, r.Events...)
	}
	if err := analytics.Write(ctx, conn, &rows); err != nil {
		t.Fatal(err)
	}
	var name, into string
	var version uint32
	if err := conn.QueryRow(ctx, "SELECT name, merged_into, version FROM company_states FINAL WHERE company_id = ?", c.ID).Scan(&name, &into, &version); err != nil {
		t.Fatal(err)
	}
	if name != c.Name || into != merged.MergedInto || version != 2 {
		t.Errorf("company_states: %q %q %d", name, into, version)
	}
	for _, q := range []string{"SELECT data FROM events", "SELECT concat(name, name_latin, reg_number, website, arrayStringConcat(aliases, ' ')) FROM company_states"} {
		all, err := conn.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for all.Next() {
			var s string
			if err := all.Scan(&s); err != nil {
				t.Fatal(err)
			}
			for _, personal := range []string{"Nurlanov", "example.kz", "1234567"} {
				if strings.Contains(s, personal) {
					t.Errorf("%s holds %q: %s", q, personal, s)
				}
			}
		}
		all.Close()
	}
}
