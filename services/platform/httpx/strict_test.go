package httpx

import (
	"errors"
	"strings"
	"testing"

	"econdip/services/platform/apperr"
)

// strictTarget has the shapes the APIs decode: nested objects, arrays of
// objects, a type that decodes itself (NumberText) and PATCH-style pointers.
type strictTarget struct {
	Name     *string       `json:"investor_name"`
	Capex    *MoneyJSON    `json:"capex"`
	Contacts []strictInner `json:"contacts"`
	Tags     *[]string     `json:"tags"`
	Extra    map[string]string
}

type strictInner struct {
	Name string `json:"name"`
	Role string `json:"role,omitempty"`
}

// fieldErr returns the catalogue key and field of the first field error of
// an Invalid error, or the error's own key when it has no field errors.
func fieldErr(t *testing.T, err error) (key, field string) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.Invalid {
		t.Fatalf("got %v, want an Invalid error", err)
	}
	if len(ae.Fields) == 0 {
		return ae.Key, ""
	}
	return ae.Fields[0].Key, ae.Fields[0].Field
}

type strictCase struct {
	name  string
	body  string
	key   string // "" for success
	field string
}

func runStrict(t *testing.T, tests []strictCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v strictTarget
			err := DecodeStrict([]byte(tt.body), &v)
			if tt.key == "" {
				if err != nil {
					t.Fatalf("DecodeStrict(%q): %v", tt.body, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("DecodeStrict(%q) accepted it, want %s on %q", tt.body, tt.key, tt.field)
			}
			key, field := fieldErr(t, err)
			if key != tt.key || field != tt.field {
				t.Errorf("DecodeStrict(%q): %s on %q, want %s on %q", tt.body, key, field, tt.key, tt.field)
			}
		})
	}
}

// TestFinding7_ControlCharsAndInvalidUTF8AreRefusedByPath: NUL and the other
// C0 controls (raw or escaped), invalid UTF-8 and lone surrogates are refused
// with a field error naming the field's full path; TAB, LF and CR are text.
func TestFinding7_ControlCharsAndInvalidUTF8AreRefusedByPath(t *testing.T) {
	runStrict(t, []strictCase{
		{"escaped NUL", `{"investor_name":"A\u0000B"}`, "error.control_char", "investor_name"},
		{"raw NUL", "{\"investor_name\":\"A\x00B\"}", "error.control_char", "investor_name"},
		{"raw BEL", "{\"investor_name\":\"A\x07\"}", "error.control_char", "investor_name"},
		{"escaped ESC", `{"investor_name":"\u001b[31m"}`, "error.control_char", "investor_name"},
		{"escaped unit separator", `{"investor_name":"\u001F"}`, "error.control_char", "investor_name"},
		{"NUL in an array element's field", `{"contacts":[{"name":"ok"},{"name":"x\u0000"}]}`, "error.control_char", "contacts[1].name"},
		{"NUL in a nested field", `{"capex":{"amount":"1","currency":"US\u0000"}}`, "error.control_char", "capex.currency"},
		{"NUL in a list", `{"tags":["a","\u0000"]}`, "error.control_char", "tags[1]"},
		{"NUL in a map value", `{"Extra":{"k":"\u0000"}}`, "error.control_char", "Extra.k"},
		{"NUL in a key", `{"Extra":{"k\u0000":"v"}}`, "error.control_char", "Extra"},
		{"invalid UTF-8", "{\"investor_name\":\"Caf\xe9\"}", "error.invalid_utf8", "investor_name"},
		{"invalid UTF-8 deep", "{\"contacts\":[{\"name\":\"\xff\"}]}", "error.invalid_utf8", "contacts[0].name"},
		{"truncated UTF-8 sequence", "{\"investor_name\":\"\xe2\x82\"}", "error.invalid_utf8", "investor_name"},
		{"lone high surrogate", `{"investor_name":"\ud800"}`, "error.invalid_utf8", "investor_name"},
		{"lone low surrogate", `{"investor_name":"x\udc00y"}`, "error.invalid_utf8", "investor_name"},
		{"TAB LF CR escaped", `{"investor_name":"a\tb\nc\r"}`, "", ""},
		{"valid surrogate pair", `{"investor_name":"\ud83d\ude00"}`, "", ""},
		{"escaped backslash before u", `{"investor_name":"\\ud800"}`, "", ""},
		{"real replacement character", `{"investor_name":"\ufffd �"}`, "", ""},
		{"non-ASCII text", `{"investor_name":"Алматы Қазақстан 北京"}`, "", ""},
	})
}

