package eventlog

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/townhall/townhall/session"
)

var (
	_ Store    = (*Redis)(nil)
	_ Resyncer = (*Redis)(nil)
)

// Resyncer is a store whose subscriptions can silently miss events after
// a connection fault, and that says when: after a signal on Resync, every
// subscriber should compare its offset with LastOffset and Read the gap.
// The hub checks for it with a type assertion; Embedded never misses
// events that way and does not implement it.
type Resyncer interface {
	Resync() <-chan struct{}
}

// RedisConfig configures a Redis store.
type RedisConfig struct {
	// URL is the server, as redis://[user:password@]host:port/db or
	// rediss:// for TLS. Timeouts given in the URL are kept.
	URL string
	// Timeout bounds dialing, each read and write, and the wait for a pooled
	// connection, so that an unreachable or frozen Redis makes calls fail
	// with ErrUnavailable instead of hanging. Zero means 1 second.
	Timeout time.Duration
	// CallTimeout bounds each call as a whole, retries included. Zero
	// means twice Timeout.
	CallTimeout time.Duration
	// HealthInterval is how often an idle subscription connection is
	// pinged. Zero means 1 second.
	HealthInterval time.Duration
	// DownAfter is how long the subscription may stay silent, pings
	// included, before it counts as down. Zero means 3 seconds.
	DownAfter time.Duration
	// ReconnectAfter is how long the subscription may stay silent before
	// its connection is replaced by a new one. Zero means 10 seconds.
	ReconnectAfter time.Duration
	// SubscribeTimeout bounds the wait for Redis to confirm the first
	// subscription of a session. Zero means 2 seconds.
	SubscribeTimeout time.Duration
	// SubscriberBuffer is the channel size of a subscription. Zero means 1024.
	SubscriberBuffer int
	// TrimKeep is how many events below a session's latest snapshot its
	// stream keeps: a replica that falls further behind than that reloads
	// the snapshot (Read answers ErrTrimmed). Zero means 10,000; negative
	// keeps every event.
	TrimKeep int
}

func (c *RedisConfig) defaults() {
	if c.TrimKeep == 0 {
		c.TrimKeep = 10_000
	}
	if c.Timeout == 0 {
		c.Timeout = time.Second
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = 2 * c.Timeout
	}
	if c.HealthInterval == 0 {
		c.HealthInterval = time.Second
	}
	if c.DownAfter == 0 {
		c.DownAfter = 3 * time.Second
	}
	if c.ReconnectAfter == 0 {
		c.ReconnectAfter = 10 * time.Second
	}
	if c.SubscribeTimeout == 0 {
		c.SubscribeTimeout = 2 * time.Second
	}
	if c.SubscriberBuffer == 0 {
		c.SubscriberBuffer = 1024
	}
}

// Redis is the store shared by many instances through one Redis server.
//
// A session's keys share the hash tag {<session>} so that a Redis Cluster
// keeps them on one shard: th:{s}:log is the stream of events (entry id
// "<offset>-0"), th:{s}:last the last offset, th:{s}:time the last time
// stamp, th:{s}:epoch the epoch, th:{s}:snap the snapshot (hash of offset and
// state), and th:{s}:events the pub/sub channel. The directory is the hash
// th:codes and the secret th:secret.
//
// Each append is one Lua script: check the epoch, XADD at the next offset,
// advance the counter, PUBLISH. Subscriptions share one pub/sub connection
// per Redis value: a session's channel is subscribed while it has at least
// one local subscriber. The loop reading that connection never waits on a
// subscriber; a full subscriber skips events and catches up with Read.
//
// An Append that fails with ErrUnavailable may or may not have been written
// (the script can run after the client gave up): retry it with the same
// command id, which the reducer recognizes.
type Redis struct {
	client *redis.Client
	cfg    RedisConfig

	// subMu serializes SUBSCRIBE and UNSUBSCRIBE and the replacement of the
	// pub/sub connection, so that Redis sees them in the order the topics
	// changed.
	subMu  sync.Mutex
	mu     sync.Mutex
	ps     *redis.PubSub
	topics map[string]*redisTopic // by channel name
	closed bool

	up        atomic.Bool
	lastHeard atomic.Int64 // unix nanoseconds of the last pub/sub message
	resync    chan struct{}
	quit      chan struct{}
	wg        sync.WaitGroup
}

