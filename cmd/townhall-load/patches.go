package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"github.com/townhall/townhall/hub/patch"
)

// Patches (--patches): every phone says "patches": true and follows the
// chain of its activity's pushes by offset, as a page does: a whole view
// (welcome, session, activity) sets the offset it holds, a patch must name
// that offset as its base, and one that does not is a miss, answered with
// a resync. The first --apply-phones phones also apply every patch to
// their view with the same code the server's tests use (hub/patch); at the
// end their views must equal the view a new connection is welcomed with.
// Applying on every phone would cost the load generator more CPU than the
// server it measures.

// PatchCheck is what the phones' patches came to.
type PatchCheck struct {
	Patches   int64  `json:"patches"`   // patch messages received by phones
	Wholes    int64  `json:"wholes"`    // whole activity or session messages received by phones
	Misses    int64  `json:"misses"`    // patches on a base the phone did not hold
	Applying  int    `json:"applying"`  // phones that applied every patch
	Converged int    `json:"converged"` // of those, how many hold the fresh view at the end
	Error     string `json:"error,omitempty"`
}

// BytesSummary is the bytes a phone received per second of the send phase.
type BytesSummary struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	Max  float64 `json:"max"`
}

// numberAfter reads the unsigned number after key in b.
func numberAfter(b []byte, key string) (uint64, bool) {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0, false
	}
	b = b[i+len(key):]
	j := 0
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	if j == 0 || j == len(b) {
		return 0, false // no digits, or the number may go on past b
	}
	n, err := strconv.ParseUint(string(b[:j]), 10, 64)
	return n, err == nil
}

// follow tracks a push the phone did not read whole: hdr is its start. It
// reports false when the start does not hold what is needed (the message
// must then be read whole).
func (p *phone) follow(typ, hdr []byte) bool {
	off, ok := numberAfter(hdr, `"offset":`)
	if !ok {
		return false
	}
	switch string(typ) {
	case "patch":
		base, ok := numberAfter(hdr, `"base":`)
		if !ok {
			return false
		}
		p.r.patchesIn.Add(1)
		p.mu.Lock()
		miss := base != p.held
		if !miss {
			p.held = off
		}
		p.mu.Unlock()
		if miss {
			p.missed()
		}
	case "activity", "session":
		p.r.wholesIn.Add(1)
		p.mu.Lock()
		p.held = max(p.held, off)
		p.mu.Unlock()
	}
	return true
}

// missed counts a patch on another base and asks for the whole view.
func (p *phone) missed() {
	p.r.patchMisses.Add(1)
	p.mu.Lock()
	c := p.conn
	p.mu.Unlock()
	if c != nil {
		b, _ := json.Marshal(map[string]string{"type": "resync", "activity": p.r.activityID})
		go func() {
			p.wmu.Lock()
			defer p.wmu.Unlock()
			_ = p.write(c, b)
		}()
	}
}

// applyMsg handles a whole message of an applying phone.
func (p *phone) applyMsg(b []byte) {
	var m struct {
		Type     string          `json:"type"`
		Offset   uint64          `json:"offset"`
		Base     uint64          `json:"base"`
		Activity json.RawMessage `json:"activity"`
		View     *sessionView    `json:"view"`
		patch.Patch
	}
	if json.Unmarshal(b, &m) != nil {
		p.r.errors.add("bad_json")
		return
	}
	switch m.Type {
	case "activity":
		p.r.wholesIn.Add(1)
		p.setWhole(m.Activity, m.Offset)
	case "session":
		p.r.wholesIn.Add(1)
		if m.View != nil {
			for _, a := range m.View.Activities {
				p.setWhole(a, m.Offset)
			}
		}
	case "patch":
		p.r.patchesIn.Add(1)
		var id string
		if json.Unmarshal(m.Activity, &id) != nil || id != p.r.activityID {
			return
		}
		p.mu.Lock()
		miss := p.view == nil || m.Base != p.held
		if !miss {
			if err := patch.Apply(p.view, m.Patch); err != nil {
				miss = true
				p.view = nil
			} else {
				p.held = m.Offset
			}
		}
		p.mu.Unlock()
		if miss {
			p.missed()
		}
	}
	if p.slow {
		p.mu.Lock()
		p.noteVotes(p.r.now())
		p.mu.Unlock()
	}
}

