package natsx_test

import (
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/natsx"
	"econdip/services/platform/natsx/natstest"
)

func TestProvisionedOnlyBindsToWhatExists(t *testing.T) {
	srv := natstest.Start(t) // creates econdip's streams
	js := natsx.Provisioned(srv.JS)
	ctx := t.Context()

	if err := events.EnsureStreams(ctx, js, events.StreamOptions{Replicas: 3}); err != nil {
		t.Errorf("existing streams: %v", err)
	}
	st, err := srv.JS.Stream(ctx, events.StreamLeads)
	if err != nil || st.CachedInfo().Config.Replicas != 1 {
		t.Errorf("a provisioned handle changed the stream: %v", err)
	}
	for _, tc := range []struct {
		name string
		cfg  jetstream.StreamConfig
		want string
	}{
		{"missing stream", jetstream.StreamConfig{Name: "NEW", Subjects: []string{"new.>"}}, "NEW does not exist: the administrator creates it"},
		{"subjects changed", jetstream.StreamConfig{Name: events.StreamLeads, Subjects: []string{"econdip.investors.>"}}, "this version expects [econdip.investors.>]"},
	} {
		if _, err := js.CreateOrUpdateStream(ctx, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := srv.JS.StreamNameBySubject(ctx, "new.x"); err == nil {
		t.Error("a provisioned handle created a stream")
	}

	if _, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: natsx.BucketSessions}); err == nil ||
		!strings.Contains(err.Error(), "bucket SESSIONS does not exist") {
		t.Errorf("missing bucket: %v", err)
	}
	if _, err := srv.JS.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: natsx.BucketSessions}); err != nil {
		t.Fatal(err)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: natsx.BucketSessions, History: 5})
	if err != nil {
		t.Fatalf("existing bucket: %v", err)
	}
	if st, _ := kv.Status(ctx); st.History() != 1 {
		t.Errorf("a provisioned handle changed the bucket: history %d", st.History())
	}
}
