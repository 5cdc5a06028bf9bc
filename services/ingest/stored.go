package ingest

import (
	"context"

	"econdip/analytics"
)

// dropStored takes out of l's events rows those the events table holds
// already, and any event twice in l, so a batch JetStream delivers again
// after its insert (a crash or a lost ack before the ack), or after part of
// it, adds no duplicate rows to the raw table. Only the events rows: the
// other tables are written after events (analytics.Write), so an event
// stored does not mean its projections are, and each is read with FINAL,
// which collapses a row written twice.
func (s *Service) dropStored(ctx context.Context, stream string, l *load) error {
	if s.noStoredCheck || len(l.rows.Events) == 0 {
		return nil
	}
	seen, err := analytics.StoredEvents(ctx, s.conn, l.rows.Events)
	if err != nil {
		return err
	}
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
