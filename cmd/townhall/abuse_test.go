package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
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
// 15 MB to 436 MB: 30 attendees sending votes with 7,900-character ids.
// Every one is refused, the log does not grow, and a control attendee
// keeps voting; its ack latency and the server's memory are logged
// (docs/benchmarks.md), not asserted.
func TestIDFloodChangesNothing(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	p := start(t, addr, t.TempDir(), "--command-rate", "1000", "--command-burst", "1000")
	sess, _, poll := openPoll(t, addr)
	join := func() *wsClient {
		j := postJSON(t, "http://"+addr+"/api/join", map[string]string{"code": sess["code"].(string)})
		return dialHello(t, addr, j["token"].(string))
	}
	control := join()
	vote := func(round string, n int) []time.Duration {
		var lat []time.Duration
		for i := 0; i < n; i++ {
			t0 := time.Now()
			if a := control.cmd(fmt.Sprintf("%s-%d", round, i), "vote", map[string]any{"activity": poll, "choices": []int{i % 3}}); a["type"] != "ack" {
				t.Fatalf("control vote %s-%d: %v", round, i, a)
			}
			lat = append(lat, time.Since(t0))
		}
		return lat
	}
	before := vote("base", 100)
	offBefore := export(t, addr, sess)["offset"]
	rssBefore := rssKiB(t, p.cmd.Process.Pid)

	long := strings.Repeat("x", 7900)
	var wg sync.WaitGroup
	refused := make([]int, 30)
	for a := 0; a < 30; a++ {
		c := join()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				id := long + strconv.Itoa(i)
				c.send(map[string]any{"type": "cmd", "id": id, "op": "vote", "activity": poll, "choices": []int{0}})
				m := c.until(func(m map[string]any) bool { return m["type"] == "error" || m["type"] == "ack" || m["closed"] != nil })
				if m["type"] == "error" && m["code"] == "bad_request" {
					refused[a]++
				}
			}
		}()
	}
	during := vote("flood", 100)
	wg.Wait()
	rssAfter := rssKiB(t, p.cmd.Process.Pid)
	total := 0
	for _, n := range refused {
		total += n
	}
	if total != 3000 {
		t.Fatalf("%d of 3,000 commands with 7,900-character ids were refused", total)
	}
	// The flooders' joins are the only new events besides the control's votes.
	offAfter := export(t, addr, sess)["offset"].(float64)
	if grew := offAfter - offBefore.(float64); grew != 30+100 {
		t.Fatalf("the log grew by %v events, want the 30 joins and 100 control votes", grew)
	}
	t.Logf("id flood: 3,000 refused; server RSS %d → %d KiB; control ack p99 %v before, %v during",
		rssBefore, rssAfter, p99(before), p99(during))
}
