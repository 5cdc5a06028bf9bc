package bench_test

// The system benchmarks: each reports its figures as a ratio of a baseline
// measured in the same run, never asserts a time. They need ClickHouse
// (started only when benchmarks run) and take minutes; BENCHMARKS.md has
// the commands and the figures.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"econdip/analytics/chtest"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
	"econdip/services/tools/loadgen"
)

// TestMain starts ClickHouse only for benchmarks, so go test ./... stays fast.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	eventstore.VerifyInHand = false // measure what runs in production
	chtest.Main(m, "econdip_bench")
}

// envInt reads a whole number from the environment, def when unset.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// envDuration reads a duration from the environment, def when unset.
func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

// envInts reads a comma-separated list of whole numbers, def when unset.
func envInts(name string, def []int) []int {
	var out []int
	for _, f := range strings.Split(os.Getenv(name), ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return def
	}
	return out
}

// benchWritesPerMinute is the per-user write limit the benchmarks run the
// services with: high enough never to refuse, so the limiter stays in the
// write path without throttling it (the default, 6000 a minute per user and
// service, would cap a load of the demo's 31 users near 3,000 writes/s).
const benchWritesPerMinute = 100_000_000

var dbSeq atomic.Int64

// system is what startSystem started.
type system struct {
	*stack.Stack
	Tokens map[string]string
}

// systemOptions say which parts to start.
type systemOptions struct {
	clickhouse bool // ClickHouse (chtest's server, a fresh database) and ingest
	services   []string
	fixedWait  bool          // ingest's fixed wait of before issue 19 (ECONDIP_INGEST_WAIT=fixed)
	linger     time.Duration // the adaptive wait's cap; 0: ingest's default
}

// startSystem starts econdip in this process as `econdip up` wires it: the
// embedded NATS, and as asked ClickHouse with ingest and the services, with
// the demo's accounts.
func startSystem(b *testing.B, o systemOptions) *system {
	b.Helper()
	dir := b.TempDir()
	ref := reference.Default()
	users, tokens := loadgen.TestAccounts(ref, "bench-")
	raw, _ := json.Marshal(users)
	if err := os.WriteFile(filepath.Join(dir, "users.json"), raw, 0o600); err != nil {
		b.Fatal(err)
	}
	cfg := stack.Config{DataDir: dir, NATSPort: -1, NATSReplicas: 1, UsersFile: filepath.Join(dir, "users.json"),
		CHAddr: chtest.Addr(), CHUser: "default", CHDatabase: fmt.Sprintf("%s_%d_%d", chtest.Database(), os.Getpid()%1000, dbSeq.Add(1)),
		LeadsAddr: "127.0.0.1:0", CommissionsAddr: "127.0.0.1:0", ExportsAddr: "127.0.0.1:0", SearchAddr: "127.0.0.1:0", DashboardAddr: "127.0.0.1:0",
		IngestAddr: "127.0.0.1:0", IngestBatch: 2000, IngestFixedWait: o.fixedWait, IngestLinger: o.linger, WritesPerMinute: benchWritesPerMinute}
	s := stack.New(cfg, obs.Discard(), ref)
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(func() { cancel(); s.Close() })
	must(b, s.LoadUsers(false))
	must(b, s.StartNATS(ctx, true))
	if o.clickhouse {
		must(b, s.StartClickHouse(ctx, false))
		must(b, s.RunIngest(ctx))
	}
	for _, sv := range o.services {
		switch sv {
		case "leads":
			must(b, s.ServeLeads(ctx))
		case "commissions":
			must(b, s.ServeCommissions(ctx))
		case "exports":
			must(b, s.ServeExports(ctx))
		}
	}
	return &system{Stack: s, Tokens: tokens}
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// buildEcondip builds the econdip command into a temporary folder.
func buildEcondip(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "econdip")
	cmd := exec.Command("go", "build", "-o", bin, "econdip/services/cmd/econdip")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
