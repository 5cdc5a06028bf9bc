// Package stack wires econdip's parts together: the embedded or external
// NATS, the private or external ClickHouse, the users file and every service.
// The econdip command and the end-to-end tests start the system through it,
// so they run the same wiring.
package stack

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"econdip/analytics"
	"econdip/analytics/chserver"
	"econdip/dashboards"
	"econdip/events"
	"econdip/services/commissions"
	"econdip/services/companies"
	"econdip/services/digest"
	"econdip/services/exports"
	"econdip/services/identity"
	"econdip/services/ingest"
	"econdip/services/leads"
	notify "econdip/services/notify/app"
	"econdip/services/platform/auth"
	"econdip/services/platform/documents"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
	"econdip/services/platform/natsx"
	"econdip/services/platform/reference"
	"econdip/services/search"
	"econdip/services/tools/companymigrate"
	"econdip/services/tools/demo"
)

// Stack holds the parts one command starts, and stops them in reverse order.
type Stack struct {
	Cfg     Config
	Log     *slog.Logger
	Ref     *reference.Data
	mapped  bool                 // Ref holds the HS mapping files' classification (ApplyMapping)
	NATSSrv *server.Server       // nil when NATS is external
	CHSrv   *chserver.Supervised // nil when ClickHouse is external
	NC      *nats.Conn
	JS      jetstream.JetStream
	CH      driver.Conn
	// CHReadOnly is the dashboard's connection as the read-only user, and
	// CHWriter ingest's as the writer, when this process started the private
	// server; nil: they use CH.
	CHReadOnly, CHWriter driver.Conn
	// secrets are the local default's passwords (LocalSecrets), loaded when
	// this process runs the embedded NATS or the private ClickHouse; nil otherwise.
	secrets *LocalSecrets
	// serviceConns are the NATS connections of the services this process
	// runs on the embedded server, each as its own NATS user, by service.
	serviceConns map[string]*nats.Conn
	serviceJSs   map[string]jetstream.JetStream
	Apps         map[string]*fiber.App // the HTTP apps started, by service name (leads, commissions, exports, dashboard)
	Users        auth.Authenticator    // the identity service once NATS runs
	Identity     *identity.Service
	Calendars    *digest.Calendars // calendar feed tokens (nil in a process whose NATS user has no right to them)
	Notify       *notify.Service   // the notifier, once RunNotify started it
	// Digest builds the weekly digest's content (set before RunNotify); nil: no digest.
	Digest notify.DigestBuilder
	users  auth.File // the users file, imported into the identity service at start
	// Addresses the HTTP services actually listen on (a port of 0 picks one).
	LeadsAddr, CommissionsAddr, ExportsAddr, DashboardAddr string
	SearchAddr                                             string // the search API's
	CompaniesAddr                                          string
	IngestAddr                                             string // ingest's health and metrics; empty when not served
	NotifyAddr                                             string // `econdip notify`'s health and metrics; empty when not served
	MetricsAddr                                            string // the process's metrics (ServeMetrics); empty when not served
	stops                                                  []func()
	rates                                                  atomic.Pointer[reference.Rates] // the store loaded last
	ratesMu                                                sync.Mutex                      // one import at a time in this process
}

// New returns a stack that has started nothing yet.
func New(cfg Config, log *slog.Logger, ref *reference.Data) *Stack {
	return &Stack{Cfg: cfg, Log: log, Ref: ref}
}

func (s *Stack) onStop(f func()) { s.stops = append(s.stops, f) }

// localSecrets loads the local default's passwords once (LocalSecrets).
func (s *Stack) localSecrets() (*LocalSecrets, error) {
	if s.secrets == nil {
		sec, err := LoadLocalSecrets(filepath.Join(s.Cfg.DataDir, SecretsDir), s.Log)
		if err != nil {
			return nil, err
		}
		s.secrets = &sec
	}
	return s.secrets, nil
}

// Secrets are the local default's passwords when this process runs the
// embedded NATS or the private ClickHouse; nil otherwise.
func (s *Stack) Secrets() *LocalSecrets { return s.secrets }

// natsCredentials are the credentials of NATS user service on the embedded server.
func (sec *LocalSecrets) natsCredentials(service string) natsx.Credentials {
	return natsx.Credentials{User: service, Password: sec.NATS[service], InboxPrefix: natsx.InboxPrefix(service)}
}

// serviceJS is the JetStream handle of a service this stack starts. On the
// embedded server it is a connection of the service's own, as its NATS
// user, so the local default runs with production's rights and a missing
// right shows here first; otherwise the process's connection, which is
// already the role's.
func (s *Stack) serviceJS(ctx context.Context, service string) (jetstream.JetStream, error) {
	if s.serviceConns == nil {
		return s.JS, nil
	}
	if js, ok := s.serviceJSs[service]; ok {
		return js, nil
	}
	nc, js, err := natsx.Connect(ctx, s.NATSSrv.ClientURL(), "econdip-"+service, s.Log, s.secrets.natsCredentials(service).Options()...)
	if err != nil {
		return nil, fmt.Errorf("NATS user %s: %w", service, err)
	}
	s.onStop(nc.Close)
	s.serviceConns[service], s.serviceJSs[service] = nc, natsx.Provisioned(js)
	return s.serviceJSs[service], nil
}

// natsConnOf is the NATS connection the service named name uses, for its readiness.
func (s *Stack) natsConnOf(name string) *nats.Conn {
	if nc, ok := s.serviceConns[name]; ok {
		return nc
	}
	return s.NC
}

// Close stops everything started, last first.
func (s *Stack) Close() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
	s.stops = nil
}