// redisTopic is a session channel with local subscribers.
type redisTopic struct {
	subs map[*subscriber]struct{}
	// ready is closed when Redis confirmed the subscription.
	ready     chan struct{}
	confirmed bool
}

func redisKey(id, name string) string { return "th:{" + id + "}:" + name }

func redisChannel(id string) string { return redisKey(id, "events") }

const (
	redisCodes  = "th:codes"
	redisSecret = "th:secret"
	// notFoundReply is the error the scripts return for a missing session.
	notFoundReply = "NOTFOUND"
)

// appendScript: KEYS epoch, last, time, log; ARGV event JSON, the caller's
// time in microseconds or "" to stamp it here, channel. The XADD comes
// first so that a failing one (a stream damaged by hand) changes nothing.
// The stamp is Redis's clock, never before the session's last one, and is
// stored in the entry's "t" field; the JSON carries the caller's time when
// there was one.
var appendScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOTFOUND session has no log')
end
local off = (tonumber(redis.call('GET', KEYS[2])) or 0) + 1
local lt = tonumber(redis.call('GET', KEYS[3])) or 0
local id = string.format('%d-0', off)
local stamp = ''
local t
if ARGV[2] == '' then
  local now = redis.call('TIME')
  t = tonumber(now[1]) * 1000000 + tonumber(now[2])
  if t < lt then t = lt end
  stamp = string.format('%d', t)
  redis.call('XADD', KEYS[4], id, 'e', ARGV[1], 't', stamp)
else
  t = tonumber(ARGV[2])
  redis.call('XADD', KEYS[4], id, 'e', ARGV[1])
end
redis.call('SET', KEYS[2], string.format('%d', off))
if t > lt then redis.call('SET', KEYS[3], string.format('%d', t)) end
redis.call('PUBLISH', ARGV[3], string.format('%d', off) .. '|' .. stamp .. '|' .. ARGV[1])
return off
`)

// createScript: KEYS epoch, last, time, log, snap; ARGV epoch. A session
// without an epoch starts from nothing: leftovers of a lost history are
// dropped, never merged.
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
redis.call('SET', KEYS[2], '0')
redis.call('SET', KEYS[1], ARGV[1])
return 1
`)

