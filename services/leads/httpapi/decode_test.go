package httpapi

import (
	"errors"
	"testing"

	"econdip/services/platform/apperr"
	"econdip/services/platform/httpx"
)

func TestNumberTextKeepsTheExactText(t *testing.T) {
	cases := map[string]string{`12.50`: "12.50", `"12.50"`: "12.50", `1e3`: "1e3", `"abc"`: "abc", `0.1`: "0.1"}
	for in, want := range cases {
		var req CreateRequest
		if err := httpx.DecodeStrict([]byte(`{"capex":{"amount":`+in+`,"currency":"USD"}}`), &req); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if string(req.Capex.Amount) != want {
			t.Errorf("%s: got %q, want %q", in, req.Capex.Amount, want)
		}
	}
	var req CreateRequest
	err := httpx.DecodeStrict([]byte(`{"capex":{"amount":true}}`), &req)
	if apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("a boolean amount must be invalid input, got %v", err)
	}
}

// FuzzDecodeRequests feeds arbitrary bodies to the decoders of every lead
// request: they must never panic, and must fail only with Invalid errors.
func FuzzDecodeRequests(f *testing.F) {
	f.Add([]byte(`{"investor_name":"A","capex":{"amount":"1.5","currency":"EUR"},"contacts":[{"name":"x"}]}`))
	f.Add([]byte(`{"version":3,"title":"t","capex":{"amount":12,"currency":"USD"}}`))
	f.Add([]byte(`{"version":1,"stage":"lost","lost_reason":"r"}`))
	f.Add([]byte(`{"version":2,"stage":"committed","effective_on":"2026-03-10","comment":"signed in Berlin"}`))
	f.Add([]byte(`{"version":2,"stage":"committed","effective_on":20260310}`))
	f.Add([]byte(`{"investor_name":"A","identified_on":"2026-01-15","capex":{"amount":"1","currency":"EUR"}}`))
	f.Add([]byte(`{"identified_on":null,"effective_on":["2026-01-15"]}`))
	f.Add([]byte(`{"a":1}{}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range []any{&CreateRequest{}, &PatchRequest{}, &MoveRequest{}} {
			err := httpx.DecodeStrict(body, v)
			var ae *apperr.Error
			if err != nil && (!errors.As(err, &ae) || ae.Code != apperr.Invalid) {
				t.Fatalf("decode %q: %v is not an Invalid error", body, err)
			}
		}
	})
}