// StartNATS connects to ECONDIP_NATS_URL, or runs the embedded server when
// embedded is allowed and no URL is set; then it creates the streams.
func (s *Stack) StartNATS(ctx context.Context, embedded bool) error {
	url := s.Cfg.NATSURL
	if url == "" {
		if !embedded {
			return errors.New("ECONDIP_NATS_URL is not set: a single service needs the address of the NATS cluster (or use `econdip up` for everything in one process)")
		}
		if s.Cfg.NATSReplicas > 1 {
			return fmt.Errorf("ECONDIP_NATS_REPLICAS=%d needs a NATS cluster of as many servers, but the embedded server is one: set ECONDIP_NATS_URL to the cluster, or ECONDIP_NATS_REPLICAS=1", s.Cfg.NATSReplicas)
		}
		dir := filepath.Join(s.Cfg.DataDir, "nats")
		sec, err := s.localSecrets()
		if err != nil {
			return err
		}
		// The same users and rights as production (natsx.ServiceAccess):
		// nobody connects without a password, and each service started
		// here connects as its own user (serviceJS).
		users, err := natsx.EmbeddedUsers(sec.NATS)
		if err != nil {
			return err
		}
		opts := natsx.EmbeddedOptions{StoreDir: dir, Port: s.Cfg.NATSPort, Users: users}
		if err := ApplySync(&opts, s.Cfg.NATSSync); err != nil {
			return err
		}
		s.Log.Info("starting embedded NATS with JetStream", "store", dir, "port", s.Cfg.NATSPort, "sync", SyncString(opts))
		srv, err := natsx.StartEmbedded(opts)
		if err != nil {
			return err
		}
		s.NATSSrv = srv
		s.onStop(func() { srv.Shutdown(); srv.WaitForShutdown(); s.Log.Info("NATS stopped") })
		url = srv.ClientURL()
	}
	// Each process connects as its role (Cfg.Role: its own NATS user and
	// subjects, natsx.ServicePermissions). On the embedded server this
	// connection is the admin tool's, which sets JetStream up as `econdip
	// migrate` does; the services then connect as their own users.
	role := s.Cfg.Role
	var opts []nats.Option
	if s.NATSSrv == nil {
		creds, err := natsx.CredentialsFromEnv(role, os.LookupEnv)
		if err != nil {
			return err
		}
		opts = creds.Options()
	} else {
		opts = s.secrets.natsCredentials(natsx.ServiceAdminTool).Options()
	}
	nc, js, err := natsx.Connect(ctx, url, "econdip-"+cmp.Or(role, "all"), s.Log, opts...)
	if err != nil {
		return err
	}
	s.NC, s.JS = nc, js
	s.onStop(nc.Close)
	if s.NATSSrv != nil {
		s.serviceConns, s.serviceJSs = map[string]*nats.Conn{}, map[string]jetstream.JetStream{}
	}
	if role == "" || role == natsx.ServiceAdminTool {
		if err := events.EnsureStreams(ctx, js, events.StreamOptions{Replicas: s.Cfg.NATSReplicas}); err != nil {
			return err
		}
		if err := notify.Setup(ctx, js, s.Cfg.NATSReplicas, notify.DefaultLeaseTTL); err != nil {
			return err
		}
		if err := documents.Setup(ctx, js, s.Cfg.NATSReplicas); err != nil {
			return err
		}
		if err := natsx.SetupIngestLock(ctx, js, s.Cfg.NATSReplicas); err != nil {
			return err
		}
	} else {
		// A service may not create or change streams and buckets: it binds
		// to those the administrators' setup (econdip migrate) made.
		s.JS = natsx.Provisioned(js)
	}
	// The notifier reads the accounts for recipients only: it authenticates no one.
	if role == "" || (natsx.Reads(role, events.StreamUsers) && role != natsx.ServiceNotify) {
		if err := s.startIdentity(ctx); err != nil {
			return err
		}
	}
	s.Log.Info("NATS ready", "url", natsx.RedactURL(url))
	return nil
}

// StartLocal starts what `econdip up` runs on one machine, in the order
// that lets users in soonest: the embedded NATS, then the leads,
// commissions and exports APIs, which need nothing else; then the private
// ClickHouse (started and migrated), ingest and the dashboard, which need
// it. The APIs answer while ClickHouse starts.
func (s *Stack) StartLocal(ctx context.Context) error {
	if err := PrepareDataDir(s.Cfg.DataDir, s.Log); err != nil {
		return err
	}
	if err := s.LoadUsers(true); err != nil {
		return err
	}
	if err := s.StartNATS(ctx, true); err != nil {
		return err
	}
	// The exports API classifies deals with the mapping files.
	if err := s.ApplyMapping(); err != nil {
		return err
	}
	if err := s.ServeLeads(ctx); err != nil {
		return err
	}
	if err := s.ServeCommissions(ctx); err != nil {
		return err
	}
	if err := s.ServeExports(ctx); err != nil {
		return err
	}
	if err := s.ServeSearch(ctx); err != nil {
		return err
	}
	if err := s.ServeCompanies(ctx); err != nil {
		return err
	}
	if err := s.RunNotify(ctx); err != nil {
		return err
	}
	if err := s.StartClickHouse(ctx, true); err != nil {
		return err
	}
	if err := s.RunIngest(ctx); err != nil {
		return err
	}
	return s.ServeDashboard()
}