// snapshotScript: KEYS epoch, snap; ARGV offset, state. Keeps the highest.
var snapshotScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOTFOUND session has no log')
end
local old = tonumber(redis.call('HGET', KEYS[2], 'offset'))
if old and old >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[2], 'offset', ARGV[1], 'state', ARGV[2])
return 1
`)

// OpenRedis connects to the Redis at cfg.URL and starts the subscription
// loop. It fails if Redis does not answer PING; the caller may retry.
func OpenRedis(ctx context.Context, cfg RedisConfig) (*Redis, error) {
	cfg.defaults()
	opt, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("eventlog: redis url: %w", err)
	}
	if opt.DialTimeout == 0 {
		opt.DialTimeout = cfg.Timeout
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = cfg.Timeout
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = cfg.Timeout
	}
	if opt.PoolTimeout == 0 {
		opt.PoolTimeout = cfg.Timeout
	}
	if opt.MaxRetries == 0 {
		opt.MaxRetries = 1
	}
	opt.MinRetryBackoff = 10 * time.Millisecond
	opt.MaxRetryBackoff = 100 * time.Millisecond
	opt.ContextTimeoutEnabled = true
	// CLIENT SETINFO is unknown before Redis 7.2; skip it.
	opt.DisableIdentity = true
	client := redis.NewClient(opt)

	pctx, cancel := context.WithTimeout(ctx, 2*cfg.Timeout)
	err = client.Ping(pctx).Err()
	cancel()
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("eventlog: redis at %s does not answer: %w: %w", opt.Addr, ErrUnavailable, err)
	}
	r := &Redis{
		client: client,
		cfg:    cfg,
		ps:     client.Subscribe(context.Background()),
		topics: map[string]*redisTopic{},
		resync: make(chan struct{}, 1),
		quit:   make(chan struct{}),
	}
	r.lastHeard.Store(time.Now().UnixNano())
	r.wg.Add(2)
	go r.receive()
	go r.health()
	// Give the subscription a moment to come up so that a fresh instance
	// is ready at once; Ready tells if it is not.
	deadline := time.Now().Add(2 * cfg.Timeout)
	for !r.up.Load() && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	return r, nil
}

// Resync is signalled after the pub/sub connection came back from a fault
// (a reconnect, or a silence long enough to count as down). Redis does not
// replay what was published meanwhile, so every subscriber may have missed
// events: whoever hosts sessions should then compare each one's offset with
// LastOffset and fill the gap with Read. The channel has room for one
// signal; signals that find it full are merged.
func (r *Redis) Resync() <-chan struct{} { return r.resync }

// SubscriptionUp reports whether the pub/sub connection is working: it has
// heard from Redis (a message or a pong) within DownAfter.
func (r *Redis) SubscriptionUp() bool { return r.up.Load() }

// fail turns a go-redis error into one of the package's.
func (r *Redis) fail(op string, err error) error {
	var rerr redis.Error
	switch {
	case errors.Is(err, redis.ErrClosed):
		return fmt.Errorf("eventlog: redis %s: %w", op, ErrClosed)
	case errors.As(err, &rerr):
		msg := rerr.Error()
		switch strings.SplitN(msg, " ", 2)[0] {
		case notFoundReply:
			return fmt.Errorf("eventlog: redis %s: %w", op, ErrNotFound)
		case "LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "READONLY", "CLUSTERDOWN", "OOM", "NOREPLICAS", "MISCONF", "MOVED", "ASK":
			// Redis is there but cannot serve now: retryable.
			return fmt.Errorf("eventlog: redis %s: %w: %w", op, ErrUnavailable, err)
		}
		return fmt.Errorf("eventlog: redis %s: %w", op, err)
	}
	return fmt.Errorf("eventlog: redis %s: %w: %w", op, ErrUnavailable, err)
}

// call bounds a call by CallTimeout, so that a frozen Redis fails it
// quickly whatever the retries.
func (r *Redis) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.cfg.CallTimeout)
}

func (r *Redis) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// Create implements Log.
func (r *Redis) Create(ctx context.Context, id string) (string, error) {
	if r.isClosed() {
		return "", ErrClosed
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	epoch := newEpoch()
	keys := []string{redisKey(id, "epoch"), redisKey(id, "last"), redisKey(id, "time"), redisKey(id, "log"), redisKey(id, "snap")}
	n, err := createScript.Run(ctx, r.client, keys, epoch).Int()
	if err != nil {
		return "", r.fail("create", err)
	}
	if n == 0 {
		return "", ErrExists
	}
	return epoch, nil
}

// Append implements Log.
func (r *Redis) Append(ctx context.Context, id string, e session.Event) (uint64, error) {
	if r.isClosed() {
		return 0, ErrClosed
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	e.Offset = 0
	data, err := json.Marshal(e)
	if err != nil {
		return 0, fmt.Errorf("eventlog: encode event: %w", err)
	}
	t := ""
	if !e.Time.IsZero() {
		t = strconv.FormatInt(e.Time.UnixMicro(), 10)
	}
	keys := []string{redisKey(id, "epoch"), redisKey(id, "last"), redisKey(id, "time"), redisKey(id, "log")}
	off, err := appendScript.Run(ctx, r.client, keys, data, t, redisChannel(id)).Uint64()
	if err != nil {
		if err := r.fail("append", err); !errors.Is(err, ErrNotFound) {
			return 0, err
		}
		return 0, r.missing(ctx, "append", id)
	}
	return off, nil
}

// decodeEntry makes an event of a stored or published entry. Damaged data
// still takes its place in the order, as an "invalid" op that the reducer
// skips, so that every replica skips it alike.
func decodeEntry(off uint64, stamp, data string, ok bool) session.Event {
	var ev session.Event
	if !ok || json.Unmarshal([]byte(data), &ev) != nil {
		ev = session.Event{Cmd: session.Command{Op: "invalid"}}
	}
	ev.Offset = off
	if stamp != "" {
		if us, err := strconv.ParseInt(stamp, 10, 64); err == nil {
			ev.Time = time.UnixMicro(us).UTC()
		}
	}
	return ev
}

// Read implements Log.
func (r *Redis) Read(ctx context.Context, id string, after uint64, limit int) ([]session.Event, error) {
	if r.isClosed() {
		return nil, ErrClosed
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	start := strconv.FormatUint(after+1, 10) + "-0"
	pipe := r.client.Pipeline()
	exists := pipe.Exists(ctx, redisKey(id, "epoch"))
	var xr *redis.XMessageSliceCmd
	if limit > 0 {
		xr = pipe.XRangeN(ctx, redisKey(id, "log"), start, "+", int64(limit))
	} else {
		xr = pipe.XRange(ctx, redisKey(id, "log"), start, "+")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, r.fail("read", err)
	}
	if exists.Val() == 0 {
		return nil, r.missing(ctx, "read", id)
	}
	msgs := xr.Val()
	if len(msgs) > 0 {
		if ms, _, _ := strings.Cut(msgs[0].ID, "-"); ms != strconv.FormatUint(after+1, 10) {
			// Offsets have no gaps: the events asked for were trimmed
			// below a snapshot.
			return nil, fmt.Errorf("eventlog: session %q after %d: %w", id, after, ErrTrimmed)
		}
	}
	out := make([]session.Event, 0, len(msgs))
	for _, m := range msgs {
		ms, _, _ := strings.Cut(m.ID, "-")
		off, err := strconv.ParseUint(ms, 10, 64)
		if err != nil {
			continue // stream ids are always numbers; nothing to place
		}
		data, ok := m.Values["e"].(string)
		stamp, _ := m.Values["t"].(string)
		out = append(out, decodeEntry(off, stamp, data, ok))
	}
	return out, nil
}

// LastOffset implements Log.
func (r *Redis) LastOffset(ctx context.Context, id string) (uint64, error) {
	if r.isClosed() {
		return 0, ErrClosed
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	off, err := r.client.Get(ctx, redisKey(id, "last")).Uint64()
	if errors.Is(err, redis.Nil) {
		return 0, r.missing(ctx, "last offset", id)
	}
	if err != nil {
		return 0, r.fail("last offset", err)
	}
	return off, nil
}

// Epoch implements Log.
func (r *Redis) Epoch(ctx context.Context, id string) (string, error) {
	if r.isClosed() {
		return "", ErrClosed
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	epoch, err := r.client.Get(ctx, redisKey(id, "epoch")).Result()
	if errors.Is(err, redis.Nil) {
		return "", r.missing(ctx, "epoch", id)
	}
	if err != nil {
		return "", r.fail("epoch", err)
	}
	return epoch, nil
}

// SaveSnapshot implements Snapshots.
func (r *Redis) SaveSnapshot(ctx context.Context, id string, offset uint64, state []byte) error {
	if r.isClosed() {
		return ErrClosed
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	keys := []string{redisKey(id, "epoch"), redisKey(id, "snap")}
	if err := snapshotScript.Run(ctx, r.client, keys, strconv.FormatUint(offset, 10), state).Err(); err != nil {
		return r.fail("save snapshot", err)
	}
	// What the snapshot covers, less a margin for replicas a little
	// behind, leaves the stream: Redis memory follows the session's
	// recent events, not its whole life. Approximate trimming (whole
	// stream nodes) is cheap; it keeps a few more.
	if keep := uint64(r.cfg.TrimKeep); r.cfg.TrimKeep >= 0 && offset > keep {
		min := strconv.FormatUint(offset-keep+1, 10) + "-0"
		if err := r.client.XTrimMinIDApprox(ctx, redisKey(id, "log"), min, 0).Err(); err != nil {
			return r.fail("trim", err)
		}
	}
	return nil
}

// LoadSnapshot implements Snapshots.
func (r *Redis) LoadSnapshot(ctx context.Context, id string) (uint64, []byte, error) {
	if r.isClosed() {
		return 0, nil, ErrClosed
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	vals, err := r.client.HMGet(ctx, redisKey(id, "snap"), "offset", "state").Result()
	if err != nil {
		return 0, nil, r.fail("load snapshot", err)
	}
	o, _ := vals[0].(string)
	state, _ := vals[1].(string)
	off, err := strconv.ParseUint(o, 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("eventlog: snapshot of %q: %w", id, ErrNotFound)
	}
	return off, []byte(state), nil
}

// ClaimCode implements Directory.
func (r *Redis) ClaimCode(ctx context.Context, code, id string) error {
	if r.isClosed() {
		return ErrClosed
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	ok, err := r.client.HSetNX(ctx, redisCodes, code, id).Result()
	if err != nil {
		return r.fail("claim code", err)
	}
	if !ok {
		return ErrExists
	}
	// The session remembers its code, so that Delete frees it without a
	// scan of every code.
	if err := r.client.Set(ctx, redisKey(id, "code"), code, 0).Err(); err != nil {
		return r.fail("claim code", err)
	}
	return nil
}

// missing is the error for a session without a log: ErrDeleted when its
// tombstone is there, else ErrNotFound (never merged with a history lost
// by a Redis that restarted empty: that has neither).
func (r *Redis) missing(ctx context.Context, op, id string) error {
	n, err := r.client.Exists(ctx, redisKey(id, "deleted")).Result()
	if err != nil {
		return r.fail(op, err)
	}
	if n > 0 {
		return fmt.Errorf("eventlog: session %q: %w", id, ErrDeleted)
	}
	return fmt.Errorf("eventlog: session %q: %w", id, ErrNotFound)
}

//go:embed lua/delete.lua
var deleteLua string

var deleteScript = redis.NewScript(deleteLua)

// tombstoneTTL is how long Redis remembers a deleted session: longer than
// any client keeps trying to reconnect to it.
const tombstoneTTL = 30 * 24 * time.Hour

// Delete implements Lifecycle: one script removes the session's keys and
// leaves its tombstone (all under the session's hash tag), then its code
// leaves the directory.
func (r *Redis) Delete(ctx context.Context, id string) error {
	if r.isClosed() {
		return ErrClosed
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	keys := []string{redisKey(id, "epoch"), redisKey(id, "last"), redisKey(id, "time"), redisKey(id, "log"),
		redisKey(id, "snap"), redisKey(id, "code"), redisKey(id, "deleted")}
	code, err := deleteScript.Run(ctx, r.client, keys, time.Now().UTC().Format(time.RFC3339), int64(tombstoneTTL/time.Second)).Text()
	if err != nil {
		if err := r.fail("delete", err); !errors.Is(err, ErrNotFound) {
			return err
		}
		return r.missing(ctx, "delete", id)
	}
	if code != "" {
		// Only if the code still names this session.
		if err := hdelIfScript.Run(ctx, r.client, []string{redisCodes}, code, id).Err(); err != nil {
			return r.fail("delete code", err)
		}
	}
	return nil
}

var hdelIfScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
`)

