package ingest

import (
	"strings"
	"testing"
	"time"

	"econdip/events"
)

// TestDocumentNameNeverProjected: a document event adds an events row
// without the file's name (in any letter case of its member), keeping the
// record, type, size and who attached it; its bytes never were in it.
func TestDocumentNameNeverProjected(t *testing.T) {
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	doc := events.DocumentV1{ID: "6e2d8b1f-2222-4c3d-9b2f-3c4d5e6f7a81", Version: 1, WorkRef: events.WorkRef{Kind: events.WorkOnLead, ID: "7c9e6679-7425-40de-944b-e07fc1f90ae7"},
		Scope: "post:de-berlin", Name: "Passport Jonas Weber.pdf", ContentType: events.DocPDF, Size: 1234, SHA256: strings.Repeat("ab", 32),
		Object: "lead/6e2d8b1f-2222-4c3d-9b2f-3c4d5e6f7a81/" + strings.Repeat("ab", 32), AttachedBy: "aigerim.berlin", AttachedAt: at, UpdatedAt: at}
	removed := doc
	removed.Version, removed.Removed, removed.RemovedBy, removed.RemovedAt = 2, true, "aigerim.berlin", &at
	for _, ev := range []events.Event{&events.DocumentAttachedV1{Document: doc}, &events.DocumentRemovedV1{Document: removed}} {
		raw := encodeEvent(t, ev)
		upper := []byte(strings.Replace(string(raw), `"name":`, `"NAME":`, 1))
		for name, raw := range map[string][]byte{"as written": raw, "name in capitals": upper} {
			rows := projectRaw(t, events.StreamLeads, raw)
			if rows.Len() != 1 || len(rows.Events) != 1 {
				t.Fatalf("%s %s: rows %+v", ev.EventType(), name, rows)
			}
			data := rows.Events[0].Data
			if strings.Contains(data, "Jonas") || strings.Contains(strings.ToLower(data), `"name"`) ||
				!strings.Contains(data, doc.ID) || !strings.Contains(data, `"size":1234`) {
				t.Errorf("%s %s: events row data %s", ev.EventType(), name, data)
			}
		}
	}
}
