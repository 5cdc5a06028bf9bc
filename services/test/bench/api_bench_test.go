package bench_test

// The API write path: POST /api/v1/leads (authentication, the access
// policy, the per-user write limit, strict decoding and validation, the
// durable publish to JetStream and the answer) under a closed-loop load of
// many keep-alive connections, against a bare Fiber handler answering the
// same requests, measured in the same run with the same load tool.
//
//	ECONDIP_BENCH_CONNS=16,64,256 ECONDIP_BENCH_DURATION=15s go test -run '^$' -bench APIWritePath -benchtime 1x -timeout 30m ./services/test/bench/

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/valyala/fasthttp"

	"econdip/events"
	"econdip/services/platform/natsx"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
	"econdip/services/test/bench"
	"econdip/services/tools/demo"
)

// request is one prepared write.
type request struct {
	token string
	body  []byte
}

// hammerResult is what a closed-loop load measured.
type hammerResult struct {
	ok, failed int
	statuses   map[int]int
	lat        []time.Duration // of the successful requests, sorted
	elapsed    time.Duration
}

func (r hammerResult) rate() float64 { return float64(r.ok) / r.elapsed.Seconds() }

func (r hammerResult) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))]
}

// hammer posts reqs round-robin to url from conns workers, each waiting for
// its answer before the next request (closed loop) over keep-alive
// connections, for d after a warm-up of warm.
func hammer(url string, reqs []request, conns int, warm, d time.Duration) hammerResult {
	client := &fasthttp.Client{MaxConnsPerHost: conns, MaxIdleConnDuration: time.Minute, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, NoDefaultUserAgentHeader: true}
	var (
		mu  sync.Mutex
		res = hammerResult{statuses: map[int]int{}}
		wg  sync.WaitGroup
	)
	start := time.Now()
	measureFrom, end := start.Add(warm), start.Add(warm+d)
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			var lat []time.Duration
			ok, failed, statuses := 0, 0, map[int]int{}
			for i := w; ; i += conns {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				r := reqs[i%len(reqs)]
				req.Reset()
				req.SetRequestURI(url)
				req.Header.SetMethod(fiber.MethodPost)
				req.Header.SetContentType(fiber.MIMEApplicationJSON)
				req.Header.Set(fiber.HeaderAuthorization, "Bearer "+r.token)
				req.SetBodyRaw(r.body)
				err := client.Do(req, resp)
				t1 := time.Now()
				if t0.Before(measureFrom) {
					continue
				}
				switch {
				case err != nil:
					failed++
					statuses[0]++
				case resp.StatusCode()/100 == 2:
					ok++
					lat = append(lat, t1.Sub(t0))
				default:
					failed++
					statuses[resp.StatusCode()]++
				}
			}
			mu.Lock()
			res.ok += ok
			res.failed += failed
			res.lat = append(res.lat, lat...)
			for k, v := range statuses {
				res.statuses[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(measureFrom)
	slices.Sort(res.lat)
	return res
}

// leadRequests are n lead creations, each with the token of its post's attaché.
func leadRequests(b *testing.B, tokens map[string]string, n int) []request {
	var out []request
	for _, l := range demo.Generate(99, n, reference.Default()) {
		raw, err := json.Marshal(l.Request)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, request{token: tokens["attache."+l.Post], body: raw})
	}
	return out
}

// fiberPublish serves POST /api/v1/leads as the least a durable write can
// do: a bare Fiber handler that publishes the request's body to a JetStream
// stream configured as LEADS (file storage, the same duplicate window, a
// message id) and answers 201 once the stream acknowledged it. No
// authentication, validation, read model or event encoding: the ceiling of
// any write path that answers 2xx only for an event in the log. Its NATS is
// a second embedded server as the stack starts it, so the leads service's
// server and read model see none of these messages.
func fiberPublish(b *testing.B) string {
	ctx := context.Background()
	srv, err := natsx.StartEmbedded(natsx.EmbeddedOptions{StoreDir: b.TempDir(), Port: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Shutdown)
	_, js, err := natsx.Connect(ctx, srv.ClientURL(), "bench-publish", obs.Discard())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "BENCH_PUBLISH", Subjects: []string{"bench.publish.>"},
		Storage: jetstream.FileStorage, Retention: jetstream.LimitsPolicy, Replicas: 1, Duplicates: 2 * time.Minute}); err != nil {
		b.Fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/api/v1/leads", func(c *fiber.Ctx) error {
		id := uuid.NewString()
		if _, err := js.Publish(c.UserContext(), "bench.publish."+id, c.Body(), jetstream.WithMsgID(id)); err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": id, "version": 1})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	b.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String() + "/api/v1/leads"
}

// bareFiber serves POST /api/v1/leads answering 201 and a small JSON, no more.
func bareFiber(b *testing.B) string {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/api/v1/leads", func(c *fiber.Ctx) error {
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": "8d4c1f5e-0f4a-4c8e-9d57-3c0e6c9a1b2f", "version": 1})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	b.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String() + "/api/v1/leads"
}

func BenchmarkAPIWritePath(b *testing.B) {
	fmt.Fprintf(os.Stderr, "machine: %s\n", bench.Machine())
	sys := startSystem(b, systemOptions{services: []string{"leads"}})
	reqs := leadRequests(b, sys.Tokens, 4096)
	targets := []struct{ name, url string }{
		{"bare-fiber", bareFiber(b)},
		{"fiber-publish", fiberPublish(b)},
		{"leads-create", "http://" + sys.LeadsAddr + "/api/v1/leads"},
	}
	d := envDuration("ECONDIP_BENCH_DURATION", 15*time.Second)
	for _, conns := range envInts("ECONDIP_BENCH_CONNS", []int{64}) {
		var bare, publish float64
		for _, tg := range targets {
			b.Run(fmt.Sprintf("%s/conns=%d", tg.name, conns), func(b *testing.B) {
				for range b.N {
					before := leadsStored(b, sys)
					cpu0, _ := bench.CPUTime(os.Getpid())
					r := hammer(tg.url, reqs, conns, 2*time.Second, d)
					cpu1, _ := bench.CPUTime(os.Getpid())
					if r.failed > 0 {
						b.Fatalf("%d requests failed: %v", r.failed, r.statuses)
					}
					switch {
					case tg.name == "bare-fiber":
						bare = r.rate()
					case tg.name == "fiber-publish":
						publish = r.rate()
					default:
						if stored := leadsStored(b, sys) - before; stored < uint64(r.ok) {
							b.Fatalf("%d leads created, %d events stored", r.ok, stored)
						}
					}
					b.ReportMetric(r.rate(), "writes/s")
					b.ReportMetric(float64(r.pct(0.50).Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(r.pct(0.99).Microseconds())/1000, "p99-ms")
					b.ReportMetric(float64(r.lat[len(r.lat)-1].Microseconds())/1000, "max-ms")
					// The machine's cores this process used (server, NATS and the load tool).
					cores := (cpu1 - cpu0).Seconds() / (r.elapsed + 2*time.Second).Seconds()
					b.ReportMetric(cores, "cores")
					// CPU per answered request, the steadier figure on a shared machine.
					b.ReportMetric(cores*r.elapsed.Seconds()*1e6/float64(r.ok), "cpu-us/req")
					if bare > 0 {
						b.ReportMetric(r.rate()/bare, "x-bare")
					}
					if publish > 0 && tg.name != "fiber-publish" {
						b.ReportMetric(r.rate()/publish, "x-publish")
					}
				}
			})
		}
	}
}

// leadsStored is the messages on the LEADS stream.
func leadsStored(b *testing.B, sys *system) uint64 {
	st, err := sys.JS.Stream(context.Background(), events.StreamLeads)
	if err != nil {
		b.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return info.State.Msgs
}
