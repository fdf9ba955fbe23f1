package hub

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// accepted is a server side of a test's websocket.
type accepted struct {
	ws   *websocket.Conn
	sock *Socket
}

// socketServer accepts websockets with Accept and hands them to the test.
func socketServer(t *testing.T, opts *websocket.AcceptOptions) (url string, conns <-chan accepted) {
	t.Helper()
	ch := make(chan accepted, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, sock, err := Accept(w, r, opts)
		if err != nil {
			return
		}
		ch <- accepted{ws, sock}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http"), ch
}

// Sizes around every length encoding of a frame header (RFC 6455 5.2).
var frameSizes = []int{2, 125, 126, 127, 300, 65535, 65536, 70000}

// payloadOf is the test's frame number seq, padded to n bytes or more.
func payloadOf(seq, n int) []byte {
	b := fmt.Appendf(nil, `{"seq":%d,"pad":"`, seq)
	if pad := n - len(b) - 2; pad > 0 {
		b = append(b, bytes.Repeat([]byte{'x'}, pad)...)
	}
	return append(b, `"}`...)
}

// A real websocket client pinging as fast as it can while the hub writes
// thousands of frames on the socket, and the server pinging it too: every
// frame arrives whole and in order, and every pong comes back.
func TestSocketFramesBesidePings(t *testing.T) {
	t.Parallel()
	url, conns := socketServer(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	client, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseNow()
	client.SetReadLimit(1 << 20)
	a := <-conns
	if a.sock == nil {
		t.Fatal("no socket without compression")
	}
	defer a.ws.CloseNow()

	const frames = 3000
	var wg sync.WaitGroup
	// The server's read loop answers the client's pings; its writer writes
	// frames framed once (a tick's) and framed per write (an ack's).
	serverErr := make(chan error, 3)
	wg.Add(3)
	go func() {
		defer wg.Done()
		_, _, err := a.ws.Read(ctx)
		if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
			serverErr <- fmt.Errorf("server read: %v", err)
		}
	}()
	go func() {
		defer wg.Done()
		c := &Conn{ws: a.ws, sock: a.sock, ctx: ctx}
		w := &poolWorker{}
		for i := range frames {
			f := payloadOf(i, frameSizes[i%len(frameSizes)])
			var wire *sharedFrame
			if i%2 == 0 {
				f, wire = framed(f)
			}
			if err := c.write(f, wire, w, nil); err != nil {
				serverErr <- fmt.Errorf("frame %d: %v", i, err)
				return
			}
		}
	}()
	var serverPings atomic.Int64
	pingsDone := make(chan struct{})
	go func() {
		defer wg.Done()
		for range 500 {
			select {
			case <-pingsDone:
				return
			default:
			}
			if err := a.ws.Ping(ctx); err != nil {
				serverErr <- fmt.Errorf("server ping: %v", err)
				return
			}
			serverPings.Add(1)
		}
	}()
	var clientPings atomic.Int64
	clientErr := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		defer close(clientErr)
		for range 20000 {
			select {
			case <-stop:
				return
			default:
			}
			if err := client.Ping(ctx); err != nil {
				clientErr <- err
				return
			}
			clientPings.Add(1)
		}
	}()
	for i := range frames {
		typ, got, err := client.Read(ctx)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if want := payloadOf(i, frameSizes[i%len(frameSizes)]); typ != websocket.MessageText || !bytes.Equal(got, want) {
			t.Fatalf("frame %d: %v of %d bytes, want text of %d", i, typ, len(got), len(want))
		}
	}
	// The pongs of the last pings still need a reader.
	close(stop)
	readCtx := client.CloseRead(ctx)
	if err := <-clientErr; err != nil {
		t.Fatalf("client ping after %d pongs: %v", clientPings.Load(), err)
	}
	close(pingsDone)
	if clientPings.Load() == 0 || serverPings.Load() == 0 {
		t.Fatalf("pongs: %d to the client, %d to the server", clientPings.Load(), serverPings.Load())
	}
	client.Close(websocket.StatusNormalClosure, "")
	<-readCtx.Done()
	wg.Wait()
	close(serverErr)
	for err := range serverErr {
		t.Error(err)
	}
}

// rawClient is a websocket client of its own, reading the bytes as they
// come, so that the test sees what a browser would and nothing is
// forgiven.
type rawClient struct {
	conn net.Conn
	br   *bufio.Reader
	wmu  sync.Mutex
}

func dialRaw(t *testing.T, url string) *rawClient {
	t.Helper()
	addr := strings.TrimPrefix(url, "ws://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	req.Header.Set("Sec-WebSocket-Version", "13")
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return &rawClient{conn: conn, br: br}
}

type rawFrame struct {
	first   byte // FIN, RSV and opcode
	masked  bool
	payload []byte
}

func (c *rawClient) read() (rawFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return rawFrame{}, err
	}
	f := rawFrame{first: h[0], masked: h[1]&0x80 != 0}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return f, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return f, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 1<<20 {
		return f, fmt.Errorf("a frame of %d bytes", n)
	}
	f.payload = make([]byte, n)
	_, err := io.ReadFull(c.br, f.payload)
	return f, err
}

