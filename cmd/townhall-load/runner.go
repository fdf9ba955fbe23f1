package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// runner holds one run: the phones, the shared senders, the counters.
type runner struct {
	cfg     *config
	stderr  io.Writer
	start   time.Time
	clients map[string]*client
	wsHTTP  *http.Client
	// slowHTTP dials the --slow-phones' links (slowlink.go); slowView is
	// how long after its send each upvote reached a slow phone's view.
	slowHTTP *http.Client
	slowView recorder
	sc       scenario

	sessionID, code, facKey, displayKey, activityID string

	phones []*phone

	connected, connFailures, reconnectFailures       atomic.Int64
	reconnects, serverReconnects, disconnects, drops atomic.Int64
	sent, resent, acked, failed, pending, dupAcks    atomic.Int64
	pushes, displayPushes                            atomic.Int64
	patchesIn, wholesIn, patchMisses                 atomic.Int64 // --patches
	// warmBytes is each phone's byte count once the send phase has run a
	// while (warmAt into it): bytes per second are counted from there, so
	// that the whole view a phone gets at the first change after it
	// joined (a join's cost, not the board's) is left out.
	warmBytes                        []int64
	warmAt                           time.Duration
	ackLat, resentAckLat, connectLat recorder
	errors                           errorCounts
	trace                            *ackTrace // nil without --ack-trace

	// reconnectGap holds, for every connection that ended while the run
	// went on, the time until the phone's next welcome; gapUnended counts
	// the phones that were still without one when they gave up or the run
	// ended.
	reconnectGap recorder
	gapUnended   atomic.Int64

	retryMu sync.Mutex
	retries []retryItem

	storm *storm // --reactions (reactions.go); nil without

	// stopping is set before the export is taken: an answer read after
	// it is not counted, as the export may have been read before its
	// command landed. One read before it was applied before it.
	stopping atomic.Bool
}

type retryItem struct {
	at  time.Duration
	cmd *command
}

func (r *runner) now() time.Duration { return time.Since(r.start) }

func itoa(i int) string { return strconv.Itoa(i) }

// retryLater resends a command refused with a retryable error, with the
// same id, a little later; after five tries it counts as failed.
func (r *runner) retryLater(c *command) {
	c.tries++
	c.resent.Store(true)
	if c.tries > 5 {
		c.phone.mu.Lock()
		delete(c.phone.pending, c.id)
		c.phone.mu.Unlock()
		r.pending.Add(-1)
		r.failed.Add(1)
		r.errors.add("gave_up")
		return
	}
	r.retryMu.Lock()
	r.retries = append(r.retries, retryItem{at: r.now() + time.Duration(c.tries)*100*time.Millisecond, cmd: c})
	r.retryMu.Unlock()
}

// dueRetries takes the retries whose time has come.
func (r *runner) dueRetries(now time.Duration) []*command {
	r.retryMu.Lock()
	defer r.retryMu.Unlock()
	var due []*command
	keep := r.retries[:0]
	for _, it := range r.retries {
		if it.at <= now {
			due = append(due, it.cmd)
		} else {
			keep = append(keep, it)
		}
	}
	r.retries = keep
	return due
}

