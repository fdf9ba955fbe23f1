package main

import "testing"

// A reaction storm beside the votes, as the pages send taps and as acked
// commands: the export holds each counted tap once (no more than were
// sent), and the log grew by the votes and a few tally events, not by the
// taps.
func TestReactionStorm(t *testing.T) {
	base := startServer(t)
	for _, acks := range []bool{false, true} {
		args := []string{"--url", base, "--phones", "20", "--duration", "3s", "--rate", "20", "--reactions", "2"}
		if acks {
			args = append(args, "--reaction-acks")
		}
		rep, code, stderr := runJSON(t, args...)
		if code != 0 || !rep.OK {
			t.Fatalf("acks %v: exit %d, ok %v; stderr:\n%s", acks, code, rep.OK, stderr)
		}
		x := rep.Reactions
		if x == nil {
			t.Fatal("no reactions in the report")
		}
		if x.Sent < 60 || x.Exported == 0 || x.Exported > x.Sent || x.Counted != x.Exported {
			t.Fatalf("acks %v, the storm: %+v", acks, x)
		}
		if acks && (x.Acked+x.Refused != x.Sent || x.Refused != 0 || x.Ack.Count != int(x.Sent)) {
			t.Fatalf("the acked storm: %+v", x)
		}
		if x.LogEvents < uint64(rep.Acked) || x.LogEvents > uint64(rep.Acked)+4 {
			t.Fatalf("acks %v: %d taps and %d votes grew the log by %d events", acks, x.Sent, rep.Acked, x.LogEvents)
		}
	}
}