// write writes a masked frame, as a client must.
func (c *rawClient) write(first byte, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	key := [4]byte{1, 2, 3, 4}
	b := []byte{first, 0x80 | byte(len(payload))}
	b = append(b, key[:]...)
	for i, x := range payload {
		b = append(b, x^key[i%4])
	}
	_, err := c.conn.Write(b)
	return err
}

// A close in the middle of pushes, from either side: every frame before
// the server's close frame is whole and in order, and nothing follows it
// (RFC 6455 5.5.1), while the client pings and the server pings too.
func TestSocketCloseDuringPushes(t *testing.T) {
	t.Parallel()
	for _, by := range []string{"server", "client"} {
		t.Run(by, func(t *testing.T) {
			t.Parallel()
			url, conns := socketServer(t, nil)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			client := dialRaw(t, url)
			a := <-conns
			defer a.ws.CloseNow()

			var wg sync.WaitGroup
			wg.Add(3)
			go func() {
				defer wg.Done()
				a.ws.Read(ctx) // answers pings and the client's close
			}()
			pushErr := make(chan error, 1)
			go func() {
				defer wg.Done()
				c := &Conn{ws: a.ws, sock: a.sock, ctx: ctx}
				w := &poolWorker{}
				for i := range 1_000_000 {
					f, wire := framed(payloadOf(i, frameSizes[i%4]))
					if err := c.write(f, wire, w, nil); err != nil {
						pushErr <- err
						return
					}
				}
				pushErr <- nil
			}()
			go func() {
				defer wg.Done()
				for ctx.Err() == nil && a.ws.Ping(ctx) == nil {
				}
			}()
			pingsSent := make(chan struct{})
			var pinged atomic.Int64
			go func() {
				defer close(pingsSent)
				for i := range 200 {
					if client.write(0x89, fmt.Appendf(nil, "p%d", i)) != nil {
						return
					}
					pinged.Add(1)
				}
			}()

			seq, pongs, closed, closing := 0, 0, false, false
			for {
				f, err := client.read()
				if closed {
					// After the server's close frame: the end of the
					// stream, nothing else.
					if !errors.Is(err, io.EOF) {
						t.Fatalf("after the close frame: a frame (first byte %#x, %d bytes), %v", f.first, len(f.payload), err)
					}
					break
				}
				if err != nil {
					t.Fatalf("after %d frames: %v", seq, err)
				}
				if f.masked || f.first&0x70 != 0 || f.first&0x80 == 0 {
					t.Fatalf("frame %d: first byte %#x, masked %v", seq, f.first, f.masked)
				}
				switch op := f.first & 0x0f; op {
				case opText:
					if want := payloadOf(seq, frameSizes[seq%4]); !bytes.Equal(f.payload, want) {
						t.Fatalf("frame %d: %d bytes %.40q, want %d", seq, len(f.payload), f.payload, len(want))
					}
					seq++
				case 0x9: // the server's ping
					if !closing {
						client.write(0x8a, f.payload)
					}
				case 0xa:
					if want := fmt.Sprintf("p%d", pongs); string(f.payload) != want {
						t.Fatalf("pong %q, want %q", f.payload, want)
					}
					pongs++
				case opClose:
					closed = true
					if by == "server" {
						if code := binary.BigEndian.Uint16(f.payload); code != uint16(websocket.StatusGoingAway) {
							t.Fatalf("closed with %d", code)
						}
						client.write(0x88, f.payload[:2])
					}
				default:
					t.Fatalf("frame %d: opcode %#x", seq, op)
				}
				// The close, once the pings are answered (a pong cannot
				// follow the server's close frame).
				select {
				case <-pingsSent:
					if !closing && seq >= 2000 && int64(pongs) == pinged.Load() {
						closing = true
						if by == "server" {
							go a.ws.Close(websocket.StatusGoingAway, "bye")
						} else {
							client.write(0x88, []byte{0x03, 0xe8})
						}
					}
				default:
				}
			}
			if seq < 2000 || int64(pongs) != pinged.Load() {
				t.Fatalf("%d frames, %d pongs of %d pings", seq, pongs, pinged.Load())
			}
			if err := <-pushErr; err == nil {
				t.Fatal("the pushes outlived the close")
			}
			cancel()
			wg.Wait()
		})
	}
}

