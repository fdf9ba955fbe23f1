package protocol

import (
	"strings"
	"testing"
)

func TestValidID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"c-17", true},
		{"a.b_c:d-9", true},
		{strings.Repeat("x", 64), true},
		{"", false},
		{strings.Repeat("x", 65), false},
		{"c 17", false},
		{"c/17", false},
		{"é", false},
		{"c\x00", false},
	} {
		if got := ValidID(tc.id); got != tc.ok {
			t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, tc.ok)
		}
	}
}

func TestReconnects(t *testing.T) {
	stop := map[CloseStatus]bool{CloseNormal: true, ClosePolicy: true}
	for _, s := range []CloseStatus{CloseNormal, CloseGoingAway, CloseInvalidData, ClosePolicy, CloseTooBig, CloseTryAgainLater, CloseFlooding} {
		if s.Reconnects() == stop[s] {
			t.Errorf("%d: Reconnects() = %v", s, s.Reconnects())
		}
	}
}
