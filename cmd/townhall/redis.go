package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/townhall/townhall/eventlog"
)

// openRedis is replaced once the Redis store lands.
func openRedis(ctx context.Context, cfg config, log *slog.Logger) (eventlog.Store, error) {
	_ = time.Second
	return nil, errors.New("redis is not available in this build")
}
