package analytics

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestNoMigrationAltersATableTwiceOnCluster: in cluster mode each
// migration alters a replicated table at most once (18.16 hangs a DDL task
// on a quick run of ALTERs of one table; see migration in cluster.go). The
// rewriter merges consecutive ALTERs; this catches a migration whose ALTERs
// of one table have other statements between them.
func TestNoMigrationAltersATableTwiceOnCluster(t *testing.T) {
	ms, r := migrationsAndClusterRewriter(t)
	alterOnCluster := regexp.MustCompile(`^ALTER TABLE (\S+) ON CLUSTER `)
	alters := 0
	for _, m := range ms {
		stmts, err := r.migration(m.Statements)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, stmt := range stmts {
			if a := alterOnCluster.FindStringSubmatch(stmt); a != nil {
				alters++
				if seen[a[1]] {
					t.Errorf("migration %s alters %s twice in cluster mode: write its ALTERs of that table one after another (they become one) or as one ALTER", m.Name, a[1])
				}
				seen[a[1]] = true
			}
		}
	}
	if alters == 0 {
		t.Fatal("no ALTER found in the cluster form of the migrations: the check reads nothing")
	}
}

// TestEveryMigratedTableIsClassifiedForClusterMode fails when a migration
// creates a table that cluster mode does not know (is it a projection of
// events, replicated, or reference data loaded into every node?), or when a
// classified table is no longer created by any migration.
func TestEveryMigratedTableIsClassifiedForClusterMode(t *testing.T) {
	ms, r := migrationsAndClusterRewriter(t)
	created := map[string]bool{}
	for _, m := range ms {
		for _, stmt := range m.Statements {
			if c := createTableRe.FindStringSubmatch(strings.TrimSpace(stmt)); c != nil {
				created[c[2]] = true
			}
		}
		if _, err := r.migration(m.Statements); err != nil {
			t.Errorf("migration %s has no cluster form: %v", m.Name, err)
		}
	}
	if _, err := r.migration([]string{schemaMigrationsTable}); err != nil {
		t.Errorf("schema_migrations has no cluster form: %v", err)
	}
	for _, list := range [][]string{replicatedTables, importedTables, nodeTables} {
		for _, table := range list {
			if !created[table] {
				t.Errorf("%s is classified in cluster.go but no migration creates it", table)
			}
		}
	}
}

