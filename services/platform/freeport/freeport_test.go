package freeport

import (
	"net"
	"strconv"
	"testing"
)

func TestLoopbackGivesDistinctFreePortsBelowTheEphemeralRange(t *testing.T) {
	ports, err := Loopback(64)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p < low || p >= 32768 {
			t.Errorf("port %d: want one in [%d, 32768)", p, low)
		}
		if seen[p] {
			t.Errorf("port %d given twice", p)
		}
		seen[p] = true
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Errorf("port %d is not free after Loopback returned: %v", p, err)
			continue
		}
		l.Close()
	}
	if len(ports) != 64 {
		t.Fatalf("%d ports, want 64", len(ports))
	}
}
