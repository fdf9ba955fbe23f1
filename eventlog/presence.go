package eventlog

import (
	"context"
	_ "embed"
	"time"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/presence.lua
var presenceLua string

var presenceScript = redis.NewScript(presenceLua)

// Presence records count as this instance's for the session, holding for
// ttl unless renewed, and returns the sum of every instance's count that
// still holds, this one's included; a count of 0 removes this instance's.
// Nothing goes to the session's log: the counts live in the hash
// th:{<session>}:presence, whose fields expire by Redis's clock, so
// instances need not agree on theirs.
func (r *Redis) Presence(ctx context.Context, id, instance string, count int, ttl time.Duration) (int, error) {
	if r.isClosed() {
		return 0, ErrClosed
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	n, err := presenceScript.Run(ctx, r.client, []string{redisKey(id, "presence")}, instance, count, ttl.Milliseconds()).Int()
	if err != nil {
		return 0, r.fail("presence", err)
	}
	return n, nil
}
