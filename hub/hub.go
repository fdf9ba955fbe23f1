package hub

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/townhall/townhall/protocol"
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
	reacts  *reactions

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
	// patchConns counts, per audience, the connections that take patches.
	patchConns [2]int
	byPart     map[string][]*Conn
	appliedCh  chan struct{} // closed and replaced whenever events are applied
	sinceSnap  int           // events since the last snapshot was asked for

	// pres is the session's count of attendee connections (presence.go).
	pres presence

	// Owned by the push loop's goroutine (tick): no lock, no other reader.
	//
	// pushed is the view last pushed per role and key (hub/patch.go).
	pushed map[string]*pushedView
	// pushedLangs is, per audience, the session's languages when pushed
	// was last valid for it.
	pushedLangs [2][]string
	// tickConns is the connections a tick queues on, kept between ticks.
	tickConns []*Conn
	// presented is the activity attendees were last sent "you" for.
	presented string
	// patchClock is, per audience, when a patch last carried the clock.
	patchClock [2]time.Time

	// dirtyMu guards what changed since the last push, per audience.
	dirtyMu   sync.Mutex
	live      dirty // facilitators and displays
	attendees dirty
	// fresh holds, per audience, the connections registered since that
	// audience's last tick: their welcome may be newer than the last push,
	// so the next tick sends them every changed view even when it equals
	// what the others were last sent.
	fresh [2]map[*Conn]struct{}
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
	h.reacts = newReactions()
	h.pres.wake = make(chan struct{}, 1)
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

// Serve runs one client's connection until it ends. The caller has
// checked its credentials; the hub sends the welcome.
//
// patches says the client's hello asked for patches (PROTOCOL.md 1.1,
// "Patches"); without it the client gets whole views only. lang is the
// language its hello asked for (PROTOCOL.md 1.2): views come in the
// session's language nearest to it. A moderator (session.Moderator) is
// served a facilitator's views.
//
// sock is the socket under ws from Accept, on which the hub writes its
// frames itself (hub/socket.go); nil writes them through ws. The caller
// must not write a data frame on ws while Serve runs.
func (h *Hub) Serve(ctx context.Context, ws *websocket.Conn, sock *Socket, role session.Role, participant string, patches bool, lang string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &Conn{ws: ws, sock: sock, h: h, ctx: ctx, cancel: cancel, role: role, participant: participant, patches: patches,
		lang: session.CanonLang(lang)}
	if role == session.Moderator {
		c.role, c.moderator = session.Facilitator, true
	}
	stop := c.startWriting()
	defer stop()
	if err := h.register(c); err != nil {
		h.m.cfg.Metrics.closed(protocol.CloseReasonTooMany)
		c.closeWith(protocol.CloseReasonTooMany, errFrame("", session.CodeLimitReached,
			"This phone's link is open in too many tabs or devices at once; close some and try again."))
		c.writers.Wait()
		return err
	}
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
//
// It refuses a participant's connection past MaxConnsPerToken: a token
// shared by a script must not cost the hub thousands of sockets.
func (h *Hub) register(c *Conn) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.participant != "" && len(h.byPart[c.participant]) >= h.m.cfg.MaxConnsPerToken {
		return ErrTooManyConns
	}
	aud := audienceOf(c.role)
	h.conns[aud][c] = struct{}{}
	if c.patches {
		h.patchConns[aud]++
	}
	h.dirtyMu.Lock()
	if h.fresh[aud] == nil {
		h.fresh[aud] = map[*Conn]struct{}{}
	}
	h.fresh[aud][c] = struct{}{}
	h.dirtyMu.Unlock()
	c.pingDue.Store(monoNow() + int64(h.m.cfg.PingInterval))
	if c.participant != "" {
		h.byPart[c.participant] = append(h.byPart[c.participant], c)
	}
	if aud == attendeeAudience {
		h.pokePresence()
	}
	st := h.state
	// The welcome goes first and is never replaced by a later push.
	c.reply(frame(struct {
		Type        string       `json:"type"`
		Role        session.Role `json:"role"`
		Session     string       `json:"session"`
		Participant string       `json:"participant"`
		Offset      uint64       `json:"offset"`
		Now         string       `json:"now"`
		View        sessionView  `json:"view"`
	}{"welcome", c.teamRole(), st.ID, c.participant, st.Offset, nowString(), h.sessionView(st.ViewIn(c.role, st.Lang(c.lang)), c.role)}), 1)
	if c.patches {
		// The welcome holds every activity the role sees, at its offset.
		c.mu.Lock()
		for _, a := range st.Activities {
			if st.Visible(a.ID, c.role) {
				c.held = append(c.held, heldView{a.ID, st.Offset})
			}
		}
		c.mu.Unlock()
	}
	// An attendee's own data goes only with the activity its phone shows.
	if a := st.Activity(st.Presented); a != nil && c.role == session.Attendee {
		c.enqueue("y"+a.ID, youFrame(a, c.participant))
	}
	return nil
}

// ErrTooManyConns refuses a connection past Config.MaxConnsPerToken.
var ErrTooManyConns = errors.New("hub: too many connections for one token")

func (h *Hub) unregister(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.conns[audienceOf(c.role)][c]; ok && c.patches {
		h.patchConns[audienceOf(c.role)]--
	}
	delete(h.conns[audienceOf(c.role)], c)
	if audienceOf(c.role) == attendeeAudience {
		h.pokePresence()
	}
	h.dirtyMu.Lock()
	delete(h.fresh[audienceOf(c.role)], c)
	h.dirtyMu.Unlock()
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
	f := frame(map[string]string{"type": protocol.TypeReconnect, "reason": "server restarting"})
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, set := range h.conns {
		for c := range set {
			c.closeWith(protocol.CloseReasonGoingAway, f)
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
