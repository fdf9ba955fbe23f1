package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// rssKiB is a process's resident memory.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[(len(ds)*99)/100]
}

// TestIDFloodChangesNothing replays the id flood that took a server from
// 15 MB to 436 MB: 30 attendees sending votes with 7,900-character ids as
// fast as they can, reconnecting whenever they are closed for flooding.
// None is taken, the log does not grow, and a control attendee keeps
// voting at a person's pace; its ack latency, quiet and flooded rounds
// alternating, and the server's memory are logged (docs/benchmarks.md),
// not asserted. The server runs with its default limits.
func TestIDFloodChangesNothing(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	p := start(t, addr, t.TempDir())
	sess, _, poll := openPoll(t, addr)
	join := func() string {
		return postJSON(t, "http://"+addr+"/api/join", map[string]string{"code": sess["code"].(string)})["token"].(string)
	}
	control := dialHello(t, addr, join())
	vote := func(round string, n int) []time.Duration {
		var lat []time.Duration
		for i := 0; i < n; i++ {
			t0 := time.Now()
			if a := control.cmd(fmt.Sprintf("%s-%d", round, i), "vote", map[string]any{"activity": poll, "choices": []int{i % 3}}); a["type"] != "ack" {
				t.Fatalf("control vote %s-%d: %v", round, i, a)
			}
			lat = append(lat, time.Since(t0))
			time.Sleep(150 * time.Millisecond) // a person's pace, under the command rate
		}
		return lat
	}
	offBefore := export(t, addr, sess)["offset"].(float64)
	rssBefore := rssKiB(t, p.cmd.Process.Pid)

	long := strings.Repeat("x", 7900)
	tokens := make([]string, 30)
	for a := range tokens {
		tokens[a] = join()
	}
	var sent, refused, acked, closes atomic.Int64
	flood := func(round int, stop *atomic.Bool) *sync.WaitGroup {
		var wg sync.WaitGroup
		for a, tok := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for conn := 0; conn < 20 && !stop.Load(); conn++ { // bounded reconnects
					c := dialHello(t, addr, tok)
					for i := 0; i < 200 && !stop.Load(); i++ {
						f, _ := json.Marshal(map[string]any{"type": "cmd", "id": fmt.Sprintf("%s%d-%d-%d-%d", long, round, a, conn, i), "op": "vote", "activity": poll, "choices": []int{0}})
						ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
						err := c.ws.Write(ctx, websocket.MessageText, f)
						cancel()
						if err != nil {
							break
						}
						sent.Add(1)
						m := c.until(func(m map[string]any) bool { return m["type"] == "error" || m["type"] == "ack" || m["closed"] != nil })
						if m["closed"] != nil {
							closes.Add(1)
							break
						}
						if m["type"] == "ack" {
							acked.Add(1)
						} else {
							refused.Add(1)
						}
					}
					c.ws.CloseNow()
				}
			}()
		}
		return &wg
	}
	// Quiet and flooded rounds alternate, so that the machine's own ups
	// and downs fall on both alike.
	var before, during []time.Duration
	for round := 0; round < 2; round++ {
		before = append(before, vote(fmt.Sprint("quiet", round), 20)...)
		var stop atomic.Bool
		wg := flood(round, &stop)
		during = append(during, vote(fmt.Sprint("flood", round), 20)...)
		stop.Store(true)
		wg.Wait()
	}
	rssAfter := rssKiB(t, p.cmd.Process.Pid)
	if acked.Load() != 0 || refused.Load() == 0 {
		t.Fatalf("of %d flood commands, %d acked and %d refused", sent.Load(), acked.Load(), refused.Load())
	}
	// The flooders' joins are the only new events besides the control's votes.
	offAfter := export(t, addr, sess)["offset"].(float64)
	if grew := offAfter - offBefore; grew != 30+80 {
		t.Fatalf("the log grew by %v events, want the 30 joins and 80 control votes", grew)
	}
	t.Logf("id flood: %d sent, %d refused, %d flood closes; server RSS %d → %d KiB; control ack p99 %v quiet, %v flooded",
		sent.Load(), refused.Load(), closes.Load(), rssBefore, rssAfter, p99(before), p99(during))
}
