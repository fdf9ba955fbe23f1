package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/townhall/townhall/hub/patch"
)

// Bad peer flags are refused with a reason, before anything connects.
func TestPeerFlagsRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--phones", "10"}, "--key"},
		{[]string{"--key", "k", "--phones", "0"}, "positive"},
		{[]string{"--key", "k", "--payload", "10"}, "--payload"},
		{[]string{"--key", "k", "--url", "http://192.0.2.1:8000"}, "loopback"},
		{[]string{"--key", "k", "extra"}, "unexpected"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"peer"}, tc.args...), &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("peer %v: exit %d, stderr %q, want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

// A views file that is not one JSON value a line is refused, and so is an
// empty one.
func TestPeerViewsFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if v, err := readViews(write("good", "{\"a\":1}\n\n{\"a\":2}\n")); err != nil || len(v) != 2 || string(v[1]) != `{"a":2}` {
		t.Fatalf("good file: %q, %v", v, err)
	}
	if _, err := readViews(write("bad", "{\"a\":1}\n{oops\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("bad file: %v", err)
	}
	if _, err := readViews(write("empty", "\n")); err == nil {
		t.Fatal("an empty file was taken")
	}
	// The poll state is padded to about the asked size with the envelope.
	if n := len(pollState([]int{1, 2, 3, 4}, 300)); n < 200 || n > 260 {
		t.Fatalf("a 300-byte push has a %d-byte state", n)
	}
}

// --record-views writes every whole view the first phone gets, each one
// an activity view that parses; with --patches it is refused.
func TestRecordViews(t *testing.T) {
	base := startServer(t)
	out := filepath.Join(t.TempDir(), "views.jsonl")
	rep, code, stderr := runJSON(t, "--url", base, "--phones", "5", "--scenario", "qa", "--questions", "20",
		"--rate", "20", "--duration", "2s", "--record-views", out)
	if code != 0 || !rep.OK {
		t.Fatalf("exit %d, ok %v\n%s", code, rep.OK, stderr)
	}
	views, err := readViews(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(views) < 2 {
		t.Fatalf("%d views recorded in 2 s of upvotes", len(views))
	}
	for i, raw := range views {
		v, err := patch.Parse(raw)
		if err != nil || v.Kind != "qa" || !v.HasList {
			t.Fatalf("view %d: %v, kind %q: %s", i, err, v.Kind, raw)
		}
	}
	var stdout, errOut bytes.Buffer
	if code := run([]string{"--url", base, "--patches", "--record-views", out}, &stdout, &errOut); code != 2 || !strings.Contains(errOut.String(), "--record-views") {
		t.Fatalf("--record-views with --patches: exit %d\n%s", code, errOut.String())
	}
}
