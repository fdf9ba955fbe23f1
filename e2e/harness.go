// Package e2e drives Townhall's pages in a real Chromium: the browser tests
// (go test ./e2e) and the screenshots program (e2e/cmd/screenshots) share
// the helpers of this file, which start the real server binary and the
// system's Chromium.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian installs Chromium; the tests never download
// a browser.
const ChromiumPath = "/usr/bin/chromium"

// EnvCI is set to "true" by CI, where a missing browser fails the tests
// instead of skipping them.
const EnvCI = "CI"

// BuildServer compiles the server package pkg (a path relative to dir, e.g.
// "../cmd/townhall") into out.
func BuildServer(ctx context.Context, dir, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// FreeAddr returns 127.0.0.1:<port> with a port in 18000-18999 that nothing
// listens on right now.
func FreeAddr() (string, error) {
	for range 200 {
		addr := fmt.Sprintf("127.0.0.1:%d", 18000+rand.IntN(1000))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		l.Close()
		return addr, nil
	}
	return "", errors.New("no free port in 18000-18999")
}

// Server is one townhall process listening on Addr with its store in Data.
type Server struct {
	Bin  string
	Addr string
	Data string
	// Args are more flags for the process, after the harness's own
	// (e.g. "--redis", url, "--secret", s).
	Args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	logs lockedBuffer
}

// lockedBuffer collects the server's output from its pipe goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// StartServer runs bin on a free port with a fresh store under dataDir and
// waits until /readyz answers 200.
func StartServer(ctx context.Context, bin, dataDir string) (*Server, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	s := &Server{Bin: bin, Addr: addr, Data: dataDir}
	return s, s.Start(ctx)
}

// URL is the server's base URL, without a trailing slash.
func (s *Server) URL() string { return "http://" + s.Addr }

// Logs returns everything the process has written so far.
func (s *Server) Logs() string { return s.logs.String() }

// Start runs the process (again) on the same address and store, and waits
// until it is ready.
func (s *Server) Start(ctx context.Context) error {
	if err := s.Launch(); err != nil {
		return err
	}
	return s.WaitReady(ctx, 15*time.Second)
}

// Launch runs the process (again) on the same address and store without
// waiting for it to be ready.
func (s *Server) Launch() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("server already running")
	}
	args := append([]string{"--addr", s.Addr, "--data", s.Data, "--drain", "2s", "--log-level", "warn"}, s.Args...)
	cmd := exec.Command(s.Bin, args...)
	cmd.Stdout = &s.logs
	cmd.Stderr = &s.logs
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.Bin, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	return nil
}

// WaitReady waits up to limit (or ctx) until /readyz answers 200. It fails
// at once if the process exits.
func (s *Server) WaitReady(ctx context.Context, limit time.Duration) error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return errors.New("server not running")
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-done:
			return fmt.Errorf("server exited before it was ready: %s\n%s", cmd.ProcessState, s.Logs())
		default:
		}
		res, err := client.Get(s.URL() + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server not ready on %s: %w\n%s", s.Addr, ctx.Err(), s.Logs())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Exited is closed when the running process has exited; nil when none runs.
func (s *Server) Exited() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done
}

// ReadyStatus is the status code /readyz answers now.
func (s *Server) ReadyStatus(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/readyz", nil)
	if err != nil {
		return 0, err
	}
	res, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// Signal sends sig to the running process (SIGSTOP, SIGCONT...).
func (s *Server) Signal(sig os.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return errors.New("server not running")
	}
	return s.cmd.Process.Signal(sig)
}

// WaitStopped waits until the process is stopped (after a SIGSTOP, which
// the kernel delivers asynchronously), or the deadline passes.
func (s *Server) WaitStopped(within time.Duration) error {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		return errors.New("server not running")
	}
	stat := fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid)
	deadline := time.Now().Add(within)
	for {
		b, err := os.ReadFile(stat)
		if err != nil {
			return err
		}
		// The state is the field after the command's name in parentheses.
		if i := bytes.LastIndexByte(b, ')'); i > 0 && i+2 < len(b) && (b[i+2] == 'T' || b[i+2] == 't') {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d not stopped after %v", cmd.Process.Pid, within)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
// Killing a stopped server does nothing.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-done
}

// Stop sends SIGTERM and waits for the process to exit (killing it after
// 10 s). Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		return errors.New("server did not exit within 10 s of SIGTERM; killed")
	}
}

// Created is the answer to POST /api/sessions.
type Created struct {
	ID             string `json:"id"`
	Code           string `json:"code"`
	Title          string `json:"title"`
	FacilitatorKey string `json:"facilitatorKey"`
	DisplayKey     string `json:"displayKey"`
	Links          struct {
		Join string `json:"join"`
		Host string `json:"host"`
		Show string `json:"show"`
	} `json:"links"`
}

// Export fetches GET /api/sessions/{id}/export with the facilitator key
// and decodes it into v.
func (s *Server) Export(ctx context.Context, id, facilitatorKey string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/api/sessions/"+id+"/export", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+facilitatorKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("export: %s: %s", res.Status, body)
	}
	return json.Unmarshal(body, v)
}

// BrowserOptions are the flags every Chromium of the suite runs with: the
// system's binary, headless, no sandbox (containers), nothing that talks to
// the network behind the test's back, and a fresh profile.
func BrowserOptions(userDataDir string, extra ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(userDataDir),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		// Several pages run at once, each in its own window: none of them
		// may be slowed down for being in the background.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-ipc-flooding-protection", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
	}
	return append(opts, extra...)
}

// HaveChromium says whether the system browser is installed.
func HaveChromium() bool {
	st, err := os.Stat(ChromiumPath)
	return err == nil && !st.IsDir()
}

// TrimCode removes anything but digits from a join code.
func TrimCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, code)
}
