package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"econdip/services/platform/apperr"
	"econdip/services/platform/i18n"
	"econdip/services/platform/obs"
)

// logBuffer collects a test app's log; the app logs from fasthttp's goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// testApp is an app built by New, served on a loopback port once the test
// sends its first request (after it has added its routes). A real listener,
// not app.Test: fasthttp refuses an oversized body before Fiber sees it, and
// app.Test reports that as an error instead of the 413 a client gets.
type testApp struct {
	*fiber.App
	name string
	logs *logBuffer
	base string
}

func newTestApp(tb testing.TB, opts Options) *testApp {
	tb.Helper()
	logs := &logBuffer{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opts.Name == "" {
		opts.Name = "test-" + strings.ReplaceAll(tb.Name(), "/", "-")
	}
	a := &testApp{App: New(opts), name: opts.Name, logs: logs}
	// Here, not in do: do may first run in a subtest, and the app outlives it.
	tb.Cleanup(func() {
		if a.base != "" {
			_ = a.Shutdown()
		}
	})
	return a
}

// client closes each connection, so Shutdown has no idle keep-alive to wait for.
var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// do sends one request and returns the response and its body.
func (a *testApp) do(tb testing.TB, method, path, body string, header ...string) (*http.Response, string) {
	tb.Helper()
	if a.base == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		go func() { _ = a.Listener(ln) }()
		a.base = "http://" + ln.Addr().String()
	}
	req, err := http.NewRequest(method, a.base+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, string(raw)
}

func decodeBody(tb testing.TB, raw string) ErrorBody {
	tb.Helper()
	var b ErrorBody
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		tb.Fatalf("error body %q is not an ErrorBody: %v", raw, err)
	}
	return b
}

