package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/session"
)

// Hub is one session on this instance: its replica, its local connections
// and its push ticker.
type Hub struct {
	m  *Manager
	id string

	refs    int // guarded by m.mu
	loaded  chan struct{}
	loadErr error
	ctx     context.Context
	cancel  context.CancelFunc
	wakeup  chan struct{}
	snaps   *snapshotter

	// mu guards the replica and the connection sets. Commands' checks and
	// ticks take it for reading; applying events and (un)registering
	// connections take it for writing. Nothing holding it writes to a
	// socket.
	mu     sync.RWMutex
	state  *session.State
	epoch  string
	broken error
	// conns holds the connections by audience (liveAudience: facilitators
	// and displays; attendeeAudience: phones), each with its own tick.
	conns [2]map[*Conn]struct{}
	// fresh holds, per audience, the connections registered since that
	// audience's last tick: their welcome may be newer than the last push,
	// so the next tick sends them every changed view even when it equals
	// what the others were last sent. register and unregister change it
	// under the write lock; tick takes it under the read lock (tick runs
	// on one goroutine).
	fresh     [2]map[*Conn]struct{}
	byPart    map[string][]*Conn
	appliedCh chan struct{} // closed and replaced whenever events are applied
	sinceSnap int           // events since the last snapshot was asked for
	// pushed is the encoded view last pushed per role and key. Only tick
	// (one goroutine, under mu for reading) reads and writes it.
	pushed map[string][]byte
	// tickConns is the connections a tick queues on, kept between ticks
	// (tick's goroutine only).
	tickConns []*Conn

	// dirtyMu guards what changed since the last push, per audience.
	dirtyMu   sync.Mutex
	live      dirty // facilitators and displays
	attendees dirty
}

type youKey struct{ participant, activity string }

type dirty struct {
	header   bool
	acts     map[string]bool
	you      map[youKey]bool
	since    time.Time // when the oldest unpushed change happened
	anything bool
}

// mark records a change for an audience. Attendees get their own data
// ("you") but no header push for a mere change of the participant count:
// with thousands of phones joining, that would be a push to every phone on
// every tick of the ramp.
func (d *dirty) mark(ch session.Change, attendees bool, now time.Time) {
	header := ch.Header || (ch.Participants && !attendees)
	if !header && ch.Activity == "" && (len(ch.You) == 0 || !attendees) {
		return
	}
	if !d.anything {
		d.since = now
		d.anything = true
	}
	if header {
		d.header = true
	}
	if ch.Activity != "" {
		if d.acts == nil {
			d.acts = map[string]bool{}
		}
		d.acts[ch.Activity] = true
	}
	if attendees {
		for _, p := range ch.You {
			if d.you == nil {
				d.you = map[youKey]bool{}
			}
			d.you[youKey{p, ch.Activity}] = true
		}
	}
}

// Audiences: each has its own push tick and interval.
const (
	liveAudience     = 0 // facilitators and displays
	attendeeAudience = 1
)

func audienceOf(r session.Role) int {
	if r == session.Attendee {
		return attendeeAudience
	}
	return liveAudience
}

func newHub(m *Manager, id string) *Hub {
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{
		m: m, id: id, ctx: ctx, cancel: cancel,
		loaded:    make(chan struct{}),
		wakeup:    make(chan struct{}, 1),
		conns:     [2]map[*Conn]struct{}{{}, {}},
		byPart:    map[string][]*Conn{},
		appliedCh: make(chan struct{}),
	}
	h.snaps = newSnapshotter(h)
	return h
}

func (h *Hub) poke() {
	select {
	case h.wakeup <- struct{}{}:
	default:
	}
}

func (h *Hub) close() { h.cancel() }

func (h *Hub) brokenErr() error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.broken
}

