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

// documentsNamespace derives the ids of documents on decisions from Idempotency-Keys.
var documentsNamespace = uuid.MustParse("7f3a9d25-1c4b-4e68-b2a7-8d5c1e9f3b06")

// Documents opens the documents attached to decisions (issue 18: signed
// protocols, letters), in the folder views, following the COMMISSIONS
// stream until ctx ends: whoever may read the decision lists and downloads
// them, the commission's secretariat attaches and removes.
func (s *Service) Documents(ctx context.Context, js jetstream.JetStream, views string, log *slog.Logger) (*documents.Docs, error) {
	return documents.New(ctx, js, views, log, documents.Config{
		Kind: events.WorkOnDecision, Source: Source, Read: auth.ReadCommissions, Write: auth.WriteCommissions,
		Record:    s.recordScope,
		Namespace: documentsNamespace, Now: func() time.Time { return s.now() },
	})
}
