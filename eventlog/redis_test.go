package eventlog

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/townhall/townhall/internal/redistest"
	"github.com/townhall/townhall/session"
)

func openRedis(t *testing.T, srv *redistest.Server, cfg RedisConfig) *Redis {
	t.Helper()
	cfg.URL = srv.URL()
	r, err := OpenRedis(context.Background(), cfg)
	if err != nil {
		t.Fatalf("OpenRedis: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	if !r.SubscriptionUp() {
		t.Fatalf("subscription not up after OpenRedis")
	}
	return r
}

// admin is a plain client for poking at the server behind the store's back.
func admin(t *testing.T, srv *redistest.Server) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, DisableIdentity: true, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

func newSession(t *testing.T, s Store) string {
	t.Helper()
	id := fmt.Sprintf("s%d", time.Now().UnixNano())
	if _, err := s.Create(context.Background(), id); err != nil {
		t.Fatalf("Create: %v", err)
	}
	return id
}

func vote(id string) session.Event {
	return session.Event{Actor: "p1", Cmd: session.Command{ID: id, Op: "vote"}}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// receive waits for the event at offset want on ch, skipping older ones.
func receive(t *testing.T, ch <-chan session.Event, want uint64) session.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("subscription closed while waiting for offset %d", want)
			}
			if e.Offset == want {
				return e
			}
			if e.Offset > want {
				t.Fatalf("got offset %d, want %d", e.Offset, want)
			}
		case <-timeout:
			t.Fatalf("offset %d not delivered within 5s", want)
		}
	}
}

// pubsubClient returns the CLIENT LIST id of the connection subscribed to
// channels (sub>0), or "" if there is none.
func pubsubClient(t *testing.T, a *redis.Client) string {
	t.Helper()
	out, err := a.ClientList(context.Background()).Result()
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, " sub=") && !strings.Contains(l, " sub=0 ") {
			return strings.Fields(l)[0]
		}
	}
	return ""
}

func TestRedis(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	testStore(t, func(t *testing.T) Store { return openRedis(t, srv, RedisConfig{}) })
}

func TestRedisOneSubscriptionConnection(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t, redistest.Options{})
	r := openRedis(t, srv, RedisConfig{})
	a := admin(t, srv)
	var cancels []func()
	for i := 0; i < 3; i++ {
		id := newSession(t, r)
		for j := 0; j < 2; j++ {
			_, cancel, err := r.Subscribe(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			cancels = append(cancels, cancel)
		}
	}
	pubsub := func() []string {
		out, err := a.ClientList(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if !strings.Contains(l, " sub=0 ") || !strings.Contains(l, " psub=0 ") {
				lines = append(lines, l)
			}
		}
		return lines
	}
	if l := pubsub(); len(l) != 1 || !strings.Contains(l[0], " sub=3 ") {
		t.Fatalf("want one pub/sub connection with 3 channels, got %q", l)
	}
	// The last local subscriber of a session unsubscribes its channel.
	cancels[0]()
	if l := pubsub(); len(l) != 1 || !strings.Contains(l[0], " sub=3 ") {
		t.Fatalf("after one of two left: %q", l)
	}
	cancels[1]()
	waitFor(t, 2*time.Second, "channel not unsubscribed", func() bool {
		l := pubsub()
		return len(l) == 1 && strings.Contains(l[0], " sub=2 ")
	})
	r.Close()
	waitFor(t, 2*time.Second, "pub/sub connection left open by Close", func() bool { return len(pubsub()) == 0 })
	for _, c := range cancels {
		c() // after Close: harmless
	}
}

func TestRedisOpenUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	start := time.Now()
	_, err = OpenRedis(context.Background(), RedisConfig{URL: "redis://" + addr})
	took := time.Since(start)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("OpenRedis on a closed port: %v; want ErrUnavailable naming %s", err, addr)
	}
	if took > 5*time.Second {
		t.Fatalf("OpenRedis took %v", took)
	}
	t.Logf("OpenRedis on a closed port failed in %v: %v", took, err)
}