// run loads the replica, then follows the log and pushes on every tick
// until the hub closes.
func (h *Hub) run() {
	log := h.m.cfg.Logger.With("session", h.id)
	events, unsubscribe, err := h.load()
	h.loadErr = err
	close(h.loaded)
	if err != nil {
		if errors.Is(err, eventlog.ErrNotFound) {
			log.Debug("no such session")
		} else {
			log.Error("loading session", "err", err)
		}
		return
	}
	defer unsubscribe()
	go h.pushLoop()
	go h.snaps.run(h.ctx)

	poll := time.NewTicker(h.m.cfg.PollInterval)
	defer poll.Stop()
	polls := 0
	for {
		select {
		case <-h.ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				// The log closed the subscription: resubscribe, and
				// catch up by offset meanwhile.
				events, unsubscribe = h.resubscribe(unsubscribe)
				continue
			}
			batch := []session.Event{e}
		drain:
			for len(batch) < 1024 {
				select {
				case e, ok := <-events:
					if !ok {
						break drain
					}
					batch = append(batch, e)
				default:
					break drain
				}
			}
			h.applyBatch(batch)
		case <-h.wakeup:
			h.catchUp()
		case <-poll.C:
			h.catchUp()
			if polls++; polls%5 == 0 {
				h.checkEpoch()
			}
		}
	}
}

func (h *Hub) resubscribe(old func()) (<-chan session.Event, func()) {
	old()
	for {
		ch, cancel, err := h.m.store.Subscribe(h.ctx, h.id)
		if err == nil {
			h.catchUp()
			return ch, cancel
		}
		select {
		case <-h.ctx.Done():
			c := make(chan session.Event)
			return c, func() {}
		case <-time.After(h.m.cfg.PollInterval):
		}
	}
}

// load subscribes first, so nothing appended meanwhile is missed, then
// reads the snapshot and the tail of the log.
func (h *Hub) load() (<-chan session.Event, func(), error) {
	ctx, cancel := context.WithTimeout(h.ctx, 30*time.Second)
	defer cancel()
	epoch, err := h.m.store.Epoch(ctx, h.id)
	if err != nil {
		return nil, nil, fmt.Errorf("session %s: %w", h.id, err)
	}
	events, unsubscribe, err := h.m.store.Subscribe(h.ctx, h.id)
	if err != nil {
		return nil, nil, err
	}
	st, err := loadSnapshot(ctx, h.m.store, h.id, h.m.cfg.Limits)
	if errors.Is(err, errDamagedSnapshot) {
		h.m.cfg.Logger.Error("ignoring a damaged snapshot", "session", h.id, "err", err)
	} else if err != nil {
		unsubscribe()
		return nil, nil, err
	}
	h.state = st
	h.epoch = epoch
	if err := h.readFrom(ctx); err != nil {
		unsubscribe()
		return nil, nil, err
	}
	return events, unsubscribe, nil
}

// readFrom reads and applies every event after the replica's offset.
func (h *Hub) readFrom(ctx context.Context) error {
	for {
		h.mu.RLock()
		after := h.state.Offset
		h.mu.RUnlock()
		evs, err := h.m.store.Read(ctx, h.id, after, 1000)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		h.applyBatch(evs)
	}
}

func (h *Hub) catchUp() {
	ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
	defer cancel()
	last, err := h.m.store.LastOffset(ctx, h.id)
	if err != nil {
		return
	}
	h.mu.RLock()
	cur := h.state.Offset
	h.mu.RUnlock()
	if last < cur {
		h.setBroken(fmt.Errorf("the log is behind this replica (%d < %d): the store lost data", last, cur))
		return
	}
	if last > cur {
		if err := h.readFrom(ctx); err != nil {
			h.m.cfg.Logger.Warn("catching up", "session", h.id, "err", err)
		}
	}
}

func (h *Hub) checkEpoch() {
	ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
	defer cancel()
	epoch, err := h.m.store.Epoch(ctx, h.id)
	if errors.Is(err, eventlog.ErrNotFound) || (err == nil && epoch != h.epoch) {
		h.setBroken(errors.New("the session's log was replaced (the store lost its data)"))
	}
}

func (h *Hub) setBroken(err error) {
	h.mu.Lock()
	first := h.broken == nil
	h.broken = err
	h.mu.Unlock()
	if first {
		h.m.cfg.Logger.Error("session log changed under this instance", "session", h.id, "err", err)
	}
}

