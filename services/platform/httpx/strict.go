package httpx

import (
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"econdip/services/platform/apperr"
)

// maxFieldErrors bounds the field errors one body gets, so a body of a
// thousand bad values answers a short list.
const maxFieldErrors = 20

// scanJSON walks the tokens of the first JSON value in body alongside the Go
// type it is to be decoded into, and refuses what encoding/json would let
// through in silence: invalid UTF-8 (it becomes U+FFFD), lone surrogate
// escapes (likewise), NUL and the other C0 controls except TAB, LF and CR
// (raw or escaped), duplicate keys (the last would win), null (it would keep
// or zero the field unseen) and unknown fields at any depth. Every error
// names the field by its full path: investor_name, capex.x, contacts[1].name.
// Syntax errors that are not about a string's characters are left to the
// decoder, which reports them as today.
func scanJSON(body []byte, t reflect.Type) error {
	s := &scanner{dec: json.NewDecoder(strings.NewReader(string(body))), body: body}
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

// errStop ends a walk whose remaining input the decoder reports on (a syntax
// error), or that has collected enough field errors.
var errStop = errors.New("stop scanning")

type scanner struct {
	dec    *json.Decoder
	body   []byte
	fields apperr.Fields
}

func (s *scanner) add(path, key string, args ...any) error {
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
func (s *scanner) token(path string) (json.Token, []byte, error) {
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
func (s *scanner) value(path string, t reflect.Type) error {
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

func (s *scanner) object(path string, t reflect.Type) error {
	var fields map[string]field
	var elem reflect.Type
	switch {
	case t == nil:
	case t.Kind() == reflect.Struct:
		fields = fieldsOf(t)
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
			f, ok := lookupField(fields, key)
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

func (s *scanner) array(path string, t reflect.Type) error {
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
func (s *scanner) text(path, decoded string, raw []byte) error {
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

// CheckText refuses text from outside (a CSV cell, a query parameter) that is
// not valid UTF-8 or holds a C0 control other than TAB, LF and CR, with a
// field error on field; the same rule DecodeStrict applies to JSON strings.
func CheckText(f *apperr.Fields, field, text string) bool {
	if !utf8.ValidString(text) {
		f.Add(field, "error.invalid_utf8")
		return false
	}
	for _, r := range text {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			f.Add(field, "error.control_char", controlName(r))
			return false
		}
	}
	return true
}

// rawControl returns the raw control character in the string literal that
// starts rest (after blanks and a separator), if it has one.
func rawControl(rest []byte) (byte, bool) {
	i := 0
	for i < len(rest) && strings.IndexByte(" \t\r\n:,", rest[i]) >= 0 {
		i++
	}
	if i == len(rest) || rest[i] != '"' {
		return 0, false
	}
	for i++; i < len(rest); i++ {
		switch c := rest[i]; {
		case c == '\\':
			i++
		case c == '"':
			return 0, false
		case c < 0x20:
			return c, true
		}
	}
	return 0, false
}

// controlName names a control character for a message: U+0000 (NUL).
func controlName(r rune) string {
	names := [...]string{"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "TAB", "LF", "VT", "FF", "CR", "SO", "SI",
		"DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"}
	name := "U+" + strings.ToUpper(strconv.FormatInt(int64(0x10000+r), 16)[1:])
	if r >= 0 && int(r) < len(names) {
		name += " (" + names[r] + ")"
	}
	return name
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

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// target is the type a JSON value at a place of type t is walked as: t
// without pointers, or nil (anything) for an interface or a type that
// decodes itself (its own UnmarshalJSON decides what it accepts).
func target(t reflect.Type) reflect.Type {
	for t != nil {
		if t.Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(jsonUnmarshaler) ||
			t.Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
			return nil
		}
		switch t.Kind() {
		case reflect.Pointer:
			t = t.Elem()
		case reflect.Interface:
			return nil
		default:
			return t
		}
	}
	return nil
}

// field is a struct field as JSON names it.
type field struct {
	name string
	typ  reflect.Type
}

var fieldCache sync.Map // reflect.Type -> map[string]field

// fieldsOf lists the JSON fields of a struct type, as encoding/json sees
// them: exported fields by their tag name, embedded structs' fields promoted.
func fieldsOf(t reflect.Type) map[string]field {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]field)
	}
	out := map[string]field{}
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
				out[name] = field{name: name, typ: sf.Type}
			}
		}
	}
	walk(t)
	fieldCache.Store(t, out)
	return out
}

// lookupField finds key as encoding/json does: the exact name, else one
// that differs only in case.
func lookupField(fields map[string]field, key string) (field, bool) {
	if f, ok := fields[key]; ok {
		return f, true
	}
	for name, f := range fields {
		if strings.EqualFold(name, key) {
			return f, true
		}
	}
	return field{}, false
}
