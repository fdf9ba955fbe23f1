package main

import (
	"encoding/json"
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
