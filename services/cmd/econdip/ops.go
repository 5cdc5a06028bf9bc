package main

// Operations commands: the dead letters (list, redrive), a rebuild of
// ClickHouse from the streams, and a NATS server of its own (the local
// default's embedded server as a separate process, which the reliability
// tests kill and restart).

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/analytics"
	"econdip/events"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/ingest"
	"econdip/services/platform/deadletter"
	"econdip/services/platform/kernel"
	"econdip/services/platform/natsx"
)

// opsUsage is the operations commands' part of `econdip help`.
const opsUsage = `  deadletter list [--stream S] [--json]
             the messages ingest set aside: dead-letter seq, time, the stream,
             subject and seq they came from, the reason, their first bytes
  deadletter redrive (--seq N | --all) [--dry-run]
             send dead letters back to their original subject once their
             cause is fixed (e.g. an ingest that knows their type), and
             remove them from DEADLETTER; one that this version still cannot
             project, or that a later event of its record has overtaken, is
             left where it is, with the reason
  rebuild [--into DB] [--drop | --resume]
             replay the streams into a fresh ClickHouse database (default
             ECONDIP_CLICKHOUSE_DATABASE): migrations, reference files, then
             a consumer of its own from sequence 1 until caught up
  nats [--store DIR] [--port N] [--sync always|INTERVAL]
             run the embedded NATS server (JetStream on file storage) alone`

// runDeadLetter is `econdip deadletter list|redrive`.
func runDeadLetter(ctx context.Context, sys *stack.Stack, args []string) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "redrive") {
		return fmt.Errorf("usage: econdip deadletter list|redrive ...\n%s", opsUsage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("econdip deadletter "+sub, flag.ContinueOnError)
	stream := fs.String("stream", "", "list: only the dead letters of this stream (LEADS, COMMISSIONS, EXPORTS)")
	asJSON := fs.Bool("json", false, "list: one JSON object a line, with the whole reason and data")
	seq := fs.Uint64("seq", 0, "redrive: the dead letter with this DEADLETTER sequence")
	all := fs.Bool("all", false, "redrive: every dead letter")
	dry := fs.Bool("dry-run", false, "redrive: say what would be done, change nothing")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("deadletter %s: unexpected argument %q", sub, fs.Arg(0))
	}
	if sub == "redrive" && (*seq == 0) == !*all {
		return errors.New("deadletter redrive: give --seq N or --all")
	}
	// Dead letters are the administrators' business (natsx.ServiceAdminTool).
	sys.Cfg.Role = natsx.ServiceAdminTool
	if err := sys.StartNATS(ctx, false); err != nil {
		return err
	}
	letters, err := readDeadLetters(ctx, sys.JS, *seq)
	if err != nil {
		return err
	}
	if sub == "list" {
		if *stream != "" {
			kept := letters[:0]
			for _, l := range letters {
				if strings.EqualFold(l.Stream, *stream) {
					kept = append(kept, l)
				}
			}
			letters = kept
		}
		return listDeadLetters(os.Stdout, letters, *asJSON)
	}
	if *seq != 0 && len(letters) == 0 {
		return fmt.Errorf("deadletter redrive: no dead letter with sequence %d (see econdip deadletter list)", *seq)
	}
	return redrive(ctx, sys.JS, os.Stdout, letters, *dry)
}

// readDeadLetters reads every dead letter, or only the one at seq.
func readDeadLetters(ctx context.Context, js jetstream.JetStream, seq uint64) ([]deadletter.Letter, error) {
	if seq == 0 {
		return deadletter.List(ctx, js)
	}
	l, ok, err := deadletter.Get(ctx, js, seq)
	if !ok {
		return nil, err
	}
	return []deadletter.Letter{l}, nil
}

// listedLetter is a line of `deadletter list --json`.
type listedLetter struct {
	Seq     uint64    `json:"seq"`     // on DEADLETTER
	Time    time.Time `json:"time"`    // when it was dead-lettered
	Stream  string    `json:"stream"`  // where it came from
	Subject string    `json:"subject"` // its original subject
	OrigSeq uint64    `json:"orig_seq"`
	Reason  string    `json:"reason"`
	Data    string    `json:"data"`                  // the message as it was
	Base64  string    `json:"data_base64,omitempty"` // the message, when it is not UTF-8 text (then Data is empty)
}