// StartClickHouse connects to ECONDIP_CLICKHOUSE_ADDR, or starts the private
// server under the data folder; then it creates the database and migrates.
// With ECONDIP_CLICKHOUSE_CLUSTER it works in cluster mode (analytics/cluster.go):
// the database and tables are created ON CLUSTER and the reference tables
// loaded into every node ECONDIP_CLICKHOUSE_ADDR lists.
func (s *Stack) StartClickHouse(ctx context.Context, private bool) error {
	addr := s.Cfg.CHAddr
	if addr == "" && s.Cfg.CHCluster != "" {
		return errors.New("ECONDIP_CLICKHOUSE_CLUSTER is set but ECONDIP_CLICKHOUSE_ADDR is not: cluster mode needs every replica's native address, comma-separated")
	}
	if addr == "" {
		if !private {
			return errors.New("ECONDIP_CLICKHOUSE_ADDR is not set: a single service needs the ClickHouse address (or use `econdip up`)")
		}
		// Nobody connects without a password: migrations and reference
		// loads run as the administrator, ingest writes as the writer, the
		// dashboard reads as the read-only user (LocalSecrets).
		sec, err := s.localSecrets()
		if err != nil {
			return err
		}
		// Supervised: a server that dies is started again on the same
		// ports, and the connections below find it there.
		srv, err := chserver.Supervise(ctx, chserver.Options{Dir: filepath.Join(s.Cfg.DataDir, "clickhouse"), TCPPort: s.Cfg.CHPort, HTTPPort: s.Cfg.CHHTTPPort,
			Logger: s.Log, AdminPassword: sec.ClickHouse[chserver.AdminUser], WriterPassword: sec.ClickHouse[chserver.WriterUser],
			ReadOnlyPassword: sec.ClickHouse[chserver.ReadOnlyUser]})
		if err != nil && strings.Contains(err.Error(), "already in use") {
			return fmt.Errorf("%w\n(another process, perhaps another econdip up, uses the port: stop it, or set ECONDIP_CLICKHOUSE_PORT and ECONDIP_CLICKHOUSE_HTTP_PORT)", err)
		}
		if err != nil {
			return err
		}
		s.CHSrv = srv
		s.onStop(func() {
			if err := srv.Stop(); err != nil {
				s.Log.Warn("stopping ClickHouse", "err", err)
			} else {
				s.Log.Info("ClickHouse stopped")
			}
		})
		addr = srv.Addr
	}
	base := analytics.Config{Addr: addr, Database: "default", Username: s.Cfg.CHUser, Password: s.Cfg.CHPassword, TLS: s.Cfg.CHTLS, Cluster: s.Cfg.CHCluster}
	if s.CHSrv != nil {
		base.Username, base.Password = chserver.AdminUser, s.secrets.ClickHouse[chserver.AdminUser]
	}
	if s.Cfg.Role == natsx.ServiceDashboard || s.Cfg.Role == natsx.ServiceIngest {
		// Production roles: the database is migrated and loaded by `econdip
		// migrate` (a user with DDL); these only read (dashboard, as a
		// read-only user) or insert (ingest).
		base.Database = s.Cfg.CHDatabase
		conn, err := analytics.Open(ctx, base)
		if err != nil {
			return err
		}
		s.CH = conn
		s.onStop(func() { _ = conn.Close() })
		if err := s.ApplyMapping(); err != nil {
			return err
		}
		s.Log.Info("ClickHouse ready", "addr", addr, "database", s.Cfg.CHDatabase, "role", s.Cfg.Role)
		return nil
	}
	boot, err := analytics.Open(ctx, base)
	if err != nil {
		return err
	}
	if s.Cfg.CHCluster != "" {
		err = analytics.CheckCluster(ctx, boot, s.Cfg.CHCluster, base.Addrs())
		if err == nil {
			err = analytics.CheckReplicasDistinct(ctx, base)
		}
	}
	if err == nil {
		err = analytics.CreateDatabaseCluster(ctx, boot, s.Cfg.CHDatabase, s.Cfg.CHCluster)
	}
	boot.Close()
	if err != nil {
		return err
	}
	base.Database = s.Cfg.CHDatabase
	conn, err := analytics.Open(ctx, base)
	if err != nil {
		return err
	}
	s.CH = conn
	s.onStop(func() { _ = conn.Close() })
	if err := analytics.MigrateCluster(ctx, conn, s.Log, s.Cfg.CHCluster); err != nil {
		return err
	}
	if s.CHSrv != nil {
		open := func(user string) (driver.Conn, error) {
			cfg := base
			cfg.Username, cfg.Password = user, s.secrets.ClickHouse[user]
			conn, err := analytics.Open(ctx, cfg)
			if err != nil {
				return nil, fmt.Errorf("ClickHouse user %s: %w", user, err)
			}
			s.onStop(func() { _ = conn.Close() })
			return conn, nil
		}
		if s.CHReadOnly, err = open(chserver.ReadOnlyUser); err != nil {
			return err
		}
		if s.CHWriter, err = open(chserver.WriterUser); err != nil {
			return err
		}
	}
	// Export deals are classified (sector, raw/non-raw) with the mapping
	// files administrators edit: reload the classification from them at
	// every start, so an edited mapping reclassifies every deal.
	if err := s.ApplyMapping(); err != nil {
		return err
	}
	var n int
	err = s.eachCHNode(ctx, "the HS classification", func(ctx context.Context, conn driver.Conn) error {
		n, err = analytics.LoadHSClassification(ctx, conn, s.Ref)
		return err
	})
	if err != nil {
		return err
	}
	s.Log.Info("HS classification loaded", "codes", n, "mapping", s.mappingDir())
	if _, err := s.LoadReferenceFiles(ctx); err != nil {
		return err
	}
	s.Log.Info("ClickHouse ready", "addr", addr, "database", s.Cfg.CHDatabase)
	return nil
}

