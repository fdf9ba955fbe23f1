package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func TestCounterTrackPairsAcksWithDisplayCounts(t *testing.T) {
	var c counterTrack
	c.acked(10 * time.Millisecond)
	c.acked(20 * time.Millisecond)
	c.observe(1, 50*time.Millisecond)
	c.acked(30 * time.Millisecond)
	// The display shows the third command before its ack arrives.
	c.observe(3, 100*time.Millisecond)
	c.acked(150 * time.Millisecond)
	lat, missing := c.latencies()
	want := []time.Duration{40 * time.Millisecond, 80 * time.Millisecond, 70 * time.Millisecond}
	if len(lat) != len(want) || missing != 1 {
		t.Fatalf("latencies %v missing %d", lat, missing)
	}
	for i := range want {
		if lat[i] != want[i] {
			t.Errorf("latency %d = %v, want %v", i, lat[i], want[i])
		}
	}
	c.observe(4, 120*time.Millisecond)
	if lat, _ := c.latencies(); lat[3] != 0 {
		t.Errorf("a display seen before the send time counts as 0, got %v", lat[3])
	}
}

func TestVoteVerify(t *testing.T) {
	cfg := &config{options: 3}
	s, _ := newScenario("vote", 3, cfg)
	vs := s.(*voteScenario)
	p0, p1 := &phone{idx: 0}, &phone{idx: 1}
	// Phone 0 votes 2 then 1 (the later vote counts), phone 1 votes 0,
	// phone 2 never gets an ack.
	vs.acked(&command{phone: p0, seq: 1, choice: 2}, &inMsg{})
	vs.acked(&command{phone: p1, seq: 2, choice: 0}, &inMsg{})
	vs.acked(&command{phone: p0, seq: 3, choice: 1}, &inMsg{})
	if n, _ := vs.counterTrack.latencies(); len(vs.sendAt) != 2 || len(n) != 0 {
		t.Fatalf("first votes tracked: %d", len(vs.sendAt))
	}
	export := func(voters int, votes ...int) json.RawMessage {
		opts := []map[string]any{}
		for _, v := range votes {
			opts = append(opts, map[string]any{"label": "x", "votes": v})
		}
		b, _ := json.Marshal(map[string]any{"id": "a", "voters": voters, "options": opts})
		return b
	}
	tests := []struct {
		name          string
		raw           json.RawMessage
		lost, doubled int
	}{
		{"exact", export(2, 1, 1, 0), 0, 0},
		{"one lost", export(1, 1, 0, 0), 1, 0},
		{"one doubled", export(3, 2, 1, 0), 0, 1},
		{"earlier vote kept", export(2, 1, 0, 1), 1, 1},
	}
	for _, tt := range tests {
		ch := vs.verify(tt.raw)
		if !ch.Checked || ch.Lost != tt.lost || ch.Doubled != tt.doubled {
			t.Errorf("%s: %+v", tt.name, ch)
		}
	}
}

func TestQueueVerifyAndDisplay(t *testing.T) {
	s, _ := newScenario("queue", 2, &config{})
	qs := s.(*queueScenario)
	p0, p1 := &phone{idx: 0}, &phone{idx: 1}
	c0 := &command{phone: p0, seq: 1, op: "hand.raise", sentAt: 10 * time.Millisecond}
	c1 := &command{phone: p1, seq: 2, op: "hand.raise", sentAt: 20 * time.Millisecond}
	qs.acked(c0, &inMsg{Hand: "h0"})
	qs.acked(c1, &inMsg{Hand: "h1"})
	qs.acked(&command{phone: p1, seq: 3, op: "hand.lower"}, &inMsg{})
	qs.observe(json.RawMessage(`{"id":"a","waiting":[{"hand":"h0"},{"hand":"h1"}]}`), 60*time.Millisecond)
	lat, missing := qs.display()
	if len(lat) != 2 || missing != 0 {
		t.Fatalf("display %v missing %d", lat, missing)
	}
	if ch := qs.verify(json.RawMessage(`{"id":"a","waiting":[{"hand":"h0"}]}`)); ch.Lost != 0 || ch.Doubled != 0 {
		t.Errorf("exact: %+v", ch)
	}
	if ch := qs.verify(json.RawMessage(`{"id":"a","waiting":[{"hand":"h0"},{"hand":"h1"}]}`)); ch.Doubled != 1 {
		t.Errorf("lowered hand still waiting: %+v", ch)
	}
	if ch := qs.verify(json.RawMessage(`{"id":"a","waiting":[]}`)); ch.Lost != 1 {
		t.Errorf("raised hand missing: %+v", ch)
	}
}

// --upvote-skew gathers upvotes on the first questions asked; without it
// they spread over the whole board.
func TestQAUpvoteSkew(t *testing.T) {
	t.Parallel()
	top := func(skew float64) int {
		s, err := newScenario("qa", 2000, &config{questions: 500, upvoteSkew: skew})
		if err != nil {
			t.Fatal(err)
		}
		qs := s.(*qaScenario)
		var seeded []string
		for i := range 500 {
			seeded = append(seeded, fmt.Sprint("q", i))
		}
		qs.seed(seeded)
		rng := rand.New(rand.NewPCG(3, 4))
		n := 0
		for i := range 2000 {
			var c command
			if !qs.next(i, rng, &c) || c.op != "qa.upvote" {
				t.Fatalf("phone %d: op %q", i, c.op)
			}
			var k int
			fmt.Sscanf(c.entry, "q%d", &k)
			if k < 20 {
				n++
			}
		}
		return n
	}
	if even, skewed := top(0), top(1.2); even > 200 || skewed < 1000 {
		t.Fatalf("upvotes on the first 20 of 500 questions: %d evenly, %d skewed", even, skewed)
	}
	var stderr bytes.Buffer
	if _, err := parseFlags([]string{"--upvote-skew", "0.5"}, &stderr); err == nil {
		t.Fatal("--upvote-skew 0.5 accepted")
	}
}
