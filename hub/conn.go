package hub

import (
	"context"
	"errors"
	"sync"
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

	// lastOffset is the offset of the newest state queued, so that no
	// older state is queued after it.
	lastOffset uint64
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
func (c *Conn) writeLoop(ctx context.Context, timeout time.Duration, m *Metrics) error {
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
			if err := c.write(ctx, f, timeout, m); err != nil {
				return err
			}
			replies[i] = nil
		}
		for i, p := range pushes {
			if err := c.write(ctx, p.frame, timeout, m); err != nil {
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

func (c *Conn) write(ctx context.Context, frame []byte, timeout time.Duration, m *Metrics) error {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := c.ws.Write(wctx, websocket.MessageText, frame)
	if err != nil {
		if wctx.Err() != nil && ctx.Err() == nil && m != nil {
			m.SlowClosed.Inc()
		}
		return err
	}
	if m != nil {
		m.Frames.Inc()
	}
	return nil
}