// applyBatch folds events into the replica in offset order, filling any gap
// from the log first.
func (h *Hub) applyBatch(evs []session.Event) {
	h.mu.RLock()
	cur := h.state.Offset
	h.mu.RUnlock()
	if len(evs) > 0 && evs[0].Offset > cur+1 {
		// A gap: the subscription skipped events. Read them first.
		ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
		err := h.readFrom(ctx)
		cancel()
		if err != nil {
			h.m.cfg.Logger.Warn("filling a gap", "session", h.id, "err", err)
			return
		}
	}
	now := time.Now()
	h.mu.Lock()
	applied := false
	for _, e := range evs {
		if e.Offset <= h.state.Offset {
			continue
		}
		if e.Offset != h.state.Offset+1 {
			break // the rest comes with the next catch-up
		}
		out := h.state.Apply(e)
		if out.Result.Err != nil && e.Cmd.Op == "invalid" {
			h.m.cfg.Logger.Error("skipping a malformed event", "session", h.id, "offset", e.Offset)
		}
		applied = true
		h.sinceSnap++
		h.dirtyMu.Lock()
		h.live.mark(out.Change, false, now)
		h.attendees.mark(out.Change, true, now)
		h.dirtyMu.Unlock()
	}
	if applied {
		close(h.appliedCh)
		h.appliedCh = make(chan struct{})
	}
	due := h.sinceSnap >= max(h.m.cfg.SnapshotEvery, int(h.snaps.every.Load()))
	if due {
		h.sinceSnap = 0
	}
	h.mu.Unlock()
	if applied {
		h.snaps.applied(evs)
	}
	if due {
		h.snaps.snapshot()
	}
}

// waitApplied waits until the replica includes offset.
func (h *Hub) waitApplied(ctx context.Context, offset uint64) error {
	for {
		h.mu.RLock()
		cur, ch := h.state.Offset, h.appliedCh
		h.mu.RUnlock()
		if cur >= offset {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-h.ctx.Done():
			return ErrShutdown
		}
	}
}

// Export is the whole session with every count, at the latest offset this
// replica knows after catching up with the log.
func (h *Hub) Export(ctx context.Context) (Export, error) {
	last, err := h.m.store.LastOffset(ctx, h.id)
	if err != nil {
		return Export{}, err
	}
	h.poke()
	if err := h.waitApplied(ctx, last); err != nil {
		return Export{}, err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	s := h.state
	x := Export{ID: s.ID, Code: s.Code, Title: s.Title, State: "live", CreatedAt: s.CreatedAt.UTC().Format(time.RFC3339),
		Offset: s.Offset, Participants: len(s.Participants), Activities: []any{}}
	if s.Ended {
		x.State = "ended"
	}
	for _, a := range s.Activities {
		x.Activities = append(x.Activities, a.Export())
	}
	return x, nil
}

// Export is the export's JSON shape (PROTOCOL.md).
type Export struct {
	ID           string `json:"id"`
	Code         string `json:"code"`
	Title        string `json:"title"`
	State        string `json:"state"`
	CreatedAt    string `json:"createdAt"`
	Offset       uint64 `json:"offset"`
	Participants int    `json:"participants"`
	Activities   []any  `json:"activities"`
}

// Title returns the session's title and code.
func (h *Hub) Title() (title, code string) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.state.Title, h.state.Code
}

func nowString() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func frame(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("hub: encoding a frame: %v", err)) // our own types always encode
	}
	return b
}

type sessionMsg struct {
	Type   string          `json:"type"`
	Offset uint64          `json:"offset"`
	Now    string          `json:"now"`
	View   json.RawMessage `json:"view"` // an encoded session.SessionView
}

type activityMsg struct {
	Type     string `json:"type"`
	Offset   uint64 `json:"offset"`
	Now      string `json:"now"`
	Activity any    `json:"activity"`
}

func youFrame(a *session.Activity, participant string) []byte {
	m := map[string]any{"type": "you", "activity": a.ID}
	for k, v := range a.You(participant) {
		m[k] = v
	}
	return frame(m)
}

