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

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/analytics"
	"econdip/events"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/ingest"
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

// deadLetter is one message on the DEADLETTER stream.
type deadLetter struct {
	Seq     uint64    `json:"seq"`     // on DEADLETTER
	Time    time.Time `json:"time"`    // when it was dead-lettered
	Stream  string    `json:"stream"`  // where it came from
	Subject string    `json:"subject"` // its original subject
	OrigSeq uint64    `json:"orig_seq"`
	Reason  string    `json:"reason"`
	Data    string    `json:"data"`                  // the message as it was
	Base64  string    `json:"data_base64,omitempty"` // the message, when it is not UTF-8 text (then Data is empty)
}

// readDeadLetters reads every dead letter, or only the one at seq.
func readDeadLetters(ctx context.Context, js jetstream.JetStream, seq uint64) ([]deadLetter, error) {
	st, err := js.Stream(ctx, events.StreamDeadLetter)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", events.StreamDeadLetter, err)
	}
	if seq != 0 {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("dead letter %d: %w", seq, err)
		}
		return []deadLetter{toDeadLetter(m.Sequence, m.Time, m.Header, m.Data)}, nil
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, err
	}
	if info.State.Msgs == 0 {
		return nil, nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, err
	}
	var out []deadLetter
	for {
		m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			return nil, fmt.Errorf("read %s after %d messages: %w", events.StreamDeadLetter, len(out), err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return nil, err
		}
		out = append(out, toDeadLetter(meta.Sequence.Stream, meta.Timestamp, m.Headers(), m.Data()))
		if meta.NumPending == 0 {
			return out, nil
		}
	}
}

func toDeadLetter(seq uint64, at time.Time, h nats.Header, data []byte) deadLetter {
	orig, _ := strconv.ParseUint(h.Get(ingest.HeaderDLQSeq), 10, 64)
	return deadLetter{Seq: seq, Time: at, Stream: h.Get(ingest.HeaderDLQStream), Subject: h.Get(ingest.HeaderDLQSubject),
		OrigSeq: orig, Reason: h.Get(ingest.HeaderDLQReason), Data: string(data)}
}

func listDeadLetters(w io.Writer, letters []deadLetter, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, l := range letters {
			if !utf8.ValidString(l.Data) { // JSON strings would mangle the bytes
				l.Data, l.Base64 = "", base64.StdEncoding.EncodeToString([]byte(l.Data))
			}
			if err := enc.Encode(l); err != nil {
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
			l.Stream, l.Subject, l.OrigSeq, clip(oneLine(l.Reason), 100), strconv.Quote(clip(l.Data, 48)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d dead letters; --json shows every reason and message whole\n", len(letters))
	return nil
}

// HeaderRedriveOf names the dead letter (stream:seq of the original) that a
// redriven message is a copy of.
const HeaderRedriveOf = "Econdip-Redrive-Of"

// redrive sends each dead letter back to its original subject and removes it
// from DEADLETTER. It refuses, leaving the dead letter in place, when this
// version still cannot project the message, or when a later event is on the
// subject: the last event of a subject is the record's current state for
// the services, so appending an older one would turn the record back.
func redrive(ctx context.Context, js jetstream.JetStream, w io.Writer, letters []deadLetter, dry bool) error {
	if len(letters) == 0 {
		fmt.Fprintln(w, "no dead letters")
		return nil
	}
	dls, err := js.Stream(ctx, events.StreamDeadLetter)
	if err != nil {
		return err
	}
	var done, refused int
	for _, l := range letters {
		what := fmt.Sprintf("dead letter %d (%s seq %d, %s)", l.Seq, l.Stream, l.OrigSeq, l.Subject)
		newSeq, err := redriveOne(ctx, js, l, dry)
		if err != nil {
			refused++
			fmt.Fprintf(w, "left   %s: %v\n", what, err)
			continue
		}
		if dry {
			done++
			fmt.Fprintf(w, "would redrive %s\n", what)
			continue
		}
		if err := dls.DeleteMsg(ctx, l.Seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			refused++
			fmt.Fprintf(w, "sent   %s as %s seq %d, but it could not be removed from %s: %v (a second redrive removes it)\n",
				what, l.Stream, newSeq, events.StreamDeadLetter, err)
			continue
		}
		done++
		fmt.Fprintf(w, "redriven %s -> %s seq %d\n", what, l.Stream, newSeq)
	}
	fmt.Fprintf(w, "%d redriven, %d left on %s\n", done, refused, events.StreamDeadLetter)
	if refused > 0 {
		return fmt.Errorf("deadletter redrive: %d of %d dead letters left in place (reasons above)", refused, len(letters))
	}
	return nil
}

// redriveOne publishes one dead letter to its original subject and returns
// its new stream sequence. A redrive that was sent before (its removal from
// DEADLETTER failed) is recognised and not sent twice.
func redriveOne(ctx context.Context, js jetstream.JetStream, l deadLetter, dry bool) (uint64, error) {
	if l.Stream == "" || l.Subject == "" || l.OrigSeq == 0 {
		return 0, errors.New("the dead letter lacks its origin headers")
	}
	if err := ingest.Projectable(l.Stream, []byte(l.Data)); err != nil {
		return 0, fmt.Errorf("this version still cannot project it: %w", err)
	}
	src, err := js.Stream(ctx, l.Stream)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", l.Stream, err)
	}
	ref := l.Stream + ":" + strconv.FormatUint(l.OrigSeq, 10)
	expect := l.OrigSeq
	last, err := src.GetLastMsgForSubject(ctx, l.Subject)
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		expect = 0 // the original was removed from the stream
	case err != nil:
		return 0, fmt.Errorf("last message on %s: %w", l.Subject, err)
	case last.Header.Get(HeaderRedriveOf) == ref:
		return last.Sequence, nil // sent already
	case last.Sequence != l.OrigSeq:
		return 0, fmt.Errorf("a later event (%s seq %d) is on %s: sending this one again would make an older state the record's "+
			"current one; the figures hold the later state, and `econdip rebuild` projects this one with this version", l.Stream, last.Sequence, l.Subject)
	}
	if dry {
		return 0, nil
	}
	msg := nats.NewMsg(l.Subject)
	msg.Data = []byte(l.Data)
	if env, err := events.DecodeEnvelope(msg.Data); err == nil {
		msg.Header.Set(events.HeaderType, env.Type)
		msg.Header.Set(events.HeaderSource, env.Source)
	}
	msg.Header.Set(HeaderRedriveOf, ref)
	// Not the event id: the original, with that id, is still in the
	// stream's duplicate window for two minutes and would swallow the copy.
	ack, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID("redrive-"+ref), jetstream.WithExpectLastSequencePerSubject(expect))
	if err != nil {
		return 0, fmt.Errorf("publish to %s: %w", l.Subject, err)
	}
	return ack.Sequence, nil
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
		InactiveThreshold: 24 * time.Hour, NoDeadLetter: true})
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