// counterValue reads one counter of the default registry.
func counterValue(tb testing.TB, c prometheus.Counter) float64 {
	tb.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		tb.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

const leakedSQL = "SELECT lead_id, stage FROM lead_states FINAL WHERE post = 'de-berlin'"

var refPattern = regexp.MustCompile(`^[0-9a-f]{8}$`)

// TestServerErrorsShowNoInternals: whatever an unexpected error or a panic
// carries (SQL, a driver's message, a stack), the response has only the
// catalogue sentence and a ref, and the log has the real error under that ref.
func TestServerErrorsShowNoInternals(t *testing.T) {
	app := newTestApp(t, Options{})
	errSQL := fmt.Errorf("clickhouse [execute]:: code: 60, message: query %q: Table econdip.lead_states does not exist", leakedSQL)
	routes := map[string]fiber.Handler{
		"/plain":               func(*fiber.Ctx) error { return errSQL },
		"/wrapped-internal":    func(*fiber.Ctx) error { return apperr.Wrap(apperr.Internal, errSQL, "error.internal") },
		"/wrapped-unavailable": func(*fiber.Ctx) error { return apperr.Wrap(apperr.Unavailable, errSQL, "error.analytics_unavailable") },
		"/store-unavailable":   func(*fiber.Ctx) error { return apperr.Wrap(apperr.Unavailable, errSQL, "error.store_unavailable") },
		"/figures-unavailable": func(*fiber.Ctx) error { return apperr.Wrap(apperr.Unavailable, errSQL, "error.figures_unavailable") },
		"/internal-with-args":  func(*fiber.Ctx) error { return apperr.E(apperr.Internal, "error.json_invalid", errSQL.Error()) },
		"/unknown-code":        func(*fiber.Ctx) error { return &apperr.Error{Code: "weird", Message: leakedSQL, Err: errSQL} },
		"/fiber-500":           func(*fiber.Ctx) error { return fiber.NewError(fiber.StatusInternalServerError, leakedSQL) },
		"/fiber-502":           func(*fiber.Ctx) error { return fiber.NewError(fiber.StatusBadGateway, leakedSQL) },
		"/panic-string":        func(*fiber.Ctx) error { panic(leakedSQL) },
		"/panic-error":         func(*fiber.Ctx) error { panic(errSQL) },
		"/panic-runtime": func(*fiber.Ctx) error {
			var m map[string]string
			m["lead_states"] = leakedSQL
			return nil
		},
	}
	for path, h := range routes {
		app.Get(path, h)
	}
	internal := i18n.T(i18n.EN, "error.internal")
	tests := []struct {
		path       string
		status     int
		code       apperr.Code
		message    string
		logged     string // in the log line with the ref
		stackInLog bool
	}{
		{"/plain", 500, apperr.Internal, internal, "lead_states does not exist", false},
		{"/wrapped-internal", 500, apperr.Internal, internal, "lead_states does not exist", false},
		{"/wrapped-unavailable", 503, apperr.Unavailable, i18n.T(i18n.EN, "error.service_unavailable"), "lead_states does not exist", false},
		{"/store-unavailable", 503, apperr.Unavailable, i18n.T(i18n.EN, "error.service_unavailable"), "lead_states does not exist", false},
		// A failed read of figures says so, not "nothing was saved".
		{"/figures-unavailable", 503, apperr.Unavailable, i18n.T(i18n.EN, "error.figures_unavailable"), "lead_states does not exist", false},
		{"/internal-with-args", 500, apperr.Internal, internal, "lead_states does not exist", false},
		{"/unknown-code", 500, apperr.Internal, internal, "lead_states does not exist", false},
		{"/fiber-500", 500, apperr.Internal, internal, "FROM lead_states", false},
		{"/fiber-502", 502, apperr.Internal, internal, "FROM lead_states", false},
		{"/panic-string", 500, apperr.Internal, internal, "FROM lead_states", true},
		{"/panic-error", 500, apperr.Internal, internal, "lead_states does not exist", true},
		{"/panic-runtime", 500, apperr.Internal, internal, "assignment to entry in nil map", true},
	}
	panics := counterValue(t, obs.HTTPPanics.WithLabelValues(app.name))
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, raw := app.do(t, http.MethodGet, tt.path, "")
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			for _, leak := range []string{"SELECT", "lead_states", "clickhouse", "goroutine", ".go:", "panic", "nil map"} {
				if strings.Contains(strings.ToLower(raw), strings.ToLower(leak)) {
					t.Errorf("response %s shows %q", raw, leak)
				}
			}
			body := decodeBody(t, raw)
			if body.Code != tt.code || body.Error != tt.message || len(body.Fields) != 0 {
				t.Errorf("body %+v, want code %s and message %q", body, tt.code, tt.message)
			}
			if !refPattern.MatchString(body.Ref) || seen[body.Ref] {
				t.Fatalf("ref %q: want 8 hex digits, new for each failure", body.Ref)
			}
			seen[body.Ref] = true
			var withRef []string
			for _, line := range strings.Split(app.logs.String(), "\n") {
				if strings.Contains(line, "ref="+body.Ref) {
					withRef = append(withRef, line)
				}
			}
			all := strings.Join(withRef, "\n")
			if !strings.Contains(all, tt.logged) {
				t.Errorf("the log under ref %s lacks %q:\n%s", body.Ref, tt.logged, all)
			}
			if hasStack := strings.Contains(all, "goroutine ") && strings.Contains(all, "httpx_test.go"); hasStack != tt.stackInLog {
				t.Errorf("stack in the log under ref %s: %v, want %v:\n%s", body.Ref, hasStack, tt.stackInLog, all)
			}
		})
	}
	if got := counterValue(t, obs.HTTPPanics.WithLabelValues(app.name)) - panics; got != 3 {
		t.Errorf("econdip_http_panics_total rose by %v, want 3", got)
	}
	// The service is still up after the panics.
	if resp, _ := app.do(t, http.MethodGet, "/healthz", ""); resp.StatusCode != 200 {
		t.Errorf("healthz after panics: %d", resp.StatusCode)
	}
}

