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

// documentsNamespace derives the ids of documents on leads from Idempotency-Keys.
var documentsNamespace = uuid.MustParse("9b2e4c71-5a3d-4f86-8e1b-2c7d9a4f6e53")

// Documents opens the documents attached to leads (issue 18), in the
// folder views, following the LEADS stream until ctx ends: whoever may read
// the lead lists and downloads them, the lead's post attaches and removes.
func (s *Service) Documents(ctx context.Context, js jetstream.JetStream, views string, log *slog.Logger) (*documents.Docs, error) {
	return documents.New(ctx, js, views, log, documents.Config{
		Kind: events.WorkOnLead, Source: Source, Read: auth.ReadLeads, Write: auth.WriteLeads,
		Record:    s.recordScope,
		Namespace: documentsNamespace, Now: func() time.Time { return s.now() },
	})
}
