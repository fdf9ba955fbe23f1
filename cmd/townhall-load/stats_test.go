package main

import (
	"sync"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		values []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value", []time.Duration{7}, 99, 7},
		{"p50 of 100", hundred, 50, 50 * time.Millisecond},
		{"p95 of 100", hundred, 95, 95 * time.Millisecond},
		{"p99 of 100", hundred, 99, 99 * time.Millisecond},
		{"p100 is the max", hundred, 100, 100 * time.Millisecond},
		{"p0 is the min", hundred, 0, 1 * time.Millisecond},
		{"p50 of 4 rounds up the rank", []time.Duration{1, 2, 3, 4}, 50, 2},
		{"p99 of 4 is the max", []time.Duration{1, 2, 3, 4}, 99, 4},
		{"p1 of 3 is the min", []time.Duration{1, 2, 3}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.values, tt.p); got != tt.want {
				t.Errorf("percentile(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	values := []time.Duration{
		5 * time.Millisecond, 1 * time.Millisecond, 3 * time.Millisecond,
		2 * time.Millisecond, 4 * time.Millisecond,
	}
	s := summarize(values)
	want := Summary{Count: 5, P50: 3, P95: 5, P99: 5, Max: 5}
	if s != want {
		t.Fatalf("summarize = %+v, want %+v", s, want)
	}
	if s := summarize(nil); s != (Summary{}) {
		t.Fatalf("summarize(nil) = %+v, want zero", s)
	}
}

func TestRecorderConcurrent(t *testing.T) {
	var r recorder
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= 100; i++ {
				r.add(time.Duration(i) * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	s := r.summary()
	if s.Count != 800 || s.Max != 100 || s.P50 != 50 {
		t.Fatalf("summary = %+v", s)
	}
}

func TestErrorCounts(t *testing.T) {
	var e errorCounts
	e.add("rate_limited")
	e.add("rate_limited")
	e.add("dial")
	if got := e.snapshot(); got["rate_limited"] != 2 || got["dial"] != 1 || e.total() != 3 {
		t.Fatalf("counts = %v", got)
	}
}
