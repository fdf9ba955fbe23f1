package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/townhall/townhall/hub/patch"
)

// phone is one simulated attendee. Its only goroutine is run: join, then
// read until the socket ends, reconnecting when asked. Commands are written
// by the runner's shared senders.
type phone struct {
	idx  int
	base string
	r    *runner

	token string // set by run before the first connection

	// wmu orders writes: a resend after a reconnect goes out before any
	// newer command, so the server applies a phone's commands in order.
	wmu     sync.Mutex
	mu      sync.Mutex
	conn    *websocket.Conn
	pending map[string]*command

	dropNext atomic.Bool // close the socket right after the next command
	dropping atomic.Bool // the socket was closed on purpose: reconnect
	gone     atomic.Bool // the server asked to reconnect

	hdr [96]byte // the start of each message, to skip pushes unparsed

	bytes atomic.Int64 // every message received, counted in bytes
	wire  atomic.Int64 // every byte its connections read off the wire

	// --patches (patches.go): the offset of the activity's view the phone
	// holds, and for an applying phone the view itself. Under mu.
	applies bool
	held    uint64
	view    *patch.View
	// --slow-phones (slowlink.go): the phone is on a slow link and notes
	// when each vote reached its view; seen is each entry's votes there.
	slow bool
	seen map[string]int

	// --record-views: the first phone writes each whole activity view
	// it receives, one a line (only its read loop writes).
	rec *bufio.Writer
}

// record writes the activity view of an "activity" message.
func (p *phone) record(msg []byte) {
	var m struct {
		Activity json.RawMessage `json:"activity"`
	}
	if json.Unmarshal(msg, &m) != nil || len(m.Activity) == 0 {
		return
	}
	p.rec.Write(m.Activity)
	p.rec.WriteByte('\n')
}

// bufPool holds the buffers that whole messages (acks, errors) are read into.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const phoneReadLimit = 16 << 20

// run joins, connects and reads until ctx ends or the phone gives up.
// ready is called once, after the first connection succeeded or failed
// for good.
func (p *phone) run(ctx context.Context, ready func(ok bool)) {
	r := p.r
	t0 := time.Now()
	connected := false
	for attempt := 0; attempt <= r.cfg.connectRetries && ctx.Err() == nil; attempt++ {
		if attempt > 0 && !sleepCtx(ctx, backoff(attempt)) {
			break
		}
		if err := p.connect(ctx); err != nil {
			r.connFailures.Add(1)
			r.errors.add(connErrorCode(err))
			continue
		}
		connected = true
		break
	}
	if !connected {
		ready(false)
		return
	}
	r.connectLat.add(time.Since(t0))
	r.connected.Add(1)
	ready(true)

	reconnects := 0
	for {
		err := p.readLoop()
		// The gap runs from here, where the phone learns its connection is
		// gone, to its next welcome: what an attendee waits through.
		down := r.now()
		p.mu.Lock()
		c := p.conn
		p.conn = nil
		p.mu.Unlock()
		if c != nil {
			c.CloseNow()
		}
		if ctx.Err() != nil {
			return
		}
		switch {
		case p.dropping.Swap(false):
		case p.gone.Swap(false):
			r.serverReconnects.Add(1)
		default:
			r.disconnects.Add(1)
			r.errors.add("disconnect")
		}
		// A phone that drops again and again is bounded: it stops after a
		// few reconnects and its pending commands count as unacked.
		ok := false
		wait := time.Duration(20+rand.IntN(180)) * time.Millisecond
		if websocket.CloseStatus(err) == closeFlooding {
			wait += floodBackoff // the protocol's least wait after a flood close
		}
		for reconnects < 3+r.cfg.connectRetries && ctx.Err() == nil {
			reconnects++
			if !sleepCtx(ctx, wait) {
				r.gapUnended.Add(1)
				return
			}
			wait = time.Duration(20+rand.IntN(180)) * time.Millisecond
			if err := p.connect(ctx); err != nil {
				r.reconnectFailures.Add(1)
				r.errors.add("re" + connErrorCode(err))
				continue
			}
			r.reconnects.Add(1)
			r.reconnectGap.add(r.now() - down)
			ok = true
			break
		}
		if !ok {
			r.gapUnended.Add(1)
			return
		}
	}
}

