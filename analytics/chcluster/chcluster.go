// Package chcluster runs a ClickHouse cluster on loopback for tests: a
// standalone ZooKeeper (Debian's zookeeper package, run with java) and N
// private ClickHouse servers (analytics/chserver) that form the cluster
// econdip's cluster mode expects: one shard of N replicas with
// internal_replication, macros {shard} and {replica}, and the distributed
// DDL queue in ZooKeeper.
//
// Replicas can be stopped, killed and started again on their folders and
// ports, to test what a cluster does while a node is away.
package chcluster

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"econdip/analytics/chserver"
	"econdip/services/platform/freeport"
)

// DefaultName is the cluster's name when Options.Name is empty.
const DefaultName = "econdip"

// Options configures Start.
type Options struct {
	// Dir holds ZooKeeper's and every server's folder; it is created if missing.
	Dir string
	// Replicas is the number of ClickHouse servers; 0 means 2.
	Replicas int
	// Name is the cluster's name in remote_servers; empty: DefaultName.
	Name string
	// Logger receives progress lines; nil discards them.
	Logger *slog.Logger
}

// Cluster is a running ZooKeeper and its ClickHouse replicas.
type Cluster struct {
	Name      string
	ZooKeeper *ZooKeeper
	Replicas  []*Replica
}

// Replica is one ClickHouse server of the cluster.
type Replica struct {
	// Name is its {replica} macro: r1, r2, ...
	Name string
	// Addr is its native protocol address, 127.0.0.1:port.
	Addr string
	// Dir is its data folder.
	Dir string

	opts   chserver.Options
	logger *slog.Logger
	srv    *chserver.Server
}

// Start starts ZooKeeper, then the replicas, and returns once every one
// answers. On error whatever was started is stopped.
func Start(ctx context.Context, opts Options) (c *Cluster, err error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	n := opts.Replicas
	if n == 0 {
		n = 2
	}
	name := opts.Name
	if name == "" {
		name = DefaultName
	}
	if opts.Dir == "" {
		return nil, errors.New("start cluster: Options.Dir is empty")
	}
	if _, _, err := chserver.FindBinary(); err != nil {
		return nil, err
	}
	zk, err := StartZooKeeper(ctx, filepath.Join(opts.Dir, "zookeeper"), logger)
	if err != nil {
		return nil, err
	}
	c = &Cluster{Name: name, ZooKeeper: zk}
	defer func() {
		if err != nil {
			_ = c.Stop()
		}
	}()
	// Every port is chosen before any server starts: each server's
	// remote_servers lists the others', and a restarted server gets its own back.
	ports, err := freeport.Loopback(3 * n)
	if err != nil {
		return nil, err
	}
	var replicas []ReplicaAddr
	for i := range n {
		replicas = append(replicas, ReplicaAddr{Host: "127.0.0.1", Port: ports[3*i]})
	}
	for i := range n {
		r := &Replica{Name: "r" + strconv.Itoa(i+1), Dir: filepath.Join(opts.Dir, "clickhouse-r"+strconv.Itoa(i+1)), logger: logger}
		r.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[3*i]))
		r.opts = chserver.Options{
			Dir: r.Dir, TCPPort: ports[3*i], HTTPPort: ports[3*i+1], Logger: logger,
			ExtraConfig: NodeConfig(NodeParams{
				Cluster: name, Replicas: replicas, Shard: "01", Replica: r.Name,
				ZooKeeper: []ReplicaAddr{{Host: "127.0.0.1", Port: zk.Port}}, ZooKeeperSessionMS: 6000,
				InterserverHost: "127.0.0.1", InterserverPort: ports[3*i+2],
			}),
		}
		c.Replicas = append(c.Replicas, r)
		if err := r.Start(ctx); err != nil {
			return nil, fmt.Errorf("start replica %s: %w", r.Name, err)
		}
	}
	return c, nil
}

// Addrs returns every replica's native address, in order.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, r := range c.Replicas {
		out = append(out, r.Addr)
	}
	return out
}

// Stop stops every replica, then ZooKeeper; it returns the first error.
func (c *Cluster) Stop() error {
	if c == nil {
		return nil
	}
	var errs []error
	for _, r := range c.Replicas {
		if r.Running() {
			errs = append(errs, r.Stop())
		}
	}
	errs = append(errs, c.ZooKeeper.Stop())
	return errors.Join(errs...)
}

