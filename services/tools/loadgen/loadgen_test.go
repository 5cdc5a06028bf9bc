package loadgen_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/analytics/chtest"
	"econdip/events"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/reference"
	"econdip/services/test/stacktest"
	"econdip/services/tools/loadgen"
)

func TestMain(m *testing.M) { chtest.Main(m, "econdip_test_loadgen") }

func TestGeneratorIsDeterministicAndMixed(t *testing.T) {
	ref := reference.Default()
	a, b, other := loadgen.NewGenerator(7, ref), loadgen.NewGenerator(7, ref), loadgen.NewGenerator(8, ref)
	byKind := map[loadgen.Kind]int{}
	total, same := 0, 0
	keys, sessions := map[string]bool{}, map[string]bool{}
	for i := range 3000 {
		sa, sb, so := a.Next(), b.Next(), other.Next()
		ja, _ := json.Marshal(sa)
		jb, _ := json.Marshal(sb)
		if string(ja) != string(jb) {
			t.Fatalf("story %d differs between two generators of seed 7:\n%s\n%s", i, ja, jb)
		}
		if jo, _ := json.Marshal(so); string(jo) == string(ja) {
			same++
		}
		if keys[sa.Key] {
			t.Fatalf("story %d: key %s used twice", i, sa.Key)
		}
		keys[sa.Key] = true
		byKind[sa.Kind] += sa.Events()
		total += sa.Events()
		if p := sa.Protocol; p != nil {
			// A commission records a session number once, from 1 to 10,000.
			key := p.Commission.ID + "/" + strconv.Itoa(p.Request.Number)
			if sessions[key] || p.Request.Number < 100 || p.Request.Number > 10_000 {
				t.Fatalf("story %d: session %s used twice or out of range", i, key)
			}
			sessions[key] = true
		}
	}
	if same > 10 {
		t.Errorf("seeds 7 and 8 share %d stories of 3000", same)
	}
	for _, k := range loadgen.Kinds {
		if share := float64(byKind[k]) / float64(total); math.Abs(share-loadgen.Mix[k]) > 0.02 {
			t.Errorf("%s: %.3f of the events, want %.2f", k, share, loadgen.Mix[k])
		}
	}
}

