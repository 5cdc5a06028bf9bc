package chserver

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// The delays before Supervise starts a server again: minRestartDelay after
// the first exit, doubled after each failed start or quick crash up to
// maxRestartDelay, and minRestartDelay again once a server has run
// stableAfter. Variables for tests.
var (
	minRestartDelay = 500 * time.Millisecond
	maxRestartDelay = 10 * time.Second
	stableAfter     = time.Minute
)

// Supervised is a private server that Supervise keeps running. Its address,
// HTTP address and folder stay the same across restarts, so connections
// opened on Addr work again once it is back.
type Supervised struct {
	// Addr is the native protocol address, 127.0.0.1:port.
	Addr string
	// HTTPAddr is the HTTP address, 127.0.0.1:port.
	HTTPAddr string
	// Dir is the absolute data folder.
	Dir string
	// Version is the server version as reported by SELECT version().
	Version string

	opts     Options // with the ports of the first start
	logger   *slog.Logger
	ctx      context.Context // ends when Stop begins; bounds a restart under way
	cancel   context.CancelFunc
	watching chan struct{} // closed when the watcher has returned
	restarts atomic.Int64

	mu  sync.Mutex
	srv *Server // the running process; nil between an exit and its restart

	stopOnce sync.Once
	stopErr  error
}

// Supervise starts a server as Start does and keeps it running until Stop:
// when the process exits on its own (a crash, the kernel's out-of-memory
// killer, kill -9), it logs the exit and starts the server again on the same
// folder, ports and users, after a delay that grows while starts fail (see
// minRestartDelay). ctx bounds only the first start.
func Supervise(ctx context.Context, opts Options) (*Supervised, error) {
	srv, err := Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	// Restarts keep the ports the first start got, so clients keep their address.
	opts.TCPPort, opts.HTTPPort, opts.Logger = srv.tcpPort, srv.httpPort, srv.logger
	sv := &Supervised{Addr: srv.Addr, HTTPAddr: srv.HTTPAddr, Dir: srv.Dir, Version: srv.Version,
		opts: opts, logger: srv.logger, srv: srv, watching: make(chan struct{})}
	sv.ctx, sv.cancel = context.WithCancel(context.Background())
	go sv.watch(srv)
	return sv, nil
}

// watch waits for srv to exit and starts the server again, until Stop.
func (sv *Supervised) watch(srv *Server) {
	defer close(sv.watching)
	delay := minRestartDelay
	for {
		began := time.Now()
		select {
		case <-sv.ctx.Done():
			return
		case <-srv.done:
		}
		ran := time.Since(began)
		pid := srv.cmd.Process.Pid
		// A helper process the server spawned would hold its ports.
		killGroupLeftovers(pid)
		_ = os.Remove(srv.pidFile)
		sv.mu.Lock()
		sv.srv = nil
		sv.mu.Unlock()
		if ran >= stableAfter {
			delay = minRestartDelay
		}
		sv.logger.Error("clickhouse exited on its own; starting it again", "pid", pid, "exit", exitText(srv),
			"ran", ran.Round(time.Millisecond).String(), "restart_in", delay.String(), "error_log", filepath.Join(srv.Dir, "log", errLogName))
		if srv = sv.restart(&delay); srv == nil {
			return
		}
	}
}

// restart starts the server again after *delay, doubling the delay after
// each attempt, until one runs; nil once Stop has begun.
func (sv *Supervised) restart(delay *time.Duration) *Server {
	down := time.Now()
	for attempt := 1; ; attempt++ {
		timer := time.NewTimer(*delay)
		select {
		case <-sv.ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
		*delay = min(*delay*2, maxRestartDelay)
		// Stop cancels sv.ctx: a start under way then kills its process.
		srv, err := Start(sv.ctx, sv.opts)
		if err != nil {
			if sv.ctx.Err() != nil {
				return nil
			}
			sv.logger.Error("clickhouse did not start again; retrying", "attempt", attempt, "err", err, "retry_in", delay.String())
			continue
		}
		// Stop stops whatever server this leaves here, once watch has returned.
		sv.mu.Lock()
		sv.srv = srv
		sv.mu.Unlock()
		n := sv.restarts.Add(1)
		sv.logger.Info("clickhouse started again", "pid", srv.cmd.Process.Pid, "down", time.Since(down).Round(time.Millisecond).String(),
			"attempts", attempt, "restarts", n)
		return srv
	}
}

// Pid is the running server's process id; 0 while it is being started again.
func (sv *Supervised) Pid() int {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.srv == nil {
		return 0
	}
	return sv.srv.cmd.Process.Pid
}

// Restarts counts the times the server was started again.
func (sv *Supervised) Restarts() int { return int(sv.restarts.Load()) }

// Stop ends the supervision, then stops the server as Server.Stop does. A
// restart under way is abandoned and its process killed: nothing is started
// after Stop has begun. Safe to call more than once and on a nil *Supervised.
func (sv *Supervised) Stop() error {
	if sv == nil {
		return nil
	}
	sv.stopOnce.Do(func() {
		sv.cancel()
		<-sv.watching
		sv.mu.Lock()
		srv := sv.srv
		sv.mu.Unlock()
		sv.stopErr = srv.Stop() // nil: it had exited and was not started again
	})
	return sv.stopErr
}

// exitText says how the process of srv ended: "exit status 1", "signal: killed".
func exitText(srv *Server) string {
	if st := srv.cmd.ProcessState; st != nil {
		return st.String()
	}
	if srv.waitErr != nil {
		return srv.waitErr.Error()
	}
	return "exited"
}
