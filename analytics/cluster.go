package analytics

// Cluster mode: the same migrations on a ClickHouse cluster.
//
// With a cluster name (ECONDIP_CLICKHOUSE_CLUSTER) the migrations are not
// copied: clusterMigration rewrites each statement of the one source into
// its cluster form when it is applied.
//
//   - Event-derived tables (replicatedTables): every projection of the
//     JetStream log. Each becomes <t>_local, a Replicated*MergeTree created
//     ON CLUSTER with its ZooKeeper path /clickhouse/tables/{shard}/<db>/<t>_local
//     and replica '{replica}' (the servers' macros), plus <t>, a Distributed
//     table over <t>_local. Queries and inserts keep the plain name: an
//     insert into <t> (with insert_distributed_sync=1, see Open) returns once
//     the rows are in a replica's <t>_local, replication copies them to the
//     others, and a read of <t> reads one replica's <t>_local (FINAL, JOIN,
//     IN and subqueries included: the query runs on that replica).
//   - schema_migrations is replicated under its own name (no Distributed
//     table): any node knows what ran.
//   - Reference tables (nodeTables), loaded whole from the administrators'
//     files: a plain copy on every node, created ON CLUSTER. fx_join is a
//     Join table, which cannot be replicated, and joinGet and the joins with
//     hs_classification run on whichever replica answers a query, so every
//     node needs its own full copy: the loaders fill each node listed in
//     ECONDIP_CLICKHOUSE_ADDR (see Nodes).
//
// The shape this assumes is one shard with N replicas, internal_replication
// true: every replica holds every row, so a query answered by one replica
// is complete. (With one shard, a subquery or JOIN over another
// Distributed table is not a "double-distributed" query either: ClickHouse
// applies distributed_product_mode only with two shards or more.) Several shards would need a sharding key per entity (so a
// lead's versions meet on one shard for FINAL), GLOBAL JOIN / GLOBAL IN
// wherever a query joins two event-derived tables, and reference tables
// sent along with the queries; none of that is done, and CheckCluster
// refuses a cluster with more than one shard.
//
// On ClickHouse 18.16 ALTER ... ON CLUSTER is refused for a table that is
// not replicated when the cluster's shard is ("Table t isn't replicated, but
// shard #1 is replicated according to its cluster definition"). So an ALTER
// of an event-derived table alters <t>_local ON CLUSTER (replicated: the
// change reaches every replica through ZooKeeper) and then re-creates the
// Distributed <t> from the new structure (a Distributed table holds no data
// of its own when inserts are synchronous). An ALTER of a reference table is
// refused in cluster mode: a migration drops and re-creates such a table,
// and the next load fills it.
//
// Every name is qualified with the database: a DDL ON CLUSTER runs on the
// other nodes outside the session that sent it, where 18.16 would resolve
// an unqualified name in the server's default database.

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// replicatedTables are the event-derived tables: replicated, read and
// written through a Distributed table of the same name in cluster mode.
var replicatedTables = []string{
	"events",
	"lead_states", "lead_stage_history",
	"commission_states", "session_states", "decision_states", "decision_status_history",
	"exporter_states", "deal_states", "barrier_states", "barrier_status_history",
	"task_states",
	"company_states",
}

// importedTables are not from events, but, like them, written once through
// one node and needed on every replica: the BNS statistics
// (analytics/trade.go). Cluster mode treats them as replicatedTables
// (<t>_local replicated, <t> Distributed); they have no event ids.
var importedTables = []string{"trade_exports", "trade_editions"}

// distributed says whether table is replicated and read through a
// Distributed table in cluster mode.
func distributed(table string) bool {
	return slices.Contains(replicatedTables, table) || slices.Contains(importedTables, table)
}

// nodeTables are the reference tables each node holds a copy of, loaded
// into every node from the files administrators edit.
var nodeTables = []string{"hs_classification", "targets", "fx_daily", "reference_loads", "fx_join"}

// replicatedOnlyTables are replicated under their own name, without a
// Distributed table.
var replicatedOnlyTables = []string{"schema_migrations"}

// LocalSuffix ends the name of the replicated table under each
// Distributed table in cluster mode: events_local under events.
const LocalSuffix = "_local"

// ReplicatedTables lists the event-derived tables, which cluster mode
// replicates (as <name>_local) and reads through a Distributed table <name>.
func ReplicatedTables() []string { return slices.Clone(replicatedTables) }

var (
	identRe       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	createTableRe = regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*ENGINE\s*=\s*([A-Za-z]+)\s*(?:\(([^()]*)\))?(.*)$`)
	alterTableRe  = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+([A-Za-z_][A-Za-z0-9_]*)\s+(.*)$`)
	dropTableRe   = regexp.MustCompile(`(?is)^DROP\s+TABLE\s+(IF\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*$`)
)

// clusterRewriter turns single-node statements into their cluster form.
type clusterRewriter struct {
	cluster, database string
}

