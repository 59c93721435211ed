// Package ctxtime waits for a duration or for a context to end, whichever comes first
// (the back-off of the retries of the webhook, the ingest and Alertmanager, the pacing
// of a replay), and says how long a back-off waits.
package ctxtime

import (
	"context"
	"math/rand/v2"
	"time"
)

// Sleep waits for d, or returns ctx's error as soon as ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Backoff is the jittered exponential wait before retry n (1, 2, ...): min doubled
// n-1 times, capped at max, then drawn between half of it and all of it, so that
// clients that failed together do not retry together.
func Backoff(min, max time.Duration, n int) time.Duration {
	d := min
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}
