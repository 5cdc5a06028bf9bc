package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/services/notify/domain"
)

// scheduleDigests queues the latest weekly digest (Monday 09:00 Astana) of
// every active user with an e-mail address who has not had it: the
// (user, week) marker in BucketDigests is written after the e-mail is
// queued, so a stop in between queues it again, and the outbox's message
// id (and sent marker) make it go once. A digest missed while the notifier
// was down is the latest week's, sent once when it is back.
func (s *Service) scheduleDigests(ctx context.Context) (int, error) {
	if s.cfg.Digest == nil {
		return 0, nil
	}
	week := domain.LatestDigest(s.cfg.Now())
	who, err := s.recipients()
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, u := range who.byID {
		key := userKey(u.ID) + "." + week.String()
		if _, err := s.digests.Get(ctx, key); err == nil {
			continue
		} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return n, unavailable(err)
		}
		p, err := s.PrefsOf(ctx, u.ID)
		if err != nil {
			return n, err
		}
		if p.Email == "" {
			continue
		}
		subject, html, pdf, err := s.cfg.Digest(ctx, u, week, langOf(u))
		if err != nil {
			errs = append(errs, fmt.Errorf("digest of %s for %s: %w", u.ID, week, err))
			continue
		}
		m := Mail{ID: "d." + key, To: p.Email, Subject: subject, HTML: html, Text: subject}
		if pdf != nil {
			m.Attachment = &Attachment{Name: "digest-" + week.String() + ".pdf", Type: "application/pdf", Data: pdf}
		}
		if err := s.enqueue(ctx, m); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := s.digests.Create(ctx, key, []byte(m.ID)); err != nil && !isExists(err) {
			errs = append(errs, unavailable(err))
			continue
		}
		n++
		metricDigests.Inc()
	}
	return n, errors.Join(errs...)
}
