package httpapi

import (
	"testing"

	"econdip/services/notify/app"
	"econdip/services/notify/domain"
	"econdip/services/platform/httpx"
)

// FuzzBodies feeds the notifier's request bodies to their decoders and
// validation: nothing panics, and what is accepted is valid.
//
//	go test -fuzz FuzzBodies ./services/notify/httpapi/
func FuzzBodies(f *testing.F) {
	for _, s := range []string{
		`{"email":"a@example.org","delivery":{"decision.due_soon":"digest"}}`,
		`{"email":"a@","delivery":{"nope":"email"}}`,
		`{"settings":{"barrier.stale":{"days":30}}}`,
		`{"settings":{"lead.stale":{"stage.negotiating":0}}}`,
		`{"kind":"lead","id":"x","muted":true}`,
		`{"read":false}`, `{}`, `[]`, `{"email":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var p prefsBody
		if httpx.DecodeStrict(body, &p) == nil {
			prefs := app.Prefs{Email: p.Email, Delivery: p.Delivery}
			if prefs.Validate() == nil {
				for rule, d := range p.Delivery {
					if _, ok := domain.RuleByID(rule); !ok || !d.Valid() {
						t.Fatalf("accepted delivery %q: %q", rule, d)
					}
				}
			}
		}
		var r rulesBody
		if httpx.DecodeStrict(body, &r) == nil && r.Settings.Validate() == nil {
			for id := range r.Settings {
				for name, v := range r.Settings.Of(id) {
					if v < 1 || v > 3650 {
						t.Fatalf("accepted %s %s=%d", id, name, v)
					}
				}
			}
		}
		var m muteBody
		_ = httpx.DecodeStrict(body, &m)
		var rd readBody
		_ = httpx.DecodeStrict(body, &rd)
	})
}

func TestPrefsValidation(t *testing.T) {
	tests := []struct {
		name string
		p    app.Prefs
		ok   bool
	}{
		{"empty", app.Prefs{}, true},
		{"address and a digest", app.Prefs{Email: "a@example.org", Delivery: map[string]domain.Delivery{domain.DecisionDueSoon: domain.EmailDigest}}, true},
		{"two addresses", app.Prefs{Email: "a@example.org, b@example.org"}, false},
		{"no domain", app.Prefs{Email: "a@"}, false},
		{"header injection", app.Prefs{Email: "a@example.org\r\nBcc: x@example.org"}, false},
		{"unknown rule", app.Prefs{Delivery: map[string]domain.Delivery{"nope": domain.EmailNow}}, false},
		{"unknown delivery", app.Prefs{Delivery: map[string]domain.Delivery{domain.TaskOverdue: "sms"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.p.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
