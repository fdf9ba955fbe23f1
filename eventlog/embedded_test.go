package eventlog

import (
	"context"
	"errors"
	"testing"

	"github.com/townhall/townhall/session"
)

func TestEmbedded(t *testing.T) {
	testStore(t, func(t *testing.T) Store {
		s, err := OpenEmbedded(EmbeddedConfig{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestEmbeddedKeepsAckedEventsAcrossReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := OpenEmbedded(EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	epoch, _ := s.Create(ctx, "s")
	for i := 0; i < 3; i++ {
		if _, err := s.Append(ctx, "s", session.Event{Cmd: session.Command{Op: "vote"}}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if _, err := s.Append(ctx, "s", session.Event{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v, want ErrClosed", err)
	}
	s, err = OpenEmbedded(EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	last, _ := s.LastOffset(ctx, "s")
	got, _ := s.Epoch(ctx, "s")
	if last != 3 || got != epoch {
		t.Fatalf("after reopen: last %d epoch %q; want 3 %q", last, got, epoch)
	}
	off, err := s.Append(ctx, "s", session.Event{})
	if err != nil || off != 4 {
		t.Fatalf("append after reopen: %d %v", off, err)
	}
}
