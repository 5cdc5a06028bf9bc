package stack_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"econdip/events"
	"econdip/services/commissions/httpapi"
	"econdip/services/test/stacktest"
)

// TestDaysOutsideTheRangeAreRefusedThroughTheAPIs: every day a user writes
// (a lead's identified_on, effective_on and expected_decision_date, a deal's
// contract date, a barrier's reported_on, status day and progress note, a
// session's date, a deadline and a decision's status day) is refused with a
// 400 naming the field when it lies outside 2000-01-01..2100-12-31, and
// nothing is stored. 1900-01-01 used to be accepted and then dead-lettered by
// ingest, as ClickHouse's Date starts in 1970. The first day of the range
// goes all the way into ClickHouse.
func TestDaysOutsideTheRangeAreRefusedThroughTheAPIs(t *testing.T) {
	s := stacktest.Start(t)
	createCommission(t, s, "igc-cn", "CN")
	registerExporter(t, s, berlin, binAluminium, "Pavlodar Aluminium JSC")
	lead := create(t, s, berlin, leadBody("Range GmbH"))
	deal := mustMove(t, s, berlin, createDeal(t, s, berlin, dealBody(binAluminium, "760110", `"1000"`)), `"stage":"negotiating"`)
	r := stacktest.Do(t, "POST", exportsURL(s, "/barriers"), beijing, barrierBody(astanaDay(-10)))
	if r.Status != 201 {
		t.Fatalf("report barrier: %d %s", r.Status, r.Body)
	}
	var barrier struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
	}
	r.JSON(t, &barrier)
	session := astanaDay(-20)
	r = stacktest.Do(t, "POST", commissionsURL(s)+"/igc-cn/sessions", secCN, protocolBody(1, session, []string{astanaDay(10)}, ""))
	if r.Status != 201 {
		t.Fatalf("record protocol: %d %s", r.Status, r.Body)
	}
	var protocol httpapi.ProtocolJSON
	r.JSON(t, &protocol)
	decision := protocol.Decisions[0]

	leadWith := func(field, day string) string {
		return strings.Replace(leadBody("Range GmbH"), `"expected_decision_date":"2027-03-01"`, fmt.Sprintf(`%q:%q`, field, day), 1)
	}
	sessions := commissionsURL(s) + "/igc-cn/sessions"
	tests := []struct {
		name, method, url, token, body, stream, field, code string
	}{
		{"lead expected decision in 1900", "POST", leadsURL(s), berlin, leadWith("expected_decision_date", "1900-01-01"), events.StreamLeads, "expected_decision_date", "error.date_too_early"},
		{"lead expected decision in 2101", "POST", leadsURL(s), berlin, leadWith("expected_decision_date", "2101-01-01"), events.StreamLeads, "expected_decision_date", "error.date_too_late"},
		{"lead expected decision in 1900 by PATCH", "PATCH", leadsURL(s) + "/" + lead.ID, berlin, fmt.Sprintf(`{"version":%d,"expected_decision_date":"1900-01-01"}`, lead.Version), events.StreamLeads, "expected_decision_date", "error.date_too_early"},
		{"lead identified in 1900", "POST", leadsURL(s), berlin, leadWith("identified_on", "1900-01-01"), events.StreamLeads, "identified_on", "error.date_too_early"},
		{"lead stage effective in 1900", "POST", leadsURL(s) + "/" + lead.ID + "/stage", berlin, fmt.Sprintf(`{"version":%d,"stage":"contacted","effective_on":"1900-01-01"}`, lead.Version), events.StreamLeads, "effective_on", "error.date_too_early"},
		{"deal contracted in 1900", "POST", exportsURL(s, "/deals/"+deal.ID+"/stage"), berlin, fmt.Sprintf(`{"version":%d,"stage":"contracted","contract_date":"1900-01-01"}`, deal.Version), events.StreamExports, "contract_date", "error.date_too_early"},
		{"barrier reported in 1900", "POST", exportsURL(s, "/barriers"), beijing, barrierBody("1900-01-01"), events.StreamExports, "reported_on", "error.date_too_early"},
		{"barrier status in 1900", "POST", exportsURL(s, "/barriers/"+barrier.ID+"/status"), beijing, fmt.Sprintf(`{"version":%d,"status":"verified","effective_on":"1900-01-01","comment":"x"}`, barrier.Version), events.StreamExports, "effective_on", "error.date_too_early"},
		{"barrier note in 1900", "PATCH", exportsURL(s, "/barriers/"+barrier.ID), beijing, fmt.Sprintf(`{"version":%d,"progress":{"on":"1900-01-01","text":"talks"}}`, barrier.Version), events.StreamExports, "progress.on", "error.date_too_early"},
		{"session in 1900", "POST", sessions, secCN, protocolBody(2, "1900-01-01", []string{astanaDay(10)}, ""), events.StreamCommissions, "date", "error.date_too_early"},
		{"deadline in 2101", "POST", sessions, secCN, protocolBody(3, session, []string{"2101-01-01"}, ""), events.StreamCommissions, "decisions[0].deadline", "error.date_too_late"},
		{"decision status in 1900", "POST", commissionsURL(s) + "/igc-cn/decisions/" + decision.ID + "/status", secCN, fmt.Sprintf(`{"version":%d,"status":"in_progress","effective_on":"1900-01-01","comment":"started"}`, decision.Version), events.StreamCommissions, "effective_on", "error.date_too_early"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFieldErrorNothingStored(t, s, tt.stream, tt.method, tt.url, tt.token, tt.body, tt.field, tt.code)
		})
	}

	// The range's own ends are days: they are stored and projected.
	edge := create(t, s, berlin, strings.Replace(leadWith("identified_on", "2000-01-01"), `"source":"event"`, `"source":"event","expected_decision_date":"2100-12-31"`, 1))
	if edge.StageEffectiveOn != "2000-01-01" || edge.ExpectedDecisionDate != "2100-12-31" {
		t.Fatalf("lead on the range's ends: %+v", edge)
	}
	stacktest.Eventually(t, 10*time.Second, "the lead dated 2000-01-01 in ClickHouse", func() (bool, error) {
		return count(t, s, "SELECT count() FROM lead_states FINAL WHERE lead_id = ? AND stage_day = toDate('2000-01-01') AND expected_decision_date = toDate('2100-12-31')", edge.ID) == 1, nil
	})
	if n := streamMsgs(t, s, events.StreamDeadLetter); n != 0 {
		t.Fatalf("%d dead letters", n)
	}
}