// TestFinding11_DuplicateKeysAreRefused: the same field twice, at any depth
// and in any letter case encoding/json matches, is a field error on its path.
func TestFinding11_DuplicateKeysAreRefused(t *testing.T) {
	runStrict(t, []strictCase{
		{"top level", `{"investor_name":"a","investor_name":"b"}`, "error.duplicate_key", "investor_name"},
		{"nested", `{"capex":{"amount":"1","amount":"2","currency":"USD"}}`, "error.duplicate_key", "capex.amount"},
		{"in an array element", `{"contacts":[{"name":"a"},{"name":"b","role":"x","name":"c"}]}`, "error.duplicate_key", "contacts[1].name"},
		{"other letter case", `{"investor_name":"a","Investor_Name":"b"}`, "error.duplicate_key", "investor_name"},
		{"map key", `{"Extra":{"k":"1","k":"2"}}`, "error.duplicate_key", "Extra.k"},
		{"same key in two objects is fine", `{"contacts":[{"name":"a"},{"name":"b"}]}`, "", ""},
	})
}

// TestFinding11_NestedUnknownFieldsAreNamedByPath: an unknown field is named
// by its full path, not by its last key.
func TestFinding11_NestedUnknownFieldsAreNamedByPath(t *testing.T) {
	runStrict(t, []strictCase{
		{"top level", `{"x":1}`, "error.unknown_field", "x"},
		{"in an object", `{"capex":{"amount":"1","currency":"USD","x":1}}`, "error.unknown_field", "capex.x"},
		{"in an array element", `{"contacts":[{"name":"a"},{"name":"b","foo":{"y":[1]}}]}`, "error.unknown_field", "contacts[1].foo"},
	})
}

// TestFinding11_NullIsRefused: null never silently keeps or zeroes a field;
// the error says to leave the field out.
func TestFinding11_NullIsRefused(t *testing.T) {
	runStrict(t, []strictCase{
		{"pointer field (PATCH)", `{"investor_name":null}`, "error.null", "investor_name"},
		{"nested", `{"capex":{"amount":null,"currency":"USD"}}`, "error.null", "capex.amount"},
		{"list", `{"tags":null}`, "error.null", "tags"},
		{"list element", `{"contacts":[null]}`, "error.null", "contacts[0]"},
		{"whole body", `null`, "error.null", "body"},
	})
	var v strictTarget
	err := DecodeStrict([]byte(`{"investor_name":null}`), &v)
	var ae *apperr.Error
	if !errors.As(err, &ae) || !strings.Contains(ae.Fields[0].Message, "leave the field out") {
		t.Errorf("the message must say what to do: %v", err)
	}
}

// TestDecodeStrictCollectsFieldErrors: every bad field is named at once, up to a bound.
func TestDecodeStrictCollectsFieldErrors(t *testing.T) {
	var v strictTarget
	err := DecodeStrict([]byte(`{"investor_name":"\u0000","x":1,"capex":{"y":2,"amount":null}}`), &v)
	var ae *apperr.Error
	if !errors.As(err, &ae) || len(ae.Fields) != 4 {
		t.Fatalf("want 4 field errors, got %v", err)
	}
	body := "[" + strings.Repeat("null,", 1000) + "null]"
	var list []string
	err = DecodeStrict([]byte(body), &list)
	if !errors.As(err, &ae) || len(ae.Fields) != maxFieldErrors {
		t.Fatalf("want %d field errors, got %v", maxFieldErrors, err)
	}
}

// FuzzDecodeStrict: arbitrary bodies never panic the decoder, fail only with
// Invalid errors, and what is accepted holds no control character and no
// U+FFFD that the body did not carry.
func FuzzDecodeStrict(f *testing.F) {
	for _, seed := range []string{
		`{"investor_name":"a","capex":{"amount":"1.5","currency":"EUR"},"contacts":[{"name":"x"}],"tags":["a"]}`,
		`{"investor_name":"A\u0000B"}`, "{\"investor_name\":\"\xff\"}", `{"investor_name":"\ud800"}`,
		`{"a":1,"a":2}`, `{"capex":{"x":1}}`, `{"tags":null}`, `{"Extra":{"k":"v","k":"w"}}`, `[`, `{"a":1}{}`,
		`{"investor_name":"\ud83d\ude00\\u0000"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v strictTarget
		err := DecodeStrict(body, &v)
		if err != nil {
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Invalid {
				t.Fatalf("decode %q: %v is not an Invalid error", body, err)
			}
			return
		}
		texts := []string{}
		if v.Name != nil {
			texts = append(texts, *v.Name)
		}
		for _, c := range v.Contacts {
			texts = append(texts, c.Name, c.Role)
		}
		for _, s := range texts {
			for _, r := range s {
				if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
					t.Fatalf("decode %q accepted control character %U", body, r)
				}
				if r == '\uFFFD' && !strings.Contains(string(body), "\uFFFD") && !strings.Contains(strings.ToLower(string(body)), `\ufffd`) {
					t.Fatalf("decode %q let a replacement character in", body)
				}
			}
		}
	})
}
