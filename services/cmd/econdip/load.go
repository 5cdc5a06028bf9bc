package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"econdip/services/cmd/econdip/stack"
	"econdip/services/tools/loadgen"
)

// loadUsage is the load command's part of `econdip help`.
const loadUsage = `  load       generate realistic load (leads, deals, commission decisions),
             deterministic from a seed, with a progress bar and a summary:
               --via api|nats    through the services' HTTP APIs with the demo
                                 users' tokens (default), or straight to
                                 JetStream through the services' publish path
               --events N        write the seed's stories holding N events
                                 (default 10000 when --duration is not given)
               --duration D      or write for D (e.g. 30s, 5m)
               --rate N/s        events per second (N/s or N/m); default or
                                 "max": as fast as the system takes them
               --seed S          stories of this seed (default 1); a rerun of a
                                 seed stores nothing new
               --concurrency C   stories written at once (default 32)
               --tokens FILE     user id -> token JSON for --via api (default:
                                 the demo tokens file in ECONDIP_DATA_DIR)
             --via api calls ECONDIP_LEADS_URL, _COMMISSIONS_URL, _EXPORTS_URL
             (default: the local addresses); each user may write
             ECONDIP_WRITES_PER_MINUTE times a minute per service, so a fast
             load is throttled (429s are waited out and counted) unless the
             services run with a higher limit. --via nats connects to
             ECONDIP_NATS_URL (default: the local embedded server).`

// loadOptions are the load command's flags.
type loadOptions struct {
	via         string
	events      int
	duration    time.Duration
	rate        float64
	seed        uint64
	concurrency int
	tokens      string
}

func parseLoadFlags(args []string, stderr io.Writer) (loadOptions, error) {
	var o loadOptions
	fs := flag.NewFlagSet("econdip load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: econdip load [flags]\n\n"+loadUsage) }
	rate := fs.String("rate", "max", "events per second: N/s, N/m or max")
	fs.StringVar(&o.via, "via", "api", "api or nats")
	fs.IntVar(&o.events, "events", 0, "events to write")
	fs.DurationVar(&o.duration, "duration", 0, "how long to write")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the stories")
	fs.IntVar(&o.concurrency, "concurrency", 32, "stories written at once")
	fs.StringVar(&o.tokens, "tokens", "", "tokens file for --via api")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("load: unexpected argument %q", fs.Arg(0))
	}
	if o.via != "api" && o.via != "nats" {
		return o, fmt.Errorf("load: --via %q: want api or nats", o.via)
	}
	if o.events < 0 || o.duration < 0 || o.concurrency < 1 {
		return o, errors.New("load: --events and --duration must not be negative, --concurrency at least 1")
	}
	if o.events == 0 && o.duration == 0 {
		o.events = 10_000
	}
	var err error
	if o.rate, err = parseRate(*rate); err != nil {
		return o, err
	}
	return o, nil
}

// parseRate reads "2000/s", "2000", "60000/m" or "max" (0: no pacing).
func parseRate(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "max" || s == "0" {
		return 0, nil
	}
	per := 1.0
	switch {
	case strings.HasSuffix(s, "/s"):
		s = strings.TrimSuffix(s, "/s")
	case strings.HasSuffix(s, "/m"):
		s, per = strings.TrimSuffix(s, "/m"), 60
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("load: --rate %q: want N/s, N/m or max", s)
	}
	return n / per, nil
}

// loadCommand runs `econdip load`.
func loadCommand(ctx context.Context, sys *stack.Stack, args []string) error {
	o, err := parseLoadFlags(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	var d loadgen.Driver
	target := ""
	switch o.via {
	case "api":
		tokens := sys.DemoTokens()
		if o.tokens != "" {
			raw, err := os.ReadFile(o.tokens)
			if err != nil {
				return fmt.Errorf("load: tokens: %w", err)
			}
			if err := json.Unmarshal(raw, &tokens); err != nil {
				return fmt.Errorf("load: tokens file %s: %w", o.tokens, err)
			}
		}
		if tokens == nil {
			return fmt.Errorf("load: no tokens: run `econdip up` once to create the demo users (%s), or pass --tokens", sys.DemoTokensFile())
		}
		d = loadgen.NewAPIDriver(leadsURL(sys), commissionsURL(sys), exportsURL(sys), tokens, o.concurrency)
		target = leadsURL(sys) + ", " + commissionsURL(sys) + ", " + exportsURL(sys)
	case "nats":
		if sys.Cfg.NATSURL == "" {
			sys.Cfg.NATSURL = fmt.Sprintf("nats://127.0.0.1:%d", sys.Cfg.NATSPort)
		}
		if err := sys.StartNATS(ctx, false); err != nil {
			return err
		}
		d = loadgen.NewNATSDriver(sys.JS)
		target = "JetStream"
	}
	what := fmt.Sprintf("%d events", o.events)
	if o.events == 0 {
		what = o.duration.String()
	}
	pace := "as fast as it takes them"
	if o.rate > 0 {
		pace = fmt.Sprintf("at %.0f events/s", o.rate)
	}
	fmt.Fprintf(os.Stderr, "load: seed %d, %s via %s (%s), %s, %d at once\n", o.seed, what, o.via, target, pace, o.concurrency)
	label := "load: events"
	if o.events == 0 {
		label = "load: seconds"
	}
	res, err := loadgen.Run(ctx, d, sys.Ref, loadgen.Options{Seed: o.seed, Events: o.events, Duration: o.duration,
		Rate: o.rate, Concurrency: o.concurrency, Progress: progressBar(label, os.Stderr)})
	printLoadResult(os.Stdout, res)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if ctx.Err() != nil {
		return errors.New("load: interrupted")
	}
	return nil
}

func printLoadResult(w io.Writer, r loadgen.Result) {
	fmt.Fprintf(w, "events:    %d in %.1f s: %.0f events/s (", r.Events, r.Elapsed.Seconds(), r.Rate())
	for i, k := range loadgen.Kinds {
		if i > 0 {
			fmt.Fprint(w, ", ")
		}
		fmt.Fprintf(w, "%s %d", k, r.ByKind[k])
	}
	fmt.Fprintf(w, "); setup %d\n", r.SetupEvents)
	fmt.Fprintf(w, "writes:    %d; latency p50 %s, p90 %s, p99 %s, max %s\n", r.Writes,
		micros(r.Latency["p50"]), micros(r.Latency["p90"]), micros(r.Latency["p99"]), micros(r.Latency["max"]))
	fmt.Fprintf(w, "stories:   %d; skipped %d (stored by an earlier run of the seed); throttled %d (429, waited out); errors %d\n",
		r.Stories, r.Skipped, r.Throttled, r.Errors)
	if r.FirstError != nil {
		fmt.Fprintf(w, "first error: %v\n", r.FirstError)
	}
}

func micros(us int64) string {
	return (time.Duration(us) * time.Microsecond).Round(100 * time.Microsecond).String()
}
