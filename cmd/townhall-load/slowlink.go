package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"time"
)

// Slow phones (--slow-phones): a phone on a cheap link in a hall, for the
// figure a person feels there: how long after an upvote is acked that
// phone shows it. Each slow phone's connection goes through slowConn, a
// link of --slow-rate bits per second and --slow-delay each way, emulated
// in the load generator (this machine's kernel has no netem), and the
// phone reads every view it is sent to find when each vote reached it.

// slowConn shapes a connection in both directions: bytes are delivered
// delay after they arrived and no faster than rate, through a queue the
// size of a link's buffer; when it is full the socket under it is not
// read, so the sender's TCP window closes as behind a real slow link.
type slowConn struct {
	net.Conn
	rate  float64 // bytes per second
	delay time.Duration

	in  chan slowChunk // read from the socket, not yet delivered
	cur []byte         // the part of a delivered chunk not read yet
	// readErr ends Read once the queue is drained.
	readErr error
	free    time.Time // when the link has carried every byte given so far

	out      chan slowChunk
	outFree  time.Time
	outErr   chan error // the first write error of the writer
	done     chan struct{}
	doneOnce sync.Once
}

type slowChunk struct {
	b   []byte
	at  time.Time
	err error
}

// slowBuffer is how many bytes a link holds in flight (a queue in a
// Wi-Fi access point): 64 KB.
const slowBuffer = 64 << 10

func newSlowConn(c net.Conn, bitsPerSecond float64, delay time.Duration) *slowConn {
	s := &slowConn{Conn: c, rate: bitsPerSecond / 8, delay: delay,
		in: make(chan slowChunk, slowBuffer/1460), out: make(chan slowChunk, slowBuffer/512),
		outErr: make(chan error, 1), done: make(chan struct{})}
	go s.pump()
	go s.send()
	return s
}

// carry is when n bytes given at t have crossed a link that is free at
// *free, which it moves on.
func (s *slowConn) carry(free *time.Time, t time.Time, n int) time.Time {
	start := t.Add(s.delay)
	if free.After(start) {
		start = *free
	}
	*free = start.Add(time.Duration(float64(n) / s.rate * float64(time.Second)))
	return *free
}

func (s *slowConn) pump() {
	for {
		buf := make([]byte, 1460)
		n, err := s.Conn.Read(buf)
		if n > 0 {
			select {
			case s.in <- slowChunk{b: buf[:n], at: time.Now()}:
			case <-s.done:
				return
			}
		}
		if err != nil {
			select {
			case s.in <- slowChunk{err: err}:
			case <-s.done:
			}
			return
		}
	}
}

func (s *slowConn) Read(p []byte) (int, error) {
	if len(s.cur) == 0 {
		if s.readErr != nil {
			return 0, s.readErr
		}
		var c slowChunk
		select {
		case c = <-s.in:
		case <-s.done:
			c.err = net.ErrClosed
		}
		if c.err != nil {
			s.readErr = c.err
			return 0, c.err
		}
		time.Sleep(time.Until(s.carry(&s.free, c.at, len(c.b))))
		s.cur = c.b
	}
	n := copy(p, s.cur)
	s.cur = s.cur[n:]
	return n, nil
}

// Write queues b and returns, as a socket's buffer does; the writer
// sends it when the link has carried it.
func (s *slowConn) Write(b []byte) (int, error) {
	select {
	case err := <-s.outErr:
		s.outErr <- err
		return 0, err
	default:
	}
	select {
	case <-s.done:
		return 0, net.ErrClosed
	default:
	}
	c := slowChunk{b: append([]byte(nil), b...), at: time.Now()}
	select {
	case s.out <- c:
		return len(b), nil
	case <-s.done:
		return 0, net.ErrClosed
	}
}

func (s *slowConn) send() {
	for {
		select {
		case c := <-s.out:
			time.Sleep(time.Until(s.carry(&s.outFree, c.at, len(c.b))))
			if _, err := s.Conn.Write(c.b); err != nil {
				s.outErr <- err
				return
			}
		case <-s.done:
			return
		}
	}
}

func (s *slowConn) Close() error {
	s.doneOnce.Do(func() { close(s.done) })
	return s.Conn.Close()
}

// slowClient is an HTTP client whose connections are slow links.
func slowClient(bitsPerSecond float64, delay time.Duration) *http.Client {
	t := newTransport()
	dial := t.DialContext
	// The count is of what crossed the slow link, so it is taken outside it.
	t.DialContext = countingDial(func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return newSlowConn(c, bitsPerSecond, delay), nil
	})
	return &http.Client{Transport: t}
}

// voteClock is a scenario that knows when each vote it counts was sent:
// the k-th acked vote of item (1-based), in the order acks arrived.
type voteClock interface {
	voteSentAt(item string, k int) (time.Duration, bool)
}

// noteVotes finds the votes a slow phone sees for the first time in its
// view, and records how long after their send each reached it. An entry
// that comes into the phone's view brings its votes along: those are not
// counted, as the phone could not have shown them before. p.mu is held.
func (p *phone) noteVotes(now time.Duration) {
	vc, ok := p.r.sc.(voteClock)
	if !ok || p.view == nil {
		return
	}
	if p.seen == nil {
		p.seen = map[string]int{}
	}
	present := make(map[string]bool, len(p.view.Items))
	for _, it := range p.view.Items {
		var id string
		var votes int
		if !jsonInto(it["id"], &id) || !jsonInto(it["votes"], &votes) {
			continue
		}
		present[id] = true
		prev, known := p.seen[id]
		p.seen[id] = votes
		if !known {
			continue
		}
		for k := prev + 1; k <= votes; k++ {
			if at, ok := vc.voteSentAt(id, k); ok {
				p.r.slowView.add(max(0, now-at))
			}
		}
	}
	for id := range p.seen {
		if !present[id] {
			delete(p.seen, id) // it left the view: its votes come back with it
		}
	}
}

func jsonInto(raw json.RawMessage, v any) bool {
	return raw != nil && json.Unmarshal(raw, v) == nil
}
