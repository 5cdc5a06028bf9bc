package dashboards_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"econdip/analytics"
	"econdip/services/identity"
	"econdip/services/leads/httpapi"
	"econdip/services/platform/auth"
	"econdip/services/test/stacktest"
)

// A lead's history from the leads API and the audit export of the
// dashboard must tell the same story: each change, in order, with its
// author, its time and what it changed. Two attachés of the Berlin post
// write the lead, so the authors differ from change to change.
func TestAuditCSVMatchesTheLeadHistoryChangeByChange(t *testing.T) {
	started := time.Now()
	defer func() { t.Logf("test took %s", time.Since(started).Round(100*time.Millisecond)) }()
	s := stacktest.Start(t)
	ctx := context.Background()
	admin := auth.User{ID: "admin", Name: "Admin", Role: auth.Admin}
	if _, err := s.Identity.CreateUser(ctx, admin, "deputy.de-berlin", identity.Details{Name: "Deputy attaché Berlin", Role: "attache", Post: "de-berlin"}, ""); err != nil {
		t.Fatal(err)
	}
	deputy, _, err := s.Identity.CreateToken(ctx, admin, "deputy.de-berlin", "audit test")
	if err != nil {
		t.Fatal(err)
	}
	berlin, beijing := stacktest.Tokens["attache.de-berlin"], stacktest.Tokens["attache.cn-beijing"]
	leads := "http://" + s.LeadsAddr + "/api/v1/leads"
	send := func(method, url, token, body string, want int) httpapi.LeadJSON {
		t.Helper()
		r := stacktest.Do(t, method, url, token, body)
		if r.Status != want {
			t.Fatalf("%s %s: %d %s", method, url, r.Status, r.Body)
		}
		var l httpapi.LeadJSON
		r.JSON(t, &l)
		return l
	}
	body := `{"investor_name":"Rhein Audit GmbH","investor_country":"DE","title":"Gearbox plant","clauses":["2.2"],
		"investment_type":"greenfield","capex":{"amount":"1000000","currency":"EUR"},"source":"event",
		"contacts":[{"name":"Jonas Privatmann","email":"jonas@example.de"}]}`
	lead := send("POST", leads, berlin, body, http.StatusCreated)
	// Another post's lead in the same days: in the export, not in this lead's rows.
	send("POST", leads, beijing, strings.NewReplacer("Rhein Audit GmbH", "Jiangsu Audit Ltd", `"DE"`, `"CN"`).Replace(body), http.StatusCreated)
	send("PATCH", leads+"/"+lead.ID, deputy, `{"version":1,"title":"Gearbox and axle plant","capex":{"amount":"1500000","currency":"EUR"}}`, http.StatusOK)
	send("POST", leads+"/"+lead.ID+"/stage", berlin, `{"version":2,"stage":"contacted","comment":"Met at Hannover Messe"}`, http.StatusOK)
	send("PATCH", leads+"/"+lead.ID, deputy, `{"version":3,"expected_jobs":150}`, http.StatusOK)

	r := stacktest.Do(t, "GET", leads+"/"+lead.ID+"/history", berlin, "")
	var h struct{ History []httpapi.ChangeJSON }
	r.JSON(t, &h)
	if r.Status != http.StatusOK || len(h.History) != 4 {
		t.Fatalf("history: %d %s, want four changes", r.Status, r.Body)
	}

	// Yesterday to tomorrow in Astana: the changes are in it even at midnight.
	astana := time.FixedZone("UTC+5", 5*3600)
	day := func(d int) string { return time.Now().In(astana).AddDate(0, 0, d).Format(time.DateOnly) }
	csvURL := "http://" + s.DashboardAddr + "/api/audit.csv?from=" + day(-1) + "&to=" + day(1)
	var rows [][]string // the lead's rows
	var all int
	var header http.Header
	stacktest.Eventually(t, 45*time.Second, "the lead's four changes in the audit CSV", func() (bool, error) {
		r := stacktest.Do(t, "GET", csvURL, stacktest.Tokens["admin"], "")
		if r.Status != http.StatusOK {
			t.Fatalf("audit CSV: %d %s", r.Status, r.Body)
		}
		body, ok := bytes.CutPrefix(r.Body, []byte("\ufeff"))
		if !ok {
			t.Fatalf("the audit CSV does not start with a byte order mark")
		}
		recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil {
			return false, err
		}
		if !slices.Equal(recs[0], analytics.AuditHeader) {
			t.Fatalf("CSV header %q, want %q", recs[0], analytics.AuditHeader)
		}
		rows, all, header = nil, len(recs)-1, r.Header
		for _, rec := range recs[1:] {
			if rec[4] == lead.ID {
				rows = append(rows, rec)
			}
		}
		return len(rows) >= len(h.History) && all >= len(h.History)+1, nil
	})
	if got := header.Get("X-Audit-Rows"); got != strconv.Itoa(all) {
		t.Errorf("X-Audit-Rows is %q, the file has %d rows", got, all)
	}
	if ct := header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if len(rows) != len(h.History) {
		t.Fatalf("the CSV has %d rows of the lead, the history %d changes:\n%q\n%+v", len(rows), len(h.History), rows, h.History)
	}
	col := func(name string) int { return slices.Index(analytics.AuditHeader, name) }
	wantActors := []string{"attache.de-berlin", "deputy.de-berlin", "attache.de-berlin", "deputy.de-berlin"}
	for i, ch := range h.History {
		at, err := time.Parse(time.RFC3339, ch.Time)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"time": at.UTC().Truncate(time.Second).Format(time.RFC3339), "actor": ch.Actor, "event_type": ch.Type,
			"record_type": "lead", "scope": "post:de-berlin", "changed": strings.Join(ch.Changed, ";"),
			"from": ch.From, "to": ch.To, "event_id": ch.EventID,
		}
		for name, w := range want {
			if got := rows[i][col(name)]; got != w {
				t.Errorf("change %d (%s by %s): the CSV's %s is %q, the history's %q", i+1, ch.Type, ch.Actor, name, got, w)
			}
		}
		if ch.Actor != wantActors[i] {
			t.Errorf("change %d is by %s in the history, want %s", i+1, ch.Actor, wantActors[i])
		}
	}
	// What the changes were, as an auditor reads them.
	if got := rows[1][col("changed")]; got != "title;capex" && got != "capex;title" {
		t.Errorf("the update's changed fields: %q, want title and capex", got)
	}
	if got := rows[2][col("from")] + " → " + rows[2][col("to")]; got != "identified → contacted" {
		t.Errorf("the move: %q", got)
	}
	if bytes.Contains([]byte(strings.Join(slices.Concat(rows...), ",")), []byte("Privatmann")) {
		t.Error("the audit export shows a contact person")
	}

	// The JSON form has the same rows; an analyst may read neither.
	var js struct {
		Total     int
		Truncated bool
		Rows      []analytics.AuditRow
	}
	jsonURL := strings.Replace(csvURL, "/api/audit.csv", "/api/audit", 1)
	stacktest.Do(t, "GET", jsonURL, stacktest.Tokens["admin"], "").JSON(t, &js)
	var ids []string
	for _, row := range js.Rows {
		if row.RecordID == lead.ID {
			ids = append(ids, row.EventID+" "+row.Actor)
		}
	}
	var wantIDs []string
	for _, ch := range h.History {
		wantIDs = append(wantIDs, ch.EventID+" "+ch.Actor)
	}
	if !slices.Equal(ids, wantIDs) || js.Total != all || js.Truncated {
		t.Errorf("JSON: %q (total %d, truncated %v), want %q (total %d)", ids, js.Total, js.Truncated, wantIDs, all)
	}
	for _, tc := range []struct {
		name, url, token string
		want             int
	}{
		{"an analyst", csvURL, stacktest.Tokens["analyst"], http.StatusForbidden},
		{"no one", csvURL, "", http.StatusUnauthorized},
		{"a range of 367 days", strings.Replace(csvURL, "from="+day(-1), "from="+day(-365), 1), stacktest.Tokens["admin"], http.StatusBadRequest},
		{"to before from", strings.Replace(csvURL, "to="+day(1), "to="+day(-2), 1), stacktest.Tokens["admin"], http.StatusBadRequest},
		{"not a date", strings.Replace(csvURL, "from="+day(-1), "from=01.05.2026", 1), stacktest.Tokens["admin"], http.StatusBadRequest},
	} {
		if r := stacktest.Do(t, "GET", tc.url, tc.token, ""); r.Status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, r.Status, r.Body, tc.want)
		}
	}
}