// The flood close status and the least wait after it (docs/protocol.md);
// the load generator keeps its own copy of the wire on purpose.
const (
	closeFlooding = 4029
	floodBackoff  = 5 * time.Second
)

// connect joins if it has no token yet, says hello, and resends every
// unacked command in order with its original id.
func (p *phone) connect(ctx context.Context) error {
	r := p.r
	cctx, cancel := context.WithTimeout(ctx, r.cfg.connectTimeout)
	defer cancel()
	if p.token == "" {
		tok, err := r.clients[p.base].join(cctx, r.code, "phone-"+itoa(p.idx))
		if err != nil {
			return &connErr{stage: "join", err: err}
		}
		p.token = tok
	}
	wsHTTP := r.wsHTTP
	if p.slow {
		wsHTTP = r.slowHTTP
	}
	c, w, err := hello(withWireCounter(cctx, &p.wire), wsHTTP, p.base, p.token, phoneReadLimit, r.cfg.patches, r.cfg.compress)
	if err != nil {
		return err
	}
	p.bytes.Add(int64(len(w.raw)))
	if r.cfg.patches || p.slow {
		p.welcomed(w)
	}
	p.wmu.Lock()
	defer p.wmu.Unlock()
	p.mu.Lock()
	p.conn = c
	resend := make([]*command, 0, len(p.pending))
	for _, cmd := range p.pending {
		cmd.resent.Store(true)
		resend = append(resend, cmd)
	}
	p.mu.Unlock()
	sort.Slice(resend, func(i, j int) bool { return resend[i].seq < resend[j].seq })
	for _, cmd := range resend {
		r.resent.Add(1)
		if err := p.write(c, cmd.payload); err != nil {
			break // the reader will see the socket end and reconnect
		}
	}
	return nil
}

func (p *phone) write(c *websocket.Conn, b []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), p.r.cfg.connectTimeout)
	defer cancel()
	return c.Write(ctx, websocket.MessageText, b)
}

// send records cmd as pending and writes it if the phone is connected;
// otherwise the next connect resends it.
func (p *phone) send(cmd *command) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	p.mu.Lock()
	if _, ok := p.pending[cmd.id]; !ok {
		p.pending[cmd.id] = cmd
	}
	c := p.conn
	p.mu.Unlock()
	if c == nil {
		return
	}
	_ = p.write(c, cmd.payload)
	if p.dropNext.CompareAndSwap(true, false) {
		// Closed right after the write, so the command may or may not have
		// reached the server: the resend after the reconnect must count once.
		p.dropping.Store(true)
		p.r.drops.Add(1)
		c.CloseNow()
	}
}

// readLoop reads until the socket ends. Pushes (most of the traffic) are
// recognised from their first bytes and discarded without parsing.
func (p *phone) readLoop() error {
	p.mu.Lock()
	c := p.conn
	p.mu.Unlock()
	if c == nil {
		return errors.New("not connected")
	}
	for {
		// The background context costs nothing per read; the socket is
		// ended by CloseNow when the run stops.
		_, rd, err := c.Reader(context.Background())
		if err != nil {
			return err
		}
		n, err := io.ReadFull(rd, p.hdr[:])
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return err
		}
		complete := n < len(p.hdr)
		typ, found := msgType(p.hdr[:n])
		view := (p.r.cfg.patches || p.slow) && found && isView(typ)
		if p.rec != nil && found && string(typ) == "activity" {
			buf := bufPool.Get().(*bytes.Buffer)
			buf.Reset()
			buf.Write(p.hdr[:n])
			if !complete {
				if _, err := buf.ReadFrom(rd); err != nil {
					bufPool.Put(buf)
					return err
				}
			}
			p.bytes.Add(int64(buf.Len()))
			p.r.pushes.Add(1)
			p.record(buf.Bytes())
			bufPool.Put(buf)
			continue
		}
		if found && isPush(typ) && !(view && p.applies) && (!view || p.follow(typ, p.hdr[:n])) {
			if !complete {
				m, err := io.Copy(io.Discard, rd)
				p.bytes.Add(m)
				if err != nil {
					return err
				}
			}
			p.bytes.Add(int64(n))
			p.r.pushes.Add(1)
			continue
		}
		buf := bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		buf.Write(p.hdr[:n])
		if !complete {
			if _, err := buf.ReadFrom(rd); err != nil {
				bufPool.Put(buf)
				return err
			}
		}
		p.bytes.Add(int64(buf.Len()))
		if view {
			if p.applies {
				p.applyMsg(buf.Bytes())
			} else {
				p.follow(typ, buf.Bytes())
			}
			p.r.pushes.Add(1)
			bufPool.Put(buf)
			continue
		}
		stop := p.handle(buf.Bytes())
		bufPool.Put(buf)
		if stop {
			return errors.New("server asked to reconnect")
		}
	}
}

