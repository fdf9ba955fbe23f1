// Package hub hosts live sessions on one instance: one Hub per session keeps
// a replica of the session's state, fed by the log, and the local websocket
// connections of the session, to which it pushes coalesced views on a tick.
package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/session"
)

// Config tunes the hubs. The zero value works.
type Config struct {
	// LiveInterval is the push tick for facilitators and displays. Zero
	// means 100 ms.
	LiveInterval time.Duration
	// AttendeeInterval is the push tick for attendees. Zero means 250 ms.
	AttendeeInterval time.Duration
	// CrowdAttendees: above this many attendees of one session on this
	// instance, their tick is twice AttendeeInterval (crowdInterval).
	// Zero means 2,000; negative never.
	CrowdAttendees int
	// SnapshotEvery is how many events pass between snapshots. Zero means
	// 1000.
	SnapshotEvery int
	// IdleClose is how long a hub stays after its last connection leaves.
	// Zero means 30 s.
	IdleClose time.Duration
	// MaxReplies bounds the acks and errors queued for one connection.
	// Zero means 64.
	MaxReplies int
	// WriteTimeout bounds one frame's write; a client slower than that is
	// closed. Zero means 10 s.
	WriteTimeout time.Duration
	// PingInterval is how often each connection is sent a websocket ping.
	// Zero means 25 s.
	PingInterval time.Duration
	// PongTimeout is how long a ping waits for its pong before the
	// connection is closed as dead. Zero means 20 s.
	PongTimeout time.Duration
	// PollInterval is how often a hub asks the log for its last offset, to
	// find events its subscription missed. Zero means 1 s.
	PollInterval time.Duration
	// AppendTimeout bounds a command's append. Zero means 2 s.
	AppendTimeout time.Duration
	// PresenceInterval is how often a hub renews its count of attendee
	// connections in a shared store (Redis) and reads the other
	// instances'; a count not renewed for three intervals drops out.
	// Zero means 1 s.
	PresenceInterval time.Duration
	// MaxConnsPerToken bounds the open connections of one attendee token
	// on this instance. Zero means 8.
	MaxConnsPerToken int
	// CommandRate and CommandBurst limit each connection's commands. Zero
	// means 10 per second with bursts of 20.
	CommandRate  float64
	CommandBurst int
	// Logger receives errors. Nil means slog.Default().
	Logger *slog.Logger
	// Metrics, when set, records what the hubs do.
	Metrics *Metrics
	// Tallies carries reaction tallies between the instances serving a
	// session (hub/reactions.go). Nil counts this instance's taps only:
	// right for one instance (the embedded store).
	Tallies eventlog.Tallies
	// ReactionInterval is the reaction tick: taps are counted, exchanged
	// and pushed once per tick. Zero means LiveInterval.
	ReactionInterval time.Duration
	// TallyInterval is the least time between two reactions.tally
	// events of one instance. Zero means 10 s.
	TallyInterval time.Duration
	// Limits are the session caps the reducer judges, set on every
	// replica. Every instance of a deployment must have the same (see
	// session.Limits). The zero value means the defaults.
	Limits session.Limits
}