// ApplyMapping replaces s.Ref with the reference data classified by the HS
// mapping files administrators edit (ECONDIP_MAPPING_DIR), once per
// process: everything started after it (the exports API, ingest's
// conversions, the dashboard) reads one mapping. StartClickHouse calls it;
// `econdip up` calls it first, as its APIs start before ClickHouse.
func (s *Stack) ApplyMapping() error {
	if s.mapped {
		return nil
	}
	ref, err := s.Ref.WithMappingDir(s.mappingDir())
	if err != nil {
		return fmt.Errorf("HS mapping (ECONDIP_MAPPING_DIR): %w", err)
	}
	s.Ref, s.mapped = ref, true
	return nil
}

func (s *Stack) mappingDir() string {
	return cmp.Or(s.Cfg.MappingDir, filepath.Join(s.Cfg.DataDir, "mapping"))
}

// eachCHNode runs load with a connection to every ClickHouse node that
// holds reference tables: s.CH on a single node; in cluster mode each node
// ECONDIP_CLICKHOUSE_ADDR lists, with a connection of its own, since every
// node holds its own copy (analytics/cluster.go). A node that cannot be
// reached or loaded does not stop the others; the error names it.
func (s *Stack) eachCHNode(ctx context.Context, what string, load func(context.Context, driver.Conn) error) error {
	if s.Cfg.CHCluster == "" {
		return load(ctx, s.CH)
	}
	all := analytics.Config{Addr: s.Cfg.CHAddr}.Addrs()
	var errs []error
	var failed []string
	for _, addr := range all { // each a replica of its own: StartClickHouse checked (CheckReplicasDistinct)
		err := func() error {
			conn, err := analytics.Open(ctx, analytics.Config{Addr: addr, Database: s.Cfg.CHDatabase, Username: s.Cfg.CHUser,
				Password: s.Cfg.CHPassword, TLS: s.Cfg.CHTLS, Cluster: s.Cfg.CHCluster})
			if err != nil {
				return err
			}
			defer conn.Close()
			return load(ctx, conn)
		}()
		if err != nil {
			errs = append(errs, fmt.Errorf("ClickHouse node %s: load %s: %w", addr, what, err))
			failed = append(failed, addr)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w\n%s is not loaded on %s (the nodes not named here have it): the figures read there are wrong until it is; run `econdip reload` once the node answers again",
			errors.Join(errs...), what, strings.Join(failed, ", "))
	}
	return nil
}

// ReferenceLoad says what LoadReferenceFiles loaded.
type ReferenceLoad struct {
	RatesFile, TargetsFile string
	Rates, RateDays        int  // lines of the rates file; currency-days in fx_daily
	RatesLoaded            bool // false: the same rates were loaded already
	Targets                int
}

// LoadReferenceFiles loads the rates and targets files administrators edit
// into ClickHouse (writing the demo files first where there are none). Both
// files are read and validated before either is loaded: a malformed file is
// refused, naming its line and field, and the figures keep what they had.
// It runs at every start and on a reload (SIGHUP, or the administrators'
// reload in the dashboard).
func (s *Stack) LoadReferenceFiles(ctx context.Context) (ReferenceLoad, error) {
	out := ReferenceLoad{RatesFile: s.ratesFile(), TargetsFile: s.targetsFile()}
	if err := s.Ref.WriteRatesFile(out.RatesFile, false); err != nil {
		return out, fmt.Errorf("write the demo rates store: %w", err)
	}
	if err := reference.WriteTargetsFile(out.TargetsFile, false); err != nil {
		return out, fmt.Errorf("write the demo targets file: %w", err)
	}
	rates, err := s.Ref.LoadRatesFile(out.RatesFile)
	if err != nil {
		return out, fmt.Errorf("rates store refused, nothing reloaded (ECONDIP_RATES_FILE): %w", err)
	}
	targets, err := s.Ref.LoadTargetsFile(out.TargetsFile)
	if err != nil {
		return out, fmt.Errorf("targets file refused, nothing reloaded (ECONDIP_TARGETS_FILE): %w", err)
	}
	out.Rates = rates.Lines()
	lim := s.RateLimits()
	err = s.eachCHNode(ctx, "the rates and targets", func(ctx context.Context, conn driver.Conn) error {
		days, loaded, err := analytics.LoadRates(ctx, conn, rates, lim, out.RatesFile)
		if err != nil {
			return err
		}
		out.RateDays, out.RatesLoaded = days, out.RatesLoaded || loaded
		out.Targets, err = analytics.LoadTargets(ctx, conn, targets)
		return err
	})
	if err != nil {
		return out, err
	}
	// The figures' aggregates follow the rates: re-projected here, as a
	// user with DDL, under the locks ingest's writes take (ingest's own
	// ClickHouse user may not create tables). Not in cluster mode yet.
	if s.Cfg.CHCluster == "" && s.JS != nil && (s.Cfg.Role == "" || s.Cfg.Role == natsx.ServiceAdminTool) {
		if err := ingest.PrepareAggregates(ctx, s.JS, s.CH, s.Log); err != nil {
			return out, fmt.Errorf("the figures' aggregates: %w", err)
		}
	}
	s.setRates(rates)
	s.Log.Info("reference files loaded", "rates_file", out.RatesFile, "rates", out.Rates, "rate_days", out.RateDays,
		"rates_reloaded", out.RatesLoaded, "stale_days", lim.StaleDays, "max_age_days", lim.MaxAgeDays,
		"targets_file", out.TargetsFile, "targets", out.Targets)
	return out, nil
}

