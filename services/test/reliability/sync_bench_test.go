package reliability

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/natsx"
	"econdip/services/platform/obs"
	"econdip/services/test/reliability/faultkit"
)

// BenchmarkPublishSync measures what JetStream's fsync setting costs the
// publishers, both settings in the same run: the server default (fsync every
// 2 minutes; a process crash loses nothing acknowledged, a machine crash may
// lose the last interval) against SyncAlways (fsync before every ack).
// "one" publishes as an API write does, one event at a time waiting for its
// ack; "async" keeps 256 in flight, as a bulk load or replay does.
func BenchmarkPublishSync(b *testing.B) {
	for _, sync := range []struct {
		name   string
		always bool
	}{{"default", false}, {"always", true}} {
		for _, mode := range []string{"one", "async"} {
			b.Run("sync="+sync.name+"/"+mode, func(b *testing.B) {
				srv, err := natsx.StartEmbedded(natsx.EmbeddedOptions{StoreDir: b.TempDir(), Port: -1, SyncAlways: sync.always})
				if err != nil {
					b.Fatal(err)
				}
				defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
				nc, js, err := natsx.Connect(context.Background(), srv.ClientURL(), "bench", obs.Discard())
				if err != nil {
					b.Fatal(err)
				}
				defer nc.Close()
				if err := events.EnsureStreams(context.Background(), js, events.StreamOptions{}); err != nil {
					b.Fatal(err)
				}
				g := faultkit.NewGenerator(1)
				subjects, envs := make([]string, b.N), make([]events.Envelope, b.N)
				for i := range b.N {
					subjects[i], envs[i] = g.Next()
				}
				ctx := context.Background()
				b.ResetTimer()
				start := time.Now()
				if mode == "one" {
					for i := range b.N {
						if _, err := events.Publish(ctx, js, subjects[i], envs[i], events.PublishOptions{}); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					ajs, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(512))
					if err != nil {
						b.Fatal(err)
					}
					p := faultkit.NewPublisher(ajs, 256)
					for i := range b.N {
						p.Publish(subjects[i], envs[i])
					}
					p.Close()
				}
				elapsed := time.Since(start)
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
				b.ReportMetric(float64(elapsed.Microseconds())/float64(b.N), "µs/event")
			})
		}
	}
}