// TestClientErrorsShowTheirMessage: client codes keep their catalogue message
// and field errors, and never the wrapped cause.
func TestClientErrorsShowTheirMessage(t *testing.T) {
	app := newTestApp(t, Options{})
	app.Post("/fields", func(*fiber.Ctx) error {
		var f apperr.Fields
		f.Add("capex.amount", "error.negative")
		f.Add("country", "error.unknown_country", "XX")
		return f.Err()
	})
	app.Get("/missing", func(*fiber.Ctx) error {
		return apperr.Wrap(apperr.NotFound, errors.New(leakedSQL+": no rows"), "error.not_found", "7f3c")
	})
	app.Get("/conflict", func(*fiber.Ctx) error {
		return fmt.Errorf("append: %w", apperr.Wrap(apperr.Conflict, errors.New("nats: wrong last sequence: 41"), "error.conflict"))
	})
	app.Post("/busy", func(*fiber.Ctx) error {
		return apperr.Wrap(apperr.TooManyRequests, errors.New("nats: atomic publish too many inflight"), "error.store_busy")
	})
	tests := []struct {
		method, path string
		status       int
		want         ErrorBody
	}{
		{http.MethodPost, "/busy", 429, ErrorBody{Code: apperr.TooManyRequests, Error: i18n.T(i18n.EN, "error.store_busy")}},
		{http.MethodPost, "/fields", 400, ErrorBody{Code: apperr.Invalid, Error: i18n.T(i18n.EN, "error.fields_invalid"), Fields: []apperr.FieldError{
			{Field: "capex.amount", Key: "error.negative", Message: i18n.T(i18n.EN, "error.negative")},
			{Field: "country", Key: "error.unknown_country", Message: i18n.T(i18n.EN, "error.unknown_country", "XX")},
		}}},
		{http.MethodGet, "/missing", 404, ErrorBody{Code: apperr.NotFound, Error: i18n.T(i18n.EN, "error.not_found", "7f3c")}},
		{http.MethodGet, "/conflict", 409, ErrorBody{Code: apperr.Conflict, Error: i18n.T(i18n.EN, "error.conflict")}},
		{http.MethodGet, "/no-such-route", 404, ErrorBody{Code: apperr.NotFound, Error: "Cannot GET /no-such-route"}},
		{http.MethodDelete, "/healthz", 405, ErrorBody{Code: apperr.Invalid, Error: "Method Not Allowed"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, raw := app.do(t, tt.method, tt.path, "")
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			// A 429 says when to try again, whichever part refused.
			if got := resp.Header.Get("Retry-After"); (tt.status == 429) != (got != "") {
				t.Errorf("Retry-After %q on a %d", got, tt.status)
			}
			got := decodeBody(t, raw)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("body\n%+v, want\n%+v", got, tt.want)
			}
			if strings.Contains(raw, "lead_states") || strings.Contains(raw, "nats") {
				t.Errorf("response %s shows the cause", raw)
			}
		})
	}
}

// TestFiberParseErrorsAreReplaced: the 400 Fiber makes from a fasthttp parse
// error carries the parser's text (with bytes of the request); it answers the
// status text instead.
func TestFiberParseErrorsAreReplaced(t *testing.T) {
	fe := fiber.NewError(fiber.StatusBadRequest, "error when reading request headers: cannot find http request method. Buffer size=9, contents: \"GARBAGE\\r\\n\"")
	if got := fiberErrorBody(fe, i18n.EN, 1<<20); got.Error != "Bad Request" || got.Code != apperr.Invalid {
		t.Errorf("got %+v", got)
	}
}

// TestSecurityHeaders: every response carries them: pages, JSON, static
// files, errors, panics, and the 413 fasthttp raises before any middleware.
func TestSecurityHeaders(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run(fmt.Sprintf("secure=%v", secure), func(t *testing.T) {
			app := newTestApp(t, Options{Secure: secure, BodyLimit: 64})
			app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(fstest.MapFS{"app.css": {Data: []byte("body{}")}})}))
			app.Get("/page", func(c *fiber.Ctx) error { c.Type("html"); return c.SendString("<p>hi</p>") })
			app.Get("/fail", func(*fiber.Ctx) error { return errors.New("boom") })
			app.Get("/panic", func(*fiber.Ctx) error { panic("boom") })
			app.Post("/echo", func(c *fiber.Ctx) error { return c.Send(c.Body()) })
			requests := []struct {
				method, path, body string
				status             int
			}{
				{http.MethodGet, "/healthz", "", 200},
				{http.MethodGet, "/page", "", 200},
				{http.MethodGet, "/static/app.css", "", 200},
				{http.MethodGet, "/static/none.css", "", 404},
				{http.MethodGet, "/no-such-route", "", 404},
				{http.MethodGet, "/fail", "", 500},
				{http.MethodGet, "/panic", "", 500},
				{http.MethodPost, "/echo", strings.Repeat("x", 65), 413},
			}
			for _, r := range requests {
				resp, _ := app.do(t, r.method, r.path, r.body)
				if resp.StatusCode != r.status {
					t.Errorf("%s %s: status %d, want %d", r.method, r.path, resp.StatusCode, r.status)
				}
				want := map[string]string{
					"X-Content-Type-Options":     "nosniff",
					"X-Frame-Options":            "DENY",
					"Referrer-Policy":            "same-origin",
					"Content-Security-Policy":    ContentSecurityPolicy,
					"Cross-Origin-Opener-Policy": "same-origin",
					"Strict-Transport-Security":  "",
				}
				if secure {
					want["Strict-Transport-Security"] = "max-age=31536000"
				}
				for name, value := range want {
					if got := resp.Header.Get(name); got != value {
						t.Errorf("%s %s: %s is %q, want %q", r.method, r.path, name, got, value)
					}
				}
			}
		})
	}
}

