package app_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"econdip/services/leads/app"
	"econdip/services/leads/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
)

// TestTwoCopiesShareTheStream runs the leads service twice on one JetStream,
// as a deployment with two copies behind a load balancer does: a lead
// created through one is read and listed through the other; a retried
// create (same Idempotency-Key) reaching the other copy stores nothing new;
// of two updates from the same version, one through each copy, exactly one
// is stored and the other gets Conflict (no lost update).
func TestTwoCopiesShareTheStream(t *testing.T) {
	ns := natstest.Start(t)
	ctx := t.Context()
	ref := reference.Default()
	a, err := app.New(ctx, ns.JS, ref, obs.Discard(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := app.New(ctx, ns.JS, ref, obs.Discard(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	attache := auth.User{ID: "attache.de-berlin", Role: auth.Attache, Post: "de-berlin"}
	details := domain.Details{InvestorName: "Rhein Maschinenbau GmbH", InvestorCountry: "DE", Title: "Tractor plant",
		Sector: "machine_building", Clauses: []string{"2.2"}, TargetRegion: "KZ-75", InvestmentType: "greenfield",
		CapexAmount: "1250000.50", CapexCurrency: "EUR", ExpectedJobs: 10, Source: "event"}

	created, replayed, err := a.Create(ctx, attache, "key-1", details)
	if err != nil || replayed {
		t.Fatalf("create through copy A: %v (replayed %v)", err, replayed)
	}
	again, replayed, err := b.Create(ctx, attache, "key-1", details)
	if err != nil || !replayed || again.ID != created.ID {
		t.Fatalf("the same create retried through copy B: id %s replayed %v, %v; want %s replayed", again.ID, replayed, err, created.ID)
	}
	got, err := b.Get(ctx, attache, created.ID)
	if err != nil || got.Version != 1 {
		t.Fatalf("copy B reads the lead: version %d, %v", got.Version, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		page, err := b.List(attache, app.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("copy B lists %d leads 10 s after copy A created one", page.Total)
		}
		time.Sleep(10 * time.Millisecond)
	}

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, copy := range []*app.Service{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = copy.Update(ctx, attache, created.ID, 1, func(d *domain.Details) { d.ExpectedJobs = 100 + i })
		}()
	}
	wg.Wait()
	var stored, conflicts int
	for _, err := range errs {
		var ae *apperr.Error
		switch {
		case err == nil:
			stored++
		case errors.As(err, &ae) && ae.Code == apperr.Conflict:
			conflicts++
		default:
			t.Errorf("update: %v", err)
		}
	}
	if stored != 1 || conflicts != 1 {
		t.Fatalf("two updates from version 1 through two copies: %d stored, %d conflicts; want 1 and 1", stored, conflicts)
	}
	final, err := a.Get(ctx, attache, created.ID)
	if err != nil || final.Version != 2 {
		t.Fatalf("the lead after the race: version %d, %v; want 2", final.Version, err)
	}
}