// Sessions implements Lifecycle: a SCAN of the sessions' epochs.
func (r *Redis) Sessions(ctx context.Context, fn func(id string, last time.Time) error) error {
	if r.isClosed() {
		return ErrClosed
	}
	iter := r.client.Scan(ctx, 0, "th:{*}:epoch", 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		id := strings.TrimSuffix(strings.TrimPrefix(key, "th:{"), "}:epoch")
		var last time.Time
		cctx, cancel := r.call(ctx)
		us, err := r.client.Get(cctx, redisKey(id, "time")).Int64()
		cancel()
		if err == nil {
			last = time.UnixMicro(us).UTC()
		} else if !errors.Is(err, redis.Nil) {
			return r.fail("sessions", err)
		}
		if err := fn(id, last); err != nil {
			return err
		}
	}
	if err := iter.Err(); err != nil {
		return r.fail("sessions", err)
	}
	return nil
}

// LookupCode implements Directory.
func (r *Redis) LookupCode(ctx context.Context, code string) (string, error) {
	if r.isClosed() {
		return "", ErrClosed
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	id, err := r.client.HGet(ctx, redisCodes, code).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("eventlog: code %q: %w", code, ErrNotFound)
	}
	if err != nil {
		return "", r.fail("lookup code", err)
	}
	return id, nil
}

