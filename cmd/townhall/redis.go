package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/townhall/townhall/eventlog"
)

// openRedis connects to Redis, retrying with a logged message while it is
// unreachable, so that an instance started before its Redis waits for it
// instead of crash-looping silently.
func openRedis(ctx context.Context, cfg config, log *slog.Logger) (eventlog.Store, error) {
	wait := 500 * time.Millisecond
	for {
		r, err := eventlog.OpenRedis(ctx, eventlog.RedisConfig{URL: cfg.redis})
		if err == nil {
			return r, nil
		}
		log.Error("cannot reach Redis; retrying", "url", redactURL(cfg.redis), "err", err, "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
		if wait *= 2; wait > 10*time.Second {
			wait = 10 * time.Second
		}
	}
}
