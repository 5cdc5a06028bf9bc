package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"

	"econdip/events"
	"econdip/services/platform/deadletter"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/test/reliability/faultkit"
)

// leadArchivedV1 is an event type this version does not know, as a newer
// leads service might publish it.
type leadArchivedV1 struct {
	Lead events.LeadV1 `json:"lead"`
}

func (leadArchivedV1) EventType() string { return "econdip.lead.archived.v1" }

// poison is a message ingest must set aside, and a word of the reason it must give.
type poison struct {
	name, subject string
	data          []byte
	reason        string
	stream        string
	seq           uint64
}

// listedLetter is a line of `econdip deadletter list --json`.
type listedLetter struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Stream  string    `json:"stream"`
	Subject string    `json:"subject"`
	OrigSeq uint64    `json:"orig_seq"`
	Reason  string    `json:"reason"`
	Data    string    `json:"data"`
	Base64  []byte    `json:"data_base64"`
}

// TestPoisonMessagesGoToTheDeadLettersAndCanBeRedriven mixes malformed
// messages into a load: each lands on DEADLETTER with its reason, none holds
// up the events behind it, and `econdip deadletter list|redrive` shows them
// and sends a fixed one back.
func TestPoisonMessagesGoToTheDeadLettersAndCanBeRedriven(t *testing.T) {
	const valid = 6000
	until := faultkit.Deadline(t, 2*time.Minute)
	ns := natstest.Start(t)
	db, conn := faultkit.NewDatabase(t, "poison")
	dir := t.TempDir()
	logPath := ingestLogIn(t, dir)
	env := ingestEnv(ns.ClientURL(), db, dir)
	faultkit.Migrate(t, env, filepath.Join(dir, "migrate.log"))
	ing := faultkit.StartProc(t, "econdip ingest", logPath, env, "ingest")
	ctx := context.Background()

	lead := func(currency string) events.LeadV1 {
		now := time.Now().UTC().Truncate(time.Millisecond)
		return events.LeadV1{ID: uuid.NewString(), Version: 1, Post: "de-berlin", Attache: "attache.de-berlin", InvestorName: "Poison AG",
			InvestorCountry: "DE", Title: "Plant", Clauses: []string{"2.1"}, InvestmentType: "greenfield",
			Capex: events.Money{Amount: decimal.NewFromInt(1000000), Currency: currency}, Source: "own_research", Stage: "identified",
			Probability: decimal.RequireFromString("0.05"), CreatedAt: now, UpdatedAt: now, StageChangedAt: now}
	}
	encode := func(l events.LeadV1, ev events.Event, mutate func(*events.Envelope)) []byte {
		e, err := events.New(events.Meta{Source: "econdip/leads", Subject: "lead/" + l.ID, Actor: "attache.de-berlin", Scope: "post:de-berlin"}, ev)
		if err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			mutate(&e)
		}
		raw, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	l1, l2, l3, l4 := lead("USD"), lead("US"), lead("EUR"), lead("EUR")
	oldDeal := events.DealV1{ID: uuid.NewString(), Version: 1, Post: "cn-beijing", Attache: "attache.cn-beijing", ExporterBIN: "100000000001",
		ExporterName: "Exporter", BuyerCountry: "CN", HSCode: "100199", Value: events.Money{Amount: decimal.NewFromInt(5000), Currency: "USD"},
		Stage: "contracted", ContractDate: "1960-01-01", Support: []string{}, Clauses: []string{"2.7"},
		CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC(), StageChangedAt: time.Now().UTC()}
	dealEnv, err := events.New(events.Meta{Source: "econdip/exports", Subject: "deal/" + oldDeal.ID, Actor: "attache.cn-beijing", Scope: "post:cn-beijing"}, &events.DealCreatedV1{Deal: oldDeal})
	if err != nil {
		t.Fatal(err)
	}
	dealRaw, _ := json.Marshal(dealEnv)
	poisons := []*poison{
		{name: "bad JSON", subject: events.MustSubject(events.LeadSubject(l1.ID)), data: []byte(`{"specversion":"1.0","id":"` + uuid.NewString() + `","type":`), reason: "unexpected EOF"},
		{name: "not JSON at all", subject: "econdip.commissions.igc-cn.decision.x", data: []byte("\x00\x01 binary garbage"), reason: "invalid character"},
		{name: "not UTF-8", subject: "econdip.exports.deal.x", data: []byte{0xff, 0xfe, 'x'}, reason: "invalid character"},
		{name: "unknown type", subject: events.MustSubject(events.LeadSubject(l1.ID)), data: encode(l1, leadArchivedV1{Lead: l1}, nil), reason: `unknown event type "econdip.lead.archived.v1"`},
		{name: "schema-invalid data (currency)", subject: events.MustSubject(events.LeadSubject(l2.ID)), data: encode(l2, &events.LeadCreatedV1{Lead: l2}, nil), reason: "is not an ISO 4217 code"},
		{name: "schema-invalid data (unknown field)", subject: events.MustSubject(events.LeadSubject(l3.ID)), data: encode(l3, &events.LeadCreatedV1{Lead: l3}, func(e *events.Envelope) {
			e.Data = json.RawMessage(strings.Replace(string(e.Data), `{"lead":`, `{"surprise":true,"lead":`, 1))
		}), reason: `unknown field "surprise"`},
		{name: "envelope without id", subject: events.MustSubject(events.LeadSubject(l4.ID)), data: encode(l4, &events.LeadCreatedV1{Lead: l4}, func(e *events.Envelope) { e.ID = "" }), reason: "missing id"},
		{name: "deal dated before 1970", subject: events.MustSubject(events.DealSubject(oldDeal.ID)), data: dealRaw, reason: "outside 1970-01-01 to 2105-12-31"},
	}

	// The poison goes in between the valid events, through the publish of
	// anything that reaches the stream: raw messages.
	js, err := jetstream.New(ns.NC, jetstream.WithPublishAsyncMaxPending(1024))
	if err != nil {
		t.Fatal(err)
	}
	g := faultkit.NewGenerator(7)
	pub := faultkit.NewPublisher(js, 256)
	every := valid / (len(poisons) + 1)
	for i := range valid {
		pub.Publish(g.Next())
		if k := i / every; i%every == every/2 && k < len(poisons) {
			p := poisons[k]
			ack, err := ns.JS.PublishMsg(ctx, &nats.Msg{Subject: p.subject, Data: p.data})
			if err != nil {
				t.Fatalf("publish %s: %v", p.name, err)
			}
			p.stream, p.seq = ack.Stream, ack.Sequence
		}
	}
	pub.Close()
	faultkit.MustWaitDrained(t, ns.JS, events.ConsumerIngest, until, ing.Alive)

	// Every poison message is on DEADLETTER with its reason and origin.
	out, errOut, err := runEcondip(t, env, "deadletter", "list", "--json")
	if err != nil {
		t.Fatalf("deadletter list: %v\n%s", err, errOut)
	}
	letters := parseLetters(t, out)
	if len(letters) != len(poisons) {
		t.Fatalf("%d dead letters, want %d:\n%s", len(letters), len(poisons), out)
	}
	byOrigin := map[string]listedLetter{}
	for _, l := range letters {
		byOrigin[l.Stream+":"+strconv.FormatUint(l.OrigSeq, 10)] = l
	}
	for _, p := range poisons {
		l, ok := byOrigin[p.stream+":"+strconv.FormatUint(p.seq, 10)]
		switch {
		case !ok:
			t.Errorf("%s (%s seq %d) is not on DEADLETTER", p.name, p.stream, p.seq)
		case l.Subject != p.subject || l.Data+string(l.Base64) != string(p.data) || !strings.Contains(l.Reason, p.reason):
			t.Errorf("%s: dead letter %+v, want subject %s and a reason with %q", p.name, l, p.subject, p.reason)
		}
	}
	table, _, err := runEcondip(t, env, "deadletter", "list")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("econdip deadletter list:\n%s", table)
	for _, want := range []string{"SEQ", "TIME (ASTANA)", "STREAM", "SUBJECT", "ORIG SEQ", "REASON", "FIRST BYTES", "unknown event type", fmt.Sprintf("%d dead letters", len(poisons))} {
		if !strings.Contains(table, want) {
			t.Errorf("deadletter list lacks %q", want)
		}
	}

	// A message this version still cannot project is left where it is.
	badJSON := byOrigin[poisons[0].stream+":"+strconv.FormatUint(poisons[0].seq, 10)]
	out, _, err = runEcondip(t, env, "deadletter", "redrive", "--seq", strconv.FormatUint(badJSON.Seq, 10))
	if err == nil || !strings.Contains(out, "still cannot project") {
		t.Errorf("redrive of bad JSON: err %v, output:\n%s", err, out)
	}

	// An older ingest that did not know a type dead-lettered two valid
	// events (the test plays that ingest: it takes them from the durable
	// consumer, stores them on DEADLETTER as ingest does and acks them).
	// Later a third event follows the second on its subject.
	if err := ing.Stop(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	fixed, overtaken := lead("USD"), lead("EUR")
	fixedEnv := mustEnvelope(t, fixed, &events.LeadCreatedV1{Lead: fixed})
	overtakenEnv := mustEnvelope(t, overtaken, &events.LeadCreatedV1{Lead: overtaken})
	var extra []faultkit.Ack
	for _, e := range []struct {
		subject string
		env     events.Envelope
	}{{events.MustSubject(events.LeadSubject(fixed.ID)), fixedEnv}, {events.MustSubject(events.LeadSubject(overtaken.ID)), overtakenEnv}} {
		a, err := events.Publish(ctx, ns.JS, e.subject, e.env, events.PublishOptions{})
		if err != nil {
			t.Fatal(err)
		}
		extra = append(extra, faultkit.Ack{ID: uuid.MustParse(e.env.ID), Stream: a.Stream, Seq: a.Sequence})
	}
	oldIngestDeadLetters(t, ns.JS, 2)
	later := overtaken
	later.Version, later.Stage, later.Probability = 2, "contacted", decimal.RequireFromString("0.1")
	laterEnv := mustEnvelope(t, later, &events.LeadStageChangedV1{Lead: later, From: "identified", To: "contacted"})
	a, err := events.Publish(ctx, ns.JS, events.MustSubject(events.LeadSubject(later.ID)), laterEnv, events.PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	laterAck := faultkit.Ack{ID: uuid.MustParse(laterEnv.ID), Stream: a.Stream, Seq: a.Sequence}
	ing = faultkit.StartProc(t, "econdip ingest", logPath, env, "ingest")

	out, _, err = runEcondip(t, env, "deadletter", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	letters = parseLetters(t, out)
	dlSeqOf := func(a faultkit.Ack) uint64 {
		for _, l := range letters {
			if l.Stream == a.Stream && l.OrigSeq == a.Seq {
				return l.Seq
			}
		}
		t.Fatalf("no dead letter of %s seq %d", a.Stream, a.Seq)
		return 0
	}
	fixedDL, overtakenDL := dlSeqOf(extra[0]), dlSeqOf(extra[1])

	out, errOut, err = runEcondip(t, env, "deadletter", "redrive", "--seq", strconv.FormatUint(fixedDL, 10))
	if err != nil || !strings.Contains(out, "1 redriven") {
		t.Fatalf("redrive of the fixed event: %v\n%s%s", err, out, errOut)
	}
	t.Logf("econdip deadletter redrive --seq %d:\n%s", fixedDL, out)
	out, _, err = runEcondip(t, env, "deadletter", "redrive", "--seq", strconv.FormatUint(overtakenDL, 10))
	if err == nil || !strings.Contains(out, "a later event") {
		t.Errorf("redrive of an overtaken event: err %v, output:\n%s", err, out)
	}
	t.Logf("econdip deadletter redrive --seq %d (overtaken):\n%s", overtakenDL, out)
	out, _, err = runEcondip(t, env, "deadletter", "redrive", "--all")
	if err == nil || !strings.Contains(out, fmt.Sprintf("0 redriven, %d left", len(poisons)+1)) {
		t.Errorf("redrive --all: err %v, output:\n%s", err, out)
	}
	faultkit.MustWaitDrained(t, ns.JS, events.ConsumerIngest, until, nil)
	if err := ing.Stop(30 * time.Second); err != nil {
		t.Error(err)
	}

	// Every acknowledged event is in ClickHouse once, or on DEADLETTER.
	out, _, err = runEcondip(t, env, "deadletter", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	letters = parseLetters(t, out)
	if len(letters) != len(poisons)+1 {
		t.Errorf("%d dead letters left, want %d (the poison and the overtaken event)", len(letters), len(poisons)+1)
	}
	inCH := append(pub.Acked(), extra[0], laterAck)
	res := faultkit.CheckExactlyOnce(t, faultkit.DB(conn), inCH)
	var redriven uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM lead_states FINAL WHERE lead_id = ?", uuid.MustParse(fixed.ID)).Scan(&redriven); err != nil || redriven != 1 {
		t.Errorf("the redriven lead is in lead_states %d times (%v)", redriven, err)
	}
	t.Logf("%d valid events and %d poison messages: %d dead letters, all valid events ingested; events table count() %d, uniqExact %d, FINAL %d",
		valid, len(poisons), len(poisons), res.Rows, res.Unique, res.Final)
}

func mustEnvelope(t *testing.T, l events.LeadV1, ev events.Event) events.Envelope {
	t.Helper()
	e, err := events.New(events.Meta{Source: "econdip/leads", Subject: "lead/" + l.ID, Actor: l.Attache, Scope: "post:" + l.Post}, ev)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// oldIngestDeadLetters plays an ingest that did not know the lead events'
// type: it takes n messages from the durable consumer, stores each on
// DEADLETTER as ingest does, and acknowledges it.
func oldIngestDeadLetters(t *testing.T, js jetstream.JetStream, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := js.Consumer(ctx, events.StreamLeads, events.ConsumerIngest)
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.FetchNoWait(n + 1)
	if err != nil {
		t.Fatal(err)
	}
	var got int
	for m := range batch.Messages() {
		meta, err := m.Metadata()
		if err != nil {
			t.Fatal(err)
		}
		seq := strconv.FormatUint(meta.Sequence.Stream, 10)
		dl := nats.NewMsg(deadletter.Subject(events.StreamLeads))
		dl.Data = m.Data()
		dl.Header.Set(deadletter.HeaderReason, `not a valid econdip event: unknown event type "econdip.lead.created.v1" (an older ingest)`)
		dl.Header.Set(deadletter.HeaderStream, events.StreamLeads)
		dl.Header.Set(deadletter.HeaderSubject, m.Subject())
		dl.Header.Set(deadletter.HeaderSeq, seq)
		if _, err := js.PublishMsg(ctx, dl, jetstream.WithMsgID("dlq-LEADS-"+seq)); err != nil {
			t.Fatal(err)
		}
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatal(err)
		}
		got++
	}
	if got != n {
		t.Fatalf("the durable consumer had %d messages pending, want %d", got, n)
	}
}

func parseLetters(t *testing.T, out string) []listedLetter {
	t.Helper()
	var ls []listedLetter
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var l listedLetter
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("deadletter list --json line %q: %v", line, err)
		}
		ls = append(ls, l)
	}
	return ls
}