// Secret implements Directory.
func (r *Redis) Secret(ctx context.Context, proposed []byte) ([]byte, error) {
	if r.isClosed() {
		return nil, ErrClosed
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	if err := r.client.SetNX(ctx, redisSecret, proposed, 0).Err(); err != nil {
		return nil, r.fail("secret", err)
	}
	secret, err := r.client.Get(ctx, redisSecret).Bytes()
	if err != nil {
		return nil, r.fail("secret", err)
	}
	return secret, nil
}

// Ready implements Store: Redis answers PING within the timeout and the
// subscription connection is up.
func (r *Redis) Ready(ctx context.Context) error {
	if r.isClosed() {
		return ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	if err := r.client.Ping(ctx).Err(); err != nil {
		return r.fail("ping", err)
	}
	if !r.up.Load() {
		return fmt.Errorf("eventlog: redis subscription is down: %w", ErrUnavailable)
	}
	return nil
}

// ProbeWrite implements WriteProber: a write Redis refuses when it is out
// of memory or read-only, as it would refuse an append.
func (r *Redis) ProbeWrite(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	if err := r.client.Set(ctx, "th:probe", time.Now().UTC().Format(time.RFC3339Nano), time.Minute).Err(); err != nil {
		return r.fail("probe", err)
	}
	return nil
}

// Subscribe implements Log. The first local subscriber of a session
// subscribes its channel and waits, up to SubscribeTimeout, for Redis to
// confirm it, so that every event appended after Subscribe returns is
// published to it.
func (r *Redis) Subscribe(ctx context.Context, id string) (<-chan session.Event, func(), error) {
	channel := redisChannel(id)
	sub := &subscriber{ch: make(chan session.Event, r.cfg.SubscriberBuffer)}

	r.subMu.Lock()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.subMu.Unlock()
		return nil, nil, ErrClosed
	}
	t := r.topics[channel]
	first := t == nil
	if first {
		t = &redisTopic{subs: map[*subscriber]struct{}{}, ready: make(chan struct{})}
		r.topics[channel] = t
	}
	t.subs[sub] = struct{}{}
	ps := r.ps
	r.mu.Unlock()
	if first {
		// An error here (no connection) is not final: go-redis keeps the
		// channel and subscribes it when it reconnects. Wait for the
		// confirmation below either way.
		sctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
		ps.Subscribe(sctx, channel)
		cancel()
	}
	r.subMu.Unlock()

	var once sync.Once
	cancel := func() {
		once.Do(func() { r.unsubscribe(channel, sub) })
	}
	timer := time.NewTimer(r.cfg.SubscribeTimeout)
	defer timer.Stop()
	select {
	case <-t.ready:
		return sub.ch, cancel, nil
	case <-timer.C:
		cancel()
		return nil, nil, fmt.Errorf("eventlog: redis did not confirm the subscription of %q: %w", id, ErrUnavailable)
	case <-ctx.Done():
		cancel()
		return nil, nil, ctx.Err()
	case <-r.quit:
		cancel()
		return nil, nil, ErrClosed
	}
}

// unsubscribe removes sub and closes its channel; the last subscriber of a
// session unsubscribes its channel.
func (r *Redis) unsubscribe(channel string, sub *subscriber) {
	r.subMu.Lock()
	defer r.subMu.Unlock()
	r.mu.Lock()
	t := r.topics[channel]
	if t == nil {
		r.mu.Unlock()
		return // closed with the store
	}
	if _, ok := t.subs[sub]; !ok {
		r.mu.Unlock()
		return
	}
	delete(t.subs, sub)
	close(sub.ch)
	last := len(t.subs) == 0
	if last {
		delete(r.topics, channel)
	}
	ps, closed := r.ps, r.closed
	r.mu.Unlock()
	if last && !closed {
		// go-redis forgets the channel even when the command cannot be
		// sent, so it is not subscribed again after a reconnect.
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Timeout)
		ps.Unsubscribe(ctx, channel)
		cancel()
	}
}

