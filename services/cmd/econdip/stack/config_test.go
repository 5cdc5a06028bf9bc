package stack_test

import (
	"strings"
	"testing"

	"econdip/services/cmd/econdip/stack"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
)

// TestReplicasNeedACluster: three stream replicas cannot live on the one
// embedded server; the start says so instead of failing on stream creation.
func TestReplicasNeedACluster(t *testing.T) {
	s := stack.New(stack.Config{DataDir: t.TempDir(), NATSPort: -1, NATSReplicas: 3}, obs.Discard(), reference.Default())
	defer s.Close()
	err := s.StartNATS(t.Context(), true)
	if err == nil || !strings.Contains(err.Error(), "ECONDIP_NATS_REPLICAS=3") || !strings.Contains(err.Error(), "ECONDIP_NATS_URL") {
		t.Fatalf("embedded NATS with 3 replicas: %v, want an error naming both variables", err)
	}
	if s.NATSSrv != nil {
		t.Error("the embedded server was started anyway")
	}
}

// TestIngestWaitFromEnv: ECONDIP_INGEST_WAIT chooses ingest's wait; a value
// it does not know is refused with the two it takes.
func TestIngestWaitFromEnv(t *testing.T) {
	for _, tc := range []struct {
		value     string
		wantFixed bool
		wantErr   bool
	}{
		{"", false, false},
		{"adaptive", false, false},
		{"fixed", true, false},
		{"fast", false, true},
	} {
		t.Run(tc.value, func(t *testing.T) {
			t.Setenv("ECONDIP_INGEST_WAIT", tc.value)
			c, err := stack.ConfigFromEnv()
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "ECONDIP_INGEST_WAIT") || !strings.Contains(err.Error(), "adaptive nor fixed") {
					t.Fatalf("ECONDIP_INGEST_WAIT=%s: %v, want an error naming the variable and its values", tc.value, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.IngestFixedWait != tc.wantFixed {
				t.Errorf("ECONDIP_INGEST_WAIT=%q: fixed wait %v, want %v", tc.value, c.IngestFixedWait, tc.wantFixed)
			}
		})
	}
}
