package natstest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/services/platform/freeport"
)

// Cluster is a JetStream cluster of embedded servers on loopback, routed to
// each other: the shape production runs as separate nats-server processes
// (deploy/nats). Server i is named n<i+1>. Its servers run either in the
// test process (StartCluster) or each in a child process of the test binary
// (StartClusterProcesses), which Kill can end as a crash does.
type Cluster struct {
	tb    testing.TB
	nodes []*node
}

// ClusterName is the NATS cluster name of the clusters started here.
const ClusterName = "econdip-test"

// node is one server: its fixed configuration and, while it runs, the
// server (in process) or the child process running it.
type node struct {
	cfg  NodeConfig
	srv  *server.Server // in the test process
	cmd  *exec.Cmd      // a child process
	dead chan struct{}  // closed when the child process has exited
}

// NodeConfig is what a cluster node is started with: its name, store and
// ports, and the routes to every node of the cluster.
type NodeConfig struct {
	Name        string
	StoreDir    string
	ClientPort  int
	ClusterPort int
	Routes      []string // nats://127.0.0.1:<cluster port> of every node, its own included
	LogFile     string   // a child process logs here
}

func (c NodeConfig) options() (*server.Options, error) {
	routes := make([]*url.URL, len(c.Routes))
	for i, r := range c.Routes {
		u, err := url.Parse(r)
		if err != nil {
			return nil, err
		}
		routes[i] = u
	}
	return &server.Options{
		ServerName: c.Name,
		Host:       "127.0.0.1",
		Port:       c.ClientPort,
		JetStream:  true,
		StoreDir:   c.StoreDir,
		NoSigs:     true,
		NoLog:      c.LogFile == "",
		LogFile:    c.LogFile,
		Logtime:    true,
		MaxPayload: 8 << 20, // as natsx.StartEmbedded and deploy/nats
		Cluster:    server.ClusterOpts{Name: ClusterName, Host: "127.0.0.1", Port: c.ClusterPort},
		Routes:     routes, // a route to itself is recognised and dropped
	}, nil
}

// StartCluster runs n servers in the test process with JetStream on file
// storage in temp dirs, each routed to all the others, and waits until the
// cluster can place streams with n replicas. It creates no streams (the
// code under test does, with its configured replicas) and stops every
// server when the test ends. Shutdown stops a server in order: it hands
// the groups it leads over to another server first.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	return startCluster(tb, n, false)
}

// StartClusterProcesses is StartCluster with each server in a child process
// of the test binary, so Kill can end one with SIGKILL: no leadership handed
// over, nothing flushed, as a crashed node. The package's TestMain must call
// RunNode first. Each node logs to nats.log in its store's parent folder.
func StartClusterProcesses(tb testing.TB, n int) *Cluster {
	tb.Helper()
	return startCluster(tb, n, true)
}

func startCluster(tb testing.TB, n int, processes bool) *Cluster {
	tb.Helper()
	var lastErr error
	// The ports are picked free before the servers start, so each server's
	// routes name all of them (the meta group then expects n peers from the
	// start); another process may take one meanwhile: retry.
	for attempt := 0; attempt < 3; attempt++ {
		c, err := tryCluster(tb, n, processes)
		if err == nil {
			tb.Cleanup(c.stop)
			c.WaitReady(tb, 60*time.Second)
			return c
		}
		lastErr = err
	}
	tb.Fatalf("start a %d-node NATS cluster: %v", n, lastErr)
	return nil
}

func tryCluster(tb testing.TB, n int, processes bool) (*Cluster, error) {
	ports, err := freeport.Loopback(2 * n)
	if err != nil {
		return nil, err
	}
	routes := make([]string, n)
	for i := range n {
		routes[i] = "nats://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[n+i]))
	}
	c := &Cluster{tb: tb, nodes: make([]*node, n)}
	for i := range n {
		name := "n" + strconv.Itoa(i+1)
		dir := filepath.Join(tb.TempDir(), name)
		cfg := NodeConfig{Name: name, StoreDir: filepath.Join(dir, "jetstream"), ClientPort: ports[i], ClusterPort: ports[n+i], Routes: routes}
		if processes {
			cfg.LogFile = filepath.Join(dir, "nats.log")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		c.nodes[i] = &node{cfg: cfg}
		if processes {
			c.nodes[i].dead = make(chan struct{})
			close(c.nodes[i].dead) // not started yet
		}
		if err := c.Start(i); err != nil {
			c.stop()
			return nil, err
		}
	}
	return c, nil
}

// Start starts server i (again, after Shutdown or Kill) on its ports and
// store, and waits until it accepts clients.
func (c *Cluster) Start(i int) error {
	nd := c.nodes[i]
	if c.running(i) {
		return fmt.Errorf("%s is running", nd.cfg.Name)
	}
	if nd.dead != nil {
		return nd.startProcess()
	}
	opts, err := nd.cfg.options()
	if err != nil {
		return err
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("configure %s: %w", nd.cfg.Name, err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return fmt.Errorf("%s not ready for connections in 30s", nd.cfg.Name)
	}
	nd.srv = srv
	return nil
}

// nodeEnv carries a child process's NodeConfig, as JSON.
const nodeEnv = "ECONDIP_NATSTEST_NODE"

func (nd *node) startProcess() error {
	cfg, err := json.Marshal(nd.cfg)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), nodeEnv+"="+string(cfg))
	cmd.Stderr = os.Stderr
	// A test binary that dies must not leave its servers running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", nd.cfg.Name, err)
	}
	dead := make(chan struct{})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case ready <- sc.Text():
			default:
			}
		}
		_ = cmd.Wait()
		close(dead)
	}()
	select {
	case line := <-ready:
		if !strings.HasPrefix(line, "ready ") {
			_ = cmd.Process.Kill()
			<-dead
			return fmt.Errorf("%s: %s", nd.cfg.Name, line)
		}
	case <-dead:
		return fmt.Errorf("%s exited before it was ready (does the package's TestMain call natstest.RunNode first? its log: %s)", nd.cfg.Name, nd.cfg.LogFile)
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-dead
		return fmt.Errorf("%s not ready for connections in 30s (its log: %s)", nd.cfg.Name, nd.cfg.LogFile)
	}
	nd.cmd, nd.dead = cmd, dead
	return nil
}