// pushLoop runs the two ticks, live (facilitators, displays) and
// attendees, and the sweep of writes past their deadline.
func (h *Hub) pushLoop() {
	live := time.NewTicker(h.m.cfg.LiveInterval)
	defer live.Stop()
	att := time.NewTicker(h.m.cfg.AttendeeInterval)
	defer att.Stop()
	// A write is closed between WriteTimeout and a quarter more after it
	// began (at most a second more).
	sweep := time.NewTicker(min(max(h.m.cfg.WriteTimeout/4, 10*time.Millisecond), time.Second))
	defer sweep.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-live.C:
			h.tick(false)
		case <-att.C:
			h.tick(true)
		case <-sweep.C:
			h.sweepWrites()
		}
	}
}

// sweepWrites closes the sockets of writes that began more than
// WriteTimeout ago: clients that stopped reading. It reads one atomic per
// connection, a few times a second.
func (h *Hub) sweepWrites() {
	since := monoNow() - int64(h.m.cfg.WriteTimeout)
	var late []*Conn
	h.mu.RLock()
	for _, set := range h.conns {
		for c := range set {
			if s := c.writeSince.Load(); s != 0 && s <= since {
				late = append(late, c)
			}
		}
	}
	h.mu.RUnlock()
	for _, c := range late {
		c.expire(since)
	}
}

// tick encodes each changed view once per role and queues the same bytes
// on every connection of that role.
func (h *Hub) tick(attendees bool) {
	aud := liveAudience
	roles := []session.Role{session.Facilitator, session.Display}
	if attendees {
		aud = attendeeAudience
		roles = []session.Role{session.Attendee}
	}
	// Views are encoded and the connections listed under the read lock;
	// the frames are queued after it is released, so that applying events
	// (the write lock) does not wait for 10,000 queue operations. What
	// changed and who is fresh are taken under it too, so that both
	// describe the state the views are encoded from.
	h.mu.RLock()
	var d dirty
	h.dirtyMu.Lock()
	if attendees {
		d, h.attendees = h.attendees, dirty{}
	} else {
		d, h.live = h.live, dirty{}
	}
	h.dirtyMu.Unlock()
	fresh := h.fresh[aud]
	h.fresh[aud] = nil
	if !d.anything {
		// Nothing changed since the last tick, so a fresh connection's
		// welcome is what the others were last sent: it is fresh no more.
		h.mu.RUnlock()
		return
	}
	st := h.state
	now := nowString()
	// frames are the views that differ from the last push, for everyone;
	// all are every view that changed in the state, for fresh connections.
	var frames, all [2][]push // by role; a tick serves one or two roles
	if h.pushed == nil {
		h.pushed = map[string][]byte{}
	}
	// add encodes a role's view and queues it for everyone if it differs
	// from the one last pushed: a vote on a poll whose results attendees
	// do not see changes nothing they see, and pushing it anyway would
	// cost a write per phone per tick, a cost that grows with the room
	// (docs/benchmarks.md).
	add := func(i int, key string, view any, msg func(json.RawMessage) []byte) {
		v := frame(view)
		k := string(roles[i]) + "/" + key
		last, ok := h.pushed[k]
		changed := !ok || !bytes.Equal(last, v)
		if !changed && len(fresh) == 0 {
			return
		}
		p := push{key, msg(v)}
		if changed {
			h.pushed[k] = v
			frames[i] = append(frames[i], p)
		}
		all[i] = append(all[i], p)
	}
	someFrames := false
	for i, r := range roles {
		if d.header {
			add(i, "s", st.View(r), func(v json.RawMessage) []byte {
				return frame(sessionMsg{"session", st.Offset, now, v})
			})
		}
		for id := range d.acts {
			a := st.Activity(id)
			if a == nil || !st.Visible(id, r) {
				// It changed where this role does not see it. When it is
				// shown again, the header push carries its view, and the
				// memory of the last push would then be wrong: a change back
				// to what was remembered would never be pushed.
				delete(h.pushed, string(r)+"/a"+id)
				continue
			}
			add(i, "a"+id, a.View(r), func(v json.RawMessage) []byte {
				return frame(activityMsg{"activity", st.Offset, now, v})
			})
		}
		someFrames = someFrames || len(frames[i]) > 0
	}
	conns := h.tickConns[:0]
	if someFrames {
		for c := range h.conns[aud] {
			if _, ok := fresh[c]; !ok {
				conns = append(conns, c)
			}
		}
	}
	nOld := len(conns)
	for c := range fresh {
		conns = append(conns, c)
	}
	type you struct {
		conns []*Conn
		frame push
	}
	var yous []you
	for k := range d.you {
		a := st.Activity(k.activity)
		if a == nil {
			continue
		}
		list := h.byPart[k.participant]
		if len(list) == 0 {
			continue
		}
		yous = append(yous, you{append([]*Conn(nil), list...), push{"y" + k.activity, youFrame(a, k.participant)}})
	}
	h.mu.RUnlock()

	for j, c := range conns {
		for i, r := range roles {
			if c.role != r {
				continue
			}
			if j < nOld {
				c.enqueueAll(frames[i])
			} else {
				c.enqueueAll(all[i])
			}
		}
	}
	clear(conns)
	h.tickConns = conns[:0]
	for _, y := range yous {
		for _, c := range y.conns {
			c.enqueue(y.frame.key, y.frame.frame)
		}
	}
	if h.m.cfg.Metrics != nil {
		h.m.cfg.Metrics.PushLatency.Observe(time.Since(d.since).Seconds())
	}
}

