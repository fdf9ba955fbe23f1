package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/protocol"
	"github.com/townhall/townhall/session"
)

// This file is the hub's side of reactions (PROTOCOL.md 1.2): a tap is
// judged and counted here, never appended. Every reaction tick the hub
// takes this instance's taps, publishes them to the session's other
// instances (one publish per tick, whatever the number of taps), adds
// what they published, and pushes the sum to facilitators and displays.
// At most every TallyInterval it appends its own counts, per minute, as
// one reactions.tally event: with several instances each appends its
// own, so the log's tallies add up without any instance counting another's.

// reactionsPerSecond is a participant's taps counted per second on one
// instance (the contract's "at most 2 per second"); more are dropped.
const reactionsPerSecond = 2

// reactions is a hub's reaction counting.
type reactions struct {
	// instance names this hub in its tallies and publishes: random, made
	// with the hub, so that a restarted instance is a new one.
	instance string
	// taps are this instance's taps since the last tick, per emoji.
	taps [len(session.Emojis)]atomic.Int64

	// remoteMu guards what other instances published since the last tick.
	remoteMu sync.Mutex
	remote   session.Counts

	// bucketsMu guards each participant's taps allowed now.
	bucketsMu sync.Mutex
	buckets   map[string]*tapBucket

	// Owned by the reaction loop: this instance's counts since its last
	// tally, per minute; a tally whose append failed, tried again first;
	// the last tally's seq and when one was last appended.
	unsubscribe func() // from the other instances' tallies; nil: none
	window      []session.ReactionMinute
	pending     *session.Tally
	seq         uint64
	lastTally   time.Time
	// lastSubscribe is when a failed subscription was last tried again.
	lastSubscribe time.Time
}

// tapBucket is a token bucket of reactionsPerSecond, as many at once.
type tapBucket struct {
	tokens float64
	at     time.Time
}

func newReactions() *reactions {
	b := make([]byte, 8)
	rand.Read(b)
	return &reactions{instance: hex.EncodeToString(b), buckets: map[string]*tapBucket{}}
}

// allow spends one of the participant's taps, or reports false.
func (r *reactions) allow(participant string, now time.Time) bool {
	r.bucketsMu.Lock()
	defer r.bucketsMu.Unlock()
	b := r.buckets[participant]
	if b == nil {
		b = &tapBucket{tokens: reactionsPerSecond, at: now}
		r.buckets[participant] = b
	}
	b.tokens = min(reactionsPerSecond, b.tokens+now.Sub(b.at).Seconds()*reactionsPerSecond)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// forgetIdle drops the buckets that are full again: such a participant
// would start from a full one anyway.
func (r *reactions) forgetIdle(now time.Time) {
	r.bucketsMu.Lock()
	defer r.bucketsMu.Unlock()
	for p, b := range r.buckets {
		if now.Sub(b.at) >= time.Second {
			delete(r.buckets, p)
		}
	}
}

// received adds another instance's tally; this hub's own come back too
// and are left out, since the tick counted them already.
func (r *reactions) received(t eventlog.Tally) {
	if t.From == r.instance {
		return
	}
	r.remoteMu.Lock()
	r.remote.Add(t.Counts)
	r.remoteMu.Unlock()
}

type reactAck struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	// Dropped says the tap came faster than a participant may react and
	// was not counted: not an error, so that a phone tapped fast is not
	// sent a storm of them.
	Dropped bool `json:"dropped,omitempty"`
}

// reactionsMsg is the push of a tick's counts.
type reactionsMsg struct {
	Type   string         `json:"type"`
	Counts session.Counts `json:"counts"`
}