// Start starts the replica's server on its folder and ports (again, after
// Stop or Kill: its data is kept).
func (r *Replica) Start(ctx context.Context) error {
	if r.Running() {
		return fmt.Errorf("replica %s runs already", r.Name)
	}
	srv, err := chserver.Start(ctx, r.opts)
	if err != nil {
		return err
	}
	r.srv = srv
	return nil
}

// Stop stops the replica's server cleanly (SIGTERM).
func (r *Replica) Stop() error {
	err := r.srv.Stop()
	r.srv = nil
	return err
}

// Kill ends the replica's server at once (SIGKILL), as a crash would.
func (r *Replica) Kill() {
	r.srv.Kill()
	r.srv = nil
}

// Running reports whether the replica's server was started and not stopped since.
func (r *Replica) Running() bool { return r.srv != nil }

// ReplicaAddr is a host and a port.
type ReplicaAddr struct {
	Host string
	Port int
}

// NodeParams describes one ClickHouse node of econdip's cluster: the
// settings a node needs besides those of a server on its own.
type NodeParams struct {
	Cluster            string        // the name in remote_servers (ECONDIP_CLICKHOUSE_CLUSTER)
	Replicas           []ReplicaAddr // every node's host and native port, this one included
	Shard, Replica     string        // this node's macros: the shard (one for all) and its own replica name
	ZooKeeper          []ReplicaAddr // the ZooKeeper ensemble
	ZooKeeperSessionMS int           // 0: ClickHouse's default (30 s)
	InterserverHost    string        // the name other replicas fetch parts from this node by
	InterserverPort    int           // 0: ClickHouse's default (9009)
}

// NodeConfig returns the config.xml elements of one node of the cluster:
// remote_servers with one shard of every replica (internal_replication:
// an insert goes to one replica and replication copies it), the ZooKeeper
// ensemble, the macros the replicated tables' paths use, the distributed
// DDL queue that ON CLUSTER statements go through, and the interserver
// port replicas fetch parts on. The same shape serves production; see the
// operator documentation in deploy/.
func NodeConfig(p NodeParams) string {
	x := html.EscapeString
	var b strings.Builder
	if p.InterserverPort != 0 {
		fmt.Fprintf(&b, "    <interserver_http_port>%d</interserver_http_port>\n", p.InterserverPort)
	}
	if p.InterserverHost != "" {
		fmt.Fprintf(&b, "    <interserver_http_host>%s</interserver_http_host>\n", x(p.InterserverHost))
	}
	fmt.Fprintf(&b, "    <remote_servers>\n        <%s>\n            <shard>\n                <internal_replication>true</internal_replication>\n", p.Cluster)
	for _, r := range p.Replicas {
		fmt.Fprintf(&b, "                <replica><host>%s</host><port>%d</port></replica>\n", x(r.Host), r.Port)
	}
	fmt.Fprintf(&b, "            </shard>\n        </%s>\n    </remote_servers>\n", p.Cluster)
	b.WriteString("    <zookeeper>\n")
	for _, z := range p.ZooKeeper {
		fmt.Fprintf(&b, "        <node><host>%s</host><port>%d</port></node>\n", x(z.Host), z.Port)
	}
	if p.ZooKeeperSessionMS > 0 {
		fmt.Fprintf(&b, "        <session_timeout_ms>%d</session_timeout_ms>\n", p.ZooKeeperSessionMS)
	}
	b.WriteString("    </zookeeper>\n")
	fmt.Fprintf(&b, "    <macros><shard>%s</shard><replica>%s</replica></macros>\n", x(p.Shard), x(p.Replica))
	b.WriteString("    <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>")
	return b.String()
}

// LogDir returns the replica's server log folder, for failure messages.
func (r *Replica) LogDir() string { return filepath.Join(r.Dir, "log") }

// ErrLogTail returns the last lines of the replica's error log.
func (r *Replica) ErrLogTail(n int) string {
	path := filepath.Join(r.LogDir(), "clickhouse-server.err.log")
	if _, err := os.Stat(path); err != nil {
		return err.Error()
	}
	return tailText(path, max(0, fileSize(path)-256<<10), n)
}