func (c *Config) fill() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.LiveInterval, 100*time.Millisecond)
	def(&c.AttendeeInterval, 250*time.Millisecond)
	def(&c.IdleClose, 30*time.Second)
	def(&c.WriteTimeout, 10*time.Second)
	def(&c.PollInterval, time.Second)
	def(&c.PingInterval, 25*time.Second)
	def(&c.PongTimeout, 20*time.Second)
	def(&c.AppendTimeout, 2*time.Second)
	def(&c.ReactionInterval, c.LiveInterval)
	def(&c.TallyInterval, 10*time.Second)
	def(&c.PresenceInterval, time.Second)
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = 1000
	}
	if c.CrowdAttendees == 0 {
		c.CrowdAttendees = 2000
	}
	if c.MaxReplies == 0 {
		c.MaxReplies = 64
	}
	if c.MaxConnsPerToken == 0 {
		c.MaxConnsPerToken = 8
	}
	if c.CommandRate == 0 {
		c.CommandRate = 10
	}
	if c.CommandBurst == 0 {
		c.CommandBurst = 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// ErrShutdown is returned once the manager is shutting down.
var ErrShutdown = errors.New("hub: shutting down")

// Manager owns the hubs of this instance, one per session with local
// clients.
type Manager struct {
	cfg   Config
	store eventlog.Store
	// instance names this manager among the deployment's in shared
	// presence counts (presence.go).
	instance string

	mu       sync.Mutex
	hubs     map[string]*Hub
	shutdown bool
	// active counts commands between their check and their answer, so
	// that shutdown can wait for their appends; drained closes when it
	// reaches zero after shutdown began.
	active  int
	drained chan struct{}
	stop    chan struct{}
	// idle holds the timers that close hubs left without users; Shutdown
	// stops them. Guarded by mu.
	idle map[*Hub]*time.Timer

	// wg counts every long-lived goroutine the manager and its hubs start
	// (through m.goroutine), so that Shutdown returns only once none runs:
	// the caller closes the store after, never under a snapshot save.
	wg sync.WaitGroup
	// writers write every hub's connections (hub/writers.go).
	writers *writerPool
}

// goroutine runs f on a goroutine that Shutdown waits for.
func (m *Manager) goroutine(f func()) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f()
	}()
}

// NewManager returns a manager serving sessions from store.
func NewManager(store eventlog.Store, cfg Config) *Manager {
	cfg.fill()
	m := &Manager{cfg: cfg, store: store, instance: newInstanceID(), hubs: map[string]*Hub{}, idle: map[*Hub]*time.Timer{},
		stop: make(chan struct{}), drained: make(chan struct{}), writers: newWriterPool()}
	// A store that loses live events when its connection drops (Redis
	// pub/sub) says so; every hub then re-reads its log.
	if r, ok := store.(interface{ Resync() <-chan struct{} }); ok {
		m.goroutine(func() {
			for {
				select {
				case <-m.stop:
					return
				case <-r.Resync():
					m.mu.Lock()
					for _, h := range m.hubs {
						h.poke()
					}
					m.mu.Unlock()
				}
			}
		})
	}
	return m
}

// Acquire returns the session's hub, loading it if needed, and a release
// function to call when the caller no longer needs it. A hub with no users
// closes after Config.IdleClose.
func (m *Manager) Acquire(ctx context.Context, id string) (*Hub, func(), error) {
	m.mu.Lock()
	if m.shutdown {
		m.mu.Unlock()
		return nil, nil, ErrShutdown
	}
	h := m.hubs[id]
	if h == nil {
		h = newHub(m, id)
		m.hubs[id] = h
		if m.cfg.Metrics != nil {
			m.cfg.Metrics.Sessions.Inc()
		}
		m.goroutine(h.run)
	}
	h.refs++
	if t := m.idle[h]; t != nil {
		// Back in use before its idle timer fired: the timer's callback
		// will find refs > 0, but Shutdown no longer needs to stop it.
		if t.Stop() {
			m.wg.Done()
		}
		delete(m.idle, h)
	}
	m.mu.Unlock()

	var once sync.Once
	release := func() { once.Do(func() { m.release(h) }) }
	select {
	case <-h.loaded:
	case <-ctx.Done():
		release()
		return nil, nil, ctx.Err()
	}
	if err := h.loadErr; err != nil {
		release()
		return nil, nil, err
	}
	return h, release, nil
}

func (m *Manager) release(h *Hub) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h.refs--
	if h.refs > 0 {
		return
	}
	wait := m.cfg.IdleClose
	select {
	case <-h.loaded:
		// loadErr is written before loaded is closed and never after.
		if h.loadErr != nil {
			wait = 0
		}
	default:
	}
	if m.shutdown {
		return // Shutdown closes every hub
	}
	m.wg.Add(1)
	var t *time.Timer
	t = time.AfterFunc(wait, func() {
		defer m.wg.Done()
		m.mu.Lock()
		if m.idle[h] == t {
			delete(m.idle, h)
		}
		if h.refs > 0 || m.hubs[h.id] != h {
			m.mu.Unlock()
			return
		}
		delete(m.hubs, h.id)
		if m.cfg.Metrics != nil {
			m.cfg.Metrics.Sessions.Dec()
		}
		m.mu.Unlock()
		h.close()
	})
	m.idle[h] = t
}

