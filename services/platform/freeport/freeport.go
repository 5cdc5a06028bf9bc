// Package freeport picks free loopback ports for servers that tests and
// benchmarks start as child processes.
//
// The ports come from 20000-31999: below Linux's ephemeral range (32768 and
// up, which the kernel hands out to outgoing connections, so a port there
// can be taken by one between the check and the server's bind, or while a
// server is down to be restarted on it) and above the fixed ports of
// `econdip up` and its tests (all below 20000).
package freeport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
)

const (
	low  = 20_000
	span = 12_000
)

// Loopback returns n distinct ports free on 127.0.0.1 when asked (each is
// held open until all are known, so no two coincide).
func Loopback(n int) ([]int, error) {
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries > 50*n+500 {
			return nil, fmt.Errorf("no %d free ports on 127.0.0.1 between %d and %d: stop some of the servers listening there", n, low, low+span-1)
		}
		p := low + rand.IntN(span)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue // taken (or held by a port chosen just before)
		}
		listeners = append(listeners, l)
		ports = append(ports, p)
	}
	return ports, nil
}