// receive reads the pub/sub connection and hands messages to subscribers
// without ever waiting on one.
func (r *Redis) receive() {
	defer r.wg.Done()
	ctx := context.Background()
	everUp := false
	broken := false
	backoff := time.Duration(0)
	for {
		r.mu.Lock()
		ps, closed := r.ps, r.closed
		r.mu.Unlock()
		if closed {
			return
		}
		// No read deadline: the health loop pings an idle connection and
		// replaces one that stays silent.
		msg, err := ps.Receive(ctx)
		if err != nil {
			broken = true
			r.setDown()
			if r.isClosed() {
				return
			}
			// go-redis redials on the next call; do not spin meanwhile.
			backoff = min(max(2*backoff, 50*time.Millisecond), time.Second)
			select {
			case <-time.After(backoff):
			case <-r.quit:
				return
			}
			continue
		}
		backoff = 0
		r.lastHeard.Store(time.Now().UnixNano())
		if !r.up.Load() || broken {
			r.up.Store(true)
			if everUp {
				r.signalResync()
			}
			everUp, broken = true, false
		}
		switch m := msg.(type) {
		case *redis.Message:
			r.dispatch(m)
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				break
			}
			r.mu.Lock()
			if t := r.topics[m.Channel]; t != nil {
				if t.confirmed {
					// Subscribed again without asking: go-redis reconnected
					// and resubscribed, and what was published in between
					// is lost.
					r.signalResync()
				} else {
					t.confirmed = true
					close(t.ready)
				}
			}
			r.mu.Unlock()
		}
	}
}

