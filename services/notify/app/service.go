// Package app is the notifier: it follows the records of LEADS, EXPORTS and
// COMMISSIONS (and their tasks) and the accounts of USERS in persisted read
// models, evaluates the reminder rules (services/notify/domain) in the one
// instance that holds the lease, puts each reminder in the inboxes of the
// people in the record's scope and queues its e-mail, sends the outbox
// through SMTP in every instance, and schedules the weekly digest.
package app

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/notify/domain"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
	"econdip/services/platform/natsx"
)

// DigestBuilder makes one user's weekly digest for the week starting on
// weekStart (a Monday, Astana), in lang: the e-mail's subject and HTML
// body and a PDF attachment (nil: none). An error leaves the digest unsent
// and retried at the next evaluation.
type DigestBuilder func(ctx context.Context, user events.UserV1, weekStart kernel.Day, lang i18n.Lang) (subject, html string, pdf []byte, err error)

// Config tunes the notifier; zero values take the defaults.
type Config struct {
	// Instance names this instance in the lease (default: random).
	Instance string
	// LeaseTTL is the lease's TTL; it must equal the TTL Setup gave the
	// lease bucket (default DefaultLeaseTTL).
	LeaseTTL time.Duration
	// Every is how often the lease holder evaluates the rules and the
	// digest schedule (default 1 min).
	Every time.Duration
	// Backoff is the first delay before a failed e-mail is tried again; it
	// doubles at each failure up to MaxBackoff (defaults 10 s and 15 min).
	Backoff, MaxBackoff time.Duration
	// SMTP is the mail server; Host empty: e-mails wait in the outbox.
	SMTP SMTPConfig
	// Digest builds the weekly digest; nil: no digest is scheduled.
	Digest DigestBuilder
	// BaseURL is the dashboard's address, for links in e-mails.
	BaseURL string
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Service is one notifier instance.
type Service struct {
	cfg   Config
	js    jetstream.JetStream
	log   *slog.Logger
	lease *natsx.Lease

	*Store
	sent, digests jetstream.KeyValue

	users     *eventstore.View[events.UserV1]
	leads     *eventstore.View[events.LeadV1]
	decisions *eventstore.View[events.DecisionV1]
	deals     *eventstore.View[events.DealV1]
	barriers  *eventstore.View[events.BarrierV1]
	tasks     []*eventstore.View[events.TaskV1]

	evalMu sync.Mutex // one evaluation at a time in this instance
	done   chan struct{}
}

// New opens the notifier's buckets (made by Setup) and read models (in
// views; empty: temporary) and starts it: the sender at once, the
// evaluator whenever this instance holds the lease. It stops when ctx ends
// (Done is then closed).
func New(ctx context.Context, js jetstream.JetStream, cfg Config, log *slog.Logger, views string) (*Service, error) {
	cfg.Instance = cmp.Or(cfg.Instance, randomID())
	cfg.LeaseTTL = cmp.Or(cfg.LeaseTTL, DefaultLeaseTTL)
	cfg.Every = cmp.Or(cfg.Every, time.Minute)
	cfg.Backoff = cmp.Or(cfg.Backoff, 10*time.Second)
	cfg.MaxBackoff = cmp.Or(cfg.MaxBackoff, 15*time.Minute)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg, js: js, log: log.With("service", "notify"), done: make(chan struct{})}
	for _, b := range []struct {
		kv   *jetstream.KeyValue
		name string
	}{{&s.sent, BucketSent}, {&s.digests, BucketDigests}} {
		kv, err := js.KeyValue(ctx, b.name)
		if err != nil {
			return nil, fmt.Errorf("notifier bucket %s (run `econdip migrate`): %w", b.name, err)
		}
		*b.kv = kv
	}
	store, err := OpenStore(ctx, js)
	if err != nil {
		return nil, err
	}
	s.Store = store
	leaseKV, err := js.KeyValue(ctx, BucketLease)
	if err != nil {
		return nil, fmt.Errorf("notifier bucket %s (run `econdip migrate`): %w", BucketLease, err)
	}
	s.lease = natsx.NewLease(leaseKV, keyLease, cfg.Instance, cfg.LeaseTTL, s.log, "the notifier's evaluator (reminders and digests)",
		func(held bool) {
			if held {
				metricLeader.Set(1)
			} else {
				metricLeader.Set(0)
			}
		})
	if err := s.follow(ctx, views); err != nil {
		return nil, err
	}
	sender, err := s.startSender(ctx)
	if err != nil {
		return nil, err
	}
	go func() {
		defer close(s.done)
		s.runLease(ctx)
		sender.Stop()
		<-sender.Closed()
		for _, c := range s.closers() {
			<-c
		}
	}()
	return s, nil
}

