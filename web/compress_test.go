package web

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// Phones that offer compression, as browsers do with or without asking for
// context takeover, and one that offers none, all read the same welcome
// and the same pushes: the server compresses each message on its own
// (permessage-deflate without context takeover) and says so in its answer
// to the upgrade.
func TestCompressionAsTheClientOffers(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess := s.create(t, "Compression")
	host := s.connect(t, sess.FacilitatorKey)
	// A poll whose view is well past the 512 bytes compression starts at.
	var options []string
	for i := range 20 {
		options = append(options, fmt.Sprintf("Option number %d, with a longer label", i+1))
	}
	ack := host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "poll", "title": "Which?", "options": options, "resultsVisible": true}})
	poll, _ := ack["activity"].(string)
	if a := host.cmd("activity.present", map[string]any{"activity": poll}); a["type"] != "ack" {
		t.Fatalf("present: %v", a)
	}
	modes := []struct {
		name string
		mode websocket.CompressionMode
		ext  string
	}{
		{"no compression", websocket.CompressionDisabled, ""},
		{"no context takeover", websocket.CompressionNoContextTakeover, "permessage-deflate; client_no_context_takeover; server_no_context_takeover"},
		{"context takeover offered", websocket.CompressionContextTakeover, "permessage-deflate; client_no_context_takeover; server_no_context_takeover"},
	}
	phones := make([]*client, len(modes))
	for i, m := range modes {
		token := s.join(t, sess.Code)
		c, resp := s.dialWith(t, &websocket.DialOptions{CompressionMode: m.mode})
		if got := resp.Header.Get("Sec-WebSocket-Extensions"); got != m.ext {
			t.Fatalf("%s: the server answered %q, want %q", m.name, got, m.ext)
		}
		c.sendRaw(map[string]any{"type": "hello", "token": token, "since": 0})
		c.waitFor("welcome", func(m map[string]any) bool { return m["type"] == "welcome" })
		phones[i] = c
	}
	if a := host.cmd("activity.open", map[string]any{"activity": poll}); a["type"] != "ack" {
		t.Fatalf("open: %v", a)
	}
	var pushes [][]byte
	for i, c := range phones {
		c.waitFor("the open poll", func(m map[string]any) bool {
			return m["type"] == "activity" && strings.Contains(fmt.Sprint(m["activity"]), "state:open")
		})
		c.mu.Lock()
		for j, m := range c.msgs {
			if m["type"] == "activity" && strings.Contains(fmt.Sprint(m["activity"]), "state:open") {
				pushes = append(pushes, c.raw[j])
				break
			}
		}
		c.mu.Unlock()
		if len(pushes[i]) < 512 {
			t.Fatalf("%s: a push of %d bytes, too small to be compressed", modes[i].name, len(pushes[i]))
		}
	}
	for i := 1; i < len(pushes); i++ {
		if !bytes.Equal(pushes[i], pushes[0]) {
			t.Errorf("%s read\n%s\n%s read\n%s", modes[i].name, pushes[i], modes[0].name, pushes[0])
		}
	}
}
