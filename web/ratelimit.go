package web

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// addrLimiter is a token bucket per client address: a burst, then one
// token per every. It backs two limits: failed joins (only failures spend,
// so a hall of phones behind one address joins freely while someone
// guessing codes runs dry) and session creations (every one spends).
type addrLimiter struct {
	burst int
	every time.Duration
	// max bounds how many addresses have a bucket of their own; past it,
	// new addresses share one, so a crowd of addresses costs memory no
	// larger than max buckets and gets one budget between them.
	max int
	// now is the clock; a field so that a test can run an hour in a loop.
	now func() time.Time

	mu    sync.Mutex
	addrs map[string]*rate.Limiter
	swept time.Time
}

// overflowKey is the bucket shared by addresses past max.
const overflowKey = "overflow"

func newAddrLimiter(burst int, every time.Duration, max int) *addrLimiter {
	return &addrLimiter{burst: burst, every: every, max: max, now: time.Now, addrs: map[string]*rate.Limiter{}}
}

// blocked returns how long addr must wait before it may spend a token, or
// 0 if it may now. It spends nothing.
func (f *addrLimiter) blocked(addr string) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.addrs[addr]
	if l == nil {
		if len(f.addrs) < f.max {
			return 0
		}
		if l = f.addrs[overflowKey]; l == nil {
			return 0
		}
	}
	return f.wait(l, f.now())
}

// wait is how long l needs until it holds one token. Lock held.
func (f *addrLimiter) wait(l *rate.Limiter, now time.Time) time.Duration {
	if l.TokensAt(now) >= 1 {
		return 0
	}
	r := l.ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return d
}

// spend takes a token from addr's bucket, whether or not there is one.
func (f *addrLimiter) spend(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	f.bucket(addr, now).AllowN(now, 1)
}

// take spends a token if addr has one and returns 0, or returns how long
// addr must wait and spends nothing.
func (f *addrLimiter) take(addr string) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	l := f.bucket(addr, now)
	if l.AllowN(now, 1) {
		return 0
	}
	return f.wait(l, now)
}

// bucket returns addr's bucket, making it if needed. Lock held.
func (f *addrLimiter) bucket(addr string, now time.Time) *rate.Limiter {
	f.sweep(now)
	l := f.addrs[addr]
	if l != nil {
		return l
	}
	if len(f.addrs) >= f.max {
		addr = overflowKey
		if l = f.addrs[addr]; l != nil {
			return l
		}
	}
	l = rate.NewLimiter(rate.Every(f.every), f.burst)
	f.addrs[addr] = l
	return l
}

// sweep forgets addresses whose bucket is full again, so the map stays as
// small as the set of recent offenders. Lock held.
func (f *addrLimiter) sweep(now time.Time) {
	if now.Sub(f.swept) < time.Minute {
		return
	}
	f.swept = now
	for a, l := range f.addrs {
		if l.TokensAt(now) >= float64(f.burst) {
			delete(f.addrs, a)
		}
	}
}

// limitKey is the bucket a client address spends from. An IPv6 address
// is taken by its /64: that is what one home, phone or server is given,
// and keying single addresses would hand each of them 2^64 budgets.
func limitKey(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
