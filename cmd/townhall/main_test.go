package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "townhall-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "townhall")
	args := []string{"build", "-race", "-o", binary, "."}
	if os.Getenv("TOWNHALL_TEST_RACE") == "0" {
		// For measuring (TestIDFloodChangesNothing's figures): the race
		// detector makes the server several times slower.
		args = []string{"build", "-o", binary, "."}
	}
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building townhall: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// proc is the real binary running as a child process.
type proc struct {
	cmd  *exec.Cmd
	addr string
	out  *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error
}

// syncBuffer is the process's output, read while the process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, addr, data string, args ...string) *proc {
	t.Helper()
	p := &proc{addr: addr, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(binary, append([]string{"--addr", addr, "--data", data}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("server output:\n%s", p.out)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready: %v\n%s", err, p.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func postJSON(t *testing.T, url string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode >= 300 {
		t.Fatalf("POST %s: %d %v", url, res.StatusCode, out)
	}
	return out
}

// wsClient is a minimal protocol client.
type wsClient struct {
	t  *testing.T
	ws *websocket.Conn
}

func dialHello(t *testing.T, addr, token string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(1 << 22)
	c := &wsClient{t, ws}
	c.send(map[string]any{"type": "hello", "token": token})
	c.until(func(m map[string]any) bool { return m["type"] == "welcome" })
	return c
}

func (c *wsClient) send(v any) {
	b, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Errorf("write: %v", err)
	}
}

// until reads messages until one matches, and returns it (nil if the
// connection ended first).
func (c *wsClient) until(ok func(map[string]any) bool) map[string]any {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			return map[string]any{"closed": err}
		}
		var m map[string]any
		json.Unmarshal(data, &m)
		if ok(m) {
			return m
		}
	}
}

func (c *wsClient) cmd(id, op string, args map[string]any) map[string]any {
	m := map[string]any{"type": "cmd", "id": id, "op": op}
	for k, v := range args {
		m[k] = v
	}
	c.send(m)
	return c.until(func(m map[string]any) bool { return m["id"] == id && (m["type"] == "ack" || m["type"] == "error") })
}

func openPoll(t *testing.T, addr string) (sess map[string]any, host *wsClient, poll string) {
	t.Helper()
	sess = postJSON(t, "http://"+addr+"/api/sessions", map[string]string{"title": "Crash test"})
	host = dialHello(t, addr, sess["facilitatorKey"].(string))
	ack := host.cmd("h1", "activity.create", map[string]any{"activity": map[string]any{"kind": "poll", "title": "Q", "options": []string{"A", "B", "C"}}})
	poll, _ = ack["activity"].(string)
	host.cmd("h2", "activity.present", map[string]any{"activity": poll})
	host.cmd("h3", "activity.open", map[string]any{"activity": poll})
	return sess, host, poll
}

func export(t *testing.T, addr string, sess map[string]any) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/sessions/"+sess["id"].(string)+"/export", nil)
	req.Header.Set("Authorization", "Bearer "+sess["facilitatorKey"].(string))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var x map[string]any
	json.NewDecoder(res.Body).Decode(&x)
	return x
}

// TestKill9KeepsAckedVotes kills the server right after votes are acked and
// starts it again on the same data: every acked vote is there.
func TestKill9KeepsAckedVotes(t *testing.T) {
	addr, data := freeAddr(t), t.TempDir()
	p := start(t, addr, data)
	sess, _, poll := openPoll(t, addr)

	const phones = 40
	var mu sync.Mutex
	acked := map[int]int{} // choice → acked votes
	var wg sync.WaitGroup
	for i := 0; i < phones; i++ {
		join := postJSON(t, "http://"+addr+"/api/join", map[string]string{"code": sess["code"].(string)})
		c := dialHello(t, addr, join["token"].(string))
		wg.Add(1)
		go func(i int, c *wsClient) {
			defer wg.Done()
			if ack := c.cmd("v1", "vote", map[string]any{"activity": poll, "choices": []int{i % 3}}); ack["type"] == "ack" {
				mu.Lock()
				acked[i%3]++
				mu.Unlock()
			}
		}(i, c)
	}
	wg.Wait()
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done

	start(t, addr, data)
	x := export(t, addr, sess)
	acts, _ := x["activities"].([]any)
	if len(acts) != 1 {
		t.Fatalf("export after restart: %v", x)
	}
	opts := acts[0].(map[string]any)["options"].([]any)
	total := 0
	for i, o := range opts {
		got := int(o.(map[string]any)["votes"].(float64))
		total += acked[i]
		if got != acked[i] {
			t.Errorf("option %d: %d votes after kill -9, %d were acked", i, got, acked[i])
		}
	}
	if total != phones {
		t.Fatalf("only %d of %d votes were acked", total, phones)
	}
}

