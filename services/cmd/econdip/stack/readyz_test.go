package stack_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"econdip/services/platform/httpx"
	"econdip/services/test/stacktest"
)

// Every service answers /readyz with the dependencies it needs, ingest
// serves its health and metrics, and a lost NATS connection makes the
// services not ready.
func TestReadinessAndIngestMetrics(t *testing.T) {
	s := stacktest.Start(t)
	services := []struct {
		name, addr string
		checks     []string
	}{
		{"leads", s.LeadsAddr, []string{"nats", "read_model"}},
		{"commissions", s.CommissionsAddr, []string{"nats", "read_model"}},
		{"exports", s.ExportsAddr, []string{"nats", "read_model"}},
		{"companies", s.CompaniesAddr, []string{"nats", "read_model"}},
		{"dashboard", s.DashboardAddr, []string{"nats", "clickhouse"}},
		{"ingest", s.IngestAddr, []string{"nats", "clickhouse"}},
	}
	ready := func(t *testing.T, addr string) (int, httpx.ReadyBody) {
		t.Helper()
		r := stacktest.Do(t, "GET", "http://"+addr+"/readyz", "", "")
		var b httpx.ReadyBody
		r.JSON(t, &b)
		return r.Status, b
	}
	for _, sv := range services {
		t.Run(sv.name, func(t *testing.T) {
			if sv.addr == "" {
				t.Fatal("not served")
			}
			if r := stacktest.Do(t, "GET", "http://"+sv.addr+"/healthz", "", ""); r.Status != http.StatusOK {
				t.Errorf("healthz: %d", r.Status)
			}
			status, body := ready(t, sv.addr)
			if status != http.StatusOK || body.Status != "ready" || len(body.Checks) != len(sv.checks) {
				t.Fatalf("readyz: %d %+v, want ready with %v", status, body, sv.checks)
			}
			for _, c := range sv.checks {
				if body.Checks[c] != "ok" {
					t.Errorf("check %s: %q", c, body.Checks[c])
				}
			}
		})
	}

	create(t, s, berlin, leadBody("Readiness Test GmbH"))
	metric := func(name string) bool {
		r := stacktest.Do(t, "GET", "http://"+s.IngestAddr+"/metrics", "", "")
		if r.Status != http.StatusOK {
			t.Fatalf("metrics: %d %.500s", r.Status, r.Body)
		}
		return strings.Contains(string(r.Body), name)
	}
	// The registry is the process's: other tests' stacks count there too,
	// so this looks for the series, not their values.
	stacktest.Eventually(t, 30*time.Second, "the lead's age at insert observed", func() (bool, error) {
		return metric(`econdip_ingest_event_age_seconds_count{stream="LEADS"}`), nil
	})
	for _, m := range []string{`econdip_ingest_consumer_lag_messages{stream="LEADS"}`, `econdip_ingest_batch_messages_bucket{stream="LEADS"`, `econdip_ingest_event_age_seconds_bucket{stream="LEADS"`,
		`econdip_ingest_batch_seconds_bucket`, `econdip_events_ingested_total{stream="LEADS"}`,
		`econdip_http_request_seconds_bucket{method="POST",route="/api/v1/leads",service="leads"`} {
		if !metric(m) {
			t.Errorf("ingest /metrics lacks %s", m)
		}
	}

	// Without NATS no service is ready; the reason stays in the log. Each
	// service has a connection of its own, so the server goes.
	// The clients notice the server's going on their own time: wait for it.
	s.NATSSrv.Shutdown()
	for _, sv := range services {
		stacktest.Eventually(t, 20*time.Second, sv.name+" not ready without NATS", func() (bool, error) {
			status, body := ready(t, sv.addr)
			raw, _ := json.Marshal(body)
			if status == http.StatusServiceUnavailable && body.Checks["nats"] == "failing" {
				return true, nil
			}
			return false, fmt.Errorf("%d %s, want 503 with nats failing", status, raw)
		})
	}
}
