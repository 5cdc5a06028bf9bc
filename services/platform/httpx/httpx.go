// Package httpx is the HTTP plumbing every econdip service shares: a Fiber app
// with one error handler that maps apperr codes to statuses, strict JSON
// decoding, request logging and metrics.
package httpx

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	fiberrecover "github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/utils"

	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/i18n"
	"econdip/services/platform/obs"
)

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[apperr.Code]int{
	apperr.Invalid:         fiber.StatusBadRequest,
	apperr.NotFound:        fiber.StatusNotFound,
	apperr.Conflict:        fiber.StatusConflict,
	apperr.KeyReused:       fiber.StatusUnprocessableEntity,
	apperr.Unauthorized:    fiber.StatusUnauthorized,
	apperr.Forbidden:       fiber.StatusForbidden,
	apperr.TooManyRequests: fiber.StatusTooManyRequests,
	apperr.Unavailable:     fiber.StatusServiceUnavailable,
	apperr.Internal:        fiber.StatusInternalServerError,
}

// clientCodes are the codes whose message is about the caller's own request
// (a field it sent, a record it named) and is shown as the error carries it.
// Every other error answers a fixed catalogue sentence and a log reference.
var clientCodes = map[apperr.Code]bool{
	apperr.Invalid:         true,
	apperr.NotFound:        true,
	apperr.Conflict:        true,
	apperr.KeyReused:       true,
	apperr.Unauthorized:    true,
	apperr.Forbidden:       true,
	apperr.TooManyRequests: true,
}

// shownUnavailable are the sentences an Unavailable error may show as its
// own instead of error.service_unavailable, which says nothing was saved:
// they name no component and carry no arguments. A read of figures that
// failed saved nothing because it was saving nothing.
var shownUnavailable = map[string]bool{
	"error.figures_unavailable": true,
}

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error  string              `json:"error"`
	Code   apperr.Code         `json:"code"`
	Fields []apperr.FieldError `json:"fields,omitempty"`
	// Ref names the log entry of a server-side failure, for support; only on 5xx.
	Ref string `json:"ref,omitempty"`
}

// Options configure a new app.
type Options struct {
	Name      string // service name, in logs and metrics
	Logger    *slog.Logger
	BodyLimit int // bytes; default 1 MiB
	// ReadTimeout bounds reading a request, headers and body (default 15 s);
	// longer for apps that take document uploads (25 MiB on a slow line).
	ReadTimeout time.Duration
	// Secure says the service is reached over TLS only (directly or behind a
	// TLS proxy): responses then carry Strict-Transport-Security.
	Secure bool
	// Metrics serves /metrics (the process's Prometheus registry). Only for
	// apps on an internal address (ingest's health address, the process's
	// ECONDIP_METRICS_ADDR): the APIs and the dashboard, which users reach,
	// do not show their request counts, routes and internals to anyone.
	Metrics bool
}