func newClusterRewriter(cluster, database string) (clusterRewriter, error) {
	if !identRe.MatchString(cluster) {
		return clusterRewriter{}, fmt.Errorf("cluster name %q: use letters, digits and underscores", cluster)
	}
	if !identRe.MatchString(database) {
		return clusterRewriter{}, fmt.Errorf("database name %q: use letters, digits and underscores", database)
	}
	return clusterRewriter{cluster: cluster, database: database}, nil
}

// migration rewrites the statements of one migration. The Distributed
// table over an altered <t>_local is re-created once after a run of ALTERs,
// before any other statement.
//
// Consecutive ALTERs of one table become one ALTER with all their actions:
// on 18.16 a quick run of ALTERs ON CLUSTER of one replicated table leaves
// a DDL task unfinished, and the queue behind it waits until
// distributed_ddl_task_timeout (CI hung on the fourth ALTER of deal_states
// in migration 0006). Reproduced on two replicas: four one-column ALTERs
// of a table in a row hung within the second of 25 rounds; one ALTER of
// four actions ran 25 rounds without a hang. Two ALTERs of one table with
// other statements between them are not merged: keep them apart in a
// migration, or write them as one.
func (r clusterRewriter) migration(stmts []string) ([]string, error) {
	var out, altered []string
	lastAlter := "" // the table the last statement of out altered
	flush := func() {
		for _, t := range altered {
			out = append(out, r.dropDistributed(t), r.createDistributed(t))
		}
		altered = nil
		lastAlter = ""
	}
	for i, stmt := range stmts {
		stmt = strings.TrimSpace(stmt)
		if m := alterTableRe.FindStringSubmatch(stmt); m != nil {
			table, actions := m[1], strings.TrimRight(strings.TrimSpace(m[2]), ";")
			switch {
			case distributed(table):
				if table == lastAlter {
					out[len(out)-1] += ", " + actions
				} else {
					out = append(out, fmt.Sprintf("ALTER TABLE %s ON CLUSTER %s %s", r.qualified(table+LocalSuffix), r.cluster, actions))
				}
				lastAlter = table
				if !slices.Contains(altered, table) {
					altered = append(altered, table)
				}
				continue
			case slices.Contains(nodeTables, table) || slices.Contains(replicatedOnlyTables, table):
				return nil, fmt.Errorf("statement %d: ALTER TABLE %s: in cluster mode a reference table is not altered (ClickHouse 18.16 refuses ALTER ON CLUSTER of a table that is not replicated): drop and create it again in the migration, the next load fills it", i+1, table)
			default:
				return nil, unclassified(i, table)
			}
		}
		flush()
		rewritten, err := r.statement(stmt)
		if err != nil {
			return nil, fmt.Errorf("statement %d: %w", i+1, err)
		}
		out = append(out, rewritten...)
	}
	flush()
	return out, nil
}

// statement rewrites one CREATE TABLE or DROP TABLE statement.
func (r clusterRewriter) statement(stmt string) ([]string, error) {
	if m := createTableRe.FindStringSubmatch(stmt); m != nil {
		ifNotExists, table, columns, engine, args, rest := m[1], m[2], m[3], m[4], strings.TrimSpace(m[5]), strings.TrimSpace(m[6])
		create := "CREATE TABLE "
		if ifNotExists != "" {
			create += "IF NOT EXISTS "
		}
		switch {
		case distributed(table):
			local := table + LocalSuffix
			replicated, err := r.replicatedEngine(local, engine, args)
			if err != nil {
				return nil, fmt.Errorf("table %s: %w", table, err)
			}
			return []string{
				fmt.Sprintf("%s%s ON CLUSTER %s (%s) ENGINE = %s %s", create, r.qualified(local), r.cluster, columns, replicated, rest),
				r.createDistributed(table),
			}, nil
		case slices.Contains(replicatedOnlyTables, table):
			replicated, err := r.replicatedEngine(table, engine, args)
			if err != nil {
				return nil, fmt.Errorf("table %s: %w", table, err)
			}
			return []string{fmt.Sprintf("%s%s ON CLUSTER %s (%s) ENGINE = %s %s", create, r.qualified(table), r.cluster, columns, replicated, rest)}, nil
		case slices.Contains(nodeTables, table):
			if args != "" {
				engine += "(" + args + ")"
			}
			return []string{fmt.Sprintf("%s%s ON CLUSTER %s (%s) ENGINE = %s %s", create, r.qualified(table), r.cluster, columns, engine, rest)}, nil
		default:
			return nil, unclassified(-1, table)
		}
	}
	if m := dropTableRe.FindStringSubmatch(stmt); m != nil {
		ifExists, table := m[1], m[2]
		drop := "DROP TABLE "
		if ifExists != "" {
			drop += "IF EXISTS "
		}
		switch {
		case distributed(table):
			return []string{
				fmt.Sprintf("%s%s ON CLUSTER %s", drop, r.qualified(table), r.cluster),
				fmt.Sprintf("%s%s ON CLUSTER %s", drop, r.qualified(table+LocalSuffix), r.cluster),
			}, nil
		case slices.Contains(nodeTables, table) || slices.Contains(replicatedOnlyTables, table):
			return []string{fmt.Sprintf("%s%s ON CLUSTER %s", drop, r.qualified(table), r.cluster)}, nil
		default:
			return nil, unclassified(-1, table)
		}
	}
	first := strings.Fields(stmt)
	if len(first) > 3 {
		first = first[:3]
	}
	return nil, fmt.Errorf("%q: cluster mode knows how to apply CREATE TABLE, ALTER TABLE and DROP TABLE only; teach analytics/cluster.go the new kind of statement", strings.Join(first, " ")+" ...")
}

