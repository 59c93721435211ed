package window

import (
	"context"
	"fmt"
	"time"
)

// claimTTL outlives any history the monitor replays after a restart, so a replayed
// event is recognised as already published.
const claimTTL = 7 * 24 * time.Hour

func (s *Store) claimKey(id string) string { return s.opt.Prefix + ":alert:{" + id + "}" }

// Claim records, with SET NX, that the alert event id is being published; false means
// another instance (or an earlier run) has it already.
func (s *Store) Claim(ctx context.Context, id string) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.claimKey(id), 1, claimTTL).Result()
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", id, err)
	}
	return ok, nil
}

// Unclaim releases a claim whose publication failed, so it is retried.
func (s *Store) Unclaim(ctx context.Context, id string) error {
	if err := s.rdb.Del(ctx, s.claimKey(id)).Err(); err != nil {
		return fmt.Errorf("release claim %s: %w", id, err)
	}
	return nil
}
