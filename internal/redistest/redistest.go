// Package redistest starts a real redis-server for tests: on a free loopback
// port, with its data in a temporary folder, stopped when the test ends. The
// fault helpers (Stop, Continue, Restart, Crash) let tests of the Redis log,
// the hub and the whole binary check what happens when Redis misbehaves.
//
// When redis-server is not installed the test is skipped with a message,
// except in CI (CI=true), where it fails: the Redis tests must run there.
package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options configures a Server. The zero value is a server without
// persistence.
type Options struct {
	// AOF turns the append-only file on (appendfsync everysec), so that
	// Restart keeps the data.
	AOF bool
	// FsyncAlways makes the append-only file fsync every write, so that even
	// Crash loses nothing. It implies AOF.
	FsyncAlways bool
	// Args are more redis-server arguments, as on its command line
	// ("--maxmemory", "10mb").
	Args []string
}

// Server is a redis-server process owned by a test.
type Server struct {
	t    testing.TB
	bin  string
	opts Options

	// Addr is host:port of the server; it stays the same across restarts.
	Addr string
	// Port is the port of Addr.
	Port int
	// Dir holds the server's data files and its log, redis.log.
	Dir string

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	stopped bool
}

// Binary returns the path of redis-server, or fails or skips t when there is
// none (fails when the environment has CI=true).
func Binary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/bin/redis-server", "/usr/local/bin/redis-server"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	const msg = "redis-server not found in PATH: install it (Debian: apt-get install redis-server) to run the Redis tests"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Start starts a redis-server for the rest of the test and waits until it
// answers PING. It is stopped (and its data deleted) when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{t: t, bin: Binary(t), opts: opts, Dir: t.TempDir()}
	var err error
	// Another process can take the free port between our probe and the
	// server's bind: try a few ports.
	for attempt := 0; attempt < 5; attempt++ {
		s.Port, err = freePort()
		if err != nil {
			t.Fatalf("redistest: free port: %v", err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port))
		if err = s.start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			s.logTail(30)
		}
		s.shutdown(syscall.SIGTERM)
	})
	return s
}

// URL is the server's address for go-redis (redis://127.0.0.1:port/0).
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) args() []string {
	a := []string{
		"--port", strconv.Itoa(s.Port),
		"--bind", "127.0.0.1",
		"--dir", s.Dir,
		"--logfile", filepath.Join(s.Dir, "redis.log"),
		"--daemonize", "no",
		"--save", "",
		"--protected-mode", "yes",
	}
	if s.opts.AOF || s.opts.FsyncAlways {
		fsync := "everysec"
		if s.opts.FsyncAlways {
			fsync = "always"
		}
		a = append(a, "--appendonly", "yes", "--appendfsync", fsync)
	} else {
		a = append(a, "--appendonly", "no")
	}
	return append(a, s.opts.Args...)
}

// start runs the process and waits for PING; the caller holds no lock.
func (s *Server) start() error {
	cmd := exec.Command(s.bin, s.args()...)
	cmd.Dir = s.Dir
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited, s.stopped = cmd, exited, false
	s.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-exited:
			return fmt.Errorf("redis-server on %s exited at start: %s", s.Addr, s.readLog(10))
		default:
		}
		if ping(s.Addr) == nil {
			return nil
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			return fmt.Errorf("redis-server on %s did not answer PING within 10s: %s", s.Addr, s.readLog(10))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ping sends an inline PING and expects +PONG. A server still loading its
// data answers -LOADING, which is not ready yet.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return errors.New(strings.TrimSpace(line))
	}
	return nil
}

// shutdown ends the process with sig, then SIGKILL if it does not exit
// within 5 seconds.
func (s *Server) shutdown(sig syscall.Signal) {
	s.mu.Lock()
	cmd, exited, stopped := s.cmd, s.exited, s.stopped
	s.cmd, s.stopped = nil, false
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	if stopped {
		cmd.Process.Signal(syscall.SIGCONT)
	}
	cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
}

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		s.t.Fatalf("redistest: redis-server on %s is not running", s.Addr)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("redistest: signal %v: %v", sig, err)
	}
	s.stopped = sig == syscall.SIGSTOP
	if s.stopped {
		// The kernel stops the process asynchronously: wait until it has,
		// so that what the test sends next is surely not answered.
		stat := fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid)
		deadline := time.Now().Add(5 * time.Second)
		for {
			b, err := os.ReadFile(stat)
			if i := bytes.LastIndexByte(b, ')'); err == nil && i > 0 && i+2 < len(b) && b[i+2] == 'T' {
				return
			}
			if err != nil || time.Now().After(deadline) {
				s.t.Fatalf("redistest: redis-server did not stop: %v", err)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// Stop freezes the server with SIGSTOP: connections stay open and nothing
// is answered, as when a machine hangs.
func (s *Server) Stop() { s.signal(syscall.SIGSTOP) }

// Continue resumes a stopped server with SIGCONT.
func (s *Server) Continue() { s.signal(syscall.SIGCONT) }

// Restart shuts the server down cleanly (SIGTERM, which flushes the
// append-only file) and starts it again on the same port and folder. With
// AOF off it comes back empty.
func (s *Server) Restart() {
	s.t.Helper()
	s.shutdown(syscall.SIGTERM)
	if err := s.start(); err != nil {
		s.t.Fatalf("redistest: restart: %v", err)
	}
}

// Crash kills the server with SIGKILL and starts it again on the same port
// and folder: what survives is what the append-only file had on disk.
func (s *Server) Crash() {
	s.t.Helper()
	s.shutdown(syscall.SIGKILL)
	if err := s.start(); err != nil {
		s.t.Fatalf("redistest: restart after crash: %v", err)
	}
}

// Down kills the server and leaves it down until Up.
func (s *Server) Down() { s.shutdown(syscall.SIGTERM) }

// Up starts a server that Down ended, on the same port and folder.
func (s *Server) Up() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("redistest: up: %v", err)
	}
}

func (s *Server) readLog(n int) string {
	data, err := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (s *Server) logTail(n int) {
	s.t.Logf("redistest: last lines of %s/redis.log:\n%s", s.Dir, s.readLog(n))
}