// RateLimits are the configured limits of a rate's age (the defaults when
// the configuration was built without them).
func (s *Stack) RateLimits() reference.RateLimits {
	if s.Cfg.RateLimits == (reference.RateLimits{}) {
		return reference.DefaultRateLimits
	}
	return s.Cfg.RateLimits
}

// Rates returns the rates store this process loaded last (the demo store
// before any load); the Go conversions of the dashboard read it.
func (s *Stack) Rates() *reference.Rates {
	if rs := s.rates.Load(); rs != nil {
		return rs
	}
	rs, err := s.Ref.LoadRatesFile(s.ratesFile())
	if err != nil {
		if rs, err = s.Ref.DemoRates(); err != nil {
			return reference.NewRates(nil)
		}
	}
	s.rates.CompareAndSwap(nil, rs)
	return s.rates.Load()
}

func (s *Stack) setRates(rs *reference.Rates) {
	s.rates.Store(rs)
	s.Ref.AddRatedCurrencies(rs.Currencies())
}

// ImportRates imports files of the National Bank's rates XML or the rates
// CSV into the rates store (all or nothing: a refused file changes
// nothing) and loads the store into ClickHouse when this process has it.
// progress is called after each file read.
func (s *Stack) ImportRates(ctx context.Context, files []reference.RatesInput, progress func(done, total int, name string)) (reference.ImportSummary, error) {
	s.ratesMu.Lock()
	defer s.ratesMu.Unlock()
	rs, sum, err := s.Ref.ImportRatesFile(s.ratesFile(), files, progress)
	if err != nil {
		return sum, err
	}
	s.setRates(rs)
	s.Log.Info("rates imported", "files", sum.Files, "rates", sum.Rates, "added", sum.Added, "replaced", sum.Replaced,
		"days", sum.Days, "currencies", len(sum.Currencies), "currencies_with_gaps", len(sum.Gaps), "store", s.ratesFile())
	if s.CH == nil {
		return sum, nil
	}
	if _, err := s.LoadReferenceFiles(ctx); err != nil {
		return sum, fmt.Errorf("the rates are imported into %s but not loaded into ClickHouse: %w; run `econdip reload`", s.ratesFile(), err)
	}
	return sum, nil
}

func (s *Stack) ratesFile() string {
	if s.Cfg.RatesFile != "" {
		return s.Cfg.RatesFile
	}
	return filepath.Join(s.Cfg.DataDir, "reference", reference.RatesFile)
}

func (s *Stack) targetsFile() string {
	if s.Cfg.TargetsFile != "" {
		return s.Cfg.TargetsFile
	}
	return filepath.Join(s.Cfg.DataDir, "reference", reference.TargetsFile)
}

// DemoTokensFile holds the plain demo tokens next to the users file, so the
// local default can print them again on every start.
func (s *Stack) DemoTokensFile() string { return filepath.Join(s.Cfg.DataDir, "demo-tokens.json") }

// LoadUsers reads the users file; with createDemo and no file yet, it first
// writes demo users (an attaché per post, an analyst, an administrator).
func (s *Stack) LoadUsers(createDemo bool) error {
	if _, err := os.Stat(s.Cfg.UsersFile); errors.Is(err, os.ErrNotExist) && createDemo {
		if err := s.writeDemoUsers(); err != nil {
			return err
		}
	}
	if _, err := os.Stat(s.Cfg.UsersFile); errors.Is(err, os.ErrNotExist) && !createDemo {
		return nil // accounts come from the USERS stream only
	}
	users, err := auth.ReadFile(s.Cfg.UsersFile)
	if err != nil {
		return fmt.Errorf("%w (set ECONDIP_USERS_FILE to a users file)", err)
	}
	s.users = users
	return nil
}

// startIdentity opens the account store on the USERS stream and imports the
// users file's accounts that are not there yet.
func (s *Stack) startIdentity(ctx context.Context) error {
	ctx = s.untilClose(ctx)
	opts := identity.Options{BcryptCost: s.Cfg.BcryptCost, Replicas: s.Cfg.NATSReplicas}
	log := s.Log.With("service", "identity")
	if s.serviceConns != nil {
		// On the embedded server the admin tool's connection makes the
		// key-value buckets and imports the users file, as `econdip migrate`
		// does in production; accounts and sessions are then served over
		// the dashboard's connection, the user that writes them there.
		setup, done := context.WithCancel(ctx)
		admin, err := identity.New(setup, s.JS, s.Ref, log, opts)
		n := 0
		if err == nil {
			n, err = admin.Import(setup, s.users)
		}
		done()
		if err != nil {
			return err
		}
		if n > 0 {
			s.Log.Info("accounts imported from the users file", "accounts", n, "file", s.Cfg.UsersFile)
		}
		js, err := s.serviceJS(ctx, natsx.ServiceDashboard)
		if err != nil {
			return err
		}
		opts.ViewsDir = s.viewsDir("identity")
		id, err := identity.New(ctx, js, s.Ref, log, opts)
		if err != nil {
			return err
		}
		s.Identity, s.Users = id, id
		// The calendar tokens' bucket likewise: made by the admin tool's
		// connection, used over the dashboard's.
		if _, err := digest.OpenCalendars(ctx, s.JS, s.Cfg.NATSReplicas); err != nil {
			return err
		}
		s.Calendars, err = digest.OpenCalendars(ctx, js, s.Cfg.NATSReplicas)
		return err
	}
	opts.ViewsDir = s.viewsDir("identity")
	id, err := identity.New(ctx, s.JS, s.Ref, log, opts)
	if err != nil {
		return err
	}
	n := 0
	if s.Cfg.Role == "" || natsx.CanPublish(s.Cfg.Role, events.MustSubject(events.UserSubject("x"))) {
		if n, err = id.Import(ctx, s.users); err != nil {
			return err
		}
	}
	if n > 0 {
		s.Log.Info("accounts imported from the users file", "accounts", n, "file", s.Cfg.UsersFile)
	}
	s.Identity, s.Users = id, id
	// The calendar tokens' bucket: the admin tool (econdip migrate) makes
	// it, the dashboard binds to it; other services have no right to it.
	if s.Cfg.Role == "" || natsx.CanPublish(s.Cfg.Role, "$KV."+natsx.BucketCalendars+".x") {
		if s.Calendars, err = digest.OpenCalendars(ctx, s.JS, s.Cfg.NATSReplicas); err != nil {
			return err
		}
	}
	return nil
}

