package e2e

// Multi-process tests: several real townhall binaries share one real
// redis-server and host one session together, while the tests kill an
// instance, restart or freeze Redis, and write damaged entries into a
// session's stream. The clients speak docs/protocol.md over websockets the
// way the pages' conn.js does: hello with the last offset seen, reconnect to
// another instance, and resend unanswered commands with the same ids.

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/townhall/townhall/internal/redistest"
)

// clusterBinary builds the server with the race detector into the test's
// folder (the build cache makes every build after the first a link).
func clusterBinary(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "townhall")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-race", "-o", out, "../cmd/townhall")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -race ../cmd/townhall: %v\n%s", err, b)
	}
	return out
}

// cluster is one redis-server and the townhall instances sharing it.
type cluster struct {
	bin    string
	secret string
	redis  *redistest.Server
	nodes  []*Server
}

func startCluster(t *testing.T, n int, ropts redistest.Options) *cluster {
	t.Helper()
	c := &cluster{bin: clusterBinary(t), secret: randomHex(32)}
	c.redis = redistest.Start(t, ropts)
	for range n {
		s := c.newNode(t)
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, s)
	}
	return c
}

// newNode prepares (without starting) an instance of the cluster on a free
// port; the test ends it.
func (c *cluster) newNode(t *testing.T) *Server {
	t.Helper()
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Bin: c.bin, Addr: addr, Data: t.TempDir(),
		Args: []string{"--redis", c.redis.URL(), "--secret", c.secret}}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("instance %s output:\n%s", addr, s.Logs())
		}
	})
	return s
}

func (c *cluster) addrs() []string {
	out := make([]string, len(c.nodes))
	for i, s := range c.nodes {
		out[i] = s.Addr
	}
	return out
}

// waitReady waits until every running instance answers /readyz with 200.
func (c *cluster) waitReady(t *testing.T, limit time.Duration) {
	t.Helper()
	for _, s := range c.nodes {
		if s.Exited() == nil {
			continue
		}
		if err := s.WaitReady(context.Background(), limit); err != nil {
			t.Fatal(err)
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	crand.Read(b)
	return hex.EncodeToString(b)
}

func postJSON(t *testing.T, url string, body, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		t.Fatalf("POST %s: %s: %s", url, res.Status, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatalf("POST %s: %v: %s", url, err, data)
	}
}

// message is every server message field the tests read.
type message struct {
	Type      string          `json:"type"`
	ID        string          `json:"id"`
	Code      string          `json:"code"`
	Message   string          `json:"message"`
	Retryable bool            `json:"retryable"`
	Offset    uint64          `json:"offset"`
	Activity  json.RawMessage `json:"activity"` // an id in acks, a view in pushes
	View      *struct {
		Presented  string            `json:"presented"`
		Activities []json.RawMessage `json:"activities"`
	} `json:"view"`
}

// pollView is a poll as a display and the export show it.
type pollView struct {
	ID      string `json:"id"`
	State   string `json:"state"`
	Options []struct {
		Label string `json:"label"`
		Votes *int   `json:"votes"`
	} `json:"options"`
	Voters *int `json:"voters"`
}

func (p pollView) counts() []int {
	out := make([]int, len(p.Options))
	for i, o := range p.Options {
		out[i] = -1
		if o.Votes != nil {
			out[i] = *o.Votes
		}
	}
	return out
}

func (p pollView) voters() int {
	if p.Voters == nil {
		return -1
	}
	return *p.Voters
}

type clientOpts struct {
	// reconnect to another instance when the connection ends.
	reconnect bool
	// retry resends a command answered with a retryable error, with
	// backoff, up to maxRetries times (as conn.js does).
	retry bool
}

const (
	maxRetries      = 8
	maxConnAttempts = 200
)

// client is one websocket participant: attendee, display or facilitator.
type client struct {
	t      *testing.T
	name   string
	token  string
	addrs  []string
	opts   clientOpts
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	seq    atomic.Int64

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every change
	ws       *websocket.Conn
	at       int  // index in addrs of the current (or last) instance
	online   bool // welcomed on ws
	offset   uint64
	acts     map[string]json.RawMessage
	frames   map[string][]byte // every command sent, by id
	pending  map[string]*pendingCmd
	answers  map[string]message // the final answer of each settled id
	errs     []message          // every error received, retryable ones included
	welcomes int
	resent   int
	endErr   error
	closes   []websocket.StatusCode // the close status of each connection that ended
}

type pendingCmd struct {
	seq     int64
	retries int
}

// connect dials addrs[home] and waits for the welcome.
func connect(t *testing.T, name, token string, addrs []string, home int, opts clientOpts) *client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &client{
		t: t, name: name, token: token, addrs: addrs, opts: opts, ctx: ctx, cancel: cancel,
		done: make(chan struct{}), changed: make(chan struct{}), at: home,
		acts: map[string]json.RawMessage{}, frames: map[string][]byte{},
		pending: map[string]*pendingCmd{}, answers: map[string]message{},
	}
	go c.run()
	t.Cleanup(c.close)
	if !c.waitFor(15*time.Second, func() bool { return c.welcomes > 0 }) {
		t.Fatalf("%s: no welcome from %s within 15 s: %v", name, addrs[home], c.lastErr())
	}
	return c
}

func (c *client) close() {
	c.cancel()
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		c.t.Errorf("%s: the client loop did not end", c.name)
	}
}

func (c *client) lastErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endErr
}

func (c *client) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// waitFor waits until cond (called under c.mu) holds, or limit passes.
func (c *client) waitFor(limit time.Duration, cond func() bool) bool {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		c.mu.Lock()
		ok := cond()
		ch := c.changed
		c.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-timer.C:
			return false
		}
	}
}

