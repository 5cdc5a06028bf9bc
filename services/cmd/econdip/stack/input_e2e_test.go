package stack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"econdip/events"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/test/stacktest"
)

// TestFinding8_IdempotencyKeyWithAnotherBodyIs422: through the real APIs, a
// create retried with the same Idempotency-Key and the same body answers the
// first result (replayed); the same key with another body answers 422 with a
// message that says to use a new key, and the stream holds no second event.
func TestFinding8_IdempotencyKeyWithAnotherBodyIs422(t *testing.T) {
	s := stacktest.Start(t)
	createCommission(t, s, "igc-cn", "CN")
	registerExporter(t, s, berlin, binAluminium, "Pavlodar Aluminium JSC")
	session := astanaDay(-20)
	protocol := func(number int, text string) string {
		return strings.Replace(protocolBody(number, session, []string{astanaDay(10), astanaDay(20)}, ""), "Decision 2: prepare a roadmap", text, 1)
	}
	tests := []struct {
		name, url, token, stream string
		first, other             string
		created                  int
		newKey                   int // status of the other body with a new key
	}{
		{"lead", leadsURL(s), berlin, events.StreamLeads, leadBody("Same Key GmbH"), leadBody("Other Body GmbH"), http.StatusCreated, http.StatusCreated},
		{"lead, amount only", leadsURL(s), berlin, events.StreamLeads, leadBody("Amount GmbH"),
			strings.Replace(leadBody("Amount GmbH"), `"1000000"`, `"2000000"`, 1), http.StatusCreated, http.StatusCreated},
		{"deal", exportsURL(s, "/deals"), berlin, events.StreamExports, dealBody(binAluminium, "760110", `"1000"`),
			dealBody(binAluminium, "760110", `"9999"`), http.StatusCreated, http.StatusCreated},
		{"barrier", exportsURL(s, "/barriers"), beijing, events.StreamExports, barrierBody(astanaDay(-3)),
			strings.Replace(barrierBody(astanaDay(-3)), "Phytosanitary suspension", "Customs delay", 1), http.StatusCreated, http.StatusCreated},
		{"protocol, other decisions", commissionsURL(s) + "/igc-cn/sessions", secCN, events.StreamCommissions,
			protocol(5, "Decision 2: prepare a roadmap"), protocol(5, "Decision 2: something else"), http.StatusCreated, http.StatusConflict}, // session 5 is recorded
		{"protocol, other session", commissionsURL(s) + "/igc-cn/sessions", secCN, events.StreamCommissions,
			protocol(6, "Decision 2: prepare a roadmap"), protocol(7, "Decision 2: prepare a roadmap"), http.StatusCreated, http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "finding-8-" + strings.ReplaceAll(tt.name, " ", "-")
			r := stacktest.Do(t, "POST", tt.url, tt.token, tt.first, "Idempotency-Key", key)
			if r.Status != tt.created {
				t.Fatalf("first: %d %s", r.Status, r.Body)
			}
			first := string(r.Body)
			before := streamMsgs(t, s, tt.stream)
			r = stacktest.Do(t, "POST", tt.url, tt.token, tt.first, "Idempotency-Key", key)
			if r.Status != tt.created || r.Header.Get("Idempotent-Replayed") != "true" || recordID(t, r.Body) != recordID(t, []byte(first)) {
				t.Fatalf("same key, same body: %d replayed=%q %s; want the first result replayed", r.Status, r.Header.Get("Idempotent-Replayed"), r.Body)
			}
			r = stacktest.Do(t, "POST", tt.url, tt.token, tt.other, "Idempotency-Key", key)
			var eb errorBody
			r.JSON(t, &eb)
			if r.Status != http.StatusUnprocessableEntity || eb.Code != "key_reused" ||
				eb.Error != "this Idempotency-Key was used for a different request: use a new key for a new record" {
				t.Fatalf("same key, other body: %d %s; want 422 key_reused", r.Status, r.Body)
			}
			if after := streamMsgs(t, s, tt.stream); after != before {
				t.Fatalf("the stream grew from %d to %d: nothing may be written", before, after)
			}
			// A new key for the other body creates it (or meets the record's own rules).
			if r := stacktest.Do(t, "POST", tt.url, tt.token, tt.other, "Idempotency-Key", key+"-new"); r.Status != tt.newKey {
				t.Fatalf("other body with a new key: %d %s", r.Status, r.Body)
			}
		})
	}
}

