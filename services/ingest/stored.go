package ingest

import (
	"context"

	"github.com/google/uuid"

	"econdip/analytics"
)

// dropStored takes out of l's events rows those the events table holds
// already (the answer of askStored), and any event twice in l, so a batch
// JetStream delivers again after its insert (a crash or a lost ack before
// the ack), or after part of it, adds no duplicate rows to the raw table. Only the events rows: the
// other tables are written after events (analytics.Write), so an event
// stored does not mean its projections are, and each is read with FINAL,
// which collapses a row written twice.
func (s *Service) dropStored(stream string, l *load, asked <-chan storedEvents) error {
	answer := <-asked
	if answer.err != nil || answer.seen == nil {
		return answer.err
	}
	seen := answer.seen
	kept := l.rows.Events[:0]
	for _, e := range l.rows.Events {
		if _, ok := seen[e.EventID]; ok {
			continue
		}
		seen[e.EventID] = struct{}{}
		kept = append(kept, e)
	}
	if n := len(l.rows.Events) - len(kept); n > 0 {
		s.log.Info("events of the batch stored already (delivered again); inserting the rest", "stream", stream, "stored", n, "inserting", len(kept))
	}
	l.rows.Events = kept
	return nil
}

// storedEvents is the answer to which events of a load the events table
// holds: seen nil when nothing was asked.
type storedEvents struct {
	seen map[uuid.UUID]struct{}
	err  error
}

// askStored asks ClickHouse which of l's events the events table holds,
// while the caller writes the families' ledgers: the query only reads l's
// events rows, which nothing changes before dropStored takes its answer,
// and it is one round trip less in the load's write (freshness).
func (s *Service) askStored(ctx context.Context, l *load) <-chan storedEvents {
	out := make(chan storedEvents, 1)
	if s.noStoredCheck || len(l.rows.Events) == 0 {
		out <- storedEvents{}
		return out
	}
	go func() {
		seen, err := analytics.StoredEvents(ctx, s.conn, l.rows.Events)
		out <- storedEvents{seen, err}
	}()
	return out
}
