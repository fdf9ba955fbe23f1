package web

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/hub"
	"github.com/townhall/townhall/session"
)

// faultStore is a real store whose appends and loads can be made to fail
// as a full disk or an unreachable Redis would.
type faultStore struct {
	eventlog.Store
	appends atomic.Bool // fail every Append
	loads   atomic.Bool // fail every Epoch (a hub's first read)
}

var errDiskFull = errors.New("write /data/townhall.db: no space left on device")

func (f *faultStore) Append(ctx context.Context, id string, e session.Event) (uint64, error) {
	if f.appends.Load() {
		return 0, errDiskFull
	}
	return f.Store.Append(ctx, id, e)
}

func (f *faultStore) Epoch(ctx context.Context, id string) (string, error) {
	if f.loads.Load() {
		return "", fmt.Errorf("redis: i/o timeout: %w", eventlog.ErrUnavailable)
	}
	return f.Store.Epoch(ctx, id)
}

// ProbeWrite fails as appends do, so that readiness comes back only when
// writes work again.
func (f *faultStore) ProbeWrite(ctx context.Context) error {
	if f.appends.Load() {
		return errDiskFull
	}
	return nil
}

// newFaultServer is a test server on a fault store, watched as main
// watches the real one.
func newFaultServer(t *testing.T, mod func(*Config, *hub.Config)) (*testServer, *faultStore) {
	t.Helper()
	var fs *faultStore
	s := newTestServer(t, func(w *Config, h *hub.Config) {
		fs = &faultStore{Store: w.Store}
		w.Store = eventlog.Watch(fs)
		if mod != nil {
			mod(w, h)
		}
	})
	return s, fs
}

// rawHello opens a websocket by hand on a plain TCP socket, says hello and
// reads the welcome, and then does nothing: it never answers a ping, as a
// phone behind a dead link would not.
func rawHello(t *testing.T, s *testServer, token string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var nonce [16]byte
	rand.Read(nonce[:])
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		strings.TrimPrefix(s.URL, "http://"), base64.StdEncoding.EncodeToString(nonce[:]))
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", res, err)
	}
	hello, _ := json.Marshal(map[string]any{"type": "hello", "token": token})
	writeMaskedText(t, conn, hello)
	return conn
}