// forget removes h from the hosted sessions, so that the next Acquire of
// its session loads it afresh. Connections still holding h release it as
// usual.
func (m *Manager) forget(h *Hub) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hubs[h.id] == h {
		delete(m.hubs, h.id)
		if m.cfg.Metrics != nil {
			m.cfg.Metrics.Sessions.Dec()
		}
	}
}

// Delete deletes a session from the store and ends its hub here at once;
// the other instances' hubs notice within a PollInterval. It answers
// eventlog.ErrNotFound for an unknown session, eventlog.ErrDeleted for a
// deleted one.
func (m *Manager) Delete(ctx context.Context, id string) error {
	if err := m.store.Delete(ctx, id); err != nil {
		return err
	}
	m.mu.Lock()
	h := m.hubs[id]
	m.mu.Unlock()
	if h != nil {
		select {
		case <-h.loaded:
			h.gone()
		default:
			// Still loading: it finds the session deleted itself.
		}
	}
	return nil
}

// DeleteEnded deletes every session that ended before cutoff (the
// --retention sweep) and returns how many it deleted. A session's end is
// its facilitator's accepted session.end, among the last events of its
// log (a join may race it and land after).
func (m *Manager) DeleteEnded(ctx context.Context, cutoff time.Time) (int, error) {
	var ended []string
	err := m.store.Sessions(ctx, func(id string, last time.Time) error {
		if last.IsZero() || !last.Before(cutoff) {
			return nil
		}
		off, err := m.store.LastOffset(ctx, id)
		if err != nil {
			return nil // deleted meanwhile, or unreadable now: the next sweep
		}
		evs, err := m.store.Read(ctx, id, max(off, 16)-16, 16)
		if err != nil {
			return nil
		}
		for _, e := range evs {
			if e.Cmd.Op == session.OpEnd && e.Actor == session.Host && e.Time.Before(cutoff) {
				ended = append(ended, id)
				break
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ended {
		if err := m.Delete(ctx, id); err == nil {
			n++
		} else if !errors.Is(err, eventlog.ErrNotFound) {
			return n, err
		}
	}
	return n, nil
}

// Hosted lists the sessions this instance has a hub for.
func (m *Manager) Hosted() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.hubs))
	for id := range m.hubs {
		out = append(out, id)
	}
	return out
}

// Broken lists the sessions whose log changed under them (a store that
// lost its data): they are not served until restarted.
func (m *Manager) Broken() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for id, h := range m.hubs {
		if err := h.brokenErr(); err != nil {
			out = append(out, fmt.Sprintf("%s: %v", id, err))
		}
	}
	return out
}

// Shutdown tells every client to reconnect, waits for commands in flight
// to be answered (or ctx to end), and closes the hubs. The store stays
// open: the caller closes it after.
func (m *Manager) Shutdown(ctx context.Context) {
	m.mu.Lock()
	if m.shutdown {
		m.mu.Unlock()
		return
	}
	m.shutdown = true
	if m.active == 0 {
		close(m.drained)
	}
	hubs := make([]*Hub, 0, len(m.hubs))
	for _, h := range m.hubs {
		hubs = append(hubs, h)
	}
	for h, t := range m.idle {
		if t.Stop() {
			m.wg.Done()
		}
		delete(m.idle, h)
	}
	m.mu.Unlock()
	close(m.stop)

	select {
	case <-m.drained:
	case <-ctx.Done():
	}
	for _, h := range hubs {
		h.goAway()
	}
	for _, h := range hubs {
		h.waitConns(ctx)
		h.close()
	}
	m.wg.Wait()
	m.writers.close(ctx.Done())
}

// begin counts a command in flight, or refuses it during shutdown.
func (m *Manager) begin() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.shutdown {
		return false
	}
	m.active++
	return true
}

func (m *Manager) end() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.active--
	if m.shutdown && m.active == 0 {
		close(m.drained)
	}
}