// Serve runs one client's connection until it ends. The caller has
// checked its credentials; the hub sends the welcome.
func (h *Hub) Serve(ctx context.Context, ws *websocket.Conn, role session.Role, participant string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &Conn{ws: ws, h: h, ctx: ctx, cancel: cancel, role: role, participant: participant}
	stop := c.startWriting()
	defer stop()
	h.register(c)
	defer h.unregister(c)
	if met := h.m.cfg.Metrics; met != nil {
		met.Connections.WithLabelValues(string(role)).Inc()
		defer met.Connections.WithLabelValues(string(role)).Dec()
	}

	err := h.readLoop(ctx, c)
	cancel()
	c.stopWriting()
	return err
}

// register adds the connection and queues its welcome, under the write
// lock so that no tick can queue an older state after it.
func (h *Hub) register(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	aud := audienceOf(c.role)
	h.conns[aud][c] = struct{}{}
	if h.fresh[aud] == nil {
		h.fresh[aud] = map[*Conn]struct{}{}
	}
	h.fresh[aud][c] = struct{}{}
	if c.participant != "" {
		h.byPart[c.participant] = append(h.byPart[c.participant], c)
	}
	st := h.state
	// The welcome goes first and is never replaced by a later push.
	c.reply(frame(struct {
		Type        string              `json:"type"`
		Role        session.Role        `json:"role"`
		Session     string              `json:"session"`
		Participant string              `json:"participant"`
		Offset      uint64              `json:"offset"`
		Now         string              `json:"now"`
		View        session.SessionView `json:"view"`
	}{"welcome", c.role, st.ID, c.participant, st.Offset, nowString(), st.View(c.role)}), 1)
	if c.role == session.Attendee {
		for _, a := range st.Activities {
			c.enqueue("y"+a.ID, youFrame(a, c.participant))
		}
	}
}

func (h *Hub) unregister(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns[audienceOf(c.role)], c)
	delete(h.fresh[audienceOf(c.role)], c)
	if c.participant != "" {
		list := h.byPart[c.participant]
		for i, x := range list {
			if x == c {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(h.byPart, c.participant)
		} else {
			h.byPart[c.participant] = list
		}
	}
}

// goAway tells every client to reconnect, then closes it.
func (h *Hub) goAway() {
	f := frame(map[string]string{"type": "reconnect", "reason": "server restarting"})
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, set := range h.conns {
		for c := range set {
			c.closeWith(CloseGoingAway, f)
		}
	}
}

// waitConns waits until every connection has ended, or ctx.
func (h *Hub) waitConns(ctx context.Context) {
	for {
		h.mu.RLock()
		n := h.connCountLocked()
		h.mu.RUnlock()
		if n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// ConnCount is the number of local connections.
func (h *Hub) ConnCount() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.connCountLocked()
}

func (h *Hub) connCountLocked() int {
	return len(h.conns[liveAudience]) + len(h.conns[attendeeAudience])
}
