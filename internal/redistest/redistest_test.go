package redistest

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// do sends one inline command and returns the first line of the answer.
func do(t *testing.T, addr, cmd string) (string, error) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

func TestServerFaults(t *testing.T) {
	s := Start(t, Options{AOF: true})
	if got, err := do(t, s.Addr, "SET k v"); err != nil || got != "+OK" {
		t.Fatalf("SET: %q %v", got, err)
	}
	s.Stop()
	if _, err := do(t, s.Addr, "PING"); err == nil {
		t.Fatalf("a stopped server answered PING")
	}
	s.Continue()
	if got, err := do(t, s.Addr, "PING"); err != nil || got != "+PONG" {
		t.Fatalf("PING after Continue: %q %v", got, err)
	}
	s.Restart()
	if got, err := do(t, s.Addr, "GET k"); err != nil || got != "$1" {
		t.Fatalf("GET after an AOF restart: %q %v", got, err)
	}
	s.Stop() // Cleanup must end a stopped server too
}

func TestRestartWithoutAOFLosesData(t *testing.T) {
	s := Start(t, Options{})
	if got, err := do(t, s.Addr, "SET k v"); err != nil || got != "+OK" {
		t.Fatalf("SET: %q %v", got, err)
	}
	addr := s.Addr
	s.Crash()
	if s.Addr != addr {
		t.Fatalf("address changed across restart: %s then %s", addr, s.Addr)
	}
	if got, err := do(t, s.Addr, "GET k"); err != nil || got != "$-1" {
		t.Fatalf("GET after a restart without AOF: %q %v", got, err)
	}
	s.Down()
	if _, err := do(t, s.Addr, "PING"); err == nil {
		t.Fatalf("server answered while down")
	}
	s.Up()
	if got, err := do(t, s.Addr, "PING"); err != nil || got != "+PONG" {
		t.Fatalf("PING after Up: %q %v", got, err)
	}
}
