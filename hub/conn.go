package hub

import (
	"context"
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

	// For the pushes of a tick (enqueueViewLocked): the activity of an
	// activity push, with its patch from the view at base, if there is
	// one; the activities whose views a session push carries; and the
	// offset of the state pushed.
	activity string
	patch    []byte
	base     uint64
	acts     []string
	offset   uint64
}

// Conn is one websocket client of a hub: a read loop, a bounded set of
// frames waiting to be written, and a writer goroutine that runs only
// while there is something to write. An idle phone costs one goroutine,
// not two (docs/benchmarks.md).
type Conn struct {
	ws          *websocket.Conn
	h           *Hub // nil for a Conn that only queues (tests, benchmarks)
	ctx         context.Context
	cancel      context.CancelFunc
	role        session.Role
	participant string
	patches     bool // the client said "patches": true in its hello
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

	mu      sync.Mutex
	pushes  []push // coalesced by key
	held    []heldView
	replies [][]byte // acks and errors, in order, bounded
	closing *protocol.CloseReason
	writing bool // the writer goroutine runs
	ended   bool // the connection is over: no writer starts again
	writers sync.WaitGroup
}

// startLocked starts the writer unless it runs. c.mu is held.
func (c *Conn) startLocked() {
	if c.writing || c.ended || c.h == nil {
		return
	}
	c.writing = true
	c.writers.Add(1)
	go c.writeQueued()
}

// enqueue queues a whole-state push, replacing an older one with the same
// key.
func (c *Conn) enqueue(key string, frame []byte) {
	c.mu.Lock()
	c.enqueueLocked(key, frame)
	c.startLocked()
	c.mu.Unlock()
}

func (c *Conn) enqueueLocked(key string, frame []byte) {
	for i := range c.pushes {
		if c.pushes[i].key == key {
			c.pushes[i].frame = frame
			return
		}
	}
	c.pushes = append(c.pushes, push{key: key, frame: frame})
}

// enqueueAll queues a tick's frames with one lock and at most one writer
// start, however many frames the tick has for this connection.
func (c *Conn) enqueueAll(frames []push) {
	if len(frames) == 0 {
		return
	}
	c.mu.Lock()
	for _, f := range frames {
		c.enqueueViewLocked(f)
	}
	c.startLocked()
	c.mu.Unlock()
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
	c.startLocked()
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
// pushes. It reports false, and the writer stops, when nothing is queued.
func (c *Conn) next() (frame []byte, closing *protocol.CloseReason, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.replies); n > 0 {
		frame = c.replies[0]
		copy(c.replies, c.replies[1:])
		c.replies[n-1] = nil
		c.replies = c.replies[:n-1]
		return frame, nil, true
	}
	if n := len(c.pushes); n > 0 {
		frame = c.pushes[0].frame
		copy(c.pushes, c.pushes[1:])
		c.pushes[n-1] = push{}
		c.pushes = c.pushes[:n-1]
		return frame, nil, true
	}
	if c.closing != nil {
		c.ended = true
		return nil, c.closing, true
	}
	c.writing = false
	return nil, nil, false
}

// writeQueued writes queued frames until none is left; then the goroutine
// ends, and the next frame queued starts another. A failed write, or a
// close asked for, ends the connection.
func (c *Conn) writeQueued() {
	defer c.writers.Done()
	m := c.h.m.cfg.Metrics
	for {
		f, closing, ok := c.next()
		if !ok {
			return
		}
		if closing != nil {
			c.ws.Close(websocket.StatusCode(closing.Status), closing.Reason)
			c.cancel()
			return
		}
		if err := c.write(f, m); err != nil {
			c.mu.Lock()
			c.ended = true
			c.mu.Unlock()
			c.cancel()
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

func (c *Conn) write(frame []byte, m *Metrics) error {
	// writeSince is set before ctx is checked, so that ctx ending at any
	// moment either stops the write here or finds it in progress.
	c.writeSince.Store(monoNow())
	defer c.writeSince.Store(0)
	if err := c.ctx.Err(); err != nil {
		return err
	}
	err := c.ws.Write(context.Background(), websocket.MessageText, frame)
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
