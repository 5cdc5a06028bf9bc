// Package chserver runs a private ClickHouse server as a child process, with
// its own configuration, ports and data folder, for local runs and tests.
//
// It works with the ClickHouse 18.16 that Debian ships (clickhouse-server)
// and with current releases (a single clickhouse binary run as
// "clickhouse server"). It never touches /var/lib/clickhouse.
//
// The server runs in its own process group, so Ctrl-C on the terminal does not
// reach it: a program that runs until interrupted should catch the signal and
// call Stop. On Linux a parent that dies without Stop still takes the server
// down (SIGTERM via Pdeathsig).
package chserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"econdip/services/platform/freeport"
)

const (
	readyTimeout = 60 * time.Second
	stopTimeout  = 15 * time.Second

	pidFileName = "clickhouse.pid"

	errLogName = "clickhouse-server.err.log"
	stdoutName = "stdout.log"
	stderrName = "stderr.log"

	tailLines = 20
)

// ErrNotInstalled is returned by FindBinary when no ClickHouse server binary exists.
var ErrNotInstalled = errors.New("ClickHouse is not installed: install Debian's clickhouse-server package (apt-get install -y clickhouse-server clickhouse-client) or put `clickhouse` on PATH")

// binaryDirs are searched when the binaries are not on PATH: Debian puts
// clickhouse-server in /usr/sbin, which is not on PATH for ordinary users.
var binaryDirs = []string{"/usr/bin", "/usr/sbin", "/usr/local/bin"}

var (
	//go:embed config.xml.tmpl
	configXML string
	//go:embed users.xml.tmpl
	usersXML string

	templates = template.Must(template.New("").Funcs(template.FuncMap{"xml": xmlEscape}).
			Parse(`{{define "config.xml"}}` + configXML + `{{end}}{{define "users.xml"}}` + usersXML + `{{end}}`))
)

// Options configures Start.
type Options struct {
	// Dir is the data folder; config, data, tmp, user_files, format_schemas
	// and logs all live below it. It is created if missing and reused, data
	// kept, if it exists.
	Dir string
	// TCPPort is the native protocol port; 0 picks a free port on 127.0.0.1.
	TCPPort int
	// HTTPPort is the HTTP port; 0 picks a free port on 127.0.0.1.
	HTTPPort int
	// Logger receives progress lines; nil discards them.
	Logger *slog.Logger
	// AdminPassword, when set, replaces the passwordless default user with
	// AdminUser, who has every right and this password: nobody connects
	// without a password. Empty: the user default without a password, for
	// tests' throwaway servers.
	AdminPassword string
	// WriterPassword, when set, adds WriterUser for ingest: it inserts and
	// reads, never changes a table (profile "writer", allow_ddl = 0, which
	// the user cannot turn back on). Empty: no such user.
	WriterPassword string
	// ReadOnlyPassword, when set, adds the user ReadOnlyUser for the
	// dashboard: it may read and change query settings, never write or
	// change a table (profile "readonly", readonly = 2). Empty: no such user.
	// users.xml keeps the SHA-256 of each password only.
	ReadOnlyPassword string
	// ExtraConfig is XML written as given inside the root element of
	// config.xml, for what a member of a cluster needs: remote_servers,
	// zookeeper, macros, distributed_ddl, interserver_http_port (see
	// analytics/chcluster). Empty: a server on its own.
	ExtraConfig string
}

// The users of a server started with passwords, named as production's
// (deploy/compose/clickhouse/users.d): AdminUser runs migrations and
// reference loads, WriterUser is ingest's, ReadOnlyUser the dashboard's.
const (
	AdminUser    = "migrator"
	WriterUser   = "ingest_writer"
	ReadOnlyUser = "dashboard_ro"
)

// Server is a running private ClickHouse server started by Start.
type Server struct {
	// Addr is the native protocol address, 127.0.0.1:port.
	Addr string
	// HTTPAddr is the HTTP address, 127.0.0.1:port.
	HTTPAddr string
	// Dir is the absolute data folder.
	Dir string
	// Version is the server version as reported by SELECT version().
	Version string

	logger            *slog.Logger
	tcpPort, httpPort int
	cmd               *exec.Cmd
	pidFile           string
	done              chan struct{} // closed when the process has exited and been reaped
	waitErr           error         // valid after done is closed

	stopOnce sync.Once
	stopErr  error
}