func listDeadLetters(w io.Writer, letters []deadletter.Letter, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, l := range letters {
			line := listedLetter{Seq: l.Seq, Time: l.Time, Stream: l.Stream, Subject: l.Subject, OrigSeq: l.OrigSeq, Reason: l.Reason, Data: string(l.Data)}
			if !utf8.Valid(l.Data) { // JSON strings would mangle the bytes
				line.Data, line.Base64 = "", base64.StdEncoding.EncodeToString(l.Data)
			}
			if err := enc.Encode(line); err != nil {
				return err
			}
		}
		return nil
	}
	if len(letters) == 0 {
		fmt.Fprintln(w, "no dead letters")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME (ASTANA)\tSTREAM\tSUBJECT\tORIG SEQ\tREASON\tFIRST BYTES")
	for _, l := range letters {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", l.Seq, l.Time.In(kernel.Astana).Format("2006-01-02 15:04:05"),
			l.Stream, l.Subject, l.OrigSeq, clip(oneLine(l.Reason), 100), strconv.Quote(clip(string(l.Data), 48)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d dead letters; --json shows every reason and message whole\n", len(letters))
	return nil
}

// redrive runs deadletter.Redrive with ingest's check and prints what
// became of each letter; it fails when any was left in place.
func redrive(ctx context.Context, js jetstream.JetStream, w io.Writer, letters []deadletter.Letter, dry bool) error {
	if len(letters) == 0 {
		fmt.Fprintln(w, "no dead letters")
		return nil
	}
	results, err := deadletter.Redrive(ctx, js, letters, ingest.Projectable, dry)
	if err != nil {
		return err
	}
	var done, refused int
	for _, r := range results {
		l := r.Letter
		switch r.Outcome {
		case deadletter.Left:
			refused++
			fmt.Fprintf(w, "left   %s: %v\n", l, r.Err)
		case deadletter.WouldRedrive:
			done++
			fmt.Fprintf(w, "would redrive %s\n", l)
		case deadletter.NotRemoved:
			refused++
			fmt.Fprintf(w, "sent   %s as %s seq %d, but it could not be removed from %s: %v (a second redrive removes it)\n",
				l, l.Stream, r.NewSeq, events.StreamDeadLetter, r.Err)
		case deadletter.Redriven:
			done++
			fmt.Fprintf(w, "redriven %s -> %s seq %d\n", l, l.Stream, r.NewSeq)
		}
	}
	fmt.Fprintf(w, "%d redriven, %d left on %s\n", done, refused, events.StreamDeadLetter)
	if refused > 0 {
		return fmt.Errorf("deadletter redrive: %d of %d dead letters left in place (reasons above)", refused, len(letters))
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// runRebuild is `econdip rebuild`: it replays the ingest streams into a
// fresh ClickHouse database with a consumer of its own, from sequence 1
// until it has caught up with the streams.
func runRebuild(ctx context.Context, sys *stack.Stack, args []string) error {
	fs := flag.NewFlagSet("econdip rebuild", flag.ContinueOnError)
	into := fs.String("into", sys.Cfg.CHDatabase, "the database to build (ECONDIP_CLICKHOUSE_DATABASE by default)")
	drop := fs.Bool("drop", false, "drop the database first if it holds events")
	resume := fs.Bool("resume", false, "continue an earlier rebuild of the database with the events stored since")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("rebuild: unexpected argument %q", fs.Arg(0))
	}
	if *drop && *resume {
		return errors.New("rebuild: --drop and --resume exclude each other")
	}
	if !databaseName.MatchString(*into) {
		return fmt.Errorf("rebuild: database name %q: use letters, digits and underscores", *into)
	}
	sys.Cfg.Role = natsx.ServiceAdminTool // creates a database and a consumer
	sys.Cfg.CHDatabase = *into
	consumer := "rebuild-" + *into
	if err := sys.StartNATS(ctx, false); err != nil {
		return err
	}
	existing, err := existingEvents(ctx, sys, *into, *drop)
	if err != nil {
		return err
	}
	if existing > 0 && !*resume {
		return fmt.Errorf("rebuild: database %s holds %d events already: rebuild into a fresh database (--into NAME), drop it first (--drop) or continue an earlier rebuild (--resume)", *into, existing)
	}
	// A fresh database is built from sequence 1: a consumer left by an
	// earlier rebuild (of a database dropped since) starts again too.
	if !*resume || existing == 0 {
		for _, st := range events.IngestStreams() {
			if err := sys.JS.DeleteConsumer(ctx, st.Name, consumer); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
				return fmt.Errorf("remove the consumer of an earlier rebuild: %w", err)
			}
		}
	}
	if err := sys.StartClickHouse(ctx, false); err != nil {
		return err
	}

	// The streams as they are now: the rebuild is complete once it has
	// acknowledged everything up to here.
	type target struct{ first, last uint64 }
	targets := map[string]target{}
	var total uint64
	for _, st := range events.IngestStreams() {
		info, err := sys.JS.Stream(ctx, st.Name)
		if err != nil {
			return err
		}
		s := info.CachedInfo().State
		targets[st.Name] = target{s.FirstSeq, s.LastSeq}
		if s.LastSeq >= s.FirstSeq && s.Msgs > 0 {
			total += s.LastSeq - s.FirstSeq + 1
		}
	}
	start := time.Now()
	sys.Log.Info("rebuild: replaying the streams", "database", *into, "consumer", consumer, "messages", total)
	svc := ingest.New(sys.JS, sys.CH, sys.Log, ingest.Config{BatchSize: sys.Cfg.IngestBatch, Consumer: consumer,
		InactiveThreshold: 24 * time.Hour, NoDeadLetter: true, NoAggregates: sys.Cfg.CHCluster != ""})
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- svc.Run(rctx) }()

	bar := progressBar("rebuild "+*into, os.Stderr)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var lastDone uint64
	lastMove := time.Now()
	for {
		select {
		case <-ctx.Done():
			cancel()
			<-runErr
			return fmt.Errorf("rebuild interrupted; `econdip rebuild --into %s --resume` continues it", *into)
		case err := <-runErr:
			return fmt.Errorf("rebuild: ingest stopped: %w", err)
		case <-tick.C:
		}
		var done uint64
		caughtUp := true
		for _, st := range events.IngestStreams() {
			t := targets[st.Name]
			c, err := sys.JS.Consumer(ctx, st.Name, consumer)
			if err != nil {
				caughtUp = false // not created yet
				continue
			}
			info, err := c.Info(ctx)
			if err != nil {
				caughtUp = false
				continue
			}
			if acked := info.AckFloor.Stream; acked >= t.first && t.last >= t.first {
				done += min(acked, t.last) - t.first + 1
			}
			if info.AckFloor.Stream < t.last {
				caughtUp = false
			}
		}
		bar(int(min(done, total)), int(total))
		if caughtUp {
			break
		}
		if done != lastDone {
			lastDone, lastMove = done, time.Now()
		} else if time.Since(lastMove) > time.Minute {
			// Say so rather than wait in silence: ClickHouse refusing the
			// inserts, or NATS refusing the acknowledgements.
			sys.Log.Warn("rebuild: no progress for a minute; see the errors above", "done", done, "total", total)
			lastMove = time.Now()
		}
	}
	cancel()
	if err := <-runErr; err != nil {
		return err
	}
	var n uint64
	if err := sys.CH.QueryRow(ctx, "SELECT uniqExact(event_id) FROM events").Scan(&n); err != nil {
		return err
	}
	fmt.Fprintf(os.Stdout, "rebuilt %s: %d events from %d messages in %.1fs", *into, n, total, time.Since(start).Seconds())
	if s := svc.Skipped(); s > 0 {
		fmt.Fprintf(os.Stdout, "; %d messages could not be projected and were left out (`econdip deadletter list`)", s)
	}
	fmt.Fprintln(os.Stdout)
	return nil
}

// databaseName is what a rebuild accepts as a database name; it also names
// the rebuild's consumer.
var databaseName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// existingEvents counts the events the database holds (0 when it does not
// exist); with drop, it drops a database that holds any.
func existingEvents(ctx context.Context, sys *stack.Stack, db string, drop bool) (uint64, error) {
	cfg := analytics.Config{Addr: sys.Cfg.CHAddr, Database: "default", Username: sys.Cfg.CHUser, Password: sys.Cfg.CHPassword, TLS: sys.Cfg.CHTLS, Cluster: sys.Cfg.CHCluster}
	if cfg.Addr == "" {
		return 0, errors.New("rebuild: ECONDIP_CLICKHOUSE_ADDR is not set: the rebuild needs the ClickHouse address (the local default's is 127.0.0.1:19000)")
	}
	conn, err := analytics.Open(ctx, cfg)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var tables uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = 'events'", db).Scan(&tables); err != nil {
		return 0, err
	}
	if tables == 0 {
		return 0, nil
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM `"+db+"`.events").Scan(&n); err != nil {
		return 0, err
	}
	if n > 0 && drop {
		sys.Log.Info("rebuild: dropping the database first", "database", db, "events", n)
		// In cluster mode on every node: dropped on one only, the replicated
		// tables created again would fetch the old rows from the others.
		if err := analytics.DropDatabaseCluster(ctx, conn, db, sys.Cfg.CHCluster); err != nil {
			return 0, err
		}
		return 0, nil
	}
	return n, nil
}

