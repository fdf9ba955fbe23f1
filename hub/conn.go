package hub

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/townhall/townhall/session"
)

// CloseReason is a websocket close status with its reason.
type CloseReason struct {
	Status websocket.StatusCode
	Reason string
}

// Close reasons the hub uses.
var (
	CloseSlow      = CloseReason{websocket.StatusTryAgainLater, "too slow to keep up"}
	CloseGoingAway = CloseReason{websocket.StatusGoingAway, "server going away"}
	CloseFlooding  = CloseReason{websocket.StatusPolicyViolation, "too many commands without reading answers"}
	CloseNoSession = CloseReason{websocket.StatusGoingAway, "session closed"}
)

// push is a frame waiting to be written. A later push with the same key
// replaces it: pushes are whole states, so a slow reader skips to the
// latest.
type push struct {
	key   string
	frame []byte
}

// Conn is one websocket client of a hub: a read loop and a write loop
// sharing one context, and a bounded set of frames waiting to be written.
type Conn struct {
	ws          *websocket.Conn
	role        session.Role
	participant string
	limiter     *rate.Limiter

	mu      sync.Mutex
	pushes  []push   // coalesced by key
	replies [][]byte // acks and errors, in order, bounded
	closing *CloseReason
	wake    chan struct{}
	cancel  context.CancelFunc
}

func (c *Conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// enqueue queues a whole-state push, replacing an older one with the same
// key.
func (c *Conn) enqueue(key string, frame []byte) {
	c.mu.Lock()
	for i := range c.pushes {
		if c.pushes[i].key == key {
			c.pushes[i].frame = frame
			c.mu.Unlock()
			c.signal()
			return
		}
	}
	c.pushes = append(c.pushes, push{key, frame})
	c.mu.Unlock()
	c.signal()
}

// reply queues an ack or error. It reports false when the client has let
// too many pile up unread.
func (c *Conn) reply(frame []byte, max int) bool {
	c.mu.Lock()
	if len(c.replies) >= max {
		c.mu.Unlock()
		return false
	}
	c.replies = append(c.replies, frame)
	c.mu.Unlock()
	c.signal()
	return true
}

// closeWith asks the writer to flush what is queued, then close.
func (c *Conn) closeWith(r CloseReason, last []byte) {
	c.mu.Lock()
	if c.closing == nil {
		c.closing = &r
		if last != nil {
			c.replies = append(c.replies, last)
		}
	}
	c.mu.Unlock()
	c.signal()
}

// writeLoop writes queued frames until ctx ends or the connection closes.
// Every write has a deadline; a client that cannot take a frame within it
// is closed.
//
// The deadline is one watchdog timer per connection, armed around each
// write, not a context.WithTimeout per frame: a derived context costs a
// timer, a cancel registration on every parent and, inside the websocket
// library, a context.AfterFunc of its own, about a tenth of the server's
// CPU per pushed frame (docs/benchmarks.md). Writes get a context without
// Done, so the library sets up nothing; the watchdog, and ctx ending
// mid-write, close the socket, which fails the write just as an expired
// context did.
func (c *Conn) writeLoop(ctx context.Context, timeout time.Duration, m *Metrics) error {
	w := &watchdog{}
	w.timer = time.AfterFunc(time.Hour, func() {
		w.expired.Store(true)
		c.ws.CloseNow()
	})
	w.timer.Stop()
	defer w.timer.Stop()
	stop := context.AfterFunc(ctx, func() {
		if w.writing.Load() {
			c.ws.CloseNow()
		}
	})
	defer stop()
	var replies [][]byte
	var pushes []push
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.wake:
		}
		c.mu.Lock()
		replies, c.replies = c.replies, replies[:0]
		pushes, c.pushes = c.pushes, pushes[:0]
		closing := c.closing
		c.mu.Unlock()
		for i, f := range replies {
			if err := c.write(ctx, w, f, timeout, m); err != nil {
				return err
			}
			replies[i] = nil
		}
		for i, p := range pushes {
			if err := c.write(ctx, w, p.frame, timeout, m); err != nil {
				return err
			}
			pushes[i].frame = nil
		}
		if closing != nil {
			c.ws.Close(closing.Status, closing.Reason)
			return errClosing
		}
	}
}

var errClosing = errors.New("closing")

// watchdog bounds the writes of one connection.
type watchdog struct {
	timer   *time.Timer
	writing atomic.Bool // a write is in progress
	expired atomic.Bool // the timer closed the socket
}

func (c *Conn) write(ctx context.Context, w *watchdog, frame []byte, timeout time.Duration, m *Metrics) error {
	// writing is set before ctx is checked, so that ctx ending at any
	// moment either stops the write here or finds it in progress.
	w.writing.Store(true)
	defer w.writing.Store(false)
	if err := ctx.Err(); err != nil {
		return err
	}
	w.timer.Reset(timeout)
	err := c.ws.Write(context.Background(), websocket.MessageText, frame)
	w.timer.Stop()
	if err != nil {
		if w.expired.Load() && ctx.Err() == nil && m != nil {
			m.SlowClosed.Inc()
		}
		return err
	}
	if m != nil {
		m.Frames.Inc()
	}
	return nil
}
