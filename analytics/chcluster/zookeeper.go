package chcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"econdip/services/platform/freeport"
)

// ErrZooKeeperNotInstalled is returned when java or ZooKeeper's jar is missing.
var ErrZooKeeperNotInstalled = errors.New("ZooKeeper is not installed: install Debian's packages (apt-get install -y zookeeper default-jre-headless)")

// zooKeeperJars is where Debian's zookeeper package puts its jar; its
// manifest's Class-Path names the jars it needs. slf4j-simple, when there,
// makes ZooKeeper log to its output instead of nowhere.
var (
	zooKeeperJars = []string{"/usr/share/java/zookeeper.jar"}
	loggingJars   = []string{"/usr/share/java/slf4j-simple.jar"}
)

// ZooKeeper is a standalone ZooKeeper server run as a child process.
type ZooKeeper struct {
	// Addr is the client address, 127.0.0.1:port.
	Addr string
	// Port is the client port.
	Port int

	cmd  *exec.Cmd
	done chan struct{}
	err  error // valid after done is closed
	dir  string
}

// FindZooKeeper returns the java binary and the class path that runs
// Debian's ZooKeeper.
func FindZooKeeper() (java, classpath string, err error) {
	java, err = exec.LookPath("java")
	if err != nil {
		return "", "", ErrZooKeeperNotInstalled
	}
	var cp []string
	for _, jar := range zooKeeperJars {
		if _, err := os.Stat(jar); err == nil {
			cp = append(cp, jar)
		}
	}
	if len(cp) == 0 {
		return "", "", ErrZooKeeperNotInstalled
	}
	for _, jar := range loggingJars {
		if _, err := os.Stat(jar); err == nil {
			cp = append(cp, jar)
		}
	}
	return java, strings.Join(cp, string(os.PathListSeparator)), nil
}

// StartZooKeeper starts a standalone ZooKeeper with its data in dir, on a
// free loopback port, and returns once it answers. It dies with the calling
// process (Pdeathsig) if Stop is never called.
func StartZooKeeper(ctx context.Context, dir string, logger *slog.Logger) (*ZooKeeper, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	java, classpath, err := FindZooKeeper()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o750); err != nil {
		return nil, fmt.Errorf("start zookeeper: %w", err)
	}
	for attempt := 1; ; attempt++ {
		port, err := freeport.Loopback(1)
		if err != nil {
			return nil, fmt.Errorf("start zookeeper: %w", err)
		}
		z, err := launchZooKeeper(ctx, logger, java, classpath, dir, port[0])
		if err == nil {
			return z, nil
		}
		if attempt < 3 && errors.Is(err, errPortTaken) {
			continue
		}
		return nil, err
	}
}

var errPortTaken = errors.New("port already in use")

func launchZooKeeper(ctx context.Context, logger *slog.Logger, java, classpath, dir string, port int) (*ZooKeeper, error) {
	// A short tick keeps session timeouts (2 to 20 ticks) short, so a
	// replica killed and started again is seen as gone within seconds. No
	// admin server: it would take port 8080.
	cfg := fmt.Sprintf(`tickTime=500
initLimit=10
syncLimit=5
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=srvr
maxClientCnxns=0
`, filepath.Join(dir, "data"), port)
	cfgPath := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o640); err != nil {
		return nil, fmt.Errorf("start zookeeper: %w", err)
	}
	logPath := filepath.Join(dir, "zookeeper.log")
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("start zookeeper: %w", err)
	}
	defer out.Close()
	offset := fileSize(logPath)
	cmd := exec.Command(java, "-Xmx256m", "-XX:+UseSerialGC", "-Dzookeeper.admin.enableServer=false",
		"-cp", classpath, "org.apache.zookeeper.server.ZooKeeperServerMain", cfgPath)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start zookeeper: run %s: %w", java, err)
	}
	z := &ZooKeeper{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Port: port, cmd: cmd, done: make(chan struct{}), dir: dir}
	go func() { z.err = cmd.Wait(); close(z.done) }()
	logger.Info("starting zookeeper", "addr", z.Addr, "dir", dir)
	began := time.Now()
	readyCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		if serving(z.Addr) {
			logger.Info("zookeeper ready", "addr", z.Addr, "elapsed", time.Since(began).Round(time.Millisecond))
			return z, nil
		}
		select {
		case <-z.done:
			tail := tailText(logPath, offset, 15)
			err := fmt.Errorf("start zookeeper: it exited before it answered (%v); its output:\n%s", z.err, tail)
			if strings.Contains(tail, "Address already in use") {
				err = fmt.Errorf("%w: %w", errPortTaken, err)
			}
			return nil, err
		case <-readyCtx.Done():
			z.kill()
			return nil, fmt.Errorf("start zookeeper: no answer on %s within 60s (see %s)", z.Addr, logPath)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// serving asks ZooKeeper whether it serves sessions (the four-letter
// command srvr says its mode then). ruok is not enough: ZooKeeper 3.8
// answers imok while it still closes every session ("ZooKeeperServer not
// running"), and ClickHouse 18.16 whose first ZooKeeper connection failed
// that way dies of a segmentation fault at its first ON CLUSTER statement.
func serving(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "srvr"); err != nil {
		return false
	}
	b, _ := io.ReadAll(c)
	return strings.Contains(string(b), "Mode: ")
}

// Stop ends ZooKeeper (SIGTERM, SIGKILL after 10 s). Safe to call twice.
func (z *ZooKeeper) Stop() error {
	if z == nil {
		return nil
	}
	select {
	case <-z.done:
		return nil
	default:
	}
	_ = syscall.Kill(-z.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-z.done:
		return nil
	case <-time.After(10 * time.Second):
		z.kill()
		return errors.New("stop zookeeper: no exit within 10s of SIGTERM; killed")
	}
}

func (z *ZooKeeper) kill() {
	_ = syscall.Kill(-z.cmd.Process.Pid, syscall.SIGKILL)
	<-z.done
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// tailText returns the last n lines of path written after offset.
func tailText(path string, offset int64, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return err.Error()
	}
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
