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

// workNamespace derives the ids of tasks and notes on leads from Idempotency-Keys.
var workNamespace = uuid.MustParse("0f6c2a1e-4b7d-4e59-8c1a-7d3e2b9f5a17")

// Work opens the tasks and notes of leads (issue 17), in the folder views,
// following the LEADS stream until ctx ends: tasks are read by whoever may
// read the lead, notes and every write by the lead's post.
func (s *Service) Work(ctx context.Context, js jetstream.JetStream, views string, log *slog.Logger, assignees work.AssigneeCheck) (*work.Work, error) {
	return work.New(ctx, js, views, log, work.Config{
		Kind: events.WorkOnLead, Source: Source, Read: auth.ReadLeads, Write: auth.WriteLeads,
		Record: s.recordScope, Assignees: assignees, Namespace: workNamespace, Now: func() time.Time { return s.now() },
	})
}

// recordScope checks that u may take action a on the lead ref and returns
// its scope: what tasks, notes and documents on the lead are checked by.
func (s *Service) recordScope(ctx context.Context, u auth.User, a auth.Action, ref events.WorkRef) (string, error) {
	l, err := s.leads.Get(ctx, u, a, ref.ID)
	return "post:" + l.Post, err
}
