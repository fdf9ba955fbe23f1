package hub

import (
	"bufio"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/coder/websocket"
)

// This file writes a connection's data frames past the websocket library:
// the hub frames them itself and writes each with one system call on the
// socket under the websocket. At 10,000 phones the library's Write cost
// 5-8 µs of user time per pushed frame outside the system call (two locks
// taken with a select, the frame header, a copy into its buffer and the
// flush), against 0.9 µs for a bare write loop (docs/benchmarks.md, "Where
// a frame's user time went"). A tick encodes each view once per role, and
// now frames it once too: every connection writes the same bytes.
//
// Why this cannot corrupt the stream. Every byte either side writes goes
// through Socket under one mutex, so the question is only whether a write
// of the library's could be half a frame, with one of ours landing in the
// middle:
//
//   - Once the hub serves a connection with a Socket, every data frame is
//     the hub's (welcome, pushes, acks, errors all go through Conn.write);
//     the library writes control frames only: pongs to the client's pings
//     (its read loop), the hub's pings, and close frames.
//   - A control frame's payload is at most 125 bytes (RFC 6455 5.5): the
//     library's pings carry a counter, a close reason too long for a close
//     frame is dropped (coder/websocket's CloseError.bytes), and a client's
//     ping of more than 125 bytes is a protocol error, never echoed. The library writes
//     a frame's header and payload into its bufio.Writer and flushes it at
//     the end of every frame with FIN set (all of its control frames), and
//     that writer is empty when a frame begins: the previous frame ended
//     with a flush, and a failed flush makes every later write fail
//     without reaching the socket. With a buffer of libWriteBuffer bytes,
//     a control frame is therefore one Write on Socket, whole.
//   - Socket.Write checks that: a library write that is not exactly one
//     whole control frame (a data frame written before the hub took over,
//     as the web handler's refusals are) turns the hub's writes off for
//     the connection, so they can never interleave with one.
//
// Closing: after a close frame, no data frame may follow (RFC 6455
// 5.5.1). Whoever starts the close (the hub's Close, the library answering
// the client's close frame, or the library closing on a protocol error),
// the close frame goes through Socket.Write, which marks the socket
// closed under the same mutex: a frame of the hub's is either written
// before it or refused. Close itself does not take the mutex, so closing
// the socket fails a write stuck on a phone that stopped reading (the
// sweep's write deadline, unchanged), and the library's own writes
// waiting behind it then fail too.

// Socket is the connection under a websocket, captured when the request
// was upgraded (Accept). The websocket library writes its control frames
// through it; the hub writes its data frames with writeFrame.
type Socket struct {
	net.Conn
	mu sync.Mutex
	// closed: a close frame has gone out. library: the library wrote
	// something other than one whole control frame. Either turns the
	// hub's writes off.
	closed, library bool
	// deflate: the client negotiated permessage-deflate without context
	// takeover, so the hub may compress any data frame on its own.
	deflate bool
}

// NewSocket wraps conn; its Write must be the only way bytes reach conn.
func NewSocket(conn net.Conn) *Socket { return &Socket{Conn: conn} }

// Write is for the websocket library: its frames go out as they would,
// one at a time with the hub's.
func (s *Socket) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	op, whole := controlFrame(p)
	switch {
	case !whole:
		s.library = true
	case op == opClose:
		s.closed = true
	}
	return s.Conn.Write(p)
}

// errRawOff refuses a frame of the hub's on a socket that must not take
// one (a close frame went out, or the library wrote data frames).
var errRawOff = errors.New("hub: the socket takes no more data frames")

// writeFrame writes one whole frame (header and payload) with one write.
func (s *Socket) writeFrame(wire []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.library {
		return errRawOff
	}
	_, err := s.Conn.Write(wire)
	return err
}

// Opcodes and header bits of RFC 6455 5.2 that the hub reads or writes.
const (
	opText   = 0x1
	opClose  = 0x8
	finBit   = 0x80
	maskBit  = 0x80
	maxShort = 125 // the longest payload said in the first length byte
)