// run keeps the connection: it dials, reads until the connection ends,
// and (with opts.reconnect) dials another instance with backoff.
func (c *client) run() {
	defer close(c.done)
	backoff := 100 * time.Millisecond
	for attempt := 0; attempt < maxConnAttempts; attempt++ {
		c.mu.Lock()
		addr := c.addrs[c.at]
		c.mu.Unlock()
		ws, err := c.dial(addr)
		if err == nil {
			backoff = 100 * time.Millisecond
			err = c.read(ws)
			ws.CloseNow()
		}
		c.mu.Lock()
		c.ws, c.online, c.endErr = nil, false, err
		if st := websocket.CloseStatus(err); st != -1 {
			c.closes = append(c.closes, st)
		}
		c.notify()
		if len(c.addrs) > 1 {
			c.at = (c.at + 1 + rand.IntN(len(c.addrs)-1)) % len(c.addrs)
		}
		c.mu.Unlock()
		if c.ctx.Err() != nil || !c.opts.reconnect {
			return
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		backoff = min(2*backoff, 2*time.Second)
		select {
		case <-c.ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (c *client) dial(addr string) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+addr+"/ws", nil)
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	c.mu.Lock()
	since := c.offset
	c.ws = ws
	c.mu.Unlock()
	hello, _ := json.Marshal(map[string]any{"type": "hello", "token": c.token, "since": since})
	if err := ws.Write(ctx, websocket.MessageText, hello); err != nil {
		ws.CloseNow()
		return nil, err
	}
	return ws, nil
}

// read handles messages until the connection ends or the server asks to
// reconnect.
func (c *client) read(ws *websocket.Conn) error {
	for {
		_, data, err := ws.Read(c.ctx)
		if err != nil {
			return err
		}
		var m message
		if err := json.Unmarshal(data, &m); err != nil {
			c.t.Errorf("%s: a message that is not JSON: %q", c.name, data)
			continue
		}
		if m.Type == "reconnect" {
			return fmt.Errorf("the server asked to reconnect")
		}
		c.handle(ws, m)
	}
}

func (c *client) handle(ws *websocket.Conn, m message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.notify()
	switch m.Type {
	case "welcome":
		// A welcome is a full view: start from it.
		c.offset = m.Offset
		c.acts = map[string]json.RawMessage{}
		c.noteView(m)
		c.online = true
		c.welcomes++
		// Resend every unanswered command, in the order it was first sent.
		ids := make([]string, 0, len(c.pending))
		for id := range c.pending {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return c.pending[ids[i]].seq < c.pending[ids[j]].seq })
		frames := make([][]byte, len(ids))
		for i, id := range ids {
			frames[i] = c.frames[id]
		}
		c.resent += len(frames)
		go func() {
			for _, f := range frames {
				c.write(ws, f)
			}
		}()
	case "session":
		c.offset = max(c.offset, m.Offset)
		c.noteView(m)
	case "activity":
		c.offset = max(c.offset, m.Offset)
		var a struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(m.Activity, &a) == nil && a.ID != "" {
			c.acts[a.ID] = m.Activity
		}
	case "ack":
		if _, ok := c.pending[m.ID]; ok {
			delete(c.pending, m.ID)
			c.answers[m.ID] = m
		}
	case "error":
		c.errs = append(c.errs, m)
		p := c.pending[m.ID]
		if p == nil {
			if m.ID == "" {
				c.t.Logf("%s: error without id: %s %s", c.name, m.Code, m.Message)
			}
			return
		}
		if m.Retryable && c.opts.retry && p.retries < maxRetries {
			p.retries++
			wait := min(250*time.Millisecond<<p.retries, 4*time.Second)
			id := m.ID
			time.AfterFunc(wait, func() { c.transmit(id) })
			return
		}
		delete(c.pending, m.ID)
		c.answers[m.ID] = m
	}
}

// noteView keeps the activities of a welcome or session message.
func (c *client) noteView(m message) {
	if m.View == nil {
		return
	}
	for _, raw := range m.View.Activities {
		var a struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &a) == nil && a.ID != "" {
			c.acts[a.ID] = raw
		}
	}
}

// write sends a frame; a failed write closes the connection, which the
// read loop notices.
func (c *client) write(ws *websocket.Conn, frame []byte) {
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, frame); err != nil {
		ws.CloseNow()
	}
}

// transmit sends a pending command now if the client is online; otherwise
// the next welcome sends it.
func (c *client) transmit(id string) {
	c.mu.Lock()
	_, pending := c.pending[id]
	ws, online, frame := c.ws, c.online, c.frames[id]
	c.mu.Unlock()
	if pending && online {
		c.write(ws, frame)
	}
}

// send queues a command with a new id and sends it; it stays pending until
// it is answered.
func (c *client) send(op string, args map[string]any) string {
	seq := c.seq.Add(1)
	id := fmt.Sprintf("%s-%d", c.name, seq)
	cmd := map[string]any{"type": "cmd", "id": id, "op": op}
	for k, v := range args {
		cmd[k] = v
	}
	frame, _ := json.Marshal(cmd)
	c.mu.Lock()
	c.frames[id] = frame
	c.pending[id] = &pendingCmd{seq: seq}
	c.mu.Unlock()
	c.transmit(id)
	return id
}

// resend sends a command that was answered again with the same id.
func (c *client) resend(id string) {
	c.mu.Lock()
	delete(c.answers, id)
	c.pending[id] = &pendingCmd{seq: c.seq.Add(1)}
	c.mu.Unlock()
	c.transmit(id)
}

