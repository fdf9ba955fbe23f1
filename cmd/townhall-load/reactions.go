package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A reaction storm (--reactions N): beside the scenario's commands, every
// connected phone taps N reactions a second (docs/protocol.md 1.2), spread
// evenly over the phones, from the start of the send phase to its end.
// Taps go as the pages send them, {"type": "react"}, which the server
// answers only when it refuses one; with --reaction-acks as commands
// ({"type": "cmd", "op": "react"}), each acked, apart from the scenario's.
// Either way the scenario's ack latency is that of its votes during the
// storm. The report checks that the export's reactions hold no more taps
// than were sent (with acks: exactly those counted, once) and that the log
// grew by a few tally events, not an event per tap.

// reactionEmojis are the contract's reactions.
var reactionEmojis = [...]string{"applause", "heart", "thumbsup", "laugh", "think"}

// storm is one run's reaction storm.
type storm struct {
	r    *runner
	rate float64

	sent, acked, dropped, refused atomic.Int64
	lat                           recorder
	errMu                         sync.Mutex
	errs                          map[string]int

	offset0  uint64 // the log's offset when the storm began
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// StormReport is the storm's part of the report.
type StormReport struct {
	PerPhonePerSecond float64 `json:"perPhonePerSecond"`
	// AckedTaps says the taps went as commands, each acked
	// (--reaction-acks); without, Counted is the export's and Dropped
	// what it lacks of Sent.
	AckedTaps bool           `json:"ackedTaps"`
	Sent      int64          `json:"sent"`
	Acked     int64          `json:"acked"`
	Dropped   int64          `json:"dropped"`
	Refused   int64          `json:"refused"`
	Errors    map[string]int `json:"errors,omitempty"`
	Ack       Summary        `json:"ackLatency"`
	// Counted is the taps acked and not dropped; Exported the export's
	// reactions, summed, once the last tallies were in (or 20 s passed).
	Counted  int64 `json:"counted"`
	Exported int64 `json:"exported"`
	// LogEvents is how much the session's log grew while the storm ran,
	// the scenario's commands included: taps are not events.
	LogEvents uint64 `json:"logEvents"`
	Error     string `json:"error,omitempty"`
}

// startStorm turns reactions on and starts tapping, unless --reactions is 0.
func (r *runner) startStorm(ctx context.Context) (*storm, error) {
	if r.cfg.reactions <= 0 {
		return nil, nil
	}
	c, _, err := hello(ctx, r.wsHTTP, r.cfg.urls[0], r.facKey, 64<<20, false, false)
	if err != nil {
		return nil, fmt.Errorf("facilitator: %w", err)
	}
	defer c.CloseNow()
	f := &facilitator{conn: c}
	if _, err := f.cmd(ctx, "session.update", map[string]any{"reactions": true}); err != nil {
		return nil, fmt.Errorf("turning reactions on: %w", err)
	}
	c.Close(1000, "reactions on")
	s := &storm{r: r, rate: r.cfg.reactions, errs: map[string]int{}, stop: make(chan struct{})}
	if exp, err := r.clients[r.cfg.urls[0]].export(ctx, r.sessionID, r.facKey); err == nil {
		s.offset0, _ = exportTotals(exp)
	}
	var live []*phone
	for _, p := range r.phones {
		p.mu.Lock()
		if p.conn != nil {
			live = append(live, p)
		}
		p.mu.Unlock()
	}
	if len(live) == 0 {
		return s, nil
	}
	work := make(chan *phone, 4096)
	for range r.cfg.senders {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			var buf []byte
			for p := range work {
				buf = s.tap(p, buf[:0])
			}
		}()
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(work)
		t0 := time.Now()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		var due int64
		rr := 0
		for {
			select {
			case <-s.stop:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			want := int64(s.rate * float64(len(live)) * time.Since(t0).Seconds())
			// Behind by more than a tenth of a second (a stalled machine):
			// the missed taps are skipped, not sent in a burst, so that each
			// phone keeps to its rate as a person's phone would.
			due = max(due, want-int64(s.rate*float64(len(live))/10)-1)
			for ; due < want; due++ {
				select {
				case work <- live[rr%len(live)]:
				case <-s.stop:
					return
				}
				rr++
			}
		}
	}()
	return s, nil
}

// tap sends one reaction from p; its id carries its send time.
func (s *storm) tap(p *phone, b []byte) []byte {
	n := s.sent.Add(1)
	if s.r.cfg.reactionAcks {
		b = append(b, `{"type":"cmd","id":"rx`...)
		b = strconv.AppendInt(b, n, 10)
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(s.r.now()/time.Microsecond), 10)
		b = append(b, `","op":"react","emoji":"`...)
	} else {
		b = append(b, `{"type":"react","emoji":"`...)
	}
	b = append(b, reactionEmojis[n%int64(len(reactionEmojis))]...)
	b = append(b, `"}`...)
	p.wmu.Lock()
	p.mu.Lock()
	c := p.conn
	p.mu.Unlock()
	if c != nil {
		_ = p.write(c, b)
	}
	p.wmu.Unlock()
	return b
}

