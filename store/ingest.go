package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// The cursors of `outcry ingest`: per source, the position in its stream the next run
// resumes from (a string key), and the keys of the posts produced near it, scored by
// the cursor they were read at (a sorted set), so that the rewound overlap is not
// produced twice. Both share the {ingest:<source>} hash tag and the offsets' TTL.
func (s *Store) ingestCursorKey(source string) string {
	return s.opt.Prefix + ":{ingest:" + source + "}:cursor"
}
func (s *Store) ingestKeysKey(source string) string {
	return s.opt.Prefix + ":{ingest:" + source + "}:keys"
}

// LoadCursor returns source's saved cursor (0 when none) and the keys kept with it.
func (s *Store) LoadCursor(ctx context.Context, source string) (int64, map[string]int64, error) {
	v, err := s.rdb.Get(ctx, s.ingestCursorKey(source)).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read the %s cursor: %w", source, err)
	}
	cursor, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("the %s cursor %q is not a number: %w", source, v, err)
	}
	zs, err := s.rdb.ZRangeWithScores(ctx, s.ingestKeysKey(source), 0, -1).Result()
	if err != nil {
		return 0, nil, fmt.Errorf("read the %s keys: %w", source, err)
	}
	keys := make(map[string]int64, len(zs))
	for _, z := range zs {
		if m, ok := z.Member.(string); ok {
			keys[m] = int64(z.Score)
		}
	}
	return cursor, keys, nil
}

// SaveCursor saves source's cursor and the keys added since the last save, and drops
// the keys read before forget, in one transaction.
func (s *Store) SaveCursor(ctx context.Context, source string, cursor int64, added map[string]int64, forget int64) error {
	ck, kk := s.ingestCursorKey(source), s.ingestKeysKey(source)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, ck, strconv.FormatInt(cursor, 10), s.opt.OffsetTTL)
		if len(added) > 0 {
			zs := make([]redis.Z, 0, len(added))
			for k, c := range added {
				zs = append(zs, redis.Z{Score: float64(c), Member: k})
			}
			p.ZAdd(ctx, kk, zs...)
		}
		p.ZRemRangeByScore(ctx, kk, "-inf", "("+strconv.FormatInt(forget, 10))
		p.Expire(ctx, kk, s.opt.OffsetTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("save the %s cursor: %w", source, err)
	}
	return nil
}