// writeMaskedText writes one client text frame (clients must mask).
func writeMaskedText(t *testing.T, w io.Writer, payload []byte) {
	t.Helper()
	if len(payload) > 125 {
		hdr := []byte{0x81, 0x80 | 126, byte(len(payload) >> 8), byte(len(payload))}
		w.Write(hdr)
	} else {
		w.Write([]byte{0x81, 0x80 | byte(len(payload))})
	}
	mask := []byte{1, 2, 3, 4}
	w.Write(mask)
	b := make([]byte, len(payload))
	for i := range payload {
		b[i] = payload[i] ^ mask[i%4]
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
}

func fastPings(_ *Config, h *hub.Config) {
	h.PingInterval = 100 * time.Millisecond
	h.PongTimeout = 300 * time.Millisecond
}

// A socket that goes silent after its hello (no pong, ever) is closed, and
// counted; the hub lets go of it.
func TestSilentSocketIsClosed(t *testing.T) {
	t.Parallel()
	met := hub.NewMetrics(prometheus.NewRegistry())
	s := newTestServer(t, func(w *Config, h *hub.Config) {
		fastPings(w, h)
		h.Metrics = met
	})
	sess := s.create(t, "Dead zone")
	conn := rawHello(t, s, s.join(t, sess.Code))
	h, release, err := s.hubs.Acquire(context.Background(), sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	eventually(t, "the silent socket registered", func() bool { return h.ConnCount() == 1 })
	// The socket is read to its end (pings, the close frame): reading is
	// what keeps the kernel from holding the server's writes, but nothing
	// is answered.
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.Copy(io.Discard, conn); err != nil {
		t.Fatalf("the server did not close the silent socket: %v", err)
	}
	eventually(t, "the hub let go of it", func() bool { return h.ConnCount() == 0 })
	if n := testutil.ToFloat64(met.Closed.WithLabelValues("no pong")); n != 1 {
		t.Fatalf("townhall_connections_closed_total{reason=\"no pong\"} = %v, want 1", n)
	}
}

// A client that reads (and so answers pings, as browsers and libraries
// do) stays connected through many pings.
func TestReadingIdleClientStays(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, fastPings)
	sess := s.create(t, "Quiet room")
	token := s.join(t, sess.Code)
	var pings atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+"/ws", &websocket.DialOptions{
		OnPingReceived: func(context.Context, []byte) bool { pings.Add(1); return true },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	c := &client{t: t, ws: ws, done: make(chan struct{}), resume: make(chan struct{}, 1)}
	go c.readLoop()
	c.sendRaw(map[string]any{"type": "hello", "token": token})
	c.waitFor("welcome", func(m map[string]any) bool { return m["type"] == "welcome" })
	eventually(t, "five pings answered", func() bool { return pings.Load() >= 5 })
	// Five ping intervals on, past the pong timeout: still open.
	c.sendRaw(map[string]any{"type": "ping"})
	pong := c.waitFor("pong", func(m map[string]any) bool { return m["type"] == "pong" })
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(pong["now"])); err != nil {
		t.Fatalf("pong without the server's time: %v", pong)
	}
}

// exportOffset is the session's offset as the export says.
func exportOffset(t *testing.T, s *testServer, sess created) float64 {
	t.Helper()
	st, body := s.get(t, "/api/sessions/"+sess.ID+"/export", sess.FacilitatorKey)
	if st != 200 {
		t.Fatalf("export: %d %s", st, body)
	}
	var x map[string]any
	json.Unmarshal(body, &x)
	return x["offset"].(float64)
}

// Command ids are required and bounded; nothing is made up for a command
// without one, and a refused id changes nothing.
func TestCommandIDs(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess, host, poll := pollSession(t, s)
	before := exportOffset(t, s, sess)
	long := strings.Repeat("x", 65)
	for name, id := range map[string]any{"none": nil, "empty": "", "too long": long, "space": "c 1", "slash": "c/1", "a number": 17} {
		m := map[string]any{"type": "cmd", "op": "activity.create", "activity": map[string]any{"kind": "qa", "title": "Q " + name}}
		if id != nil {
			m["id"] = id
		}
		host.mu.Lock()
		from := len(host.msgs)
		host.mu.Unlock()
		host.sendRaw(m)
		e := host.waitFrom(from, "the answer to an id "+name, func(m map[string]any) bool { return m["type"] == "error" || m["type"] == "ack" })
		if e["type"] != "error" || e["code"] != "bad_request" || e["message"] == "" {
			t.Errorf("id %s: %v, want bad_request", name, e)
		}
		if e["id"] != nil && e["id"] != "c 1" && e["id"] != "c/1" && e["id"] != "" {
			t.Errorf("id %s: the error names the id %v", name, e["id"])
		}
	}
	if after := exportOffset(t, s, sess); after != before {
		t.Fatalf("offset %v → %v: refused ids changed the log", before, after)
	}
	// The longest and every allowed character are accepted.
	ok := strings.Repeat("A", 60) + "._:-"
	if a := host.cmdID(ok, "activity.close", map[string]any{"activity": poll}); a["type"] != "ack" || a["id"] != ok {
		t.Fatalf("a 64-character id: %v", a)
	}
}

// A text frame that is not UTF-8 closes the connection with 1007, before
// or after the hello.
func TestInvalidUTF8Closes1007(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess, _, poll := pollSession(t, s)
	phone := s.connect(t, s.join(t, sess.Code))
	phone.sendRaw([]byte(`{"type":"cmd","id":"v1","op":"vote","activity":"` + poll + `","choices":[0],"x":"` + "\xff\xfe" + `"}`))
	if st := phone.waitClosed(); st != websocket.StatusInvalidFramePayloadData {
		t.Fatalf("invalid UTF-8 after hello: close %v, want 1007", st)
	}
	early := s.dial(t, nil)
	early.sendRaw([]byte("{\"type\":\"hello\",\"token\":\"\xc3\x28\"}"))
	if st := early.waitClosed(); st != websocket.StatusInvalidFramePayloadData {
		t.Fatalf("invalid UTF-8 hello: close %v, want 1007", st)
	}
}

// A connection that keeps sending commands faster than allowed is closed
// with 4029; one burst is only rate limited (TestBadInput).
func TestFloodingCloses4029(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess, _, poll := pollSession(t, s)
	phone := s.connect(t, s.join(t, sess.Code))
	bystander := s.connect(t, s.join(t, sess.Code))
	for i := 0; i < 400; i++ {
		m := map[string]any{"type": "cmd", "id": fmt.Sprint("f", i), "op": "vote", "activity": poll, "choices": []int{0}}
		b, _ := json.Marshal(m)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := phone.ws.Write(ctx, websocket.MessageText, b)
		cancel()
		if err != nil {
			break // closed under us
		}
	}
	if st := phone.waitClosed(); st != 4029 {
		t.Fatalf("flood: close %v, want 4029", st)
	}
	if a := bystander.cmd("vote", map[string]any{"activity": poll, "choices": []int{1}}); a["type"] != "ack" {
		t.Fatalf("bystander: %v", a)
	}
}

// One attendee token opens at most MaxConnsPerToken sockets; the next is
// refused with limit_reached and 1013, and the others keep working.
func TestSocketsPerToken(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(_ *Config, h *hub.Config) { h.MaxConnsPerToken = 3 })
	sess, _, poll := pollSession(t, s)
	token := s.join(t, sess.Code)
	var open []*client
	for i := 0; i < 3; i++ {
		open = append(open, s.connect(t, token))
	}
	extra := s.dial(t, nil)
	extra.sendRaw(map[string]any{"type": "hello", "token": token})
	extra.waitFor("limit_reached", func(m map[string]any) bool { return m["type"] == "error" && m["code"] == "limit_reached" })
	if st := extra.waitClosed(); st != websocket.StatusTryAgainLater {
		t.Fatalf("fourth socket: close %v, want 1013", st)
	}
	if a := open[2].cmd("vote", map[string]any{"activity": poll, "choices": []int{0}}); a["type"] != "ack" {
		t.Fatalf("an open socket after the refusal: %v", a)
	}
	// Another token is not affected.
	s.connect(t, s.join(t, sess.Code))
}

