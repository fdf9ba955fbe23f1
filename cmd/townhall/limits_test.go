package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLimitFlagsAndEnvironment(t *testing.T) {
	t.Parallel()
	none := func(string) string { return "" }
	cfg, err := parse(nil, none, &bytes.Buffer{})
	want := httpFlags{joinFailures: 150, joinFailureEvery: 20 * time.Second, createBurst: 60, createEvery: 2 * time.Second,
		maxParticipants: 100_000, headerTimeout: 10 * time.Second, requestTimeout: 30 * time.Second, idleTimeout: 120 * time.Second}
	if err != nil || cfg.http != want {
		t.Fatalf("defaults: %+v, %v", cfg.http, err)
	}
	env := map[string]string{
		envTrustedProxies: "172.30.80.10/32", envAllowedHosts: "hall.example", envJoinFailures: "300",
		envJoinFailureEvery: "10s", envCreateBurst: "5", envCreateEvery: "1m", envMaxParticipants: "500",
		envHeaderTimeout: "5s", envRequestTimeout: "20s", envIdleTimeout: "1m",
	}
	cfg, err = parse([]string{"--join-failures", "400"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	want = httpFlags{trustedProxies: "172.30.80.10/32", allowedHosts: "hall.example", joinFailures: 400,
		joinFailureEvery: 10 * time.Second, createBurst: 5, createEvery: time.Minute, maxParticipants: 500,
		headerTimeout: 5 * time.Second, requestTimeout: 20 * time.Second, idleTimeout: time.Minute}
	if err != nil || cfg.http != want {
		t.Fatalf("from the environment (a flag winning): %+v, %v", cfg.http, err)
	}
	for _, bad := range []map[string]string{{envJoinFailures: "many"}, {envMaxParticipants: "-1"}, {envIdleTimeout: "0s"}, {envCreateEvery: "soon"}} {
		var stderr bytes.Buffer
		if _, err := parse(nil, func(k string) string { return bad[k] }, &stderr); err == nil || stderr.Len() == 0 {
			t.Errorf("env %v: no error", bad)
		}
	}
	if _, err := parse([]string{"--create-burst", "0"}, none, &bytes.Buffer{}); err == nil {
		t.Error("--create-burst 0: no error")
	}
	if code := run(t.Context(), []string{"--trusted-proxies", "10.0.0.0/33", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, none, io.Discard, io.Discard); code != 1 {
		t.Errorf("a bad --trusted-proxies: exit %d, want 1", code)
	}
}

func TestParsePrefixes(t *testing.T) {
	t.Parallel()
	got, err := parsePrefixes(" 10.0.0.0/8, 172.30.80.10 ,fd00::/8,::ffff:192.0.2.1,, 192.168.1.7/24")
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.30.80.10/32"),
		netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("192.168.1.0/24")}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("parsePrefixes = %v, %v", got, err)
	}
	if none, err := parsePrefixes(""); err != nil || len(none) != 0 {
		t.Fatalf("empty: %v %v", none, err)
	}
	if _, err := parsePrefixes("10.0.0.0/8,haproxy"); err == nil {
		t.Fatal("a name among the CIDRs: no error")
	}
}

func TestDefaultAllowedHosts(t *testing.T) {
	t.Parallel()
	ifaces := func() ([]net.Addr, error) {
		return []net.Addr{&net.IPNet{IP: net.ParseIP("127.0.0.1")}, &net.IPNet{IP: net.ParseIP("192.168.1.5")}, &net.IPNet{IP: net.ParseIP("fe80::1")}}, nil
	}
	unexpected := func() ([]net.Addr, error) { return nil, errors.New("not asked for") }
	for _, tc := range []struct {
		flag string
		addr net.Addr
		want []string
	}{
		{"", &net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, []string{"localhost", "127.0.0.1", "::1", "127.0.0.1", "192.168.1.5", "fe80::1"}},
		{"", &net.TCPAddr{IP: net.ParseIP("10.0.0.5"), Port: 8080}, []string{"localhost", "127.0.0.1", "::1", "10.0.0.5"}},
		{"", &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 8080}, []string{"localhost", "127.0.0.1", "::1"}},
		{"hall.example, vote.example:443", &net.TCPAddr{IP: net.IPv4zero}, []string{"hall.example", "vote.example:443"}},
	} {
		lookup := unexpected
		if ip := tc.addr.(*net.TCPAddr).IP; ip.IsUnspecified() && tc.flag == "" {
			lookup = ifaces
		}
		if got := allowedHosts(tc.flag, tc.addr, lookup); !slices.Equal(got, tc.want) {
			t.Errorf("allowedHosts(%q, %v) = %v, want %v", tc.flag, tc.addr, got, tc.want)
		}
	}
}

func TestWarnsWhenOpenToAll(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ip    string
		token string
		warn  bool
	}{
		{"0.0.0.0", "", true}, {"::", "", true}, {"192.168.1.5", "", true},
		{"0.0.0.0", "secret", false}, {"127.0.0.1", "", false}, {"::1", "", false},
	} {
		if got := openToAll(&net.TCPAddr{IP: net.ParseIP(tc.ip), Port: 8080}, tc.token); got != tc.warn {
			t.Errorf("listening on %s with create token %q: warn %v, want %v", tc.ip, tc.token, got, tc.warn)
		}
	}
	// The binary on loopback says nothing of the kind.
	p := start(t, freeAddr(t), t.TempDir())
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
	if strings.Contains(p.out.String(), "create-token") || !strings.Contains(p.out.String(), "listening") {
		t.Fatalf("a warning on loopback:\n%s", p.out)
	}
}

// TestBinaryHTTPTimeouts: the binary's server cuts off a slow body and an
// idle keep-alive after the configured time, and a websocket outlives
// both.
func TestBinaryHTTPTimeouts(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	start(t, addr, t.TempDir(), "--header-timeout", "300ms", "--request-timeout", "1s", "--idle-timeout", "500ms")
	_, host, poll := openPoll(t, addr)
	closed := func(first string) bool {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, first)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = io.Copy(io.Discard, c)
		return !errors.Is(err, os.ErrDeadlineExceeded)
	}
	if !closed("POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{") {
		t.Fatal("a slow body was not cut off")
	}
	if !closed("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") {
		t.Fatal("an idle keep-alive was not closed")
	}
	if ack := host.cmd("late", "activity.close", map[string]any{"activity": poll}); ack["type"] != "ack" {
		t.Fatalf("the console's websocket after the timeouts: %v", ack)
	}
}