// RunNode runs a cluster node when this process was started as one by
// StartClusterProcesses, and exits when it is told to stop; otherwise it
// returns at once. Call it first in TestMain.
func RunNode() {
	raw := os.Getenv(nodeEnv)
	if raw == "" {
		return
	}
	fail := func(err error) {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	var cfg NodeConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		fail(err)
	}
	opts, err := cfg.options()
	if err != nil {
		fail(err)
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		fail(err)
	}
	srv.ConfigureLogger()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		fail(errors.New("not ready for connections in 30s"))
	}
	fmt.Printf("ready %s\n", srv.ClientURL())
	<-ctx.Done()
	srv.Shutdown()
	srv.WaitForShutdown()
	os.Exit(0)
}

func (c *Cluster) running(i int) bool {
	nd := c.nodes[i]
	if nd.dead == nil {
		return nd.srv != nil
	}
	select {
	case <-nd.dead:
		return false
	default:
		return true
	}
}

// Shutdown stops server i in order: it steps down from the groups it leads
// (the others take over without an election timeout) and closes its
// clients and routes. Its store stays on disk for Start.
func (c *Cluster) Shutdown(i int) {
	nd := c.nodes[i]
	if nd.dead != nil {
		if c.running(i) {
			_ = nd.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-nd.dead:
			case <-time.After(30 * time.Second):
				_ = nd.cmd.Process.Kill()
				<-nd.dead
			}
		}
		return
	}
	if nd.srv != nil {
		nd.srv.Shutdown()
		nd.srv.WaitForShutdown()
		nd.srv = nil
	}
}

// Kill ends server i with SIGKILL, as a crash does: it hands nothing over,
// the others notice it gone and elect new leaders for the groups it led.
// Only a cluster of StartClusterProcesses can be killed.
func (c *Cluster) Kill(i int) {
	c.tb.Helper()
	nd := c.nodes[i]
	if nd.dead == nil {
		c.tb.Fatalf("kill %s: its server runs in the test process (StartClusterProcesses runs servers that can be killed)", nd.cfg.Name)
	}
	if c.running(i) {
		_ = nd.cmd.Process.Kill()
		<-nd.dead
	}
}

func (c *Cluster) stop() {
	for i := range c.nodes {
		if c.nodes[i] == nil {
			continue // the start failed before it
		}
		if c.nodes[i].dead != nil {
			c.Kill(i) // its store is thrown away: no need to stop in order
		} else {
			c.Shutdown(i)
		}
	}
}

// Server returns server i when it runs in the test process, else nil.
func (c *Cluster) Server(i int) *server.Server { return c.nodes[i].srv }

// Size is the number of servers, running or not.
func (c *Cluster) Size() int { return len(c.nodes) }

// Name is the server name of server i.
func (c *Cluster) Name(i int) string { return c.nodes[i].cfg.Name }

// LogFile is where server i logs (child processes only).
func (c *Cluster) LogFile(i int) string { return c.nodes[i].cfg.LogFile }

// Index returns the index of the server named name (as JetStream reports
// leaders and replicas), or -1.
func (c *Cluster) Index(name string) int {
	for i, nd := range c.nodes {
		if nd.cfg.Name == name {
			return i
		}
	}
	return -1
}

// URL is the client URL of server i.
func (c *Cluster) URL(i int) string {
	return "nats://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(c.nodes[i].cfg.ClientPort))
}

// URLs is the comma-separated client URL of every server, running or not:
// what ECONDIP_NATS_URL names in production, so a client fails over.
func (c *Cluster) URLs() string {
	urls := make([]string, len(c.nodes))
	for i := range c.nodes {
		urls[i] = c.URL(i)
	}
	return strings.Join(urls, ",")
}

// WaitReady waits until the cluster can place a stream on every running
// server: its meta group has a leader that knows them all as JetStream
// peers. It checks by creating a small in-memory stream with one replica
// per running server, and deleting it.
func (c *Cluster) WaitReady(tb testing.TB, timeout time.Duration) {
	tb.Helper()
	var urls []string
	for i := range c.nodes {
		if c.running(i) {
			urls = append(urls, c.URL(i))
		}
	}
	nc, err := nats.Connect(strings.Join(urls, ","), nats.Name("natstest"), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
	if err != nil {
		tb.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	deadline := time.Now().Add(timeout)
	const probe = "NATSTEST_READY"
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: probe, Subjects: []string{"natstest.ready"},
			Storage: jetstream.MemoryStorage, Replicas: len(urls)})
		if err == nil || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			err = js.DeleteStream(ctx, probe)
		}
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("NATS cluster of %d servers not ready after %s: %v", len(urls), timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
