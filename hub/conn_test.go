package hub

import (
	"fmt"
	"testing"
)

// A connection whose writer is stuck keeps one frame per key: the latest.
func TestConnKeepsOnlyTheLatestPushPerKey(t *testing.T) {
	c := &Conn{}
	for i := 0; i < 1000; i++ {
		c.enqueue("a1", []byte(fmt.Sprint(i)))
		c.enqueue("s", []byte(fmt.Sprint("s", i)))
	}
	if len(c.pushes) != 2 || string(c.pushes[0].frame) != "999" || string(c.pushes[1].frame) != "s999" {
		t.Fatalf("pushes = %+v", c.pushes)
	}
	for i := 0; i < 3; i++ {
		if !c.reply([]byte("ack"), 3) {
			t.Fatalf("reply %d refused under the limit", i)
		}
	}
	if c.reply([]byte("ack"), 3) {
		t.Fatal("a fourth unread reply was queued past the limit of 3")
	}
}

// A connection that takes patches gets one only on the base it holds, and
// never one that replaces an unsent push: that would leave a gap.
func TestConnGetsAPatchOnlyOnItsBase(t *testing.T) {
	t.Parallel()
	c := &Conn{patches: true, held: []heldView{{"a1", 10}}}
	at := func(off, base uint64) push {
		p := push{key: "aa1", activity: "a1", offset: off, base: base}
		p.frame, p.wire = framed([]byte(fmt.Sprint("whole", off)))
		p.patch, p.patchWire = framed([]byte(fmt.Sprint("patch", base, "-", off)))
		return p
	}
	take := func() string {
		f, wire, _, ok := c.next()
		if !ok {
			return ""
		}
		// The frame written on a socket must be the one queued.
		if wire != nil && string(wire.plain) != string(appendFrame(nil, f)) {
			t.Fatalf("queued %q with the frame of %q", f, wire.plain)
		}
		return string(f)
	}
	c.enqueueAll([]push{at(12, 10)})
	if got := take(); got != "patch10-12" {
		t.Fatalf("on its base: %q", got)
	}
	// Two patches before the first is written: the second replaces it,
	// so the client would miss 12→14; it gets the whole view at 16.
	c.enqueueAll([]push{at(14, 12)})
	c.enqueueAll([]push{at(16, 14)})
	if got, rest := take(), take(); got != "whole16" || rest != "" {
		t.Fatalf("coalesced: %q then %q", got, rest)
	}
	c.enqueueAll([]push{at(18, 16)})
	if got := take(); got != "patch16-18" {
		t.Fatalf("after the whole view: %q", got)
	}
	// A base it does not hold (it missed a push): the whole view.
	c.enqueueAll([]push{at(22, 20)})
	if got := take(); got != "whole22" {
		t.Fatalf("another base: %q", got)
	}
	// A session push carries the activity at 24: a queued older push of it
	// is dropped, and a push of the same offset is not sent again.
	c.enqueueAll([]push{at(23, 22)})
	c.enqueueAll([]push{{key: "s", frame: []byte("session24"), acts: []string{"a1"}, offset: 24}, at(24, 22)})
	if got, rest := take(), take(); got != "session24" || rest != "" {
		t.Fatalf("session: %q then %q", got, rest)
	}
	c.enqueueAll([]push{at(26, 24)})
	if got := take(); got != "patch24-26" {
		t.Fatalf("after the session push: %q", got)
	}
	// A client without patches gets whole views only.
	w := &Conn{}
	w.enqueueAll([]push{at(12, 10)})
	if f, _, _, _ := w.next(); string(f) != "whole12" {
		t.Fatalf("without patches: %q", f)
	}
}
