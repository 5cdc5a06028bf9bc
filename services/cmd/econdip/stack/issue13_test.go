package stack_test

// End-to-end tests of issue 13's findings on the APIs and the dashboard.

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/auth"
	"econdip/services/test/stacktest"
)

// rawGet sends a GET with the path exactly as given (no escaping by the
// client: "*" and ">" reach the server as they are) and returns the status
// and body.
func rawGet(t *testing.T, addr, path, token string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", path, addr, token)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
	return resp.StatusCode, b.String()
}

// Finding 9: an id with a subject wildcard reached JetStream, so GET
// /api/v1/commissions/* answered a real commission. Every GET route with an
// id, each id in turn replaced by a wildcard or another character a subject
// token cannot hold, answers 404 (or 400/403), never a record.
func TestFinding9_WildcardIdsNeverReachJetStream(t *testing.T) {
	s := stacktest.Start(t)
	f := accessFixture(t, s)
	realIDs := []string{f.lead, f.deal, f.barrier, f.bin, f.session, f.decision}
	bad := []string{"*", ">", "a.b", "%2A", "%3E", "a%20b", "igc-cn.*", "*.commission", ">.x", "%2e"}
	addr := map[string]string{"leads": s.LeadsAddr, "commissions": s.CommissionsAddr, "exports": s.ExportsAddr, "dashboard": s.DashboardAddr}
	routes := 0
	for service, a := range addr {
		for key, action := range auth.Registered(service) {
			method, path := strings.Fields(key)[1], strings.Fields(key)[2]
			if method != fiber.MethodGet || !strings.Contains(path, "/:") || strings.Contains(path, ":figure") || strings.Contains(path, ":tid") {
				continue
			}
			routes++
			params := param.FindAllString(path, -1)
			for _, p := range params {
				for _, id := range bad {
					url, _ := target(strings.Replace(path, p, id, 1), f)
					for _, c := range callers {
						if auth.ReachOf(c.user, action) == auth.None {
							continue
						}
						status, body := rawGet(t, a, url, c.token)
						what := fmt.Sprintf("%s GET %s as %s", service, url, c.name)
						if status != http.StatusNotFound && status != http.StatusBadRequest && status != http.StatusForbidden {
							t.Errorf("%s: %d, want 404 (or 400/403): %s", what, status, trim([]byte(body)))
						}
						if auth.ReachOf(c.user, action) == auth.All && status == http.StatusForbidden {
							t.Errorf("%s: 403 for a caller who reads everything; want 404", what)
						}
						for _, m := range append(realIDs, f.markers...) {
							// A route with two ids keeps the other one real; the page
							// echoing its own address (the language links) shows the
							// caller nothing new. Markers (titles, texts) still count.
							if strings.Contains(body, m) && !strings.Contains(url, m) {
								t.Errorf("%s: the answer shows %q of a real record", what, m)
							}
						}
					}
				}
			}
		}
	}
	if routes < 10 {
		t.Fatalf("only %d GET routes with an id: are the services registered?", routes)
	}
}

// Finding 11: pages and API answers that need a user carried no
// Cache-Control, so a browser or proxy could keep them. Every GET route
// that needs a user answers no-store, served or refused; static files stay
// cacheable.
func TestFinding11_AuthenticatedAnswersAreNoStore(t *testing.T) {
	s := stacktest.Start(t)
	f := accessFixture(t, s)
	addr := map[string]string{"leads": s.LeadsAddr, "commissions": s.CommissionsAddr, "exports": s.ExportsAddr, "dashboard": s.DashboardAddr}
	checked := 0
	for service, a := range addr {
		for key, action := range auth.Registered(service) {
			method, path := strings.Fields(key)[1], strings.Fields(key)[2]
			if method != fiber.MethodGet || action == auth.Public {
				continue
			}
			url, _ := target(path, f)
			for _, token := range []string{"", analyst, berlin, secCN} {
				req, err := http.NewRequest(method, "http://"+a+url, nil)
				if err != nil {
					t.Fatal(err)
				}
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp, err := noRedirect.Do(req) // the redirect to /signin, not the sign-in page
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
					t.Errorf("%s GET %s (token %q): %d with Cache-Control %q, want no-store", service, url, token, resp.StatusCode, cc)
				}
				checked++
			}
		}
	}
	if checked < 100 {
		t.Fatalf("checked only %d answers", checked)
	}
	r := stacktest.Do(t, "GET", "http://"+s.DashboardAddr+"/static/app.css", "", "")
	if r.Status != http.StatusOK || strings.Contains(r.Header.Get("Cache-Control"), "no-store") {
		t.Errorf("static file: %d, Cache-Control %q; want it served and cacheable", r.Status, r.Header.Get("Cache-Control"))
	}
}

// Finding 11: /metrics was public on every port, the APIs' and the
// dashboard's included. It is now only on internal addresses: ingest's
// health address, and a single service's ECONDIP_METRICS_ADDR.
func TestFinding11_MetricsNotPublic(t *testing.T) {
	s := stacktest.Start(t)
	// Some traffic, so that the registry has request series.
	stacktest.Do(t, "GET", leadsURL(s), berlin, "")
	for service, a := range map[string]string{"leads": s.LeadsAddr, "commissions": s.CommissionsAddr, "exports": s.ExportsAddr, "dashboard": s.DashboardAddr} {
		for _, token := range []string{"", analyst, admin} {
			r := stacktest.Do(t, "GET", "http://"+a+"/metrics", token, "")
			if r.Status == http.StatusOK || strings.Contains(string(r.Body), "econdip_http_requests_total") {
				t.Errorf("%s serves /metrics (token %q): %d %s", service, token, r.Status, trim(r.Body))
			}
		}
		if _, ok := auth.Registered(service)[auth.RouteKey(service, fiber.MethodGet, "/metrics")]; ok {
			t.Errorf("%s registers /metrics as a public route", service)
		}
	}
	r := stacktest.Do(t, "GET", "http://"+s.IngestAddr+"/metrics", "", "")
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `econdip_http_requests_total{method="GET",route="/api/v1/leads",service="leads"`) {
		t.Errorf("ingest's internal address: %d, want the whole process's metrics: %.300s", r.Status, r.Body)
	}
	// A service run on its own serves them on its internal metrics address.
	s.Cfg.MetricsAddr = "127.0.0.1:0"
	s.ServeMetrics()
	if s.MetricsAddr == "" {
		t.Fatal("ServeMetrics did not listen")
	}
	r = stacktest.Do(t, "GET", "http://"+s.MetricsAddr+"/metrics", "", "")
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "econdip_http_requests_total") {
		t.Errorf("ECONDIP_METRICS_ADDR: %d %.300s", r.Status, r.Body)
	}
}