// TestBodyLimit: a body over the limit is refused with 413 before the handler
// runs, in the usual error shape, naming the limit; one at the limit passes.
func TestBodyLimit(t *testing.T) {
	app := newTestApp(t, Options{BodyLimit: 64})
	ran := 0
	app.Post("/in", func(c *fiber.Ctx) error {
		ran++
		var v map[string]string
		if err := DecodeStrict(c.Body(), &v); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	})
	atLimit := `{"a":"` + strings.Repeat("x", 64-len(`{"a":""}`)) + `"}`
	if resp, raw := app.do(t, http.MethodPost, "/in", atLimit); resp.StatusCode != 204 {
		t.Fatalf("a body of exactly the limit: %d %s", resp.StatusCode, raw)
	}
	resp, raw := app.do(t, http.MethodPost, "/in", atLimit+" ")
	if resp.StatusCode != fiber.StatusRequestEntityTooLarge {
		t.Fatalf("a body one byte over: status %d", resp.StatusCode)
	}
	body := decodeBody(t, raw)
	if want := i18n.T(i18n.EN, "error.body_too_large", "64 bytes"); body.Error != want || body.Code != apperr.Invalid {
		t.Errorf("body %+v, want %q", body, want)
	}
	if ran != 1 {
		t.Errorf("handler ran %d times, want 1 (not for the body over the limit)", ran)
	}
	for n, want := range map[int]string{1 << 20: "1 MiB", 1<<20 + 64<<10: "1.1 MiB", 64 << 10: "64 KiB", 100: "100 bytes"} {
		if got := sizeText(n); got != want {
			t.Errorf("sizeText(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestDecodeStrict: exactly one JSON value with known fields is accepted.
func TestDecodeStrict(t *testing.T) {
	type target struct {
		A int    `json:"a"`
		B string `json:"b"`
	}
	tests := []struct {
		name  string
		body  string
		key   string // catalogue key of the error, "" for success
		field string // the field error's field, for field errors
	}{
		{"one object", `{"a":1,"b":"x"}`, "", ""},
		{"trailing whitespace", "{\"a\":1} \n\t", "", ""},
		{"unknown field", `{"a":1,"c":2}`, "error.unknown_field", "c"},
		{"field in other case is not unknown but allowed by encoding/json", `{"A":1}`, "", ""},
		{"second object", `{"a":1} {"b":"2"}`, "error.body_trailing", ""},
		{"trailing garbage", `{"a":1}x`, "error.body_trailing", ""},
		{"trailing array", `{"a":1}[]`, "error.body_trailing", ""},
		{"trailing number", `{"a":1}1`, "error.body_trailing", ""},
		{"empty", ``, "error.body_empty", ""},
		{"blank", " \n ", "error.body_empty", ""},
		{"wrong type", `{"a":"1"}`, "error.json_type", "a"},
		{"array, not object", `[1]`, "error.json_type", "body"},
		{"syntax", `{"a":}`, "error.json_syntax", ""},
		{"truncated", `{"a":1`, "error.json_truncated", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v target
			err := DecodeStrict([]byte(tt.body), &v)
			if tt.key == "" {
				if err != nil {
					t.Fatalf("DecodeStrict(%q): %v", tt.body, err)
				}
				if v.A != 1 {
					t.Errorf("decoded %+v", v)
				}
				return
			}
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Invalid {
				t.Fatalf("DecodeStrict(%q) = %v, want an Invalid error", tt.body, err)
			}
			key, field := ae.Key, ""
			if len(ae.Fields) > 0 {
				key, field = ae.Fields[0].Key, ae.Fields[0].Field
			}
			if key != tt.key || field != tt.field {
				t.Errorf("DecodeStrict(%q): key %q field %q, want %q %q", tt.body, key, field, tt.key, tt.field)
			}
		})
	}
}
