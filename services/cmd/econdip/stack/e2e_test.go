package stack_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/analytics/chtest"
	"econdip/events"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/ingest"
	"econdip/services/leads/httpapi"
	"econdip/services/platform/deadletter"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
	"econdip/services/test/reliability/faultkit"
	"econdip/services/test/stacktest"
)

func TestMain(m *testing.M) { chtest.Main(m, "econdip_test_stack") }

const berlin, beijing, analyst = "tok-berlin", "tok-beijing", "tok-analyst"

func leadsURL(s *stack.Stack) string { return "http://" + s.LeadsAddr + "/api/v1/leads" }

// leadBody is a valid create request; the contact person is personal data.
func leadBody(investor string) string {
	return fmt.Sprintf(`{"investor_name":%q,"investor_country":"DE","title":"Tractor assembly plant",
	"sector":"machine_building","clauses":["2.2","2.3"],"target_region":"KZ-75","investment_type":"greenfield",
	"capex":{"amount":"1000000","currency":"EUR"},"expected_jobs":120,"tech_transfer":true,"green":false,
	"expected_decision_date":"2027-03-01","source":"event",
	"contacts":[{"name":"Jonas Privatmann","email":"jonas.privatmann@example.de","phone":"+49 30 5550199"}]}`, investor)
}

func create(t *testing.T, s *stack.Stack, token, body string, headers ...string) httpapi.LeadJSON {
	t.Helper()
	r := stacktest.Do(t, "POST", leadsURL(s), token, body, headers...)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var l httpapi.LeadJSON
	r.JSON(t, &l)
	return l
}

