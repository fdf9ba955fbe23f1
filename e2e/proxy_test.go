package e2e

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// proxyMode is what a linkProxy does with the bytes it is given.
type proxyMode int

const (
	// forward passes bytes both ways.
	forward proxyMode = iota
	// blackhole reads and discards bytes both ways and keeps every socket
	// open: a Wi-Fi dead zone, or a router that lost the mapping.
	blackhole
	// refuse closes every connection, and every new one as soon as it is
	// accepted: the server is unreachable, and the page learns it at once.
	refuse
)

func (m proxyMode) String() string {
	return [...]string{"forward", "blackhole", "refuse"}[m]
}

// linkProxy is a TCP proxy in front of a server that a test switches
// between forward, blackhole and refuse, and through which it can make the
// "server" close a websocket with any status. It reads the server's side of
// a websocket frame by frame, so that an injected close frame lands between
// two frames, as the server's own would.
type linkProxy struct {
	t      *testing.T
	ln     net.Listener
	target string

	mu    sync.Mutex
	mode  proxyMode
	conns map[*proxiedConn]bool
	// wsOpens holds when each websocket upgrade request was forwarded to
	// the server.
	wsOpens []time.Time
	wg      sync.WaitGroup
	closed  bool
}

// proxiedConn is one client connection and its connection to the server.
type proxiedConn struct {
	client, server net.Conn
	// wmu orders writes to the client: whole frames from the server and
	// injected frames never interleave.
	wmu sync.Mutex
	// ws is set once the server answered 101: the rest is websocket frames.
	ws bool
	// tainted is set when bytes were discarded: the stream is broken and
	// the connection is closed when the link comes back.
	tainted bool
}

// startProxy listens on a free 127.0.0.1 port and forwards to target
// (host:port). The test's cleanup stops it.
func startProxy(t *testing.T, target string) *linkProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &linkProxy{t: t, ln: ln, target: target, conns: map[*proxiedConn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// URL is the proxy's base URL, without a trailing slash.
func (p *linkProxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *linkProxy) close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.client.Close()
		c.server.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}

// setMode switches the proxy. Refuse closes every connection. Back to
// forward, the connections that lost bytes are closed: their streams can
// never be whole again, as after a real outage.
func (p *linkProxy) setMode(m proxyMode) {
	p.t.Logf("link proxy %s: %s", p.ln.Addr(), m)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	for c := range p.conns {
		if m == refuse || (m == forward && c.tainted) {
			c.client.Close()
			c.server.Close()
		}
	}
}

// wsOpensSince returns when the websocket upgrades forwarded after t0 went
// through.
func (p *linkProxy) wsOpensSince(t0 time.Time) []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []time.Time
	for _, at := range p.wsOpens {
		if !at.Before(t0) {
			out = append(out, at)
		}
	}
	return out
}

// closeWebsockets sends every open websocket, between two of the server's
// frames, a close frame with status and reason, as the server would, and
// then closes both sides. It returns how many it closed.
func (p *linkProxy) closeWebsockets(status uint16, reason string) int {
	payload := binary.BigEndian.AppendUint16(nil, status)
	payload = append(payload, reason...)
	if len(payload) > 125 {
		p.t.Fatalf("a close reason of %d bytes does not fit a control frame", len(reason))
	}
	frame := append([]byte{0x88, byte(len(payload))}, payload...)
	p.mu.Lock()
	var targets []*proxiedConn
	for c := range p.conns {
		targets = append(targets, c)
	}
	p.mu.Unlock()
	n := 0
	for _, c := range targets {
		c.wmu.Lock()
		if c.ws {
			c.client.SetWriteDeadline(time.Now().Add(2 * time.Second))
			if _, err := c.client.Write(frame); err == nil {
				n++
			}
			c.client.Close()
			c.server.Close()
		}
		c.wmu.Unlock()
	}
	return n
}

