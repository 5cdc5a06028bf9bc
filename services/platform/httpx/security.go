package httpx

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/obs"
)

// ContentSecurityPolicy is sent with every response. The dashboard loads its
// scripts and styles from /static only and has no inline <script>, style
// attribute or event handler, so none of 'unsafe-inline' is needed; its charts
// are SVG built through the DOM, which no directive restricts. img-src allows
// data: for the empty favicon (<link rel="icon" href="data:,">). fetch() goes
// to the same origin (connect-src falls back to default-src).
const ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// hsts is sent only when Options.Secure says the service is behind TLS: over
// plain HTTP browsers ignore it, and a wrong one locks users out for its max-age.
// No includeSubDomains: other hosts of the ministry's domain are not ours to pin.
const hsts = "max-age=31536000"

// setSecurityHeaders sets the headers every response carries, pages and JSON alike.
func setSecurityHeaders(c *fiber.Ctx, secure bool) {
	h := &c.Response().Header
	h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	h.Set(fiber.HeaderXFrameOptions, "DENY")
	h.Set(fiber.HeaderReferrerPolicy, "same-origin")
	h.Set(fiber.HeaderContentSecurityPolicy, ContentSecurityPolicy)
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if secure {
		h.Set(fiber.HeaderStrictTransportSecurity, hsts)
	}
}

// refKey is the Locals key of the request's log reference.
type refKey struct{}

// requestRef returns the request's log reference, making one on first use:
// 8 hex digits, enough to find one failure in a day's logs, short enough to
// read out on the phone.
func requestRef(c *fiber.Ctx) string {
	if ref, ok := c.Locals(refKey{}).(string); ok {
		return ref
	}
	var b [4]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	ref := hex.EncodeToString(b[:])
	c.Locals(refKey{}, ref)
	return ref
}

// panicHandler logs a recovered panic with its stack under the request's ref
// (the one the error response then shows) and counts it. The stack stays in
// the server's log; the response gets the generic message.
func panicHandler(service string, log *slog.Logger) func(*fiber.Ctx, any) {
	return func(c *fiber.Ctx, r any) {
		obs.HTTPPanics.WithLabelValues(service).Inc()
		log.Error("handler panicked", "ref", requestRef(c), "method", c.Method(), "path", c.Path(),
			"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	}
}
