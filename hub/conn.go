package hub

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/townhall/townhall/protocol"
	"github.com/townhall/townhall/session"
)

// push is a frame waiting to be written. A later push with the same key
// replaces it: pushes are whole states, so a slow reader skips to the
// latest.
type push struct {
	key   string
	frame []byte
	// wire is frame with its websocket header, when framed once for
	// every connection it goes to (a tick's pushes); nil otherwise.
	wire *sharedFrame

	// For the pushes of a tick (enqueueViewLocked): the activity of an
	// activity push, with its patch from the view at base, if there is
	// one; the activities whose views a session push carries; and the
	// offset of the state pushed.
	activity  string
	patch     []byte
	patchWire *sharedFrame
	base      uint64
	acts      []string
	offset    uint64
}

// Conn is one websocket client of a hub: a read loop, a bounded set of
// frames waiting to be written, and a writer goroutine that runs only
// while there is something to write. An idle phone costs one goroutine,
// not two (docs/benchmarks.md).
type Conn struct {
	ws *websocket.Conn
	// sock, when not nil, is the socket under ws: the hub writes its data
	// frames on it itself (hub/socket.go).
	sock        *Socket
	h           *Hub // nil for a Conn that only queues (tests, benchmarks)
	ctx         context.Context
	cancel      context.CancelFunc
	role        session.Role
	participant string
	// moderator marks a moderator's connection: it is pushed what a
	// facilitator is (role is Facilitator) and its commands are sent as
	// session.Mod, which the reducer judges by the team's table.
	moderator bool
	patches   bool   // the client said "patches": true in its hello
	lang      string // the language its hello asked for, canonical or ""
	// The read loop's own: made on the first command.
	limiter  *rate.Limiter // commands
	refusals *rate.Limiter // commands refused by limiter, before a flood close
	lastPing time.Time     // the last "ping" message answered for free

	// Liveness: the hub's sweep pings a connection every PingInterval; a
	// ping goroutine waits for the pong and closes a connection that does
	// not answer within PongTimeout.
	pingDue atomic.Int64 // monoNow after which the next ping is due
	pinging atomic.Bool  // a ping waits for its pong

	// The write deadline: a write records when it began, and the hub's
	// sweep (Hub.sweepWrites) closes the socket of a write older than
	// WriteTimeout. Not a context.WithTimeout per frame (a derived context
	// costs a timer, a cancel registration on every parent and, inside the
	// websocket library, a context.AfterFunc of its own), nor a timer armed
	// and stopped around each write (about 1 µs a frame at 10,000 phones):
	// writes get a context without Done, so the library sets up nothing;
	// the sweep, and ctx ending mid-write, close the socket, which fails
	// the write just as an expired context did.
	writeSince atomic.Int64 // monoNow when the write in progress began; 0: none
	expired    atomic.Bool  // the sweep closed the socket
	// over is set once ctx has ended (startWriting), beside writeSince:
	// a write checks it instead of ctx, whose state is one more cache
	// miss per frame when thousands of connections are written in turn.
	over atomic.Bool

	mu      sync.Mutex
	pushes  []push // coalesced by key
	held    []heldView
	replies [][]byte // acks and errors, in order, bounded
	closing *protocol.CloseReason
	writing bool // a writer is claimed: queued in the pool or writing
	pooled  bool // queued in the pool, not yet taken; guarded by the pool's mu
	ended   bool // the connection is over: no writer starts again
	writers sync.WaitGroup
}

// startLocked starts the writer unless it runs. c.mu is held.
func (c *Conn) startLocked() {
	if c.claimLocked() {
		c.h.m.writers.submit(c)
	}
}

// claimLocked marks the writer as running, and reports true when it did
// not and the caller must submit c to the writer pool. c.mu is held.
func (c *Conn) claimLocked() bool {
	if c.writing || c.ended || c.h == nil {
		return false
	}
	c.writing = true
	c.writers.Add(1)
	return true
}

// enqueue queues a whole-state push, replacing an older one with the same
// key.
func (c *Conn) enqueue(key string, frame []byte) {
	c.mu.Lock()
	c.enqueueLocked(key, frame, nil)
	c.startLocked()
	c.mu.Unlock()
}

