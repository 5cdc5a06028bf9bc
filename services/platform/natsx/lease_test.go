package natsx_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/services/platform/natsx"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
)

// TestLeaseHandOver: one holder at a time; a lease given back is free at
// once, to its last holder (again and again, as the ingest lock is at
// every write, given back in the background) and to another instance; a
// lease nobody renews expires.
func TestLeaseHandOver(t *testing.T) {
	ctx := context.Background()
	ns := natstest.Start(t)
	const ttl = 2 * time.Second
	kv, err := ns.JS.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "LEASE_TEST", TTL: ttl, History: 1})
	if err != nil {
		t.Fatal(err)
	}
	a := natsx.NewLease(kv, "job", "a", ttl, obs.Discard(), "the test job", nil)
	b := natsx.NewLease(kv, "job", "b", ttl, obs.Discard(), "the test job", nil)
	holder := func(want string) {
		t.Helper()
		e, err := kv.Get(ctx, "job")
		if err != nil || string(e.Value()) != want {
			t.Fatalf("the key holds %q (%v), want %q", e.Value(), err, want)
		}
	}
	steps := []struct {
		name      string
		lease     *natsx.Lease
		release   bool // give it back instead of trying
		want      bool
		heldAfter string
	}{
		{"a takes the absent key", a, false, true, "a"},
		{"b cannot while a holds it", b, false, false, "a"},
		{"a renews it", a, false, true, "a"},
		{"a gives it back", a, true, false, ""},
		{"a takes it back", a, false, true, "a"},
		{"a gives it back again", a, true, false, ""},
		{"b takes the given-back key", b, false, true, "b"},
		{"a cannot while b holds it", a, false, false, "b"},
		{"b gives it back", b, true, false, ""},
		{"a takes it after b", a, false, true, "a"},
	}
	for _, s := range steps {
		if s.release {
			s.lease.Release()
		} else if got := s.lease.Try(ctx); got != s.want {
			t.Fatalf("%s: Try %v, want %v", s.name, got, s.want)
		}
		holder(s.heldAfter)
		if s.lease.Held() != (s.want && !s.release) {
			t.Fatalf("%s: Held %v", s.name, s.lease.Held())
		}
	}
	// Given back in the background (the ingest lock after each write): the
	// holder's next Try waits for it and takes the key back; once it is
	// given back, another instance takes it.
	a.ReleaseInBackground()
	if !a.Try(ctx) {
		t.Fatal("a could not take back the lease it gave back in the background")
	}
	holder("a")
	a.ReleaseInBackground()
	a.WaitReleased()
	holder("")
	if a.Held() || !b.Try(ctx) {
		t.Fatalf("after a gave it back in the background: a holds %v, b could not take it", a.Held())
	}
	holder("b")
	b.Release()
	if !a.Try(ctx) {
		t.Fatal("a could not take the lease after b")
	}
	// a stops renewing: the key expires with the bucket's TTL and b takes it.
	deadline := time.Now().Add(10 * ttl)
	for !b.Try(ctx) {
		if time.Now().After(deadline) {
			t.Fatal("b never took the lease a stopped renewing")
		}
		time.Sleep(100 * time.Millisecond)
	}
	holder("b")
}