// New returns a Fiber app with econdip's error handler, limits, security
// headers, panic recovery, logging and request metrics (served on /metrics
// only with Options.Metrics).
func New(opts Options) *fiber.App {
	if opts.BodyLimit == 0 {
		opts.BodyLimit = 1 << 20
	}
	log := opts.Logger.With("service", opts.Name)
	app := fiber.New(fiber.Config{
		AppName:   opts.Name,
		BodyLimit: opts.BodyLimit,
		// Fiber v2 has no ReadHeaderTimeout: fasthttp sets the ReadTimeout
		// deadline before it reads a request's first header byte, so this one
		// bounds header and body together (a slow-header client is cut at 15 s).
		// Headers are also capped at ReadBufferSize (Fiber's 4 KiB default: 431).
		ReadTimeout:           cmp.Or(opts.ReadTimeout, 15*time.Second),
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           60 * time.Second,
		DisableStartupMessage: true,
		ErrorHandler:          errorHandler(opts, log),
	})
	app.Use(func(c *fiber.Ctx) error {
		start := time.Now()
		setSecurityHeaders(c, opts.Secure)
		err := c.Next()
		if err != nil {
			// Run the error handler now so the logged status is the one sent.
			if herr := app.Config().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		route, method := c.Route().Path, methodLabel(c.Method())
		obs.HTTPRequests.WithLabelValues(opts.Name, method, route, fmt.Sprint(status)).Inc()
		obs.HTTPDuration.WithLabelValues(opts.Name, method, route).Observe(time.Since(start).Seconds())
		level := slog.LevelDebug
		if status >= 500 {
			level = slog.LevelWarn
		}
		// Never log bodies: they may hold personal data.
		log.Log(c.Context(), level, "http request", "method", c.Method(), "path", c.Path(),
			"status", status, "ms", time.Since(start).Milliseconds())
		return nil
	})
	// Inside the logging middleware, so a panic is logged and counted as the 500 it becomes.
	// Without it a panic in any handler would end the whole process (fasthttp does not recover).
	app.Use(fiberrecover.New(fiberrecover.Config{EnableStackTrace: true, StackTraceHandler: panicHandler(opts.Name, log)}))
	// Liveness: the process serves. Readiness: its dependencies answer too
	// (AddReadyCheck), so a load balancer sends it requests.
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", readyHandler(app, log))
	auth.RegisterPublic(opts.Name, fiber.MethodGet, "/healthz")
	auth.RegisterPublic(opts.Name, fiber.MethodGet, "/readyz")
	if opts.Metrics {
		app.Get("/metrics", obs.MetricsHandler())
		auth.RegisterPublic(opts.Name, fiber.MethodGet, "/metrics")
	}
	return app
}

// methodLabel is the method as a metric label: a constant string. Fiber's
// c.Method() points into fasthttp's request buffer, which the next request
// overwrites, and Prometheus keeps label values as given: a label taken
// from it changed under the registry, which then held two series with the
// same labels and answered /metrics with a 500. Unknown methods share one
// label, so a client cannot add series at will.
func methodLabel(m string) string {
	for _, known := range []string{fiber.MethodGet, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete,
		fiber.MethodHead, fiber.MethodOptions} {
		if m == known {
			return known
		}
	}
	return "other"
}

// errorHandler answers every error as an ErrorBody. Errors with a client code
// show their catalogue message and field errors; anything else (an unexpected
// error, a panic, a dependency that failed) shows only a fixed catalogue
// sentence and a ref, and the real error goes to the log under that ref.
// It also runs for errors fasthttp raises before any middleware (a body over
// the limit, a malformed request), hence the security headers here too.
func errorHandler(opts Options, log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		setSecurityHeaders(c, opts.Secure)
		lang := Lang(c)
		c.Set(fiber.HeaderContentLanguage, string(lang))
		var fe *fiber.Error
		isFiber := errors.As(err, &fe)
		if isFiber && fe.Code < 500 {
			// Fiber's own errors (404 route, 413 body too large, 405).
			return c.Status(fe.Code).JSON(fiberErrorBody(fe, lang, opts.BodyLimit))
		}
		var ae *apperr.Error
		isApp := errors.As(err, &ae)
		if isApp && clientCodes[ae.Code] {
			status := statusOf[ae.Code]
			if status == fiber.StatusTooManyRequests {
				obs.HTTPRateLimited.WithLabelValues(opts.Name).Inc()
				if len(c.Response().Header.Peek(fiber.HeaderRetryAfter)) == 0 {
					c.Set(fiber.HeaderRetryAfter, "1") // a busy store, not the caller's rate: a second will do
				}
			}
			body := ErrorBody{Error: ae.Localized(lang), Code: ae.Code}
			for _, f := range ae.Fields {
				f.Message = f.Localized(lang)
				body.Fields = append(body.Fields, f)
			}
			return c.Status(status).JSON(body)
		}
		code, status := apperr.Internal, fiber.StatusInternalServerError
		switch {
		case isApp && statusOf[ae.Code] != 0:
			code, status = ae.Code, statusOf[ae.Code]
		case isFiber:
			code, status = codeForStatus(fe.Code), fe.Code
		}
		// One generic sentence per code: the error's own message may name a
		// component ("the analytics store (ClickHouse)") or carry a cause's text
		// in its arguments. A few sentences of its own are shown (shownUnavailable).
		key := "error.internal"
		if code == apperr.Unavailable {
			key = "error.service_unavailable"
			if isApp && shownUnavailable[ae.Key] && len(ae.Args) == 0 {
				key = ae.Key
			}
		}
		ref := requestRef(c)
		// Internals go to the log only; the user gets the catalogue text and the ref.
		log.Error("request failed", "ref", ref, "method", c.Method(), "path", c.Path(),
			"status", status, "code", code, "err", err)
		return c.Status(status).JSON(ErrorBody{Error: i18n.T(lang, key), Code: code, Ref: ref})
	}
}