// TestRedisBurst appends tens of thousands of events while a subscriber
// consumes slowly. The subscriber recovers every event by offset with Read,
// and Redis never cuts the pub/sub connection off.
func TestRedisBurst(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t, redistest.Options{})
	r := openRedis(t, srv, RedisConfig{SubscriberBuffer: 256})
	a := admin(t, srv)
	id := newSession(t, r)
	ch, cancel, err := r.Subscribe(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	// A subscriber that never reads: it must not hold up the others.
	_, cancelStuck, err := r.Subscribe(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer cancelStuck()
	conn := pubsubClient(t, a)
	if conn == "" {
		t.Fatal("no pub/sub connection in CLIENT LIST")
	}

	const writers, each = 8, 2500
	const total = writers * each
	var acked sync.Map // offset → command id
	var delivered, filled atomic.Int64
	recovered := make(chan []session.Event, 1)
	go func() {
		// What a hub does: take events in offset order, fill a gap with
		// Read, and when the live feed is quiet, poll LastOffset.
		var got []session.Event
		next := uint64(1)
		take := func(upto uint64) {
			for next <= upto {
				evs, err := r.Read(ctx, id, next-1, int(upto-next+1))
				if err != nil || len(evs) == 0 {
					t.Errorf("Read(after %d): %d events, %v", next-1, len(evs), err)
					return
				}
				got = append(got, evs...)
				filled.Add(int64(len(evs)))
				next = evs[len(evs)-1].Offset + 1
			}
		}
		for next <= total {
			select {
			case e := <-ch:
				if e.Offset < next {
					continue
				}
				take(e.Offset - 1)
				got = append(got, e)
				delivered.Add(1)
				next = e.Offset + 1
				if e.Offset%10 == 0 {
					time.Sleep(2 * time.Millisecond) // a slow consumer
				}
			case <-time.After(200 * time.Millisecond):
				last, err := r.LastOffset(ctx, id)
				if err != nil {
					t.Errorf("LastOffset: %v", err)
				}
				take(last)
			}
		}
		recovered <- got
	}()

	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				cid := fmt.Sprintf("w%d-%d", w, i)
				off, err := r.Append(ctx, id, vote(cid))
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
				acked.Store(off, cid)
			}
		}(w)
	}
	wg.Wait()
	took := time.Since(start)
	t.Logf("%d appends from %d goroutines in %v: %.0f appends/s", total, writers, took, float64(total)/took.Seconds())
	if t.Failed() {
		return
	}

	var got []session.Event
	select {
	case got = <-recovered:
	case <-time.After(30 * time.Second):
		t.Fatalf("subscriber did not recover all events: live %d, filled %d", delivered.Load(), filled.Load())
	}
	t.Logf("subscriber: %d events live, %d recovered with Read", delivered.Load(), filled.Load())
	if len(got) != total {
		t.Fatalf("recovered %d events, want %d", len(got), total)
	}
	for i, e := range got {
		cid, _ := acked.Load(e.Offset)
		if e.Offset != uint64(i+1) || e.Cmd.ID != cid {
			t.Fatalf("event %d: offset %d holds %q, acked as %q", i, e.Offset, e.Cmd.ID, cid)
		}
	}

	// Redis did not cut off the subscription (the same connection is
	// there; Redis 7.2 and later also count disconnections), and it still
	// delivers.
	if got := pubsubClient(t, a); got != conn {
		t.Fatalf("pub/sub connection %q before the burst, %q after", conn, got)
	}
	info, err := a.Info(ctx, "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if strings.HasPrefix(line, "client_output_buffer_limit_disconnections:") && line != "client_output_buffer_limit_disconnections:0" {
			t.Fatalf("Redis cut off a client: %s", line)
		}
	}
	select {
	case <-r.Resync():
		t.Fatalf("a resync was signalled: the pub/sub connection was lost")
	default:
	}
	off, err := r.Append(ctx, id, vote("after"))
	if err != nil {
		t.Fatal(err)
	}
	if e := receive(t, ch, off); e.Cmd.ID != "after" {
		t.Fatalf("after the burst got %+v", e)
	}
}