func (s *Stack) writeDemoUsers() error {
	var file auth.File
	tokens := map[string]string{}
	// One random password for every demo account, printed at each start,
	// hashed at the cost of every other account and of the decoy checked
	// for unknown ids: a cheaper hash would tell by timing which ids exist.
	password := strings.TrimPrefix(auth.NewToken(), "edp_")[:20]
	hash, err := bcrypt.GenerateFromPassword([]byte(password), identity.PasswordCost(s.Cfg.BcryptCost))
	if err != nil {
		return err
	}
	add := func(u auth.User) {
		tok := auth.NewToken()
		tokens[u.ID] = tok
		file.Users = append(file.Users, auth.Entry{User: u, TokenSHA256: auth.HashToken(tok), PasswordBcrypt: string(hash)})
	}
	add(auth.User{ID: "analyst", Name: "Demo Analyst", Role: auth.Analyst})
	add(auth.User{ID: "admin", Name: "Demo Administrator", Role: auth.Admin})
	for _, p := range s.Ref.Posts() {
		add(auth.User{ID: "attache." + p.Code, Name: "Attaché, " + p.CityEN, Role: auth.Attache, Post: p.Code})
	}
	for _, id := range demo.CommissionIDs() {
		add(auth.User{ID: "secretariat." + id, Name: "Secretariat, " + id, Role: auth.Secretariat, Commission: id})
	}
	if err := os.MkdirAll(filepath.Dir(s.Cfg.UsersFile), 0o755); err != nil {
		return err
	}
	if err := writeJSON(s.DemoTokensFile(), tokens); err != nil {
		return err
	}
	if err := writeJSON(s.DemoPasswordFile(), map[string]string{"password": password}); err != nil {
		return err
	}
	return writeJSON(s.Cfg.UsersFile, file)
}

// DemoPasswordFile holds the demo accounts' password, printed at each start.
func (s *Stack) DemoPasswordFile() string { return filepath.Join(s.Cfg.DataDir, "demo-password.json") }

// DemoPassword is the demo accounts' password, "" when there is none.
func (s *Stack) DemoPassword() string {
	raw, err := os.ReadFile(s.DemoPasswordFile())
	if err != nil {
		return ""
	}
	var v map[string]string
	_ = json.Unmarshal(raw, &v)
	return v["password"]
}

func writeJSON(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// DemoTokens returns the demo users' tokens by user id, nil when there are none.
func (s *Stack) DemoTokens() map[string]string {
	raw, err := os.ReadFile(s.DemoTokensFile())
	if err != nil {
		return nil
	}
	var tokens map[string]string
	_ = json.Unmarshal(raw, &tokens)
	return tokens
}

// listen serves app on addr until Close, and returns the address it got.
func (s *Stack) listen(name, addr string, app *fiber.App) (string, error) {
	if s.Apps == nil {
		s.Apps = map[string]*fiber.App{}
	}
	s.Apps[app.Config().AppName] = app
	s.addReadyChecks(app)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("%s: listen on %s: %w (is another process using the port? change the address, see the README)", name, addr, err)
	}
	go func() {
		if err := app.Listener(ln); err != nil {
			s.Log.Error(name+" stopped serving", "err", err)
		}
	}()
	s.onStop(func() { _ = app.Shutdown(); s.Log.Info(name + " stopped") })
	s.Log.Info(name+" listening", "addr", ln.Addr().String())
	return ln.Addr().String(), nil
}

// addReadyChecks makes app's /readyz check what its service needs: NATS
// for every service (the log is their store), ClickHouse for the dashboard
// and ingest.
func (s *Stack) addReadyChecks(app *fiber.App) {
	if nc := s.natsConnOf(app.Config().AppName); nc != nil {
		httpx.AddReadyCheck(app, "nats", func(context.Context) error {
			if st := nc.Status(); st != nats.CONNECTED {
				return fmt.Errorf("NATS connection is %s", st)
			}
			return nil
		})
	}
	if name := app.Config().AppName; s.CH != nil && (name == "dashboard" || name == "ingest") {
		httpx.AddReadyCheck(app, "clickhouse", s.CH.Ping)
	}
}

// ServeLeads starts the leads API; its read model follows the log until ctx ends.
func (s *Stack) ServeLeads(ctx context.Context) error {
	var err error
	s.LeadsAddr, err = s.serveAPI(ctx, natsx.ServiceLeads, "leads API", s.Cfg.LeadsAddr, leads.New)
	return err
}

// newAPI is a service's constructor (leads.New, commissions.New, exports.New).
type newAPI func(ctx context.Context, js jetstream.JetStream, ref *reference.Data, log *slog.Logger, views string,
	users auth.Authenticator, writeLimit fiber.Handler, opts httpx.Options) (*fiber.App, error)

