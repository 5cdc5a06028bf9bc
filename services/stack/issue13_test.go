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
	"econdip/services/stack/stacktest"
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
							if strings.Contains(body, m) {
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

