package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// startServer builds cmd/townhall and runs it on a free loopback port with
// a fresh data folder, and returns its base URL once /readyz answers 200.
func startServer(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "townhall")
	build := exec.Command("go", "build", "-o", bin, "./cmd/townhall")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the server: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	var logs bytes.Buffer
	cmd := exec.Command(bin, "--addr", addr, "--data", t.TempDir())
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("server output:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("server exited before it was ready:\n%s", logs.String())
		default:
		}
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready within 20s:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func runJSON(t *testing.T, args ...string) (*Report, int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"--json", "--timeout", "90s"}, args...), &stdout, &stderr)
	var rep Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("run exited %d with no JSON report: %v\nstdout:\n%s\nstderr:\n%s", code, err, stdout.String(), stderr.String())
	}
	return &rep, code, stderr.String()
}

func TestLoadAgainstRealServer(t *testing.T) {
	base := startServer(t)

	cases := []struct {
		name string
		args []string
	}{
		{"vote", []string{"--scenario", "vote", "--phones", "50", "--votes", "200", "--rate", "400"}},
		{"vote with reconnects", []string{"--scenario", "vote", "--phones", "50", "--votes", "200", "--rate", "400", "--reconnect-fraction", "0.3"}},
		{"words", []string{"--scenario", "words", "--phones", "30", "--votes", "90", "--rate", "300", "--max-entries", "3"}},
		{"qa", []string{"--scenario", "qa", "--phones", "30", "--votes", "90", "--rate", "300"}},
		{"queue", []string{"--scenario", "queue", "--phones", "30", "--votes", "90", "--rate", "300"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep, code, stderr := runJSON(t, append([]string{"--url", base}, tc.args...)...)
			if code != 0 || !rep.OK {
				t.Errorf("exit %d, ok %v; stderr:\n%s", code, rep.OK, stderr)
			}
			if rep.ConnFailures != 0 || rep.Connected != int64(rep.Phones) {
				t.Errorf("connected %d of %d, %d connection failures", rep.Connected, rep.Phones, rep.ConnFailures)
			}
			e := rep.Export
			if !e.Checked || e.Error != "" || e.Lost != 0 || e.Doubled != 0 {
				t.Errorf("export check: %+v", e)
			}
			if rep.Acked == 0 || rep.Ack.Count+rep.ResentAck.Count != int(rep.Acked) || rep.Ack.Max <= 0 {
				t.Errorf("acked %d, ack latency %+v", rep.Acked, rep.Ack)
			}
			if rep.Display == nil || rep.Display.Count == 0 || rep.DisplayMissing != 0 {
				t.Errorf("display latency %+v, missing %d", rep.Display, rep.DisplayMissing)
			}
			if strings.Contains(tc.name, "reconnect") && (rep.Drops == 0 || rep.Reconnects < rep.Drops) {
				t.Errorf("drops %d, reconnects %d", rep.Drops, rep.Reconnects)
			}
			// Every reconnect closes one gap; none is left open.
			if rep.ReconnectGap.Count != int(rep.Reconnects) || rep.ReconnectGapUnended != 0 {
				t.Errorf("reconnect gaps %+v (%d unended) for %d reconnects", rep.ReconnectGap, rep.ReconnectGapUnended, rep.Reconnects)
			}
			if tc.name == "vote" && (rep.Sent != 200 || rep.Acked != 200 || e.Expected["voters"] != 50) {
				t.Errorf("sent %d acked %d voters %d, want 200, 200, 50", rep.Sent, rep.Acked, e.Expected["voters"])
			}
		})
	}

	t.Run("slow phones", func(t *testing.T) {
		rep, code, stderr := runJSON(t, "--url", base, "--scenario", "qa", "--phones", "30", "--questions", "20",
			"--rate", "40", "--duration", "4s", "--patches", "--slow-phones", "3", "--slow-kbit", "200", "--slow-delay", "20ms")
		if code != 0 || !rep.OK {
			t.Fatalf("exit %d, ok %v; stderr:\n%s", code, rep.OK, stderr)
		}
		sp := rep.SlowPhones
		if sp == nil || sp.Phones != 3 || sp.ToView.Count == 0 || sp.Steady.Mean <= 0 {
			t.Fatalf("slow phones %+v", sp)
		}
		// Every vote reaches a slow phone's view through the link's
		// delay down, at least.
		if sp.ToView.P50 < 20 {
			t.Fatalf("upvotes reached the slow views in %v ms (p50), under the link's delay", sp.ToView.P50)
		}
		if pc := rep.Patches; pc == nil || pc.Converged != pc.Applying || pc.Applying < 3 {
			t.Fatalf("patches %+v", rep.Patches)
		}
	})

	// Phones that offer compression, as browsers do, get the same views in
	// fewer bytes on the wire, whole views and patches alike, and the
	// phones that apply patches still hold what a new connection gets.
	t.Run("compressed", func(t *testing.T) {
		args := []string{"--url", base, "--scenario", "qa", "--phones", "20", "--questions", "60", "--rate", "40", "--duration", "3s", "--seed", "7"}
		bytesOf := func(extra ...string) float64 {
			rep, code, stderr := runJSON(t, append(args, extra...)...)
			if code != 0 || !rep.OK {
				t.Fatalf("%v: exit %d, ok %v; stderr:\n%s", extra, code, rep.OK, stderr)
			}
			if pc := rep.Patches; slices.Contains(extra, "--patches") && (pc == nil || pc.Converged != pc.Applying || pc.Applying == 0) {
				t.Fatalf("%v: patches %+v", extra, rep.Patches)
			}
			return rep.BytesPerPhone.Mean
		}
		// Whole views of a board shrink many times over; patches, a few
		// hundred bytes of ids and counts, by a third to a half, which the
		// two runs' different ticks on a busy machine can blur: they only
		// have to shrink.
		for _, c := range []struct {
			mode []string
			most float64
		}{{nil, 0.5}, {[]string{"--patches"}, 1}} {
			plain, compressed := bytesOf(c.mode...), bytesOf(append(c.mode, "--compress")...)
			if compressed <= 0 || compressed >= plain*c.most {
				t.Errorf("%v: %.0f bytes per phone per second compressed, %.0f plain", c.mode, compressed, plain)
			}
		}
	})

	t.Run("ack trace", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "acks.csv")
		rep, code, stderr := runJSON(t, "--url", base, "--phones", "20", "--votes", "60", "--rate", "300", "--ack-trace", file)
		if code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if lines[0] != "due_ms,ack_ms,resent" || len(lines)-1 != int(rep.Acked) {
			t.Fatalf("%d lines for %d acks, header %q", len(lines)-1, rep.Acked, lines[0])
		}
		var lastDue float64
		for _, l := range lines[1:] {
			var due, ack float64
			var resent bool
			if _, err := fmt.Sscanf(strings.ReplaceAll(l, ",", " "), "%g %g %t", &due, &ack, &resent); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			if due < lastDue || ack <= 0 || ack > rep.Ack.Max+0.01 {
				t.Fatalf("line %q after due %g; max ack %v", l, lastDue, rep.Ack.Max)
			}
			lastDue = due
		}
	})

	t.Run("human output", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := run([]string{"--url", base, "--phones", "5", "--votes", "10", "--rate", "100", "--timeout", "60s"}, &stdout, &stderr)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
		}
		for _, want := range []string{"result: OK", "ack", "command-to-display", "lost 0, doubled 0"} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("summary lacks %q:\n%s", want, stdout.String())
			}
		}
	})
}

