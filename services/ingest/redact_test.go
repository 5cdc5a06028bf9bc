package ingest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/events"
)

func leadWithContacts() events.LeadV1 {
	at := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	return events.LeadV1{ID: "7c9e6679-7425-40de-944b-e07fc1f90ae7", Version: 2, Post: "de-berlin", Attache: "aigerim.berlin",
		InvestorName: "Rhein Maschinenbau GmbH", InvestorCountry: "DE", Title: "Tractor plant", Clauses: []string{"2.2"},
		InvestmentType: "greenfield", Capex: events.Money{Amount: decimal.RequireFromString("45000000"), Currency: "EUR"},
		Source: "event", Stage: "contacted", Probability: decimal.RequireFromString("0.1"), CompetingCountry: "UZ",
		Contacts: []events.Contact{{Name: "Jonas Weber", Email: "j.weber@example.de", Phone: "+49 30 1234567", Role: "CFO"},
			{Name: "Anna Schmidt", Email: "a.schmidt@example.de"}},
		CreatedAt: at, UpdatedAt: at, StageChangedAt: at, StageEffectiveOn: "2026-03-10"}
}

// storedData decodes raw as ingest does and returns the events row's data.
func storedData(t *testing.T, raw []byte) string {
	t.Helper()
	env, ev, err := events.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	var rows analytics.Rows
	if err := project(&rows, events.StreamLeads, 1, env, ev); err != nil {
		t.Fatal(err)
	}
	return rows.Events[0].Data
}

