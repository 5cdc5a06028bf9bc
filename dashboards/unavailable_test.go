package dashboards_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"econdip/dashboards"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
	"econdip/services/platform/obs"
	"econdip/services/test/stacktest"
)

// A figure read while ClickHouse does not answer is a 503 that says the
// figures are unavailable for a moment, in the user's language: nothing
// was being saved, so "nothing was saved" would mislead.
func TestFigureReadWhileClickHouseIsDownSaysFiguresUnavailable(t *testing.T) {
	s := stacktest.Start(t)
	// An address nobody answers on: the listener is closed before use.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := ln.Addr().String()
	ln.Close()
	dead, err := clickhouse.Open(&clickhouse.Options{Addr: []string{deadAddr}, DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dead.Close() })
	app, err := dashboards.New(dashboards.Config{LeadsURL: "http://" + s.LeadsAddr, CommissionsURL: "http://" + s.CommissionsAddr,
		ExportsURL: "http://" + s.ExportsAddr, CH: dead, Users: s.Users, Identity: s.Identity, Ref: s.Ref, Log: obs.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range i18n.Langs {
		for _, path := range []string{"/api/pipeline", "/api/exports/summary", "/api/trade/editions"} {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Authorization", "Bearer "+stacktest.Tokens["analyst"])
			req.Header.Set("Accept-Language", string(lang))
			resp, err := app.Test(req, 30_000)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var body httpx.ErrorBody
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("%s %s: %d %s", lang, path, resp.StatusCode, raw)
			}
			if want := i18n.T(lang, "error.figures_unavailable"); resp.StatusCode != http.StatusServiceUnavailable || body.Error != want {
				t.Errorf("%s %s: %d %q, want 503 %q", lang, path, resp.StatusCode, body.Error, want)
			}
			if saved := i18n.T(lang, "error.service_unavailable"); strings.Contains(body.Error, saved) {
				t.Errorf("%s %s says %q", lang, path, saved)
			}
		}
	}
}
