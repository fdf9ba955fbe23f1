package hub

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// writerPool is the goroutines that write connections' queued frames, for
// every hub of a manager. A connection with frames queued and no writer
// is queued here once; a worker takes it, writes until its queue is empty,
// and takes the next. Before it, every such connection started a goroutine
// of its own, about 3 µs of the 12 µs of user time per pushed frame at
// 10,000 phones (docs/benchmarks.md, "Where a frame's user time went"); no
// goroutine per idle phone either way.
//
// A write blocks while its client does not read (until the hub's sweep
// closes the socket after WriteTimeout), so a worker can be stuck for
// seconds: whenever fewer than base workers are free, submit and the
// sweep start more, as many as the stuck ones. A worker beyond base ends
// when it finds nothing queued.
type writerPool struct {
	mu    sync.Mutex
	cond  sync.Cond
	queue []*Conn
	head  int
	// first is served before queue: connections with an ack or error to
	// write. A tick queues every phone of a hall at once, and an ack must
	// not wait behind 10,000 pushes.
	first   []*Conn
	fhead   int
	idle    int
	workers []*poolWorker
	base    int
	stopped bool
	wg      sync.WaitGroup
}

// poolWorker is one worker; since is monoNow when its write in progress
// began, 0 while it writes nothing. buf frames the frames that were not
// framed for many connections at once (acks, errors, welcomes).
type poolWorker struct {
	since atomic.Int64
	buf   []byte
}

// maxWorkerBuf is the largest buf a worker keeps between frames.
const maxWorkerBuf = 64 << 10

// stalledAfter is how long a write takes before its worker counts as
// stuck: far above a loopback or LAN write (tens of µs), below a tick.
const stalledAfter = int64(50 * time.Millisecond)

func newWriterPool() *writerPool {
	p := &writerPool{base: max(4, 2*runtime.GOMAXPROCS(0))}
	p.cond.L = &p.mu
	return p
}

// submit queues connections that have frames and no writer.
func (p *writerPool) submit(cs ...*Conn) {
	if len(cs) == 0 {
		return
	}
	p.mu.Lock()
	for _, c := range cs {
		c.pooled = true
	}
	p.queue = append(p.queue, cs...)
	for i := 0; i < len(cs) && i < p.idle; i++ {
		p.cond.Signal()
	}
	p.growLocked()
	p.mu.Unlock()
}

// submitFirst queues a connection ahead of those queued by submit.
func (p *writerPool) submitFirst(c *Conn) {
	p.mu.Lock()
	c.pooled = true
	p.first = append(p.first, c)
	if p.idle > 0 {
		p.cond.Signal()
	}
	p.growLocked()
	p.mu.Unlock()
}

// promote moves ahead a connection that submit queued and no worker has
// taken yet (an ack came for a phone queued by a tick); one being written
// needs nothing, its worker writes the ack next.
func (p *writerPool) promote(c *Conn) {
	p.mu.Lock()
	if c.pooled {
		p.first = append(p.first, c)
	}
	p.mu.Unlock()
}

func (p *writerPool) emptyLocked() bool { return p.head >= len(p.queue) && p.fhead >= len(p.first) }

// grow starts workers if too many are stuck in a write.
func (p *writerPool) grow() {
	p.mu.Lock()
	p.growLocked()
	p.mu.Unlock()
}

func (p *writerPool) growLocked() {
	want := p.base
	if p.stopped {
		want = 1
	}
	if p.emptyLocked() && p.idle > 0 {
		return
	}
	now := monoNow()
	free := 0
	for _, w := range p.workers {
		if s := w.since.Load(); s == 0 || now-s < stalledAfter {
			free++
		}
	}
	for ; free < want; free++ {
		w := &poolWorker{}
		p.workers = append(p.workers, w)
		// Once close has begun waiting, a worker started for a
		// connection that outlived the shutdown is not waited for (an
		// Add then would race with the Wait).
		counted := !p.stopped
		if counted {
			p.wg.Add(1)
		}
		go p.work(w, counted)
	}
}

func (p *writerPool) work(w *poolWorker, counted bool) {
	if counted {
		defer p.wg.Done()
	}
	for {
		c := p.take(w)
		if c == nil {
			return
		}
		c.writeQueued(w)
	}
}

// take waits for the next connection to write; nil when the worker is to
// end.
func (p *writerPool) take(w *poolWorker) *Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.takeLocked(w)
}

func (p *writerPool) takeLocked(w *poolWorker) *Conn {
	for {
		for p.emptyLocked() {
			p.queue, p.head = p.queue[:0], 0
			p.first, p.fhead = p.first[:0], 0
			if p.stopped || len(p.workers) > p.base {
				for i, x := range p.workers {
					if x == w {
						p.workers = append(p.workers[:i], p.workers[i+1:]...)
						break
					}
				}
				return nil
			}
			p.idle++
			p.cond.Wait()
			p.idle--
		}
		var c *Conn
		if p.fhead < len(p.first) {
			c = p.first[p.fhead]
			p.first[p.fhead] = nil
			p.fhead++
		} else {
			c = p.queue[p.head]
			p.queue[p.head] = nil
			p.head++
		}
		// A connection moved ahead by promote holds two places: the
		// second one it is found in is passed over.
		if c.pooled {
			c.pooled = false
			return c
		}
	}
}

// close ends the idle workers, and the others once nothing is queued, and
// waits for them until done is closed.
func (p *writerPool) close(done <-chan struct{}) {
	p.mu.Lock()
	p.stopped = true
	p.cond.Broadcast()
	p.mu.Unlock()
	ended := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(ended)
	}()
	select {
	case <-ended:
		return
	case <-done:
	}
	// Past the caller's deadline, idle workers still end within a moment;
	// a worker stuck in a write is left to it.
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-ended:
	case <-t.C:
	}
}
