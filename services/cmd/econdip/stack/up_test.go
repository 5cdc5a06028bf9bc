package stack_test

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"econdip/services/cmd/econdip/stack"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
	"econdip/services/test/stacktest"
)

// `econdip up` serves the APIs as soon as NATS answers: they listen before
// ClickHouse starts, so here, with ClickHouse's port taken and its start
// failing, they were already serving and ready, while ingest and the
// dashboard, which need ClickHouse, were not started.
func TestUpServesTheAPIsBeforeClickHouseStarts(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := filepath.Join(t.TempDir(), "data")
	s := stack.New(stack.Config{DataDir: dir, NATSPort: -1, NATSReplicas: 1, CHDatabase: "econdip",
		CHPort: taken.Addr().(*net.TCPAddr).Port, LeadsAddr: "127.0.0.1:0", CommissionsAddr: "127.0.0.1:0", ExportsAddr: "127.0.0.1:0", SearchAddr: "127.0.0.1:0",
		DashboardAddr: "127.0.0.1:0", IngestAddr: "127.0.0.1:0", UsersFile: filepath.Join(dir, "users.json"), BcryptCost: 4},
		obs.Discard(), reference.Default())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	defer s.Close()
	err = s.StartLocal(ctx)
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)) {
		t.Fatalf("StartLocal with ClickHouse's port taken: %v, want the port named", err)
	}
	for name, addr := range map[string]string{"leads": s.LeadsAddr, "commissions": s.CommissionsAddr, "exports": s.ExportsAddr} {
		if addr == "" {
			t.Errorf("the %s API was not served before ClickHouse", name)
			continue
		}
		if r := stacktest.Do(t, http.MethodGet, "http://"+addr+"/readyz", "", ""); r.Status != http.StatusOK {
			t.Errorf("%s /readyz without ClickHouse: %d %s", name, r.Status, r.Body)
		}
	}
	if s.DashboardAddr != "" || s.IngestAddr != "" || s.CHSrv != nil {
		t.Errorf("started before ClickHouse: dashboard %q, ingest %q, ClickHouse %v", s.DashboardAddr, s.IngestAddr, s.CHSrv != nil)
	}
}
