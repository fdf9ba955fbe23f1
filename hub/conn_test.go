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