// FindBinary returns the ClickHouse server binary and the arguments that
// select the server mode: `clickhouse` (current releases, args ["server"]) is
// preferred over `clickhouse-server` (Debian's 18.16). Both are looked up on
// PATH and then in /usr/bin, /usr/sbin and /usr/local/bin.
func FindBinary() (path string, args []string, err error) {
	candidates := []struct {
		name string
		args []string
	}{
		{"clickhouse", []string{"server"}},
		{"clickhouse-server", nil},
	}
	for _, c := range candidates {
		if p, err := exec.LookPath(c.name); err == nil {
			if abs, err := filepath.Abs(p); err == nil {
				p = abs
			}
			return p, c.args, nil
		}
		for _, dir := range binaryDirs {
			p := filepath.Join(dir, c.name)
			if isExecutable(p) {
				return p, c.args, nil
			}
		}
	}
	return "", nil, ErrNotInstalled
}

// Start launches a private ClickHouse server on opts.Dir and returns once it
// answers queries on its native port. ctx bounds only the start-up; the server
// keeps running until Stop.
func Start(ctx context.Context, opts Options) (*Server, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.Dir == "" {
		return nil, errors.New("start clickhouse: Options.Dir is empty")
	}
	if opts.TCPPort < 0 || opts.HTTPPort < 0 {
		return nil, fmt.Errorf("start clickhouse: negative port (tcp %d, http %d)", opts.TCPPort, opts.HTTPPort)
	}
	bin, args, err := FindBinary()
	if err != nil {
		return nil, fmt.Errorf("start clickhouse: %w", err)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("start clickhouse: %w", err)
	}
	for _, sub := range []string{"config", "data", "tmp", "user_files", "format_schemas", "log"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			return nil, fmt.Errorf("start clickhouse: create data folder: %w", err)
		}
	}
	// Checked before the config is rewritten: a running server reloads its
	// config files when they change.
	if err := checkPidFile(dir, logger); err != nil {
		return nil, err
	}

	major := serverMajorVersion(ctx, bin, args)
	users := newUsersConfig(major, opts)
	autoPorts := opts.TCPPort == 0 || opts.HTTPPort == 0
	for attempt := 1; ; attempt++ {
		tcpPort, httpPort, err := choosePorts(opts.TCPPort, opts.HTTPPort)
		if err != nil {
			return nil, err
		}
		s, err := launch(ctx, logger, bin, args, dir, tcpPort, httpPort, users, opts.ExtraConfig)
		if err == nil {
			return s, nil
		}
		// A port picked as free can be taken by another process before the
		// server binds it, e.g. by a parallel test package doing the same.
		if autoPorts && attempt < 3 && errors.Is(err, errPortTaken) {
			logger.Warn("clickhouse port was taken before the server bound it, retrying", "attempt", attempt)
			continue
		}
		return nil, err
	}
}

var errPortTaken = errors.New("port already in use")

