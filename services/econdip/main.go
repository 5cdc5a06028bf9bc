// Command econdip runs the economic-diplomacy pipeline: `econdip up` starts
// everything on one machine (embedded NATS, a private ClickHouse, every
// service, the dashboard and demo data); `econdip leads|ingest|dashboard`
// runs one service against external NATS and ClickHouse, as in production.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	_ "time/tzdata" // Asia/Almaty must resolve on hosts without a tz database

	"econdip/services/demo"
	"econdip/services/platform/obs"
	"econdip/services/reference"
)

const usage = `usage: econdip <command>

commands:
  up         start everything on this machine with demo data (the local default)
  leads      run the leads API against ECONDIP_NATS_URL
  ingest     run the JetStream -> ClickHouse ingest
  dashboard  run the dashboard against ClickHouse and the leads API
  migrate    apply the ClickHouse migrations and exit
  demo       load demo leads through the leads API (ECONDIP_LEADS_URL)

configuration comes from ECONDIP_* environment variables: see README.md`

func main() {
	cmd := "up"
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	if err := run(cmd); err != nil {
		fmt.Fprintln(os.Stderr, "econdip:", err)
		os.Exit(1)
	}
}

func run(cmd string) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	log := obs.NewLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	ref, err := reference.Load()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sys := &system{cfg: cfg, log: log, ref: ref}
	defer sys.Close()

	switch cmd {
	case "up":
		if err := up(ctx, sys); err != nil {
			return err
		}
	case "leads":
		if err := sys.loadUsers(false); err != nil {
			return err
		}
		if err := sys.startNATS(ctx, false); err != nil {
			return err
		}
		if err := sys.serveLeads(ctx); err != nil {
			return err
		}
	case "ingest":
		if err := sys.startNATS(ctx, false); err != nil {
			return err
		}
		if err := sys.startClickHouse(ctx, false); err != nil {
			return err
		}
		sys.runIngest(ctx)
	case "dashboard":
		if err := sys.loadUsers(false); err != nil {
			return err
		}
		if err := sys.startClickHouse(ctx, false); err != nil {
			return err
		}
		if err := sys.serveDashboard(ctx); err != nil {
			return err
		}
	case "migrate":
		return sys.startClickHouse(ctx, false)
	case "demo":
		return loadDemo(ctx, sys)
	case "help", "-h", "--help":
		fmt.Println(usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
	<-ctx.Done()
	log.Info("shutting down: stopping services, flushing ingest, then NATS and ClickHouse")
	return nil
}

func up(ctx context.Context, sys *system) error {
	if err := os.MkdirAll(sys.cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	if err := sys.loadUsers(true); err != nil {
		return err
	}
	if err := sys.startNATS(ctx, true); err != nil {
		return err
	}
	if err := sys.startClickHouse(ctx, true); err != nil {
		return err
	}
	sys.runIngest(ctx)
	if err := sys.serveLeads(ctx); err != nil {
		return err
	}
	if err := sys.serveDashboard(ctx); err != nil {
		return err
	}
	if sys.cfg.Demo {
		if err := loadDemoOnce(ctx, sys); err != nil {
			return err
		}
	}
	printWelcome(sys)
	return nil
}

// loadDemoOnce loads the demo data until it has been loaded completely once.
// A load cut short is simply run again: creation is idempotent.
func loadDemoOnce(ctx context.Context, sys *system) error {
	marker := filepath.Join(sys.cfg.DataDir, "demo-loaded")
	if _, err := os.Stat(marker); err == nil {
		sys.log.Info("demo data: loaded on an earlier start; not loading again", "marker", marker)
		return nil
	}
	if err := loadDemo(ctx, sys); err != nil {
		return err
	}
	return os.WriteFile(marker, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644)
}

func loadDemo(ctx context.Context, sys *system) error {
	tokens := sys.demoTokens()
	if tokens == nil {
		return fmt.Errorf("no demo tokens in %s: run `econdip up` once to create the demo users", sys.demoTokensFile())
	}
	leads := demo.Generate(sys.cfg.DemoSeed, sys.cfg.DemoLeads, sys.ref)
	start := time.Now()
	loader := demo.Loader{
		BaseURL:  sys.cfg.LeadsURL,
		TokenFor: func(post string) (string, bool) { t, ok := tokens["attache."+post]; return t, ok },
		Client:   &http.Client{Timeout: 30 * time.Second},
		Progress: progressBar("demo data: leads", os.Stderr),
	}
	if err := loader.Load(ctx, sys.cfg.DemoSeed, leads); err != nil {
		return fmt.Errorf("load demo data: %w", err)
	}
	sys.log.Info("demo data loaded", "leads", len(leads), "seconds", time.Since(start).Round(time.Millisecond).Seconds())
	return nil
}

// progressBar draws "label [#####.....] 120/240" on one terminal line.
func progressBar(label string, w *os.File) func(done, total int) {
	last := -1
	return func(done, total int) {
		const width = 30
		if pct := done * 100 / max(total, 1); pct == last && done != total {
			return
		} else {
			last = pct
		}
		filled := done * width / max(total, 1)
		fmt.Fprintf(w, "\r%s [%s%s] %d/%d", label, strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total)
		if done == total {
			fmt.Fprintln(w)
		}
	}
}

func printWelcome(sys *system) {
	tokens := sys.demoTokens()
	var b strings.Builder
	fmt.Fprintf(&b, "\n  econdip is running.\n\n  Dashboard:  http://%s\n  Leads API:  http://%s/api/v1/leads\n", sys.cfg.DashboardAddr, sys.cfg.LeadsAddr)
	if sys.natsSrv != nil {
		fmt.Fprintf(&b, "  NATS:       %s (JetStream data in %s/nats)\n", sys.natsSrv.ClientURL(), sys.cfg.DataDir)
	}
	if sys.chSrv != nil {
		fmt.Fprintf(&b, "  ClickHouse: %s native, %s HTTP (data in %s)\n", sys.chSrv.Addr, sys.chSrv.HTTPAddr, sys.chSrv.Dir)
	}
	if len(tokens) > 0 {
		fmt.Fprintf(&b, "\n  Demo sign-in tokens (paste one on the sign-in page, or send as Authorization: Bearer):\n")
		for _, id := range []string{"analyst", "admin", "attache.de-berlin", "attache.cn-beijing"} {
			if t, ok := tokens[id]; ok {
				fmt.Fprintf(&b, "    %-22s %s\n", id, t)
			}
		}
		fmt.Fprintf(&b, "    (every post's attaché token: %s)\n", sys.demoTokensFile())
	}
	fmt.Fprintf(&b, "\n  Ctrl-C stops everything; data stays in %s.\n\n", sys.cfg.DataDir)
	fmt.Fprint(os.Stderr, b.String())
}