// answer takes a phone's ack or error of a tap, and reports whether it
// was one. Taps are never resent: a tap lost in a reconnect is lost.
func (s *storm) answer(raw []byte, m *inMsg, now time.Duration) bool {
	if s == nil || !strings.HasPrefix(m.ID, "rx") {
		return false
	}
	if _, at, ok := strings.Cut(m.ID, "."); ok {
		if us, err := strconv.ParseInt(at, 10, 64); err == nil {
			s.lat.add(now - time.Duration(us)*time.Microsecond)
		}
	}
	switch {
	case m.Type == "ack" && bytes.Contains(raw, []byte(`"dropped":true`)):
		s.dropped.Add(1)
	case m.Type == "ack":
		s.acked.Add(1)
	default:
		s.refused.Add(1)
		s.errMu.Lock()
		s.errs[m.Code]++
		s.errMu.Unlock()
	}
	return true
}

// stopTapping ends the taps: at the end of the send phase, before the
// drain of the scenario's acks.
func (s *storm) stopTapping() {
	if s == nil {
		return
	}
	s.stopOnce.Do(func() { close(s.stop) })
	s.wg.Wait()
}

// end stops tapping, waits for the last answers and for the export to
// hold the last tallies, and reports.
func (s *storm) end(ctx context.Context) *StormReport {
	if s == nil {
		return nil
	}
	s.stopTapping()
	deadline := time.Now().Add(5 * time.Second)
	for s.r.cfg.reactionAcks && time.Now().Before(deadline) && s.acked.Load()+s.dropped.Load()+s.refused.Load() < s.sent.Load() {
		sleepCtx(ctx, 20*time.Millisecond)
	}
	rep := &StormReport{PerPhonePerSecond: s.rate, AckedTaps: s.r.cfg.reactionAcks, Sent: s.sent.Load(), Acked: s.acked.Load() + s.dropped.Load(),
		Dropped: s.dropped.Load(), Refused: s.refused.Load(), Ack: s.lat.summary()}
	rep.Counted = s.acked.Load()
	s.errMu.Lock()
	if len(s.errs) > 0 {
		rep.Errors = s.errs
	}
	s.errMu.Unlock()
	// Each instance appends its tally at most every 10 s.
	deadline = time.Now().Add(20 * time.Second)
	last := int64(-1)
	for {
		if !s.r.cfg.reactionAcks && last >= 0 {
			// The next tally is at most 10 s away.
			sleepCtx(ctx, 10500*time.Millisecond)
		}
		exp, err := s.r.clients[s.r.cfg.urls[0]].export(ctx, s.r.sessionID, s.r.facKey)
		if err != nil {
			rep.Error = "export: " + err.Error()
			break
		}
		var off uint64
		off, rep.Exported = exportTotals(exp)
		rep.LogEvents = off - s.offset0
		// Unacked taps: the export is done when two reads a tally apart agree.
		done := rep.Exported >= rep.Counted && (s.r.cfg.reactionAcks || rep.Exported == last)
		last = rep.Exported
		if done || time.Now().After(deadline) || !sleepCtx(ctx, 500*time.Millisecond) {
			break
		}
	}
	// A tap counted by the server whose ack had not come back is in the
	// export but not in Counted.
	unanswered := rep.Sent - rep.Acked - rep.Refused
	if !rep.AckedTaps {
		// Without acks the server says nothing of a tap it counted.
		rep.Counted, rep.Dropped = rep.Exported, rep.Sent-rep.Exported
		unanswered = 0
	}
	if rep.Error == "" && (rep.Exported < rep.Counted || rep.Exported > rep.Counted+unanswered || rep.Exported > rep.Sent) {
		rep.Error = fmt.Sprintf("the export holds %d reactions; %d were counted and %d not answered", rep.Exported, rep.Counted, unanswered)
	}
	return rep
}

// exportTotals reads the export's offset and its reactions, summed.
func exportTotals(raw json.RawMessage) (offset uint64, reactions int64) {
	var x struct {
		Offset    uint64 `json:"offset"`
		Reactions []struct {
			Counts map[string]int64 `json:"counts"`
		} `json:"reactions"`
	}
	if json.Unmarshal(raw, &x) != nil {
		return 0, 0
	}
	for _, m := range x.Reactions {
		for _, n := range m.Counts {
			reactions += n
		}
	}
	return x.Offset, reactions
}

func (s *StormReport) write(w io.Writer) {
	if s == nil {
		return
	}
	if !s.AckedTaps {
		fmt.Fprintf(w, "reactions      %.1f per phone per second: sent %d as messages, not counted %d\n", s.PerPhonePerSecond, s.Sent, s.Dropped)
	} else {
		fmt.Fprintf(w, "reactions      %.1f per phone per second: sent %d, answered %d (dropped %d), refused %d %v\n",
			s.PerPhonePerSecond, s.Sent, s.Acked, s.Dropped, s.Refused, s.Errors)
		fmt.Fprintf(w, "reaction ack   p50 %.1f ms  p99 %.1f ms  max %.1f ms\n", s.Ack.P50, s.Ack.P99, s.Ack.Max)
	}
	fmt.Fprintf(w, "reactions kept counted %d, in the export %d; the log grew by %d events\n", s.Counted, s.Exported, s.LogEvents)
	if s.Error != "" {
		fmt.Fprintf(w, "reactions      FAILED: %s\n", s.Error)
	}
}
