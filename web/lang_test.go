package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/townhall/townhall/hub"
)

// connectIn says hello in a language and waits for the welcome.
func (s *testServer) connectIn(t *testing.T, token, lang string) *client {
	t.Helper()
	c := s.dial(t, nil)
	c.sendRaw(map[string]any{"type": "hello", "token": token, "lang": lang})
	c.waitFor("welcome", func(m map[string]any) bool { return m["type"] == "welcome" })
	return c
}

// Three phones in three languages read one poll each in theirs, their
// votes add up on one bar, and each Q&A entry says its asker's language.
func TestViewsInEachPhonesLanguage(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess := s.create(t, "Town hall")
	host := s.connect(t, sess.FacilitatorKey)
	if out := host.cmd("session.update", map[string]any{"languages": []string{"en", "fr", "es"}}); out["type"] != "ack" {
		t.Fatalf("update: %v", out)
	}
	if out := host.cmd("session.update", map[string]any{"languages": []string{}}); out["code"] != "bad_request" ||
		!strings.Contains(fmt.Sprint(out["message"]), "at least one language") {
		t.Fatalf("an empty list of languages: %v", out)
	}
	out := host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "poll",
		"title":   map[string]string{"en": "First?", "fr": "D'abord ?", "es": "¿Primero?"},
		"options": []any{map[string]string{"en": "Housing", "fr": "Logement", "es": "Vivienda"}, "Transport"}}})
	poll, _ := out["activity"].(string)
	if poll == "" {
		t.Fatalf("create: %v", out)
	}
	host.cmd("activity.present", map[string]any{"activity": poll})
	host.cmd("activity.open", map[string]any{"activity": poll})
	host.cmd("activity.reveal", map[string]any{"activity": poll, "attendees": true, "display": true})

	phones := map[string]*client{}
	for _, lang := range []string{"fr", "es-MX", "en"} {
		phones[lang] = s.connectIn(t, s.join(t, sess.Code), lang)
		if out := phones[lang].cmd("vote", map[string]any{"activity": poll, "choices": []int{0}}); out["type"] != "ack" {
			t.Fatalf("vote in %s: %v", lang, out)
		}
	}
	display := s.connectIn(t, sess.DisplayKey, "fr")
	want := map[string][2]string{"fr": {"D'abord ?", "Logement"}, "es-MX": {"¿Primero?", "Vivienda"}, "en": {"First?", "Housing"}}
	for lang, c := range phones {
		c.waitFor(lang+" poll with 3 votes", func(m map[string]any) bool {
			a := activityOf(m, poll)
			if a == nil {
				return false
			}
			opt := a["options"].([]any)[0].(map[string]any)
			return a["title"] == want[lang][0] && opt["label"] == want[lang][1] && opt["votes"] == 3.0 && opt["labels"] == nil
		})
	}
	display.waitFor("the display in French with every translation", func(m map[string]any) bool {
		a := activityOf(m, poll)
		if a == nil {
			return false
		}
		opt := a["options"].([]any)[0].(map[string]any)
		labels, _ := opt["labels"].(map[string]any)
		return opt["label"] == "Logement" && labels["es"] == "Vivienda" && opt["votes"] == 3.0
	})

	out = host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "qa", "title": "Questions"}})
	qa := out["activity"].(string)
	host.cmd("activity.present", map[string]any{"activity": qa})
	host.cmd("activity.open", map[string]any{"activity": qa})
	// A lang in the command is not the sender's say: the connection's is.
	if out := phones["es-MX"].cmd("qa.ask", map[string]any{"activity": qa, "text": "¿Cuándo?", "lang": "fr"}); out["type"] != "ack" {
		t.Fatalf("ask: %v", out)
	}
	host.waitFor("the entry with its language", func(m map[string]any) bool {
		a := activityOf(m, qa)
		if a == nil {
			return false
		}
		entries, _ := a["entries"].([]any)
		return len(entries) == 1 && entries[0].(map[string]any)["lang"] == "es-MX"
	})
}

// Languages change while votes are pushed to phones in each of them: a
// phone whose language leaves the session reads the default, and reads
// its own again when it comes back. Run with -race, this is also the test
// that the push loop matches connections to languages without reading
// the state a session.update is writing.
func TestLanguagesChangeWhilePushing(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(_ *Config, h *hub.Config) { h.CommandRate, h.CommandBurst = 1000, 1000 })
	sess := s.create(t, "Shifting")
	host := s.connect(t, sess.FacilitatorKey)
	all := []string{"en", "fr", "es"}
	if out := host.cmd("session.update", map[string]any{"languages": all}); out["type"] != "ack" {
		t.Fatalf("update: %v", out)
	}
	out := host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "poll",
		"title":   map[string]string{"en": "Now?", "fr": "Maintenant ?", "es": "¿Ahora?"},
		"options": []string{"Yes", "No"}}})
	poll, _ := out["activity"].(string)
	for _, op := range []string{"activity.present", "activity.open"} {
		if a := host.cmd(op, map[string]any{"activity": poll}); a["type"] != "ack" {
			t.Fatalf("%s: %v", op, a)
		}
	}
	host.cmd("activity.reveal", map[string]any{"activity": poll, "attendees": true, "display": true})
	fr := s.connectIn(t, s.join(t, sess.Code), "fr")
	es := s.connectIn(t, s.join(t, sess.Code), "es")
	display := s.connectIn(t, sess.DisplayKey, "es")

	var voters []*client
	for range 12 {
		voters = append(voters, s.connectIn(t, s.join(t, sess.Code), []string{"fr", "es", "en"}[len(voters)%3]))
	}
	acks := make([]map[string]any, len(voters))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, v := range voters {
			acks[i] = v.cmd("vote", map[string]any{"activity": poll, "choices": []int{i % 2}})
		}
	}()
	for i := range 24 {
		langs := all
		if i%2 == 0 {
			langs = all[:2]
		}
		if out := host.cmd("session.update", map[string]any{"languages": langs}); out["type"] != "ack" {
			t.Fatalf("update %d: %v", i, out)
		}
	}
	<-done
	for i, a := range acks {
		if a["type"] != "ack" {
			t.Fatalf("vote %d: %v", i, a)
		}
	}

	// What a client shows is the latest view it was sent: an earlier frame
	// in the same words, from before the last update, proves nothing.
	reads := func(c *client, what, want string) {
		t.Helper()
		eventually(t, what, func() bool {
			m := c.latest(func(m map[string]any) bool { return activityOf(m, poll) != nil })
			a := activityOf(m, poll)
			return a != nil && a["title"] == want && a["voters"] == float64(len(voters))
		})
	}
	// The last update put Spanish back.
	reads(es, "the Spanish phone in Spanish with every vote", "¿Ahora?")
	reads(fr, "the French phone in French with every vote", "Maintenant ?")
	reads(display, "the Spanish display in Spanish", "¿Ahora?")

	if out := host.cmd("session.update", map[string]any{"languages": all[:2]}); out["type"] != "ack" {
		t.Fatalf("update: %v", out)
	}
	reads(es, "the Spanish phone in the default once Spanish is gone", "Now?")
	reads(fr, "the French phone still in French", "Maintenant ?")
}