// serveAPI starts the API of service, connected as its own NATS user, and
// serves it on addr until Close; it returns the address it got.
func (s *Stack) serveAPI(ctx context.Context, service, what, addr string, start newAPI) (string, error) {
	js, err := s.serviceJS(ctx, service)
	if err != nil {
		return "", err
	}
	ctx = s.untilClose(ctx)
	app, err := start(ctx, js, s.Ref, s.Log.With("service", service), s.viewsDir(service), s.Users, s.writeLimit(),
		httpx.Options{Name: service, Logger: s.Log, Secure: s.Cfg.SecureCookies})
	if err != nil {
		return "", err
	}
	return s.listen(what, addr, app)
}

// untilClose is ctx, ended by Close too: a service's read models then let
// go of their files, so that a stack started again in this process (a
// restart in a test) can open them.
func (s *Stack) untilClose(ctx context.Context) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	s.onStop(cancel)
	return ctx
}

// viewsDir is the folder of a part's read models: one folder a part, or
// one a process when it runs a single role, so that no two processes share
// a file.
func (s *Stack) viewsDir(part string) string {
	dir := s.Cfg.ViewsDir
	if dir == "" && s.Cfg.DataDir != "" {
		dir = filepath.Join(s.Cfg.DataDir, "views")
	}
	if dir == "" {
		return "" // a temporary folder, rebuilt at each start
	}
	if s.Cfg.Role != "" {
		return filepath.Join(dir, s.Cfg.Role)
	}
	return filepath.Join(dir, part)
}

// writeLimit is the per-user limit on writes of one service
// (ECONDIP_WRITES_PER_MINUTE, with a burst of a tenth of it; 0: none).
func (s *Stack) writeLimit() fiber.Handler {
	var rl *httpx.RateLimiter
	if per := s.Cfg.WritesPerMinute; per > 0 {
		rl = httpx.NewRateLimiter(per, max(per/10, 1))
	}
	return httpx.WriteLimit(rl, func(c *fiber.Ctx) string { return auth.FromCtx(c).ID })
}

// ServeCommissions starts the commissions API; its read models follow the log until ctx ends.
func (s *Stack) ServeCommissions(ctx context.Context) error {
	var err error
	s.CommissionsAddr, err = s.serveAPI(ctx, natsx.ServiceCommissions, "commissions API", s.Cfg.CommissionsAddr, commissions.New)
	return err
}

// ServeExports starts the exports API (exporters, export deals, trade
// barriers, the HS picker); its read models follow the log until ctx ends.
func (s *Stack) ServeExports(ctx context.Context) error {
	var err error
	s.ExportsAddr, err = s.serveAPI(ctx, natsx.ServiceExports, "exports API", s.Cfg.ExportsAddr, exports.New)
	return err
}

// ServeSearch starts the global search API; its index follows the record
// streams until ctx ends.
func (s *Stack) ServeSearch(ctx context.Context) error {
	var err error
	s.SearchAddr, err = s.serveAPI(ctx, natsx.ServiceSearch, "search API", s.Cfg.SearchAddr, search.New)
	return err
}

// ServeCompanies starts the company register's API; its read model follows the log until ctx ends.
func (s *Stack) ServeCompanies(ctx context.Context) error {
	var err error
	s.CompaniesAddr, err = s.serveAPI(ctx, natsx.ServiceCompanies, "companies API", s.Cfg.CompaniesAddr, companies.New)
	return err
}

// MigrateCompanies links the free-text investors and buyers of the leads
// and deals to companies of the register (companymigrate.Run), as the
// administrator's tool; progress goes to out.
func (s *Stack) MigrateCompanies(ctx context.Context, out io.Writer) (companymigrate.Report, error) {
	js, err := s.serviceJS(ctx, natsx.ServiceAdminTool)
	if err != nil {
		return companymigrate.Report{}, err
	}
	return companymigrate.Run(s.untilClose(ctx), js, s.Ref, s.Log.With("part", "company migration"), out)
}

// weeklyDigest is a user's weekly digest, read from ClickHouse (which
// `econdip up` starts after the notifier: the first digest is due on a
// Monday morning, long after).
func (s *Stack) weeklyDigest(ctx context.Context, u events.UserV1, week kernel.Day, lang i18n.Lang, baseURL string) (string, string, []byte, error) {
	conn := cmp.Or(s.CHReadOnly, s.CH)
	if conn == nil {
		return "", "", nil, errors.New("the weekly digest reads ClickHouse, which this process has not connected to: run the notifier inside `econdip up`, or give `econdip notify` ECONDIP_CLICKHOUSE_ADDR")
	}
	return digest.Build(ctx, conn, identity.ToUser(u), week, string(lang), baseURL)
}