// wire is frame with its header, or nil.
func (c *Conn) enqueueLocked(key string, frame []byte, wire *sharedFrame) {
	for i := range c.pushes {
		if c.pushes[i].key == key {
			c.pushes[i].frame, c.pushes[i].wire = frame, wire
			return
		}
	}
	c.pushes = append(c.pushes, push{key: key, frame: frame, wire: wire})
}

// enqueueAll queues a tick's frames with one lock, however many frames
// the tick has for this connection. It reports true when c's writer must
// be started (submitted to the pool): the tick submits them all at once.
func (c *Conn) enqueueAll(frames []push) bool {
	if len(frames) == 0 {
		return false
	}
	c.mu.Lock()
	for _, f := range frames {
		c.enqueueViewLocked(f)
	}
	start := len(c.pushes) > 0 && c.claimLocked()
	c.mu.Unlock()
	return start
}

// reply queues an ack or error. It reports false when the client has let
// too many pile up unread.
func (c *Conn) reply(frame []byte, max int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.replies) >= max {
		return false
	}
	c.replies = append(c.replies, frame)
	// Acks go ahead of pushes in the pool: a tick queues a whole hall.
	if c.claimLocked() {
		c.h.m.writers.submitFirst(c)
	} else if c.writing && c.h != nil {
		c.h.m.writers.promote(c)
	}
	return true
}

// closeWith asks the writer to flush what is queued, then close.
// It reports whether this is the first close asked for.
func (c *Conn) closeWith(r protocol.CloseReason, last []byte) bool {
	c.mu.Lock()
	first := c.closing == nil
	if first {
		c.closing = &r
		if last != nil {
			c.replies = append(c.replies, last)
		}
	}
	c.startLocked()
	c.mu.Unlock()
	return first
}

// next takes the next frame to write: replies first, in order, then
// pushes (with wire, the frame with its header, when it has one). It
// reports false, and the writer stops, when nothing is queued.
func (c *Conn) next() (frame []byte, wire *sharedFrame, closing *protocol.CloseReason, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.replies); n > 0 {
		frame = c.replies[0]
		copy(c.replies, c.replies[1:])
		c.replies[n-1] = nil
		c.replies = c.replies[:n-1]
		return frame, nil, nil, true
	}
	if n := len(c.pushes); n > 0 {
		frame, wire = c.pushes[0].frame, c.pushes[0].wire
		copy(c.pushes, c.pushes[1:])
		c.pushes[n-1] = push{}
		c.pushes = c.pushes[:n-1]
		return frame, wire, nil, true
	}
	if c.closing != nil {
		c.ended = true
		return nil, nil, c.closing, true
	}
	c.writing = false
	return nil, nil, nil, false
}

// writeQueued writes queued frames until none is left, on a worker of the
// pool (w); the next frame queued submits c again. A failed write, or a
// close asked for, ends the connection. The close handshake waits for the
// client's answer, up to seconds: it goes on a goroutine of its own, so
// that a hall told to reconnect does not close its phones one by one.
func (c *Conn) writeQueued(w *poolWorker) {
	m := c.h.m.cfg.Metrics
	for {
		f, wire, closing, ok := c.next()
		if !ok {
			c.writers.Done()
			return
		}
		if closing != nil {
			go func() {
				defer c.writers.Done()
				c.ws.Close(websocket.StatusCode(closing.Status), closing.Reason)
				c.cancel()
			}()
			return
		}
		w.since.Store(monoNow())
		err := c.write(f, wire, w, m)
		w.since.Store(0)
		if err != nil {
			c.mu.Lock()
			c.ended = true
			c.mu.Unlock()
			c.cancel()
			c.writers.Done()
			return
		}
	}
}

// closeNow closes the connection with r without waiting for queued
// frames or a writer: the close frame is tried for a second at most, and
// the socket is closed whatever happens to it.
func (c *Conn) closeNow(r protocol.CloseReason) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.ws.Close(websocket.StatusCode(r.Status), r.Reason)
	}()
	t := time.NewTimer(time.Second)
	select {
	case <-done:
	case <-t.C:
	}
	t.Stop()
	c.ws.CloseNow()
	c.cancel()
	<-done // CloseNow makes the close handshake fail at once
}