// What the hub's writes are refused on: a socket the library wrote a data
// frame on (the web handler's refusal of a bad hello), and none at all
// when compression was negotiated.
func TestSocketOnlyForTheHubsFrames(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	url, conns := socketServer(t, nil)
	client, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseNow()
	a := <-conns
	defer a.ws.CloseNow()
	if err := a.ws.Write(ctx, websocket.MessageText, []byte(`{"type":"error"}`)); err != nil {
		t.Fatal(err)
	}
	_, wire := framed([]byte(`{"type":"activity"}`))
	if err := a.sock.writeFrame(wire.plain); !errors.Is(err, errRawOff) {
		t.Fatalf("after the library's data frame: %v", err)
	}
	if _, got, err := client.Read(ctx); err != nil || string(got) != `{"type":"error"}` {
		t.Fatalf("read %q, %v", got, err)
	}

	url, conns = socketServer(t, &websocket.AcceptOptions{CompressionMode: websocket.CompressionContextTakeover})
	client, _, err = websocket.Dial(ctx, url, &websocket.DialOptions{CompressionMode: websocket.CompressionContextTakeover})
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseNow()
	if a := <-conns; a.sock != nil {
		a.ws.CloseNow()
		t.Fatal("a socket for the hub's frames on a compressed connection")
	}
}

func TestControlFrame(t *testing.T) {
	t.Parallel()
	long := append([]byte{0x89, 126, 0, 126}, make([]byte, 126)...)
	for _, c := range []struct {
		p     []byte
		op    byte
		whole bool
	}{
		{[]byte{0x89, 0}, 0x9, true},
		{[]byte{0x8a, 2, 'h', 'i'}, 0xa, true},
		{[]byte{0x88, 2, 0x03, 0xe8}, opClose, true},
		{[]byte{0x88, 2, 0x03}, opClose, false},      // half of it
		{[]byte{0x89, 1, 'a', 0x81}, 0x9, false},     // and more
		{[]byte{0x81, 2, 'h', 'i'}, opText, false},   // data
		{[]byte{0x09, 0}, 0x9, false},                // no FIN
		{[]byte{0xc9, 0}, 0x9, false},                // RSV1
		{[]byte{0x89, 0x80, 1, 2, 3, 4}, 0x9, false}, // masked
		{long, 0x9, false},                           // past 125 bytes
		{[]byte{0x89}, 0, false},
	} {
		if op, whole := controlFrame(c.p); whole != c.whole || (whole && op != c.op) {
			t.Errorf("controlFrame(% x) = %#x, %v; want %#x, %v", c.p, op, whole, c.op, c.whole)
		}
	}
}

// countingConn counts the bytes a client reads off the wire.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// A client that offers permessage-deflate without context takeover gets
// the hub's frames compressed, each on its own: every length of header,
// shared frames and a connection's own, read back whole by a real client,
// with far fewer bytes on the wire than in the messages; and frames too
// small to gain go plain (a tick's from 128 bytes, a connection's own from
// 512).
func TestSocketCompressesFrames(t *testing.T) {
	t.Parallel()
	url, conns := socketServer(t, &websocket.AcceptOptions{CompressionMode: websocket.CompressionNoContextTakeover})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var onWire atomic.Int64
	dialer := &net.Dialer{}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{c, &onWire}, nil
	}}}
	client, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: hc, CompressionMode: websocket.CompressionNoContextTakeover})
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseNow()
	client.SetReadLimit(1 << 20)
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(ext, "server_no_context_takeover") {
		t.Fatalf("negotiated %q", ext)
	}
	a := <-conns
	if a.sock == nil || !a.sock.deflate {
		t.Fatal("no compressing socket for a client that offered it")
	}
	defer a.ws.CloseNow()
	c := &Conn{ws: a.ws, sock: a.sock, ctx: ctx}
	w := &poolWorker{}
	for i, n := range frameSizes {
		for _, shared := range []bool{false, true} {
			f := payloadOf(i, n)
			var wire *sharedFrame
			if shared {
				f, wire = framed(f)
			}
			before := onWire.Load()
			if err := c.write(f, wire, w, nil); err != nil {
				t.Fatal(err)
			}
			_, got, err := client.Read(ctx)
			if err != nil {
				t.Fatalf("frame of %d bytes: %v", n, err)
			}
			if !bytes.Equal(got, f) {
				t.Fatalf("frame of %d bytes read back as %d bytes", len(f), len(got))
			}
			read := onWire.Load() - before
			least := deflateMin // a connection's own frame
			if shared {
				least = sharedDeflateMin
			}
			switch {
			case len(f) < least && read < int64(len(f)):
				t.Errorf("a frame of %d bytes, under %d, took %d bytes: compressed", len(f), least, read)
			case len(f) >= 4096 && read > int64(len(f))/10:
				t.Errorf("a frame of %d bytes of padding took %d bytes on the wire", len(f), read)
			case shared && len(f) >= sharedDeflateMin && read >= int64(len(f)):
				t.Errorf("a tick's frame of %d bytes took %d bytes on the wire: not compressed", len(f), read)
			}
		}
	}
}
