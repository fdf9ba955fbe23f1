package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A wrong flag, a stray argument, a bad log format and a Redis URL that
// cannot be parsed each exit non-zero with a line that names the problem,
// before anything listens.
func TestPermanentConfigErrorsExit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--no-such-flag"}, "no-such-flag"},
		{[]string{"verison", "--addr", "127.0.0.1:1"}, `unexpected argument "verison"`},
		{[]string{"--addr", "127.0.0.1:1", "extra"}, `unexpected argument "extra"`},
		{[]string{"--redis", "http://not-redis"}, "--redis"},
		{[]string{"--log-format", "xml"}, "--log-format"},
		{[]string{"--retention", "forever"}, "--retention"},
		{[]string{"version", "now"}, `unexpected argument "now"`},
	} {
		cmd := exec.Command(binary, tc.args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err == nil || cmd.ProcessState.ExitCode() == 0 {
				t.Errorf("%v: exit 0, want an error", tc.args)
			}
			if !strings.Contains(out.String(), tc.want) {
				t.Errorf("%v: output %q does not name %q", tc.args, out.String(), tc.want)
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Errorf("%v: still running: a permanent error must exit", tc.args)
		}
	}
}

// The version is the same from the command line, the API and the metric.
func TestVersionEverywhere(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(binary, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(out))
	if !strings.HasPrefix(line, "townhall ") || !strings.Contains(line, "(protocol 1.1)") {
		t.Fatalf("--version: %q", line)
	}
	ver := strings.Fields(line)[1]
	if sub, _ := exec.Command(binary, "version").Output(); strings.TrimSpace(string(sub)) != line {
		t.Fatalf("townhall version: %q, --version: %q", sub, line)
	}
	addr := freeAddr(t)
	start(t, addr, t.TempDir(), "--log-format", "json")
	res, err := http.Get("http://" + addr + "/api/version")
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	json.NewDecoder(res.Body).Decode(&v)
	res.Body.Close()
	if v["version"] != ver || v["protocol"] != "1.1" {
		t.Fatalf("/api/version = %v, want %s and 1.1", v, ver)
	}
	res, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `townhall_build_info{goversion="`) || !strings.Contains(string(body), `version="`+ver+`"`) {
		t.Fatalf("no townhall_build_info with version %s on /metrics", ver)
	}
}

// The JSON log has an access line per request and audit lines for a
// created session and a failed join, and never a key or token.
func TestJSONLogsAccessAndAudit(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	p := start(t, addr, t.TempDir(), "--log-format", "json")
	sess := postJSON(t, "http://"+addr+"/api/sessions", map[string]string{"title": "Logged"})
	res, err := http.Post("http://"+addr+"/api/join", "application/json", strings.NewReader(`{"code":"00000000"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	export(t, addr, sess)
	deadline := time.Now().Add(10 * time.Second)
	for {
		logs := p.out.String()
		lines := strings.Split(strings.TrimSpace(logs), "\n")
		var access, created, failed int
		for _, l := range lines {
			if !strings.HasPrefix(l, "{") {
				continue // the banner on stdout
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("a log line that is not JSON: %q", l)
			}
			switch m["msg"] {
			case "http":
				access++
			case "audit: session created":
				created++
			case "audit: failed join":
				failed++
			}
		}
		for _, secret := range []string{sess["facilitatorKey"].(string), sess["displayKey"].(string), sess["joinKey"].(string)} {
			if strings.Contains(logs, secret) {
				t.Fatal("a key is in the log")
			}
		}
		if access >= 3 && created == 1 && failed == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("access %d, created %d, failed %d lines in:\n%s", access, created, failed, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A backup taken from a running server while appends go on restores to a
// consistent store: the quiet session's export is identical, and the busy
// one's log is a prefix of the original's, event for event.
func TestBackupUnderLoadRestores(t *testing.T) {
	t.Parallel()
	addr, data := freeAddr(t), t.TempDir()
	start(t, addr, data, "--command-rate", "100000", "--command-burst", "100000")
	quiet, qhost, poll := openPoll(t, addr)
	for i := 0; i < 5; i++ {
		join := postJSON(t, "http://"+addr+"/api/join", map[string]string{"code": quiet["code"].(string)})
		c := dialHello(t, addr, join["token"].(string))
		if a := c.cmd(fmt.Sprint("v", i), "vote", map[string]any{"activity": poll, "choices": []int{i % 3}}); a["type"] != "ack" {
			t.Fatal(a)
		}
	}
	qhost.cmd("h4", "activity.close", map[string]any{"activity": poll})
	want := export(t, addr, quiet)

	busy, bhost, _ := openPoll(t, addr)
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 450 && !stop.Load(); i++ { // bounded, under the 500 activities cap
			bhost.cmd(fmt.Sprint("q", i), "activity.create", map[string]any{"activity": map[string]any{"kind": "qa", "title": fmt.Sprint("Board ", i)}})
		}
	}()
	// Let the appends run, then back up in their midst.
	eventually(t, "appends under way", func() bool {
		x := export(t, addr, busy)
		acts, _ := x["activities"].([]any)
		return len(acts) > 20
	})
	copyFile := filepath.Join(t.TempDir(), "townhall.db")
	out, err := exec.Command(binary, "backup", "--data", data, copyFile).CombinedOutput()
	stop.Store(true)
	wg.Wait()
	if err != nil || !strings.Contains(string(out), "from the running server") {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if fi, err := os.Stat(data + "/control.sock"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("control socket: %v %v", fi, err)
	}

	restored := t.TempDir()
	if err := os.Rename(copyFile, filepath.Join(restored, "townhall.db")); err != nil {
		t.Fatal(err)
	}
	raddr := freeAddr(t)
	start(t, raddr, restored)
	got := export(t, raddr, quiet)
	if !jsonEqual(got, want) {
		t.Fatalf("the quiet session after restore:\n%v\nwant\n%v", got, want)
	}
	bx, ox := export(t, raddr, busy), export(t, addr, busy)
	bacts, _ := bx["activities"].([]any)
	oacts, _ := ox["activities"].([]any)
	if len(bacts) == 0 || len(bacts) > len(oacts) || bx["offset"].(float64) > ox["offset"].(float64) {
		t.Fatalf("the busy session: %d activities at offset %v restored, %d at %v after", len(bacts), bx["offset"], len(oacts), ox["offset"])
	}
	for i := range bacts {
		if !jsonEqual(bacts[i], oacts[i]) {
			t.Fatalf("activity %d differs after restore: %v vs %v", i, bacts[i], oacts[i])
		}
	}
}

// Without a server, the backup reads the store file itself.
func TestBackupWithoutServer(t *testing.T) {
	t.Parallel()
	addr, data := freeAddr(t), t.TempDir()
	p := start(t, addr, data)
	sess, _, _ := openPoll(t, addr)
	want := export(t, addr, sess)
	p.cmd.Process.Kill()
	<-p.done
	copyFile := filepath.Join(t.TempDir(), "copy.db")
	out, err := exec.Command(binary, "backup", "--data", data, copyFile).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "from the store file") {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	restored := t.TempDir()
	os.Rename(copyFile, filepath.Join(restored, "townhall.db"))
	raddr := freeAddr(t)
	start(t, raddr, restored)
	if got := export(t, raddr, sess); !jsonEqual(got, want) {
		t.Fatalf("after restore: %v, want %v", got, want)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