// dispatch decodes a published "offset|stamp|json" and offers it to every
// local subscriber of its session; a full subscriber misses it.
func (r *Redis) dispatch(m *redis.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.topics[m.Channel]
	if t == nil || len(t.subs) == 0 {
		return
	}
	o, rest, ok1 := strings.Cut(m.Payload, "|")
	stamp, data, ok2 := strings.Cut(rest, "|")
	off, err := strconv.ParseUint(o, 10, 64)
	if err != nil {
		return // not ours: nothing to place in the order
	}
	ev := decodeEntry(off, stamp, data, ok1 && ok2)
	for sub := range t.subs {
		select {
		case sub.ch <- ev:
		default: // the subscriber catches up with Read
		}
	}
}

func (r *Redis) setDown() { r.up.Store(false) }

func (r *Redis) signalResync() {
	select {
	case r.resync <- struct{}{}:
	default:
	}
}

// health pings an idle subscription connection, marks it down when it
// stays silent for DownAfter, and replaces it when it stays silent for
// ReconnectAfter (a frozen server or a half-open connection that TCP does
// not notice).
func (r *Redis) health() {
	defer r.wg.Done()
	tick := time.NewTicker(r.cfg.HealthInterval)
	defer tick.Stop()
	lastReplace := time.Now()
	first := true
	for {
		if !first {
			select {
			case <-tick.C:
			case <-r.quit:
				return
			}
		}
		first = false
		r.mu.Lock()
		ps := r.ps
		r.mu.Unlock()
		silent := time.Since(time.Unix(0, r.lastHeard.Load()))
		if silent >= r.cfg.HealthInterval || !r.up.Load() {
			ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Timeout)
			ps.Ping(ctx)
			cancel()
		}
		if silent > r.cfg.DownAfter {
			r.setDown()
		}
		if silent > r.cfg.ReconnectAfter && time.Since(lastReplace) > r.cfg.ReconnectAfter {
			lastReplace = time.Now()
			r.replacePubSub()
		}
	}
}

// replacePubSub swaps the pub/sub connection for a new one subscribed to
// the same channels. Closing the old one wakes the receive loop.
func (r *Redis) replacePubSub() {
	r.subMu.Lock()
	defer r.subMu.Unlock()
	nps := r.client.Subscribe(context.Background())
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		nps.Close()
		return
	}
	old := r.ps
	r.ps = nps
	channels := make([]string, 0, len(r.topics))
	for ch := range r.topics {
		channels = append(channels, ch)
	}
	r.mu.Unlock()
	old.Close()
	if len(channels) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Timeout)
		nps.Subscribe(ctx, channels...)
		cancel()
	}
}

// Close ends the subscription loop, closes every subscriber's channel and
// the connections.
func (r *Redis) Close() error {
	r.subMu.Lock()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.subMu.Unlock()
		return nil
	}
	r.closed = true
	ps := r.ps
	close(r.quit)
	for ch, t := range r.topics {
		for sub := range t.subs {
			close(sub.ch)
		}
		delete(r.topics, ch)
	}
	r.mu.Unlock()
	r.subMu.Unlock()
	ps.Close()
	r.wg.Wait()
	r.up.Store(false)
	return r.client.Close()
}