func TestRefusesRemoteHosts(t *testing.T) {
	for _, u := range []string{"http://example.com", "http://10.0.0.1:8080", "http://192.168.1.2"} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"--url", u}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "loopback") {
			t.Errorf("%s: exit %d, stderr %q", u, code, stderr.String())
		}
	}
	for _, u := range []string{"http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1"} {
		if err := checkURL(u, false); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	if err := checkURL("http://example.com", true); err != nil {
		t.Errorf("--allow-remote: %v", err)
	}
}

func TestURLListAndFlags(t *testing.T) {
	var u urlList
	u.Set("http://127.0.0.1:1/, http://127.0.0.1:2")
	u.Set("http://127.0.0.1:3")
	if got := fmt.Sprint([]string(u)); got != "[http://127.0.0.1:1 http://127.0.0.1:2 http://127.0.0.1:3]" {
		t.Errorf("urls = %s", got)
	}
	var stderr bytes.Buffer
	for _, args := range [][]string{
		{"--scenario", "dance"},
		{"--phones", "0"},
		{"--reconnect-fraction", "2"},
		{"--session-code", "12345678"},
	} {
		if _, err := parseFlags(args, &stderr); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func TestMsgType(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`{"type":"ack","id":"l1"}`, "ack", true},
		{`{"id":"l1", "type": "error"}`, "error", true},
		{`{"type":"activity","offset":3,"activity":{"title":"x\"type\":\"ack"}}`, "activity", true},
		{`{"id":"l1"}`, "", false},
		{`{"type":"acti`, "", false},
	}
	for _, tt := range tests {
		got, ok := msgType([]byte(tt.in))
		if string(got) != tt.want || ok != tt.ok {
			t.Errorf("msgType(%s) = %q, %v", tt.in, got, ok)
		}
	}
}

func TestCommandEncoding(t *testing.T) {
	for _, c := range []*command{
		&command{id: "l1", op: "vote", choice: 2},
		&command{id: "l2", op: "word.submit", text: "river"},
		&command{id: "l3", op: "qa.upvote", entry: "e1"},
		&command{id: "l4", op: "hand.raise", text: "Phone 4", choice: 1},
		&command{id: "l5", op: "hand.lower"},
	} {
		c.encode("a1")
		var m map[string]any
		if err := json.Unmarshal(c.payload, &m); err != nil {
			t.Fatalf("%s: %v", c.payload, err)
		}
		if m["type"] != "cmd" || m["id"] != c.id || m["op"] != c.op || m["activity"] != "a1" {
			t.Errorf("%s", c.payload)
		}
	}
}