// TestFinding8_ProtocolKeyReusedAfterTheDuplicateWindowIs422: a protocol's
// session id derives from its number, not from the key, so a key reused for
// another session is not caught by JetStream once the duplicate window has
// passed (its event ids would be stored a second time); the sessions the
// service has read still know the key.
func TestFinding8_ProtocolKeyReusedAfterTheDuplicateWindowIs422(t *testing.T) {
	s := stacktest.Start(t)
	createCommission(t, s, "igc-cn", "CN")
	ctx := context.Background()
	st, err := s.JS.Stream(ctx, events.StreamCommissions)
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	const window = 300 * time.Millisecond
	cfg.Duplicates = window
	if _, err := s.JS.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	url := commissionsURL(s) + "/igc-cn/sessions"
	first := protocolBody(8, astanaDay(-20), []string{astanaDay(10), astanaDay(20)}, "")
	if r := stacktest.Do(t, "POST", url, secCN, first, "Idempotency-Key", "reused-later"); r.Status != http.StatusCreated {
		t.Fatalf("first protocol: %d %s", r.Status, r.Body)
	}
	time.Sleep(3 * window) // JetStream forgets the batch's message ids: a time window, not a condition to wait on
	before := streamMsgs(t, s, events.StreamCommissions)
	other := protocolBody(9, astanaDay(-20), []string{astanaDay(10), astanaDay(20)}, "")
	r := stacktest.Do(t, "POST", url, secCN, other, "Idempotency-Key", "reused-later")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "key_reused") {
		t.Fatalf("the key of session 8 for session 9, after the duplicate window: %d %s; want 422 key_reused", r.Status, r.Body)
	}
	if after := streamMsgs(t, s, events.StreamCommissions); after != before {
		t.Fatalf("the stream grew from %d to %d: nothing may be written", before, after)
	}
	if r := stacktest.Do(t, "POST", url, secCN, first, "Idempotency-Key", "reused-later"); r.Status != http.StatusCreated || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the first protocol again after the window: %d %s; want it replayed", r.Status, r.Body)
	}
}