// runNATS is `econdip nats`: the embedded NATS server (JetStream on file
// storage) as a process of its own, until interrupted.
func runNATS(ctx context.Context, sys *stack.Stack, args []string) error {
	fs := flag.NewFlagSet("econdip nats", flag.ContinueOnError)
	store := fs.String("store", filepath.Join(sys.Cfg.DataDir, "nats"), "JetStream store directory")
	host := fs.String("host", "127.0.0.1", "listen address")
	port := fs.Int("port", sys.Cfg.NATSPort, "client port")
	syncFlag := fs.String("sync", sys.Cfg.NATSSync, `when JetStream fsyncs: "always" or an interval such as 1s (ECONDIP_NATS_SYNC)`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := natsx.EmbeddedOptions{StoreDir: *store, Host: *host, Port: *port}
	if err := stack.ApplySync(&opts, *syncFlag); err != nil {
		return err
	}
	srv, err := natsx.StartEmbedded(opts)
	if err != nil {
		return err
	}
	// A line on stdout tells a supervisor (or a test) the server is ready.
	fmt.Fprintf(os.Stdout, "nats ready %s store %s sync %s\n", srv.ClientURL(), *store, stack.SyncString(opts))
	<-ctx.Done()
	srv.Shutdown()
	srv.WaitForShutdown()
	return nil
}
