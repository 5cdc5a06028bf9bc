// Command econdip runs the economic-diplomacy pipeline: `econdip up` starts
// everything on one machine (embedded NATS, a private ClickHouse, every
// service, the dashboard and demo data); `econdip leads|ingest|dashboard`
// runs one service against external NATS and ClickHouse, as in production.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"econdip/services/cmd/econdip/stack"
	"econdip/services/ingest"
	"econdip/services/platform/kernel"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
	"econdip/services/tools/demo"
)

const usage = `usage: econdip <command>

commands:
  up         start everything on this machine with demo data (the local default)
  leads      run the leads API against ECONDIP_NATS_URL
  commissions run the commissions API against ECONDIP_NATS_URL
  exports    run the exports API (exporters, deals, barriers) against ECONDIP_NATS_URL
  companies  run the company register's API against ECONDIP_NATS_URL
  companies migrate
             group the free-text investors of leads and buyers of deals
             into companies (the same matching as the register's),
             create them and link the records, through events; print a
             report of which spellings went into which company; a second
             run changes nothing
  ingest     run the JetStream -> ClickHouse ingest
  search     run the global search (its index follows the record streams)
             against ECONDIP_NATS_URL
  notify     run the notifier (reminders, inboxes, e-mail, weekly digest)
             against ECONDIP_NATS_URL; any number of instances, one evaluates
  dashboard  run the dashboard against ClickHouse and the leads API
  migrate    apply the ClickHouse migrations and exit
  reload     validate the HS mapping, rates and targets files and load them
             into ClickHouse (a refused file changes nothing), then exit;
             a running 'econdip up' reloads the rates and targets on SIGHUP
  demo       load demo leads, commissions and exports through their APIs
             (ECONDIP_LEADS_URL, ECONDIP_COMMISSIONS_URL, ECONDIP_EXPORTS_URL)
` + loadUsage + `
` + ratesUsage + `
` + opsUsage + `
` + tradeUsage + `
` + remindersUsage + `

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
	cfg, err := stack.ConfigFromEnv()
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
	// Each production command runs as its own role: its NATS user and rights.
	cfg.Role = map[string]string{"leads": "leads", "commissions": "commissions", "exports": "exports", "companies": "companies", "ingest": "ingest",
		"notify": "notify", "search": "search", "dashboard": "dashboard", "migrate": "admin-tool", "reload": "admin-tool", "rates": "admin-tool"}[cmd]
	if cmd == "companies" && len(os.Args) > 2 && os.Args[2] == "migrate" {
		cfg.Role = "admin-tool" // it appends to the LEADS, EXPORTS and COMPANIES streams
	}
	sys := stack.New(cfg, log, ref)
	defer sys.Close()

	switch cmd {
	case "up":
		if err := up(ctx, sys); err != nil {
			return err
		}
	case "leads":
		if err := sys.LoadUsers(false); err != nil {
			return err
		}
		if err := sys.StartNATS(ctx, false); err != nil {
			return err
		}
		if err := sys.ServeLeads(ctx); err != nil {
			return err
		}
		sys.ServeMetrics()
	case "commissions":
		if err := sys.LoadUsers(false); err != nil {
			return err
		}
		if err := sys.StartNATS(ctx, false); err != nil {
			return err
		}
		if err := sys.ServeCommissions(ctx); err != nil {
			return err
		}
		sys.ServeMetrics()
	case "exports":
		if err := sys.LoadUsers(false); err != nil {
			return err
		}
		if err := sys.StartNATS(ctx, false); err != nil {
			return err
		}
		if err := sys.ServeExports(ctx); err != nil {
			return err
		}
		sys.ServeMetrics()
	case "search":
		if err := sys.LoadUsers(false); err != nil {
			return err
		}
		if err := sys.StartNATS(ctx, false); err != nil {
			return err
		}
		if err := sys.ServeSearch(ctx); err != nil {
			return err
		}
		sys.ServeMetrics()
	case "companies":
		if len(os.Args) > 2 && os.Args[2] == "migrate" {
			return migrateCompanies(ctx, sys)
		}
		if err := sys.LoadUsers(false); err != nil {
			return err
		}
		if err := sys.StartNATS(ctx, false); err != nil {
			return err
		}
		if err := sys.ServeCompanies(ctx); err != nil {
			return err
		}
		sys.ServeMetrics()
	case "ingest":
		if os.Getenv("GOMEMLIMIT") == "" {
			debug.SetMemoryLimit(ingest.MemoryLimit)
			log.Info("ingest runs with a soft memory limit; set GOMEMLIMIT to change it", "limit_mib", ingest.MemoryLimit>>20)
		}
		if err := sys.StartNATS(ctx, false); err != nil {
			return err
		}
		if err := sys.StartClickHouse(ctx, false); err != nil {
			return err
		}
		if err := sys.RunIngest(ctx); err != nil {
			return err
		}
	case "notify":
		if err := sys.StartNATS(ctx, false); err != nil {
			return err
		}
		if err := sys.RunNotify(ctx); err != nil {
			return err
		}
		// The weekly digest reads ClickHouse; reminders and e-mail need only NATS.
		if cfg.CHAddr != "" {
			if err := sys.StartClickHouse(ctx, false); err != nil {
				return err
			}
		}
	case "dashboard":
		if err := sys.LoadUsers(false); err != nil {
			return err
		}
		if err := sys.StartNATS(ctx, false); err != nil { // accounts and sessions
			return err
		}
		if err := sys.StartClickHouse(ctx, false); err != nil {
			return err
		}
		if err := sys.ServeDashboard(); err != nil {
			return err
		}
		sys.ServeMetrics()
	case "migrate", "reload":
		// The administrators' setup: with ECONDIP_NATS_URL, the streams,
		// key-value buckets and the users file's accounts; then ClickHouse:
		// migrations and the mapping, rates and targets files, each validated
		// before anything is loaded.
		if cfg.NATSURL != "" {
			if err := sys.LoadUsers(false); err != nil {
				return err
			}
			if err := sys.StartNATS(ctx, false); err != nil {
				return err
			}
		}
		return sys.StartClickHouse(ctx, false)
	case "demo":
		return loadDemo(ctx, sys)
	case "load":
		return loadCommand(ctx, sys, os.Args[2:])
	case "deadletter":
		return runDeadLetter(ctx, sys, os.Args[2:])
	case "rates":
		return runRates(ctx, sys, os.Args[2:])
	case "rebuild":
		return runRebuild(ctx, sys, os.Args[2:])
	case "trade":
		return runTrade(ctx, sys, os.Args[2:])
	case "nats":
		return runNATS(ctx, sys, os.Args[2:])
	case "reminders":
		return runReminders(ctx, sys, os.Args[2:])
	case "help", "-h", "--help":
		fmt.Println(usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
	if sys.CH != nil {
		go reloadOnHangup(ctx, sys)
	}
	<-ctx.Done()
	log.Info("shutting down: stopping services, flushing ingest, then NATS and ClickHouse")
	return nil
}

// reloadOnHangup reloads the rates and targets files on each SIGHUP (kill
// -HUP <pid>): the figures change at once; a refused file is logged with its
// line and field, and the figures keep what they had.
func reloadOnHangup(ctx context.Context, sys *stack.Stack) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if _, err := sys.LoadReferenceFiles(ctx); err != nil {
				sys.Log.Error("reload refused: the figures keep the rates and targets they had", "err", err)
			}
		}
	}
}

func up(ctx context.Context, sys *stack.Stack) error {
	if err := sys.StartLocal(ctx); err != nil {
		return err
	}
	if sys.Cfg.Demo {
		if err := loadDemoOnce(ctx, sys); err != nil {
			return err
		}
	}
	printWelcome(sys)
	return nil
}

// migrateCompanies runs `econdip companies migrate`.
func migrateCompanies(ctx context.Context, sys *stack.Stack) error {
	if err := sys.StartNATS(ctx, false); err != nil {
		return err
	}
	rep, err := sys.MigrateCompanies(ctx, os.Stdout)
	if err != nil {
		return err
	}
	rep.Print(os.Stdout)
	if len(rep.Failures) > 0 {
		return fmt.Errorf("%d records could not be linked (listed above): correct them and run the migration again", len(rep.Failures))
	}
	return nil
}

// loadDemoOnce loads the demo data until it has been loaded completely once.
// A load cut short is simply run again: creation is idempotent.
func loadDemoOnce(ctx context.Context, sys *stack.Stack) error {
	marker := filepath.Join(sys.Cfg.DataDir, "demo-loaded")
	if _, err := os.Stat(marker); err == nil {
		sys.Log.Info("demo data: loaded on an earlier start; not loading again", "marker", marker)
		return nil
	}
	if err := loadDemo(ctx, sys); err != nil {
		return err
	}
	if err := loadDemoTrade(ctx, sys); err != nil {
		return err
	}
	// The demo's investors and buyers are free text, as records made
	// before the register were: the migration makes them companies.
	rep, err := sys.MigrateCompanies(ctx, io.Discard)
	if err != nil {
		return fmt.Errorf("demo data: companies: %w", err)
	}
	sys.Log.Info("demo data: companies", "created", rep.Created, "records_linked", rep.Linked, "not_linked", len(rep.Failures))
	return os.WriteFile(marker, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644)
}

func loadDemo(ctx context.Context, sys *stack.Stack) error {
	tokens := sys.DemoTokens()
	if tokens == nil {
		return fmt.Errorf("no demo tokens in %s: run `econdip up` once to create the demo users", sys.DemoTokensFile())
	}
	leads := demo.Generate(sys.Cfg.DemoSeed, sys.Cfg.DemoLeads, sys.Ref)
	start := time.Now()
	client := &http.Client{Timeout: 30 * time.Second}
	loader := demo.Loader{
		BaseURL:  leadsURL(sys),
		TokenFor: func(post string) (string, bool) { t, ok := tokens["attache."+post]; return t, ok },
		Client:   client,
		Progress: progressBar("demo data: leads", os.Stderr),
	}
	created, err := loader.Load(ctx, sys.Cfg.DemoSeed, leads)
	if err != nil {
		return fmt.Errorf("load demo data: %w", err)
	}
	sys.Log.Info("demo data loaded", "leads", len(leads), "seconds", time.Since(start).Round(time.Millisecond).Seconds())

	if err := loadDemoCommissions(ctx, sys, tokens, client, leads, created); err != nil {
		return err
	}
	return loadDemoExports(ctx, sys, tokens, client)
}

// loadDemoCommissions loads the demo commissions after the leads they link
// to; without secretariat tokens (demo users written by an older version) it
// warns and loads none.
func loadDemoCommissions(ctx context.Context, sys *stack.Stack, tokens map[string]string, client *http.Client, leads []demo.Lead, created []demo.CreatedLead) error {
	// Commissions: an administrator creates them, each secretariat records
	// its protocols, backdated status changes and links to the leads above.
	for _, id := range demo.CommissionIDs() {
		if _, ok := tokens["secretariat."+id]; !ok {
			sys.Log.Warn("demo data: no secretariat tokens (demo users written by an older version); not loading demo commissions",
				"missing", "secretariat."+id, "file", sys.DemoTokensFile())
			return nil
		}
	}
	start := time.Now()
	commissions := demo.GenerateCommissions(sys.Cfg.DemoSeed, kernel.Today(time.Now()), leads)
	cl := demo.CommissionLoader{
		BaseURL:    commissionsURL(sys),
		AdminToken: tokens["admin"],
		TokenFor:   func(id string) (string, bool) { t, ok := tokens["secretariat."+id]; return t, ok },
		Client:     client,
		Progress:   progressBar("demo data: commissions", os.Stderr),
	}
	sum, err := cl.Load(ctx, sys.Cfg.DemoSeed, commissions, created)
	if err != nil {
		return fmt.Errorf("load demo commissions: %w", err)
	}
	sys.Log.Info("demo commissions loaded", "commissions", sum.Commissions, "commissions_existing", sum.CommissionsExisting,
		"protocols", sum.Protocols, "protocols_replayed", sum.ProtocolsReplayed, "status_changes", sum.StatusChanges,
		"links", sum.Links, "decisions_skipped", sum.DecisionsSkipped, "seconds", float64(time.Since(start).Milliseconds())/1000)
	return nil
}

// loadDemoExports loads the demo exporters, export deals and trade barriers.
func loadDemoExports(ctx context.Context, sys *stack.Stack, tokens map[string]string, client *http.Client) error {
	// Exports: an administrator registers the exporters; each post's
	// attaché records its deals and barriers, backdated, and moves them on.
	start := time.Now()
	xl := demo.ExportsLoader{
		BaseURL:    exportsURL(sys),
		TokenFor:   func(post string) (string, bool) { t, ok := tokens["attache."+post]; return t, ok },
		AdminToken: tokens["admin"],
		Client:     client,
		Progress:   progressBar("demo data: exports", os.Stderr),
	}
	xs, err := xl.Load(ctx, sys.Cfg.DemoSeed, demo.GenerateExports(sys.Cfg.DemoSeed, time.Now(), sys.Ref))
	if err != nil {
		return fmt.Errorf("load demo exports: %w", err)
	}
	sys.Log.Info("demo exports loaded", "exporters", xs.Exporters, "exporters_existing", xs.ExportersExisting,
		"deals", xs.Deals, "deals_replayed", xs.DealsReplayed, "deal_moves", xs.DealMoves, "deals_skipped", xs.DealsSkipped,
		"barriers", xs.Barriers, "barriers_replayed", xs.BarriersReplayed, "barrier_notes", xs.BarrierNotes,
		"barrier_status_changes", xs.BarrierStatusChanges, "barriers_skipped", xs.BarriersSkipped,
		"seconds", float64(time.Since(start).Milliseconds())/1000)
	return nil
}

func leadsURL(sys *stack.Stack) string {
	if sys.Cfg.LeadsURL != "" {
		return sys.Cfg.LeadsURL
	}
	if sys.LeadsAddr != "" {
		return "http://" + sys.LeadsAddr
	}
	return "http://" + sys.Cfg.LeadsAddr
}

func commissionsURL(sys *stack.Stack) string {
	if sys.Cfg.CommissionsURL != "" {
		return sys.Cfg.CommissionsURL
	}
	if sys.CommissionsAddr != "" {
		return "http://" + sys.CommissionsAddr
	}
	return "http://" + sys.Cfg.CommissionsAddr
}

func exportsURL(sys *stack.Stack) string {
	if sys.Cfg.ExportsURL != "" {
		return sys.Cfg.ExportsURL
	}
	if sys.ExportsAddr != "" {
		return "http://" + sys.ExportsAddr
	}
	return "http://" + sys.Cfg.ExportsAddr
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

func printWelcome(sys *stack.Stack) {
	tokens := sys.DemoTokens()
	var b strings.Builder
	fmt.Fprintf(&b, "\n  econdip is running.\n\n  Dashboard:        http://%s\n  Leads API:        http://%s/api/v1/leads\n", sys.Cfg.DashboardAddr, sys.Cfg.LeadsAddr)
	fmt.Fprintf(&b, "  Commissions API:  http://%s/api/v1/commissions\n  Exports API:      http://%s/api/v1/deals, /barriers, /exporters, /hs\n", sys.Cfg.CommissionsAddr, sys.Cfg.ExportsAddr)
	if sys.NATSSrv != nil {
		fmt.Fprintf(&b, "  NATS:             %s (JetStream data in %s/nats)\n", sys.NATSSrv.ClientURL(), sys.Cfg.DataDir)
	}
	if sys.CHSrv != nil {
		fmt.Fprintf(&b, "  ClickHouse:       %s native, %s HTTP (data in %s)\n", sys.CHSrv.Addr, sys.CHSrv.HTTPAddr, sys.CHSrv.Dir)
	}
	if sys.NATSSrv != nil || sys.CHSrv != nil {
		fmt.Fprintf(&b, "  Passwords:        NATS and ClickHouse users in %s (README, Local credentials)\n", filepath.Join(sys.Cfg.DataDir, stack.SecretsDir))
	}
	if pw := sys.DemoPassword(); pw != "" {
		fmt.Fprintf(&b, "\n  Sign in at http://%s/signin with a user id and the demo password:\n", sys.Cfg.DashboardAddr)
		fmt.Fprintf(&b, "    user ids   analyst, admin, attache.de-berlin (attache.<post> for every post), secretariat.igc-cn\n")
		fmt.Fprintf(&b, "    password   %s   (the same for every demo account; change yours under your name, top right)\n", pw)
	}
	if len(tokens) > 0 {
		fmt.Fprintf(&b, "\n  Demo sign-in tokens (paste one on the sign-in page, or send as Authorization: Bearer):\n")
		for _, id := range []string{"analyst", "admin", "attache.de-berlin", "attache.cn-beijing", "secretariat.igc-cn"} {
			if t, ok := tokens[id]; ok {
				fmt.Fprintf(&b, "    %-22s %s\n", id, t)
			}
		}
		fmt.Fprintf(&b, "    (every attaché and secretariat token: %s)\n", sys.DemoTokensFile())
	}
	fmt.Fprintf(&b, "\n  Ctrl-C stops everything; data stays in %s.\n\n", sys.Cfg.DataDir)
	fmt.Fprint(os.Stderr, b.String())
}
