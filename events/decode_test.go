package events_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"econdip/events"
)

// sameAsV1 fails unless events.Decode and the v1 decoder agree on raw: both refuse
// it with the same error, or both accept it into equal values.
func sameAsV1(t *testing.T, raw []byte) {
	t.Helper()
	env1, ev1, err1 := events.DecodeV1(raw)
	env2, ev2, err2 := events.Decode(raw)
	if (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
		t.Fatalf("v1 says %v, events.Decode says %v, for\n%s", err1, err2, raw)
	}
	if err1 != nil {
		return
	}
	if !reflect.DeepEqual(env1, env2) || !reflect.DeepEqual(ev1, ev2) {
		t.Fatalf("v1 and events.Decode differ for\n%s\nv1:     %#v\n        %#v\nDecode: %#v\n        %#v", raw, env1, ev1, env2, ev2)
	}
}

func testLead() events.LeadV1 {
	at := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	return events.LeadV1{ID: "7c9e6679-7425-40de-944b-e07fc1f90ae7", Version: 2, Post: "de-berlin", Attache: "aigerim.berlin",
		InvestorName: "Rhein Maschinenbau GmbH", InvestorCountry: "DE", Title: "Tractor \"assembly\" plant ü",
		Clauses: []string{"2.2"}, InvestmentType: "greenfield", Capex: events.Money{Amount: decimal.RequireFromString("45000000.50"), Currency: "EUR"},
		ExpectedJobs: 320, Source: "event", Stage: "contacted", Probability: decimal.RequireFromString("0.1"),
		Contacts:  []events.Contact{{Name: "Jonas Weber", Email: "j.weber@example.de"}},
		CreatedAt: at, UpdatedAt: at.Add(time.Hour), StageChangedAt: at.Add(time.Hour), StageEffectiveOn: "2026-03-10"}
}

