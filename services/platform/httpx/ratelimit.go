package httpx

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/apperr"
)

// defaultMaxKeys bounds the keys a RateLimiter tracks at once (about 100
// bytes each); at the bound, a new key evicts an arbitrary one.
const defaultMaxKeys = 100_000

// RateLimiter is a token bucket per key: a key may make burst requests at
// once, and then one every minute/perMinute. It keeps, per key, only the time
// its bucket will be full again (the GCRA form of the token bucket), so a key
// whose bucket has refilled is indistinguishable from an unknown one and is
// evicted. It is safe for concurrent use.
type RateLimiter struct {
	interval time.Duration // time to earn one token
	window   time.Duration // time to refill an empty bucket: burst × interval
	maxKeys  int
	now      func() time.Time // time.Now; tests set a fake clock

	mu        sync.Mutex
	full      map[string]time.Time // key → when its bucket is full again
	lastSweep time.Time
}

// NewRateLimiter returns a limiter allowing perMinute requests a minute per
// key with bursts of burst. Values below 1 count as 1.
func NewRateLimiter(perMinute, burst int) *RateLimiter {
	perMinute, burst = max(perMinute, 1), max(burst, 1)
	interval := time.Minute / time.Duration(perMinute)
	return &RateLimiter{
		interval: interval,
		window:   interval * time.Duration(burst),
		maxKeys:  defaultMaxKeys,
		now:      time.Now,
		full:     map[string]time.Time{},
	}
}

// Allow takes a token from key's bucket. When the bucket is empty it answers
// false and how long until the next token, and takes nothing.
func (rl *RateLimiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	now := rl.now()
	rl.sweep(now)
	full, known := rl.full[key]
	if !known || full.Before(now) {
		full = now
	}
	// Taking a token moves "full again" one interval later; it may be at most
	// a whole window ahead (an empty bucket).
	next := full.Add(rl.interval)
	if wait := next.Sub(now) - rl.window; wait > 0 {
		return false, wait
	}
	if !known && len(rl.full) >= rl.maxKeys {
		for k := range rl.full { // map order: an arbitrary key
			delete(rl.full, k)
			break
		}
	}
	rl.full[key] = next
	return true, 0
}

// sweep drops the keys whose buckets are full again, at most once a window,
// so memory follows the keys active in the last window.
func (rl *RateLimiter) sweep(now time.Time) {
	if now.Sub(rl.lastSweep) < rl.window {
		return
	}
	rl.lastSweep = now
	for k, full := range rl.full {
		if !full.After(now) {
			delete(rl.full, k)
		}
	}
}

// WriteLimit limits POST, PUT, PATCH and DELETE requests per key(c) (the
// user's id, when mounted after authentication) and answers the ones over the
// rate with 429, a Retry-After header in whole seconds and the usual error
// body. Other methods, and requests whose key is empty, pass unlimited; a nil
// rl limits nothing.
func WriteLimit(rl *RateLimiter, key func(*fiber.Ctx) string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		switch c.Method() {
		case fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete:
		default:
			return c.Next()
		}
		k := ""
		if rl != nil {
			// A copy: Fiber's strings (headers, params) point into buffers it
			// reuses for the next request, and the limiter keeps its keys.
			k = strings.Clone(key(c))
		}
		if k == "" {
			return c.Next()
		}
		ok, wait := rl.Allow(k)
		if ok {
			return c.Next()
		}
		secs := int((wait + time.Second - 1) / time.Second) // rounded up: retrying at Retry-After succeeds
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
		return apperr.E(apperr.TooManyRequests, "error.too_many_requests", secs)
	}
}
