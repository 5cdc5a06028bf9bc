// Package httpx is the HTTP plumbing every econdip service shares: a Fiber app
// with one error handler that maps apperr codes to statuses, strict JSON
// decoding, request logging and metrics.
package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/apperr"
	"econdip/services/platform/i18n"
	"econdip/services/platform/obs"
)

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[apperr.Code]int{
	apperr.Invalid:      fiber.StatusBadRequest,
	apperr.NotFound:     fiber.StatusNotFound,
	apperr.Conflict:     fiber.StatusConflict,
	apperr.Unauthorized: fiber.StatusUnauthorized,
	apperr.Forbidden:    fiber.StatusForbidden,
	apperr.Unavailable:  fiber.StatusServiceUnavailable,
	apperr.Internal:     fiber.StatusInternalServerError,
}

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error  string              `json:"error"`
	Code   apperr.Code         `json:"code"`
	Fields []apperr.FieldError `json:"fields,omitempty"`
}

// Options configure a new app.
type Options struct {
	Name      string // service name, in logs and metrics
	Logger    *slog.Logger
	BodyLimit int // bytes; default 1 MiB
}

// New returns a Fiber app with econdip's error handler, limits, logging and metrics.
func New(opts Options) *fiber.App {
	if opts.BodyLimit == 0 {
		opts.BodyLimit = 1 << 20
	}
	log := opts.Logger.With("service", opts.Name)
	app := fiber.New(fiber.Config{
		AppName:               opts.Name,
		BodyLimit:             opts.BodyLimit,
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           60 * time.Second,
		DisableStartupMessage: true,
		ErrorHandler:          errorHandler(log),
	})
	app.Use(func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			// Run the error handler now so the logged status is the one sent.
			if herr := app.Config().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		route := c.Route().Path
		obs.HTTPRequests.WithLabelValues(opts.Name, c.Method(), route, fmt.Sprint(status)).Inc()
		obs.HTTPDuration.WithLabelValues(opts.Name, c.Method(), route).Observe(time.Since(start).Seconds())
		level := slog.LevelDebug
		if status >= 500 {
			level = slog.LevelWarn
		}
		// Never log bodies: they may hold personal data.
		log.Log(c.Context(), level, "http request", "method", c.Method(), "path", c.Path(),
			"status", status, "ms", time.Since(start).Milliseconds())
		return nil
	})
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/metrics", obs.MetricsHandler())
	return app
}

func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		lang := Lang(c)
		var fe *fiber.Error
		if errors.As(err, &fe) {
			// Fiber's own errors (404 route, 413 body too large, 405).
			return c.Status(fe.Code).JSON(ErrorBody{Error: fe.Message, Code: codeForStatus(fe.Code)})
		}
		var ae *apperr.Error
		if !errors.As(err, &ae) {
			ae = apperr.Wrap(apperr.Internal, err, "error.internal")
		}
		status := statusOf[ae.Code]
		if status == 0 {
			status = fiber.StatusInternalServerError
		}
		if status >= 500 {
			// Internals go to the log only; the user gets the catalogue text.
			log.Error("request failed", "method", c.Method(), "path", c.Path(), "code", ae.Code, "err", err)
		}
		body := ErrorBody{Error: ae.Localized(lang), Code: ae.Code}
		for _, f := range ae.Fields {
			f.Message = f.Localized(lang)
			body.Fields = append(body.Fields, f)
		}
		return c.Status(status).JSON(body)
	}
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

// Lang picks the user's language from Accept-Language (en, kk, ru).
func Lang(c *fiber.Ctx) i18n.Lang {
	switch {
	case strings.HasPrefix(c.Get(fiber.HeaderAcceptLanguage), "kk"):
		return i18n.KK
	case strings.HasPrefix(c.Get(fiber.HeaderAcceptLanguage), "ru"):
		return i18n.RU
	}
	return i18n.EN
}

// DecodeStrict decodes one JSON value from body into v, refusing unknown
// fields and trailing data, and turns decoder errors into field-level errors.
func DecodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apperr.E(apperr.Invalid, "error.body_empty")
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