// enqueueReactions queues a tick's counts. A display that has not been
// written the last tick's yet gets one push with both: it skips a frame,
// as it skips to the latest view, but no tap.
func (c *Conn) enqueueReactions(counts session.Counts, f []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.pushes {
		if c.pushes[i].key != protocol.TypeReactions {
			continue
		}
		var old reactionsMsg
		if json.Unmarshal(c.pushes[i].frame, &old) == nil {
			counts.Add(old.Counts)
			c.pushes[i].frame, c.pushes[i].wire = frame(reactionsMsg{Type: protocol.TypeReactions, Counts: counts}), nil
		}
		return
	}
	c.pushes = append(c.pushes, push{key: protocol.TypeReactions, frame: f})
	c.startLocked()
}

// react answers an attendee's tap: judged against the replica, counted
// unless the participant taps too fast, acked either way. It never
// touches the log.
//
// quiet is a tap sent as {"type": "react"}: it has no id and is answered
// only when refused, so that a storm of taps costs a read each and no
// write.
//
// A counted tap spends none of the connection's command tokens, so that a
// phone's taps never take its votes' budget (the storm in
// docs/benchmarks.md refused votes as rate_limited when they did); every
// other tap spends one, so that a flood of them is limited, and closed,
// as any flood of commands.
func (h *Hub) react(c *Conn, data []byte, rawID string, quiet bool) []byte {
	const op = session.OpReact
	refuse := func(code string, answer func() []byte) []byte {
		if !h.allow(c) {
			h.m.cfg.Metrics.command(op, session.CodeRateLimited)
			return errFrame(echoID(rawID), session.CodeRateLimited, "Too many commands: slow down.")
		}
		h.m.cfg.Metrics.command(op, code)
		return answer()
	}
	if !quiet && !protocol.ValidID(rawID) {
		return refuse(session.CodeBadRequest, func() []byte {
			return errFrame(echoID(rawID), session.CodeBadRequest, "Every command needs an \"id\" of 1 to 64 characters from A-Z, a-z, 0-9, '.', '_', ':' and '-'.")
		})
	}
	if c.role == session.Display {
		return refuse(session.CodeForbidden, func() []byte {
			return errFrame(rawID, session.CodeForbidden, "A display can only watch.")
		})
	}
	var args struct {
		Emoji string `json:"emoji"`
	}
	if err := json.Unmarshal(data, &args); err != nil {
		return refuse(session.CodeBadRequest, func() []byte {
			return errFrame(rawID, session.CodeBadRequest, "\"emoji\" must be a string.")
		})
	}
	actor := session.Host
	if c.role == session.Attendee {
		actor = c.participant
	}
	h.mu.RLock()
	cerr := h.state.CheckReact(actor, args.Emoji)
	h.mu.RUnlock()
	if cerr != nil {
		return refuse(cerr.Code, func() []byte {
			return frame(ErrorMsg{Type: protocol.TypeError, ID: rawID, Code: cerr.Code, Message: cerr.Message, Reason: cerr.Reason})
		})
	}
	if !h.reacts.allow(c.participant, time.Now()) {
		return refuse("dropped", func() []byte {
			if quiet {
				return nil
			}
			return frame(reactAck{Type: protocol.TypeAck, ID: rawID, Dropped: true})
		})
	}
	h.reacts.taps[session.EmojiIndex(args.Emoji)].Add(1)
	h.m.cfg.Metrics.command(op, "ok")
	if quiet {
		return nil
	}
	return frame(reactAck{Type: protocol.TypeAck, ID: rawID})
}

// subscribeTallies subscribes to the other instances' tallies, when there
// are other instances; the reaction loop unsubscribes when it ends.
func (h *Hub) subscribeTallies() {
	x := h.m.cfg.Tallies
	if x == nil {
		return
	}
	cancel, err := x.SubscribeTallies(h.ctx, h.id, h.reacts.received)
	if err != nil {
		// Taps here still count here and in the log; only the other
		// instances' floating emoji are missing from this one's
		// displays until the reaction loop subscribes again.
		if h.ctx.Err() == nil {
			h.m.cfg.Logger.Warn("reactions of other instances are not received", "session", h.id, "err", err)
		}
		return
	}
	h.reacts.unsubscribe = cancel
}

