package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/townhall/townhall/eventlog"
)

// redisLog sends go-redis's own messages (pool and dial retries) to the
// server's log at debug level: the server says itself, once per retry,
// that Redis cannot be reached.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.Debug(fmt.Sprintf(format, v...), "component", "go-redis")
}

// openRedis connects to Redis, retrying with a logged message while it is
// unreachable, so that an instance started before its Redis waits for it
// instead of crash-looping silently.
func openRedis(ctx context.Context, cfg config, log *slog.Logger) (eventlog.Store, error) {
	redis.SetLogger(redisLog{log})
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
