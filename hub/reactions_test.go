package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/hub"
	"github.com/townhall/townhall/internal/redistest"
	"github.com/townhall/townhall/session"
	"github.com/townhall/townhall/web"
)

// rxInstance is one Townhall instance of a reactions test: a hub manager
// and the web server over a store.
type rxInstance struct {
	url   string
	store eventlog.Store
}

// rxStart serves store on a loopback port until the test ends.
func rxStart(t *testing.T, store eventlog.Store, tallies eventlog.Tallies, mod ...func(*hub.Config)) *rxInstance {
	t.Helper()
	cfg := hub.Config{Tallies: tallies, TallyInterval: 300 * time.Millisecond}
	for _, f := range mod {
		f(&cfg)
	}
	hubs := hub.NewManager(store, cfg)
	srv := httptest.NewServer(web.New(web.Config{Store: store, Hubs: hubs, Secret: []byte("reactions test secret"), Gatherer: prometheus.NewRegistry(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hubs.Shutdown(ctx)
		srv.Close()
	})
	return &rxInstance{url: srv.URL, store: store}
}

func rxPost(t *testing.T, url string, body any, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post(url, "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %s", url, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

type rxSession struct {
	ID, Code, FacilitatorKey, DisplayKey string
}

func rxCreate(t *testing.T, in *rxInstance) rxSession {
	var s rxSession
	rxPost(t, in.url+"/api/sessions", map[string]string{"title": "Warm-up"}, &s)
	return s
}

func rxJoin(t *testing.T, in *rxInstance, code string) string {
	var j struct{ Token string }
	rxPost(t, in.url+"/api/join", map[string]string{"code": code}, &j)
	return j.Token
}

// rxClient is a websocket client that keeps every message it reads.
type rxClient struct {
	t    *testing.T
	c    *websocket.Conn
	mu   sync.Mutex
	msgs []map[string]any
	seq  int
}

func rxDial(t *testing.T, in *rxInstance, token string) *rxClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(in.url, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(1 << 20)
	cl := &rxClient{t: t, c: c}
	t.Cleanup(func() { c.CloseNow() })
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"hello","token":"`+token+`"}`)); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			_, b, err := c.Read(context.Background())
			if err != nil {
				return
			}
			var m map[string]any
			if json.Unmarshal(b, &m) == nil {
				cl.mu.Lock()
				cl.msgs = append(cl.msgs, m)
				cl.mu.Unlock()
			}
		}
	}()
	cl.wait("its welcome", func(m map[string]any) bool { return m["type"] == "welcome" })
	return cl
}

// send sends a command and returns its id.
func (c *rxClient) send(op string, args map[string]any) string {
	c.t.Helper()
	c.mu.Lock()
	c.seq++
	id := fmt.Sprintf("c%d", c.seq)
	c.mu.Unlock()
	m := map[string]any{"type": "cmd", "id": id, "op": op}
	for k, v := range args {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.c.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
	return id
}

// answer waits for the ack or error of id.
func (c *rxClient) answer(id string) map[string]any {
	c.t.Helper()
	return c.wait("the answer to "+id, func(m map[string]any) bool {
		return (m["type"] == "ack" || m["type"] == "error") && m["id"] == id
	})
}

func (c *rxClient) cmd(op string, args map[string]any) map[string]any {
	c.t.Helper()
	a := c.answer(c.send(op, args))
	if a["type"] != "ack" {
		c.t.Fatalf("%s: %v", op, a)
	}
	return a
}

func (c *rxClient) wait(what string, ok func(map[string]any) bool) map[string]any {
	c.t.Helper()
	var found map[string]any
	waitFor(c.t, what, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, m := range c.msgs {
			if ok(m) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// reacted sums the counts of every "reactions" push received.
func (c *rxClient) reacted() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	sum := map[string]int{}
	for _, m := range c.msgs {
		if m["type"] != "reactions" {
			continue
		}
		for k, v := range m["counts"].(map[string]any) {
			if n := int(v.(float64)); n != 0 {
				sum[k] += n
			}
		}
	}
	return sum
}

func rxExported(t *testing.T, in *rxInstance, s rxSession) map[string]int {
	t.Helper()
	req, _ := http.NewRequest("GET", in.url+"/api/sessions/"+s.ID+"/export", nil)
	req.Header.Set("Authorization", "Bearer "+s.FacilitatorKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var x struct {
		Reactions []struct{ Counts map[string]int }
	}
	if err := json.NewDecoder(res.Body).Decode(&x); err != nil {
		t.Fatal(err)
	}
	sum := map[string]int{}
	for _, m := range x.Reactions {
		for k, v := range m.Counts {
			if v != 0 {
				sum[k] += v
			}
		}
	}
	return sum
}

func rxEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Two instances on one real Redis: phones on both tap, and the display
// and facilitator, each on its own instance, see the counts of both,
// each tap once; the export has them all; and the log holds a few tally
// events, not one per tap.
func TestReactionsSumAcrossInstances(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.Options{})
	var ins []*rxInstance
	for range 2 {
		store, err := eventlog.OpenRedis(t.Context(), eventlog.RedisConfig{URL: srv.URL()})
		if err != nil {
			t.Fatal(err)
		}
		tallies := eventlog.NewRedisTallies(store)
		// Cleanups run last first: the instance stops, then its tallies,
		// then its store.
		t.Cleanup(func() { store.Close() })
		t.Cleanup(func() { tallies.Close() })
		ins = append(ins, rxStart(t, store, tallies))
	}
	a, b := ins[0], ins[1]
	s := rxCreate(t, a)
	host := rxDial(t, a, s.FacilitatorKey)
	display := rxDial(t, b, s.DisplayKey)
	host.cmd(session.OpUpdate, map[string]any{"reactions": true})
	off0, err := a.store.LastOffset(t.Context(), s.ID)
	if err != nil {
		t.Fatal(err)
	}

	const perInstance = 6
	var phones []*rxClient
	for i := range 2 * perInstance {
		in := ins[i%2]
		phones = append(phones, rxDial(t, in, rxJoin(t, in, s.Code)))
	}
	off1, _ := a.store.LastOffset(t.Context(), s.ID)
	want := map[string]int{}
	taps := 0
	// Three rounds a second apart: each phone's two taps a second count.
	for round := range 3 {
		var ids [][]string
		for i, p := range phones {
			var mine []string
			for k := range 2 {
				e := session.Emojis[(i+k+round)%len(session.Emojis)]
				mine = append(mine, p.send(session.OpReact, map[string]any{"emoji": e}))
				want[e]++
				taps++
			}
			ids = append(ids, mine)
		}
		for i, p := range phones {
			for _, id := range ids[i] {
				if ack := p.answer(id); ack["type"] != "ack" || ack["dropped"] != nil {
					t.Fatalf("round %d, phone %d: %v", round, i, ack)
				}
			}
		}
		if round < 2 {
			time.Sleep(time.Second) // the taps allowed a second
		}
	}
	waitFor(t, "the display on B to see every tap of both", func() bool { return rxEqual(display.reacted(), want) })
	waitFor(t, "the console on A to see every tap of both", func() bool { return rxEqual(host.reacted(), want) })
	waitFor(t, "the export to hold every tap", func() bool { return rxEqual(rxExported(t, b, s), want) })
	// Nothing was counted twice, later.
	time.Sleep(500 * time.Millisecond)
	if got := display.reacted(); !rxEqual(got, want) {
		t.Fatalf("the display counted %v, want %v", got, want)
	}
	if got := rxExported(t, a, s); !rxEqual(got, want) {
		t.Fatalf("the export holds %v, want %v", got, want)
	}

	last, _ := a.store.LastOffset(t.Context(), s.ID)
	evs, err := a.store.Read(t.Context(), s.ID, off1, 0)
	if err != nil {
		t.Fatal(err)
	}
	tallies := 0
	for _, e := range evs {
		switch e.Cmd.Op {
		case session.OpTally:
			tallies++
		default:
			t.Errorf("a tap left an event of its own: %+v", e)
		}
	}
	// Each instance appends its own at most every 300 ms over the 2-3 s
	// of taps: about 20 at most, whatever the number of taps.
	if tallies < 2 || tallies > 24 || int(last-off1) != tallies || tallies >= taps/2 {
		t.Fatalf("%d taps made %d tally events (%d events in all after the joins; %d before them)", taps, tallies, last-off1, off1-off0)
	}
	// Phones get no reactions pushes.
	for i, p := range phones {
		p.mu.Lock()
		for _, m := range p.msgs {
			if m["type"] == "reactions" {
				t.Errorf("phone %d was pushed reactions: %v", i, m)
			}
		}
		p.mu.Unlock()
	}
}

// A participant's taps past two a second are acked as dropped, never
// refused, and not counted; bad taps are refused with the contract's
// codes and count nothing.
func TestReactionsDroppedAndRefused(t *testing.T) {
	t.Parallel()
	store, err := eventlog.OpenEmbedded(eventlog.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	in := rxStart(t, store, nil)
	s := rxCreate(t, in)
	host := rxDial(t, in, s.FacilitatorKey)
	display := rxDial(t, in, s.DisplayKey)
	phone := rxDial(t, in, rxJoin(t, in, s.Code))

	refused := func(who *rxClient, args map[string]any, code, reason string) {
		t.Helper()
		a := who.answer(who.send(session.OpReact, args))
		if a["type"] != "error" || a["code"] != code || (reason != "" && a["reason"] != reason) {
			t.Fatalf("react %v: %v, want %s %s", args, a, code, reason)
		}
	}
	refused(phone, map[string]any{"emoji": "heart"}, session.CodeForbidden, session.ReasonReactionsOff)
	host.cmd(session.OpUpdate, map[string]any{"reactions": true})
	phone.wait("reactions on", func(m map[string]any) bool {
		v, _ := m["view"].(map[string]any)
		return m["type"] == "session" && v["reactions"] == true
	})
	refused(phone, map[string]any{"emoji": "thumbsdown"}, session.CodeBadRequest, "")
	refused(phone, map[string]any{"emoji": 3}, session.CodeBadRequest, "")
	refused(host, map[string]any{"emoji": "heart"}, session.CodeForbidden, "")
	// A tap without an id is refused as any command is.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	must(t, phone.c.Write(ctx, websocket.MessageText, []byte(`{"type":"cmd","op":"react","emoji":"heart"}`)))
	cancel()
	phone.wait("the refusal of a tap without an id", func(m map[string]any) bool {
		return m["type"] == "error" && m["id"] == nil && m["code"] == session.CodeBadRequest
	})
	refused(display, map[string]any{"emoji": "heart"}, session.CodeForbidden, "")

	var ids []string
	for range 10 {
		ids = append(ids, phone.send(session.OpReact, map[string]any{"emoji": "laugh"}))
	}
	dropped := 0
	for _, id := range ids {
		a := phone.answer(id)
		if a["type"] != "ack" {
			t.Fatalf("a fast tap was refused: %v", a)
		}
		if a["dropped"] == true {
			dropped++
		}
	}
	if dropped < 7 || dropped > 8 {
		t.Fatalf("%d of 10 taps at once were dropped, want 8 (7 if a token came back meanwhile)", dropped)
	}
	want := map[string]int{"laugh": 10 - dropped}
	waitFor(t, "the display to see the counted taps", func() bool { return rxEqual(display.reacted(), want) })
	waitFor(t, "the export to hold them", func() bool { return rxEqual(rxExported(t, in, s), want) })

	// After the end no tap is accepted.
	host.cmd(session.OpEnd, nil)
	refused(phone, map[string]any{"emoji": "heart"}, session.CodeSessionEnded, "")
	time.Sleep(400 * time.Millisecond)
	if got := rxExported(t, in, s); !rxEqual(got, want) {
		t.Fatalf("after the end the export holds %v, want %v", got, want)
	}
}

// Counted taps spend none of the connection's command tokens, so that
// taps never take a phone's votes' budget; taps that are not counted
// spend one each, so that a flood of them is limited as any flood.
func TestCountedTapsAreFreeOfTheCommandRate(t *testing.T) {
	t.Parallel()
	store, err := eventlog.OpenEmbedded(eventlog.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	in := rxStart(t, store, nil, func(c *hub.Config) { c.CommandRate, c.CommandBurst = 0.01, 3 })
	s := rxCreate(t, in)
	host := rxDial(t, in, s.FacilitatorKey)
	host.cmd(session.OpUpdate, map[string]any{"reactions": true})
	phone := rxDial(t, in, rxJoin(t, in, s.Code))
	var got []string
	for range 6 {
		a := phone.answer(phone.send(session.OpReact, map[string]any{"emoji": "heart"}))
		switch {
		case a["type"] == "ack" && a["dropped"] == true:
			got = append(got, "dropped")
		case a["type"] == "ack":
			got = append(got, "counted")
		default:
			got = append(got, fmt.Sprint(a["code"]))
		}
	}
	want := "[counted counted dropped dropped dropped rate_limited]"
	if fmt.Sprint(got) != want && fmt.Sprint(got) != "[counted counted counted dropped dropped dropped]" {
		t.Fatalf("six taps at once with a burst of 3 commands: %v, want %s", got, want)
	}
}

// A tap sent as {"type": "react"} is never answered unless refused: the
// counted and the dropped ones alike go unanswered, a bad one is refused
// without an id.
func TestReactMessagesUnanswered(t *testing.T) {
	t.Parallel()
	store, err := eventlog.OpenEmbedded(eventlog.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	in := rxStart(t, store, nil)
	s := rxCreate(t, in)
	host := rxDial(t, in, s.FacilitatorKey)
	display := rxDial(t, in, s.DisplayKey)
	host.cmd(session.OpUpdate, map[string]any{"reactions": true})
	phone := rxDial(t, in, rxJoin(t, in, s.Code))
	write := func(msg string) {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		must(t, phone.c.Write(ctx, websocket.MessageText, []byte(msg)))
	}
	for range 5 {
		write(`{"type":"react","emoji":"think"}`)
	}
	write(`{"type":"react","emoji":"boo"}`)
	// The refusal comes after the five taps were read: none was answered.
	phone.wait("the refusal of an unknown emoji", func(m map[string]any) bool {
		return m["type"] == "error" && m["id"] == nil && m["code"] == session.CodeBadRequest
	})
	phone.mu.Lock()
	for _, m := range phone.msgs {
		if m["type"] == "ack" {
			t.Errorf("a tap was answered: %v", m)
		}
	}
	phone.mu.Unlock()
	waitFor(t, "the display to see the two counted", func() bool { return rxEqual(display.reacted(), map[string]int{"think": 2}) })
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
