package analytics

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

var migrationName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// Migration is one numbered schema change.
type Migration struct {
	Version    uint32
	Name       string
	Statements []string
}

// Migrations returns the embedded migrations in order.
func Migrations() ([]Migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Migration
	for _, path := range names {
		name := strings.TrimPrefix(path, "migrations/")
		m := migrationName.FindStringSubmatch(name)
		if m == nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_words.sql", name)
		}
		v, _ := strconv.ParseUint(m[1], 10, 32)
		raw, err := migrationFiles.ReadFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: uint32(v), Name: name, Statements: splitStatements(string(raw))})
	}
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	return out, nil
}

// splitStatements cuts a file at semicolons that end a line, dropping comment lines.
func splitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			if s := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"); s != "" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// CreateDatabase creates the database if it does not exist; conn may point at any database.
func CreateDatabase(ctx context.Context, conn driver.Conn, database string) error {
	return CreateDatabaseCluster(ctx, conn, database, "")
}

// CreateDatabaseCluster is CreateDatabase on every node of cluster (ON
// CLUSTER); an empty cluster is CreateDatabase.
func CreateDatabaseCluster(ctx context.Context, conn driver.Conn, database, cluster string) error {
	if !identRe.MatchString(database) {
		return fmt.Errorf("database name %q: use letters, digits and underscores", database)
	}
	q := "CREATE DATABASE IF NOT EXISTS " + database
	if cluster != "" {
		if !identRe.MatchString(cluster) {
			return fmt.Errorf("cluster name %q: use letters, digits and underscores", cluster)
		}
		q += " ON CLUSTER " + cluster
	}
	if err := conn.Exec(ctx, q); err != nil {
		return fmt.Errorf("create database %s: %w%s", database, err, clusterHint(cluster))
	}
	return nil
}

// DropDatabaseCluster drops the database, on every node of cluster when
// cluster is set (ON CLUSTER): dropped on one node only, its replicated
// tables would fetch the old rows back from the other replicas when they are
// created again.
func DropDatabaseCluster(ctx context.Context, conn driver.Conn, database, cluster string) error {
	if !identRe.MatchString(database) {
		return fmt.Errorf("database name %q: use letters, digits and underscores", database)
	}
	q := "DROP DATABASE `" + database + "`"
	if cluster != "" {
		if !identRe.MatchString(cluster) {
			return fmt.Errorf("cluster name %q: use letters, digits and underscores", cluster)
		}
		// IF EXISTS: a node that lacks it must not fail the statement.
		q = "DROP DATABASE IF EXISTS `" + database + "` ON CLUSTER " + cluster
	}
	if err := conn.Exec(ctx, q); err != nil {
		return fmt.Errorf("drop database %s: %w%s", database, err, clusterHint(cluster))
	}
	return nil
}

// Migrate applies the migrations that the database has not seen yet, in
// order, recording each in schema_migrations. Statements are idempotent
// (IF NOT EXISTS), so a migration cut short by a crash is simply run again.
func Migrate(ctx context.Context, conn driver.Conn, log *slog.Logger) error {
	return MigrateCluster(ctx, conn, log, "")
}

// MigrateCluster is Migrate in cluster mode: every statement is applied in
// its cluster form (see cluster.go) ON CLUSTER cluster, to conn's current
// database on every node. An empty cluster is Migrate, statement for
// statement.
func MigrateCluster(ctx context.Context, conn driver.Conn, log *slog.Logger, cluster string) error {
	rewrite := func(stmts []string) ([]string, error) { return stmts, nil }
	if cluster != "" {
		var database string
		if err := conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&database); err != nil {
			return fmt.Errorf("migrate: current database: %w", err)
		}
		r, err := newClusterRewriter(cluster, database)
		if err != nil {
			return err
		}
		rewrite = r.migration
	}
	ledger, err := rewrite([]string{schemaMigrationsTable})
	if err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, stmt := range ledger {
		if err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("create schema_migrations: %w%s", err, clusterHint(cluster))
		}
	}
	applied := map[uint32]bool{}
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
	}
	rows.Close()
	migrations, err := Migrations()
	if err != nil {
		return err
	}
	for _, m := range migrations {
		if applied[m.Version] {
			continue
		}
		start := time.Now()
		stmts, err := rewrite(m.Statements)
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		for i, stmt := range stmts {
			if err := conn.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("migration %s, statement %d: %w%s", m.Name, i+1, err, clusterHint(cluster))
			}
		}
		batch, err := conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, name, applied_at)")
		if err != nil {
			return fmt.Errorf("record migration %s: %w", m.Name, err)
		}
		if err := batch.Append(m.Version, m.Name, time.Now().UTC()); err != nil {
			return fmt.Errorf("record migration %s: %w", m.Name, err)
		}
		if err := batch.Send(); err != nil {
			return fmt.Errorf("record migration %s: %w", m.Name, err)
		}
		log.Info("clickhouse migration applied", "migration", m.Name, "ms", time.Since(start).Milliseconds())
	}
	return nil
}

// schemaMigrationsTable records the migrations applied.
const schemaMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version UInt32, name String, applied_at DateTime('UTC')
	) ENGINE = MergeTree ORDER BY version`

// clusterHint is what an operator needs to know when a DDL ON CLUSTER fails.
func clusterHint(cluster string) string {
	if cluster == "" {
		return ""
	}
	return fmt.Sprintf(" (cluster %s: a DDL ON CLUSTER waits for every node of the cluster and ZooKeeper; a node that is down runs it from the DDL queue when it is back; run the migration again once every node answers)", cluster)
}