func TestRedisResyncAfterReconnect(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t, redistest.Options{AOF: true})
	r := openRedis(t, srv, RedisConfig{})
	a := admin(t, srv)
	id := newSession(t, r)
	epoch, _ := r.Epoch(ctx, id)
	ch, cancel, err := r.Subscribe(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	acked := map[uint64]string{}
	appendOne := func(cid string) uint64 {
		t.Helper()
		off, err := r.Append(ctx, id, vote(cid))
		if err != nil {
			t.Fatalf("append %s: %v", cid, err)
		}
		acked[off] = cid
		return off
	}
	expectResync := func(what string) {
		t.Helper()
		select {
		case <-r.Resync():
		case <-time.After(10 * time.Second):
			t.Fatalf("no resync signal after %s", what)
		}
	}
	for i := 0; i < 5; i++ {
		receive(t, ch, appendOne(fmt.Sprint("before-", i)))
	}

	// Redis drops the subscriber's connection; go-redis resubscribes.
	n, err := a.ClientKillByFilter(ctx, "TYPE", "pubsub").Result()
	if err != nil || n != 1 {
		t.Fatalf("CLIENT KILL TYPE pubsub: %d, %v", n, err)
	}
	// Appends while the subscription is being restored may be missed live;
	// the resync is the cue to read them.
	appendOne("during-kill")
	expectResync("CLIENT KILL")
	receive(t, ch, appendOne("after-kill"))

	// Redis restarts (AOF on): nothing acked is lost, the subscription
	// comes back and a resync is signalled.
	srv.Restart()
	var off uint64
	waitFor(t, 10*time.Second, "appends did not resume after the restart", func() bool {
		o, err := r.Append(ctx, id, vote("after-restart"))
		if err != nil {
			return false
		}
		off = o
		return true
	})
	acked[off] = "after-restart"
	expectResync("restart")
	waitFor(t, 5*time.Second, "subscription not up after restart", r.SubscriptionUp)
	receive(t, ch, appendOne("live-again"))
	if err := r.Ready(ctx); err != nil {
		t.Fatalf("Ready after restart: %v", err)
	}
	if got, err := r.Epoch(ctx, id); err != nil || got != epoch {
		t.Fatalf("epoch after restart = %q, %v; want %q", got, err, epoch)
	}
	all, err := r.Read(ctx, id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range all {
		seen[e.Cmd.ID] = true
	}
	for off, cid := range acked {
		if !seen[cid] {
			t.Errorf("acked event %q (offset %d) lost", cid, off)
		}
	}
	for i, e := range all {
		if e.Offset != uint64(i+1) {
			t.Fatalf("offsets not contiguous: %d at %d", e.Offset, i)
		}
	}
}

func TestRedisEpochGoneAfterRestartWithoutAOF(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t, redistest.Options{})
	r := openRedis(t, srv, RedisConfig{})
	id := newSession(t, r)
	if _, err := r.Append(ctx, id, vote("a")); err != nil {
		t.Fatal(err)
	}
	srv.Restart()
	waitFor(t, 10*time.Second, "Epoch did not answer ErrNotFound after Redis lost its data", func() bool {
		_, err := r.Epoch(ctx, id)
		return errors.Is(err, ErrNotFound)
	})
	if _, err := r.Append(ctx, id, vote("b")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Append to a lost session: %v, want ErrNotFound", err)
	}
}

// TestRedisFrozen freezes Redis with SIGSTOP: calls fail with
// ErrUnavailable instead of hanging, and work again once it resumes.
func TestRedisFrozen(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t, redistest.Options{})
	r := openRedis(t, srv, RedisConfig{})
	id := newSession(t, r)
	ch, cancel, err := r.Subscribe(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	if _, err := r.Append(ctx, id, vote("before")); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	stopped := time.Now()
	wentDown := make(chan time.Duration, 1)
	go func() {
		for r.SubscriptionUp() && time.Since(stopped) < 10*time.Second {
			time.Sleep(10 * time.Millisecond)
		}
		wentDown <- time.Since(stopped)
	}()
	start := time.Now()
	_, err = r.Append(ctx, id, vote("frozen"))
	took := time.Since(start)
	t.Logf("Append against a stopped Redis failed after %v: %v", took, err)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Append while stopped: %v, want ErrUnavailable", err)
	}
	if took > 5*time.Second {
		t.Fatalf("Append while stopped took %v", took)
	}
	start = time.Now()
	err = r.Ready(ctx)
	took = time.Since(start)
	t.Logf("Ready against a stopped Redis failed after %v: %v", took, err)
	if !errors.Is(err, ErrUnavailable) || took > 5*time.Second {
		t.Fatalf("Ready while stopped: %v after %v", err, took)
	}
	start = time.Now()
	_, err = r.Read(ctx, id, 0, 10)
	t.Logf("Read against a stopped Redis failed after %v", time.Since(start))
	if !errors.Is(err, ErrUnavailable) || time.Since(start) > 5*time.Second {
		t.Fatalf("Read while stopped: %v", err)
	}
	if d := <-wentDown; d < 10*time.Second {
		t.Logf("subscription counted down %v after SIGSTOP", d)
	} else {
		t.Fatalf("subscription still counted up %v after SIGSTOP", d)
	}
	if d := 3*time.Second - time.Since(stopped); d > 0 {
		time.Sleep(d) // the fault lasts about 3 s
	}

	srv.Continue()
	resumed := time.Now()
	var off uint64
	waitFor(t, 10*time.Second, "appends did not resume after SIGCONT", func() bool {
		o, err := r.Append(ctx, id, vote("resumed"))
		off = o
		return err == nil
	})
	t.Logf("first append succeeded %v after SIGCONT", time.Since(resumed))
	waitFor(t, 10*time.Second, "not ready after SIGCONT", func() bool { return r.Ready(ctx) == nil })
	select {
	case <-r.Resync():
	case <-time.After(5 * time.Second):
		t.Fatalf("no resync signal after the subscription came back")
	}
	next, err := r.Append(ctx, id, vote("live"))
	if err != nil {
		t.Fatal(err)
	}
	if next != off+1 {
		t.Fatalf("offset after resume %d, want %d", next, off+1)
	}
	receive(t, ch, next)
}

