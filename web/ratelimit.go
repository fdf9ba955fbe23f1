package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// failureLimiter counts failed joins per client address. Only failures
// spend tokens, so a hall of phones behind one address joins freely while
// someone guessing codes is slowed down.
type failureLimiter struct {
	burst int
	every time.Duration

	mu    sync.Mutex
	addrs map[string]*rate.Limiter
	swept time.Time
}

func newFailureLimiter(burst int, every time.Duration) *failureLimiter {
	return &failureLimiter{burst: burst, every: every, addrs: map[string]*rate.Limiter{}}
}

// blocked returns how long addr must wait, or 0.
func (f *failureLimiter) blocked(addr string) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.addrs[addr]
	if l == nil {
		return 0
	}
	now := time.Now()
	if l.TokensAt(now) >= 1 {
		return 0
	}
	r := l.ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return d
}

func (f *failureLimiter) failed(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	f.sweep(now)
	l := f.addrs[addr]
	if l == nil {
		l = rate.NewLimiter(rate.Every(f.every), f.burst)
		f.addrs[addr] = l
	}
	l.AllowN(now, 1)
}

// sweep forgets addresses whose bucket is full again, so the map stays as
// small as the set of recent offenders.
func (f *failureLimiter) sweep(now time.Time) {
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
