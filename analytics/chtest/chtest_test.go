package chtest_test

import (
	"strings"
	"testing"

	"econdip/analytics/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m, "econdip_test_chtest") }

func TestConnUsesPackageDatabase(t *testing.T) {
	if !strings.Contains(chtest.Addr(), ":") {
		t.Fatalf("Addr() = %q, want host:port", chtest.Addr())
	}
	conn := chtest.Conn(t)
	ctx := t.Context()

	var db string
	if err := conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	if db != chtest.Database() || db != "econdip_test_chtest" {
		t.Fatalf("currentDatabase() = %q, Database() = %q", db, chtest.Database())
	}

	if err := conn.Exec(ctx, "DROP TABLE IF EXISTS events"); err != nil {
		t.Fatal(err)
	}
	if err := conn.Exec(ctx, "CREATE TABLE events (id UInt64, kind LowCardinality(String)) ENGINE = MergeTree ORDER BY id"); err != nil {
		t.Fatal(err)
	}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO events (id, kind)")
	if err != nil {
		t.Fatal(err)
	}
	for i := range uint64(1000) {
		if err := batch.Append(i, []string{"view", "click"}[i%2]); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	var clicks uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM events WHERE kind = ?", "click").Scan(&clicks); err != nil {
		t.Fatal(err)
	}
	if clicks != 500 {
		t.Fatalf("clicks = %d, want 500", clicks)
	}
}