func encodeEvent(t *testing.T, ev events.Event) []byte {
	t.Helper()
	env, err := events.New(events.Meta{Source: "econdip/leads", Subject: "lead/x", Actor: "a", Scope: "post:de-berlin"}, ev)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestEventsTableKeepsTheBytesAsWrittenLessContacts: for events as the
// services write them, the stored data is what encoding the redacted event
// gives (what ingest stored when it encoded it again), without encoding it.
func TestEventsTableKeepsTheBytesAsWrittenLessContacts(t *testing.T) {
	lead := leadWithContacts()
	first := lead
	first.Contacts = lead.Contacts[:1]
	noContacts := lead
	noContacts.Contacts = nil
	for _, ev := range []events.Event{
		&events.LeadCreatedV1{Lead: lead},
		&events.LeadCreatedV1{Lead: first},
		&events.LeadCreatedV1{Lead: noContacts},
		&events.LeadUpdatedV1{Lead: lead, Changed: []string{"contacts"}},
		&events.LeadStageChangedV1{Lead: lead, From: "identified", To: "contacted", Comment: "met"},
		&events.DealCreatedV1{Deal: events.DealV1{ID: "d-1", Version: 1, Post: "cn-beijing", ExporterBIN: "100000000001", BuyerCountry: "CN",
			BuyerName: "Jiangsu Metals", HSCode: "760110", Value: events.Money{Amount: decimal.NewFromInt(5), Currency: "USD"}, Stage: "contracted",
			ContractDate: "2026-04-01", CreatedAt: lead.CreatedAt, UpdatedAt: lead.CreatedAt}},
	} {
		raw := encodeEvent(t, ev)
		var redacted any = ev
		if s, ok := ev.(events.LeadSnapshot); ok {
			redacted = redactedCopy(t, ev, s.State().Redacted())
		}
		want, err := json.Marshal(redacted)
		if err != nil {
			t.Fatal(err)
		}
		if got := storedData(t, raw); got != string(want) {
			t.Errorf("%s: stored\n%s\nwant\n%s", ev.EventType(), got, want)
		}
		if env, _, _ := events.Decode(raw); ev.EventType() != events.TypeDealCreated {
			if _, ok := cutContacts(env.Data); !ok {
				t.Errorf("%s: the event as written is not redacted by the cut in its bytes", ev.EventType())
			}
		}
	}
}

// redactedCopy is ev with its lead replaced by l.
func redactedCopy(t *testing.T, ev events.Event, l events.LeadV1) events.Event {
	t.Helper()
	switch e := ev.(type) {
	case *events.LeadCreatedV1:
		c := *e
		c.Lead = l
		return c
	case *events.LeadUpdatedV1:
		c := *e
		c.Lead = l
		return c
	case *events.LeadStageChangedV1:
		c := *e
		c.Lead = l
		return c
	}
	t.Fatalf("not a lead event: %T", ev)
	return nil
}

// TestNoContactReachesTheEventsTable: however the lead's contacts are
// written (a name in another case, repeated, escaped, spaced), the decoder
// reads them into Lead.Contacts, and none of them is stored.
func TestNoContactReachesTheEventsTable(t *testing.T) {
	good := string(encodeEvent(t, &events.LeadCreatedV1{Lead: leadWithContacts()}))
	contacts := `[{"name":"Jonas Weber","email":"j.weber@example.de","phone":"+49 30 1234567","role":"CFO"},{"name":"Anna Schmidt","email":"a.schmidt@example.de"}]`
	if !strings.Contains(good, `"contacts":`+contacts) {
		t.Fatalf("the test's event does not hold the contacts as expected:\n%s", good)
	}
	for name, raw := range map[string]string{
		"as written":      good,
		"upper case":      strings.Replace(good, `"contacts":`, `"Contacts":`, 1),
		"escaped name":    strings.Replace(good, `"contacts":`, `"\u0063ontacts":`, 1),
		"repeated":        strings.Replace(good, `"contacts":`, `"contacts":[],"CONTACTS":`+contacts+`,"contacts":`, 1),
		"repeated, empty": strings.Replace(good, `"contacts":`+contacts, `"contacts":`+contacts+`,"contacts":[]`, 1),
		"first member":    strings.Replace(strings.Replace(good, `"contacts":`+contacts+`,`, ``, 1), `{"lead":{`, `{"lead":{"contacts":`+contacts+`,`, 1),
		"last member":     strings.Replace(strings.Replace(good, `"contacts":`+contacts+`,`, ``, 1), `"stage_effective_on":"2026-03-10"`, `"stage_effective_on":"2026-03-10","contacts":`+contacts, 1),
		"spaces":          strings.Replace(good, `"contacts":`, " \n\t\"contacts\" \n :\n ", 1),
		"lead repeated":   strings.Replace(good, `{"lead":`, `{"lead":{"contacts":`+contacts+`},"Lead":`, 1),
		"long s":          strings.Replace(good, `"contacts":`, `"contactſ":`, 1),
		"only member":     strings.Replace(good, `{"lead":`, `{"lead":{"contacts":[]},"Lead":`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			got := storedData(t, []byte(raw))
			// The cut in the bytes, where it applies, agrees with the walk.
			env, _, err := events.Decode([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			walked, err := walkWithoutContacts(env.Data)
			if err != nil {
				t.Fatal(err)
			}
			if cut, ok := cutContacts(env.Data); ok && string(cut) != string(walked) {
				t.Errorf("the cut gives\n%s\nthe walk\n%s", cut, walked)
			}
			for _, personal := range []string{"Jonas", "Weber", "Anna", "Schmidt", "example.de", "1234567", "CFO", "ontacts"} {
				if strings.Contains(got, personal) {
					t.Errorf("stored data holds %q:\n%s", personal, got)
				}
			}
			if !json.Valid([]byte(got)) {
				t.Fatalf("stored data is not JSON:\n%s", got)
			}
			// What is stored still decodes to the event, less its contacts.
			var stored, want events.LeadCreatedV1
			if err := json.Unmarshal([]byte(got), &stored); err != nil {
				t.Fatal(err)
			}
			want.Lead = leadWithContacts().Redacted()
			if !reflect.DeepEqual(stored.Lead, want.Lead) {
				t.Errorf("stored lead %+v, want %+v", stored.Lead, want.Lead)
			}
		})
	}
}

// FuzzCutContactsAgreesWithWalk: on any valid JSON, the cut in the bytes
// either declines or gives what the token walk gives.
func FuzzCutContactsAgreesWithWalk(f *testing.F) {
	f.Add([]byte(`{"lead":{"a":1,"contacts":[{"name":"x"}],"b":"}\"]"},"x":[1,{"lead":2}]}`))
	f.Add([]byte(`{"Lead":{"CONTACTS":null},"lead":{"contacts":[],"c":{"contacts":1}}}`))
	f.Add([]byte(` { "a" : 1 , "lead" : { "x" : [ 1 , "]" ] , "contacts" : [ ] } } `))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		walked, err := walkWithoutContacts(data)
		cut, ok := cutContacts(data)
		if ok && (err != nil || string(cut) != string(walked)) {
			t.Fatalf("on %s the cut gives %s, the walk %s (%v)", data, cut, walked, err)
		}
	})
}
