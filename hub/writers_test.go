package hub

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Phones that stop reading hold the pool's workers in their writes, as
// many as there are workers and more; a phone that reads still gets its
// frames, because the pool starts workers in place of the stuck ones.
// The same with the hub's own frames on the socket and through the
// websocket library.
func TestWriterPoolWritesPastStuckPhones(t *testing.T) {
	t.Parallel()
	for _, raw := range []bool{true, false} {
		t.Run(fmt.Sprint("socket=", raw), func(t *testing.T) {
			t.Parallel()
			writesPastStuckPhones(t, raw)
		})
	}
}

func writesPastStuckPhones(t *testing.T, raw bool) {
	m := NewManager(nil, Config{WriteTimeout: time.Minute})
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m.Shutdown(ctx)
	}()
	m.writers.base = 2
	h := newHub(m, "s1")
	defer h.close()

	conns := make(chan accepted)
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, sock, err := Accept(w, r, nil)
		if err != nil {
			return
		}
		if !raw {
			sock = nil
		}
		conns <- accepted{ws, sock}
		<-done // the socket is the test's
	}))
	defer srv.Close()
	// Before the manager's shutdown: the stuck writes fail once their
	// sockets are closed.
	var closers []func()
	defer func() {
		for _, f := range closers {
			f()
		}
		close(done)
	}()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	small := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	dial := func(stuck bool) (client *websocket.Conn, c *Conn) {
		opts := &websocket.DialOptions{}
		if stuck {
			opts.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: small.DialContext}}
		}
		client, _, err := websocket.Dial(ctx, url, opts)
		if err != nil {
			t.Fatal(err)
		}
		a := <-conns
		ws := a.ws
		cctx, ccancel := context.WithCancel(ctx)
		c = &Conn{ws: ws, sock: a.sock, h: h, ctx: cctx, cancel: ccancel}
		closers = append(closers, func() {
			client.CloseNow()
			ws.CloseNow()
			ccancel()
			c.stopWriting()
		})
		return client, c
	}

	// Three stuck phones for two workers: each is queued frames of 1 MB,
	// more than the sockets' buffers hold, until a write to each blocks.
	big := []byte(strings.Repeat("x", 1<<20))
	var stuck []*Conn
	for range 3 {
		_, c := dial(true)
		for i := range 16 {
			c.enqueue(fmt.Sprint("k", i), big)
		}
		stuck = append(stuck, c)
	}
	blocked := func() bool {
		for _, c := range stuck {
			s := c.writeSince.Load()
			if s == 0 || monoNow()-s < 2*stalledAfter {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(15 * time.Second); !blocked(); {
		if time.Now().After(deadline) {
			t.Fatal("the stuck phones' writes never blocked")
		}
		// A submit is when the pool looks for stuck workers.
		m.writers.grow()
		time.Sleep(10 * time.Millisecond)
	}

	reader, c := dial(false)
	c.enqueue("a1", []byte(`{"type":"activity"}`))
	rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
	defer rcancel()
	typ, got, err := reader.Read(rctx)
	if err != nil || typ != websocket.MessageText || string(got) != `{"type":"activity"}` {
		t.Fatalf("the reading phone got %q, %v behind three stuck ones", got, err)
	}
}

// An ack goes ahead of a tick's pushes: a connection queued by a tick and
// then given an ack is taken first, and only once.
func TestWriterPoolTakesAcksFirst(t *testing.T) {
	t.Parallel()
	p := newWriterPool()
	p.base = 0 // no worker starts: the test takes by hand
	cs := make([]*Conn, 5)
	for i := range cs {
		cs[i] = &Conn{participant: fmt.Sprint("p", i)}
	}
	p.submit(cs...)
	p.promote(cs[3])
	acked := &Conn{participant: "acked"}
	p.submitFirst(acked)
	w := &poolWorker{}
	p.workers = append(p.workers, w) // one worker, so take waits instead of ending
	var got []string
	for range 6 {
		got = append(got, p.take(w).participant)
	}
	if want := "[p3 acked p0 p1 p2 p4]"; fmt.Sprint(got) != want {
		t.Fatalf("taken %v, want %s", got, want)
	}
	if !p.emptyLocked() {
		t.Fatalf("left queued: %d of %d, %d of %d", p.head, len(p.queue), p.fhead, len(p.first))
	}
}
