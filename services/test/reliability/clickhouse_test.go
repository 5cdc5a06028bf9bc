package reliability

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/analytics"
	"econdip/analytics/chserver"
	"econdip/events"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/test/reliability/faultkit"
)

// TestClickHouseStoppedForThirtySecondsLosesAndDoublesNothing stops the
// ClickHouse server (a clean stop of the process, data kept) for 30 s in the
// middle of a load and starts it again on the same folder and ports:
// JetStream keeps accepting the writes, ingest retries every few seconds at
// most, and the backlog drains with every event once.
func TestClickHouseStoppedForThirtySecondsLosesAndDoublesNothing(t *testing.T) {
	const (
		n      = 120_000
		rate   = 2_000 // events a second: the load runs about a minute
		outage = 30 * time.Second
	)
	until := faultkit.Deadline(t, 3*time.Minute)
	ctx := context.Background()
	chDir := filepath.Join(t.TempDir(), "clickhouse")
	// Ports the server gets back when it starts again.
	tcpPort, httpPort := restartablePort(t), restartablePort(t)
	for httpPort == tcpPort {
		httpPort = restartablePort(t)
	}
	srv, err := chserver.Start(ctx, chserver.Options{Dir: chDir, TCPPort: tcpPort, HTTPPort: httpPort})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })

	ns := natstest.Start(t)
	const db = "econdip_outage"
	dir := t.TempDir()
	logPath := ingestLogIn(t, dir)
	env := append(ingestEnv(ns.ClientURL(), db, dir), "ECONDIP_CLICKHOUSE_ADDR="+srv.Addr) // the later value wins
	faultkit.Migrate(t, env, filepath.Join(dir, "migrate.log"))
	ing := faultkit.StartProc(t, "econdip ingest", logPath, env, "ingest")

	js, err := jetstream.New(ns.NC, jetstream.WithPublishAsyncMaxPending(2048), jetstream.WithPublishAsyncTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	g := faultkit.NewGenerator(11)
	pub := faultkit.NewPublisher(js, 1024)
	began := time.Now()
	loadDone := make(chan struct{})
	go func() { faultkit.RunLoad(ctx, g, pub, n, rate); pub.Close(); close(loadDone) }()

	time.Sleep(10 * time.Second)
	stopAt := time.Since(began)
	if err := srv.Stop(); err != nil {
		t.Fatalf("stop clickhouse: %v", err)
	}
	stopped := time.Now()
	ackedAtStop := pub.Published()
	atStop, _ := faultkit.IngestConsumers(ctx, ns.JS, events.ConsumerIngest)
	time.Sleep(outage - time.Since(stopped))
	ackedDuringOutage := pub.Published() - ackedAtStop
	atStart, _ := faultkit.IngestConsumers(ctx, ns.JS, events.ConsumerIngest)
	var redelivered int
	for _, st := range events.IngestStreams() {
		c, err := ns.JS.Consumer(ctx, st.Name, events.ConsumerIngest)
		if err != nil {
			t.Fatal(err)
		}
		info, err := c.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		redelivered += info.NumRedelivered // naked messages delivered again, at the restart
	}

	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	srv, err = chserver.Start(startCtx, chserver.Options{Dir: chDir, TCPPort: tcpPort, HTTPPort: httpPort})
	cancel()
	if err != nil {
		t.Fatalf("start clickhouse again on the same folder and ports: %v", err)
	}
	restartedAt := time.Since(began)
	down := time.Since(stopped)

	<-loadDone
	drain := faultkit.MustWaitDrained(t, ns.JS, events.ConsumerIngest, until, ing.Alive)
	total := time.Since(began)
	if err := ing.Stop(30 * time.Second); err != nil {
		t.Error(err)
	}

	// JetStream took writes while ClickHouse was down; ingest failed its
	// inserts and naked the batches with a delay capped at a few seconds.
	if ackedDuringOutage < int64(rate)*int64(outage/time.Second)/2 {
		t.Errorf("only %d events acknowledged during the %s outage", ackedDuringOutage, outage)
	}
	// Each stream logs its outage once and its end once, not every retry.
	log := faultkit.ReadFile(t, logPath)
	failures := strings.Count(log, "insert into clickhouse failed; retrying until it answers")
	recoveries := strings.Count(log, "inserts into clickhouse work again")
	var outages []string
	for _, m := range regexp.MustCompile(`inserts into clickhouse work again.*?outage=(\S+)`).FindAllStringSubmatch(log, -1) {
		outages = append(outages, m[1])
	}
	if redelivered == 0 {
		t.Error("no naked message was delivered again while ClickHouse was down")
	}
	if streams := len(events.IngestStreams()); failures == 0 || failures > streams || recoveries != failures {
		t.Errorf("ingest logged %d outages and %d recoveries; want one of each per stream that failed (at most %d)", failures, recoveries, streams)
	}
	conn, err := analytics.Open(ctx, analytics.Config{Addr: srv.Addr, Database: db, Username: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	res := faultkit.CheckExactlyOnce(t, faultkit.DB(conn), pub.Acked())
	faultkit.CheckStates(t, faultkit.DB(conn), g.Totals())
	t.Logf("%d events at %d/s; ClickHouse stopped at %.1fs, down %.1fs, started again at %.1fs; %d events acknowledged by JetStream while it was down; "+
		"backlog %d at the stop, %d at the restart; ingest logged %d outages, ended after %s, %d messages delivered again at the restart; drained %.1fs after the load ended; %.1fs in all",
		n, rate, stopAt.Seconds(), down.Seconds(), restartedAt.Seconds(), ackedDuringOutage, atStop.Backlog(), atStart.Backlog(),
		failures, strings.Join(outages, " "), redelivered, drain.Seconds(), total.Seconds())
	t.Logf("events table: count() %d, uniqExact(event_id) %d, count() FINAL %d", res.Rows, res.Unique, res.Final)
}
