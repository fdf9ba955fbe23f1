package hub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/townhall/townhall/session"
)

// This file is the push side of a hub: what changed since the last tick,
// and the ticks that encode each changed view once per role.

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
	attEvery := h.m.cfg.AttendeeInterval
	att := time.NewTicker(attEvery)
	defer att.Stop()
	// A write is closed between WriteTimeout and a quarter more after it
	// began (at most a second more); pings go out at most a quarter of
	// PingInterval late.
	cfg := h.m.cfg
	sweep := time.NewTicker(max(min(cfg.WriteTimeout/4, cfg.PingInterval/4, time.Second), 10*time.Millisecond))
	defer sweep.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-live.C:
			h.tick(false)
		case <-att.C:
			h.tick(true)
			h.mu.RLock()
			n := len(h.conns[attendeeAudience])
			h.mu.RUnlock()
			if d := crowdInterval(h.m.cfg.AttendeeInterval, h.m.cfg.CrowdAttendees, n, attEvery); d != attEvery {
				attEvery = d
				att.Reset(d)
			}
		case <-sweep.C:
			h.sweep()
		}
	}
}

// crowdInterval is the attendees' tick for n of them, now at cur. A
// phone's frame costs the same CPU whatever its size (system time is three
// quarters of it, docs/benchmarks.md), so past crowd phones the tick
// doubles: at 5,000 phones on a 500-question board that halved the
// server's CPU (0.67 to 0.32 cores) and brought the upvote ack p99 from
// 340 to 91 ms, for counts on the phones twice a second instead of four
// times (consoles and displays keep their own tick). It comes back under
// nine tenths of crowd, so a hall at the line does not flap.
func crowdInterval(base time.Duration, crowd, n int, cur time.Duration) time.Duration {
	switch {
	case crowd < 0:
		return base
	case n > crowd:
		return 2 * base
	case n*10 < crowd*9:
		return base
	}
	return cur
}

