package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// flakyServer speaks just enough of the protocol for one phone: it
// welcomes a hello, ends the first connection right after its welcome,
// then refuses the next `refuse` upgrades with 503 (an instance that is
// gone, as a load balancer answers for it) and welcomes again after that.
type flakyServer struct {
	t      *testing.T
	refuse int

	mu       sync.Mutex
	attempts int
	welcomes int
}

func (f *flakyServer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	f.mu.Lock()
	f.attempts++
	n := f.attempts
	refused := n > 1 && n <= 1+f.refuse
	f.mu.Unlock()
	if refused {
		http.Error(w, "no server is available", http.StatusServiceUnavailable)
		return
	}
	c, err := websocket.Accept(w, req, nil)
	if err != nil {
		f.t.Errorf("accept: %v", err)
		return
	}
	defer c.CloseNow()
	ctx := req.Context()
	if _, _, err := c.Read(ctx); err != nil { // the hello
		return
	}
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"welcome","offset":0}`)); err != nil {
		return
	}
	f.mu.Lock()
	f.welcomes++
	f.mu.Unlock()
	if n == 1 {
		return // the instance dies: the deferred CloseNow drops the socket
	}
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return
		}
	}
}

// runFlakyPhone runs one phone against f until cond holds on the runner
// (or 20 s pass), then ends the phone and returns the runner.
func runFlakyPhone(t *testing.T, f *flakyServer, retries int, cond func(r *runner) bool) *runner {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	r := &runner{
		cfg:     &config{connectTimeout: 5 * time.Second, connectRetries: retries},
		stderr:  io.Discard,
		start:   time.Now(),
		clients: map[string]*client{},
		wsHTTP:  &http.Client{Transport: newTransport()},
	}
	// A token already: the phone says hello without joining.
	p := &phone{base: srv.URL, r: r, token: "t", pending: map[string]*command{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	first := make(chan bool, 1)
	go func() {
		defer close(done)
		p.run(ctx, func(ok bool) { first <- ok })
	}()
	if !<-first {
		cancel()
		<-done
		t.Fatal("the first connection failed")
	}
	deadline := time.Now().Add(20 * time.Second)
	for !cond(r) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // polling interval of the deadline loop
	}
	held := cond(r)
	cancel()
	p.mu.Lock()
	if p.conn != nil {
		p.conn.CloseNow()
	}
	p.mu.Unlock()
	<-done
	if !held {
		t.Fatalf("condition not reached in 20 s: reconnects %d, reconnect failures %d, unended %d",
			r.reconnects.Load(), r.reconnectFailures.Load(), r.gapUnended.Load())
	}
	return r
}

// TestReconnectGap: a phone whose connection drops and whose next two
// attempts are refused has one gap, from the drop to the welcome after the
// refusals, so it spans the three waits before the attempts (each at least
// 20 ms); it is reported and printed.
func TestReconnectGap(t *testing.T) {
	t.Parallel()
	f := &flakyServer{t: t, refuse: 2}
	r := runFlakyPhone(t, f, 2, func(r *runner) bool { return r.reconnects.Load() == 1 })
	s := r.reconnectGap.summary()
	if s.Count != 1 || r.gapUnended.Load() != 0 {
		t.Fatalf("gaps %+v, unended %d; want one gap", s, r.gapUnended.Load())
	}
	f.mu.Lock()
	welcomes := f.welcomes
	f.mu.Unlock()
	if r.reconnectFailures.Load() != 2 || welcomes != 2 {
		t.Fatalf("reconnect failures %d, welcomes %d; want 2 and 2", r.reconnectFailures.Load(), welcomes)
	}
	if s.Max < 3*20 {
		t.Errorf("gap %.1f ms is shorter than the three waits before the attempts (3 x 20 ms at least)", s.Max)
	}
	t.Logf("gap %.1f ms", s.Max)

	rep := r.report(time.Second, time.Second, false, ExportCheck{})
	if rep.ReconnectGap != s || rep.ReconnectGapUnended != 0 {
		t.Errorf("report: gap %+v unended %d, want %+v and 0", rep.ReconnectGap, rep.ReconnectGapUnended, s)
	}
	var out strings.Builder
	rep.write(&out)
	if !strings.Contains(out.String(), "reconnect gap        n=1 ") || strings.Contains(out.String(), "never came back") {
		t.Errorf("summary:\n%s", out.String())
	}
}

// TestReconnectGapUnended: a phone that gives up after its last refused
// attempt has no gap, and counts as a lost connection that never came back.
func TestReconnectGapUnended(t *testing.T) {
	t.Parallel()
	f := &flakyServer{t: t, refuse: 1000}
	// No retries: 3 reconnect attempts, then the phone gives up.
	r := runFlakyPhone(t, f, 0, func(r *runner) bool { return r.gapUnended.Load() == 1 })
	if s := r.reconnectGap.summary(); s.Count != 0 || r.reconnectFailures.Load() != 3 {
		t.Fatalf("gaps %+v, reconnect failures %d; want none and 3", s, r.reconnectFailures.Load())
	}
	rep := r.report(time.Second, time.Second, false, ExportCheck{})
	var out strings.Builder
	rep.write(&out)
	if rep.ReconnectGapUnended != 1 || !strings.Contains(out.String(), "1 lost connections never came back") {
		t.Errorf("unended %d; summary:\n%s", rep.ReconnectGapUnended, out.String())
	}
}
