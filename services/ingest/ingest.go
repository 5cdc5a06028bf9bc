// Package ingest is the service that projects the JetStream log into
// ClickHouse: one durable pull consumer per stream, size- and time-bounded
// batches, each acknowledged only after ClickHouse accepted its insert.
// Delivery is at least once; every table collapses duplicates, so a
// redelivered event still counts once. A message that cannot be decoded goes
// to the dead-letter stream with the reason and is then acknowledged; an
// insert that fails is retried, never dropped.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/analytics"
	"econdip/events"
	"econdip/services/platform/obs"
)

// Config tunes batching.
type Config struct {
	BatchSize int           // most messages per insert; default 2000
	MaxWait   time.Duration // longest a message waits for its batch to fill; default 500 ms
	Consumer  string        // durable consumer name; default events.ConsumerIngest
}

// Service consumes the ingest streams into ClickHouse.
type Service struct {
	js   jetstream.JetStream
	conn driver.Conn
	log  *slog.Logger
	cfg  Config
}

// New returns an ingest service.
func New(js jetstream.JetStream, conn driver.Conn, log *slog.Logger, cfg Config) *Service {
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 2000
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = 500 * time.Millisecond
	}
	if cfg.Consumer == "" {
		cfg.Consumer = events.ConsumerIngest
	}
	return &Service{js: js, conn: conn, log: log.With("service", "ingest"), cfg: cfg}
}

// Dead-letter headers say where a message came from and why it was set aside.
const (
	HeaderDLQReason  = "Econdip-Dlq-Reason"
	HeaderDLQStream  = "Econdip-Dlq-Stream"
	HeaderDLQSubject = "Econdip-Dlq-Subject"
	HeaderDLQSeq     = "Econdip-Dlq-Seq"
)

// Run consumes until ctx ends, then finishes the batch in hand and returns.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(events.IngestStreams()))
	for _, st := range events.IngestStreams() {
		cons, err := s.js.CreateOrUpdateConsumer(ctx, st.Name, jetstream.ConsumerConfig{
			Durable:       s.cfg.Consumer,
			Description:   "projects " + st.Name + " into ClickHouse",
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       2 * time.Minute, // longer than a slow insert, so a batch is not redelivered while it is written
			MaxAckPending: 4 * s.cfg.BatchSize,
			DeliverPolicy: jetstream.DeliverAllPolicy,
		})
		if err != nil {
			return fmt.Errorf("consumer %s on %s: %w", s.cfg.Consumer, st.Name, err)
		}
		wg.Add(1)
		go func(stream string) {
			defer wg.Done()
			if err := s.consume(ctx, stream, cons); err != nil {
				errs <- err
			}
		}(st.Name)
	}
	s.log.Info("ingest running", "streams", len(events.IngestStreams()), "batch", s.cfg.BatchSize, "max_wait", s.cfg.MaxWait.String())
	wg.Wait()
	close(errs)
	return <-errs
}

func (s *Service) consume(ctx context.Context, stream string, cons jetstream.Consumer) error {
	log := s.log.With("stream", stream)
	backoff := time.Second
	for ctx.Err() == nil {
		batch, err := cons.Fetch(s.cfg.BatchSize, jetstream.FetchMaxWait(s.cfg.MaxWait))
		if err != nil {
			log.Warn("fetch failed; retrying", "err", err)
			sleep(ctx, backoff)
			continue
		}
		var msgs []jetstream.Msg
		for m := range batch.Messages() {
			msgs = append(msgs, m)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
			log.Warn("fetch ended with an error", "err", err, "received", len(msgs))
		}
		if len(msgs) == 0 {
			continue
		}
		// The batch in hand is finished even when ctx ends: that is the graceful flush.
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		err = s.handle(flushCtx, stream, msgs)
		cancel()
		if err != nil {
			obs.IngestFailures.WithLabelValues(stream).Inc()
			log.Error("insert into clickhouse failed; the batch will be redelivered", "messages", len(msgs), "err", err, "retry_in", backoff.String())
			for _, m := range msgs {
				_ = m.NakWithDelay(backoff)
			}
			sleep(ctx, backoff)
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = time.Second
	}
	return nil
}

// handle projects, inserts and acknowledges one batch. It returns an error
// only when the insert failed; nothing is acknowledged then.
func (s *Service) handle(ctx context.Context, stream string, msgs []jetstream.Msg) error {
	var rows analytics.Rows
	var poison []jetstream.Msg
	var reasons []string
	for _, m := range msgs {
		meta, err := m.Metadata()
		if err != nil {
			poison, reasons = append(poison, m), append(reasons, "no JetStream metadata: "+err.Error())
			continue
		}
		env, ev, err := events.Decode(m.Data())
		if err == nil {
			err = project(&rows, stream, meta.Sequence.Stream, env, ev)
		}
		if err != nil {
			poison, reasons = append(poison, m), append(reasons, err.Error())
		}
	}
	start := time.Now()
	if rows.Len() > 0 {
		if err := analytics.Write(ctx, s.conn, &rows); err != nil {
			return err
		}
	}
	obs.IngestBatchSeconds.Observe(time.Since(start).Seconds())
	for i, m := range poison {
		if err := s.deadLetter(ctx, stream, m, reasons[i]); err != nil {
			return err
		}
	}
	for _, m := range msgs {
		if err := m.Ack(); err != nil {
			// The insert is done; a lost ack only means a harmless redelivery.
			s.log.Warn("ack failed; the message will be redelivered and collapse in ClickHouse", "err", err)
		}
	}
	obs.EventsIngested.WithLabelValues(stream).Add(float64(len(msgs) - len(poison)))
	return nil
}

// deadLetter stores a message that cannot be projected on the dead-letter
// stream with the reason, under a message id that makes a repeat a no-op.
func (s *Service) deadLetter(ctx context.Context, stream string, m jetstream.Msg, reason string) error {
	seq := "unknown"
	if meta, err := m.Metadata(); err == nil {
		seq = strconv.FormatUint(meta.Sequence.Stream, 10)
	}
	dl := nats.NewMsg(events.DeadLetterPrefix + stream)
	dl.Data = m.Data()
	dl.Header.Set(HeaderDLQReason, truncate(reason, 1000))
	dl.Header.Set(HeaderDLQStream, stream)
	dl.Header.Set(HeaderDLQSubject, m.Subject())
	dl.Header.Set(HeaderDLQSeq, seq)
	if _, err := s.js.PublishMsg(ctx, dl, jetstream.WithMsgID("dlq-"+stream+"-"+seq)); err != nil {
		return fmt.Errorf("dead-letter message %s of %s: %w", seq, stream, err)
	}
	obs.EventsDeadLettered.WithLabelValues(stream, "decode").Inc()
	s.log.Warn("message moved to the dead-letter stream", "stream", stream, "seq", seq, "reason", truncate(reason, 200))
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