// answer waits for the final answer to id.
func (c *client) answer(id string, limit time.Duration) (message, bool) {
	var m message
	ok := c.waitFor(limit, func() bool {
		var ok bool
		m, ok = c.answers[id]
		return ok
	})
	return m, ok
}

// must sends a command and fails the test unless it is acked.
func (c *client) must(op string, args map[string]any) message {
	c.t.Helper()
	var m message
	// A test sends commands faster than a person (the server allows 10 a
	// second per connection, in bursts): a rate_limited refusal changed
	// nothing, so the command is sent again after a pause, as a client
	// that respects the limit would.
	for try := 0; ; try++ {
		id := c.send(op, args)
		var ok bool
		m, ok = c.answer(id, 15*time.Second)
		if !ok {
			c.t.Fatalf("%s: no answer to %s within 15 s", c.name, op)
		}
		if m.Code != "rate_limited" || try == 20 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if m.Type != "ack" {
		c.t.Fatalf("%s: %s: %s %s", c.name, op, m.Code, m.Message)
	}
	return m
}

// where is the address of the current (or last) instance.
func (c *client) where() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addrs[c.at]
}

func (c *client) pendingCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// poll returns the client's latest view of a poll and its offset.
func (c *client) poll(id string) (pollView, uint64, bool) {
	c.mu.Lock()
	raw, ok := c.acts[id]
	off := c.offset
	c.mu.Unlock()
	var p pollView
	if !ok || json.Unmarshal(raw, &p) != nil {
		return p, off, false
	}
	return p, off, true
}

// room is a session hosted by a cluster: a facilitator, a display on every
// instance, an open presented poll, and phones.
type room struct {
	t        *testing.T
	c        *cluster
	created  Created
	fac      *client
	displays []*client
	poll     string
	phones   []*phone
}

type phone struct {
	*client
	home   int
	choice int
	voteID string
}

var clusterOptions = []string{"Yes", "No", "Abstain", "Later"}

// skewed choices, so that a vote counted for the wrong option shows.
func choiceFor(i int) int { return []int{0, 0, 0, 1, 1, 2, 3}[i%7] }

// openRoom creates the session on the first instance, connects the
// facilitator to instance fac and a display to every instance, and opens
// and presents a poll.
func openRoom(t *testing.T, c *cluster, fac int) *room {
	t.Helper()
	r := &room{t: t, c: c}
	postJSON(t, c.nodes[0].URL()+"/api/sessions", map[string]string{"title": "Cluster"}, &r.created)
	addrs := c.addrs()
	r.fac = connect(t, "host", r.created.FacilitatorKey, addrs, fac%len(addrs), clientOpts{reconnect: true, retry: true})
	for i := range addrs {
		d := connect(t, fmt.Sprintf("display%d", i), r.created.DisplayKey, addrs, i, clientOpts{reconnect: true})
		r.displays = append(r.displays, d)
	}
	ack := r.fac.must("activity.create", map[string]any{"activity": map[string]any{
		"kind": "poll", "title": "Adopt the motion?", "options": clusterOptions}})
	if err := json.Unmarshal(ack.Activity, &r.poll); err != nil || r.poll == "" {
		t.Fatalf("activity.create ack without an activity id: %s", ack.Activity)
	}
	r.fac.must("activity.open", map[string]any{"activity": r.poll})
	r.fac.must("activity.present", map[string]any{"activity": r.poll})
	for _, d := range r.displays {
		if !d.waitFor(15*time.Second, func() bool {
			var p pollView
			return json.Unmarshal(d.acts[r.poll], &p) == nil && p.State == "open"
		}) {
			t.Fatalf("%s does not show the open poll", d.name)
		}
	}
	return r
}

// join adds n phones, joined (POST /api/join) and connected round-robin
// over the instances.
func (r *room) join(n int, opts clientOpts) []*phone {
	r.t.Helper()
	addrs := r.c.addrs()
	var out []*phone
	for range n {
		i := len(r.phones)
		home := i % len(addrs)
		var j struct {
			Token string `json:"token"`
		}
		postJSON(r.t, r.c.nodes[home].URL()+"/api/join", map[string]string{"code": r.created.Code}, &j)
		p := &phone{client: connect(r.t, fmt.Sprintf("phone%d", i), j.Token, addrs, home, opts), home: home, choice: choiceFor(i)}
		r.phones = append(r.phones, p)
		out = append(out, p)
	}
	return out
}

func (p *phone) vote(poll string) {
	p.voteID = p.send("vote", map[string]any{"activity": poll, "choices": []int{p.choice}})
}

// waitAcks waits until every phone's vote is answered and fails the test
// unless every answer is an ack.
func waitAcks(t *testing.T, phones []*phone, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for _, p := range phones {
		m, ok := p.answer(p.voteID, time.Until(deadline))
		if !ok {
			t.Fatalf("%s: vote %s not answered within %v (pending %d, last connection error %v)", p.name, p.voteID, limit, p.pendingCount(), p.lastErr())
		}
		if m.Type != "ack" {
			t.Fatalf("%s: vote answered with %s %q (retryable %v)", p.name, m.Code, m.Message, m.Retryable)
		}
	}
}

// logDuplicates logs how many events of the log repeated a command id
// (resends of commands that had reached the log), which the reducer
// recognized and counted once: the log holds the session's creation, one
// join per phone, one event per acked command, and those. malformed is
// the number of entries written by hand.
func (r *room) logDuplicates(x exportDoc, malformed int) {
	r.t.Helper()
	events := 1 + len(r.phones) + malformed
	for _, c := range append([]*client{r.fac}, phonesClients(r.phones)...) {
		c.mu.Lock()
		for _, m := range c.answers {
			if m.Type == "ack" {
				events++
			}
		}
		c.mu.Unlock()
	}
	if x.Offset < uint64(events) {
		r.t.Errorf("the log ends at %d, but %d events took effect", x.Offset, events)
		return
	}
	r.t.Logf("the log holds %d events: %d that took effect and %d repeated command ids counted once", x.Offset, events, x.Offset-uint64(events))
}

