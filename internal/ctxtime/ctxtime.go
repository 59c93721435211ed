// Package ctxtime waits for a duration or for a context to end, whichever comes first:
// the back-off of the webhook's retries and the pacing of a replay.
package ctxtime

import (
	"context"
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