// reactionLoop runs the reaction ticks until the hub closes, then
// appends what it has not tallied yet.
func (h *Hub) reactionLoop() {
	r := h.reacts
	defer func() {
		if r.unsubscribe != nil {
			r.unsubscribe()
		}
	}()
	t := time.NewTicker(h.m.cfg.ReactionInterval)
	defer t.Stop()
	r.lastTally = time.Now()
	for {
		select {
		case <-h.ctx.Done():
			h.reactionTick(time.Now(), false)
			ctx, cancel := context.WithTimeout(context.Background(), h.m.cfg.AppendTimeout)
			for range 3 {
				if h.appendTally(ctx, time.Now()) != nil {
					break
				}
			}
			cancel()
			return
		case now := <-t.C:
			h.reactionTick(now, true)
		}
	}
}

// reactionTick takes this tick's taps into the window, exchanges them,
// pushes the session's counts of the tick, and appends a tally when one
// is due.
func (h *Hub) reactionTick(now time.Time, live bool) {
	r := h.reacts
	var mine session.Counts
	for i := range r.taps {
		mine[i] = r.taps[i].Swap(0)
	}
	if !mine.Zero() {
		minute := now.UTC().Truncate(time.Minute)
		if n := len(r.window); n > 0 && r.window[n-1].Minute.Equal(minute) {
			r.window[n-1].Counts.Add(mine)
		} else {
			r.window = append(r.window, session.ReactionMinute{Minute: minute, Counts: mine})
		}
	}
	if !live {
		return
	}
	if x := h.m.cfg.Tallies; x != nil && !mine.Zero() {
		if err := x.PublishTally(h.ctx, h.id, eventlog.Tally{From: r.instance, Counts: mine}); err != nil && h.ctx.Err() == nil {
			h.m.cfg.Logger.Debug("publishing reactions", "session", h.id, "err", err)
		}
	}
	r.remoteMu.Lock()
	total := r.remote
	r.remote = session.Counts{}
	r.remoteMu.Unlock()
	total.Add(mine)
	if !total.Zero() {
		f := frame(reactionsMsg{Type: protocol.TypeReactions, Counts: total})
		h.mu.RLock()
		conns := make([]*Conn, 0, len(h.conns[liveAudience]))
		for c := range h.conns[liveAudience] {
			conns = append(conns, c)
		}
		h.mu.RUnlock()
		for _, c := range conns {
			c.enqueueReactions(total, f)
		}
	}
	if h.m.cfg.Tallies != nil && r.unsubscribe == nil && now.Sub(r.lastSubscribe) >= h.m.cfg.TallyInterval {
		r.lastSubscribe = now
		h.subscribeTallies()
	}
	if now.Sub(r.lastTally) >= h.m.cfg.TallyInterval {
		ctx, cancel := context.WithTimeout(h.ctx, h.m.cfg.AppendTimeout)
		h.appendTally(ctx, now)
		cancel()
		r.forgetIdle(now)
	}
}

// appendTally appends the tally that failed before, or else the window's;
// a failed one stays pending with the same seq, so that an append that
// did land after all is folded once.
//
// It reports an error when the append failed, nil when it succeeded or
// there was nothing to append.
func (h *Hub) appendTally(ctx context.Context, now time.Time) error {
	r := h.reacts
	if r.pending == nil {
		if len(r.window) == 0 {
			return nil
		}
		// A window that grew while appends failed goes in several.
		n := min(len(r.window), session.MaxTallyMinutes)
		r.seq++
		r.pending = &session.Tally{Instance: r.instance, Seq: r.seq, Minutes: r.window[:n:n]}
		r.window = append([]session.ReactionMinute(nil), r.window[n:]...)
	}
	r.lastTally = now
	if _, err := h.m.store.Append(ctx, h.id, session.Event{Cmd: r.pending.Command()}); err != nil {
		h.m.cfg.Logger.Warn("appending a reactions tally", "session", h.id, "err", err)
		return err
	}
	r.pending = nil
	return nil
}