func phonesClients(ps []*phone) []*client {
	out := make([]*client, len(ps))
	for i, p := range ps {
		out[i] = p.client
	}
	return out
}

// want is the poll's counts if every phone's acked vote counts once.
func want(phones []*phone) []int {
	out := make([]int, len(clusterOptions))
	for _, p := range phones {
		p.mu.Lock()
		m, ok := p.answers[p.voteID]
		p.mu.Unlock()
		if ok && m.Type == "ack" {
			out[p.choice]++
		}
	}
	return out
}

type exportDoc struct {
	Offset       uint64     `json:"offset"`
	Participants int        `json:"participants"`
	Activities   []pollView `json:"activities"`
}

func (r *room) export(s *Server) (exportDoc, pollView, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var x exportDoc
	if err := s.Export(ctx, r.created.ID, r.created.FacilitatorKey, &x); err != nil {
		return x, pollView{}, err
	}
	for _, a := range x.Activities {
		if a.ID == r.poll {
			return x, a, nil
		}
	}
	return x, pollView{}, fmt.Errorf("the export has no poll %s", r.poll)
}

// converge waits until the export (from instance via) counts want with
// voters voters, and every display shows the same counts at the export's
// offset. It returns the export.
func (r *room) converge(via *Server, want []int, voters int, limit time.Duration) exportDoc {
	r.t.Helper()
	start := time.Now()
	deadline := start.Add(limit)
	var last string
	for attempt := 0; ; attempt++ {
		x, p, err := r.export(via)
		switch {
		case err != nil:
			last = "export: " + err.Error()
		case !equal(p.counts(), want) || p.voters() != voters:
			last = fmt.Sprintf("export counts %v voters %d, want %v voters %d", p.counts(), p.voters(), want, voters)
		default:
			last = ""
			for _, d := range r.displays {
				dp, off, ok := d.poll(r.poll)
				if !ok || !equal(dp.counts(), want) || dp.voters() != voters || off != x.Offset {
					last += fmt.Sprintf("\n  %s on %s: counts %v voters %d offset %d (export: offset %d)",
						d.name, d.where(), dp.counts(), dp.voters(), off, x.Offset)
				}
			}
			if last == "" {
				r.t.Logf("%d displays converged on %v at offset %d in %v", len(r.displays), want, x.Offset, time.Since(start).Round(time.Millisecond))
				return x
			}
		}
		if time.Now().After(deadline) || attempt > 1000 {
			r.t.Fatalf("no convergence within %v: %s", limit, last)
		}
		time.Sleep(100 * time.Millisecond) // polling interval of the deadline loop
	}
}

// eventually checks cond every 50 ms until it holds or limit passes.
func eventually(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond) // polling interval of the deadline loop
	}
	return true
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// TestClusterConverges: three instances and one Redis host one session;
// attendees on all three vote; every display shows the export's counts at
// the export's offset.
func TestClusterConverges(t *testing.T) {
	start := time.Now()
	c := startCluster(t, 3, redistest.Options{AOF: true})
	t.Logf("redis and 3 instances ready in %v", time.Since(start).Round(time.Millisecond))
	r := openRoom(t, c, 1)
	phones := r.join(60, clientOpts{reconnect: true, retry: true})
	t.Logf("60 phones joined and connected in %v", time.Since(start).Round(time.Millisecond))

	voting := time.Now()
	for _, p := range phones {
		p.vote(r.poll)
	}
	waitAcks(t, phones, 30*time.Second)
	t.Logf("60 votes acked in %v", time.Since(voting).Round(time.Millisecond))
	w := want(phones)
	x := r.converge(c.nodes[0], w, 60, 20*time.Second)
	r.logDuplicates(x, 0)
	if x.Participants != 60 {
		t.Errorf("export participants %d, want 60", x.Participants)
	}
	// Every instance exports the same.
	for _, s := range c.nodes[1:] {
		y, p, err := r.export(s)
		if err != nil || y.Offset != x.Offset || !equal(p.counts(), w) {
			t.Errorf("export from %s: offset %d counts %v (%v); from %s: offset %d counts %v", s.Addr, y.Offset, p.counts(), err, c.nodes[0].Addr, x.Offset, w)
		}
	}
}