// streamCounts is the messages on each ingest stream.
func streamCounts(t *testing.T, js jetstream.JetStream) (map[string]uint64, uint64) {
	t.Helper()
	out, total := map[string]uint64{}, uint64(0)
	for _, st := range events.IngestStreams() {
		s, err := js.Stream(context.Background(), st.Name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out[st.Name] = info.State.Msgs
		total += info.State.Msgs
	}
	return out, total
}

// Every event the NATS driver publishes is a valid event of the contract,
// counted once; a rerun of the seed publishes nothing new.
func TestNATSDriverPublishesValidEventsOnce(t *testing.T) {
	ns := natstest.Start(t)
	ctx := context.Background()
	ref := reference.Default()
	res, err := loadgen.Run(ctx, loadgen.NewNATSDriver(ns.JS), ref, loadgen.Options{Seed: 3, Events: 600, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors > 0 || res.Events < 600 || res.SetupEvents == 0 {
		t.Fatalf("result %+v (first error %v)", res, res.FirstError)
	}
	_, total := streamCounts(t, ns.JS)
	if total != uint64(res.Events+res.SetupEvents) {
		t.Fatalf("streams hold %d messages, the load says %d events and %d setup events", total, res.Events, res.SetupEvents)
	}
	for _, st := range events.IngestStreams() {
		cons, err := ns.JS.OrderedConsumer(ctx, st.Name, jetstream.OrderedConsumerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := ns.JS.Stream(ctx, st.Name)
		info, _ := s.Info(ctx)
		for range info.State.Msgs {
			m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := events.Decode(m.Data()); err != nil {
				t.Fatalf("%s: %s: %v", st.Name, m.Subject(), err)
			}
		}
	}
	again, err := loadgen.Run(ctx, loadgen.NewNATSDriver(ns.JS), ref, loadgen.Options{Seed: 3, Events: 600, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	if _, after := streamCounts(t, ns.JS); after != total || again.Events != 0 || again.Skipped == 0 {
		t.Errorf("rerun of the seed: streams went from %d to %d messages; result %+v", total, after, again)
	}
}

// A load through the APIs of a running system and one straight to
// JetStream both end up in ClickHouse, every event once, none dead-lettered.
func TestLoadReachesClickHouseThroughBothPaths(t *testing.T) {
	dir := t.TempDir()
	ref := reference.Default()
	users, tokens := loadgen.TestAccounts(ref, "tok-")
	raw, _ := json.Marshal(users)
	if err := os.WriteFile(filepath.Join(dir, "users.json"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	s := stacktest.StartWith(t, stacktest.Options{Dir: dir})
	ctx := context.Background()
	api := loadgen.NewAPIDriver("http://"+s.LeadsAddr, "http://"+s.CommissionsAddr, "http://"+s.ExportsAddr, tokens, 8)
	res, err := loadgen.Run(ctx, api, ref, loadgen.Options{Seed: 11, Events: 400, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors > 0 || res.Events < 400 || res.ByKind[loadgen.Leads] == 0 || res.ByKind[loadgen.Deals] == 0 || res.ByKind[loadgen.Decisions] == 0 {
		t.Fatalf("API load: %+v (first error %v)", res, res.FirstError)
	}
	_, stored := streamCounts(t, s.JS)
	if stored != uint64(res.Events+res.SetupEvents) {
		t.Errorf("API load: streams hold %d messages, the load says %d events and %d setup events", stored, res.Events, res.SetupEvents)
	}
	viaNATS, err := loadgen.Run(ctx, loadgen.NewNATSDriver(s.JS), ref, loadgen.Options{Seed: 12, Events: 400, Concurrency: 8, Rate: 4000})
	if err != nil {
		t.Fatal(err)
	}
	if viaNATS.Errors > 0 || viaNATS.Events < 400 {
		t.Fatalf("NATS load: %+v (first error %v)", viaNATS, viaNATS.FirstError)
	}
	_, stored = streamCounts(t, s.JS)
	waitIngested(t, s, stored)
}

func waitIngested(t *testing.T, s *stack.Stack, want uint64) {
	t.Helper()
	stacktest.Eventually(t, 60*time.Second, "every event in ClickHouse", func() (bool, error) {
		var n uint64
		err := s.CH.QueryRow(context.Background(), "SELECT uniqExact(event_id) FROM events").Scan(&n)
		return n == want, err
	})
	dl, err := s.JS.Stream(context.Background(), events.StreamDeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	info, err := dl.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 {
		t.Errorf("%d messages dead-lettered", info.State.Msgs)
	}
}

// A generator asked for leads alone gives the lead stories of its seed's
// mixed load, in the same order, and their events are the ones the NATS
// driver stores.
func TestNextLeadGivesTheMixedLoadsLeads(t *testing.T) {
	ref := reference.Default()
	mixed, leads := loadgen.NewGenerator(9, ref), loadgen.NewGenerator(9, ref)
	for i := 0; i < 300; {
		s := mixed.Next()
		if s.Kind != loadgen.Leads {
			continue
		}
		l := leads.NextLead()
		if l.Key != s.Key || l.Lead.Request.Title != s.Lead.Request.Title {
			t.Fatalf("lead %d: %s (%q) alone, %s (%q) in the mixed load", i, l.Key, l.Lead.Request.Title, s.Key, s.Lead.Request.Title)
		}
		le, err := loadgen.NewLeadEvents(l)
		if err != nil {
			t.Fatal(err)
		}
		if le.Len() != l.Events() {
			t.Fatalf("lead %d: %d events, the story says %d", i, le.Len(), l.Events())
		}
		for v := 1; le.More(); v++ {
			env, err := le.Next(time.Now())
			if err != nil {
				t.Fatal(err)
			}
			ev, err := events.DecodeData(env)
			if err != nil {
				t.Fatalf("lead %d, event %d: %v", i, v, err)
			}
			var got events.LeadV1
			switch e := ev.(type) {
			case *events.LeadCreatedV1:
				got = e.Lead
			case *events.LeadStageChangedV1:
				got = e.Lead
			}
			if got.ID != le.ID || got.Version != v || (v == 1) != (env.Type == events.TypeLeadCreated) {
				t.Fatalf("lead %d, event %d: %s of lead %s version %d; want lead %s version %d", i, v, env.Type, got.ID, got.Version, le.ID, v)
			}
		}
		i++
	}
}