func launch(ctx context.Context, logger *slog.Logger, bin string, args []string, dir string, tcpPort, httpPort int, users usersConfig, extra string) (*Server, error) {
	displayName := "econdip-chserver-" + strings.ToLower(rand.Text()[:12])
	configPath, err := writeConfig(dir, tcpPort, httpPort, displayName, users, extra)
	if err != nil {
		return nil, fmt.Errorf("start clickhouse: %w", err)
	}
	logDir := filepath.Join(dir, "log")
	errLog := filepath.Join(logDir, errLogName)
	// The error log is appended to across runs; only this run's lines matter.
	errLogOffset := fileSize(errLog)

	stdout, err := os.OpenFile(filepath.Join(logDir, stdoutName), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return nil, fmt.Errorf("start clickhouse: %w", err)
	}
	defer stdout.Close()
	stderr, err := os.OpenFile(filepath.Join(logDir, stderrName), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return nil, fmt.Errorf("start clickhouse: %w", err)
	}
	defer stderr.Close()

	cmd := exec.Command(bin, append(append([]string{}, args...), "--config-file="+configPath)...)
	cmd.Dir = dir
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.SysProcAttr = sysProcAttr()

	s := &Server{
		Addr:     net.JoinHostPort("127.0.0.1", strconv.Itoa(tcpPort)),
		HTTPAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort)),
		Dir:      dir,
		logger:   logger,
		tcpPort:  tcpPort,
		httpPort: httpPort,
		cmd:      cmd,
		pidFile:  filepath.Join(dir, pidFileName),
		done:     make(chan struct{}),
	}
	logger.Info("starting clickhouse", "binary", bin, "dir", dir, "tcp_port", tcpPort, "http_port", httpPort)
	began := time.Now()

	// Pdeathsig fires when the OS thread that forked the child exits, not the
	// process. A fresh goroutine never runs on a thread locked by
	// runtime.LockOSThread, and the Go runtime only retires locked threads.
	startErr := make(chan error, 1)
	go func() { startErr <- cmd.Start() }()
	if err := <-startErr; err != nil {
		return nil, fmt.Errorf("start clickhouse: run %s: %w", bin, err)
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	if err := os.WriteFile(s.pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o640); err != nil {
		s.kill()
		return nil, fmt.Errorf("start clickhouse: write pid file: %w", err)
	}

	readyCtx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		version, err := probe(readyCtx, s.Addr, displayName, users.probeUser, users.probePassword)
		if err == nil {
			s.Version = version
			break
		}
		select {
		case <-s.done:
			_ = os.Remove(s.pidFile)
			lines := s.tail(errLog, errLogOffset)
			cause := fmt.Errorf("server exited before it was ready (%v)", s.waitErr)
			if containsAny(lines, "Address already in use") {
				cause = fmt.Errorf("%w: %w", errPortTaken, cause)
			}
			return nil, s.startError(cause, lines,
				"Fix the problem shown above (full logs in "+logDir+") and start again; if the data folder is damaged and disposable, delete "+dir+".")
		case <-readyCtx.Done():
			s.kill()
			lines := s.tail(errLog, errLogOffset)
			if ctx.Err() != nil {
				return nil, fmt.Errorf("start clickhouse: %w", ctx.Err())
			}
			return nil, s.startError(
				fmt.Errorf("server did not answer on %s within %s and was killed (last attempt: %w)", s.Addr, readyTimeout, err), lines,
				"See what it was doing in "+filepath.Join(logDir, "clickhouse-server.log")+"; a slow disk or a huge data folder can delay start-up.")
		case <-time.After(100 * time.Millisecond):
		}
	}
	logger.Info("clickhouse ready", "addr", s.Addr, "version", s.Version, "elapsed", time.Since(began).Round(time.Millisecond))
	return s, nil
}

// probe connects over the native protocol and checks that the server answering
// is the one we launched, not another server already listening on the port.
func probe(ctx context.Context, addr, displayName, user, password string) (string, error) {
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        []string{addr},
		Auth:        clickhouse.Auth{Database: "default", Username: user, Password: password},
		DialTimeout: time.Second,
	})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		return "", err
	}
	sv, err := conn.ServerVersion()
	if err != nil {
		return "", err
	}
	if sv.DisplayName != displayName {
		return "", fmt.Errorf("another server (%q) answers on %s", sv.DisplayName, addr)
	}
	var version string
	if err := conn.QueryRow(ctx, "SELECT version()").Scan(&version); err != nil {
		return "", err
	}
	return version, nil
}

// Stop shuts the server down: SIGTERM, up to 15 s for a clean exit, then
// SIGKILL. It is safe to call more than once and on a nil *Server; it returns
// an error if the server had to be killed or had died on its own.
func (s *Server) Stop() error {
	if s == nil {
		return nil
	}
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Server) stop() error {
	defer os.Remove(s.pidFile)
	select {
	case <-s.done:
		return fmt.Errorf("stop clickhouse: server had already exited (%v); see %s", s.waitErr, filepath.Join(s.Dir, "log", errLogName))
	default:
	}
	s.logger.Info("stopping clickhouse", "pid", s.cmd.Process.Pid)
	began := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		s.kill()
		return fmt.Errorf("stop clickhouse: %w", err)
	}
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-s.done:
	case <-timer.C:
		s.kill()
		return fmt.Errorf("stop clickhouse: server did not exit within %s of SIGTERM and was killed", stopTimeout)
	}
	s.logger.Info("clickhouse stopped", "elapsed", time.Since(began).Round(time.Millisecond))
	if s.waitErr != nil {
		return fmt.Errorf("stop clickhouse: %w", s.waitErr)
	}
	return nil
}