// A credential whose session does not exist is definitely invalid:
// not_found and 1008.
func TestUnknownSessionIsFinal(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	token := tokens{[]byte("test secret")}.issue(Credentials{Role: session.Display, Session: "nosuchsession"})
	c := s.dial(t, nil)
	c.sendRaw(map[string]any{"type": "hello", "token": token})
	c.waitFor("not_found", func(m map[string]any) bool { return m["type"] == "error" && m["code"] == "not_found" })
	if st := c.waitClosed(); st != websocket.StatusPolicyViolation {
		t.Fatalf("unknown session: close %v, want 1008", st)
	}
}

// A store that cannot be read when a phone says hello is a failure that
// may pass: unavailable, retryable, close 1013, and the same token works
// once it is back; its vote counts once, and it is one participant.
func TestUnavailableAtHelloIsRetryable(t *testing.T) {
	t.Parallel()
	s, fs := newFaultServer(t, func(_ *Config, h *hub.Config) { h.IdleClose = time.Millisecond })
	sess, host, poll := pollSession(t, s)
	token := s.join(t, sess.Code)
	host.ws.CloseNow()
	// The session's hub closes with its last user, so the next hello loads
	// it again (as on an instance that does not host it yet).
	eventually(t, "the hub to close", func() bool { return len(s.hubs.Hosted()) == 0 })
	fs.loads.Store(true)
	c := s.dial(t, nil)
	c.sendRaw(map[string]any{"type": "hello", "token": token})
	e := c.waitFor("unavailable", func(m map[string]any) bool { return m["type"] == "error" })
	if e["code"] != "unavailable" || e["retryable"] != true {
		t.Fatalf("hello while the store is unreachable: %v", e)
	}
	if st := c.waitClosed(); st != websocket.StatusTryAgainLater {
		t.Fatalf("close %v, want 1013", st)
	}
	fs.loads.Store(false)
	phone := s.connect(t, token)
	for i := 0; i < 2; i++ { // a resend after a lost ack
		if a := phone.cmdID("v1", "vote", map[string]any{"activity": poll, "choices": []int{2}}); a["type"] != "ack" {
			t.Fatalf("vote after the store came back: %v", a)
		}
	}
	_, body := s.get(t, "/api/sessions/"+sess.ID+"/export", sess.FacilitatorKey)
	var x struct {
		Participants int
		Activities   []map[string]any
	}
	json.Unmarshal(body, &x)
	if x.Participants != 1 || fmt.Sprint(votesOf(x.Activities[0])) != "[0 0 1]" {
		t.Fatalf("export: %s", body)
	}
}