func (p *linkProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.closed || p.mode == refuse {
			p.mu.Unlock()
			client.Close()
			continue
		}
		p.mu.Unlock()
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		c := &proxiedConn{client: client, server: server}
		p.mu.Lock()
		p.conns[c] = true
		p.mu.Unlock()
		p.wg.Add(2)
		go p.upstream(c)
		go p.downstream(c)
	}
}

func (p *linkProxy) drop(c *proxiedConn) {
	c.client.Close()
	c.server.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// pass says whether bytes go through now; when they do not, the connection
// is marked as broken.
func (p *linkProxy) pass(c *proxiedConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == forward {
		return true
	}
	c.tainted = true
	return false
}

// upstream copies the client's bytes to the server, and notes websocket
// upgrade requests.
func (p *linkProxy) upstream(c *proxiedConn) {
	defer p.wg.Done()
	defer p.drop(c)
	buf := make([]byte, 32<<10)
	for {
		n, err := c.client.Read(buf)
		if n > 0 && p.pass(c) {
			if bytes.HasPrefix(buf[:n], []byte("GET /ws ")) {
				p.mu.Lock()
				p.wsOpens = append(p.wsOpens, time.Now())
				p.mu.Unlock()
			}
			if _, werr := c.server.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// downstream copies the server's bytes to the client: the HTTP response
// head, then either the rest as it comes or, after a 101, whole websocket
// frames.
func (p *linkProxy) downstream(c *proxiedConn) {
	defer p.wg.Done()
	defer p.drop(c)
	r := bufio.NewReaderSize(c.server, 64<<10)
	head, err := readHead(r)
	if err != nil {
		return
	}
	if !p.send(c, head) {
		return
	}
	if bytes.HasPrefix(head, []byte("HTTP/1.1 101")) {
		c.wmu.Lock()
		c.ws = true
		c.wmu.Unlock()
		for {
			frame, err := readFrame(r)
			if err != nil {
				return
			}
			if !p.send(c, frame) {
				return
			}
		}
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 && !p.send(c, buf[:n]) {
			return
		}
		if err != nil {
			return
		}
	}
}

// send writes b to the client unless the proxy discards it; false when the
// client is gone.
func (p *linkProxy) send(c *proxiedConn, b []byte) bool {
	if !p.pass(c) {
		return true
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.client.Write(b)
	return err == nil
}

// readHead reads an HTTP response head, up to and with the empty line.
func readHead(r *bufio.Reader) ([]byte, error) {
	var head []byte
	for {
		line, err := r.ReadSlice('\n')
		head = append(head, line...)
		if err != nil {
			return nil, err
		}
		if len(line) <= 2 && (string(line) == "\r\n" || string(line) == "\n") {
			return head, nil
		}
		if len(head) > 64<<10 {
			return nil, errors.New("response head too long")
		}
	}
}

// readFrame reads one websocket frame as a server sends it (unmasked).
func readFrame(r *bufio.Reader) ([]byte, error) {
	hdr := make([]byte, 2, 14)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, err
	}
	n := uint64(hdr[1] & 0x7f)
	switch n {
	case 126:
		ext := make([]byte, 2)
		if _, err := io.ReadFull(r, ext); err != nil {
			return nil, err
		}
		hdr = append(hdr, ext...)
		n = uint64(binary.BigEndian.Uint16(ext))
	case 127:
		ext := make([]byte, 8)
		if _, err := io.ReadFull(r, ext); err != nil {
			return nil, err
		}
		hdr = append(hdr, ext...)
		n = binary.BigEndian.Uint64(ext)
	}
	if hdr[1]&0x80 != 0 {
		mask := make([]byte, 4)
		if _, err := io.ReadFull(r, mask); err != nil {
			return nil, err
		}
		hdr = append(hdr, mask...)
	}
	if n > 64<<20 {
		return nil, errors.New("frame too large for the test proxy")
	}
	frame := make([]byte, len(hdr)+int(n))
	copy(frame, hdr)
	if _, err := io.ReadFull(r, frame[len(hdr):]); err != nil {
		return nil, err
	}
	return frame, nil
}
