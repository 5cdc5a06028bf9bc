package httpx

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/apperr"
	"econdip/services/platform/i18n"
	"econdip/services/platform/obs"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newFakeLimiter(perMinute, burst int) (*RateLimiter, *fakeClock) {
	clock := &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	rl := NewRateLimiter(perMinute, burst)
	rl.now = clock.Now
	return rl, clock
}

func TestRateLimiterBurstThenRate(t *testing.T) {
	rl, clock := newFakeLimiter(30, 3) // a token every 2 s
	type step struct {
		advance time.Duration
		key     string
		ok      bool
		retry   time.Duration
	}
	steps := []step{
		{0, "u1", true, 0}, {0, "u1", true, 0}, {0, "u1", true, 0}, // the burst
		{0, "u1", false, 2 * time.Second},
		{0, "u2", true, 0}, // keys are independent
		{1500 * time.Millisecond, "u1", false, 500 * time.Millisecond},
		{500 * time.Millisecond, "u1", true, 0}, // one token earned
		{0, "u1", false, 2 * time.Second},
		{time.Hour, "u1", true, 0}, // refilled to the burst, not beyond
		{0, "u1", true, 0}, {0, "u1", true, 0},
		{0, "u1", false, 2 * time.Second},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		ok, retry := rl.Allow(s.key)
		if ok != s.ok || retry != s.retry {
			t.Errorf("step %d (%s): Allow = %v, %v; want %v, %v", i, s.key, ok, retry, s.ok, s.retry)
		}
	}
}

// TestRateLimiterRefusedRequestsTakeNothing: hammering while refused does not
// push the next allowed moment further away.
func TestRateLimiterRefusedRequestsTakeNothing(t *testing.T) {
	rl, clock := newFakeLimiter(60, 1)
	if ok, _ := rl.Allow("u"); !ok {
		t.Fatal("first request refused")
	}
	for range 100 {
		clock.Advance(time.Millisecond)
		if ok, _ := rl.Allow("u"); ok {
			t.Fatal("allowed within the interval")
		}
	}
	clock.Advance(900 * time.Millisecond)
	if ok, retry := rl.Allow("u"); !ok {
		t.Fatalf("refused once the interval passed (retry %v)", retry)
	}
}

func TestRateLimiterEvictsIdleKeys(t *testing.T) {
	rl, clock := newFakeLimiter(60, 5) // full again 5 s after the last request
	for i := range 1000 {
		rl.Allow(fmt.Sprint("user-", i))
	}
	if n := len(rl.full); n != 1000 {
		t.Fatalf("%d keys tracked, want 1000", n)
	}
	clock.Advance(5 * time.Second)
	rl.Allow("late")
	if n := len(rl.full); n != 1 {
		t.Errorf("after a window idle, %d keys tracked, want only the new one", n)
	}
	// An evicted key starts again with a full bucket, as it would have anyway.
	for i := range 5 {
		if ok, _ := rl.Allow("user-1"); !ok {
			t.Errorf("request %d of an evicted key refused", i)
		}
	}
}

func TestRateLimiterMaxKeys(t *testing.T) {
	rl, _ := newFakeLimiter(60, 5)
	rl.maxKeys = 10
	for i := range 100 {
		if ok, _ := rl.Allow(fmt.Sprint("ip-", i)); !ok {
			t.Fatalf("new key %d refused", i)
		}
		if n := len(rl.full); n > 10 {
			t.Fatalf("%d keys tracked, bound is 10", n)
		}
	}
}

