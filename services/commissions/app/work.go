package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/auth"
	"econdip/services/platform/work"
)

// workNamespace derives the ids of tasks and notes on decisions from Idempotency-Keys.
var workNamespace = uuid.MustParse("3c9e5b2a-7d14-4a6f-8e3b-5f2d9c1a7b48")

// Work opens the tasks and notes of decisions (issue 17), in the folder
// views, following the COMMISSIONS stream until ctx ends: tasks are read by
// whoever may read the decision, notes and every write by the commission's
// secretariat.
func (s *Service) Work(ctx context.Context, js jetstream.JetStream, views string, log *slog.Logger, assignees work.AssigneeCheck) (*work.Work, error) {
	return work.New(ctx, js, views, log, work.Config{
		Kind: events.WorkOnDecision, Source: Source, Read: auth.ReadCommissions, Write: auth.WriteCommissions,
		Record: s.recordScope, Assignees: assignees, Namespace: workNamespace, Now: func() time.Time { return s.now() },
	})
}

// recordScope checks that u may take action a on the decision ref and
// returns its scope: what tasks, notes and documents on the decision are
// checked by.
func (s *Service) recordScope(ctx context.Context, u auth.User, a auth.Action, ref events.WorkRef) (string, error) {
	key, err := s.decisionKey(ctx, u, ref.CommissionID, ref.ID)
	if err != nil {
		return "", err
	}
	d, err := s.decisions.Get(ctx, u, a, key)
	return "commission:" + d.CommissionID, err
}