// ping sends a websocket ping and waits for its pong; a connection that
// does not answer in time is closed. It runs on a goroutine of its own,
// counted in c.writers so that Serve waits for it.
func (c *Conn) ping(interval, timeout time.Duration, m *Metrics) {
	defer c.writers.Done()
	ctx, cancel := context.WithTimeout(c.ctx, timeout)
	err := c.ws.Ping(ctx)
	cancel()
	if err != nil {
		// pinging stays set: no further ping starts on this connection.
		if c.ctx.Err() == nil {
			m.closed(protocol.CloseReasonNoPong)
			c.closeNow(protocol.CloseReasonNoPong)
		}
		return
	}
	c.pingDue.Store(monoNow() + int64(interval))
	c.pinging.Store(false)
}

// startPing starts a ping unless the connection is over or one waits.
func (c *Conn) startPing(interval, timeout time.Duration, m *Metrics) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended || c.h == nil || !c.pinging.CompareAndSwap(false, true) {
		return
	}
	c.writers.Add(1)
	go c.ping(interval, timeout, m)
}

// startWriting makes ctx ending close the socket of a write in progress.
func (c *Conn) startWriting() (stop func()) {
	stopCtx := context.AfterFunc(c.ctx, func() {
		c.over.Store(true)
		if c.writeSince.Load() != 0 {
			c.ws.CloseNow()
		}
	})
	return func() { stopCtx() }
}

// monoStart makes monoNow monotonic and never zero.
var monoStart = time.Now()

func monoNow() int64 { return int64(time.Since(monoStart)) + 1 }

// expire closes the socket of a write that began before since, if it is
// still that write: a slow client, counted as such when the write fails.
func (c *Conn) expire(since int64) {
	if s := c.writeSince.Load(); s != 0 && s <= since {
		c.expired.Store(true)
		c.ws.CloseNow()
	}
}

// stopWriting lets the writer finish (ctx has ended, so a write in
// progress fails at once) and starts none again.
func (c *Conn) stopWriting() {
	c.mu.Lock()
	c.ended = true
	c.mu.Unlock()
	c.writers.Wait()
}

// write writes one data frame: on the socket, framed here unless wire is
// its frame already, or through the websocket library without a socket.
// w is the worker writing, whose buffer frames a frame of c's own.
func (c *Conn) write(frame []byte, wire *sharedFrame, w *poolWorker, m *Metrics) error {
	// writeSince is set before over is checked, and startWriting sets
	// over before it reads writeSince, so that ctx ending at any moment
	// either stops the write here or finds it in progress.
	c.writeSince.Store(monoNow())
	defer c.writeSince.Store(0)
	if c.over.Load() {
		return context.Canceled
	}
	var err error
	if c.sock != nil {
		var b []byte
		switch {
		case wire != nil:
			b = wire.bytes(c.sock.deflate)
		case c.sock.deflate && len(frame) >= deflateMin:
			// A frame of this connection's own (its welcome, a reply):
			// compressed here, for it alone.
			if w.buf = appendDeflatedFrame(w.buf[:0], frame); w.buf != nil {
				b = w.buf
				break
			}
			fallthrough
		default:
			w.buf = appendFrame(w.buf[:0], frame)
			b = w.buf
		}
		err = c.sock.writeFrame(b)
		if cap(w.buf) > maxWorkerBuf {
			w.buf = nil // a welcome of a large board is not kept
		}
		if err != nil && !errors.Is(err, errRawOff) {
			// The library closes its connection on a failed write; the
			// hub's write does the same, which ends the read loop. After
			// a close frame the library finishes the close handshake.
			c.ws.CloseNow()
		}
	} else {
		err = c.ws.Write(context.Background(), websocket.MessageText, frame)
	}
	if err != nil {
		// Only the sweep sets expired. Whether ctx has ended by now says
		// nothing: closing the socket also ends the read loop, which
		// cancels ctx, and that may well happen before this line.
		if c.expired.Load() && m != nil {
			m.SlowClosed.Inc()
		}
		return err
	}
	if m != nil {
		m.Frames.Inc()
	}
	return nil
}

// teamRole is the role the connection's welcome names: a moderator's
// connection says so, though it is pushed a facilitator's views.
func (c *Conn) teamRole() session.Role {
	if c.moderator {
		return session.Moderator
	}
	return c.role
}