func streamMsgs(t *testing.T, s *stack.Stack, name string) uint64 {
	t.Helper()
	st, err := s.JS.Stream(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// count runs a query returning one UInt64.
func count(t *testing.T, s *stack.Stack, q string, args ...any) uint64 {
	t.Helper()
	var n uint64
	if err := s.CH.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestLeadFlowsFromAPIThroughJetStreamIntoClickHouseInUSD(t *testing.T) {
	s := stacktest.Start(t)
	lead := create(t, s, berlin, leadBody("Rhein Maschinenbau GmbH"))
	if lead.Version != 1 || lead.Stage != "identified" || lead.Post != "de-berlin" || lead.Attache != "attache.de-berlin" {
		t.Fatalf("created lead: %+v", lead)
	}
	// ClickHouse keeps the capex as entered; figures convert it when read.
	var capex decimal.Decimal
	var currency string
	stacktest.Eventually(t, 5*time.Second, "lead in ClickHouse", func() (bool, error) {
		err := s.CH.QueryRow(context.Background(), "SELECT capex, currency FROM lead_states FINAL WHERE lead_id = ?", lead.ID).Scan(&capex, &currency)
		return err == nil, err
	})
	if !capex.Equal(decimal.RequireFromString("1000000")) || currency != "EUR" {
		t.Errorf("stored capex %s %s, want 1000000 EUR", capex, currency)
	}
	// The demo store's rates of today (the lead is identified today), as the Go
	// conversion gives them: the figure must say the same.
	demo, err := reference.Default().DemoRates()
	if err != nil {
		t.Fatal(err)
	}
	conv, err := demo.Convert(decimal.NewFromInt(1000000), "EUR", kernel.Today(time.Now()).Time(), reference.DefaultRateLimits)
	if err != nil {
		t.Fatal(err)
	}
	capexUSD := conv.USD
	weightedUSD := capexUSD.Mul(decimal.RequireFromString("0.05")).Round(2)
	// The analyst figure shows the same lead, weighted by the identified stage (0.05).
	rows, err := analytics.Pipeline(context.Background(), s.CH, analytics.PipelineFilter{Post: "de-berlin"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Leads != 1 || !rows[0].CapexUSD.Equal(capexUSD) ||
		!rows[0].WeightedUSD.Equal(weightedUSD) {
		t.Fatalf("pipeline rows = %+v", rows)
	}
	// And through the dashboard's JSON endpoint, with the analyst's token.
	r := stacktest.Do(t, "GET", "http://"+s.DashboardAddr+"/api/pipeline?post=de-berlin", analyst, "")
	if r.Status != 200 || !strings.Contains(string(r.Body), `"capex_usd":"`+capexUSD.String()+`"`) {
		t.Fatalf("dashboard pipeline: %d %s", r.Status, r.Body)
	}
}

// syncBuffer collects the stack's logs from its goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

func TestPersonalDataNeverReachesClickHouseNorTheLogs(t *testing.T) {
	logs := &syncBuffer{}
	s := stacktest.StartWith(t, stacktest.Options{Log: logs})
	lead := create(t, s, berlin, leadBody("Privacy Test GmbH"))
	if len(lead.Contacts) != 1 {
		t.Fatalf("the attaché must see the contact person: %+v", lead.Contacts)
	}
	stacktest.Eventually(t, 5*time.Second, "lead in ClickHouse", func() (bool, error) {
		return count(t, s, "SELECT count() FROM lead_states FINAL WHERE lead_id = ?", lead.ID) == 1, nil
	})
	// Every column of every table, as text, must be free of the contact's name, e-mail and phone.
	rows, err := s.CH.Query(context.Background(), "SELECT name FROM system.tables WHERE database = currentDatabase()")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		_ = rows.Scan(&name)
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 3 {
		t.Fatalf("expected the events and lead tables, got %v", tables)
	}
	for _, table := range tables {
		for _, needle := range []string{"Privatmann", "jonas.privatmann@example.de", "5550199"} {
			q := fmt.Sprintf("SELECT count() FROM %s WHERE positionCaseInsensitive(arrayStringConcat([%s], ' '), ?) > 0", table, columnList(t, s, table))
			if n := count(t, s, q, needle); n != 0 {
				t.Errorf("table %s holds personal data %q in %d rows", table, needle, n)
			}
		}
	}
	// The analyst reads the lead without contact persons.
	var seen httpapi.LeadJSON
	stacktest.Do(t, "GET", leadsURL(s)+"/"+lead.ID, analyst, "").JSON(t, &seen)
	if seen.ID != lead.ID || len(seen.Contacts) != 0 {
		t.Fatalf("analyst view: %+v", seen)
	}
	// The attaché's lead page (which shows the contacts), a refused update
	// naming the contact, and the moves: logged at debug level, never with
	// the contact's data.
	stacktest.Do(t, "GET", "http://"+s.DashboardAddr+"/attache/leads/"+lead.ID, berlin, "")
	stacktest.Do(t, "PATCH", leadsURL(s)+"/"+lead.ID, berlin, `{"version":1,"contacts":[{"name":"Jonas Privatmann","email":"not-an-email 5550199"}]}`)
	stacktest.Do(t, "POST", leadsURL(s)+"/"+lead.ID+"/stage", berlin, `{"version":1,"stage":"contacted"}`)
	text := logs.String()
	if !strings.Contains(text, lead.ID) || !strings.Contains(text, `"level":"DEBUG"`) {
		t.Fatalf("the stack logged nothing about the lead at debug level: the check below would prove nothing\n%.2000s", text)
	}
	for _, needle := range []string{"Privatmann", "jonas.privatmann@example.de", "5550199"} {
		if strings.Contains(text, needle) {
			i := strings.Index(text, needle)
			t.Errorf("the logs hold personal data %q: …%s…", needle, text[max(0, i-200):min(len(text), i+100)])
		}
	}
}

func columnList(t *testing.T, s *stack.Stack, table string) string {
	rows, err := s.CH.Query(context.Background(), "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = ?", table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		_ = rows.Scan(&c)
		cols = append(cols, "ifNull(toString("+c+"), '')")
	}
	return strings.Join(cols, ", ")
}

func TestIdempotentCreateReturnsTheFirstResult(t *testing.T) {
	s := stacktest.Start(t)
	first := create(t, s, berlin, leadBody("Retry GmbH"), "Idempotency-Key", "form-123")
	before := streamMsgs(t, s, events.StreamLeads)
	r := stacktest.Do(t, "POST", leadsURL(s), berlin, leadBody("Retry GmbH"), "Idempotency-Key", "form-123")
	var again httpapi.LeadJSON
	r.JSON(t, &again)
	if r.Status != http.StatusCreated || again.ID != first.ID || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %+v replayed=%q", r.Status, again, r.Header.Get("Idempotent-Replayed"))
	}
	// Moving the lead on, then retrying the create, still returns the creation result.
	v := first.Version
	move := stacktest.Do(t, "POST", leadsURL(s)+"/"+first.ID+"/stage", berlin, fmt.Sprintf(`{"version":%d,"stage":"contacted"}`, v))
	if move.Status != 200 {
		t.Fatalf("move: %d %s", move.Status, move.Body)
	}
	r = stacktest.Do(t, "POST", leadsURL(s), berlin, leadBody("Retry GmbH"), "Idempotency-Key", "form-123")
	r.JSON(t, &again)
	if again.ID != first.ID || again.Version != 1 {
		t.Fatalf("late retry: %+v", again)
	}
	if after := streamMsgs(t, s, events.StreamLeads); after != before+1 { // +1: the stage change only
		t.Fatalf("stream grew from %d to %d; retries must add nothing", before, after)
	}
	// The same key from another user is another lead.
	other := create(t, s, beijing, strings.Replace(leadBody("Retry GmbH"), `"DE"`, `"CN"`, 1), "Idempotency-Key", "form-123")
	if other.ID == first.ID {
		t.Fatal("idempotency keys must be scoped to the user")
	}
}

func TestConcurrentUpdatesOneWinsTheOtherGets409(t *testing.T) {
	s := stacktest.Start(t)
	lead := create(t, s, berlin, leadBody("Race GmbH"))
	const writers = 8
	var wg sync.WaitGroup
	statuses := make([]int, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"version":%d,"title":"Title from writer %d"}`, lead.Version, i)
			statuses[i] = stacktest.Do(t, "PATCH", leadsURL(s)+"/"+lead.ID, berlin, body).Status
		}()
	}
	wg.Wait()
	ok, conflict := 0, 0
	for _, st := range statuses {
		switch st {
		case 200:
			ok++
		case 409:
			conflict++
		}
	}
	if ok != 1 || conflict != writers-1 {
		t.Fatalf("statuses %v: want exactly one 200 and %d × 409", statuses, writers-1)
	}
	var now httpapi.LeadJSON
	stacktest.Do(t, "GET", leadsURL(s)+"/"+lead.ID, berlin, "").JSON(t, &now)
	if now.Version != 2 {
		t.Fatalf("version after the race = %d, want 2", now.Version)
	}
	// A stale version is refused with the versions named.
	r := stacktest.Do(t, "PATCH", leadsURL(s)+"/"+lead.ID, berlin, `{"version":1,"title":"late"}`)
	if r.Status != 409 || !strings.Contains(string(r.Body), "version 1") {
		t.Fatalf("stale update: %d %s", r.Status, r.Body)
	}
	// History shows who changed what.
	var h struct{ History []httpapi.ChangeJSON }
	stacktest.Do(t, "GET", leadsURL(s)+"/"+lead.ID+"/history", berlin, "").JSON(t, &h)
	if len(h.History) != 2 || h.History[1].Actor != "attache.de-berlin" || strings.Join(h.History[1].Changed, ",") != "title" {
		t.Fatalf("history: %+v", h.History)
	}
}

func TestBadInputGetsAFieldLevel4xxAndChangesNothing(t *testing.T) {
	s := stacktest.Start(t)
	lead := create(t, s, berlin, leadBody("Valid GmbH"))
	url := leadsURL(s)
	cases := []struct {
		name, method, path, token, body string
		status                          int
		field                           string // the field the error must name ("" for none)
	}{
		{"malformed JSON", "POST", "", berlin, `{"investor_name":`, 400, ""},
		{"trailing data", "POST", "", berlin, leadBody("X") + `{}`, 400, ""},
		{"unknown field", "POST", "", berlin, strings.Replace(leadBody("X"), `"title"`, `"colour":"red","title"`, 1), 400, "colour"},
		{"negative capex", "POST", "", berlin, strings.Replace(leadBody("X"), `"1000000"`, `"-5"`, 1), 400, "capex.amount"},
		{"non-numeric capex", "POST", "", berlin, strings.Replace(leadBody("X"), `"1000000"`, `"a lot"`, 1), 400, "capex.amount"},
		{"wrong currency", "POST", "", berlin, strings.Replace(leadBody("X"), `"EUR"`, `"EURO"`, 1), 400, "capex.currency"},
		{"unknown country", "POST", "", berlin, strings.Replace(leadBody("X"), `"DE"`, `"XX"`, 1), 400, "investor_country"},
		{"unknown sector", "POST", "", berlin, strings.Replace(leadBody("X"), `"machine_building"`, `"space_tourism"`, 1), 400, "sector"},
		{"unknown region", "POST", "", berlin, strings.Replace(leadBody("X"), `"KZ-75"`, `"KZ-99"`, 1), 400, "target_region"},
		{"bad e-mail", "POST", "", berlin, strings.Replace(leadBody("X"), `jonas.privatmann@example.de`, `not-an-email`, 1), 400, "contacts[0].email"},
		{"jobs of the wrong type", "POST", "", berlin, strings.Replace(leadBody("X"), `120`, `"many"`, 1), 400, "expected_jobs"},
		{"missing token", "POST", "", "", leadBody("X"), 401, ""},
		{"invalid token", "POST", "", "nope", leadBody("X"), 401, ""},
		{"analyst may not write", "POST", "", analyst, leadBody("X"), 403, ""},
		{"unknown stage", "POST", "/" + lead.ID + "/stage", berlin, `{"version":1,"stage":"dreaming"}`, 400, "stage"},
		{"forbidden jump", "POST", "/" + lead.ID + "/stage", berlin, `{"version":1,"stage":"operational"}`, 400, "stage"},
		{"lost without reason", "POST", "/" + lead.ID + "/stage", berlin, `{"version":1,"stage":"lost"}`, 400, "lost_reason"},
		{"update without version", "PATCH", "/" + lead.ID, berlin, `{"title":"x"}`, 400, "version"},
		{"another post's lead: update", "PATCH", "/" + lead.ID, beijing, `{"version":1,"title":"mine now"}`, 403, ""},
		{"another post's lead: read", "GET", "/" + lead.ID, beijing, "", 403, ""},
		{"unknown lead", "GET", "/00000000-0000-0000-0000-000000000000", berlin, "", 404, ""},
		{"list with a bad stage", "GET", "?stage=dreaming", berlin, "", 400, "stage"},
	}
	before := streamMsgs(t, s, events.StreamLeads)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := stacktest.Do(t, tc.method, url+tc.path, tc.token, tc.body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			var body struct {
				Error  string
				Fields []struct{ Field, Message string }
			}
			r.JSON(t, &body)
			if body.Error == "" || strings.Contains(string(r.Body), "%!") {
				t.Fatalf("no error message, or a badly formatted one: %s", r.Body)
			}
			if tc.field != "" {
				found := false
				for _, f := range body.Fields {
					found = found || (f.Field == tc.field && f.Message != "")
				}
				if !found {
					t.Fatalf("the error does not name field %q: %s", tc.field, r.Body)
				}
			}
		})
	}
	if after := streamMsgs(t, s, events.StreamLeads); after != before {
		t.Fatalf("bad requests stored %d events", after-before)
	}
}

func TestRedeliveredEventsCountOnce(t *testing.T) {
	s := stacktest.Start(t)
	lead := create(t, s, berlin, leadBody("Once GmbH"))
	move := stacktest.Do(t, "POST", leadsURL(s)+"/"+lead.ID+"/stage", berlin, `{"version":1,"stage":"contacted"}`)
	if move.Status != 200 {
		t.Fatalf("move: %d %s", move.Status, move.Body)
	}
	figures := func() string {
		rows, err := analytics.Pipeline(context.Background(), s.CH, analytics.PipelineFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%+v", rows)
	}
	stacktest.Eventually(t, 5*time.Second, "both events ingested", func() (bool, error) {
		return count(t, s, "SELECT count() FROM events FINAL") == 2 &&
			count(t, s, "SELECT count() FROM lead_states FINAL WHERE version = 2") == 1, nil
	})
	want := figures()
	// Deliver every message again: publish copies of the stored events (as a
	// redelivery after a crash between insert and ack would), and replay the
	// whole stream through a second consumer name.
	st, _ := s.JS.Stream(context.Background(), events.StreamLeads)
	for seq := uint64(1); seq <= 2; seq++ {
		msg, err := st.GetMsg(context.Background(), seq)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.JS.Publish(context.Background(), msg.Subject, msg.Data); err != nil {
			t.Fatal(err)
		}
	}
	replay := ingest.New(s.JS, s.CH, s.Log, ingest.Config{Consumer: "replay-test", MaxWait: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = replay.Run(ctx) }()
	// Both ingests write the lead's rows again (lead_states collapses them
	// with FINAL), but no second events row: ingest leaves out the events
	// the table holds already, the copies' included (same event ids).
	faultkit.MustWaitDrained(t, s.JS, events.ConsumerIngest, time.Now().Add(10*time.Second), nil)
	faultkit.MustWaitDrained(t, s.JS, "replay-test", time.Now().Add(10*time.Second), nil)
	cancel()
	<-done
	if n := count(t, s, "SELECT count() FROM events"); n != 2 {
		t.Fatalf("events without FINAL = %d rows, want 2", n)
	}
	if n := count(t, s, "SELECT count() FROM events FINAL"); n != 2 {
		t.Fatalf("events FINAL = %d, want 2", n)
	}
	if got := figures(); got != want {
		t.Fatalf("figures changed after redelivery:\n got %s\nwant %s", got, want)
	}
}

func TestPoisonMessagesGoToTheDeadLetterStreamAndDoNotBlock(t *testing.T) {
	s := stacktest.Start(t)
	for _, raw := range []string{`not json at all`, `{"specversion":"1.0"}`, `{"specversion":"1.0","id":"8f6e8c4e-8a51-4c3b-9d1e-1d2f3a4b5c6d","source":"x","type":"econdip.lead.exploded.v1","subject":"lead/x","time":"2026-01-01T00:00:00Z","datacontenttype":"application/json","dataschema":"x","actor":"a","scope":"s","data":{}}`} {
		if _, err := s.JS.Publish(context.Background(), events.MustSubject(events.LeadSubject("poison")), []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	lead := create(t, s, berlin, leadBody("After Poison GmbH"))
	stacktest.Eventually(t, 5*time.Second, "the good event behind the poison is ingested", func() (bool, error) {
		return count(t, s, "SELECT count() FROM lead_states FINAL WHERE lead_id = ?", lead.ID) == 1, nil
	})
	stacktest.Eventually(t, 5*time.Second, "three dead letters", func() (bool, error) {
		return streamMsgs(t, s, events.StreamDeadLetter) == 3, nil
	})
	st, _ := s.JS.Stream(context.Background(), events.StreamDeadLetter)
	for seq := uint64(1); seq <= 3; seq++ {
		msg, err := st.GetMsg(context.Background(), seq)
		if err != nil {
			t.Fatal(err)
		}
		h := nats.Header(msg.Header)
		if h.Get(deadletter.HeaderReason) == "" || h.Get(deadletter.HeaderStream) != events.StreamLeads || h.Get(deadletter.HeaderSubject) != events.MustSubject(events.LeadSubject("poison")) {
			t.Fatalf("dead letter %d lacks its provenance: %v", seq, h)
		}
	}
	if got := stacktest.Do(t, "GET", leadsURL(s)+"/"+lead.ID, berlin, ""); got.Status != 200 {
		t.Fatalf("the leads service must still read its own leads next to poison: %d %s", got.Status, got.Body)
	}
}

// moveLead posts a stage move of lead (at its version) effective on the day
// given ("" for today) and returns the answer, decoded when it is 200.
func moveLead(t *testing.T, s *stack.Stack, lead httpapi.LeadJSON, stage, effectiveOn string) (httpapi.LeadJSON, stacktest.Response) {
	t.Helper()
	body := fmt.Sprintf(`{"version":%d,"stage":%q,"effective_on":%q,"comment":"moved to %s"}`, lead.Version, stage, effectiveOn, stage)
	r := stacktest.Do(t, "POST", leadsURL(s)+"/"+lead.ID+"/stage", berlin, body)
	var out httpapi.LeadJSON
	if r.Status == http.StatusOK {
		r.JSON(t, &out)
	}
	return out, r
}

func TestStagesAreDatedByTheDayTheyTookEffect(t *testing.T) {
	s := stacktest.Start(t)
	withDay := func(day string) string {
		return strings.Replace(leadBody("Backdated GmbH"), `"source":"event"`, `"source":"event","identified_on":"`+day+`"`, 1)
	}
	// A creation dated tomorrow is refused; identified a month ago is fine.
	before := streamMsgs(t, s, events.StreamLeads)
	r := stacktest.Do(t, "POST", leadsURL(s), berlin, withDay(astanaDay(1)))
	var eb errorBody
	r.JSON(t, &eb)
	if code, _, ok := eb.field("identified_on"); r.Status != http.StatusBadRequest || !ok || code != "error.future_date" {
		t.Fatalf("identified tomorrow: %d %s", r.Status, r.Body)
	}
	if n := streamMsgs(t, s, events.StreamLeads); n != before {
		t.Fatalf("a refused creation stored %d events", n-before)
	}
	lead := create(t, s, berlin, withDay(astanaDay(-30)))
	if lead.StageEffectiveOn != astanaDay(-30) || lead.Stage != "identified" || lead.Version != 1 {
		t.Fatalf("created: stage %s since %s, version %d; want identified since %s, version 1", lead.Stage, lead.StageEffectiveOn, lead.Version, astanaDay(-30))
	}
	// Up to negotiating, each stage backdated.
	days := map[string]string{"contacted": astanaDay(-25), "qualified": astanaDay(-20), "negotiating": astanaDay(-15)}
	for _, stage := range []string{"contacted", "qualified", "negotiating"} {
		moved, r := moveLead(t, s, lead, stage, days[stage])
		if r.Status != http.StatusOK || moved.StageEffectiveOn != days[stage] {
			t.Fatalf("move to %s effective %s: %d %s", stage, days[stage], r.Status, r.Body)
		}
		lead = moved
	}
	// A committed day in the future, or before negotiating took effect, is
	// refused with the field named, and changes nothing.
	before = streamMsgs(t, s, events.StreamLeads)
	for _, tc := range []struct{ name, day, code string }{
		{"tomorrow", astanaDay(1), "error.future_date"},
		{"before the previous stage's day", astanaDay(-16), "error.before_stage_day"},
		{"not a day", "2026-02-30", "error.date"},
	} {
		_, r := moveLead(t, s, lead, "committed", tc.day)
		var eb errorBody
		r.JSON(t, &eb)
		code, msg, ok := eb.field("effective_on")
		if r.Status != http.StatusBadRequest || !ok || code != tc.code || !strings.Contains(msg, tc.day) || strings.Contains(msg, "%!") {
			t.Errorf("committed %s (%s): %d %s; want 400 naming effective_on with %s", tc.name, tc.day, r.Status, r.Body, tc.code)
		}
	}
	var now httpapi.LeadJSON
	stacktest.Do(t, "GET", leadsURL(s)+"/"+lead.ID, berlin, "").JSON(t, &now)
	if now.Version != lead.Version || now.Stage != "negotiating" || now.StageEffectiveOn != days["negotiating"] {
		t.Fatalf("after refused moves: version %d, %s since %s; want version %d, negotiating since %s",
			now.Version, now.Stage, now.StageEffectiveOn, lead.Version, days["negotiating"])
	}
	if n := streamMsgs(t, s, events.StreamLeads); n != before {
		t.Fatalf("refused moves stored %d events", n-before)
	}
	// Committed ten days ago, recorded today.
	committed, r := moveLead(t, s, lead, "committed", astanaDay(-10))
	if r.Status != http.StatusOK {
		t.Fatalf("commit: %d %s", r.Status, r.Body)
	}
	if committed.Stage != "committed" || committed.StageEffectiveOn != astanaDay(-10) || committed.Version != lead.Version+1 ||
		committed.Probability != "0.9" || time.Since(committed.StageChangedAt) > time.Minute {
		t.Fatalf("committed: %+v; want committed since %s, version %d, recorded now", committed, astanaDay(-10), lead.Version+1)
	}
	// Without a day, the move takes effect today.
	implementing, r := moveLead(t, s, committed, "implementing", "")
	if r.Status != http.StatusOK || implementing.StageEffectiveOn != astanaDay(0) {
		t.Fatalf("implementing without a day: %d %s; want effective today, %s", r.Status, r.Body, astanaDay(0))
	}
	// The history dates every stage by the day it took effect.
	var h struct{ History []httpapi.ChangeJSON }
	stacktest.Do(t, "GET", leadsURL(s)+"/"+lead.ID+"/history", berlin, "").JSON(t, &h)
	var got []string
	for _, c := range h.History {
		got = append(got, c.From+">"+c.To+"@"+c.EffectiveOn)
	}
	want := []string{">@" + astanaDay(-30), "identified>contacted@" + astanaDay(-25), "contacted>qualified@" + astanaDay(-20),
		"qualified>negotiating@" + astanaDay(-15), "negotiating>committed@" + astanaDay(-10), "committed>implementing@" + astanaDay(0)}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("history:\n got %q\nwant %q", got, want)
	}
	// Every stored lead event matches its schema, and ingest takes the last one.
	st, err := s.JS.Stream(context.Background(), events.StreamLeads)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		msg, err := st.GetMsg(context.Background(), seq)
		if err != nil {
			t.Fatal(err)
		}
		if err := events.ValidateSchema(msg.Data); err != nil {
			t.Errorf("event %d: %v", seq, err)
		}
	}
	stacktest.Eventually(t, 5*time.Second, "the last move in ClickHouse", func() (bool, error) {
		return count(t, s, "SELECT count() FROM lead_states FINAL WHERE lead_id = ? AND version = ?", lead.ID, implementing.Version) == 1, nil
	})
}
