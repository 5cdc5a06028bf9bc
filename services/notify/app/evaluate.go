package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/notify/domain"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/kernel"
)

// reminder is one reminder due: the rule, the record and the period, and
// who receives it.
type reminder struct {
	due   domain.Due
	entry Entry    // without the per-user fields
	to    []string // user ids
}

// reminderID is the reminder's dedup key: (rule, record, period) hashed.
func reminderID(rule, kind, record, period string) string {
	h := sha256.Sum256([]byte(rule + "\x00" + kind + "\x00" + record + "\x00" + period))
	return hex.EncodeToString(h[:16])
}

// recipients indexes the active users by scope.
type recipients struct {
	byScope map[string][]string
	byID    map[string]events.UserV1
}

func (s *Service) recipients() (recipients, error) {
	all, err := s.users.Select(eventstore.Query[events.UserV1]{})
	if err != nil {
		return recipients{}, err
	}
	r := recipients{byScope: map[string][]string{}, byID: map[string]events.UserV1{}}
	for _, rec := range all {
		u := rec.State
		if u.Disabled {
			continue
		}
		r.byID[u.ID] = u
		if sc := userScope(u); sc != "" {
			r.byScope[sc] = append(r.byScope[sc], u.ID)
		}
	}
	return r, nil
}

// evaluateRules finds every reminder due today and delivers it; it returns
// how many inbox entries it created.
func (s *Service) evaluateRules(ctx context.Context) (int, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return 0, err
	}
	who, err := s.recipients()
	if err != nil {
		return 0, err
	}
	rems, err := s.dueReminders(set, who, s.today())
	if err != nil {
		return 0, err
	}
	prefs := map[string]Prefs{}
	n := 0
	var errs []error
	for _, r := range rems {
		for _, uid := range r.to {
			u, ok := who.byID[uid]
			if !ok {
				continue // a task's assignee whose account is gone or disabled
			}
			p, ok := prefs[uid]
			if !ok {
				if p, err = s.PrefsOf(ctx, uid); err != nil {
					return n, err
				}
				prefs[uid] = p
			}
			created, err := s.deliver(ctx, u, p, r.entry)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if created {
				n++
				metricReminders.WithLabelValues(r.entry.Rule).Inc()
			}
		}
	}
	return n, errors.Join(errs...)
}

// dueReminders applies the rules to the records in the read models.
func (s *Service) dueReminders(set domain.Settings, who recipients, today kernel.Day) ([]reminder, error) {
	var out []reminder
	add := func(d domain.Due, kind, id, cid, title, link string, to []string) {
		out = append(out, reminder{due: d, to: to, entry: Entry{
			ID: reminderID(d.Rule, kind, cid+"/"+id, d.Period), Rule: d.Rule, Kind: kind, RecordID: id, CommissionID: cid,
			Title: title, Day: d.Day.String(), Link: link}})
	}
	leads, err := s.leads.Select(eventstore.Query[events.LeadV1]{})
	if err != nil {
		return nil, err
	}
	for _, rec := range leads {
		l := rec.State
		since := kernel.DayOrZero(l.StageEffectiveOn)
		if since.IsZero() {
			since = kernel.AstanaDay(l.StageChangedAt)
		}
		if d, ok := domain.LeadDue(set, domain.LeadFacts{Stage: l.Stage, Since: since}, today); ok {
			add(d, "lead", l.ID, "", l.Title, "/attache/leads/"+url.PathEscape(l.ID), who.byScope["post:"+l.Post])
		}
	}
	for _, status := range []string{"open", "in_progress"} {
		decisions, err := s.decisions.Select(eventstore.Query[events.DecisionV1]{Match: map[string]string{"status": status}})
		if err != nil {
			return nil, err
		}
		for _, rec := range decisions {
			d := rec.State
			for _, due := range domain.DecisionDue(set, domain.DecisionFacts{Status: d.Status, Deadline: kernel.DayOrZero(d.Deadline)}, today) {
				add(due, "decision", d.ID, d.CommissionID, decisionTitle(d), "/secretariat/decisions/"+url.PathEscape(d.ID)+"?commission="+url.QueryEscape(d.CommissionID),
					who.byScope["commission:"+d.CommissionID])
			}
		}
	}
	deals, err := s.deals.Select(eventstore.Query[events.DealV1]{Match: map[string]string{"stage": "contracted"}})
	if err != nil {
		return nil, err
	}
	for _, rec := range deals {
		dl := rec.State
		if d, ok := domain.DealDue(set, domain.DealFacts{Stage: dl.Stage, Contract: kernel.DayOrZero(dl.ContractDate)}, today); ok {
			add(d, "deal", dl.ID, "", dl.ExporterName+" → "+dl.BuyerCountry, "/attache/deals/"+url.PathEscape(dl.ID), who.byScope["post:"+dl.Post])
		}
	}
	barriers, err := s.barriers.Select(eventstore.Query[events.BarrierV1]{Keep: func(b events.BarrierV1) bool {
		return b.Status != "resolved" && b.Status != "dormant"
	}})
	if err != nil {
		return nil, err
	}
	for _, rec := range barriers {
		b := rec.State
		last := kernel.DayOrZero(b.ReportedOn)
		for _, p := range b.Progress {
			if day := kernel.DayOrZero(p.On); day.After(last) {
				last = day
			}
		}
		if d, ok := domain.BarrierDue(set, domain.BarrierFacts{Status: b.Status, LastProgress: last}, today); ok {
			add(d, "barrier", b.ID, "", b.Title, "/attache/barriers/"+url.PathEscape(b.ID), who.byScope["post:"+b.Post])
		}
	}
	for _, v := range s.tasks {
		tasks, err := v.Select(eventstore.Query[events.TaskV1]{Match: map[string]string{"done": "false"}})
		if err != nil {
			return nil, err
		}
		for _, rec := range tasks {
			t := rec.State
			for _, due := range domain.TaskDue(domain.TaskFacts{Done: t.Done, Due: kernel.DayOrZero(t.Due)}, today) {
				add(due, "task", t.ID, t.CommissionID, t.Title, recordLink(t.WorkRef), []string{t.Assignee})
			}
		}
	}
	return out, nil
}