// TestRateLimiterConcurrent: at one instant, exactly the burst passes however
// many goroutines ask (run with -race).
func TestRateLimiterConcurrent(t *testing.T) {
	rl, _ := newFakeLimiter(60, 7)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 50 {
		wg.Go(func() {
			if ok, _ := rl.Allow("u"); ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != 7 {
		t.Errorf("%d allowed, want the burst of 7", allowed)
	}
}

func TestNewRateLimiterClampsToOne(t *testing.T) {
	rl, clock := newFakeLimiter(0, 0)
	if ok, _ := rl.Allow("u"); !ok {
		t.Fatal("first request refused")
	}
	if ok, retry := rl.Allow("u"); ok || retry != time.Minute {
		t.Errorf("second request: %v, retry %v; want refused for a minute", ok, retry)
	}
	clock.Advance(time.Minute)
	if ok, _ := rl.Allow("u"); !ok {
		t.Error("refused after a minute")
	}
}

// TestWriteLimit: writes over the rate get 429 with Retry-After and the usual
// error body; reads, other users and unauthenticated requests are not limited.
func TestWriteLimit(t *testing.T) {
	app := newTestApp(t, Options{})
	rl, clock := newFakeLimiter(20, 2) // a token every 3 s
	app.Use(WriteLimit(rl, func(c *fiber.Ctx) string { return c.Get("X-Test-User") }))
	handled := 0
	h := func(c *fiber.Ctx) error { handled++; return c.SendStatus(fiber.StatusNoContent) }
	app.Get("/leads", h)
	app.Post("/leads", h)
	app.Put("/leads/1", h)
	app.Patch("/leads/1", h)
	app.Delete("/leads/1", h)
	limited := counterValue(t, obs.HTTPRateLimited.WithLabelValues(app.name))

	type req struct {
		method, path, user string
		status             int
		retryAfter         string
	}
	reqs := []req{
		{http.MethodPost, "/leads", "anna", 204, ""},
		{http.MethodPut, "/leads/1", "anna", 204, ""},
		{http.MethodPatch, "/leads/1", "anna", 429, "3"},
		{http.MethodDelete, "/leads/1", "anna", 429, "3"},
		{http.MethodGet, "/leads", "anna", 204, ""}, // reads are not limited
		{http.MethodPost, "/leads", "bolat", 204, ""},
		{http.MethodPost, "/leads", "", 204, ""}, // no key: not limited here (authentication refuses it)
		{http.MethodPost, "/leads", "", 204, ""},
		{http.MethodPost, "/leads", "", 204, ""},
	}
	for i, r := range reqs {
		resp, raw := app.do(t, r.method, r.path, "", "X-Test-User", r.user)
		if resp.StatusCode != r.status || resp.Header.Get("Retry-After") != r.retryAfter {
			t.Errorf("request %d (%s %s as %q): %d Retry-After %q, want %d %q", i, r.method, r.path, r.user,
				resp.StatusCode, resp.Header.Get("Retry-After"), r.status, r.retryAfter)
		}
		if r.status == 429 {
			body := decodeBody(t, raw)
			want := ErrorBody{Error: i18n.T(i18n.EN, "error.too_many_requests", 3), Code: apperr.TooManyRequests}
			if fmt.Sprint(body) != fmt.Sprint(want) {
				t.Errorf("request %d: body %+v, want %+v", i, body, want)
			}
			if resp.Header.Get("Content-Security-Policy") == "" {
				t.Errorf("request %d: the 429 lacks the security headers", i)
			}
		}
	}
	if handled != 7 {
		t.Errorf("handler ran %d times, want 7 (never for a refused write)", handled)
	}
	if got := counterValue(t, obs.HTTPRateLimited.WithLabelValues(app.name)) - limited; got != 2 {
		t.Errorf("econdip_http_rate_limited_total rose by %v, want 2", got)
	}
	clock.Advance(2*time.Second + 1)
	if resp, _ := app.do(t, http.MethodPost, "/leads", "", "X-Test-User", "anna"); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("1 s short of a token: %d Retry-After %q, want 429 and 1 (rounded up)", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	clock.Advance(time.Second)
	if resp, _ := app.do(t, http.MethodPost, "/leads", "", "X-Test-User", "anna"); resp.StatusCode != 204 {
		t.Errorf("after Retry-After: %d, want 204", resp.StatusCode)
	}
}

func TestWriteLimitNilLimitsNothing(t *testing.T) {
	app := newTestApp(t, Options{})
	app.Use(WriteLimit(nil, func(*fiber.Ctx) string { return "anna" }))
	app.Post("/x", func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusNoContent) })
	for range 3 {
		if resp, _ := app.do(t, http.MethodPost, "/x", ""); resp.StatusCode != 204 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
}
