package faultkit

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/natsx/natstest"
)

// TestGeneratorTotalsMatchItsEvents checks the totals against the events
// themselves: every record created once, then moved one stage at a time.
func TestGeneratorTotalsMatchItsEvents(t *testing.T) {
	const n = 50_000
	g := NewGenerator(1)
	ids := map[string]bool{}
	versions := map[string]int{} // subject: last version
	var leadEvents, dealEvents int
	for range n {
		subject, env := g.Next()
		if ids[env.ID] {
			t.Fatalf("event id %s twice", env.ID)
		}
		ids[env.ID] = true
		versions[subject]++
		if strings.HasPrefix(env.Subject, "lead/") {
			leadEvents++
		} else {
			dealEvents++
		}
	}
	var want Totals
	for subject, v := range versions {
		if strings.HasPrefix(subject, events.SubjectPrefix+".leads.") {
			want.Leads++
			want.LeadVersions += v
		} else {
			want.Deals++
			want.DealVersions += v
		}
	}
	want.LeadEvents, want.DealEvents = leadEvents, dealEvents
	if got := g.Totals(); got != want {
		t.Errorf("Totals() = %+v; the events add up to %+v", got, want)
	}
}

func TestDiffSorted(t *testing.T) {
	cmp := func(a, b int) int { return a - b }
	for _, c := range []struct {
		name                 string
		want, got            []int
		wantMissing, wantXtr []int
	}{
		{"same", []int{1, 2, 3}, []int{1, 2, 3}, nil, nil},
		{"missing", []int{1, 2, 3}, []int{2}, []int{1, 3}, nil},
		{"extra", []int{2}, []int{1, 2, 3}, nil, []int{1, 3}},
		{"both", []int{1, 3, 5}, []int{2, 3, 4}, []int{1, 5}, []int{2, 4}},
		{"empty got", []int{1}, nil, []int{1}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			missing, extra := diffSorted(c.want, c.got, cmp)
			if !slices.Equal(missing, c.wantMissing) || !slices.Equal(extra, c.wantXtr) {
				t.Errorf("diffSorted(%v, %v) = %v, %v; want %v, %v", c.want, c.got, missing, extra, c.wantMissing, c.wantXtr)
			}
		})
	}
}

// TestPublisherKeepsEveryAck publishes a generated load through an
// in-process NATS: every event acknowledged once, at a distinct sequence.
func TestPublisherKeepsEveryAck(t *testing.T) {
	const n = 3000
	ns := natstest.Start(t)
	js, err := jetstream.New(ns.NC, jetstream.WithPublishAsyncMaxPending(512))
	if err != nil {
		t.Fatal(err)
	}
	p := NewPublisher(js, 256)
	if sent := RunLoad(context.Background(), NewGenerator(2), p, n, 0); sent != n {
		t.Fatalf("RunLoad sent %d of %d", sent, n)
	}
	p.Close()
	acks := p.Acked()
	if len(acks) != n || p.Published() != n || p.Abandoned() != 0 || p.Duplicates() != 0 {
		t.Fatalf("%d acks, %d published, %d abandoned, %d duplicates; want %d acks", len(acks), p.Published(), p.Abandoned(), p.Duplicates(), n)
	}
	seen := map[Ack]bool{}
	for _, a := range acks {
		key := Ack{Stream: a.Stream, Seq: a.Seq}
		if seen[key] || seen[Ack{ID: a.ID}] {
			t.Fatalf("ack %+v repeats an id or a sequence", a)
		}
		seen[key], seen[Ack{ID: a.ID}] = true, true
	}
}
