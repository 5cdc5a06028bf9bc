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

// workNamespace derives the ids of tasks and notes on deals and barriers from Idempotency-Keys.
var workNamespace = uuid.MustParse("6a1d3f0b-2c8e-4f7a-9b5d-1e4c7a2f8d36")

// Work opens the tasks and notes of deals and of barriers (issue 17), in
// the folder views, following the EXPORTS stream until ctx ends: tasks are
// read by whoever may read the record, notes and every write by its post.
func (s *Service) Work(ctx context.Context, js jetstream.JetStream, views string, log *slog.Logger, assignees work.AssigneeCheck) (deals, barriers *work.Work, err error) {
	cfg := func(kind string) work.Config {
		return work.Config{Kind: kind, Source: Source, Read: auth.ReadExports, Write: auth.WriteExports,
			Record: s.recordScope(kind), Assignees: assignees, Namespace: workNamespace, Now: func() time.Time { return s.now() }}
	}
	if deals, err = work.New(ctx, js, views, log, cfg(events.WorkOnDeal)); err != nil {
		return nil, nil, err
	}
	barriers, err = work.New(ctx, js, views, log, cfg(events.WorkOnBarrier))
	return deals, barriers, err
}

// recordScope is, for a deal or a barrier (kind), the check that u may take
// action a on the record ref, which returns its scope: what tasks, notes
// and documents on the record are checked by.
func (s *Service) recordScope(kind string) func(ctx context.Context, u auth.User, a auth.Action, ref events.WorkRef) (string, error) {
	return func(ctx context.Context, u auth.User, a auth.Action, ref events.WorkRef) (string, error) {
		if kind == events.WorkOnDeal {
			d, err := s.deals.Get(ctx, u, a, ref.ID)
			return "post:" + d.Post, err
		}
		b, err := s.barriers.Get(ctx, u, a, ref.ID)
		return "post:" + b.Post, err
	}
}
