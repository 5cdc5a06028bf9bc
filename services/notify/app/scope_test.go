package app_test

import (
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"econdip/events"
	"econdip/services/notify/app"
	"econdip/services/notify/domain"
	"econdip/services/platform/kernel"
)

// publish stores one event on subject, as a service would.
func publish(t *testing.T, w world, subject string, ev events.Event) {
	t.Helper()
	env, err := events.New(events.Meta{Source: "econdip/test", Subject: subject, Actor: "admin", Scope: "all"}, ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := events.Publish(t.Context(), w.js, subject, env, events.PublishOptions{}); err != nil {
		t.Fatal(err)
	}
}

// rulesOf is each rule of a user's inbox, sorted.
func rulesOf(t *testing.T, svc *app.Service, user string) []string {
	t.Helper()
	list, err := svc.Inbox(t.Context(), user)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Rule+" "+e.Kind)
	}
	slices.Sort(out)
	return out
}

// Every rule reaches the people in its record's scope: the post's attachés
// for a lead, deal or barrier, the commission's secretariat for a decision,
// the assignee for a task; a muted record reaches no one who muted it; a
// rule left for the digest queues no e-mail.
func TestRemindersReachTheRecordsScope(t *testing.T) {
	w := newWorld(t)
	w.user(t, "attache.de-berlin", "attache", "de-berlin", "", "")
	w.user(t, "attache2.de-berlin", "attache", "de-berlin", "", "")
	w.user(t, "attache.cn-beijing", "attache", "cn-beijing", "", "")
	w.user(t, "sec.igc-cn", "secretariat", "", "igc-cn", "")
	w.overdueDecision(t)
	at := time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC)
	usd := kernel.Money{Amount: decimal.NewFromInt(1000), Currency: "USD"}
	publish(t, w, events.MustSubject(events.LeadSubject("lead-1")), &events.LeadCreatedV1{Lead: events.LeadV1{ID: "lead-1", Version: 1,
		Post: "de-berlin", Title: "Plant", Stage: "negotiating", Capex: usd, CreatedAt: at, UpdatedAt: at, StageChangedAt: at}})
	publish(t, w, events.MustSubject(events.DealSubject("deal-1")), &events.DealCreatedV1{Deal: events.DealV1{ID: "deal-1", Version: 1,
		Post: "de-berlin", ExporterBIN: "123456789012", ExporterName: "Exporter", HSCode: "100199", BuyerCountry: "DE", Value: usd,
		Stage: "contracted", ContractDate: "2026-01-01", CreatedAt: at, UpdatedAt: at, StageChangedAt: at}})
	publish(t, w, events.MustSubject(events.BarrierSubject("barrier-1")), &events.BarrierReportedV1{Barrier: events.BarrierV1{ID: "barrier-1", Version: 1,
		Post: "de-berlin", Country: "DE", Type: "sps", Title: "Wheat", Status: "reported", ReportedOn: "2026-01-01", CreatedAt: at, UpdatedAt: at}})
	task := func(ref events.WorkRef, id, scope, due, assignee string) {
		publish(t, w, events.MustSubject(events.WorkSubject(ref, events.WorkTask, id)), &events.TaskCreatedV1{Task: events.TaskV1{ID: id, Version: 1,
			WorkRef: ref, Scope: scope, Title: "Call " + id, Due: due, Assignee: assignee, CreatedBy: assignee, CreatedAt: at, UpdatedAt: at}})
	}
	task(events.WorkRef{Kind: events.WorkOnLead, ID: "lead-1"}, "task-1", "post:de-berlin", "2026-05-21", "attache.de-berlin")
	task(events.WorkRef{Kind: events.WorkOnDeal, ID: "deal-1"}, "task-2", "post:de-berlin", "2026-05-10", "attache2.de-berlin")

	// The users' choices come first: the notifier evaluates as soon as it starts.
	store, err := app.OpenStore(t.Context(), w.js)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Mute(t.Context(), "attache2.de-berlin", "deal", "deal-1", true); err != nil {
		t.Fatal(err)
	}
	if _, err := store.SetPrefs(t.Context(), "sec.igc-cn", app.Prefs{Email: "sec@example.org",
		Delivery: map[string]domain.Delivery{domain.DecisionOverdue: domain.EmailDigest}}); err != nil {
		t.Fatal(err)
	}
	svc, _ := start(t, w.js, app.Config{})
	svc.Evaluate(t.Context())
	for _, tc := range []struct {
		user string
		want []string
	}{
		{"attache.de-berlin", []string{"barrier.stale barrier", "deal.not_shipped deal", "lead.stale lead", "task.due_tomorrow task"}},
		{"attache2.de-berlin", []string{"barrier.stale barrier", "lead.stale lead", "task.overdue task"}},
		{"attache.cn-beijing", nil},
		{"sec.igc-cn", []string{domain.DecisionOverdue + " decision"}},
	} {
		if got := rulesOf(t, svc, tc.user); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.user, got, tc.want)
		}
	}
	// No address, or the digest chosen: nothing queued now.
	if !outboxEmpty(t, w.js) {
		t.Error("e-mails queued for users without an address or who chose the digest")
	}
	if d, err := svc.DigestEntries(t.Context(), "sec.igc-cn", time.Time{}); err != nil || len(d) != 1 || d[0].Rule != domain.DecisionOverdue {
		t.Errorf("the digest's entries: %+v, %v", d, err)
	}
}
