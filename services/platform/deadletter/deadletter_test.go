package deadletter_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/deadletter"
	"econdip/services/platform/natsx/natstest"
)

// setAside publishes data on subject, takes it from a consumer of stream
// and dead-letters it with reason, as a consumer does; it returns the
// message's stream sequence.
func setAside(t *testing.T, js jetstream.JetStream, stream, subject string, data []byte, reason string) uint64 {
	t.Helper()
	ctx := context.Background()
	ack, err := js.Publish(ctx, subject, data)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable: "test", AckPolicy: jetstream.AckExplicitPolicy, FilterSubject: subject,
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: ack.Sequence,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = js.DeleteConsumer(ctx, stream, "test") }()
	m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // a redelivered poison message is set aside once
		if _, err := deadletter.Publish(ctx, js, stream, m, reason); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Ack(); err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

func TestPublishKeepsTheMessageWithItsOriginAndReason(t *testing.T) {
	ns := natstest.Start(t)
	ctx := context.Background()
	subject := "econdip.leads.l-1"
	seq := setAside(t, ns.JS, events.StreamLeads, subject, []byte("{oops"), "envelope: unexpected EOF "+strings.Repeat("x", 2000))

	letters, err := deadletter.List(ctx, ns.JS)
	if err != nil {
		t.Fatal(err)
	}
	if len(letters) != 1 {
		t.Fatalf("%d dead letters, want 1 (a repeat is dropped)", len(letters))
	}
	l := letters[0]
	if l.Stream != events.StreamLeads || l.Subject != subject || l.OrigSeq != seq || string(l.Data) != "{oops" ||
		!strings.HasPrefix(l.Reason, "envelope: unexpected EOF") || len(l.Reason) > 1010 || l.Time.IsZero() {
		t.Errorf("dead letter %+v", l)
	}
	got, ok, err := deadletter.Get(ctx, ns.JS, l.Seq)
	if err != nil || !ok || got.OrigSeq != l.OrigSeq || string(got.Data) != string(l.Data) || got.Reason != l.Reason {
		t.Errorf("Get(%d) = %+v, %v, %v; want %+v", l.Seq, got, ok, err, l)
	}
	if _, ok, err := deadletter.Get(ctx, ns.JS, l.Seq+1); ok || err != nil {
		t.Errorf("Get of a missing dead letter: ok %v, err %v", ok, err)
	}
	if want := "dead letter 1 (LEADS seq 1, econdip.leads.l-1)"; l.String() != want {
		t.Errorf("String() = %q, want %q", l.String(), want)
	}
}

func TestListOfNoDeadLetters(t *testing.T) {
	ns := natstest.Start(t)
	letters, err := deadletter.List(context.Background(), ns.JS)
	if err != nil || len(letters) != 0 {
		t.Fatalf("List = %v, %v; want none", letters, err)
	}
}

