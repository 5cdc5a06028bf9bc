package httpx

// The token-walking strict decoder that DecodeStrict used before issue 14,
// kept as the oracle of the single-pass scanner (strict_diff_test.go): on
// every body both must accept the same values and refuse with the same
// field errors.

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"econdip/services/platform/apperr"
)

// decodeStrictOld is DecodeStrict as it was, over the old walk.
func decodeStrictOld(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apperr.E(apperr.Invalid, "error.body_empty")
	}
	if err := oldScanJSON(body, reflect.TypeOf(v)); err != nil {
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

// oldScanJSON walks the tokens of the first JSON value in body alongside the Go
// type it is to be decoded into, and refuses what encoding/json would let
// through in silence: invalid UTF-8 (it becomes U+FFFD), lone surrogate
// escapes (likewise), NUL and the other C0 controls except TAB, LF and CR
// (raw or escaped), duplicate keys (the last would win), null (it would keep
// or zero the field unseen) and unknown fields at any depth. Every error
// names the field by its full path: investor_name, capex.x, contacts[1].name.
// Syntax errors that are not about a string's characters are left to the
// decoder, which reports them as today.
func oldScanJSON(body []byte, t reflect.Type) error {
	s := &tokenScanner{dec: json.NewDecoder(strings.NewReader(string(body))), body: body}
	s.dec.UseNumber()
	err := s.value("", t)
	if ferr := s.fields.Err(); ferr != nil {
		return ferr
	}
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

type tokenScanner struct {
	dec    *json.Decoder
	body   []byte
	fields apperr.Fields
}

func (s *tokenScanner) add(path, key string, args ...any) error {
	if path == "" {
		path = "body"
	}
	s.fields.Add(path, key, args...)
	if len(s.fields) >= maxFieldErrors {
		return errStop
	}
	return nil
}

// token reads the next token and returns the raw bytes it was read from
// (with any separator and blanks before it).
func (s *tokenScanner) token(path string) (json.Token, []byte, error) {
	start := s.dec.InputOffset()
	tok, err := s.dec.Token()
	if err != nil {
		var syn *json.SyntaxError
		if c, ok := rawControl(s.body[start:]); errors.As(err, &syn) && ok {
			// JSON forbids raw control characters in strings: name the field too.
			if err := s.add(path, "error.control_char", controlName(rune(c))); err != nil {
				return nil, nil, err
			}
		}
		return nil, nil, errStop
	}
	return tok, s.body[start:s.dec.InputOffset()], nil
}

// value reads one JSON value at path; t is the Go type it decodes into (nil: any).
func (s *tokenScanner) value(path string, t reflect.Type) error {
	tok, raw, err := s.token(path)
	if err != nil {
		return err
	}
	t = target(t)
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '{' {
			return s.object(path, t)
		}
		return s.array(path, t)
	case string:
		return s.text(path, tok, raw)
	case nil:
		return s.add(path, "error.null")
	}
	return nil
}

func (s *tokenScanner) object(path string, t reflect.Type) error {
	var fields map[string]oldField
	var elem reflect.Type
	switch {
	case t == nil:
	case t.Kind() == reflect.Struct:
		fields = oldFieldsOf(t)
	case t.Kind() == reflect.Map:
		elem = t.Elem()
	default:
		t = nil // the decoder reports the wrong type
	}
	seen := map[string]bool{}
	for s.dec.More() {
		tok, raw, err := s.token(path)
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if err := s.text(path, key, raw); err != nil {
			return err
		}
		name, vt := key, elem
		if fields != nil {
			f, ok := oldLookupField(fields, key)
			if !ok {
				if err := s.add(join(path, key), "error.unknown_field"); err != nil {
					return err
				}
				if err := s.value(join(path, key), nil); err != nil {
					return err
				}
				continue
			}
			name, vt = f.name, f.typ
		}
		if seen[name] {
			if err := s.add(join(path, name), "error.duplicate_key"); err != nil {
				return err
			}
		}
		seen[name] = true
		if err := s.value(join(path, name), vt); err != nil {
			return err
		}
	}
	_, _, err := s.token(path) // '}'
	return err
}

func (s *tokenScanner) array(path string, t reflect.Type) error {
	var elem reflect.Type
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		elem = t.Elem()
	}
	for i := 0; s.dec.More(); i++ {
		if err := s.value(path+"["+strconv.Itoa(i)+"]", elem); err != nil {
			return err
		}
	}
	_, _, err := s.token(path) // ']'
	return err
}

// text checks a string (a value, or the key of a field at path) as decoded,
// and the raw bytes it was read from.
func (s *tokenScanner) text(path, decoded string, raw []byte) error {
	switch {
	case !utf8.Valid(raw):
		return s.add(path, "error.invalid_utf8")
	case loneSurrogate(raw):
		return s.add(path, "error.invalid_utf8")
	}
	for _, r := range decoded {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return s.add(path, "error.control_char", controlName(r))
		}
	}
	return nil
}

// loneSurrogate reports whether a raw JSON string holds a \uD800-\uDFFF
// escape that is not half of a valid pair: encoding/json turns it into
// U+FFFD, as it does invalid UTF-8.
func loneSurrogate(raw []byte) bool {
	hex := func(i int) (rune, bool) {
		if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
		return rune(n), err == nil
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		r, ok := hex(i)
		if !ok {
			i++ // an escape of one character (\" \\ \n ...)
			continue
		}
		switch {
		case r >= 0xD800 && r < 0xDC00:
			if lo, ok := hex(i + 6); ok && lo >= 0xDC00 && lo < 0xE000 {
				i += 11
				continue
			}
			return true
		case r >= 0xDC00 && r < 0xE000:
			return true
		}
		i += 5
	}
	return false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// field is a struct field as JSON names it.
type oldField struct {
	name string
	typ  reflect.Type
}

var oldFieldCache sync.Map // reflect.Type -> map[string]oldField

// oldFieldsOf lists the JSON fields of a struct type, as encoding/json sees
// them: exported fields by their tag name, embedded structs' fields promoted.
func oldFieldsOf(t reflect.Type) map[string]oldField {
	if m, ok := oldFieldCache.Load(t); ok {
		return m.(map[string]oldField)
	}
	out := map[string]oldField{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if sf.Anonymous && name == "" {
				et := sf.Type
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct {
					walk(et)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			if _, dup := out[name]; !dup {
				out[name] = oldField{name: name, typ: sf.Type}
			}
		}
	}
	walk(t)
	oldFieldCache.Store(t, out)
	return out
}

// oldLookupField finds key as encoding/json does: the exact name, else one
// that differs only in case.
func oldLookupField(fields map[string]oldField, key string) (oldField, bool) {
	if f, ok := fields[key]; ok {
		return f, true
	}
	for name, f := range fields {
		if strings.EqualFold(name, key) {
			return f, true
		}
	}
	return oldField{}, false
}