// RunNotify starts the notifier, connected as its own NATS user: it follows
// the records and accounts, evaluates the reminder rules and the weekly
// digest when this instance holds the lease, and sends the e-mail outbox.
// Close waits for it to stop.
func (s *Stack) RunNotify(ctx context.Context) error {
	js, err := s.serviceJS(ctx, natsx.ServiceNotify)
	if err != nil {
		return err
	}
	var svc *notify.Service
	s.onStop(func() {
		if svc != nil {
			<-svc.Done()
		}
	})
	ctx = s.untilClose(ctx)
	baseURL := cmp.Or(s.Cfg.PublicURL, "http://"+s.Cfg.DashboardAddr)
	build := s.Digest
	if build == nil {
		build = func(ctx context.Context, u events.UserV1, week kernel.Day, lang i18n.Lang) (string, string, []byte, error) {
			return s.weeklyDigest(ctx, u, week, lang, baseURL)
		}
	}
	svc, err = notify.New(ctx, js, notify.Config{SMTP: s.Cfg.SMTP, Digest: build, BaseURL: baseURL}, s.Log, s.viewsDir(natsx.ServiceNotify))
	if err != nil {
		return err
	}
	s.Notify = svc
	// `econdip notify` serves its health, readiness (NATS, read models) and
	// metrics, like ingest; in `econdip up` ingest's address has them.
	if addr := s.Cfg.NotifyAddr; s.Cfg.Role == natsx.ServiceNotify && addr != "" && addr != "off" {
		app := httpx.New(httpx.Options{Name: natsx.ServiceNotify, Logger: s.Log, Metrics: true})
		httpx.AddReadyCheck(app, "read models", svc.Ready)
		if s.NotifyAddr, err = s.listen("notifier health and metrics", addr, app); err != nil {
			s.Log.Error("the notifier runs without /healthz, /readyz and /metrics", "err", err)
		}
	}
	if s.Cfg.SMTP.Host == "" {
		s.Log.Warn("no SMTP server configured (ECONDIP_SMTP_HOST): reminders reach the inbox, e-mails wait in the outbox")
	}
	return nil
}

// ServeDashboard starts the dashboard; it calls the leads API at Cfg.LeadsURL,
// or at the leads API this stack started.
func (s *Stack) ServeDashboard() error {
	leadsURL, commissionsURL, exportsURL, searchURL := s.Cfg.LeadsURL, s.Cfg.CommissionsURL, s.Cfg.ExportsURL, s.Cfg.SearchURL
	if searchURL == "" && s.SearchAddr != "" {
		searchURL = "http://" + s.SearchAddr
	}
	if leadsURL == "" {
		leadsURL = "http://" + s.LeadsAddr
	}
	if commissionsURL == "" {
		commissionsURL = "http://" + s.CommissionsAddr
	}
	if exportsURL == "" {
		exportsURL = "http://" + s.ExportsAddr
	}
	companiesURL := s.Cfg.CompaniesURL
	if companiesURL == "" && s.CompaniesAddr != "" {
		companiesURL = "http://" + s.CompaniesAddr
	}
	js, err := s.serviceJS(context.Background(), natsx.ServiceDashboard)
	if err != nil {
		return err
	}
	inbox, err := notify.OpenStore(context.Background(), js)
	if err != nil {
		return err
	}
	app, err := dashboards.New(dashboards.Config{Inbox: inbox, LeadsURL: leadsURL, CommissionsURL: commissionsURL, ExportsURL: exportsURL, SearchURL: searchURL, CompaniesURL: companiesURL, CH: cmp.Or(s.CHReadOnly, s.CH), CHWriter: cmp.Or(s.CHWriter, s.CH), Users: s.Users, Identity: s.Identity, Ref: s.Ref, Log: s.Log, Secure: s.Cfg.SecureCookies,
		RateLimits: s.RateLimits(), Rates: s.Rates, ImportRates: s.ImportRates, Calendars: s.Calendars})
	if err != nil {
		return err
	}
	s.DashboardAddr, err = s.listen("dashboard", s.Cfg.DashboardAddr, app)
	return err
}

// RunIngest consumes into ClickHouse until ctx ends; Close waits for its final flush.
func (s *Stack) RunIngest(ctx context.Context) error {
	js, err := s.serviceJS(ctx, natsx.ServiceIngest)
	if err != nil {
		return err
	}
	svc := ingest.New(js, cmp.Or(s.CHWriter, s.CH), s.Log, ingest.Config{BatchSize: s.Cfg.IngestBatch, FixedWait: s.Cfg.IngestFixedWait, Linger: s.Cfg.IngestLinger,
		NoAggregates: s.Cfg.CHCluster != ""})
	ictx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := svc.Run(ictx); err != nil {
			s.Log.Error("ingest stopped", "err", err)
		}
	}()
	s.onStop(func() { cancel(); <-done; s.Log.Info("ingest stopped after flushing") })
	// Its health, readiness and metrics, for probes and Prometheus. Without
	// them ingest still runs (the error is logged): the insert path does
	// not depend on a free port.
	if addr := s.Cfg.IngestAddr; addr != "" && addr != "off" {
		app := httpx.New(httpx.Options{Name: "ingest", Logger: s.Log, Metrics: true})
		var err error
		if s.IngestAddr, err = s.listen("ingest health and metrics", addr, app); err != nil {
			s.Log.Error("ingest runs without /healthz, /readyz and /metrics", "err", err)
		}
	}
	return nil
}

// ServeMetrics serves the process's /metrics (every service of the process
// shares one Prometheus registry), /healthz and /readyz on Cfg.MetricsAddr:
// an internal address for Prometheus, apart from the ports users reach,
// which no longer serve /metrics. A single service process (econdip leads,
// commissions, exports, dashboard) calls it; `econdip up` and `econdip
// ingest` have ingest's health address for that. Without a free port the
// service still runs and the error is logged: serving users does not
// depend on metrics.
func (s *Stack) ServeMetrics() {
	addr := s.Cfg.MetricsAddr
	if addr == "" || addr == "off" {
		return
	}
	app := httpx.New(httpx.Options{Name: "metrics", Logger: s.Log, Metrics: true})
	var err error
	if s.MetricsAddr, err = s.listen("metrics", addr, app); err != nil {
		s.Log.Error("this process serves no /metrics", "err", err)
	}
}