// sweep closes the sockets of writes that began more than WriteTimeout
// ago (clients that stopped reading), and starts the pings that are due.
// It reads two atomics per connection, a few times a second.
func (h *Hub) sweep() {
	now := monoNow()
	since := now - int64(h.m.cfg.WriteTimeout)
	var late, ping []*Conn
	h.mu.RLock()
	for _, set := range h.conns {
		for c := range set {
			if s := c.writeSince.Load(); s != 0 && s <= since {
				late = append(late, c)
			}
			if due := c.pingDue.Load(); due <= now && !c.pinging.Load() {
				ping = append(ping, c)
			}
		}
	}
	h.mu.RUnlock()
	h.m.writers.grow()
	for _, c := range late {
		c.expire(since)
	}
	for _, c := range ping {
		c.startPing(h.m.cfg.PingInterval, h.m.cfg.PongTimeout, h.m.cfg.Metrics)
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
	fresh := h.fresh[aud]
	h.fresh[aud] = nil
	h.dirtyMu.Unlock()
	if !d.anything {
		// Nothing changed since the last tick, so a fresh connection's
		// welcome is what the others were last sent: it is fresh no more.
		h.mu.RUnlock()
		return
	}
	st := h.state
	langs := st.Languages
	now := nowString()
	// A view is made once per role and language in use (PROTOCOL.md 1.2):
	// a session without languages has one group per role.
	groups := h.groups(aud, roles, st)
	// frames are the views that differ from the last push, for everyone;
	// all are every view that changed in the state, for fresh connections.
	frames, all := make([][]push, len(groups)), make([][]push, len(groups))
	if h.pushed == nil {
		h.pushed = map[string]*pushedView{}
	}
	// A phone follows its group's views: when the languages change, a
	// phone moves between groups, and the memory of what a group was last
	// sent no longer says what its phones show (a language that leaves
	// and comes back would find its old view "unchanged"). It is dropped
	// for the audience, so that every view goes out once.
	if !slices.Equal(langs, h.pushedLangs[aud]) {
		h.pushedLangs[aud] = langs
		for k := range h.pushed {
			for _, r := range roles {
				if strings.HasPrefix(k, string(r)+"/") {
					delete(h.pushed, k)
				}
			}
		}
	}
	// Patches are made only while some connection of the audience takes
	// them.
	patching := h.patchConns[aud] > 0
	// A patch carries the clock only every patchClockEvery for the
	// audience; whole views always do.
	pnow, madePatch := "", false
	if t := time.Now(); patching && t.Sub(h.patchClock[aud]) >= patchClockEvery {
		pnow = now
		defer func() {
			if madePatch {
				h.patchClock[aud] = t
			}
		}()
	}
	// add encodes a role's view and queues it for everyone if it differs
	// from the one last pushed: a vote on a poll whose results attendees
	// do not see changes nothing they see, and pushing it anyway would
	// cost a write per phone per tick, a cost that grows with the room
	// (docs/benchmarks.md). An activity's push carries its patch from the
	// last push when one can say the change.
	add := func(i int, key, activity string, v []byte, acts []string, msg func(json.RawMessage) []byte) bool {
		k := groups[i].prefix + key
		last := h.pushed[k]
		changed := last == nil || !bytes.Equal(last.raw, v)
		if !changed && len(fresh) == 0 {
			return false
		}
		p := push{key: key, activity: activity, acts: acts, offset: st.Offset}
		p.frame, p.wire = framed(msg(v))
		if changed {
			next := &pushedView{raw: v, offset: st.Offset}
			if patching && activity != "" {
				if pf := makePatch(last, next, activity, st.Offset, pnow); pf != nil {
					p.patch, p.patchWire = framed(pf)
					p.base = last.offset
					madePatch = true
				}
			}
			h.pushed[k] = next
			frames[i] = append(frames[i], p)
		}
		all[i] = append(all[i], p)
		return changed
	}
	someFrames := false
	for i, g := range groups {
		r := g.role
		if d.header {
			// Each activity is encoded apart, so that what the session push
			// carries is remembered as pushed: the base of the next patch
			// of each is this push, which every connection of the role got.
			sv := st.ViewIn(r, g.lang)
			raws := make([]json.RawMessage, len(sv.Activities))
			ids := make([]string, len(sv.Activities))
			for j, av := range sv.Activities {
				raws[j] = frame(av)
				sv.Activities[j] = raws[j]
				ids[j] = activityID(raws[j])
			}
			if add(i, "s", "", frame(h.sessionView(sv, r)), ids, func(v json.RawMessage) []byte {
				return frame(sessionMsg{"session", st.Offset, now, v})
			}) {
				for j, id := range ids {
					k := g.prefix + "a" + id
					if last := h.pushed[k]; last != nil && bytes.Equal(last.raw, raws[j]) {
						last.offset = st.Offset
					} else {
						h.pushed[k] = &pushedView{raw: raws[j], offset: st.Offset}
					}
				}
			}
		}
		for id := range d.acts {
			a := st.Activity(id)
			if a == nil || !st.Visible(id, r) {
				// It changed where this role does not see it. When it is
				// shown again, the header push carries its view, and the
				// memory of the last push would then be wrong: a change back
				// to what was remembered would never be pushed.
				delete(h.pushed, g.prefix+"a"+id)
				continue
			}
			add(i, "a"+id, id, frame(a.ViewIn(r, g.lang)), nil, func(v json.RawMessage) []byte {
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
	// An attendee's own data goes only with the activity its phone shows
	// (PROTOCOL.md 1.1, "Attendee scope"): when that changes, every phone
	// gets its own data in the new one.
	if attendees && st.Presented != h.presented {
		h.presented = st.Presented
		if a := st.Activity(st.Presented); a != nil {
			for p, list := range h.byPart {
				yous = append(yous, you{append([]*Conn(nil), list...), push{key: "y" + a.ID, frame: youFrame(a, p)}})
			}
		}
	}
	for k := range d.you {
		a := st.Activity(k.activity)
		if a == nil || k.activity != st.Presented {
			continue
		}
		list := h.byPart[k.participant]
		if len(list) == 0 {
			continue
		}
		yous = append(yous, you{append([]*Conn(nil), list...), push{key: "y" + k.activity, frame: youFrame(a, k.participant)}})
	}
	h.mu.RUnlock()

	// The connections whose writer must start are handed to the pool at
	// once, reusing the front of conns: j only grows past where they go.
	start := conns[:0]
	for j, c := range conns {
		started := false
		for i, g := range groups {
			if c.role != g.role || (g.lang != "" && session.PickLang(langs, c.lang) != g.lang) {
				continue
			}
			fs := all[i]
			if j < nOld {
				fs = frames[i]
			}
			if c.enqueueAll(fs) {
				started = true
			}
		}
		if started {
			start = append(start, c)
		}
	}
	h.m.writers.submit(start...)
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

// group is the connections of one role that read one language.
type group struct {
	role   session.Role
	lang   string
	prefix string // of the keys of what the group was last pushed
}

// groups lists the role and language pairs a tick encodes views for: every
// role of the audience, in each of the session's languages that one of
// its connections reads.
func (h *Hub) groups(aud int, roles []session.Role, st *session.State) []group {
	if len(st.Languages) == 0 {
		out := make([]group, len(roles))
		for i, r := range roles {
			out[i] = group{role: r, prefix: string(r) + "/"}
		}
		return out
	}
	type rl struct {
		role session.Role
		lang string
	}
	seen := map[rl]bool{}
	var out []group
	for c := range h.conns[aud] {
		k := rl{c.role, st.Lang(c.lang)}
		if !seen[k] {
			seen[k] = true
			out = append(out, group{role: k.role, lang: k.lang, prefix: string(k.role) + "/" + k.lang + "/"})
		}
	}
	return out
}
