package httpx

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/apperr"
)

// The headers of a create that may be retried.
const (
	// HeaderIdempotencyKey names the request: a retry with the same key
	// answers the record the first request created.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderReplayed marks the answer to such a retry: nothing new was stored.
	HeaderReplayed = "Idempotent-Replayed"
)

// Create is the handler of a POST that creates a record, with an optional
// Idempotency-Key: it decodes the body strictly into a Req, calls create
// with the key, and answers 201 with the record as body gives it, at
// location, marked Idempotent-Replayed when an earlier request with the key
// had created it.
func Create[Req, Rec any](create func(c *fiber.Ctx, req *Req, key string) (Rec, bool, error), location func(Rec) string, body func(Rec) any) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req Req
		if err := DecodeStrict(c.Body(), &req); err != nil {
			return err
		}
		rec, replayed, err := create(c, &req, c.Get(HeaderIdempotencyKey))
		if err != nil {
			return err
		}
		return Created(c, location(rec), replayed, body(rec))
	}
}

// Created answers 201 with body at location; replayed marks the answer to a
// retry of the same Idempotency-Key.
func Created(c *fiber.Ctx, location string, replayed bool, body any) error {
	if replayed {
		c.Set(HeaderReplayed, "true")
	}
	c.Location(location)
	return c.Status(fiber.StatusCreated).JSON(body)
}

// RequireVersion refuses a change that does not say which version of the
// record it was made from (optimistic locking needs it).
func RequireVersion(v *int) error {
	if v == nil {
		var f apperr.Fields
		f.Add("version", "error.version_required")
		return f.Err()
	}
	return nil
}

// IntParam reads the query parameter name as a whole number, 0 when absent;
// anything else adds a field error naming the parameter to fe.
func IntParam(c *fiber.Ctx, name string, fe *apperr.Fields) int {
	v := c.Query(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		fe.Add(name, "error.not_a_whole_number", v)
	}
	return n
}