// handle deals with a message that is not a plain push. It returns true
// when the server asked the client to reconnect.
func (p *phone) handle(b []byte) bool {
	r := p.r
	typ, _ := msgType(b)
	switch string(typ) {
	case "ack", "error":
	case "reconnect":
		p.gone.Store(true)
		return true
	default:
		r.pushes.Add(1)
		return false
	}
	if r.stopping.Load() {
		return false
	}
	var m inMsg
	if err := json.Unmarshal(b, &m); err != nil {
		r.errors.add("bad_json")
		return false
	}
	now := r.now()
	if r.storm.answer(b, &m, now) {
		return false
	}
	p.mu.Lock()
	cmd := p.pending[m.ID]
	if cmd != nil && !(m.Type == "error" && m.Retryable) {
		delete(p.pending, m.ID)
	}
	p.mu.Unlock()
	if cmd == nil {
		if m.Type == "error" {
			r.errors.add(m.Code)
		} else {
			// The same id answered twice: a resend whose first copy had
			// arrived. Expected after a drop; counted for the report.
			r.dupAcks.Add(1)
		}
		return false
	}
	if m.Type == "ack" {
		r.pending.Add(-1)
		r.acked.Add(1)
		resent := cmd.resent.Load()
		if resent {
			r.resentAckLat.add(now - cmd.sentAt)
		} else {
			r.ackLat.add(now - cmd.sentAt)
		}
		if r.trace != nil {
			r.trace.add(cmd.sentAt, now-cmd.sentAt, resent)
		}
		r.sc.acked(cmd, &m)
		return false
	}
	r.errors.add(m.Code)
	if m.Retryable {
		r.retryLater(cmd)
		return false
	}
	r.pending.Add(-1)
	r.failed.Add(1)
	r.sc.failed(cmd, m.Code)
	return false
}

// msgType finds the value of the top-level "type" key. A key inside a
// string value is escaped (\"type\"), so a match is a real key; the views
// have no nested "type" keys.
func msgType(b []byte) ([]byte, bool) {
	i := bytes.Index(b, []byte(`"type":`))
	if i < 0 {
		return nil, false
	}
	b = b[i+len(`"type":`):]
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	if len(b) == 0 || b[0] != '"' {
		return nil, false
	}
	b = b[1:]
	j := bytes.IndexByte(b, '"')
	if j < 0 {
		return nil, false
	}
	return b[:j], true
}

func isPush(typ []byte) bool {
	switch string(typ) {
	case "activity", "session", "you", "welcome", "patch":
		return true
	}
	return false
}

// isView says whether a message carries the activity's view or a patch.
func isView(typ []byte) bool {
	switch string(typ) {
	case "activity", "session", "patch":
		return true
	}
	return false
}

type connErr struct {
	stage string
	err   error
}

func (e *connErr) Error() string { return e.stage + ": " + e.err.Error() }
func (e *connErr) Unwrap() error { return e.err }

// connErrorCode names a connection failure for the errors-by-code table:
// <stage>_<code or HTTP status> for refusals, <stage>_timeout or
// <stage>_failed otherwise; the stages are join, dial, hello and welcome.
func connErrorCode(err error) string {
	var ce *connErr
	stage := "connect"
	if errors.As(err, &ce) {
		stage = ce.stage
	}
	var he *httpError
	if errors.As(err, &he) {
		if he.Code != "" {
			return stage + "_" + he.Code
		}
		return stage + "_" + itoa(he.Status)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return stage + "_timeout"
	}
	return stage + "_failed"
}

func backoff(attempt int) time.Duration {
	d := 200 * time.Millisecond << min(attempt, 5)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)))
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
