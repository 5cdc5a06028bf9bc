package httpapi

import (
	"errors"
	"testing"

	"econdip/services/platform/apperr"
	"econdip/services/platform/httpx"
)

func TestDealRequestKeepsTheExactText(t *testing.T) {
	var req DealRequest
	body := `{"exporter_bin":"990340004592","value":{"amount":12.50,"currency":"USD"},"quantity":1e3}`
	if err := httpx.DecodeStrict([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	in := req.input()
	// Amounts reach the money parser as typed, so 1e3 is refused there by name, not rounded through a float.
	if in.ValueAmount != "12.50" || in.Quantity != "1e3" || in.ValueCurrency != "USD" {
		t.Fatalf("input: %+v", in)
	}
	var patch BarrierPatch
	if err := httpx.DecodeStrict([]byte(`{"version":2,"progress":{"on":"2026-01-02","text":"met"}}`), &patch); err != nil {
		t.Fatal(err)
	}
	if *patch.Version != 2 || patch.Progress.On != "2026-01-02" || patch.Title != nil {
		t.Fatalf("patch: %+v", patch)
	}
	err := httpx.DecodeStrict([]byte(`{"version":1,"country":"DE"}`), &patch)
	var ae *apperr.Error
	if !errors.As(err, &ae) || len(ae.Fields) != 1 || ae.Fields[0].Field != "country" {
		t.Fatalf("a barrier's country is not changeable: %v", err)
	}
}

// FuzzDecodeRequests feeds arbitrary bodies to the decoders of every exports
// request: they must never panic, and must fail only with Invalid errors.
func FuzzDecodeRequests(f *testing.F) {
	f.Add([]byte(`{"exporter_bin":"990340004592","value":{"amount":"1.5","currency":"EUR"},"quantity":3,"support":["igc"]}`))
	f.Add([]byte(`{"version":3,"hs_codes":["1001"],"value_at_stake":{"amount":12,"currency":"USD"},"progress":{"text":"x"}}`))
	f.Add([]byte(`{"version":1,"stage":"lost","lost_reason":"r"}`))
	f.Add([]byte(`{"bin":"1","name":"x","version":null}`))
	f.Add([]byte(`{"a":1}{}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range []any{&ExporterRequest{}, &DealRequest{}, &DealPatch{}, &MoveRequest{}, &BarrierRequest{}, &BarrierPatch{}, &StatusRequest{}} {
			err := httpx.DecodeStrict(body, v)
			var ae *apperr.Error
			if err != nil && (!errors.As(err, &ae) || ae.Code != apperr.Invalid) {
				t.Fatalf("decode %q: %v is not an Invalid error", body, err)
			}
		}
	})
}