func TestRedisMalformedEntries(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t, redistest.Options{})
	r := openRedis(t, srv, RedisConfig{})
	a := admin(t, srv)
	id := newSession(t, r)
	ch, cancel, err := r.Subscribe(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	for i := 1; i <= 2; i++ {
		if _, err := r.Append(ctx, id, vote(fmt.Sprint("c", i))); err != nil {
			t.Fatal(err)
		}
	}
	// Written by hand: an entry without the event field, then one whose
	// event is not JSON.
	log := "th:{" + id + "}:log"
	if err := a.XAdd(ctx, &redis.XAddArgs{Stream: log, ID: "3-0", Values: []string{"junk", "x"}}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := a.XAdd(ctx, &redis.XAddArgs{Stream: log, ID: "4-0", Values: []string{"e", "{not json"}}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := a.Set(ctx, "th:{"+id+"}:last", 4, 0).Err(); err != nil {
		t.Fatal(err)
	}
	off, err := r.Append(ctx, id, vote("c5"))
	if err != nil || off != 5 {
		t.Fatalf("append after the hand-written entries: %d, %v", off, err)
	}
	all, err := r.Read(ctx, id, 0, 0)
	if err != nil || len(all) != 5 {
		t.Fatalf("Read = %d events, %v", len(all), err)
	}
	for i, e := range all {
		wantOp := "vote"
		if i == 2 || i == 3 {
			wantOp = "invalid"
		}
		if e.Offset != uint64(i+1) || e.Cmd.Op != wantOp {
			t.Fatalf("event %d = offset %d op %q; want offset %d op %q", i, e.Offset, e.Cmd.Op, i+1, wantOp)
		}
	}
	if all[4].Cmd.ID != "c5" || all[4].Time.IsZero() {
		t.Fatalf("event 5 = %+v", all[4])
	}
	// A damaged message on the channel is delivered as invalid at its
	// offset; one without an offset is dropped.
	receive(t, ch, 5)
	a.Publish(ctx, "th:{"+id+"}:events", "no offset here")
	a.Publish(ctx, "th:{"+id+"}:events", "6||{broken")
	if e := receive(t, ch, 6); e.Cmd.Op != "invalid" {
		t.Fatalf("published garbage decoded as %+v", e)
	}
	// A stream whose last id is past the counter makes appends fail
	// without moving the counter.
	if err := a.XAdd(ctx, &redis.XAddArgs{Stream: log, ID: "100-0", Values: []string{"e", "{}"}}).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Append(ctx, id, vote("c6")); err == nil || errors.Is(err, ErrUnavailable) {
		t.Fatalf("append onto a damaged stream: %v; want a non-retryable error", err)
	}
	if last, _ := r.LastOffset(ctx, id); last != 5 {
		t.Fatalf("LastOffset after a failed append = %d, want 5", last)
	}
}

func TestRedisCallerTimeKept(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t, redistest.Options{})
	r := openRedis(t, srv, RedisConfig{})
	id := newSession(t, r)
	at := time.Date(2030, 1, 2, 3, 4, 5, 6789, time.UTC)
	e := vote("timed")
	e.Time = at
	if _, err := r.Append(ctx, id, e); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Append(ctx, id, vote("stamped")); err != nil {
		t.Fatal(err)
	}
	all, err := r.Read(ctx, id, 0, 0)
	if err != nil || len(all) != 2 {
		t.Fatalf("Read: %v %v", all, err)
	}
	if !all[0].Time.Equal(at) {
		t.Fatalf("caller's time %v came back as %v", at, all[0].Time)
	}
	other := newSession(t, r)
	if _, err := r.Append(ctx, other, vote("now")); err != nil {
		t.Fatal(err)
	}
	now, err := r.Read(ctx, other, 0, 1)
	if err != nil || len(now) != 1 || time.Since(now[0].Time).Abs() > time.Minute {
		t.Fatalf("stamped time %v is not now (%v)", now, err)
	}
	// Stamps never go back before a time already in the log.
	if all[1].Time.Before(at.Truncate(time.Microsecond)) {
		t.Fatalf("stamp %v is before the previous event's %v", all[1].Time, at)
	}
}

// TestRedisFrozenLongReplacesSubscription freezes Redis for longer than
// ReconnectAfter: the silent pub/sub connection is replaced, and once Redis
// resumes the new one delivers and a resync is signalled.
func TestRedisFrozenLongReplacesSubscription(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t, redistest.Options{})
	r := openRedis(t, srv, RedisConfig{HealthInterval: 250 * time.Millisecond, DownAfter: time.Second, ReconnectAfter: 2 * time.Second})
	a := admin(t, srv)
	id := newSession(t, r)
	ch, cancel, err := r.Subscribe(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	before := pubsubClient(t, a)
	srv.Stop()
	waitFor(t, 5*time.Second, "subscription still up while Redis is stopped", func() bool { return !r.SubscriptionUp() })
	time.Sleep(3 * time.Second) // past ReconnectAfter: the connection is replaced
	srv.Continue()
	waitFor(t, 10*time.Second, "subscription not up after SIGCONT", r.SubscriptionUp)
	select {
	case <-r.Resync():
	case <-time.After(5 * time.Second):
		t.Fatalf("no resync signal")
	}
	off, err := r.Append(ctx, id, vote("after"))
	if err != nil {
		t.Fatal(err)
	}
	receive(t, ch, off)
	waitFor(t, 5*time.Second, "not exactly one pub/sub connection left", func() bool {
		out, err := a.ClientList(ctx).Result()
		if err != nil {
			return false
		}
		return strings.Count(out, " sub=1 ") == 1 && !strings.Contains(out, " sub=2 ")
	})
	if after := pubsubClient(t, a); after == before {
		t.Fatalf("pub/sub connection not replaced: %s", after)
	}
}

// A snapshot trims the stream below it, less TrimKeep; a Read among the
// trimmed events answers ErrTrimmed, one after them reads on.
func TestRedisTrimsBelowSnapshot(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.Options{})
	r := openRedis(t, srv, RedisConfig{TrimKeep: 5})
	ctx := context.Background()
	id := newSession(t, r)
	for i := 0; i < 300; i++ {
		if _, err := r.Append(ctx, id, vote(fmt.Sprint("v", i))); err != nil {
			t.Fatal(err)
		}
	}
	a := admin(t, srv)
	before, _ := a.XLen(ctx, redisKey(id, "log")).Result()
	if err := r.SaveSnapshot(ctx, id, 250, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	after, _ := a.XLen(ctx, redisKey(id, "log")).Result()
	if before != 300 || after >= 200 || after < 55 {
		t.Fatalf("stream length %d before, %d after a snapshot at 250 keeping 5", before, after)
	}
	if _, err := r.Read(ctx, id, 0, 10); !errors.Is(err, ErrTrimmed) {
		t.Fatalf("Read from the start of a trimmed log: %v, want ErrTrimmed", err)
	}
	evs, err := r.Read(ctx, id, 245, 0)
	if err != nil || len(evs) != 55 || evs[0].Offset != 246 {
		t.Fatalf("Read after 245: %d events from %v, %v", len(evs), evs, err)
	}
	if last, err := r.LastOffset(ctx, id); err != nil || last != 300 {
		t.Fatalf("LastOffset after trimming: %d %v", last, err)
	}
	// Negative keeps everything.
	k := openRedis(t, srv, RedisConfig{TrimKeep: -1})
	id2 := newSession(t, k)
	for i := 0; i < 50; i++ {
		k.Append(ctx, id2, vote(fmt.Sprint("w", i)))
	}
	k.SaveSnapshot(ctx, id2, 50, []byte(`{}`))
	if n, _ := a.XLen(ctx, redisKey(id2, "log")).Result(); n != 50 {
		t.Fatalf("TrimKeep -1 kept %d of 50", n)
	}
}