// replicatedEngine is the Replicated form of a MergeTree-family engine:
// its ZooKeeper path, the replica macro, then the engine's own arguments.
func (r clusterRewriter) replicatedEngine(table, engine, args string) (string, error) {
	if !strings.HasSuffix(engine, "MergeTree") || strings.HasPrefix(engine, "Replicated") {
		return "", fmt.Errorf("engine %s cannot be made Replicated: event-derived tables must use a plain *MergeTree engine", engine)
	}
	params := fmt.Sprintf("'/clickhouse/tables/{shard}/%s/%s', '{replica}'", r.database, table)
	if args != "" {
		params += ", " + args
	}
	return "Replicated" + engine + "(" + params + ")", nil
}

// createDistributed creates the Distributed table <t> over <t>_local. No
// sharding key: there is one shard (see the top of this file).
func (r clusterRewriter) createDistributed(table string) string {
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s ON CLUSTER %s AS %s ENGINE = Distributed(%s, %s, %s)",
		r.qualified(table), r.cluster, r.qualified(table+LocalSuffix), r.cluster, r.database, table+LocalSuffix)
}

func (r clusterRewriter) dropDistributed(table string) string {
	return fmt.Sprintf("DROP TABLE IF EXISTS %s ON CLUSTER %s", r.qualified(table), r.cluster)
}

func (r clusterRewriter) qualified(table string) string { return r.database + "." + table }

func unclassified(i int, table string) error {
	where := ""
	if i >= 0 {
		where = fmt.Sprintf("statement %d: ", i+1)
	}
	return fmt.Errorf("%stable %s is not classified for cluster mode: add it to replicatedTables (a projection of events) or nodeTables (reference data loaded from a file) in analytics/cluster.go", where, table)
}

// CheckCluster checks, on the node conn is connected to, that cluster is in
// the servers' remote_servers with the shape cluster mode needs (one shard)
// and that addrs lists as many nodes as it has replicas: the reference
// tables are loaded into each node listed.
func CheckCluster(ctx context.Context, conn driver.Conn, cluster string, addrs []string) error {
	var shards, replicas uint64
	if err := conn.QueryRow(ctx, "SELECT uniqExact(shard_num), count() FROM system.clusters WHERE cluster = ?", cluster).Scan(&shards, &replicas); err != nil {
		return fmt.Errorf("cluster %s: read system.clusters: %w", cluster, err)
	}
	switch {
	case replicas == 0:
		return fmt.Errorf("cluster %s (ECONDIP_CLICKHOUSE_CLUSTER) is not in the servers' remote_servers configuration", cluster)
	case shards != 1:
		return fmt.Errorf("cluster %s has %d shards: econdip's cluster mode needs one shard with every node a replica of it", cluster, shards)
	case uint64(len(addrs)) < replicas:
		return fmt.Errorf("cluster %s has %d replicas but ECONDIP_CLICKHOUSE_ADDR lists %d (%s): list every replica's native address, comma-separated; the reference tables are loaded into each",
			cluster, replicas, len(addrs), strings.Join(addrs, ","))
	}
	return nil
}

// CheckReplicasDistinct connects to each address of cfg.Addr and checks
// that no two are the same replica (two names or ports of one server): the
// reference tables are loaded into each node listed, so a node listed twice
// leaves another without them. It runs before any DDL, so a wrong list is
// refused at once rather than after a migration. A node that does not
// answer is skipped here: the migration's DDL ON CLUSTER names what is down.
func CheckReplicasDistinct(ctx context.Context, cfg Config) error {
	replicaAt := map[string]string{} // replica name -> address
	for _, addr := range cfg.Addrs() {
		one := cfg
		one.Addr = addr
		conn, err := Open(ctx, one)
		if err != nil {
			continue
		}
		name, err := ReplicaName(ctx, conn)
		conn.Close()
		if err != nil {
			return fmt.Errorf("ClickHouse node %s: %w", addr, err)
		}
		if other, ok := replicaAt[name]; ok {
			return fmt.Errorf("ClickHouse node %s is replica %s, as %s is: ECONDIP_CLICKHOUSE_ADDR must list each replica once", addr, name, other)
		}
		replicaAt[name] = addr
	}
	return nil
}

// ReplicaName returns the {replica} macro of the node conn is connected
// to, which names it in the cluster's replicated tables.
func ReplicaName(ctx context.Context, conn driver.Conn) (string, error) {
	var name string
	if err := conn.QueryRow(ctx, "SELECT substitution FROM system.macros WHERE macro = 'replica'").Scan(&name); err != nil {
		return "", fmt.Errorf("read the replica macro: %w", err)
	}
	return name, nil
}