// recordID is the id of a created record: a lead, deal or barrier, or a protocol's session.
func recordID(t *testing.T, body []byte) string {
	t.Helper()
	var v struct {
		ID      string `json:"id"`
		Session struct {
			ID string `json:"id"`
		} `json:"session"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return v.ID + v.Session.ID
}

// TestFinding7_ControlCharsAndInvalidUTF8AreRefusedThroughTheAPIs: NUL (raw
// or escaped), other C0 controls and invalid UTF-8 in a lead or a protocol
// (JSON or CSV) are refused with a field error on the full path and store
// nothing; TAB, LF and CR are kept.
func TestFinding7_ControlCharsAndInvalidUTF8AreRefusedThroughTheAPIs(t *testing.T) {
	s := stacktest.Start(t)
	createCommission(t, s, "igc-cn", "CN")
	lead := leadBody("Clean GmbH")
	session := astanaDay(-5)
	protocol := protocolBody(2, session, []string{astanaDay(5), astanaDay(6), astanaDay(7)}, "")
	csvURL := commissionsURL(s) + "/igc-cn/sessions/import?number=3&date=" + session + "&place=Beijing"
	csvHead := "item,text,agencies,deadline,clauses\n"
	csvRow := func(n int, text string) string {
		return fmt.Sprintf("%d,%s,mti,%s,2.7\n", n, text, astanaDay(9))
	}
	tests := []struct {
		name, url, token, body, stream string
		field, code                    string
	}{
		{"lead: escaped NUL", leadsURL(s), berlin, strings.Replace(lead, "Clean GmbH", `Clean\u0000GmbH`, 1), events.StreamLeads, "investor_name", "error.control_char"},
		{"lead: raw NUL", leadsURL(s), berlin, strings.Replace(lead, "Clean GmbH", "Clean\x00GmbH", 1), events.StreamLeads, "investor_name", "error.control_char"},
		{"lead: escape sequence", leadsURL(s), berlin, strings.Replace(lead, "Tractor", `\u001b[2JTractor`, 1), events.StreamLeads, "title", "error.control_char"},
		{"lead: contact with a NUL", leadsURL(s), berlin, strings.Replace(lead, "Jonas Privatmann", `Jonas\u0000`, 1), events.StreamLeads, "contacts[0].name", "error.control_char"},
		{"lead: invalid UTF-8", leadsURL(s), berlin, strings.Replace(lead, "Clean GmbH", "Caf\xe9 GmbH", 1), events.StreamLeads, "investor_name", "error.invalid_utf8"},
		{"lead: lone surrogate", leadsURL(s), berlin, strings.Replace(lead, "Clean GmbH", `Clean \ud800`, 1), events.StreamLeads, "investor_name", "error.invalid_utf8"},
		{"protocol: NUL in a decision", commissionsURL(s) + "/igc-cn/sessions", secCN, strings.Replace(protocol, "Decision 3: prepare", `Decision 3:\u0000prepare`, 1), events.StreamCommissions, "decisions[2].text", "error.control_char"},
		{"CSV: NUL in a cell", csvURL, secCN, csvHead + csvRow(1, "ok") + csvRow(2, "ok") + csvRow(3, "ok") + csvRow(4, "A\x00B"), events.StreamCommissions, "rows[5].text", "error.control_char"},
		{"CSV: invalid UTF-8", csvURL, secCN, csvHead + csvRow(1, "Caf\xe9"), events.StreamCommissions, "rows[2].text", "error.invalid_utf8"},
		{"CSV: NUL in the place", strings.Replace(csvURL, "place=Beijing", "place=Bei%00jing", 1), secCN, csvHead + csvRow(1, "ok"), events.StreamCommissions, "place", "error.control_char"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFieldErrorNothingStored(t, s, tt.stream, "POST", tt.url, tt.token, tt.body, tt.field, tt.code)
		})
	}
	// TAB, LF and CR are text, in JSON and in CSV.
	created := create(t, s, berlin, strings.Replace(lead, "Tractor assembly plant", `Tractor\tassembly\r\nplant`, 1))
	if created.Title != "Tractor\tassembly\r\nplant" {
		t.Errorf("title %q", created.Title)
	}
	if r := stacktest.Do(t, "POST", csvURL, secCN, csvHead+csvRow(1, "\"two\r\nlines\ttabbed\"")); r.Status != http.StatusCreated {
		t.Errorf("CSV with a line break and a tab in a cell: %d %s", r.Status, r.Body)
	}
}

// TestFinding11_HostileInputThroughTheAPIs: an amount with blanks, the
// non-currencies XXX and XTS, null in a PATCH, a duplicate key and a nested
// unknown field are each refused with a field error on the full path, and
// nothing is stored.
func TestFinding11_HostileInputThroughTheAPIs(t *testing.T) {
	s := stacktest.Start(t)
	registerExporter(t, s, berlin, binAluminium, "Pavlodar Aluminium JSC")
	lead := create(t, s, berlin, leadBody("Patch GmbH"))
	deal := createDeal(t, s, berlin, dealBody(binAluminium, "760110", `"1000"`))
	body := leadBody("Hostile GmbH")
	leadPatch := leadsURL(s) + "/" + lead.ID
	dealPatch := exportsURL(s, "/deals/"+deal.ID)
	tests := []struct {
		name, method, url, body, stream string
		field, code                     string
	}{
		{"amount with a leading blank", "POST", leadsURL(s), strings.Replace(body, `"1000000"`, `" 100"`, 1), events.StreamLeads, "capex.amount", "error.amount_spaces"},
		{"amount with a trailing blank", "POST", exportsURL(s, "/deals"), dealBody(binAluminium, "760110", `"100 "`), events.StreamExports, "value.amount", "error.amount_spaces"},
		{"currency XXX", "POST", leadsURL(s), strings.Replace(body, `"EUR"`, `"XXX"`, 1), events.StreamLeads, "capex.currency", "error.currency_not_money"},
		{"currency XTS", "POST", exportsURL(s, "/deals"), strings.Replace(dealBody(binAluminium, "760110", `"1"`), `"EUR"`, `"XTS"`, 1), events.StreamExports, "value.currency", "error.currency_not_money"},
		{"gold", "PATCH", leadPatch, fmt.Sprintf(`{"version":%d,"capex":{"amount":"5","currency":"XAU"}}`, lead.Version), events.StreamLeads, "capex.currency", "error.currency_not_money"},
		{"null in a lead PATCH", "PATCH", leadPatch, fmt.Sprintf(`{"version":%d,"title":null}`, lead.Version), events.StreamLeads, "title", "error.null"},
		{"null in a deal PATCH", "PATCH", dealPatch, fmt.Sprintf(`{"version":%d,"quantity":null}`, deal.Version), events.StreamExports, "quantity", "error.null"},
		{"null version", "PATCH", leadPatch, `{"version":null,"title":"x"}`, events.StreamLeads, "version", "error.null"},
		{"duplicate key", "POST", leadsURL(s), strings.Replace(body, `"investor_name"`, `"investor_name":"First GmbH","investor_name"`, 1), events.StreamLeads, "investor_name", "error.duplicate_key"},
		{"duplicate nested key", "PATCH", leadPatch, fmt.Sprintf(`{"version":%d,"capex":{"amount":"1","currency":"EUR","amount":"2"}}`, lead.Version), events.StreamLeads, "capex.amount", "error.duplicate_key"},
		{"nested unknown field", "POST", leadsURL(s), strings.Replace(body, `"currency":"EUR"`, `"currency":"EUR","x":1`, 1), events.StreamLeads, "capex.x", "error.unknown_field"},
		{"unknown field in a contact", "POST", leadsURL(s), strings.Replace(body, `"name":"Jonas Privatmann"`, `"name":"Jonas Privatmann","foo":"bar"`, 1), events.StreamLeads, "contacts[0].foo", "error.unknown_field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFieldErrorNothingStored(t, s, tt.stream, tt.method, tt.url, berlin, tt.body, tt.field, tt.code)
		})
	}
	// Leaving a field out keeps it; the documented way.
	r := stacktest.Do(t, "PATCH", leadPatch, berlin, fmt.Sprintf(`{"version":%d,"expected_jobs":7}`, lead.Version))
	if r.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
}

// wantFieldErrorNothingStored sends a request that must be refused with a
// 400 naming field with code, and checks that stream did not grow.
func wantFieldErrorNothingStored(t *testing.T, s *stack.Stack, stream, method, url, token, body, field, code string) {
	t.Helper()
	before := streamMsgs(t, s, stream)
	r := stacktest.Do(t, method, url, token, body)
	var eb errorBody
	r.JSON(t, &eb)
	if got, _, ok := eb.field(field); r.Status != http.StatusBadRequest || !ok || got != code {
		t.Fatalf("%d %s; want 400 with %s on %s", r.Status, r.Body, code, field)
	}
	if after := streamMsgs(t, s, stream); after != before {
		t.Fatalf("the stream grew from %d to %d", before, after)
	}
}