// Kill ends the server at once with SIGKILL, as a crash would, and waits
// until it is gone; its data folder is kept, so Start on the same folder
// and ports brings it back. Safe on a nil *Server and after Stop.
func (s *Server) Kill() {
	if s == nil {
		return
	}
	s.stopOnce.Do(func() {
		s.logger.Info("killing clickhouse", "pid", s.cmd.Process.Pid)
		s.kill()
		s.stopErr = errors.New("stop clickhouse: the server was killed")
	})
}

// kill ends the whole process group, including any helper processes
// (odbc/library bridges) the server spawned, and waits for the reaping.
func (s *Server) kill() {
	killGroup(s.cmd.Process.Pid)
	<-s.done
	_ = os.Remove(s.pidFile)
}

func (s *Server) startError(cause error, lines []string, hint string) error {
	var b strings.Builder
	if len(lines) > 0 {
		fmt.Fprintf(&b, "\nlast lines of the server's error output:\n    %s", strings.Join(lines, "\n    "))
	}
	fmt.Fprintf(&b, "\n%s", hint)
	return fmt.Errorf("start clickhouse: %w%s", cause, b.String())
}

// tail returns this run's last error log lines, falling back to stderr where
// the server reports problems it hits before its logger is set up.
func (s *Server) tail(errLog string, offset int64) []string {
	lines := tailFile(errLog, offset, tailLines)
	if len(lines) == 0 {
		lines = tailFile(filepath.Join(s.Dir, "log", stderrName), 0, tailLines)
	}
	return lines
}

// stackFrame matches the numbered stack trace lines ClickHouse writes after
// each exception; they would push the actual message out of a short tail.
var stackFrame = regexp.MustCompile(`^\s*\d+\. `)