// TestClusterInstanceKilled kills -9 one instance while votes are in
// flight: its phones reconnect to the others and resend their unanswered
// votes with the same ids, and the export counts every acked vote once.
func TestClusterInstanceKilled(t *testing.T) {
	c := startCluster(t, 3, redistest.Options{AOF: true})
	r := openRoom(t, c, 1)
	phones := r.join(45, clientOpts{reconnect: true, retry: true})
	const victim = 2
	var onVictim, elsewhere []*phone
	for _, p := range phones {
		if p.home == victim {
			onVictim = append(onVictim, p)
		} else {
			elsewhere = append(elsewhere, p)
		}
	}
	third := len(onVictim) / 3
	acked, inFlight, frozen := onVictim[:third], onVictim[third:2*third], onVictim[2*third:]

	// Votes everywhere; a third of the victim's phones get their ack from
	// it before it dies.
	for _, p := range append(elsewhere, acked...) {
		p.vote(r.poll)
	}
	waitAcks(t, acked, 15*time.Second)
	// Another third is sent just before the victim freezes: some may be
	// applied with their ack never written. The rest is sent to the frozen
	// instance, so certainly unanswered when it dies (they wait in its
	// socket buffers). Then kill -9.
	for _, p := range inFlight {
		p.vote(r.poll)
	}
	if err := c.nodes[victim].Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if err := c.nodes[victim].WaitStopped(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	for _, p := range frozen {
		p.vote(r.poll)
	}
	killed := time.Now()
	c.nodes[victim].Kill()
	unanswered := 0
	for _, p := range onVictim {
		unanswered += p.pendingCount()
	}
	t.Logf("killed instance %d with %d of its %d phones' votes unanswered", victim, unanswered, len(onVictim))
	if unanswered < len(frozen) {
		t.Fatalf("only %d votes unanswered at the kill; %d were sent to a frozen instance", unanswered, len(frozen))
	}

	waitAcks(t, phones, 60*time.Second)
	t.Logf("every vote acked %v after the kill", time.Since(killed).Round(time.Millisecond))
	// Phones with nothing pending notice the dead socket on their own
	// schedule (with backoff): wait for each to move.
	moveDeadline := time.Now().Add(30 * time.Second)
	resent := 0
	for _, p := range onVictim {
		for {
			p.mu.Lock()
			moved, welcomes, at := p.welcomes >= 2 && p.at != victim, p.welcomes, p.at
			p.mu.Unlock()
			if moved {
				break
			}
			if time.Now().After(moveDeadline) {
				t.Errorf("%s did not move to another instance (welcomes %d, on %d)", p.name, welcomes, at)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		p.mu.Lock()
		resent += p.resent
		p.mu.Unlock()
	}
	t.Logf("%d commands resent after reconnecting", resent)
	if resent < len(frozen) {
		t.Errorf("only %d commands resent; %d were unanswered on the frozen instance", resent, len(frozen))
	}

	// A last change every display sees, so that all of them end on the
	// export's offset whatever duplicates the resends appended.
	r.fac.must("activity.close", map[string]any{"activity": r.poll})
	w := want(phones)
	if sum(w) != len(phones) {
		t.Fatalf("%d acked votes, want %d", sum(w), len(phones))
	}
	r.logDuplicates(r.converge(c.nodes[0], w, len(phones), 20*time.Second), 0)
}

// TestClusterRedisRestart restarts redis-server (AOF, fsync always) in the
// middle of a session: while it is down the instances are not ready and
// votes are refused with retryable errors; then the instances recover, the
// refused votes are resent and counted, no acked vote is lost, and votes
// after the restart reach the displays of every instance.
func TestClusterRedisRestart(t *testing.T) {
	c := startCluster(t, 3, redistest.Options{FsyncAlways: true})
	r := openRoom(t, c, 1)
	phones := r.join(30, clientOpts{reconnect: true, retry: true})
	before, during, after := phones[:10], phones[10:20], phones[20:]

	for _, p := range before {
		p.vote(r.poll)
	}
	waitAcks(t, before, 20*time.Second)
	r.converge(c.nodes[0], want(before), len(before), 20*time.Second)

	// Redis goes down (SIGTERM: the append-only file is flushed) and stays
	// down until every instance says it is not ready and a vote sent
	// meanwhile has been refused with a retryable error; then it comes back
	// from its append-only file on the same port.
	down := time.Now()
	c.redis.Down()
	for i, s := range c.nodes {
		if !eventually(10*time.Second, func() bool {
			st, err := s.ReadyStatus(context.Background())
			return err == nil && st == http.StatusServiceUnavailable
		}) {
			t.Fatalf("instance %d: /readyz did not answer 503 within 10 s of Redis going down", i)
		}
		t.Logf("instance %d: /readyz 503 %v after Redis went down", i, time.Since(down).Round(time.Millisecond))
	}
	t.Logf("every instance answers /readyz 503 %v after Redis went down", time.Since(down).Round(time.Millisecond))
	for _, p := range during {
		p.vote(r.poll)
	}
	if !eventually(10*time.Second, func() bool {
		for _, p := range during {
			p.mu.Lock()
			n := len(p.errs)
			p.mu.Unlock()
			if n > 0 {
				return true
			}
		}
		return false
	}) {
		t.Fatal("no vote sent while Redis was down got an error within 10 s")
	}
	c.redis.Up()
	up := time.Now()
	t.Logf("redis-server back after %v down", up.Sub(down).Round(time.Millisecond))
	c.waitReady(t, 30*time.Second)
	t.Logf("every instance ready %v after Redis came back", time.Since(up).Round(time.Millisecond))
	// The phones resend what was refused, with the same ids.
	waitAcks(t, during, 45*time.Second)
	retried := 0
	for _, p := range during {
		p.mu.Lock()
		for _, e := range p.errs {
			if !e.Retryable || e.Code != "unavailable" {
				t.Errorf("%s: %s %q while Redis was down, want internal and retryable", p.name, e.Code, e.Message)
			}
			retried++
		}
		p.mu.Unlock()
	}
	t.Logf("votes sent while Redis was down acked %v after it came back (%d retryable errors on the way)", time.Since(up).Round(time.Millisecond), retried)

	for _, p := range after {
		p.vote(r.poll)
	}
	waitAcks(t, after, 20*time.Second)
	r.converge(c.nodes[0], want(phones), len(phones), 20*time.Second)
	r.fac.must("activity.close", map[string]any{"activity": r.poll})
	r.logDuplicates(r.converge(c.nodes[2], want(phones), len(phones), 20*time.Second), 0)
}

// TestClusterRedisStopped freezes redis-server with SIGSTOP: a vote gets a
// retryable "unavailable" error in bounded time and /readyz answers 503; after
// SIGCONT the same command, resent with the same id, is acked and counted
// once.
func TestClusterRedisStopped(t *testing.T) {
	const (
		freeze = 4 * time.Second
		// hangBound is far above the append timeout (2 s): an answer later
		// than this means the command hung on the frozen Redis.
		hangBound = 8 * time.Second
	)
	c := startCluster(t, 2, redistest.Options{FsyncAlways: true})
	r := openRoom(t, c, 1)
	phones := r.join(2, clientOpts{})
	first, second := phones[0], phones[1]
	first.vote(r.poll)
	waitAcks(t, phones[:1], 15*time.Second)
	r.converge(c.nodes[1], want(phones[:1]), 1, 20*time.Second)

	c.redis.Stop()
	stopped := time.Now()
	continued := false
	defer func() {
		if !continued {
			c.redis.Continue()
		}
	}()
	// /readyz of both instances, watched while Redis is frozen.
	type ready struct {
		node   int
		at     time.Duration
		status int
	}
	readyc := make(chan ready, len(c.nodes))
	for i, s := range c.nodes {
		go func() {
			for time.Since(stopped) < freeze {
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				st, err := s.ReadyStatus(ctx)
				cancel()
				if err == nil && st == http.StatusServiceUnavailable {
					readyc <- ready{i, time.Since(stopped), st}
					return
				}
				time.Sleep(100 * time.Millisecond) // between probes
			}
			readyc <- ready{i, time.Since(stopped), 0}
		}()
	}

	second.vote(r.poll)
	sent := time.Now()
	m, ok := second.answer(second.voteID, hangBound)
	took := time.Since(sent)
	if !ok {
		t.Fatalf("no answer to a vote within %v while Redis was frozen: the command hangs", hangBound)
	}
	t.Logf("vote answered %v after it was sent to an instance whose Redis is frozen: %s %q retryable=%v",
		took.Round(time.Millisecond), m.Code, m.Message, m.Retryable)
	if m.Type != "error" || m.Code != "unavailable" || !m.Retryable {
		t.Fatalf("answer while Redis is frozen: %+v, want an unavailable retryable error", m)
	}
	for range c.nodes {
		rd := <-readyc
		if rd.status != http.StatusServiceUnavailable {
			t.Errorf("instance %d: /readyz never answered 503 during the %v freeze", rd.node, freeze)
		} else {
			t.Logf("instance %d: /readyz 503 %v after the freeze began", rd.node, rd.at.Round(time.Millisecond))
		}
	}
	if wait := freeze - time.Since(stopped); wait > 0 {
		time.Sleep(wait) // the fault's duration, not a wait for a condition
	}
	c.redis.Continue()
	continued = true
	resumed := time.Now()

	// The same id again, as a page does after a retryable error, a bounded
	// number of times.
	var final message
	for try := 1; try <= 5; try++ {
		second.resend(second.voteID)
		m, ok := second.answer(second.voteID, hangBound)
		if !ok {
			t.Fatalf("resend %d: no answer within %v after SIGCONT", try, hangBound)
		}
		final = m
		if m.Type == "ack" || !m.Retryable {
			t.Logf("resend %d answered %s %v after SIGCONT", try, m.Type, time.Since(resumed).Round(time.Millisecond))
			break
		}
		time.Sleep(500 * time.Millisecond << try) // backoff before the next retry
	}
	if final.Type != "ack" {
		t.Fatalf("the resent vote: %+v, want an ack", final)
	}
	c.waitReady(t, 20*time.Second)
	t.Logf("instances ready %v after SIGCONT", time.Since(resumed).Round(time.Millisecond))
	r.fac.must("activity.close", map[string]any{"activity": r.poll})
	r.logDuplicates(r.converge(c.nodes[0], want(phones), 2, 20*time.Second), 0)
}

// TestClusterHelloWhileRedisFrozen: a phone says hello to an instance that
// does not host its session yet while Redis is frozen. That may pass, so
// it is answered unavailable and 1013, never unauthorized and 1008: the
// phone keeps its token, reconnects once Redis is back, and is one
// participant with one vote.
func TestClusterHelloWhileRedisFrozen(t *testing.T) {
	const freeze = 4 * time.Second
	c := startCluster(t, 2, redistest.Options{FsyncAlways: true})
	var sess Created
	postJSON(t, c.nodes[1].URL()+"/api/sessions", map[string]string{"title": "Frozen"}, &sess)
	// Everything happens on instance 1, so instance 0 hosts nothing.
	fac := connect(t, "host", sess.FacilitatorKey, c.addrs()[1:], 0, clientOpts{reconnect: true, retry: true})
	ack := fac.must("activity.create", map[string]any{"activity": map[string]any{"kind": "poll", "title": "Q", "options": clusterOptions}})
	var poll string
	json.Unmarshal(ack.Activity, &poll)
	fac.must("activity.open", map[string]any{"activity": poll})
	fac.must("activity.present", map[string]any{"activity": poll})
	var j struct {
		Token string `json:"token"`
	}
	postJSON(t, c.nodes[1].URL()+"/api/join", map[string]string{"code": sess.Code}, &j)

	c.redis.Stop()
	continued := make(chan struct{})
	go func() {
		defer close(continued)
		time.Sleep(freeze) // the fault's duration, not a wait for a condition
		c.redis.Continue()
	}()
	defer func() { <-continued }()
	// connect waits for the welcome, through the refusals during the freeze.
	phone := connect(t, "phone", j.Token, c.addrs()[:1], 0, clientOpts{reconnect: true, retry: true})
	phone.mu.Lock()
	errs, closes := append([]message(nil), phone.errs...), append([]websocket.StatusCode(nil), phone.closes...)
	phone.mu.Unlock()
	if len(errs) == 0 || len(closes) == 0 {
		t.Fatalf("the phone was welcomed at once: Redis was not frozen (errors %v, closes %v)", errs, closes)
	}
	for _, e := range errs {
		if e.Code != "unavailable" || !e.Retryable {
			t.Errorf("hello during the freeze: %+v, want unavailable and retryable", e)
		}
	}
	for _, st := range closes {
		if st != websocket.StatusTryAgainLater {
			t.Errorf("hello during the freeze closed with %v, want 1013", st)
		}
	}
	t.Logf("the phone was refused %d times (%v), then welcomed with the same token", len(errs), closes)
	id := phone.send("vote", map[string]any{"activity": poll, "choices": []int{1}})
	if m, ok := phone.answer(id, 20*time.Second); !ok || m.Type != "ack" {
		t.Fatalf("vote after the freeze: %+v %v", m, ok)
	}
	var x struct {
		Participants int `json:"participants"`
		Activities   []pollView
	}
	req, _ := http.NewRequest("GET", c.nodes[0].URL()+"/api/sessions/"+sess.ID+"/export", nil)
	req.Header.Set("Authorization", "Bearer "+sess.FacilitatorKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&x); err != nil || len(x.Activities) != 1 {
		t.Fatalf("export: %v %+v", err, x)
	}
	if x.Participants != 1 || !equal(x.Activities[0].counts(), []int{0, 1, 0, 0}) {
		t.Fatalf("export after the freeze: %d participants, votes %v; want 1 and one vote for option 1", x.Participants, x.Activities[0].counts())
	}
}

// TestClusterDeleteSession deletes a session whose clients are on three
// instances: every client is told not_found and closed with 1008, /readyz
// stays 200 everywhere (a deletion is not a store that lost data), and
// another session goes on.
func TestClusterDeleteSession(t *testing.T) {
	c := startCluster(t, 3, redistest.Options{})
	doomed := openRoom(t, c, 0)
	kept := openRoom(t, c, 1)
	phones := doomed.join(3, clientOpts{})
	req, _ := http.NewRequest("DELETE", c.nodes[2].URL()+"/api/sessions/"+doomed.created.ID, nil)
	req.Header.Set("Authorization", "Bearer "+doomed.created.FacilitatorKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %d", res.StatusCode)
	}
	clients := append(phonesClients(phones), doomed.fac)
	clients = append(clients, doomed.displays...)
	for _, cl := range clients {
		if !cl.waitFor(20*time.Second, func() bool {
			gotErr := false
			for _, e := range cl.errs {
				gotErr = gotErr || e.Code == "not_found"
			}
			closed := false
			for _, st := range cl.closes {
				closed = closed || st == websocket.StatusPolicyViolation
			}
			return gotErr && closed
		}) {
			cl.mu.Lock()
			t.Fatalf("%s on %s: no not_found and 1008 after the delete (errors %v, closes %v)", cl.name, cl.where(), cl.errs, cl.closes)
		}
	}
	for i, s := range c.nodes {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := s.ReadyStatus(ctx)
		cancel()
		if err != nil || st != http.StatusOK {
			t.Errorf("instance %d: /readyz %d %v after a delete", i, st, err)
		}
	}
	more := kept.join(3, clientOpts{})
	for _, p := range more {
		p.vote(kept.poll)
	}
	waitAcks(t, more, 20*time.Second)
	kept.converge(c.nodes[0], want(more), 3, 20*time.Second)
}

// rawAppend writes an entry into a session's stream the way the Redis log's
// append script does: the next offset from th:{s}:last as the stream id
// "<offset>-0", the time stamp in "t", the counter advanced, and
// "offset|stamp|data" published on th:{s}:events. field is where the event
// data goes ("e" for the log's own entries).
var rawAppend = redis.NewScript(`
local off = (tonumber(redis.call('GET', KEYS[1])) or 0) + 1
local lt = tonumber(redis.call('GET', KEYS[2])) or 0
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000000 + tonumber(now[2])
if t < lt then t = lt end
local stamp = string.format('%d', t)
redis.call('XADD', KEYS[3], string.format('%d-0', off), ARGV[1], ARGV[2], 't', stamp)
redis.call('SET', KEYS[1], string.format('%d', off))
redis.call('SET', KEYS[2], stamp)
redis.call('PUBLISH', ARGV[3], string.format('%d', off) .. '|' .. stamp .. '|' .. ARGV[2])
return off
`)

// TestRedisMalformedEvent writes damaged entries into a session's stream
// by hand: every instance logs an error, skips them, and the session goes
// on.
func TestRedisMalformedEvent(t *testing.T) {
	c := startCluster(t, 3, redistest.Options{AOF: true})
	r := openRoom(t, c, 1)
	phones := r.join(3, clientOpts{reconnect: true, retry: true})
	phones[0].vote(r.poll)
	waitAcks(t, phones[:1], 15*time.Second)
	r.converge(c.nodes[0], want(phones[:1]), 1, 20*time.Second)

	rdb := redis.NewClient(&redis.Options{Addr: c.redis.Addr, DisableIdentity: true})
	defer rdb.Close()
	key := func(name string) string { return "th:{" + r.created.ID + "}:" + name }
	var bad []int64
	for _, data := range []string{
		`{"o":0,"a":"p9","c":{"op":"vote","choi`, // cut short
		`[1, 2, 3]`,                              // JSON, but not an event
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		off, err := rawAppend.Run(ctx, rdb, []string{key("last"), key("time"), key("log")}, "e", data, key("events")).Int64()
		cancel()
		if err != nil {
			t.Fatalf("writing a malformed entry: %v", err)
		}
		bad = append(bad, off)
	}
	t.Logf("malformed entries at offsets %v", bad)

	for _, p := range phones[1:] {
		p.vote(r.poll)
	}
	waitAcks(t, phones, 15*time.Second)
	x := r.converge(c.nodes[2], want(phones), len(phones), 20*time.Second)
	r.logDuplicates(x, len(bad))
	if x.Offset <= uint64(bad[len(bad)-1]) {
		t.Errorf("export offset %d is not past the malformed entries %v", x.Offset, bad)
	}
	// An instance started now reads the damaged entries from the stream
	// (not from pub/sub) when it loads the session, and skips them too.
	late := c.newNode(t)
	if err := late.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.nodes = append(c.nodes, late)
	r.displays = append(r.displays, connect(t, "display-late", r.created.DisplayKey, c.addrs(), len(c.nodes)-1, clientOpts{}))
	r.converge(late, want(phones), len(phones), 20*time.Second)

	// Every instance hosting the session said what it skipped.
	for i, s := range c.nodes {
		deadline := time.Now().Add(10 * time.Second)
		for {
			missing := []int64{}
			for _, off := range bad {
				if !logged(s.Logs(), "skipping a malformed event", fmt.Sprintf("offset=%d", off)) {
					missing = append(missing, off)
				}
			}
			if len(missing) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("instance %d logged no error for the malformed entries at %v:\n%s", i, missing, s.Logs())
			}
			time.Sleep(100 * time.Millisecond) // polling interval of the deadline loop
		}
	}
}

// logged says whether one line of logs contains every part.
func logged(logs string, parts ...string) bool {
	for _, line := range strings.Split(logs, "\n") {
		all := true
		for _, p := range parts {
			if !strings.Contains(line, p) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// TestRedisUnreachableAtStart starts an instance whose Redis is not there
// yet: it says so, keeps running and retrying, and is ready soon after
// Redis starts.
func TestRedisUnreachableAtStart(t *testing.T) {
	c := &cluster{bin: clusterBinary(t), secret: randomHex(32)}
	c.redis = redistest.Start(t, redistest.Options{AOF: true})
	c.redis.Down() // the port is known and closed
	s := c.newNode(t)
	if err := s.Launch(); err != nil {
		t.Fatal(err)
	}
	exited := s.Exited()
	const msg = "cannot reach Redis; retrying"
	launched := time.Now()
	// Two messages: it retries rather than giving up after one try.
	for strings.Count(s.Logs(), msg) < 2 {
		select {
		case <-exited:
			t.Fatalf("the instance exited while Redis was unreachable:\n%s", s.Logs())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Since(launched) > 15*time.Second {
			t.Fatalf("no %q twice within 15 s:\n%s", msg, s.Logs())
		}
	}
	t.Logf("the instance says, after %v:\n%s", time.Since(launched).Round(time.Millisecond), strings.TrimSpace(s.Logs()))
	if !logged(s.Logs(), msg, c.redis.Addr) {
		t.Errorf("the message does not name the Redis address %s", c.redis.Addr)
	}
	c.redis.Up()
	up := time.Now()
	if err := s.WaitReady(context.Background(), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("ready %v after redis-server started", time.Since(up).Round(time.Millisecond))

	// And it serves.
	c.nodes = []*Server{s}
	r := openRoom(t, c, 0)
	phones := r.join(1, clientOpts{})
	phones[0].vote(r.poll)
	waitAcks(t, phones, 15*time.Second)
	r.converge(s, want(phones), 1, 20*time.Second)
}

// TestClusterRedisLostData restarts Redis without its data (no AOF): the
// instances find the session's log gone, say so on /readyz, and refuse its
// commands with a retryable error instead of starting a second history.
func TestClusterRedisLostData(t *testing.T) {
	c := startCluster(t, 2, redistest.Options{})
	r := openRoom(t, c, 1)
	phones := r.join(2, clientOpts{})
	phones[0].vote(r.poll)
	waitAcks(t, phones[:1], 15*time.Second)
	r.converge(c.nodes[0], want(phones[:1]), 1, 20*time.Second)

	c.redis.Crash() // back at once, empty
	lost := time.Now()
	for i, s := range c.nodes {
		var body string
		if !eventually(20*time.Second, func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/readyz", nil)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return false
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			body = string(b)
			return res.StatusCode == http.StatusServiceUnavailable && strings.Contains(body, r.created.ID)
		}) {
			t.Fatalf("instance %d: /readyz does not report the lost session within 20 s (last: %q)", i, body)
		}
		t.Logf("instance %d: /readyz 503 %v after Redis lost its data: %s", i, time.Since(lost).Round(time.Millisecond), strings.TrimSpace(body))
	}
	phones[1].vote(r.poll)
	m, ok := phones[1].answer(phones[1].voteID, 8*time.Second)
	if !ok {
		t.Fatal("no answer within 8 s to a vote in a session whose log was lost")
	}
	if m.Type != "error" || m.Code != "unavailable" || !m.Retryable {
		t.Fatalf("vote in a session whose log was lost: %+v, want an unavailable retryable error", m)
	}
	t.Logf("vote refused: %s %q", m.Code, m.Message)
	// Nothing was written into the empty Redis under the old session.
	rdb := redis.NewClient(&redis.Options{Addr: c.redis.Addr, DisableIdentity: true})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := rdb.Exists(ctx, "th:{"+r.created.ID+"}:log", "th:{"+r.created.ID+"}:last").Result()
	if err != nil || n != 0 {
		t.Fatalf("the lost session's keys exist again in the new Redis (%d, %v)", n, err)
	}
}
