package hub

import (
	"testing"
	"time"
)

// Past a crowd the attendees' tick doubles, and comes back only well
// under it.
func TestCrowdInterval(t *testing.T) {
	const base, crowd = 250 * time.Millisecond, 2000
	for _, c := range []struct {
		n         int
		cur, want time.Duration
	}{
		{10, base, base},
		{2000, base, base},
		{2001, base, 2 * base},
		{1900, 2 * base, 2 * base}, // under the crowd, not yet under nine tenths
		{1799, 2 * base, base},
		{5000, 2 * base, 2 * base},
	} {
		if got := crowdInterval(base, crowd, c.n, c.cur); got != c.want {
			t.Errorf("%d attendees at %v: %v, want %v", c.n, c.cur, got, c.want)
		}
	}
	if got := crowdInterval(base, -1, 10000, base); got != base {
		t.Errorf("a negative crowd doubled the tick: %v", got)
	}
}