// setup creates or joins the session, creates the scenario's activity,
// presents, opens and reveals it.
func (r *runner) setup(ctx context.Context) error {
	cfg := r.cfg
	first := r.clients[cfg.urls[0]]
	r.facKey, r.displayKey, r.code = cfg.facilitatorKey, cfg.displayKey, cfg.sessionCode
	if r.facKey == "" {
		s, err := first.createSession(ctx, "Load test "+time.Now().UTC().Format(time.RFC3339), cfg.createToken)
		if err != nil {
			return fmt.Errorf("creating a session: %w", err)
		}
		r.sessionID, r.code, r.facKey, r.displayKey = s.ID, s.Code, s.FacilitatorKey, s.DisplayKey
	}
	c, welcome, err := hello(ctx, r.wsHTTP, cfg.urls[0], r.facKey, 64<<20, false, false)
	if err != nil {
		return fmt.Errorf("facilitator: %w", err)
	}
	defer c.CloseNow()
	if r.sessionID == "" {
		r.sessionID = welcome.Session
	}
	if r.code == "" && welcome.View != nil {
		r.code = welcome.View.Code
	}
	if r.sessionID == "" || r.code == "" {
		return errors.New("facilitator welcome carries no session id or code")
	}
	f := &facilitator{conn: c}
	ack, err := f.cmd(ctx, "activity.create", map[string]any{"activity": r.sc.activity()})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(ack.Activity, &r.activityID); err != nil || r.activityID == "" {
		return fmt.Errorf("activity.create: ack without an activity id")
	}
	steps := []struct {
		op   string
		args map[string]any
	}{
		{"activity.present", map[string]any{"activity": r.activityID}},
		{"activity.open", map[string]any{"activity": r.activityID}},
	}
	// A new Q&A board or queue is shown to everyone already, a poll or
	// word cloud to the display only; a reveal that changes nothing is
	// refused as a stale click (conflict).
	if cfg.revealAttendees && cfg.scenario != "qa" && cfg.scenario != "queue" {
		steps = append(steps, struct {
			op   string
			args map[string]any
		}{"activity.reveal", map[string]any{"activity": r.activityID, "attendees": true}})
	}
	for _, s := range steps {
		if _, err := f.cmd(ctx, s.op, s.args); err != nil {
			return err
		}
	}
	if qa, ok := r.sc.(*qaScenario); ok && cfg.questions > 0 {
		if err := r.seedQuestions(ctx, qa, cfg.questions); err != nil {
			return err
		}
		if cfg.questions > qaBoardShown {
			// A display sees the top of the board only: its count would
			// not follow the upvotes. The facilitator sees every entry.
			r.displayKey = r.facKey
		}
	}
	c.Close(1000, "setup done")
	return nil
}

// watchDisplay reads the display socket and feeds each version of the
// activity to the scenario, until ctx ends.
func (r *runner) watchDisplay(ctx context.Context, ready chan<- error) {
	c, welcome, err := hello(ctx, r.wsHTTP, r.cfg.displayURL, r.displayKey, 256<<20, false, false)
	ready <- err
	if err != nil {
		return
	}
	defer c.CloseNow()
	r.observeView(welcome)
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		var m inMsg
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		r.displayPushes.Add(1)
		r.observeView(&m)
	}
}

func (r *runner) observeView(m *inMsg) {
	now := r.now()
	var acts []json.RawMessage
	switch m.Type {
	case "activity":
		acts = []json.RawMessage{m.Activity}
	case "welcome", "session":
		if m.View != nil {
			acts = m.View.Activities
		}
	}
	for _, a := range acts {
		var id struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(a, &id) == nil && id.ID == r.activityID {
			r.sc.observe(a, now)
		}
	}
}

// ramp starts the phones at the join rate and waits until each has
// connected or given up. It returns when all are settled or ctx ends.
func (r *runner) ramp(ctx context.Context, pctx context.Context, wg *sync.WaitGroup) {
	n := len(r.phones)
	settled := make(chan bool, n)
	ready := func(ok bool) { settled <- ok }
	t0 := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	launched, done := 0, 0
	for done < n {
		select {
		case <-ctx.Done():
			return
		case <-settled:
			done++
			continue
		case <-tick.C:
		}
		due := n
		if r.cfg.joinRate > 0 {
			due = min(n, int(r.cfg.joinRate*time.Since(t0).Seconds())+1)
		}
		for ; launched < due; launched++ {
			p := r.phones[launched]
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.run(pctx, ready)
			}()
		}
	}
}

