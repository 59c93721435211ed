package window

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// applyScript: see the header of apply.lua for KEYS, ARGV and the reply.
//
//go:embed apply.lua
var applySource string

var applyScript = redis.NewScript(applySource)

// ErrStale is returned by Apply when part of the batch is already stored: Offsets in
// the error say up to where each partition was counted.
type ErrStale struct{ Stored map[int]int64 }

func (e *ErrStale) Error() string {
	return fmt.Sprintf("batch already counted up to offsets %v", e.Stored)
}

// Options configure a Store. Zero values take the documented defaults.
type Options struct {
	Prefix    string        // key prefix, default "outcry"
	Bucket    time.Duration // bucket size, default 10s
	TTL       time.Duration // lifetime of counter keys, default 48h
	OffsetTTL time.Duration // lifetime of offsets and totals, default 14 days
}

func (o *Options) defaults() {
	if o.Prefix == "" {
		o.Prefix = "outcry"
	}
	if o.Bucket <= 0 {
		o.Bucket = 10 * time.Second
	}
	if o.TTL <= 0 {
		o.TTL = 48 * time.Hour
	}
	if o.OffsetTTL <= 0 {
		o.OffsetTTL = 14 * 24 * time.Hour
	}
}

// Store reads and writes bucket counters in Redis.
type Store struct {
	rdb redis.UniversalClient
	opt Options
}

// NewStore returns a Store on rdb.
func NewStore(rdb redis.UniversalClient, opt Options) *Store {
	opt.defaults()
	return &Store{rdb: rdb, opt: opt}
}

// Bucket returns the bucket size.
func (s *Store) Bucket() time.Duration { return s.opt.Bucket }

// Keys are built only here. The {service} hash tag keeps a service's keys in one slot.
func (s *Store) countsKey(svc string, bucket int64) string {
	return s.opt.Prefix + ":{" + svc + "}:c:" + itoa(bucket)
}
func (s *Store) authorsKey(svc string, bucket int64) string {
	return s.opt.Prefix + ":{" + svc + "}:a:" + itoa(bucket)
}
func (s *Store) samplesKey(svc string, bucket int64) string {
	return s.opt.Prefix + ":{" + svc + "}:s:" + itoa(bucket)
}
func (s *Store) offsetsKey(group, topic string) string {
	return s.opt.Prefix + ":offsets:{" + group + "}:" + topic
}
func (s *Store) totalsKey(group string) string {
	return s.opt.Prefix + ":totals:{" + group + "}"
}

// Apply writes the batch and its partition offsets in one atomic Lua call. It returns
// *ErrStale when a partition's first offset is already counted.
func (s *Store) Apply(ctx context.Context, group, topic string, b *Batch) error {
	keys := []string{s.offsetsKey(group, topic)}
	args := []any{int64(s.opt.TTL / time.Second), int64(s.opt.OffsetTTL / time.Second), len(b.Partitions)}
	parts := make([]int, 0, len(b.Partitions))
	for p := range b.Partitions {
		parts = append(parts, p)
	}
	sort.Ints(parts)
	for _, p := range parts {
		r := b.Partitions[p]
		args = append(args, p, r.First, r.Last)
	}
	key := func(k string) int {
		keys = append(keys, k)
		return len(keys)
	}
	for k, d := range b.Buckets {
		fields := []any{}
		add := func(f string, v int64) {
			if v != 0 {
				fields = append(fields, f, v)
			}
		}
		add("p", d.Posts)
		add("c", d.Complaints)
		add("r", d.Recoveries)
		for f, v := range d.Problems {
			add("pr:"+f, v)
		}
		for f, v := range d.Countries {
			add("cc:"+f, v)
		}
		for f, v := range d.Languages {
			add("l:"+f, v)
		}
		if len(fields) > 0 {
			args = append(args, "h", key(s.countsKey(k.Service, k.Bucket)), len(fields)/2)
			args = append(args, fields...)
		}
		if len(d.authors) > 0 {
			ak := key(s.authorsKey(k.Service, k.Bucket))
			chunk := make([]any, 0, 500)
			flush := func() {
				args = append(args, "p", ak, len(chunk))
				args = append(args, chunk...)
				chunk = chunk[:0]
			}
			for a := range d.authors {
				chunk = append(chunk, a)
				if len(chunk) == cap(chunk) {
					flush()
				}
			}
			if len(chunk) > 0 {
				flush()
			}
		}
		if len(d.Samples) > 0 {
			args = append(args, "s", key(s.samplesKey(k.Service, k.Bucket)), len(d.Samples))
			for _, id := range d.Samples {
				args = append(args, id)
			}
		}
	}
	if len(b.Totals) > 0 {
		args = append(args, "g", key(s.totalsKey(group)), len(b.Totals))
		for f, v := range b.Totals {
			args = append(args, f, v)
		}
	}
	res, err := applyScript.Run(ctx, s.rdb, keys, args...).Int64Slice()
	if err != nil {
		return fmt.Errorf("store batch: %w", err)
	}
	if len(res) > 0 && res[0] == 1 {
		return nil
	}
	stale := &ErrStale{Stored: map[int]int64{}}
	for i := 1; i+1 < len(res); i += 2 {
		stale.Stored[int(res[i])] = res[i+1]
	}
	return stale
}

