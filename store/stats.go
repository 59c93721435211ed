package store

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"
)

// ServiceStats are one service's counts over the retained buckets.
type ServiceStats struct {
	Mentions        int64 `json:"mentions"`   // posts naming the service
	Complaints      int64 `json:"complaints"` // of which outage complaints
	Recoveries      int64 `json:"recoveries"`
	DistinctAuthors int64 `json:"distinct_authors"` // distinct complaint authors (exact, or HyperLogLog for large buckets)
	Buckets         int   `json:"buckets"`
}

// Stats is what Redis holds, for audits (outcry stats).
type Stats struct {
	Services     map[string]ServiceStats `json:"services"`
	Consumed     int64                   `json:"consumed"`
	DeadLettered int64                   `json:"dead_lettered"`
	DeadByReason map[string]int64        `json:"dead_lettered_by_reason"`
	Keys         int64                   `json:"keys"`
	From         *time.Time              `json:"from,omitempty"`
	To           *time.Time              `json:"to,omitempty"`
}

// Stats sums every retained bucket whose start is in [from, to) (zero bounds: all) and
// reads the group's totals. It scans the keys (every master of a cluster); meant for
// audits, not the hot path.
func (s *Store) Stats(ctx context.Context, group string, from, to time.Time) (Stats, error) {
	type shardBucket struct {
		shard  int
		bucket int64
	}
	var found []shardBucket
	var keys int64
	var mu sync.Mutex // ForEachMaster scans the masters concurrently
	scan := func(ctx context.Context, c *redis.Client) error {
		it := c.Scan(ctx, 0, s.opt.Prefix+":shard:{*}:c:*", 1000).Iterator()
		for it.Next(ctx) {
			rest := strings.TrimPrefix(it.Val(), s.opt.Prefix+":shard:{")
			ks, tail, ok := strings.Cut(rest, "}:c:")
			if !ok {
				continue
			}
			sh, err1 := strconv.Atoi(ks)
			b, err2 := strconv.ParseInt(tail, 10, 64)
			if err1 != nil || err2 != nil || sh < 0 || sh >= Shards {
				continue
			}
			bt := time.Unix(b, 0)
			if (!from.IsZero() && bt.Before(from)) || (!to.IsZero() && !bt.Before(to)) {
				continue
			}
			mu.Lock()
			found = append(found, shardBucket{sh, b})
			mu.Unlock()
		}
		if err := it.Err(); err != nil {
			return err
		}
		n, err := c.DBSize(ctx).Result()
		mu.Lock()
		keys += n
		mu.Unlock()
		return err
	}
	var err error
	switch c := s.rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, scan)
	case *redis.Client:
		err = scan(ctx, c)
	default:
		err = fmt.Errorf("unsupported Redis client %T", s.rdb)
	}
	if err != nil {
		return Stats{}, fmt.Errorf("scan buckets: %w", err)
	}
	out := Stats{Services: map[string]ServiceStats{}, DeadByReason: map[string]int64{}, Keys: keys}
	if !from.IsZero() {
		out.From = &from
	}
	if !to.IsZero() {
		out.To = &to
	}
	buckets := map[string][]int64{} // service → bucket starts
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(found))
	for i, f := range found {
		cmds[i] = pipe.HGetAll(ctx, s.countsKey(f.shard, f.bucket))
	}
	if len(found) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return Stats{}, fmt.Errorf("read buckets: %w", err)
		}
	}
	for i, c := range cmds {
		for svc, js := range c.Val() {
			if svc == "_" {
				continue
			}
			n, err := parseEntry(js) // the parser of Read: an audit sees what evaluation sees
			if err != nil {
				return Stats{}, fmt.Errorf("read bucket %d of %s: %w", found[i].bucket, svc, err)
			}
			st := out.Services[svc]
			st.Buckets++
			st.Mentions += n.Posts
			st.Complaints += n.Complaints
			st.Recoveries += n.Recoveries
			out.Services[svc] = st
			buckets[svc] = append(buckets[svc], found[i].bucket)
		}
	}
	for svc, bs := range buckets {
		n, err := s.distinctIn(ctx, "authors", svc, bs)
		if err != nil {
			return Stats{}, fmt.Errorf("count distinct authors of %s: %w", svc, err)
		}
		st := out.Services[svc]
		st.DistinctAuthors = n
		out.Services[svc] = st
	}
	totals, err := s.Totals(ctx, group)
	if err != nil {
		return Stats{}, err
	}
	out.Consumed = totals["consumed"]
	out.DeadLettered = totals["dead_lettered"]
	for k, v := range totals {
		if r, ok := strings.CutPrefix(k, "dead_lettered:"); ok {
			out.DeadByReason[r] = v
		}
	}
	return out, nil
}

// WriteText writes the stats as a table for people: one row per service, then the
// group's totals (outcry stats).
func (st Stats) WriteText(out io.Writer, group string) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "service\tmentions\tcomplaints\trecoveries\tdistinct authors\tbuckets\t")
	names := make([]string, 0, len(st.Services))
	for n := range st.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := st.Services[n]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t\n", n, s.Mentions, s.Complaints, s.Recoveries, s.DistinctAuthors, s.Buckets)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "group %s: %d consumed, %d dead-lettered %v; %d keys in Redis\n",
		group, st.Consumed, st.DeadLettered, st.DeadByReason, st.Keys)
	return nil
}