// drive sends commands at the configured rate until the duration or the
// command count is reached, drops a share of phones half way, then waits
// for the outstanding acks.
func (r *runner) drive(ctx context.Context) (sendTime time.Duration) {
	cfg := r.cfg
	var live []*phone
	for _, p := range r.phones {
		p.mu.Lock()
		ok := p.conn != nil
		p.mu.Unlock()
		if ok {
			live = append(live, p)
		}
	}
	if len(live) == 0 {
		return 0
	}
	work := make(chan *command, 4096)
	var wg sync.WaitGroup
	for range cfg.senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				c.phone.send(c)
			}
		}()
	}
	defer func() {
		close(work)
		wg.Wait()
	}()
	rng := rand.New(rand.NewPCG(cfg.seed, uint64(len(live))))
	t0 := r.now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var seq int64
	rr := 0
	dropped := cfg.reconnectFraction <= 0
	exhausted := false
	for !exhausted {
		select {
		case <-ctx.Done():
			return r.now() - t0
		case <-tick.C:
		}
		now := r.now()
		elapsed := now - t0
		for _, c := range r.dueRetries(now) {
			work <- c
		}
		if cfg.count == 0 && elapsed >= cfg.duration {
			break
		}
		due := int64(cfg.rate*elapsed.Seconds()) + 1 - seq
		if cfg.count > 0 {
			due = min(due, int64(cfg.count)-seq)
		}
		for ; due > 0; due-- {
			var c *command
			for tries := 0; tries < len(live); tries++ {
				p := live[rr%len(live)]
				rr++
				c = &command{phone: p}
				if r.sc.next(p.idx, rng, c) {
					break
				}
				c = nil
			}
			if c == nil {
				exhausted = true // every phone has sent all it may
				break
			}
			seq++
			c.seq = seq
			c.id = "l" + strconv.FormatInt(seq, 10)
			c.encode(r.activityID)
			c.sentAt = r.now()
			r.sent.Add(1)
			// Counted before a sender takes it, so that the drain below
			// never sees zero while a command waits in the channel.
			r.pending.Add(1)
			work <- c
		}
		if r.warmBytes == nil && cfg.count == 0 && elapsed >= min(3*time.Second, cfg.duration/4) {
			r.warmBytes, r.warmAt = r.phoneBytes(), elapsed
		}
		half := (cfg.count > 0 && seq >= int64(cfg.count)/2) || (cfg.count == 0 && elapsed >= cfg.duration/2)
		if !dropped && half {
			// The next phones in turn drop right after their next command.
			dropped = true
			k := int(cfg.reconnectFraction*float64(len(live)) + 0.5)
			for i := range k {
				live[(rr+i)%len(live)].dropNext.Store(true)
			}
		}
		if cfg.count > 0 && seq >= int64(cfg.count) {
			break
		}
	}
	sendTime = r.now() - t0
	r.storm.stopTapping()
	// Drain: wait for acks, resending retryable refusals, within the drain time.
	deadline := time.Now().Add(cfg.drain)
	for r.pending.Load() > 0 && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return sendTime
		case <-tick.C:
		}
		for _, c := range r.dueRetries(r.now()) {
			work <- c
		}
	}
	return sendTime
}

// progress writes one line a second to stderr until stop is closed.
func (r *runner) progress(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var lastAcked int64
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		a := r.acked.Load()
		fmt.Fprintf(r.stderr, "[%5.1fs] phones %d/%d fail %d | sent %d acked %d (%d/s) pending %d errors %d | drops %d reconnects %d\n",
			r.now().Seconds(), r.connected.Load(), len(r.phones), r.connFailures.Load(),
			r.sent.Load(), a, a-lastAcked, r.pending.Load(), r.errors.total(), r.drops.Load(), r.reconnects.Load())
		lastAcked = a
	}
}

// qaBoardShown is how many entries attendees and displays are sent.
const qaBoardShown = 200

// seedQuestions asks n questions through attendees of their own (each may
// ask 20), several at a time, before the phones join.
func (r *runner) seedQuestions(ctx context.Context, s *qaScenario, n int) error {
	const perAsker = 20
	askers := (n + perAsker - 1) / perAsker
	var mu sync.Mutex
	var entries []string
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for a := range askers {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := func() error {
				cl := r.clients[r.cfg.urls[0]]
				tok, err := cl.join(ctx, r.code, "asker-"+itoa(a))
				if err != nil {
					return err
				}
				c, _, err := hello(ctx, r.wsHTTP, cl.base, tok, phoneReadLimit, false, false)
				if err != nil {
					return err
				}
				defer c.CloseNow()
				f := &facilitator{conn: c}
				for q := a * perAsker; q < min(n, (a+1)*perAsker); q++ {
					ack, err := f.cmd(ctx, "qa.ask", map[string]any{"activity": r.activityID,
						"text": "Seeded question " + itoa(q) + ": what about the plan for the river bank?"})
					if err != nil {
						return err
					}
					mu.Lock()
					entries = append(entries, ack.Entry)
					mu.Unlock()
				}
				return nil
			}()
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("seeding questions: %w", err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	s.seed(entries)
	return nil
}