// Offsets returns, per partition, the last offset whose effect is stored.
func (s *Store) Offsets(ctx context.Context, group, topic string) (map[int]int64, error) {
	m, err := s.rdb.HGetAll(ctx, s.offsetsKey(group, topic)).Result()
	if err != nil {
		return nil, fmt.Errorf("read stored offsets: %w", err)
	}
	out := make(map[int]int64, len(m))
	for k, v := range m {
		p, err1 := strconv.Atoi(k)
		o, err2 := strconv.ParseInt(v, 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("read stored offsets: field %q=%q: %w", k, v, err)
		}
		out[p] = o
	}
	return out, nil
}

// Totals returns the run-wide totals of a group (consumed, matched, dead_lettered, ...).
func (s *Store) Totals(ctx context.Context, group string) (map[string]int64, error) {
	m, err := s.rdb.HGetAll(ctx, s.totalsKey(group)).Result()
	if err != nil {
		return nil, fmt.Errorf("read totals: %w", err)
	}
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k], _ = strconv.ParseInt(v, 10, 64)
	}
	return out, nil
}

// Read returns the counts of every service for each bucket start in [from, to]
// (unix seconds, inclusive), in one pipelined round trip. Result: service → counts per
// bucket, index 0 = from.
func (s *Store) Read(ctx context.Context, services []string, from, to int64) (map[string][]Counts, error) {
	step := int64(s.opt.Bucket / time.Second)
	n := int((to-from)/step) + 1
	if n <= 0 {
		return map[string][]Counts{}, nil
	}
	type cmds struct {
		h *redis.MapStringStringCmd
		a *redis.IntCmd
		s *redis.StringSliceCmd
	}
	pipe := s.rdb.Pipeline()
	all := make(map[string][]cmds, len(services))
	for _, svc := range services {
		cs := make([]cmds, n)
		for i := range n {
			b := from + int64(i)*step
			cs[i] = cmds{
				h: pipe.HGetAll(ctx, s.countsKey(svc, b)),
				a: pipe.PFCount(ctx, s.authorsKey(svc, b)),
				s: pipe.LRange(ctx, s.samplesKey(svc, b), 0, -1),
			}
		}
		all[svc] = cs
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read buckets %d..%d: %w", from, to, err)
	}
	out := make(map[string][]Counts, len(services))
	for svc, cs := range all {
		counts := make([]Counts, n)
		for i, c := range cs {
			counts[i] = parseCounts(c.h.Val())
			counts[i].Authors = c.a.Val()
			counts[i].Samples = c.s.Val()
		}
		out[svc] = counts
	}
	return out, nil
}

// DistinctAuthors estimates the distinct complaint authors of service over the buckets
// [from, to] (PFCOUNT over several keys of one slot).
func (s *Store) DistinctAuthors(ctx context.Context, service string, from, to int64) (int64, error) {
	step := int64(s.opt.Bucket / time.Second)
	var keys []string
	for b := from; b <= to; b += step {
		keys = append(keys, s.authorsKey(service, b))
	}
	if len(keys) == 0 {
		return 0, nil
	}
	n, err := s.rdb.PFCount(ctx, keys...).Result()
	if err != nil {
		return 0, fmt.Errorf("count distinct authors of %s: %w", service, err)
	}
	return n, nil
}

func parseCounts(h map[string]string) Counts {
	var c Counts
	for f, v := range h {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		switch {
		case f == "p":
			c.Posts = n
		case f == "c":
			c.Complaints = n
		case f == "r":
			c.Recoveries = n
		case strings.HasPrefix(f, "pr:"):
			c.Problems = addMap(c.Problems, map[string]int64{f[3:]: n})
		case strings.HasPrefix(f, "cc:"):
			c.Countries = addMap(c.Countries, map[string]int64{f[3:]: n})
		case strings.HasPrefix(f, "l:"):
			c.Languages = addMap(c.Languages, map[string]int64{f[2:]: n})
		}
	}
	return c
}