// fiberErrorBody answers one of Fiber's own client errors. Their messages are
// the standard status texts or "Cannot GET /path", except the 400 Fiber makes
// from a fasthttp parse error, whose text is the parser's: that is replaced.
func fiberErrorBody(fe *fiber.Error, lang i18n.Lang, bodyLimit int) ErrorBody {
	code := codeForStatus(fe.Code)
	switch {
	case fe.Code == fiber.StatusRequestEntityTooLarge:
		return ErrorBody{Error: i18n.T(lang, "error.body_too_large", sizeText(bodyLimit)), Code: code}
	case fe.Message == utils.StatusMessage(fe.Code) || strings.HasPrefix(fe.Message, "Cannot "):
		return ErrorBody{Error: fe.Message, Code: code}
	}
	return ErrorBody{Error: utils.StatusMessage(fe.Code), Code: code}
}

// sizeText writes a byte count for people: 1 MiB, 1.1 MiB, 64 KiB.
func sizeText(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func codeForStatus(status int) apperr.Code {
	for code, s := range statusOf {
		if s == status {
			return code
		}
	}
	if status >= 500 {
		return apperr.Internal
	}
	return apperr.Invalid
}

// LangCookie remembers a language chosen with ?lang= on this browser, for
// pages before sign-in and users without a setting of their own.
const LangCookie = "econdip_lang"

const langLocal = "econdip.lang"

// SetLang fixes the request's language, for a middleware that knows the
// signed-in user's own setting.
func SetLang(c *fiber.Ctx, l i18n.Lang) { c.Locals(langLocal, l) }

// Lang is the language to answer the request in (i18n.Choose): the one set
// with SetLang, else the authenticated user's own setting (auth.User.Lang,
// which every service's bearer check and the dashboard's session store),
// else ?lang=, else the language cookie, else Accept-Language, else English.
func Lang(c *fiber.Ctx) i18n.Lang {
	if l, ok := c.Locals(langLocal).(i18n.Lang); ok {
		return l
	}
	explicit := c.Query("lang")
	if explicit == "" {
		explicit = c.Cookies(LangCookie)
	}
	return i18n.Choose(auth.FromCtx(c).Lang, explicit, c.Get(fiber.HeaderAcceptLanguage))
}

// DecodeStrict decodes one JSON value from body into v, refusing unknown
// fields (at any depth), duplicate keys, null, invalid UTF-8, control
// characters other than TAB, LF and CR, and trailing data, and turns decoder
// errors into field-level errors that name the field's full path
// (contacts[1].name). Null is never a value: a client leaves a field out to
// keep it (in a PATCH) or to have its default (in a create).
func DecodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apperr.E(apperr.Invalid, "error.body_empty")
	}
	if err := scanJSON(body, reflect.TypeOf(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.E(apperr.Invalid, "error.body_trailing")
	}
	return nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var fields apperr.Fields
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		fields.Add(field, "error.json_type", typeErr.Value, typeErr.Type.String())
		return fields.Err()
	case errors.As(err, &syntaxErr):
		return apperr.E(apperr.Invalid, "error.json_syntax", syntaxErr.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		fields.Add(name, "error.unknown_field")
		return fields.Err()
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.E(apperr.Invalid, "error.json_truncated")
	}
	// Errors from a field's own UnmarshalJSON (a malformed decimal, a date).
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae
	}
	return apperr.Wrap(apperr.Invalid, err, "error.json_invalid", err.Error())
}