func decisionTitle(d events.DecisionV1) string {
	t := d.Text
	if r := []rune(t); len(r) > 120 {
		t = string(r[:119]) + "…"
	}
	return strings.TrimSpace(d.Item + " " + t)
}

// recordLink is the dashboard page of the record a task is about.
func recordLink(r events.WorkRef) string {
	id := url.PathEscape(r.ID)
	switch r.Kind {
	case events.WorkOnLead:
		return "/attache/leads/" + id
	case events.WorkOnDeal:
		return "/attache/deals/" + id
	case events.WorkOnBarrier:
		return "/attache/barriers/" + id
	case events.WorkOnDecision:
		return "/secretariat/decisions/" + id + "?commission=" + url.QueryEscape(r.CommissionID)
	}
	return "/"
}

// deliver puts a reminder in a user's inbox, once: the entry's key is
// created only if absent, so a restart or a second instance finds it and
// does nothing. When the user wants it e-mailed at once, the e-mail is
// queued after the entry is created and the entry marked queued; an
// evaluation that finds an entry still pending (the instance stopped in
// between) queues it again, and the outbox's message id and sent markers
// make the e-mail go once. It reports whether it created the entry.
func (s *Service) deliver(ctx context.Context, u events.UserV1, p Prefs, e Entry) (bool, error) {
	if slices.Contains(p.Muted, e.RecordKey()) {
		return false, nil
	}
	switch p.DeliveryOf(e.Rule) {
	case domain.EmailNow:
		if p.Email != "" {
			e.Mail = mailPending
		}
	case domain.EmailDigest:
		e.Mail = mailDigest
	}
	e.CreatedAt = s.cfg.Now().UTC()
	key := inboxKey(u.ID, e.ID)
	b, _ := json.Marshal(e)
	_, err := s.inbox.Create(ctx, key, b)
	created := err == nil
	if err != nil && !isExists(err) {
		return false, unavailable(err)
	}
	if !created {
		kve, err := s.inbox.Get(ctx, key)
		if err != nil {
			return false, unavailable(err)
		}
		if err := json.Unmarshal(kve.Value(), &e); err != nil {
			return false, fmt.Errorf("inbox entry %s: %w", key, err)
		}
	}
	if e.Mail != mailPending {
		return created, nil
	}
	if p.Email == "" {
		return created, s.updateEntry(ctx, u.ID, e.ID, func(x *Entry) { x.Mail = "" })
	}
	if err := s.enqueue(ctx, s.reminderMail(u, p.Email, e)); err != nil {
		return created, err
	}
	return created, s.updateEntry(ctx, u.ID, e.ID, func(x *Entry) { x.Mail = mailQueued })
}

// enqueue stores an e-mail in the outbox, with its id as the message id.
func (s *Service) enqueue(ctx context.Context, m Mail) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := s.js.Publish(ctx, SubjectOutbox, b, jetstream.WithMsgID(m.ID)); err != nil {
		return fmt.Errorf("queue e-mail %s: %w", m.ID, err)
	}
	return nil
}
