package natsx

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
)

// Provisioned wraps js for a service whose streams and key-value buckets
// the administrator creates (the admin tool, at deploy time): its calls that
// would create or update a stream or bucket only look it up, which needs no
// more than $JS.API.STREAM.INFO.<name>. So code written to set up what it
// uses (identity.New creates its buckets) runs unchanged under a user that
// may not change JetStream's configuration.
//
// A stream that is missing, or whose subjects differ from the ones asked
// for, is an error that says to run the setup: configuration drift is the
// administrator's to fix, not a service's.
func Provisioned(js jetstream.JetStream) jetstream.JetStream { return provisioned{js} }

type provisioned struct{ jetstream.JetStream }

func (p provisioned) CreateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	return p.bindStream(ctx, cfg)
}

func (p provisioned) UpdateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	return p.bindStream(ctx, cfg)
}

func (p provisioned) CreateOrUpdateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	return p.bindStream(ctx, cfg)
}

func (p provisioned) bindStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	st, err := p.Stream(ctx, cfg.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("stream %s does not exist: the administrator creates it with the admin tool (deploy/README.md): %w", cfg.Name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", cfg.Name, err)
	}
	if have := st.CachedInfo().Config.Subjects; len(cfg.Subjects) > 0 && !sameSet(have, cfg.Subjects) {
		return nil, fmt.Errorf("stream %s has subjects %v, this version expects %v: the administrator updates it with the admin tool (deploy/README.md)", cfg.Name, have, cfg.Subjects)
	}
	return st, nil
}

func (p provisioned) CreateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	return p.bindKV(ctx, cfg)
}

func (p provisioned) UpdateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	return p.bindKV(ctx, cfg)
}

func (p provisioned) CreateOrUpdateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	return p.bindKV(ctx, cfg)
}

func (p provisioned) bindKV(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := p.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("key-value bucket %s does not exist: the administrator creates it with the admin tool (deploy/README.md): %w", cfg.Bucket, err)
	}
	if err != nil {
		return nil, fmt.Errorf("key-value bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
