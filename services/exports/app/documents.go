package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/auth"
	"econdip/services/platform/documents"
)

// documentsNamespace derives the ids of documents on deals and barriers from Idempotency-Keys.
var documentsNamespace = uuid.MustParse("4d8a1f3c-6b2e-4a97-9c5d-7e1f3b8a2c64")

// Documents opens the documents attached to deals and to barriers (issue
// 18), in the folder views, following the EXPORTS stream until ctx ends:
// whoever may read the record lists and downloads them, its post attaches
// and removes.
func (s *Service) Documents(ctx context.Context, js jetstream.JetStream, views string, log *slog.Logger) (deals, barriers *documents.Docs, err error) {
	cfg := func(kind string) documents.Config {
		return documents.Config{Kind: kind, Source: Source, Read: auth.ReadExports, Write: auth.WriteExports,
			Record: s.recordScope(kind), Namespace: documentsNamespace, Now: func() time.Time { return s.now() }}
	}
	if deals, err = documents.New(ctx, js, views, log, cfg(events.WorkOnDeal)); err != nil {
		return nil, nil, err
	}
	barriers, err = documents.New(ctx, js, views, log, cfg(events.WorkOnBarrier))
	return deals, barriers, err
}
