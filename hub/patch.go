package hub

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/townhall/townhall/hub/patch"
	"github.com/townhall/townhall/protocol"
)

// This file is the hub's side of patches (PROTOCOL.md 1.1, "Patches"): the
// memory of what each role was last pushed, the patch from it to the new
// view, and which of the two a connection gets.
//
// A patch is made once per role and tick, like the whole view, and goes as
// the same bytes to every connection of the role that holds the base: the
// view of the previous push. A connection tracks, per activity, the offset
// of the last view of it queued for it (held). A connection that did not
// get the previous push (new, resynced, or whose queued push was replaced
// by a later one before it was written) holds another offset and gets the
// whole view instead; so a coalesced patch never leaves a gap.

// pushedView is what a role was last pushed under one key.
type pushedView struct {
	raw    []byte      // the encoded view
	view   *patch.View // raw parsed, made when first needed
	offset uint64      // the offset of the push that carried it
}

func (p *pushedView) parsed() *patch.View {
	if p.view == nil {
		v, err := patch.Parse(p.raw)
		if err != nil {
			return nil
		}
		p.view = v
	}
	return p.view
}

type patchMsg struct {
	Type     string `json:"type"`
	Activity string `json:"activity"`
	Offset   uint64 `json:"offset"`
	Base     uint64 `json:"base"`
	// Now is the server's clock, at most every patchClockEvery per role
	// (docs/protocol.md): on a busy board it was an eighth of the bytes.
	Now string `json:"now,omitempty"`
	patch.Patch
}

// patchClockEvery is how often patches carry the server's clock. Pages
// correct their clock from the earliest-arriving of their last samples
// (static/js/conn.js), and welcomes, whole views and pongs carry it too;
// a clock does not drift measurably in a few seconds.
const patchClockEvery = 5 * time.Second

// makePatch diffs the last pushed view with the new one, v, and returns
// the patch frame, or nil when a whole view must go (no earlier push, a
// kind without a list, or a change no patch can say). It leaves v's parsed
// form in next for the next tick's diff. now is "" when the patch goes
// without the clock.
func makePatch(last *pushedView, next *pushedView, id string, offset uint64, now string) []byte {
	if last == nil {
		return nil
	}
	old := last.parsed()
	if old == nil {
		return nil
	}
	if _, ok := patch.Lists[old.Kind]; !ok {
		return nil
	}
	nv := next.parsed()
	if nv == nil {
		return nil
	}
	p, ok := patch.Diff(old, nv)
	if !ok {
		return nil
	}
	return frame(patchMsg{protocol.TypePatch, id, offset, last.offset, now, p})
}

// heldView is the offset of the last view of an activity queued for a
// connection.
type heldView struct {
	activity string
	offset   uint64
}

// heldLocked is the offset of the view of activity queued last for the
// connection, 0 when none. c.mu is held.
func (c *Conn) heldLocked(activity string) uint64 {
	for _, h := range c.held {
		if h.activity == activity {
			return h.offset
		}
	}
	return 0
}

func (c *Conn) setHeldLocked(activity string, offset uint64) {
	for i := range c.held {
		if c.held[i].activity == activity {
			c.held[i].offset = offset
			return
		}
	}
	c.held = append(c.held, heldView{activity, offset})
}

func (c *Conn) queuedLocked(key string) bool {
	for i := range c.pushes {
		if c.pushes[i].key == key {
			return true
		}
	}
	return false
}

func (c *Conn) dropQueuedLocked(key string) {
	for i := range c.pushes {
		if c.pushes[i].key == key {
			c.pushes = append(c.pushes[:i], c.pushes[i+1:]...)
			return
		}
	}
}

// enqueueViewLocked queues one push of a tick. c.mu is held.
//
// A session push carries whole views of its activities: any older push of
// one of them still queued would be written after it and take the client
// back, so it is dropped. An activity push goes as its patch only to a
// connection that holds its base and has no push of it still queued;
// others get the whole view, and one that already holds this offset or a
// newer one (from a session push, or a resync) gets nothing.
func (c *Conn) enqueueViewLocked(f push) {
	if f.acts != nil {
		for _, id := range f.acts {
			c.dropQueuedLocked("a" + id)
			if c.patches {
				c.setHeldLocked(id, f.offset)
			}
		}
		c.enqueueLocked(f.key, f.frame, f.wire)
		return
	}
	if f.activity == "" || !c.patches {
		c.enqueueLocked(f.key, f.frame, f.wire)
		return
	}
	held := c.heldLocked(f.activity)
	switch {
	case held != 0 && f.offset <= held:
		return
	case f.patch != nil && held == f.base && !c.queuedLocked(f.key):
		c.enqueueLocked(f.key, f.patch, f.patchWire)
	default:
		c.enqueueLocked(f.key, f.frame, f.wire)
	}
	c.setHeldLocked(f.activity, f.offset)
}

// resync makes the next tick send the whole view of an activity to c.
func (h *Hub) resync(c *Conn, activity string) {
	c.mu.Lock()
	for i := range c.held {
		if c.held[i].activity == activity {
			c.held = append(c.held[:i], c.held[i+1:]...)
			break
		}
	}
	c.mu.Unlock()
	aud := audienceOf(c.role)
	h.mu.RLock()
	_, registered := h.conns[aud][c]
	h.mu.RUnlock()
	if !registered {
		return
	}
	h.dirtyMu.Lock()
	if h.fresh[aud] == nil {
		h.fresh[aud] = map[*Conn]struct{}{}
	}
	h.fresh[aud][c] = struct{}{}
	d := &h.live
	if aud == attendeeAudience {
		d = &h.attendees
	}
	if d.acts == nil {
		d.acts = map[string]bool{}
	}
	d.acts[activity] = true
	if !d.anything {
		d.since = time.Now()
		d.anything = true
	}
	h.dirtyMu.Unlock()
}

// activityID is the id of an encoded activity view. Views begin with it
// (session.baseView), so it is read without parsing the whole view.
func activityID(raw []byte) string {
	const pre = `{"id":"`
	if bytes.HasPrefix(raw, []byte(pre)) {
		rest := raw[len(pre):]
		if j := bytes.IndexAny(rest, `"\\`); j >= 0 && rest[j] == '"' {
			return string(rest[:j])
		}
	}
	var v struct {
		ID string `json:"id"`
	}
	json.Unmarshal(raw, &v)
	return v.ID
}