// controlFrame reports whether p is exactly one whole, unmasked control
// frame (a server's), and its opcode.
func controlFrame(p []byte) (op byte, whole bool) {
	if len(p) < 2 {
		return 0, false
	}
	op = p[0] & 0x0f
	n := int(p[1] &^ maskBit)
	return op, p[0]&finBit != 0 && p[0]&0x70 == 0 && op >= opClose &&
		p[1]&maskBit == 0 && n <= maxShort && len(p) == 2+n
}

// appendFrame appends the server's text frame of payload: FIN, no mask,
// no compression (RFC 6455 5.2).
func appendFrame(b, payload []byte) []byte {
	return appendHeader(b, finBit|opText, len(payload), payload)
}

// appendHeader appends a frame whose first byte is first and whose
// payload is payload, n bytes long.
func appendHeader(b []byte, first byte, n int, payload []byte) []byte {
	switch {
	case n <= maxShort:
		b = append(b, first, byte(n))
	case n <= 0xffff:
		b = append(b, first, 126, byte(n>>8), byte(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, first, 127), uint64(n))
	}
	return append(b, payload...)
}

// framed returns the frame of payload and the payload within it: a tick's
// views are framed once, for every connection that is written them.
func framed(payload []byte) (frame []byte, wire *sharedFrame) {
	plain := appendFrame(make([]byte, 0, len(payload)+10), payload)
	return plain[len(plain)-len(payload):], &sharedFrame{plain: plain}
}

// Accept upgrades the request as websocket.Accept does, and returns the
// Socket under the websocket for Hub.Serve, or nil when the hub must
// write through the library: when compression with context takeover was
// negotiated, where each message depends on the ones before it. Without
// context takeover (what web asks for) the hub compresses its own frames
// (deflate.go).
//
// w's Hijack is used as it is (web's swaps net/http's read buffer for a
// smaller one): the websocket reads from its reader, and writes its
// control frames through a small writer on the Socket.
func Accept(w http.ResponseWriter, r *http.Request, opts *websocket.AcceptOptions) (*websocket.Conn, *Socket, error) {
	cw := &capture{ResponseWriter: w}
	ws, err := websocket.Accept(cw, r, opts)
	if err != nil {
		return nil, nil, err
	}
	return ws, cw.sock, nil
}

// capture is the response writer given to websocket.Accept: its Hijack
// puts a Socket under the websocket.
type capture struct {
	http.ResponseWriter
	sock *Socket
}

func (w *capture) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *capture) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := hijacker(w.ResponseWriter)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	conn, brw, err := hj.Hijack()
	ext := w.Header().Get("Sec-WebSocket-Extensions")
	deflate := strings.Contains(ext, "permessage-deflate") && strings.Contains(ext, "server_no_context_takeover")
	if err != nil || (ext != "" && !deflate) {
		// Compression with context takeover was negotiated (the header is
		// set before Hijack): the library writes every frame, with the
		// buffers it was given.
		return conn, brw, err
	}
	// Whatever net/http left in its writer (the 101 response is flushed
	// before Hijack returns) goes out before the websocket's first frame.
	if err := brw.Writer.Flush(); err != nil {
		conn.Close()
		return nil, nil, err
	}
	w.sock = NewSocket(conn)
	w.sock.deflate = deflate
	return w.sock, bufio.NewReadWriter(brw.Reader, bufio.NewWriterSize(w.sock, libWriteBuffer)), nil
}

// libWriteBuffer is the size of the websocket library's write buffer.
// Once the hub serves the connection the library writes only control
// frames (at most 2+125 bytes), each of which must fit whole, so that it
// is one Write. A data frame larger than this (a refusal before the hub
// takes over) goes out in pieces, which is why Socket.Write then turns
// the hub's writes off. Before the hub wrote its own frames this buffer
// was 2 KiB per connection (web's wsWriteBuffer).
const libWriteBuffer = 256

// hijacker finds the Hijacker under w as the websocket library does,
// following Unwrap.
func hijacker(w http.ResponseWriter) (http.Hijacker, bool) {
	for {
		switch t := w.(type) {
		case http.Hijacker:
			return t, true
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return nil, false
		}
	}
}