// Done is closed once the service has stopped (its context ended).
func (s *Service) Done() <-chan struct{} { return s.done }

// closers are the read models' Closed channels.
func (s *Service) closers() []<-chan struct{} {
	out := []<-chan struct{}{s.users.Closed(), s.leads.Closed(), s.decisions.Closed(), s.deals.Closed(), s.barriers.Closed()}
	for _, t := range s.tasks {
		out = append(out, t.Closed())
	}
	return out
}

// Leader reports whether this instance holds the lease.
func (s *Service) Leader() bool { return s.lease.Held() }

// Ready is nil once every read model has caught up with the log.
func (s *Service) Ready(ctx context.Context) error {
	if err := s.users.Ready(ctx); err != nil {
		return err
	}
	for _, err := range []error{s.leads.Ready(ctx), s.decisions.Ready(ctx), s.deals.Ready(ctx), s.barriers.Ready(ctx)} {
		if err != nil {
			return err
		}
	}
	for _, t := range s.tasks {
		if err := t.Ready(ctx); err != nil {
			return err
		}
	}
	return nil
}

// runLease takes and renews the lease, and evaluates while it holds it.
func (s *Service) runLease(ctx context.Context) {
	defer s.lease.Release()
	renew := time.NewTicker(s.cfg.LeaseTTL / 3)
	defer renew.Stop()
	eval := time.NewTicker(s.cfg.Every)
	defer eval.Stop()
	if s.lease.Try(ctx) {
		s.Evaluate(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-renew.C:
			was := s.lease.Held()
			if s.lease.Try(ctx) && !was {
				s.Evaluate(ctx) // a new holder catches up at once
			}
		case <-eval.C:
			if s.lease.Held() {
				s.Evaluate(ctx)
			}
		}
	}
}

// Evaluate runs the reminder rules and the digest schedule once, now. Only
// the lease holder calls it on its own; a call elsewhere is harmless (the
// create-only keys fire each reminder and digest once).
func (s *Service) Evaluate(ctx context.Context) {
	s.evalMu.Lock()
	defer s.evalMu.Unlock()
	started := time.Now()
	n, err := s.evaluateRules(ctx)
	if err != nil {
		s.log.Warn("reminder rules not evaluated; tried again at the next tick", "error", err)
	}
	d, err := s.scheduleDigests(ctx)
	if err != nil {
		s.log.Warn("weekly digests not all queued; tried again at the next tick", "error", err)
	}
	if n > 0 || d > 0 {
		s.log.Info("notifier evaluated", "reminders", n, "digests", d, "seconds", time.Since(started).Seconds())
	}
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// today is the Astana day now.
func (s *Service) today() kernel.Day { return kernel.Today(s.cfg.Now()) }

// Rules returns the rule table with the parameters in force.
func (s *Store) Rules(ctx context.Context) ([]RuleInForce, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]RuleInForce, 0, len(domain.Rules))
	for _, r := range domain.Rules {
		out = append(out, RuleInForce{ID: r.ID, Kind: r.Kind, Description: r.Description, Defaults: r.Defaults,
			Params: set.Of(r.ID), Delivery: r.Delivery})
	}
	return out, nil
}

// RuleInForce is a rule with its defaults and the parameters in force.
type RuleInForce struct {
	ID          string          `json:"id"`
	Kind        string          `json:"kind"`
	Description string          `json:"description"`
	Defaults    domain.Params   `json:"defaults"`
	Params      domain.Params   `json:"params"`
	Delivery    domain.Delivery `json:"default_delivery"`
}
