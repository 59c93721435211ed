package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The evaluation of a consumer group is coordinated through Redis: every instance
// stores, with each batch, the newest post time and the wall time of each partition it
// consumes (counts.Batch.Watermarks, in the group's apply call); one instance at a time holds
// the evaluator lease, computes the group's watermark from all partitions, closes
// buckets and publishes the closed boundary, which the others read to dead-letter
// posts that come too late.

// PartitionMark is what Redis holds of one partition's progress.
type PartitionMark struct {
	Event time.Time // newest post time seen
	First time.Time // oldest post time seen
	Wall  time.Time // wall time of the last batch that had messages of the partition
	Lag   int64     // messages left in the partition after that batch
}

func (s *Store) leaseKey(group string) string  { return s.opt.Prefix + ":group:{" + group + "}:lease" }
func (s *Store) closedKey(group string) string { return s.opt.Prefix + ":group:{" + group + "}:closed" }

// Lease takes or renews the evaluator lease of group for holder; true when held.
func (s *Store) Lease(ctx context.Context, group, holder string, ttl time.Duration) (bool, error) {
	n, err := leaseScript.Run(ctx, s.rdb, []string{s.leaseKey(group)}, holder, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("evaluator lease: %w", err)
	}
	return n == 1, nil
}

// ReleaseLease gives the lease up if holder has it (on shutdown), so another instance
// takes over at once.
func (s *Store) ReleaseLease(ctx context.Context, group, holder string) error {
	if err := releaseScript.Run(ctx, s.rdb, []string{s.leaseKey(group)}, holder).Err(); err != nil {
		return fmt.Errorf("release evaluator lease: %w", err)
	}
	return nil
}

// Marks returns the progress of every partition of topic that any instance stored.
func (s *Store) Marks(ctx context.Context, group, topic string) (map[int]PartitionMark, error) {
	m, err := s.rdb.HGetAll(ctx, s.watermarksKey(group, topic)).Result()
	if err != nil {
		return nil, fmt.Errorf("read watermarks: %w", err)
	}
	out := map[int]PartitionMark{}
	for k, v := range m {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		kind, part, found := strings.Cut(k, ":")
		if !found {
			kind, part = "", k
		}
		p, err := strconv.Atoi(part)
		if err != nil {
			continue
		}
		pm := out[p]
		t := time.UnixMilli(n).UTC()
		switch kind {
		case "u":
			pm.Wall = t
		case "f":
			pm.First = t
		case "l":
			pm.Lag = n
		case "":
			pm.Event = t
		}
		out[p] = pm
	}
	return out, nil
}

// SetClosed publishes that buckets before t are closed.
func (s *Store) SetClosed(ctx context.Context, group string, t time.Time) error {
	if err := s.rdb.Set(ctx, s.closedKey(group), t.Unix(), s.opt.OffsetTTL).Err(); err != nil {
		return fmt.Errorf("store closed boundary: %w", err)
	}
	return nil
}

// Closed returns the boundary before which buckets are closed (zero when none).
func (s *Store) Closed(ctx context.Context, group string) (time.Time, error) {
	n, err := s.rdb.Get(ctx, s.closedKey(group)).Int64()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read closed boundary: %w", err)
	}
	return time.Unix(n, 0).UTC(), nil
}
