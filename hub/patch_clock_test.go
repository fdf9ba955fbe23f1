package hub

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/townhall/townhall/session"
)

// queuedPatches returns the patch messages queued on c, decoded, and
// forgets everything queued.
func queuedPatches(t *testing.T, c *Conn) []map[string]any {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]any
	for _, p := range c.pushes {
		var m map[string]any
		if err := json.Unmarshal(p.frame, &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] == "patch" {
			out = append(out, m)
		}
	}
	c.pushes, c.replies = nil, nil
	return out
}

// A patch carries the server's clock only every patchClockEvery: on a
// busy board the clock was an eighth of every phone's bytes. The first
// patch after a quiet spell carries it, the next ones within the spacing
// do not, and once the spacing has passed one does again.
func TestPatchesCarryTheClockEveryFewSeconds(t *testing.T) {
	t.Parallel()
	th := newTickHub(t)
	qa := th.apply(session.Host, session.Command{ID: "q1", Op: "activity.create",
		Spec: &session.ActivitySpec{Kind: session.KindQA, Title: "Board"}}).Result.Activity
	th.apply(session.Host, session.Command{ID: "q2", Op: "activity.open", Activity: qa})
	th.apply(session.Host, session.Command{ID: "q3", Op: "activity.present", Activity: qa})
	phone := th.phone()
	phone.patches = true
	th.h.mu.Lock()
	th.h.patchConns[attendeeAudience]++
	th.h.mu.Unlock()
	asker := th.phone()
	th.h.tick(true) // the join's whole views
	queuedPatches(t, phone)

	ask := func(i int) {
		th.apply(asker.participant, session.Command{ID: fmt.Sprint("a", i), Op: "qa.ask", Activity: qa, Text: fmt.Sprint("Question ", i)})
		th.h.tick(true)
	}
	clocked := func() []bool {
		var out []bool
		for _, m := range queuedPatches(t, phone) {
			_, has := m["now"]
			out = append(out, has)
		}
		return out
	}
	ask(1)
	ask(2) // the first push of the board to this phone is whole: this one patches
	queuedPatches(t, phone)
	th.h.patchClock[attendeeAudience] = time.Time{}
	ask(3)
	if got := clocked(); len(got) != 1 || !got[0] {
		t.Fatalf("the first patch after a quiet spell: clock %v, want one patch with it", got)
	}
	ask(4)
	if got := clocked(); len(got) != 1 || got[0] {
		t.Fatalf("a patch right after one with the clock: clock %v, want one patch without it", got)
	}
	th.h.patchClock[attendeeAudience] = time.Now().Add(-patchClockEvery)
	ask(5)
	if got := clocked(); len(got) != 1 || !got[0] {
		t.Fatalf("a patch once the spacing has passed: clock %v, want one patch with it", got)
	}
}
