// Package obs holds logging and metrics setup shared by the services:
// structured logs with log/slog, metrics in Prometheus format.
package obs

import (
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewLogger returns a JSON logger (format "json") or a text logger at the given level.
func NewLogger(w io.Writer, format, level string) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if strings.EqualFold(format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Discard is a logger that drops everything, for tests that do not read logs.
func Discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Stderr is the default text logger at info level.
func Stderr() *slog.Logger { return NewLogger(os.Stderr, "text", "info") }

// Metrics shared by every service. Labels stay low-cardinality (route patterns, not paths).
var (
	HTTPRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "econdip_http_requests_total", Help: "HTTP requests by service, method, route and status.",
	}, []string{"service", "method", "route", "status"})
	HTTPDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "econdip_http_request_seconds", Help: "HTTP request latency by service, method and route.",
		Buckets: prometheus.DefBuckets,
	}, []string{"service", "method", "route"})
	HTTPRateLimited = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "econdip_http_rate_limited_total", Help: "Requests refused with 429 because the caller wrote too fast, by service.",
	}, []string{"service"})
	HTTPPanics = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "econdip_http_panics_total", Help: "Handler panics recovered into a 500 (the stack is in the log), by service.",
	}, []string{"service"})
	EventsPublished = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "econdip_events_published_total", Help: "Events acknowledged by JetStream, by type.",
	}, []string{"type"})
	EventsIngested = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "econdip_events_ingested_total", Help: "Events inserted into ClickHouse and acknowledged, by stream.",
	}, []string{"stream"})
	EventsDeadLettered = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "econdip_events_dead_lettered_total", Help: "Messages moved to the dead-letter stream, by stream and reason.",
	}, []string{"stream", "reason"})
	IngestBatchSeconds = promauto.NewHistogram(prometheus.HistogramOpts{
		Name: "econdip_ingest_batch_seconds", Help: "Time to insert one batch into ClickHouse.",
		Buckets: prometheus.DefBuckets,
	})
	IngestFailures = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "econdip_ingest_insert_failures_total", Help: "Failed ClickHouse inserts (the batch is retried).",
	}, []string{"stream"})
	IngestConsumerLag = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "econdip_ingest_consumer_lag_messages",
		Help: "Messages on the stream the ingest consumer had not received after its last batch (JetStream's pending count), by stream.",
	}, []string{"stream"})
	IngestBatchMessages = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "econdip_ingest_batch_messages", Help: "Messages in each batch ingest fetched, by stream.",
		Buckets: []float64{1, 10, 50, 100, 250, 500, 1000, 2000, 5000},
	}, []string{"stream"})
	IngestUnplacedEvents = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "econdip_ingest_unplaced_events_total",
		Help: "Events left out of a family of aggregates because the event they followed is unknown (published without Nats-Expected-Last-Subject-Sequence), by aggregates.",
	}, []string{"aggregates"})
	IngestEventAge = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "econdip_ingest_event_age_seconds",
		Help:    "Time from an event's envelope time to its insert into ClickHouse: how stale the figures are, by stream.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600},
	}, []string{"stream"})
)

// MetricsHandler serves the default Prometheus registry on a Fiber route.
func MetricsHandler() fiber.Handler { return adaptor.HTTPHandler(promhttp.Handler()) }