// TestSIGTERMTellsClientsToReconnect checks the graceful drain: /readyz
// answers 503 at once while the server still serves for --ready-drain,
// then clients are told to reconnect.
func TestSIGTERMTellsClientsToReconnect(t *testing.T) {
	t.Parallel()
	addr, data := freeAddr(t), t.TempDir()
	p := start(t, addr, data, "--ready-drain", "1500ms")
	sess, host, _ := openPoll(t, addr)
	display := dialHello(t, addr, sess["displayKey"].(string))
	p.cmd.Process.Signal(syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatalf("/readyz during the drain: %v", err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d after SIGTERM", res.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Still serving: a command is answered while /readyz says 503.
	if ack := host.cmd("h9", "activity.close", map[string]any{"activity": sess["id"]}); ack["type"] != "error" && ack["type"] != "ack" {
		t.Fatalf("no answer while draining: %v", ack)
	}
	for _, c := range []*wsClient{host, display} {
		if m := c.until(func(m map[string]any) bool { return m["type"] == "reconnect" || m["closed"] != nil }); m["type"] != "reconnect" {
			t.Fatalf("no reconnect message before close: %v", m)
		}
		m := c.until(func(m map[string]any) bool { return m["closed"] != nil })
		if st := websocket.CloseStatus(m["closed"].(error)); st != websocket.StatusGoingAway {
			t.Errorf("close status %v, want 1001", st)
		}
	}
	select {
	case <-p.done:
		if p.err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", p.err, p.out)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not exit after SIGTERM")
	}
	if !strings.Contains(p.out.String(), "Console: http://") {
		t.Errorf("startup did not print the console's address:\n%s", p.out)
	}
}

func TestFlagsAndEnvironment(t *testing.T) {
	env := map[string]string{envAddr: "127.0.0.1:9999", envRedis: "redis://x", envAllowedOrigins: "a.example,b.example"}
	cfg, err := parse([]string{"--data", "/tmp/d"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil || cfg.addr != "127.0.0.1:9999" || cfg.data != "/tmp/d" || cfg.redis != "redis://x" || cfg.origins != "a.example,b.example" {
		t.Fatalf("parse = %+v, %v", cfg, err)
	}
	cfg, _ = parse([]string{"--addr", ":1"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	if cfg.addr != ":1" {
		t.Fatalf("a flag must win over the environment: %q", cfg.addr)
	}
	if cfg.attendeeInterval != 250*time.Millisecond {
		t.Fatalf("attendee interval by default %v, want 250ms", cfg.attendeeInterval)
	}
	if cfg.crowdAttendees != 2000 {
		t.Fatalf("crowd by default %d, want 2000", cfg.crowdAttendees)
	}
	env[envAttendeeTick] = "500ms"
	if cfg, _ = parse(nil, func(k string) string { return env[k] }, &bytes.Buffer{}); cfg.attendeeInterval != 500*time.Millisecond {
		t.Fatalf("attendee interval from %s: %v", envAttendeeTick, cfg.attendeeInterval)
	}
	env[envAttendeeTick] = "-1s"
	if _, err := parse(nil, func(k string) string { return env[k] }, &bytes.Buffer{}); err == nil {
		t.Fatal("a negative attendee interval was taken")
	}
	delete(env, envAttendeeTick)
	if code := run(context.Background(), []string{"--log-level", "loud"}, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{}); code != 2 {
		t.Fatalf("bad log level: exit %d, want 2", code)
	}
}