func tailFile(path string, offset int64, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	size := fileSize(path)
	if offset > size { // rotated since the offset was taken
		offset = 0
	}
	const maxRead = 256 << 10
	if size-offset > maxRead {
		offset = size - maxRead
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil
	}
	var lines []string
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimRight(line, "\r ")
		if strings.TrimSpace(line) == "" || stackFrame.MatchString(line) {
			continue
		}
		lines = append(lines, line)
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

func containsAny(lines []string, substr string) bool {
	for _, l := range lines {
		if strings.Contains(l, substr) {
			return true
		}
	}
	return false
}

// checkPidFile refuses to start a second server on a folder whose server is
// still running, and removes a pid file left behind by a crashed run.
func checkPidFile(dir string, logger *slog.Logger) error {
	path := filepath.Join(dir, pidFileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("start clickhouse: read pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err == nil && pid > 0 && clickhouseRunning(pid) {
		return fmt.Errorf("start clickhouse: a ClickHouse server (pid %d) is still running on %s (pid file %s): stop it first (kill %d) or use another folder",
			pid, dir, path, pid)
	}
	logger.Info("removing stale clickhouse pid file", "path", path, "pid", strings.TrimSpace(string(data)))
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("start clickhouse: remove stale pid file: %w", err)
	}
	return nil
}

func choosePorts(tcpPort, httpPort int) (int, int, error) {
	// Both listeners stay open until both ports are known, so the two never coincide.
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	pick := func(port int) (int, error) {
		asked := port
		if port == 0 {
			// Not the kernel's choice, which lies in the ephemeral range: a
			// supervised server restarts on its ports, and an outgoing
			// connection could hold one of those meanwhile.
			ports, err := freeport.Loopback(1)
			if err != nil {
				return 0, fmt.Errorf("start clickhouse: %w", err)
			}
			port = ports[0]
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			if asked != 0 {
				return 0, fmt.Errorf("start clickhouse: port %d on 127.0.0.1 is already in use: choose another port or pass 0 to pick a free one: %w", port, err)
			}
			return 0, fmt.Errorf("start clickhouse: find a free port: %w", err)
		}
		listeners = append(listeners, l)
		return l.Addr().(*net.TCPAddr).Port, nil
	}
	t, err := pick(tcpPort)
	if err != nil {
		return 0, 0, err
	}
	h, err := pick(httpPort)
	if err != nil {
		return 0, 0, err
	}
	return t, h, nil
}

// usersConfig is what users.xml says beyond the passwordless default user
// (local connections only).
type usersConfig struct {
	// LowCardinalityFlag: servers before 19.x need the setting for
	// LowCardinality; servers that still tolerate it as obsolete all predate
	// its removal.
	LowCardinalityFlag bool
	// SettingConstraints: the server knows settings constraints (19.14 on;
	// written from 20.x), so a profile can pin a setting.
	SettingConstraints bool
	// Each user that has a password: its name and the SHA-256 of its
	// password, in hex. No AdminUser: the passwordless default user.
	AdminUser, AdminPasswordSHA256       string
	WriterUser, WriterPasswordSHA256     string
	ReadOnlyUser, ReadOnlyPasswordSHA256 string

	probeUser, probePassword string // who Start connects as to see the server is up
}

// newUsersConfig is the users.xml of a server of major version major (0:
// unknown, as 18.x says), with the users whose passwords opts sets.
func newUsersConfig(major int, opts Options) usersConfig {
	u := usersConfig{LowCardinalityFlag: major < 19, SettingConstraints: major >= 20, probeUser: "default"}
	sha := func(password string) string {
		sum := sha256.Sum256([]byte(password))
		return hex.EncodeToString(sum[:])
	}
	if opts.AdminPassword != "" {
		u.AdminUser, u.AdminPasswordSHA256 = AdminUser, sha(opts.AdminPassword)
		u.probeUser, u.probePassword = AdminUser, opts.AdminPassword
	}
	if opts.WriterPassword != "" {
		u.WriterUser, u.WriterPasswordSHA256 = WriterUser, sha(opts.WriterPassword)
	}
	if opts.ReadOnlyPassword != "" {
		u.ReadOnlyUser, u.ReadOnlyPasswordSHA256 = ReadOnlyUser, sha(opts.ReadOnlyPassword)
	}
	return u
}

func writeConfig(dir string, tcpPort, httpPort int, displayName string, users usersConfig, extra string) (string, error) {
	data := struct {
		DataDir, TmpDir, UserFilesDir, FormatSchemasDir, LogDir string
		TCPPort, HTTPPort                                       int
		DisplayName                                             string
		ExtraConfig                                             string
		usersConfig
	}{
		ExtraConfig:      extra,
		DataDir:          filepath.Join(dir, "data"),
		TmpDir:           filepath.Join(dir, "tmp"),
		UserFilesDir:     filepath.Join(dir, "user_files"),
		FormatSchemasDir: filepath.Join(dir, "format_schemas"),
		LogDir:           filepath.Join(dir, "log"),
		TCPPort:          tcpPort,
		HTTPPort:         httpPort,
		DisplayName:      displayName,
		usersConfig:      users,
	}
	configDir := filepath.Join(dir, "config")
	for _, name := range []string{"config.xml", "users.xml"} {
		var buf bytes.Buffer
		if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
			return "", fmt.Errorf("render %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(configDir, name), buf.Bytes(), 0o640); err != nil {
			return "", fmt.Errorf("write %s: %w", name, err)
		}
	}
	return filepath.Join(configDir, "config.xml"), nil
}

var versionOutput = regexp.MustCompile(`version (\d+)\.\d+`)

// serverMajorVersion returns the server's major version from `--version`, or
// 0 for servers that have no such option (18.x and older).
func serverMajorVersion(ctx context.Context, bin string, args []string) int {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, append(append([]string{}, args...), "--version")...).CombinedOutput()
	if err != nil {
		return 0
	}
	return parseMajorVersion(string(out))
}

func parseMajorVersion(out string) int {
	m := versionOutput.FindStringSubmatch(out)
	if m == nil {
		return 0
	}
	major, err := strconv.Atoi(m[1])
	if err != nil {
		return 0
	}
	return major
}

func xmlEscape(s string) (string, error) {
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		return "", err
	}
	return b.String(), nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