func testEvent(t *testing.T, ev events.Event) string {
	t.Helper()
	env, err := events.New(events.Meta{ID: "0b6c2a52-8d4e-4d8e-9a43-0b8f0e0f7a11", Source: "econdip/leads", Subject: "lead/x", Actor: "a", Scope: "post:de-berlin",
		Time: time.Date(2026, 3, 14, 9, 30, 0, 123e6, time.UTC)}, ev)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestDecodeAgreesWithV1 feeds events.Decode events as producers write them and
// as others might: every accepted event must decode as the v1 decoder
// decodes it, and every refused one with the v1 decoder's error.
func TestDecodeAgreesWithV1(t *testing.T) {
	good := testEvent(t, &events.LeadCreatedV1{Lead: testLead()})
	if !events.DecodesOnce([]byte(good)) {
		t.Fatal("decodeOnce refuses an event as a producer writes it")
	}
	cases := map[string]string{
		"as written":               good,
		"whitespace":               strings.NewReplacer(`,"`, " ,\n\t\"", `":`, `" : `).Replace(good),
		"trailing space":           good + " \n",
		"trailing object":          good + "{}",
		"trailing brace":           good + "}",
		"trailing garbage":         good + "x",
		"data before type":         moveToEnd(good, `"type":"econdip.lead.created.v1"`),
		"upper-case names":         strings.Replace(strings.Replace(good, `"id":`, `"ID":`, 1), `"investor_name":`, `"Investor_Name":`, 1),
		"duplicate names":          strings.Replace(good, `"post":"de-berlin"`, `"post":"x","post":"de-berlin"`, 1),
		"escaped names":            strings.Replace(good, `"title":`, `"\u0074itle":`, 1),
		"unknown envelope field":   strings.Replace(good, `"specversion"`, `"extra":1,"specversion"`, 1),
		"unknown data field":       strings.Replace(good, `{"lead":`, `{"surprise":true,"lead":`, 1),
		"unknown nested field":     strings.Replace(good, `"currency":"EUR"`, `"currency":"EUR","rate":1`, 1),
		"null data":                replaceData(good, "null"),
		"empty data":               replaceData(good, "{}"),
		"array data":               replaceData(good, "[]"),
		"string data":              replaceData(good, `"x"`),
		"invalid UTF-8":            strings.Replace(good, "Maschinenbau", "Maschinen\xffbau", 1),
		"escaped UTF-16":           strings.Replace(good, "Maschinenbau", `Maschinen\u00fc\ud83d\ude00bau`, 1),
		"lone surrogate":           strings.Replace(good, "Maschinenbau", `Maschinen\ud83dbau`, 1),
		"decimal as number":        strings.Replace(good, `"amount":"45000000.5"`, `"amount":45000000.5`, 1),
		"decimal exponent":         strings.Replace(good, `"amount":"45000000.5"`, `"amount":"4.50000005e7"`, 1),
		"int as float":             strings.Replace(good, `"expected_jobs":320`, `"expected_jobs":320.0`, 1),
		"int exponent":             strings.Replace(good, `"expected_jobs":320`, `"expected_jobs":3.2e2`, 1),
		"int as string":            strings.Replace(good, `"expected_jobs":320`, `"expected_jobs":"320"`, 1),
		"int overflow":             strings.Replace(good, `"expected_jobs":320`, `"expected_jobs":99999999999999999999`, 1),
		"bool as string":           strings.Replace(good, `"tech_transfer":false`, `"tech_transfer":"false"`, 1),
		"null field":               strings.Replace(good, `"title":"Tractor \"assembly\" plant ü"`, `"title":null`, 1),
		"null slice":               strings.Replace(good, `"clauses":["2.2"]`, `"clauses":null`, 1),
		"time without zone":        strings.Replace(good, `"time":"2026-03-14T09:30:00.123Z"`, `"time":"2026-03-14T09:30:00"`, 1),
		"time with offset":         strings.Replace(good, `"time":"2026-03-14T09:30:00.123Z"`, `"time":"2026-03-14T14:30:00.123+05:00"`, 1),
		"time lower-case t":        strings.Replace(good, `"time":"2026-03-14T09:30:00.123Z"`, `"time":"2026-03-14t09:30:00.123z"`, 1),
		"time null":                strings.Replace(good, `"time":"2026-03-14T09:30:00.123Z"`, `"time":null`, 1),
		"missing actor":            strings.Replace(good, `"actor":"a"`, `"actor":" "`, 1),
		"unknown type":             strings.Replace(good, events.TypeLeadCreated, "econdip.lead.deleted.v1", 1),
		"badly named type":         strings.Replace(good, events.TypeLeadCreated, "lead.deleted", 1),
		"schema-invalid":           strings.Replace(good, `"currency":"EUR"`, `"currency":"EU"`, 1),
		"to differs from stage":    testEvent(t, &events.LeadStageChangedV1{Lead: testLead(), From: "identified", To: "won"}),
		"id not a uuid":            strings.Replace(good, `"id":"0b6c2a52`, `"id":"x0b6c2a52`, 1),
		"not json":                 `{"id":`,
		"empty":                    ``,
		"not an object":            `[1]`,
		"deeply nested unknown":    strings.Replace(good, `{"lead":`, `{"x":[[[[{"a":[1,2,{}]}]]]],"lead":`, 1),
		"contacts in another case": strings.Replace(good, `"contacts":`, `"CONTACTS":`, 1),
		"name without underscore":  strings.Replace(good, `"investor_name":`, `"investorname":`, 1),
		"name with a dash":         strings.Replace(good, `"investor_name":`, `"investor-name":`, 1),
		"name with an underscore":  strings.Replace(good, `"contacts":`, `"con_tacts":`, 1),
		"name with long s":         strings.Replace(good, `"contacts":`, `"contactſ":`, 1),
		"name with Kelvin sign":    strings.Replace(good, `"tech_transfer":`, `"tech_transfer":true,"Kind":`, 1),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) { sameAsV1(t, []byte(raw)) })
	}
}

