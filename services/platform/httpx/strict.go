package httpx

import (
	"bytes"
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

// scanJSON checks the first JSON value in body alongside the Go type it is
// to be decoded into, and refuses what encoding/json would let through in
// silence: invalid UTF-8 (it becomes U+FFFD), lone surrogate escapes
// (likewise), NUL and the other C0 controls except TAB, LF and CR (raw or
// escaped), duplicate keys (the last would win), null (it would keep or zero
// the field unseen) and unknown fields at any depth. Every error names the
// field by its full path: investor_name, capex.x, contacts[1].name. Syntax
// errors that are not about a string's characters are left to the decoder,
// which reports them as before.
//
// It is one pass over the bytes, allocating nothing for a body it accepts:
// paths are built only for an error. It finds what the token walk it
// replaced (encoding/json's Decoder.Token, kept in strict_oracle_test.go)
// found, in the same order, and stops where that walk stopped at a syntax
// error, so the field errors are the same (strict_diff_test.go).
func scanJSON(body []byte, t reflect.Type) error {
	s := scanner{body: body}
	err := s.value(t, 0)
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

// maxDepth is encoding/json's nesting limit: deeper, the decoder refuses the
// body, and the walk stops instead of recursing on.
const maxDepth = 10000

type scanner struct {
	body   []byte
	pos    int
	depth  int
	path   []byte // the path of the value being read, as in error messages
	fields apperr.Fields
}

func (s *scanner) add(key string, args ...any) error {
	path := "body"
	if len(s.path) > 0 {
		path = string(s.path)
	}
	s.fields.Add(path, key, args...)
	if len(s.fields) >= maxFieldErrors {
		return errStop
	}
	return nil
}

// syntax ends the walk at a syntax error in the token that starts at from
// (after the previous token: blanks and separators first). JSON forbids raw
// control characters in strings: if the token is a string holding one, the
// field is named too.
func (s *scanner) syntax(from int) error {
	if c, ok := rawControl(s.body[from:]); ok {
		_ = s.add("error.control_char", controlName(rune(c)))
	}
	return errStop
}

func (s *scanner) pushKey(key []byte) int {
	n := len(s.path)
	if n > 0 {
		s.path = append(s.path, '.')
	}
	s.path = append(s.path, key...)
	return n
}

func (s *scanner) pushIndex(i int) int {
	n := len(s.path)
	s.path = append(s.path, '[')
	s.path = strconv.AppendInt(s.path, int64(i), 10)
	s.path = append(s.path, ']')
	return n
}

func (s *scanner) blanks() {
	for s.pos < len(s.body) {
		switch s.body[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek is the next byte after blanks, or 0 at the end.
func (s *scanner) peek() byte {
	s.blanks()
	if s.pos == len(s.body) {
		return 0
	}
	return s.body[s.pos]
}

// value reads one JSON value at s.path; t is the Go type it decodes into
// (nil: any), from the start of its token (for a syntax error).
func (s *scanner) value(t reflect.Type, from int) error {
	switch s.peek() {
	case '{':
		return s.object(planOf(t), from)
	case '[':
		return s.array(planOf(t), from)
	case '"':
		str, ok := s.str()
		if !ok {
			return s.syntax(from)
		}
		return s.text(str)
	case 'n':
		if !s.literal("null") {
			return s.syntax(from)
		}
		return s.add("error.null")
	case 't':
		if !s.literal("true") {
			return s.syntax(from)
		}
	case 'f':
		if !s.literal("false") {
			return s.syntax(from)
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if !s.number() {
			return s.syntax(from)
		}
	default:
		return s.syntax(from)
	}
	return nil
}

func (s *scanner) object(p *plan, from int) error {
	if s.depth++; s.depth > maxDepth {
		return errStop
	}
	defer func() { s.depth-- }()
	s.pos++ // '{'
	var elem reflect.Type
	var seenField []bool
	var seen keySet
	switch {
	case p == nil:
	case p.kind == reflect.Struct:
		var inline [64]bool
		if len(p.fields) <= len(inline) {
			seenField = inline[:len(p.fields)]
		} else {
			seenField = make([]bool, len(p.fields))
		}
	case p.kind == reflect.Map:
		elem = p.elem
	default:
		p = nil // the decoder reports the wrong type
	}
	for first := true; ; first = false {
		from = s.pos
		switch c := s.peek(); {
		case c == '}':
			s.pos++
			return nil
		case c == ',' && !first:
			s.pos++
			if s.peek() != '"' {
				return s.syntax(from)
			}
		case c != '"' || !first:
			return s.syntax(from)
		}
		start := s.pos
		key, ok := s.str()
		if !ok {
			return s.syntax(from)
		}
		if err := s.text(key); err != nil {
			return err
		}
		name, vt := key.text(s.body[start:s.pos]), elem
		if p != nil && p.kind == reflect.Struct {
			i, ok := p.lookup(name)
			if !ok {
				mark := s.pushKey(name)
				if err := s.add("error.unknown_field"); err != nil {
					return err
				}
				if err := s.member(nil); err != nil {
					return err
				}
				s.path = s.path[:mark]
				continue
			}
			f := p.fields[i]
			name, vt = f.key, f.typ
			mark := s.pushKey(name)
			if seenField[i] {
				if err := s.add("error.duplicate_key"); err != nil {
					return err
				}
			}
			seenField[i] = true
			if err := s.member(vt); err != nil {
				return err
			}
			s.path = s.path[:mark]
			continue
		}
		mark := s.pushKey(name)
		if seen.addDup(name) {
			if err := s.add("error.duplicate_key"); err != nil {
				return err
			}
		}
		if err := s.member(vt); err != nil {
			return err
		}
		s.path = s.path[:mark]
	}
}

// member reads the ':' and the value of an object member at s.path.
func (s *scanner) member(t reflect.Type) error {
	from := s.pos
	if s.peek() != ':' {
		return s.syntax(from)
	}
	s.pos++
	return s.value(t, from)
}

func (s *scanner) array(p *plan, from int) error {
	if s.depth++; s.depth > maxDepth {
		return errStop
	}
	defer func() { s.depth-- }()
	s.pos++ // '['
	var elem reflect.Type
	if p != nil && (p.kind == reflect.Slice || p.kind == reflect.Array) {
		elem = p.elem
	}
	for i := 0; ; i++ {
		from = s.pos
		c := s.peek()
		switch {
		case c == ']':
			s.pos++
			return nil
		case c == '}' || c == 0:
			return s.syntax(from)
		}
		mark := s.pushIndex(i)
		if i > 0 {
			if c != ',' {
				return s.syntax(from)
			}
			s.pos++
		}
		if err := s.value(elem, from); err != nil {
			return err
		}
		s.path = s.path[:mark]
	}
}

func (s *scanner) literal(word string) bool {
	if !bytes.HasPrefix(s.body[s.pos:], []byte(word)) {
		return false
	}
	s.pos += len(word)
	return true
}

// number reads a JSON number; what follows it is the next token's.
func (s *scanner) number() bool {
	b, i := s.body, s.pos
	digits := func() bool {
		n := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > n
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	s.pos = i
	return true
}

// strInfo is what reading a string literal found in it.
type strInfo struct {
	escaped  bool // it has an escape: its text is not its bytes
	invalid  bool // invalid UTF-8, or a lone surrogate escape
	control  rune // the first control character its text has (-1: none)
	nonASCII bool
}

// str reads the string literal at s.pos (its opening quote); ok is false
// for a syntax error in it (a raw control character, a bad escape, the end).
func (s *scanner) str() (strInfo, bool) {
	b := s.body
	start := s.pos
	in := strInfo{control: -1}
	hex := func(i int) (rune, bool) {
		if i+4 > len(b) {
			return 0, false
		}
		var r rune
		for _, c := range b[i : i+4] {
			switch {
			case c >= '0' && c <= '9':
				r = r<<4 | rune(c-'0')
			case c >= 'a' && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case c >= 'A' && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0, false
			}
		}
		return r, true
	}
	control := func(r rune) {
		if in.control < 0 && r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			in.control = r
		}
	}
	for i := start + 1; i < len(b); {
		c := b[i]
		switch {
		case c == '"':
			s.pos = i + 1
			if in.nonASCII && !in.invalid && !utf8.Valid(b[start:s.pos]) {
				in.invalid = true
			}
			return in, true
		case c < 0x20:
			return in, false
		case c >= 0x80:
			in.nonASCII = true
			i++
		case c != '\\':
			i++
		case i+1 == len(b):
			return in, false
		default:
			in.escaped = true
			switch b[i+1] {
			case '"', '\\', '/', 'n', 'r', 't':
				i += 2
			case 'b':
				control('\b')
				i += 2
			case 'f':
				control('\f')
				i += 2
			case 'u':
				r, ok := hex(i + 2)
				if !ok {
					return in, false
				}
				i += 6
				switch {
				case r >= 0xD800 && r < 0xDC00:
					if i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
						if lo, ok := hex(i + 2); ok && lo >= 0xDC00 && lo < 0xE000 {
							i += 6
							continue
						}
					}
					in.invalid = true
				case r >= 0xDC00 && r < 0xE000:
					in.invalid = true
				default:
					control(r)
				}
			default:
				return in, false
			}
		}
	}
	return in, false
}

// text checks a string (a value, or the key of a field at the path).
func (s *scanner) text(in strInfo) error {
	switch {
	case in.invalid:
		return s.add("error.invalid_utf8")
	case in.control >= 0:
		return s.add("error.control_char", controlName(in.control))
	}
	return nil
}

// text is a string literal's text: its bytes between the quotes unless it
// has escapes or invalid UTF-8 (decoded then as encoding/json decodes it).
func (in strInfo) text(literal []byte) []byte {
	if !in.escaped && !in.invalid {
		return literal[1 : len(literal)-1]
	}
	var out string
	if err := json.Unmarshal(literal, &out); err != nil {
		return literal[1 : len(literal)-1] // not reached: the literal was read as valid
	}
	return []byte(out)
}

// keySet finds duplicate keys of a map or an object of unknown shape.
type keySet struct {
	few  [][]byte
	many map[string]struct{}
}

// addDup adds key, reporting whether it was there already.
func (k *keySet) addDup(key []byte) bool {
	if k.many == nil {
		for _, have := range k.few {
			if bytes.Equal(have, key) {
				return true
			}
		}
		if len(k.few) < 16 {
			k.few = append(k.few, key)
			return false
		}
		k.many = make(map[string]struct{}, 32)
		for _, have := range k.few {
			k.many[string(have)] = struct{}{}
		}
	}
	if _, ok := k.many[string(key)]; ok {
		return true
	}
	k.many[string(key)] = struct{}{}
	return false
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

// plan is how the walk reads a JSON value into a Go type: its fields for a
// struct, its element for a map, a slice or an array.
type plan struct {
	kind   reflect.Kind
	elem   reflect.Type
	fields []jsonField    // a struct's, in encoding/json's order
	byKey  map[string]int // exact JSON name -> index in fields
}

// jsonField is a struct field as JSON names it.
type jsonField struct {
	key []byte
	typ reflect.Type
}

var plans sync.Map // reflect.Type -> *plan (nil: anything)

// planOf is the plan of a place of type t: nil (anything) for an interface,
// a type that decodes itself, or nil.
func planOf(t reflect.Type) *plan {
	if t == nil {
		return nil
	}
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	var p *plan
	if tt := target(t); tt != nil {
		p = &plan{kind: tt.Kind()}
		switch tt.Kind() {
		case reflect.Map, reflect.Slice, reflect.Array:
			p.elem = tt.Elem()
		case reflect.Struct:
			p.fields, p.byKey = fieldsOf(tt)
		}
	}
	plans.Store(t, p)
	return p
}

// fieldsOf lists the JSON fields of a struct type, as encoding/json sees
// them: exported fields by their tag name, embedded structs' fields promoted.
func fieldsOf(t reflect.Type) ([]jsonField, map[string]int) {
	var out []jsonField
	byKey := map[string]int{}
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
			if _, dup := byKey[name]; !dup {
				byKey[name] = len(out)
				out = append(out, jsonField{key: []byte(name), typ: sf.Type})
			}
		}
	}
	walk(t)
	return out, byKey
}

// lookup finds key as encoding/json does: the exact name, else one that
// differs only in case.
func (p *plan) lookup(key []byte) (int, bool) {
	if i, ok := p.byKey[string(key)]; ok {
		return i, true
	}
	for i, f := range p.fields {
		if bytes.EqualFold(f.key, key) {
			return i, true
		}
	}
	return 0, false
}
