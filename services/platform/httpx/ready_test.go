package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/auth"
)

func TestReadyzAnswersWithEveryCheck(t *testing.T) {
	defer func(d time.Duration) { readyCheckTimeout = d }(readyCheckTimeout)
	readyCheckTimeout = 100 * time.Millisecond
	app := newTestApp(t, Options{})
	var natsDown atomic.Bool
	AddReadyCheck(app.App, "nats", func(context.Context) error {
		if natsDown.Load() {
			return errors.New("nats: DISCONNECTED from 10.0.0.7:4222")
		}
		return nil
	})
	AddReadyCheck(app.App, "clickhouse", func(ctx context.Context) error {
		<-ctx.Done() // a hung dependency: the check's deadline answers
		return ctx.Err()
	})
	tests := []struct {
		name       string
		natsDown   bool
		wantStatus int
		want       ReadyBody
	}{
		{"clickhouse hangs", false, http.StatusServiceUnavailable, ReadyBody{Status: "not_ready", Checks: map[string]string{"nats": "ok", "clickhouse": "failing"}}},
		{"both fail", true, http.StatusServiceUnavailable, ReadyBody{Status: "not_ready", Checks: map[string]string{"nats": "failing", "clickhouse": "failing"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			natsDown.Store(tt.natsDown)
			start := time.Now()
			resp, body := app.do(t, http.MethodGet, "/readyz", "")
			if d := time.Since(start); d > 10*readyCheckTimeout {
				t.Errorf("readyz took %s", d)
			}
			var got ReadyBody
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || got.Status != tt.want.Status || len(got.Checks) != len(tt.want.Checks) {
				t.Fatalf("readyz: %d %s, want %d %+v", resp.StatusCode, body, tt.wantStatus, tt.want)
			}
			for k, v := range tt.want.Checks {
				if got.Checks[k] != v {
					t.Errorf("check %s: %q, want %q", k, got.Checks[k], v)
				}
			}
			// The reason is logged, never shown to the prober.
			if strings.Contains(body, "10.0.0.7") || strings.Contains(body, "deadline") {
				t.Errorf("readyz shows a reason: %s", body)
			}
		})
	}
	if !strings.Contains(app.logs.String(), "readiness check failing") {
		t.Errorf("failing checks not logged:\n%s", app.logs)
	}
}

func TestReadyzWithoutChecksIsReadyAndPublic(t *testing.T) {
	app := newTestApp(t, Options{})
	resp, body := app.do(t, http.MethodGet, "/readyz", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"status":"ready"`) {
		t.Errorf("readyz: %d %s", resp.StatusCode, body)
	}
	if a, ok := auth.Registered(app.name)[auth.RouteKey(app.name, http.MethodGet, "/readyz")]; !ok || a != auth.Public {
		t.Errorf("/readyz in the access policy: %q, %v; want public", a, ok)
	}
}

// The method label outlives the request: metrics of many requests with
// several methods on one route stay distinct series, and /metrics answers.
func TestMetricsSurviveRequestBufferReuse(t *testing.T) {
	app := newTestApp(t, Options{Metrics: true})
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut} {
		app.Add(m, "/things/:id", func(c *fiber.Ctx) error { return c.SendStatus(http.StatusNoContent) })
	}
	methods := []string{http.MethodPost, http.MethodGet, http.MethodPatch, http.MethodPut}
	for i := range 200 {
		app.do(t, methods[i%len(methods)], "/things/"+strconv.Itoa(i), "")
	}
	resp, body := app.do(t, http.MethodGet, "/metrics", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("metrics: %d %.300s", resp.StatusCode, body)
	}
	for _, m := range methods {
		if !strings.Contains(body, `method="`+m+`",route="/things/:id",service="`+app.name+`"`) {
			t.Errorf("no series for %s", m)
		}
	}
	if got := methodLabel("PROPFIND"); got != "other" {
		t.Errorf("methodLabel(PROPFIND) = %q, want other", got)
	}
}

// /metrics is served only where Options.Metrics says (internal addresses),
// and is then a public route of that app only.
func TestMetricsOnlyWhereAsked(t *testing.T) {
	app := newTestApp(t, Options{})
	if resp, _ := app.do(t, http.MethodGet, "/metrics", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an app without Metrics: /metrics %d, want 404", resp.StatusCode)
	}
	if _, ok := auth.Registered(app.name)[auth.RouteKey(app.name, http.MethodGet, "/metrics")]; ok {
		t.Errorf("an app without Metrics registers /metrics")
	}
}

// A check that ignores its context and hangs does not hold /readyz: the
// answer comes within 1 s, 503 naming it, while the checks that answer are
// ok; later probes do not pile up calls of the hung check, and once it
// returns the app is ready again.
func TestReadyzAnswersWithinASecondWhenACheckIgnoresItsContext(t *testing.T) {
	app := newTestApp(t, Options{})
	release := make(chan struct{})
	var calls, hung atomic.Int32
	AddReadyCheck(app.App, "clickhouse", func(context.Context) error {
		calls.Add(1)
		if hung.Load() == 0 {
			return nil
		}
		<-release // ignores the context, as a driver stuck in a read would
		return nil
	})
	AddReadyCheck(app.App, "nats", func(context.Context) error { return nil })
	probe := func(t *testing.T) (int, ReadyBody) {
		t.Helper()
		start := time.Now()
		resp, body := app.do(t, http.MethodGet, "/readyz", "")
		if d := time.Since(start); d >= time.Second {
			t.Errorf("readyz took %s, want under 1 s", d)
		}
		var got ReadyBody
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, got
	}
	if status, body := probe(t); status != http.StatusOK || body.Checks["clickhouse"] != "ok" {
		t.Fatalf("before the hang: %d %+v", status, body)
	}
	hung.Store(1)
	calls.Store(0)
	for range 3 {
		status, body := probe(t)
		if status != http.StatusServiceUnavailable || body.Status != "not_ready" || body.Checks["clickhouse"] != "failing" || body.Checks["nats"] != "ok" {
			t.Fatalf("with a hung check: %d %+v, want 503 with clickhouse failing and nats ok", status, body)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the hung check was called %d times by 3 probes, want once", n)
	}
	hung.Store(0)
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, _ := probe(t)
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready within 5 s of the check returning: %d", status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(app.logs.String(), "no answer within") {
		t.Errorf("the hung check's reason is not logged:\n%s", app.logs)
	}
}
