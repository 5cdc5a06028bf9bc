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