// setWhole takes a whole view of an activity, if it is the run's.
func (p *phone) setWhole(raw json.RawMessage, off uint64) {
	if activityID(raw) != p.r.activityID {
		return
	}
	v, err := patch.Parse(raw)
	p.mu.Lock()
	defer p.mu.Unlock()
	if off < p.held {
		return
	}
	p.held = off
	if err == nil && p.applies {
		p.view = v
	}
}

func activityID(raw json.RawMessage) string {
	var v struct {
		ID string `json:"id"`
	}
	json.Unmarshal(raw, &v)
	return v.ID
}

// welcomed sets what the welcome holds.
func (p *phone) welcomed(w *inMsg) {
	p.mu.Lock()
	p.held = w.Offset
	p.mu.Unlock()
	if w.View != nil {
		for _, a := range w.View.Activities {
			p.setWhole(a, w.Offset)
		}
	}
	if p.slow {
		p.mu.Lock()
		p.noteVotes(p.r.now())
		p.mu.Unlock()
	}
}

// checkPatches waits until the applying phones hold the view a new
// attendee connection is welcomed with.
func (r *runner) checkPatches(ctx context.Context) PatchCheck {
	pc := PatchCheck{Patches: r.patchesIn.Load(), Wholes: r.wholesIn.Load(), Misses: r.patchMisses.Load()}
	var applying []*phone
	for _, p := range r.phones {
		p.mu.Lock()
		ok := p.applies && p.conn != nil
		p.mu.Unlock()
		if ok {
			applying = append(applying, p)
		}
	}
	pc.Applying = len(applying)
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	first := r.clients[r.cfg.urls[0]]
	tok, err := first.join(cctx, r.code, "patch-check")
	if err != nil {
		pc.Error = "joining to check: " + err.Error()
		return pc
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, w, err := hello(cctx, r.wsHTTP, r.cfg.urls[0], tok, phoneReadLimit, false, false)
		if err != nil {
			pc.Error = "connecting to check: " + err.Error()
			return pc
		}
		c.Close(websocket.StatusNormalClosure, "checked")
		var want json.RawMessage
		if w.View != nil {
			for _, a := range w.View.Activities {
				if activityID(a) == r.activityID {
					want = a
				}
			}
		}
		if want == nil {
			pc.Error = "the activity is not on a new connection's screen"
			return pc
		}
		pc.Converged = 0
		for _, p := range applying {
			p.mu.Lock()
			if p.view != nil && patch.Equal(p.view.Marshal(), want) {
				pc.Converged++
			}
			p.mu.Unlock()
		}
		if pc.Converged == len(applying) || time.Now().After(deadline) {
			break
		}
		sleepCtx(ctx, 200*time.Millisecond)
	}
	pc.Patches, pc.Wholes, pc.Misses = r.patchesIn.Load(), r.wholesIn.Load(), r.patchMisses.Load()
	if pc.Converged < len(applying) {
		pc.Error = fmt.Sprintf("%d of %d applying phones do not hold a new connection's view", len(applying)-pc.Converged, len(applying))
	}
	return pc
}

// bytesPerSecond is the distribution over phones of the bytes each
// received between two snapshots, per second.
func bytesPerSecond(before, after []int64, d time.Duration) BytesSummary {
	if len(before) == 0 || d <= 0 {
		return BytesSummary{}
	}
	rates := make([]float64, len(before))
	sum := 0.0
	for i := range before {
		rates[i] = float64(after[i]-before[i]) / d.Seconds()
		sum += rates[i]
	}
	sort.Float64s(rates)
	at := func(q float64) float64 { return rates[min(len(rates)-1, int(q*float64(len(rates))))] }
	return BytesSummary{Mean: sum / float64(len(rates)), P50: at(0.5), P95: at(0.95), Max: rates[len(rates)-1]}
}

// phoneBytes is what each phone has received: the messages, or with
// --compress the bytes on the wire, which are what a hall's link carries.
func (r *runner) phoneBytes() []int64 {
	out := make([]int64, len(r.phones))
	for i, p := range r.phones {
		if r.cfg.compress {
			out[i] = p.wire.Load()
		} else {
			out[i] = p.bytes.Load()
		}
	}
	return out
}
