// Package apperr is the one error type of econdip: a code that says what kind
// of failure it is, a message for people, and field-level details for bad input.
// HTTP handlers map codes to statuses in one table (httpx), consumers map them
// to ack, retry or dead-letter.
package apperr

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
)

// Code classifies an error; it decides the HTTP status and the consumer action.
type Code string

// The codes, after Ben Johnson's WTF Dial: few, and each with one meaning.
const (
	Invalid         Code = "invalid"           // the input is wrong; nothing was changed
	NotFound        Code = "not_found"         // the record does not exist (or is outside the caller's scope)
	Conflict        Code = "conflict"          // someone else changed the record first, or it already exists
	KeyReused       Code = "key_reused"        // the Idempotency-Key was used before for a different request; nothing was changed
	Unauthorized    Code = "unauthorized"      // no valid credentials
	Forbidden       Code = "forbidden"         // valid credentials, but not allowed for this record or action
	TooManyRequests Code = "too_many_requests" // more writes than the caller's rate allows; nothing was changed, retry later
	Unavailable     Code = "unavailable"       // a dependency (NATS, ClickHouse) did not answer; retry later
	Internal        Code = "internal"          // a bug or an unexpected state; details are only logged
)

// FieldError names one wrong field of the input and what is wrong with it.
// Key is the catalogue key of the message (also a stable machine-readable reason).
type FieldError struct {
	Field   string `json:"field"`
	Key     string `json:"code"`
	Message string `json:"message"`
	Args    []any  `json:"-"`
}

// Localized returns the message in lang.
func (f FieldError) Localized(lang i18n.Lang) string { return i18n.T(lang, f.Key, f.Args...) }

// Error is the application error.
type Error struct {
	Code    Code
	Key     string // catalogue key of Message
	Args    []any
	Message string // English text, for logs
	Fields  []FieldError
	Err     error // the cause, logged but never shown to users
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error whose message is the catalogue entry key, formatted with args.
func E(code Code, key string, args ...any) *Error {
	return &Error{Code: code, Key: key, Args: args, Message: i18n.T(i18n.EN, key, args...)}
}

// Wrap is E that keeps the cause for the logs.
func Wrap(code Code, err error, key string, args ...any) *Error {
	e := E(code, key, args...)
	e.Err = err
	return e
}

// Localized returns the message in lang.
func (e *Error) Localized(lang i18n.Lang) string {
	if e.Key == "" {
		return e.Message
	}
	return i18n.T(lang, e.Key, e.Args...)
}

// CodeOf returns the code of err, Internal for errors that are not *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Fields collects field errors while a request is validated.
type Fields []FieldError

// Add records that field is wrong, with the catalogue key of the reason.
func (f *Fields) Add(field, key string, args ...any) {
	*f = append(*f, FieldError{Field: field, Key: key, Args: args, Message: i18n.T(i18n.EN, key, args...)})
}

// Text checks a text field: required means not blank; max is in characters.
func (f *Fields) Text(field, value string, required bool, max int) {
	switch {
	case required && strings.TrimSpace(value) == "":
		f.Add(field, "error.required")
	case utf8.RuneCountInString(value) > max:
		f.Add(field, "error.too_long", max)
	}
}

// Day checks the text of a day a user writes: given, YYYY-MM-DD, and within
// kernel.FirstDay..kernel.LastDay (a day outside was a typing error, and
// ClickHouse could not store it). It returns the day and whether it passed;
// every write-side date goes through it so each is refused the same way.
func (f *Fields) Day(field, text string) (kernel.Day, bool) {
	d, err := kernel.ParseDay(text)
	switch {
	case text == "":
		f.Add(field, "error.required")
	case err != nil:
		f.Add(field, "error.date", text)
	case d.Before(kernel.FirstDay):
		f.Add(field, "error.date_too_early", text, kernel.FirstDay.String())
	case d.After(kernel.LastDay):
		f.Add(field, "error.date_too_late", text, kernel.LastDay.String())
	default:
		return d, true
	}
	return kernel.Day{}, false
}

// Has reports whether field already has an error.
func (f Fields) Has(field string) bool {
	for _, fe := range f {
		if fe.Field == field {
			return true
		}
	}
	return false
}

// Err returns an Invalid error listing the fields, or nil when there are none.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	sorted := append([]FieldError(nil), f...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Field < sorted[j].Field })
	e := E(Invalid, "error.fields_invalid")
	e.Fields = sorted
	return e
}

// FieldsOf returns the field errors of an Invalid error, so that more checks
// can add theirs and the caller gets every wrong field at once; any other
// error is returned as it is (nil, nil for no error).
func FieldsOf(err error) (Fields, error) {
	if err == nil {
		return nil, nil
	}
	var ae *Error
	if errors.As(err, &ae) && ae.Code == Invalid && len(ae.Fields) > 0 {
		return append(Fields(nil), ae.Fields...), nil
	}
	return nil, err
}
