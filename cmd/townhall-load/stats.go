package main

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value such that at least p percent of
// the values are less than or equal to it. An empty slice gives 0.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if p <= 0 {
		return sorted[0]
	}
	if p >= 100 {
		return sorted[n-1]
	}
	// rank = ceil(p/100 * n), computed in integers where possible so that
	// p99 of 100 values is the 99th value and not the 100th.
	rank := int(p * float64(n) / 100)
	if float64(rank)*100 < p*float64(n) {
		rank++
	}
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// Summary is the distribution of one kind of latency, in milliseconds.
type Summary struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50Ms"`
	P95   float64 `json:"p95Ms"`
	P99   float64 `json:"p99Ms"`
	Max   float64 `json:"maxMs"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// summarize sorts values in place and returns their distribution.
func summarize(values []time.Duration) Summary {
	sort.Slice(values, func(i, j int) bool { return values[i] < values[j] })
	s := Summary{Count: len(values)}
	if len(values) == 0 {
		return s
	}
	s.P50 = ms(percentile(values, 50))
	s.P95 = ms(percentile(values, 95))
	s.P99 = ms(percentile(values, 99))
	s.Max = ms(values[len(values)-1])
	return s
}

// recorder collects latencies from many goroutines. Appending to one slice
// under a mutex costs less than a histogram's bookkeeping at the rates a
// load generator on the server's own machine can reach, and keeps exact
// percentiles.
type recorder struct {
	mu     sync.Mutex
	values []time.Duration
}

func (r *recorder) add(d time.Duration) {
	r.mu.Lock()
	r.values = append(r.values, d)
	r.mu.Unlock()
}

// summary returns the distribution of everything recorded so far.
func (r *recorder) summary() Summary {
	r.mu.Lock()
	v := append([]time.Duration(nil), r.values...)
	r.mu.Unlock()
	return summarize(v)
}

// errorCounts counts errors by protocol code (or by a local reason such as
// "dial" or "join_404").
type errorCounts struct {
	mu sync.Mutex
	m  map[string]int
}

func (e *errorCounts) add(code string) {
	e.mu.Lock()
	if e.m == nil {
		e.m = make(map[string]int)
	}
	e.m[code]++
	e.mu.Unlock()
}

func (e *errorCounts) snapshot() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]int, len(e.m))
	for k, v := range e.m {
		out[k] = v
	}
	return out
}

func (e *errorCounts) total() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, v := range e.m {
		n += v
	}
	return n
}

// ackTrace keeps every ack's due time and latency, for --ack-trace: when
// the tail of a run is slow, it shows whether the slow acks are spread out
// or bunched in one moment (a stall).
type ackTrace struct {
	mu   sync.Mutex
	acks []tracedAck
}

type tracedAck struct {
	due, latency time.Duration
	resent       bool
}

func (t *ackTrace) add(due, latency time.Duration, resent bool) {
	t.mu.Lock()
	t.acks = append(t.acks, tracedAck{due, latency, resent})
	t.mu.Unlock()
}

// write writes the trace as CSV in the order the commands were due:
// milliseconds from the start of the run, ack latency in milliseconds,
// and whether the command was resent after a reconnect.
func (t *ackTrace) write(w io.Writer) error {
	t.mu.Lock()
	acks := append([]tracedAck(nil), t.acks...)
	t.mu.Unlock()
	sort.Slice(acks, func(i, j int) bool { return acks[i].due < acks[j].due })
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "due_ms,ack_ms,resent")
	for _, a := range acks {
		fmt.Fprintf(bw, "%.3f,%.3f,%t\n", ms(a.due), ms(a.latency), a.resent)
	}
	return bw.Flush()
}