func TestClusterRewrite(t *testing.T) {
	r, err := newClusterRewriter("econdip", "econ")
	if err != nil {
		t.Fatal(err)
	}
	space := regexp.MustCompile(`\s+`)
	norm := func(s string) string { return strings.TrimSpace(space.ReplaceAllString(s, " ")) }
	for _, c := range []struct {
		name    string
		in      []string
		want    []string
		wantErr string
	}{
		{
			name: "event-derived table: replicated _local and a Distributed table of its name",
			in: []string{`CREATE TABLE IF NOT EXISTS events (
				event_id UUID, time DateTime('UTC'), ingested_at DateTime('UTC')
			) ENGINE = ReplacingMergeTree(ingested_at)
			PARTITION BY toYYYYMM(time)
			ORDER BY (type, time, event_id)`},
			want: []string{
				`CREATE TABLE IF NOT EXISTS econ.events_local ON CLUSTER econdip ( event_id UUID, time DateTime('UTC'), ingested_at DateTime('UTC') ) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/econ/events_local', '{replica}', ingested_at) PARTITION BY toYYYYMM(time) ORDER BY (type, time, event_id)`,
				`CREATE TABLE IF NOT EXISTS econ.events ON CLUSTER econdip AS econ.events_local ENGINE = Distributed(econdip, econ, events_local)`,
			},
		},
		{
			name: "engine without arguments",
			in:   []string{`CREATE TABLE lead_stage_history (lead_id UUID) ENGINE = MergeTree ORDER BY lead_id`},
			want: []string{
				`CREATE TABLE econ.lead_stage_history_local ON CLUSTER econdip (lead_id UUID) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/econ/lead_stage_history_local', '{replica}') ORDER BY lead_id`,
				`CREATE TABLE IF NOT EXISTS econ.lead_stage_history ON CLUSTER econdip AS econ.lead_stage_history_local ENGINE = Distributed(econdip, econ, lead_stage_history_local)`,
			},
		},
		{
			name: "reference tables: a copy per node, the Join engine kept",
			in: []string{
				`CREATE TABLE IF NOT EXISTS fx_join (fx_key String, per_usd Decimal(38, 6)) ENGINE = Join(ANY, LEFT, fx_key)`,
				`CREATE TABLE IF NOT EXISTS targets (year UInt16) ENGINE = MergeTree ORDER BY year`,
			},
			want: []string{
				`CREATE TABLE IF NOT EXISTS econ.fx_join ON CLUSTER econdip (fx_key String, per_usd Decimal(38, 6)) ENGINE = Join(ANY, LEFT, fx_key)`,
				`CREATE TABLE IF NOT EXISTS econ.targets ON CLUSTER econdip (year UInt16) ENGINE = MergeTree ORDER BY year`,
			},
		},
		{
			name: "schema_migrations: replicated under its own name",
			in:   []string{schemaMigrationsTable},
			want: []string{
				`CREATE TABLE IF NOT EXISTS econ.schema_migrations ON CLUSTER econdip ( version UInt32, name String, applied_at DateTime('UTC') ) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/econ/schema_migrations', '{replica}') ORDER BY version`,
			},
		},
		{
			name: "ALTERs: on _local, a run of them on one table as one, then the Distributed table re-created once",
			in: []string{
				`ALTER TABLE lead_states DROP COLUMN capex_usd;`,
				`ALTER TABLE lead_states ADD COLUMN stage_day Date DEFAULT toDate(stage_changed_at, 'Asia/Almaty')`,
				`ALTER TABLE deal_states DROP COLUMN value_usd`,
				`ALTER TABLE lead_states DROP COLUMN fx_missing`,
				`DROP TABLE IF EXISTS targets`,
			},
			want: []string{
				`ALTER TABLE econ.lead_states_local ON CLUSTER econdip DROP COLUMN capex_usd, ADD COLUMN stage_day Date DEFAULT toDate(stage_changed_at, 'Asia/Almaty')`,
				`ALTER TABLE econ.deal_states_local ON CLUSTER econdip DROP COLUMN value_usd`,
				`ALTER TABLE econ.lead_states_local ON CLUSTER econdip DROP COLUMN fx_missing`,
				`DROP TABLE IF EXISTS econ.lead_states ON CLUSTER econdip`,
				`CREATE TABLE IF NOT EXISTS econ.lead_states ON CLUSTER econdip AS econ.lead_states_local ENGINE = Distributed(econdip, econ, lead_states_local)`,
				`DROP TABLE IF EXISTS econ.deal_states ON CLUSTER econdip`,
				`CREATE TABLE IF NOT EXISTS econ.deal_states ON CLUSTER econdip AS econ.deal_states_local ENGINE = Distributed(econdip, econ, deal_states_local)`,
				`DROP TABLE IF EXISTS econ.targets ON CLUSTER econdip`,
			},
		},
		{
			name: "dropping an event-derived table drops both",
			in:   []string{`DROP TABLE events`},
			want: []string{`DROP TABLE econ.events ON CLUSTER econdip`, `DROP TABLE econ.events_local ON CLUSTER econdip`},
		},
		{
			name:    "a new table nobody classified",
			in:      []string{`CREATE TABLE IF NOT EXISTS visits (id UUID) ENGINE = MergeTree ORDER BY id`},
			wantErr: "table visits is not classified for cluster mode",
		},
		{
			name:    "ALTER of a reference table",
			in:      []string{`ALTER TABLE hs_classification ADD COLUMN note String`},
			wantErr: "a reference table is not altered",
		},
		{
			name:    "an engine that cannot be replicated on an event-derived table",
			in:      []string{`CREATE TABLE events (id UUID) ENGINE = Log`},
			wantErr: "engine Log cannot be made Replicated",
		},
		{
			name:    "a kind of statement cluster mode does not know",
			in:      []string{`CREATE MATERIALIZED VIEW v TO events AS SELECT 1`},
			wantErr: "knows how to apply CREATE TABLE, ALTER TABLE and DROP TABLE only",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := r.migration(c.in)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				got[i] = norm(got[i])
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}
}

func TestClusterAndDatabaseNamesAreIdentifiers(t *testing.T) {
	for _, c := range [][2]string{{"econ dip", "econ"}, {"econdip", "econ;DROP"}, {"", "econ"}} {
		if _, err := newClusterRewriter(c[0], c[1]); err == nil {
			t.Errorf("newClusterRewriter(%q, %q) accepted", c[0], c[1])
		}
	}
}

// migrationsAndClusterRewriter returns the migrations and a rewriter to
// their cluster form (cluster econdip, database econ).
func migrationsAndClusterRewriter(t *testing.T) ([]Migration, clusterRewriter) {
	t.Helper()
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	r, err := newClusterRewriter("econdip", "econ")
	if err != nil {
		t.Fatal(err)
	}
	return ms, r
}
