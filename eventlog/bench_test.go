package eventlog

import (
	"context"
	"fmt"
	"testing"

	"github.com/townhall/townhall/internal/redistest"
	"github.com/townhall/townhall/session"
)

// benchmarkAppend appends votes to one session from many goroutines, as
// the phones of one hall do: appends per second is 1e9 / ns/op.
func benchmarkAppend(b *testing.B, s Store) {
	ctx := context.Background()
	if _, err := s.Create(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			e := session.Event{Actor: "p1", Cmd: session.Command{ID: fmt.Sprint("c", i), Op: "vote", Activity: "a2", Choices: []int{1}}}
			if _, err := s.Append(ctx, "bench", e); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkAppendEmbedded(b *testing.B) {
	s, err := OpenEmbedded(EmbeddedConfig{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	benchmarkAppend(b, s)
}

func BenchmarkAppendRedis(b *testing.B) {
	srv := redistest.Start(b, redistest.Options{AOF: true})
	s, err := OpenRedis(context.Background(), RedisConfig{URL: srv.URL()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	benchmarkAppend(b, s)
}
