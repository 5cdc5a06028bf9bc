package httpx

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"econdip/services/platform/apperr"
)

// sameDecoding fails t unless DecodeStrict and the token walk it replaced
// (decodeStrictOld) agree on body: both accept it with the same value, or
// both refuse it with the same error and the same field errors.
func sameDecoding(t *testing.T, body []byte) {
	t.Helper()
	if nesting(body) > maxDepth {
		return // the old walk had no bound; both refuse the body, perhaps with other field errors
	}
	for _, newV := range []func() any{
		func() any { return new(strictTarget) },
		func() any { return new(any) },
		func() any { return new(map[string]any) },
		func() any { return new([]strictInner) },
	} {
		gotV, wantV := newV(), newV()
		got, want := DecodeStrict(body, gotV), decodeStrictOld(body, wantV)
		if describe(got) != describe(want) {
			t.Fatalf("body %q into %T:\n new %s\n old %s", body, gotV, describe(got), describe(want))
		}
		if got == nil && !reflect.DeepEqual(gotV, wantV) {
			t.Fatalf("body %q into %T: new %+v, old %+v", body, gotV, gotV, wantV)
		}
	}
}

// describe is an error as a client sees it: code, key, arguments and field errors.
func describe(err error) string {
	if err == nil {
		return "ok"
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return "not an apperr: " + err.Error()
	}
	raw, _ := json.Marshal(struct {
		Code   apperr.Code
		Key    string
		Args   []any
		Fields []apperr.FieldError
	}{ae.Code, ae.Key, ae.Args, ae.Fields})
	return string(raw)
}

// nesting is how deep brackets nest in body, strings aside (roughly: enough
// to skip the bodies the old walk would recurse into without bound).
func nesting(body []byte) int {
	depth, most, inString := 0, 0, false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == '{' || c == '['):
			depth++
			most = max(most, depth)
		case !inString && (c == '}' || c == ']'):
			depth--
		}
	}
	return most
}

// strictDiffBodies are bodies at the edges of the walk: syntax errors at
// every kind of token, with and without field errors found before them and
// raw control characters after them, escapes, keys, depth.
var strictDiffBodies = []string{
	`{}`, `[]`, `""`, `1`, `-0.5e+3`, `true`, `false`, `null`, ` {"investor_name" : "a" } `,
	`{"investor_name":"a","capex":{"amount":"1.5","currency":"EUR"},"contacts":[{"name":"x","role":"r"}],"tags":["a","b"],"Extra":{"k":"v"}}`,
	`{"INVESTOR_NAME":"a"}`, `{"investor_name":"a","INVESTOR_name":"b"}`, `{"x":null,"y":[null,{"z":null}]}`,
	`{"contacts":[{"name":"a","name":"b","name":"c"}]}`, `{"Extra":{"a":"1","b":"2","a":"3"}}`,
	`{"Extra":{"\u0061":"1","a":"2"}}`, `{"\u0078":1}`, "{\"\xff\":1}", "{\"x\xff\":{\"y\":null}}",
	`{"investor_name":"\b"}`, `{"investor_name":"\f"}`, `{"investor_name":"\/\"\\\n\r\t"}`,
	`{"investor_name":"\ud800\u0000"}`, `{"investor_name":"\udbff\udfff"}`, `{"investor_name":"\ud800\ud800"}`,
	`{"investor_name":"\u00e9\u0001"}`, "{\"investor_name\":\"\xe9\\u0001\"}", `{"investor_name":"\uZZZZ"}`,
	`{"investor_name":"\q"}`, "{\"investor_name\":\"\\q\x01\"}", `{"investor_name":"\ud800\uZZZZ"}`,
	`{"x":1,`, `{"x":1,}`, `{"x":1 "y\u0000":2}`, "{\"x\":1 \"y\x01\":2}", "{\"x\":1,,\"\x01\":2}",
	"{\"x\" \"\x01\"}", "{\"x\"::\"\x01\"}", "{\"x\":\"b\":\"\x01\"}", `{"x":1]`, `[1}`, `[1,]`, `[,1]`,
	"[1 \"\x01\"]", "[1,,\"\x01\"]", "[\"a\"\"\x01\"]", `[01]`, `[1.]`, `[1.e5]`, `[-]`, `[-a]`, `[1e]`, `[1e+]`,
	`[tru]`, `[nul]`, `[nullx]`, `[truex]`, `{"tags":[null,1,"\u0000"`, `{"investor_name":"abc`,
	"\"\x01\"", "\xef\xbb\xbf{}", `{"a":1}{}`, `{"a":1} x`, `{} `, `{"a":{"b":{"c":[[[{"d":null}]]]}}}`,
	`{"investor_name":1}`, `{"capex":"x"}`, `{"contacts":{"name":"a"}}`, `{"tags":"a"}`, `{"capex":{"amount":1}}`,
	`[` + strings.Repeat(`null,`, 30) + `null]`, `{` + strings.Repeat(`"x":null,`, 30) + `"y":1}`,
	`{"Extra":{` + strings.Repeat(`"k":"v",`, 20) + `"k":"w"}}`,
	`{"Extra":{` + func() string {
		var b strings.Builder
		for i := range 40 {
			b.WriteString(`"k` + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `":"v",`)
		}
		return b.String()
	}() + `"ka":"w"}}`,
	strings.Repeat("[", 50) + strings.Repeat("]", 50), strings.Repeat("[", 50) + "null" + strings.Repeat("]", 49),
}

// TestDecodeStrictMatchesTheTokenWalk: the single-pass scanner decides
// every edge body as the token walk it replaced did.
func TestDecodeStrictMatchesTheTokenWalk(t *testing.T) {
	for _, body := range strictDiffBodies {
		sameDecoding(t, []byte(body))
	}
}

// FuzzDecodeStrictMatchesTheTokenWalk: so does it on arbitrary bodies.
func FuzzDecodeStrictMatchesTheTokenWalk(f *testing.F) {
	for _, body := range strictDiffBodies {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sameDecoding(t, body)
	})
}

// BenchmarkDecodeStrict: a lead-sized body, through the scanner and the token walk it replaced.
func BenchmarkDecodeStrict(b *testing.B) {
	body := []byte(`{"investor_name":"Siemens Energy AG","capex":{"amount":"125000000.00","currency":"EUR"},` +
		`"contacts":[{"name":"Anna Müller","role":"Head of BD"},{"name":"Jonas Weber"}],"tags":["energy","green","wind"],` +
		`"Extra":{"source":"event","source_ref":"Hannover Messe 2026","sector":"energy","region":"KZ-AKM"}}`)
	for _, tc := range []struct {
		name   string
		decode func([]byte, any) error
	}{{"scanner", DecodeStrict}, {"token-walk", decodeStrictOld}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var v strictTarget
				if err := tc.decode(body, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
