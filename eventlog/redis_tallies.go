package eventlog

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

var _ Tallies = (*RedisTallies)(nil)

// RedisTallies carries reaction tallies through Redis pub/sub: one
// PUBLISH per instance per tick with taps on the session's channel
// th:{<session>}:reactions, whatever the number of taps, and one
// subscription per instance per session. It has a pub/sub connection of
// its own, so that a storm of tallies never delays the log's events.
//
// The payload is "<from>|<n>,<n>,<n>,<n>,<n>", the counts in the order of
// session.Emojis.
type RedisTallies struct {
	client  *redis.Client
	timeout time.Duration

	// subMu orders SUBSCRIBE and UNSUBSCRIBE as the topics changed.
	subMu  sync.Mutex
	mu     sync.Mutex
	ps     *redis.PubSub // made with the first subscription
	topics map[string]*tallyTopic
	closed bool
	wg     sync.WaitGroup
}

type tallyTopic struct {
	subs      map[*tallySub]struct{}
	ready     chan struct{} // closed when Redis confirmed the subscription
	confirmed bool
}

type tallySub struct{ fn func(Tally) }

// NewRedisTallies carries tallies through the Redis of r. Close it before
// r.
func NewRedisTallies(r *Redis) *RedisTallies {
	return &RedisTallies{client: r.client, timeout: r.cfg.Timeout, topics: map[string]*tallyTopic{}}
}

func tallyChannel(id string) string { return redisKey(id, "reactions") }

// PublishTally implements Tallies.
func (t *RedisTallies) PublishTally(ctx context.Context, id string, x Tally) error {
	b := make([]byte, 0, len(x.From)+40)
	b = append(b, x.From...)
	for i, n := range x.Counts {
		if i == 0 {
			b = append(b, '|')
		} else {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	if err := t.client.Publish(ctx, tallyChannel(id), b).Err(); err != nil {
		return fmt.Errorf("eventlog: publishing a tally: %w: %w", ErrUnavailable, err)
	}
	return nil
}

// parseTally reads a payload; ok is false for one that is not a tally.
func parseTally(p string) (Tally, bool) {
	from, rest, ok := strings.Cut(p, "|")
	if !ok || from == "" {
		return Tally{}, false
	}
	var x Tally
	x.From = from
	parts := strings.Split(rest, ",")
	if len(parts) != len(x.Counts) {
		return Tally{}, false
	}
	for i, s := range parts {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return Tally{}, false
		}
		x.Counts[i] = n
	}
	return x, true
}

// SubscribeTallies implements Tallies. The first local subscriber of a
// session subscribes its channel and waits, up to the store's timeout
// (twice), for Redis to confirm it.
func (t *RedisTallies) SubscribeTallies(ctx context.Context, id string, fn func(Tally)) (func(), error) {
	channel := tallyChannel(id)
	sub := &tallySub{fn: fn}
	t.subMu.Lock()
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		t.subMu.Unlock()
		return nil, ErrClosed
	}
	if t.ps == nil {
		t.ps = t.client.Subscribe(context.Background())
		t.wg.Add(1)
		go t.receive(t.ps)
	}
	tp := t.topics[channel]
	first := tp == nil
	if first {
		tp = &tallyTopic{subs: map[*tallySub]struct{}{}, ready: make(chan struct{})}
		t.topics[channel] = tp
	}
	tp.subs[sub] = struct{}{}
	ps := t.ps
	t.mu.Unlock()
	if first {
		// Without a connection now, go-redis subscribes when it is back.
		sctx, cancel := context.WithTimeout(ctx, t.timeout)
		ps.Subscribe(sctx, channel)
		cancel()
	}
	t.subMu.Unlock()

	var once sync.Once
	cancel := func() { once.Do(func() { t.unsubscribe(channel, sub) }) }
	timer := time.NewTimer(2 * t.timeout)
	defer timer.Stop()
	select {
	case <-tp.ready:
		return cancel, nil
	case <-timer.C:
		cancel()
		return nil, fmt.Errorf("eventlog: redis did not confirm the tallies of %q: %w", id, ErrUnavailable)
	case <-ctx.Done():
		cancel()
		return nil, ctx.Err()
	}
}

func (t *RedisTallies) unsubscribe(channel string, sub *tallySub) {
	t.subMu.Lock()
	defer t.subMu.Unlock()
	t.mu.Lock()
	tp := t.topics[channel]
	if tp == nil {
		t.mu.Unlock()
		return
	}
	delete(tp.subs, sub)
	last := len(tp.subs) == 0
	if last {
		delete(t.topics, channel)
	}
	ps, closed := t.ps, t.closed
	t.mu.Unlock()
	if last && !closed {
		ctx, cancel := context.WithTimeout(context.Background(), t.timeout)
		ps.Unsubscribe(ctx, channel)
		cancel()
	}
}

// receive reads the pub/sub connection until it is closed. go-redis
// redials and subscribes again after a fault; what was published
// meanwhile is lost, as the contract of Tallies allows.
func (t *RedisTallies) receive(ps *redis.PubSub) {
	defer t.wg.Done()
	backoff := time.Duration(0)
	for {
		msg, err := ps.Receive(context.Background())
		if err != nil {
			t.mu.Lock()
			closed := t.closed
			t.mu.Unlock()
			if closed {
				return
			}
			backoff = min(max(2*backoff, 50*time.Millisecond), time.Second)
			time.Sleep(backoff) // go-redis redials on the next call
			continue
		}
		backoff = 0
		switch m := msg.(type) {
		case *redis.Message:
			x, ok := parseTally(m.Payload)
			if !ok {
				continue
			}
			t.mu.Lock()
			if tp := t.topics[m.Channel]; tp != nil {
				for s := range tp.subs {
					s.fn(x)
				}
			}
			t.mu.Unlock()
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			t.mu.Lock()
			if tp := t.topics[m.Channel]; tp != nil && !tp.confirmed {
				tp.confirmed = true
				close(tp.ready)
			}
			t.mu.Unlock()
		}
	}
}

// Close ends the subscriptions and the pub/sub connection; the Redis
// client stays open (it is the store's).
func (t *RedisTallies) Close() error {
	t.subMu.Lock()
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		t.subMu.Unlock()
		return nil
	}
	t.closed = true
	ps := t.ps
	t.topics = map[string]*tallyTopic{}
	t.mu.Unlock()
	t.subMu.Unlock()
	var err error
	if ps != nil {
		err = ps.Close()
	}
	t.wg.Wait()
	return err
}