func moveToEnd(s, member string) string {
	s = strings.Replace(s, member+",", "", 1)
	return s[:len(s)-1] + "," + member + "}"
}

func replaceData(s, data string) string {
	i := strings.Index(s, `"data":`)
	return s[:i] + `"data":` + data + "}"
}

// TestDecodeInPlaceSharesData: DecodeInPlace decodes as Decode does, with
// Envelope.Data the input's bytes.
func TestDecodeInPlaceSharesData(t *testing.T) {
	raw := []byte(testEvent(t, &events.LeadCreatedV1{Lead: testLead()}))
	env, ev, err := events.DecodeInPlace(raw)
	env2, ev2, err2 := events.Decode(raw)
	if err != nil || err2 != nil || !reflect.DeepEqual(env, env2) || !reflect.DeepEqual(ev, ev2) {
		t.Fatalf("DecodeInPlace %v %v, Decode %v %v", env, err, env2, err2)
	}
	if i := strings.Index(string(raw), `"data":`) + len(`"data":`); &raw[i] != &env.Data[0] {
		t.Error("DecodeInPlace copied the data")
	}
	if _, _, err := events.DecodeInPlace([]byte(`{"id":`)); !errors.Is(err, events.ErrDecode) {
		t.Errorf("DecodeInPlace of a broken event: %v", err)
	}
}

// TestDecodeCopiesData: Envelope.Data stays as it was when the input is reused.
func TestDecodeCopiesData(t *testing.T) {
	raw := []byte(testEvent(t, &events.LeadCreatedV1{Lead: testLead()}))
	env, _, err := events.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := string(env.Data)
	for i := range raw {
		raw[i] = ' '
	}
	if string(env.Data) != want {
		t.Fatal("Envelope.Data shares the input's bytes")
	}
}

// TestRegisteredTypesMatchThePattern: checkEnvelope skips the pattern for them.
func TestRegisteredTypesMatchThePattern(t *testing.T) {
	for _, typ := range events.Types() {
		if !events.TypePattern.MatchString(typ) {
			t.Errorf("registered type %q is not econdip.<record>.<action>.v<N>", typ)
		}
	}
}

// TestEverySampleDecodesOnceAsV1Does: each event type as a producer writes
// it takes the fast way, into the values the v1 decoder gives.
func TestEverySampleDecodesOnceAsV1Does(t *testing.T) {
	for _, ev := range samples() {
		raw := encode(t, ev)
		if !events.DecodesOnce(raw) {
			t.Errorf("%s: events.Decode does not take its fast way", ev.EventType())
		}
		sameAsV1(t, raw)
	}
}

// FuzzDecodeAgreesWithV1 is TestDecodeAgreesWithV1 on whatever the fuzzer makes.
func FuzzDecodeAgreesWithV1(f *testing.F) {
	f.Add([]byte(`{}`))
	for _, ev := range samples() {
		env, _ := events.New(events.Meta{Source: "s", Subject: "x", Actor: "a", Scope: "global"}, ev)
		raw, _ := json.Marshal(env)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) { sameAsV1(t, raw) })
}

// BenchmarkDecode compares Decode with the v1 decoder on a lead event.
//
//	go test -run '^$' -bench Decode -benchmem ./events/
func BenchmarkDecode(b *testing.B) {
	env, err := events.New(events.Meta{Source: "econdip/leads", Subject: "lead/x", Actor: "a", Scope: "post:de-berlin"}, &events.LeadCreatedV1{Lead: testLead()})
	if err != nil {
		b.Fatal(err)
	}
	raw, err := json.Marshal(env)
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range []struct {
		name   string
		decode func([]byte) (events.Envelope, events.Event, error)
	}{{"once", events.Decode}, {"v1", events.DecodeV1}} {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := d.decode(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