func TestRedriveRules(t *testing.T) {
	ns := natstest.Start(t)
	ctx := context.Background()
	fixedSubject, overtakenSubject, stillBadSubject := "econdip.leads.fixed", "econdip.leads.overtaken", "econdip.leads.bad"
	setAside(t, ns.JS, events.StreamLeads, fixedSubject, []byte(`{"fixed":true}`), "unknown event type")
	setAside(t, ns.JS, events.StreamLeads, overtakenSubject, []byte(`{"overtaken":true}`), "unknown event type")
	setAside(t, ns.JS, events.StreamLeads, stillBadSubject, []byte(`{"bad":true}`), "unknown event type")
	later, err := ns.JS.Publish(ctx, overtakenSubject, []byte(`{"later":true}`))
	if err != nil {
		t.Fatal(err)
	}
	check := func(stream string, data []byte) error {
		if strings.Contains(string(data), "bad") {
			return errors.New("still unknown")
		}
		return nil
	}
	letters, err := deadletter.List(ctx, ns.JS)
	if err != nil || len(letters) != 3 {
		t.Fatalf("List = %d letters, %v", len(letters), err)
	}
	noOrigin := deadletter.Letter{Seq: 99, Data: []byte("{}")}

	// A dry run changes nothing.
	results, err := deadletter.Redrive(ctx, ns.JS, letters, check, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(results); got != "would,left,left" {
		t.Errorf("dry run outcomes %s", got)
	}
	if after, _ := deadletter.List(ctx, ns.JS); len(after) != 3 {
		t.Errorf("a dry run removed dead letters: %d left", len(after))
	}

	results, err = deadletter.Redrive(ctx, ns.JS, append(letters, noOrigin), check, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(results); got != "redriven,left,left,left" {
		t.Fatalf("outcomes %s", got)
	}
	for i, want := range []string{"", "a later event (LEADS seq " + itoa(later.Sequence) + ") is on " + overtakenSubject,
		"this version still cannot project it: still unknown", "lacks its origin headers"} {
		if err := results[i].Err; (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("letter %d: err %v, want %q", i, err, want)
		}
	}

	// The fixed one is on its subject again, marked as the copy of its dead letter, and off DEADLETTER.
	src, err := ns.JS.Stream(ctx, events.StreamLeads)
	if err != nil {
		t.Fatal(err)
	}
	m, err := src.GetLastMsgForSubject(ctx, fixedSubject)
	if err != nil {
		t.Fatal(err)
	}
	if m.Sequence != results[0].NewSeq || string(m.Data) != `{"fixed":true}` || m.Header.Get(deadletter.HeaderRedriveOf) != "LEADS:"+itoa(letters[0].OrigSeq) {
		t.Errorf("redriven message seq %d (want %d) data %s headers %v", m.Sequence, results[0].NewSeq, m.Data, m.Header)
	}
	if after, _ := deadletter.List(ctx, ns.JS); len(after) != 2 {
		t.Errorf("%d dead letters after the redrive, want 2", len(after))
	}
}

// A redrive sent before whose removal from DEADLETTER failed is recognised
// by the copy on the subject: the next redrive removes the letter and does
// not send it twice.
func TestRedriveDoesNotSendACopyTwice(t *testing.T) {
	ns := natstest.Start(t)
	ctx := context.Background()
	subject := "econdip.leads.sent"
	seq := setAside(t, ns.JS, events.StreamLeads, subject, []byte(`{"sent":true}`), "unknown event type")
	copyMsg := nats.NewMsg(subject)
	copyMsg.Data = []byte(`{"sent":true}`)
	copyMsg.Header.Set(deadletter.HeaderRedriveOf, "LEADS:"+itoa(seq))
	sent, err := ns.JS.PublishMsg(ctx, copyMsg)
	if err != nil {
		t.Fatal(err)
	}
	letters, err := deadletter.List(ctx, ns.JS)
	if err != nil {
		t.Fatal(err)
	}
	results, err := deadletter.Redrive(ctx, ns.JS, letters, func(string, []byte) error { return nil }, false)
	if err != nil || outcomes(results) != "redriven" || results[0].NewSeq != sent.Sequence {
		t.Fatalf("redrive: %+v %v; want redriven as seq %d", results, err, sent.Sequence)
	}
	src, err := ns.JS.Stream(ctx, events.StreamLeads)
	if err != nil {
		t.Fatal(err)
	}
	if last, err := src.GetLastMsgForSubject(ctx, subject); err != nil || last.Sequence != sent.Sequence {
		t.Errorf("the copy was sent again: last seq %d (%v), want %d", last.Sequence, err, sent.Sequence)
	}
	if after, _ := deadletter.List(ctx, ns.JS); len(after) != 0 {
		t.Errorf("%d dead letters left, want 0", len(after))
	}
}

func outcomes(rs []deadletter.Result) string {
	names := map[deadletter.Outcome]string{deadletter.Redriven: "redriven", deadletter.WouldRedrive: "would", deadletter.Left: "left", deadletter.NotRemoved: "not-removed"}
	var out []string
	for _, r := range rs {
		out = append(out, names[r.Outcome])
	}
	return strings.Join(out, ",")
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