// While appends fail (a full disk), /readyz answers 503 and commands are
// answered unavailable and retryable; nothing acked is lost, and readiness
// comes back with the disk.
func TestFailingAppendsMakeUnready(t *testing.T) {
	t.Parallel()
	s, fs := newFaultServer(t, nil)
	sess, _, poll := pollSession(t, s)
	phone := s.connect(t, s.join(t, sess.Code))
	if a := phone.cmdID("v1", "vote", map[string]any{"activity": poll, "choices": []int{0}}); a["type"] != "ack" {
		t.Fatal(a)
	}
	ready := func() int { st, _ := s.get(t, "/readyz", ""); return st }
	if st := ready(); st != 200 {
		t.Fatalf("/readyz before the fault: %d", st)
	}
	fs.appends.Store(true)
	e := phone.cmdID("v2", "vote", map[string]any{"activity": poll, "choices": []int{1}})
	if e["code"] != "unavailable" || e["retryable"] != true {
		t.Fatalf("vote on a full disk: %v", e)
	}
	if st := ready(); st != http.StatusServiceUnavailable {
		t.Fatalf("/readyz while appends fail: %d, want 503", st)
	}
	fs.appends.Store(false)
	if st := ready(); st != 200 {
		t.Fatalf("/readyz after the disk came back: %d", st)
	}
	if a := phone.cmdID("v2", "vote", map[string]any{"activity": poll, "choices": []int{1}}); a["type"] != "ack" {
		t.Fatalf("the retry: %v", a)
	}
	_, body := s.get(t, "/api/sessions/"+sess.ID+"/export", sess.FacilitatorKey)
	var x struct{ Activities []map[string]any }
	json.Unmarshal(body, &x)
	if got := fmt.Sprint(votesOf(x.Activities[0])); got != "[0 1 0]" {
		t.Fatalf("votes after the fault: %s (the retried vote replaces the first)", got)
	}
}

// An attendee's own data ("you") is sent only for the presented activity,
// and arrives for the new one when the facilitator presents another.
func TestYouOnlyForThePresented(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess, host, poll := pollSession(t, s)
	phone := s.connect(t, s.join(t, sess.Code))
	if a := phone.cmd("vote", map[string]any{"activity": poll, "choices": []int{1}}); a["type"] != "ack" {
		t.Fatal(a)
	}
	phone.waitFor("you for the poll", func(m map[string]any) bool { return m["type"] == "you" && m["activity"] == poll })
	draft := host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "poll", "title": "Later", "options": []string{"a", "b"}}})["activity"]
	host.cmd("activity.present", map[string]any{"activity": draft})
	phone.waitFor("you for the draft", func(m map[string]any) bool { return m["type"] == "you" && m["activity"] == draft })
	// A new phone gets "you" for the presented activity only.
	late := s.connect(t, s.join(t, sess.Code))
	late.waitFor("you for the draft", func(m map[string]any) bool { return m["type"] == "you" && m["activity"] == draft })
	host.cmd("activity.present", map[string]any{"activity": poll})
	phone.waitFor("you for the poll again", func(m map[string]any) bool {
		return m["type"] == "you" && m["activity"] == poll && fmt.Sprint(m["choices"]) == "[1]"
	})
	late.waitFor("you for the poll", func(m map[string]any) bool { return m["type"] == "you" && m["activity"] == poll })
	if n := late.count(func(m map[string]any) bool {
		return m["type"] == "you" && m["activity"] != draft && m["activity"] != poll
	}); n != 0 {
		t.Fatalf("%d you messages for other activities", n)
	}
}

