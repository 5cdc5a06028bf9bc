package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	notify "econdip/services/notify/app"
	"econdip/services/platform/reference"
)

// Config is every setting of econdip; ConfigFromEnv fills it from the
// ECONDIP_* variables the README lists.
type Config struct {
	DataDir         string // local default: NATS and ClickHouse data, users file
	Role            string // the process's role (its NATS user and rights): leads, commissions, exports, ingest, dashboard, admin-tool; empty: everything (econdip up)
	NATSURL         string // external NATS; empty: embedded server
	NATSPort        int    // embedded server's client port
	NATSSync        string // when the embedded server fsyncs (ECONDIP_NATS_SYNC): always, an interval, or "" for the server's default
	NATSReplicas    int    // stream replicas (3 on a cluster)
	CHAddr          string // external ClickHouse native address (in cluster mode every replica's, comma-separated); empty: private server
	CHCluster       string // ECONDIP_CLICKHOUSE_CLUSTER: the cluster's name in the servers' remote_servers; empty: a single node
	CHDatabase      string
	CHUser          string
	CHPassword      string
	CHTLS           bool
	CHPort          int // private server's native port
	CHHTTPPort      int // private server's HTTP port
	LeadsAddr       string
	LeadsURL        string // where the dashboard finds the leads API; empty: the one this stack serves
	CommissionsAddr string
	CommissionsURL  string // where the dashboard finds the commissions API; empty: the one this stack serves
	ExportsAddr     string
	ExportsURL      string // where the dashboard finds the exports API; empty: the one this stack serves
	SearchAddr      string // the search API (ECONDIP_SEARCH_ADDR)
	SearchURL       string // where the dashboard finds the search API (ECONDIP_SEARCH_URL); empty: the one this stack serves
	CompaniesAddr   string // the company register's API (ECONDIP_COMPANIES_ADDR)
	CompaniesURL    string // where the dashboard finds the company register; empty: the one this stack serves
	DashboardAddr   string
	IngestAddr      string // ingest's health, readiness and metrics (ECONDIP_INGEST_ADDR); empty or "off": none
	NotifyAddr      string // `econdip notify`'s health, readiness and metrics (ECONDIP_NOTIFY_ADDR); empty or "off": none
	MetricsAddr     string // a single service's internal metrics address (ECONDIP_METRICS_ADDR); empty or "off": none
	UsersFile       string
	ViewsDir        string               // the services' read models (ECONDIP_VIEWS_DIR); empty: <DataDir>/views
	MappingDir      string               // the editable HS mapping files (ECONDIP_MAPPING_DIR); empty: <DataDir>/mapping
	RatesFile       string               // the official rates store (ECONDIP_RATES_FILE); empty: <DataDir>/reference/rates_kzt.csv
	RateLimits      reference.RateLimits // stale and hard limits of a rate's age (ECONDIP_RATE_STALE_DAYS, ECONDIP_RATE_MAX_AGE_DAYS)
	TargetsFile     string               // the scorecard's targets (ECONDIP_TARGETS_FILE); empty: <DataDir>/reference/targets.csv
	Demo            bool
	DemoLeads       int
	DemoSeed        uint64
	LogFormat       string
	LogLevel        string
	SecureCookies   bool
	IngestBatch     int
	// IngestFixedWait: ECONDIP_INGEST_WAIT=fixed restores ingest's wait of
	// before issue 19 (every fetch waits for a full batch or 500 ms), the
	// freshness benchmark's baseline; adaptive (the default) inserts an
	// event alone at once and batches under load (ingest.Config.Linger).
	IngestFixedWait bool
	// IngestLinger is the adaptive wait's cap (ingest.Config.Linger); 0:
	// its default. The freshness benchmark compares values with it.
	IngestLinger    time.Duration
	BcryptCost      int // password hashing cost of every account and of the decoy (ECONDIP_BCRYPT_COST, default 10; tests use 4); 0: the default
	WritesPerMinute int // per user and service (ECONDIP_WRITES_PER_MINUTE)
	// SMTP is the notifier's mail server (ECONDIP_SMTP_HOST, _PORT, _TLS,
	// _USER, _PASSWORD_FILE, _FROM); no host: e-mails wait in the outbox.
	SMTP notify.SMTPConfig
	// PublicURL is the dashboard's address as users reach it, for links in
	// e-mails (ECONDIP_PUBLIC_URL); empty: http://<DashboardAddr>.
	PublicURL string
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// ConfigFromEnv reads the ECONDIP_* variables, with the local defaults.
func ConfigFromEnv() (Config, error) {
	var errs []string
	num := func(name string, def int) int {
		v := env(name, strconv.Itoa(def))
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q is not a whole number", name, v))
		}
		return n
	}
	flag := func(name string, def bool) bool {
		v := env(name, strconv.FormatBool(def))
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q is not true or false", name, v))
		}
		return b
	}
	dataDir, _ := filepath.Abs(env("ECONDIP_DATA_DIR", "data"))
	c := Config{
		DataDir:         dataDir,
		NATSURL:         env("ECONDIP_NATS_URL", ""),
		NATSPort:        num("ECONDIP_NATS_PORT", 14222),
		NATSSync:        env("ECONDIP_NATS_SYNC", DefaultNATSSync),
		NATSReplicas:    num("ECONDIP_NATS_REPLICAS", 1),
		CHAddr:          env("ECONDIP_CLICKHOUSE_ADDR", ""),
		CHCluster:       env("ECONDIP_CLICKHOUSE_CLUSTER", ""),
		CHDatabase:      env("ECONDIP_CLICKHOUSE_DATABASE", "econdip"),
		CHUser:          env("ECONDIP_CLICKHOUSE_USER", "default"),
		CHPassword:      env("ECONDIP_CLICKHOUSE_PASSWORD", ""),
		CHTLS:           flag("ECONDIP_CLICKHOUSE_TLS", false),
		CHPort:          num("ECONDIP_CLICKHOUSE_PORT", 19000),
		CHHTTPPort:      num("ECONDIP_CLICKHOUSE_HTTP_PORT", 18123),
		LeadsAddr:       env("ECONDIP_LEADS_ADDR", "127.0.0.1:8081"),
		DashboardAddr:   env("ECONDIP_DASHBOARD_ADDR", "127.0.0.1:8080"),
		IngestAddr:      env("ECONDIP_INGEST_ADDR", "127.0.0.1:8084"),
		NotifyAddr:      env("ECONDIP_NOTIFY_ADDR", "127.0.0.1:8085"),
		MetricsAddr:     env("ECONDIP_METRICS_ADDR", "127.0.0.1:9464"),
		CommissionsAddr: env("ECONDIP_COMMISSIONS_ADDR", "127.0.0.1:8082"),
		ExportsAddr:     env("ECONDIP_EXPORTS_ADDR", "127.0.0.1:8083"),
		SearchAddr:      env("ECONDIP_SEARCH_ADDR", "127.0.0.1:8087"),
		CompaniesAddr:   env("ECONDIP_COMPANIES_ADDR", "127.0.0.1:8086"),
		Demo:            flag("ECONDIP_DEMO", true),
		DemoLeads:       num("ECONDIP_DEMO_LEADS", 240),
		DemoSeed:        uint64(num("ECONDIP_DEMO_SEED", 2030)),
		LogFormat:       env("ECONDIP_LOG_FORMAT", "text"),
		LogLevel:        env("ECONDIP_LOG_LEVEL", "info"),
		SecureCookies:   flag("ECONDIP_SECURE_COOKIES", false),
		IngestBatch:     num("ECONDIP_INGEST_BATCH", 2000),
		BcryptCost:      num("ECONDIP_BCRYPT_COST", bcrypt.DefaultCost),
		WritesPerMinute: num("ECONDIP_WRITES_PER_MINUTE", 6000),
	}
	switch w := env("ECONDIP_INGEST_WAIT", "adaptive"); w {
	case "adaptive":
	case "fixed":
		c.IngestFixedWait = true
	default:
		errs = append(errs, fmt.Sprintf("ECONDIP_INGEST_WAIT=%q is neither adaptive nor fixed: leave it unset for adaptive", w))
	}
	if c.BcryptCost < bcrypt.MinCost || c.BcryptCost > bcrypt.MaxCost {
		errs = append(errs, fmt.Sprintf("ECONDIP_BCRYPT_COST=%d is not a bcrypt cost: give %d to %d (default %d)", c.BcryptCost, bcrypt.MinCost, bcrypt.MaxCost, bcrypt.DefaultCost))
	}
	if pw, err := secretFromFile("ECONDIP_CLICKHOUSE_PASSWORD_FILE"); err != nil {
		errs = append(errs, err.Error())
	} else if pw != "" {
		c.CHPassword = pw
	}
	c.UsersFile = env("ECONDIP_USERS_FILE", filepath.Join(c.DataDir, "users.json"))
	c.ViewsDir = env("ECONDIP_VIEWS_DIR", "")
	c.MappingDir = env("ECONDIP_MAPPING_DIR", filepath.Join(c.DataDir, "mapping"))
	c.RatesFile = env("ECONDIP_RATES_FILE", filepath.Join(c.DataDir, "reference", reference.RatesFile))
	c.RateLimits = reference.RateLimits{StaleDays: num("ECONDIP_RATE_STALE_DAYS", reference.DefaultRateLimits.StaleDays),
		MaxAgeDays: num("ECONDIP_RATE_MAX_AGE_DAYS", reference.DefaultRateLimits.MaxAgeDays)}
	if err := c.RateLimits.Check(); err != nil {
		errs = append(errs, "ECONDIP_RATE_STALE_DAYS / ECONDIP_RATE_MAX_AGE_DAYS: "+err.Error())
	}
	c.TargetsFile = env("ECONDIP_TARGETS_FILE", filepath.Join(c.DataDir, "reference", reference.TargetsFile))
	c.SMTP = notify.SMTPConfig{Host: env("ECONDIP_SMTP_HOST", ""), Port: num("ECONDIP_SMTP_PORT", 0),
		TLS: env("ECONDIP_SMTP_TLS", "starttls"), User: env("ECONDIP_SMTP_USER", ""), From: env("ECONDIP_SMTP_FROM", "")}
	if pw, err := secretFromFile("ECONDIP_SMTP_PASSWORD_FILE"); err != nil {
		errs = append(errs, err.Error())
	} else {
		c.SMTP.Password = pw
	}
	if err := notify.CheckSMTP(c.SMTP); err != nil {
		errs = append(errs, err.Error())
	}
	c.PublicURL = env("ECONDIP_PUBLIC_URL", "")
	c.LeadsURL = env("ECONDIP_LEADS_URL", "")
	c.CommissionsURL = env("ECONDIP_COMMISSIONS_URL", "")
	c.ExportsURL = env("ECONDIP_EXPORTS_URL", "")
	c.SearchURL = env("ECONDIP_SEARCH_URL", "")
	c.CompaniesURL = env("ECONDIP_COMPANIES_URL", "")
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// secretFromFile reads a secret from the file named by an environment
// variable (the way container platforms mount secrets), trimmed of the final newline.
func secretFromFile(name string) (string, error) {
	path := os.Getenv(name)
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