// DELETE /api/sessions/{id}: the session is gone, its clients are told
// not_found and closed with 1008, the instance stays ready, and another
// session is untouched.
func TestDeleteSession(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess, host, _ := pollSession(t, s)
	other, otherHost, otherPoll := pollSession(t, s)
	phone := s.connect(t, s.join(t, sess.Code))
	display := s.connect(t, sess.DisplayKey)
	del := func(key string) int {
		req, _ := http.NewRequest("DELETE", s.URL+"/api/sessions/"+sess.ID, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := del(sess.DisplayKey); st != http.StatusUnauthorized {
		t.Fatalf("delete with the display key: %d", st)
	}
	if st := del(other.FacilitatorKey); st != http.StatusUnauthorized {
		t.Fatalf("delete with another session's key: %d", st)
	}
	if st := del(sess.FacilitatorKey); st != http.StatusNoContent {
		t.Fatalf("delete: %d", st)
	}
	for _, c := range []*client{host, phone, display} {
		c.waitFor("not_found", func(m map[string]any) bool { return m["type"] == "error" && m["code"] == "not_found" })
		if st := c.waitClosed(); st != websocket.StatusPolicyViolation {
			t.Fatalf("a client of the deleted session: close %v, want 1008", st)
		}
	}
	if st, body := s.get(t, "/readyz", ""); st != 200 {
		t.Fatalf("/readyz after a delete: %d %s", st, body)
	}
	if st, _ := s.get(t, "/api/sessions/"+sess.ID+"/export", sess.FacilitatorKey); st != http.StatusNotFound {
		t.Fatalf("export of a deleted session: %d", st)
	}
	if st := del(sess.FacilitatorKey); st != http.StatusNotFound {
		t.Fatalf("delete twice: %d", st)
	}
	again := s.dial(t, nil)
	again.sendRaw(map[string]any{"type": "hello", "token": sess.FacilitatorKey})
	again.waitFor("not_found", func(m map[string]any) bool { return m["type"] == "error" && m["code"] == "not_found" })
	if st := again.waitClosed(); st != websocket.StatusPolicyViolation {
		t.Fatalf("hello to a deleted session: close %v", st)
	}
	if st, out, _ := s.post(t, "/api/join", map[string]string{"code": sess.Code}); st != http.StatusNotFound {
		t.Fatalf("join a deleted session: %d %v", st, out)
	}
	if a := otherHost.cmd("activity.close", map[string]any{"activity": otherPoll}); a["type"] != "ack" {
		t.Fatalf("the other session: %v", a)
	}
}

// The retention sweep deletes sessions that ended before the cutoff, and
// no live one.
func TestDeleteEnded(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	ended, host, _ := pollSession(t, s)
	live, _, _ := pollSession(t, s)
	if a := host.cmd("session.end", nil); a["type"] != "ack" {
		t.Fatal(a)
	}
	if n, err := s.hubs.DeleteEnded(context.Background(), time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("a sweep with a cutoff before the end deleted %d (%v)", n, err)
	}
	n, err := s.hubs.DeleteEnded(context.Background(), time.Now().Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("the sweep deleted %d sessions (%v), want the ended one", n, err)
	}
	if st, _ := s.get(t, "/api/sessions/"+ended.ID+"/export", ended.FacilitatorKey); st != http.StatusNotFound {
		t.Fatalf("the ended session: export %d", st)
	}
	if st, _ := s.get(t, "/api/sessions/"+live.ID+"/export", live.FacilitatorKey); st != 200 {
		t.Fatalf("the live session: export %d", st)
	}
}

// A console opened elsewhere, with the facilitator key only, gets the
// session's links again: the display link and the join link with its key.
func TestSessionLinks(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	st, created, _ := s.post(t, "/api/sessions", map[string]string{"title": "Links"})
	if st != http.StatusCreated {
		t.Fatal(st, created)
	}
	id, key := created["id"].(string), created["facilitatorKey"].(string)
	st, body := s.get(t, "/api/sessions/"+id+"/links", key)
	var got map[string]any
	json.Unmarshal(body, &got)
	if st != 200 || got["joinKey"] != created["joinKey"] || fmt.Sprint(got["links"]) != fmt.Sprint(created["links"]) {
		t.Fatalf("links: %d %s\nwant %v", st, body, created)
	}
	if st, _ := s.get(t, "/api/sessions/"+id+"/links", created["displayKey"].(string)); st != http.StatusUnauthorized {
		t.Fatalf("links with the display key: %d", st)
	}
}

// A refusal a page shows carries what it needs to say it in the page's
// language: the cap and its number, or who has the floor.
func TestRefusalsCarryTheirReason(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(_ *Config, h *hub.Config) { h.Limits.QAEntriesPerParticipant = 1 })
	sess := s.create(t, "Reasons")
	host := s.connect(t, sess.FacilitatorKey)
	qa := host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "qa", "title": "Q"}})["activity"]
	host.cmd("activity.present", map[string]any{"activity": qa})
	host.cmd("activity.open", map[string]any{"activity": qa})
	phone := s.connect(t, s.join(t, sess.Code))
	if a := phone.cmd("qa.ask", map[string]any{"activity": qa, "text": "First?"}); a["type"] != "ack" {
		t.Fatal(a)
	}
	e := phone.cmd("qa.ask", map[string]any{"activity": qa, "text": "Second?"})
	if e["code"] != "limit_reached" || e["reason"] != "qa_per_participant" || e["max"] != float64(1) {
		t.Fatalf("the second question: %v", e)
	}
	e = host.cmd("activity.open", map[string]any{"activity": qa})
	if e["code"] != "conflict" || e["reason"] != "already_open" {
		t.Fatalf("open twice: %v", e)
	}
	e = host.cmd("activity.present", map[string]any{"activity": "", "current": "a999"})
	if e["code"] != "conflict" || e["reason"] != "presented_other" || e["name"] != "Q" {
		t.Fatalf("a stale present: %v", e)
	}
}
