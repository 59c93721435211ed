// Package store is Outcry's Redis layer: the event-time bucket counters of every service,
// the consumed offsets stored atomically with them, partition locks, evaluation leases,
// publish claims, incident records and the audit stats of `outcry stats`.
//
// It sits between aggregation and evaluation in the data flow: the pipeline sums the
// matches of one consumed batch into a counts.Batch in memory, Store.Apply writes the whole
// batch in one Lua call together with the partition offsets it covers (so a replay after a
// crash is never counted twice), and the monitor reads closed buckets back with
// Store.Read. Every key carries a TTL, so Redis memory stays bounded whatever the traffic,
// and all keys of one service share the hash tag {service}, so it runs on Redis Cluster.
package store

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/outcry-dev/outcry/counts"
	"github.com/redis/go-redis/v9"
)

// Offsets are, per partition, the last offset whose effect is stored for one scope.
type Offsets map[int]int64

// Stored are the stored offsets of every scope: a service name, or GroupScope for the
// group's totals, dead letters and watermarks.
type Stored map[string]Offsets

// GroupScope is the scope of the group-wide counters.
const GroupScope = ""

// ErrStale is returned by Apply when some scope had part of the batch stored already
// (a replay after a crash, or a stale view after a rebalance). Stored holds what Redis
// has for those scopes; the other scopes of the batch were applied.
type ErrStale struct{ Stored Stored }

func (e *ErrStale) Error() string {
	return fmt.Sprintf("batch partly counted already: %v", e.Stored)
}

// Options configure a Store. Zero values take the documented defaults.
type Options struct {
	Prefix    string        // key prefix, default "outcry"
	Bucket    time.Duration // bucket size, default 10s
	TTL       time.Duration // lifetime of the fine buckets, default 8h (the monitor replays 6h; hourly rollups keep 14 days)
	OffsetTTL time.Duration // lifetime of offsets, totals and watermarks, default 14 days
}

func (o *Options) defaults() {
	if o.Prefix == "" {
		o.Prefix = "outcry"
	}
	if o.Bucket <= 0 {
		o.Bucket = counts.DefaultBucket
	}
	if o.TTL <= 0 {
		o.TTL = 8 * time.Hour
	}
	if o.OffsetTTL <= 0 {
		o.OffsetTTL = 14 * 24 * time.Hour
	}
}

// Store reads and writes bucket counters in Redis (standalone or cluster).
type Store struct {
	rdb redis.UniversalClient
	opt Options
}

// New returns a Store on rdb.
func New(rdb redis.UniversalClient, opt Options) *Store {
	opt.defaults()
	return &Store{rdb: rdb, opt: opt}
}

// Keys are built only here. The {service} hash tag keeps a service's keys in one slot;
// the group's keys share the {group} tag.
func (s *Store) countsKey(svc string, bucket int64) string {
	return s.opt.Prefix + ":{" + svc + "}:c:" + itoa(bucket)
}
func (s *Store) authorsKey(svc string, bucket int64) string {
	return s.opt.Prefix + ":{" + svc + "}:a:" + itoa(bucket)
}
func (s *Store) voicesKey(svc string, bucket int64) string {
	return s.opt.Prefix + ":{" + svc + "}:v:" + itoa(bucket)
}

// dayKey holds a service's hourly rollups of one UTC day (fields "<hour>:p" ...), so
// seeding a fortnight of baseline reads 15 keys per service rather than 336.
func (s *Store) dayKey(svc string, day int64) string {
	return s.opt.Prefix + ":{" + svc + "}:d:" + itoa(day)
}

func floorTo(t, unit int64) int64 { return t - ((t%unit)+unit)%unit }
func (s *Store) offsetsKey(scope, group, topic string) string {
	if scope == GroupScope {
		return s.opt.Prefix + ":group:{" + group + "}:offsets:" + topic
	}
	return s.opt.Prefix + ":{" + scope + "}:offsets:" + group + ":" + topic
}
func (s *Store) totalsKey(group string) string {
	return s.opt.Prefix + ":group:{" + group + "}:totals"
}
func (s *Store) pendingKey(group, topic string) string {
	return s.opt.Prefix + ":group:{" + group + "}:pending:" + topic
}
func (s *Store) activeKey(group string) string {
	return s.opt.Prefix + ":group:{" + group + "}:active"
}

// The group's indexes of what it stored: the services with posts in each bucket, the
// services with hourly rollups in each day, and the first bucket they cover (data
// stored by a version without them is read as before, service by service). With
// them the evaluator reads, evaluates and trims only what was mentioned: a quiet
// service costs no key and no command.
func (s *Store) mentionedKey(group string, bucket int64) string {
	return s.opt.Prefix + ":group:{" + group + "}:m:" + itoa(bucket)
}
func (s *Store) daysKey(group string, day int64) string {
	return s.opt.Prefix + ":group:{" + group + "}:md:" + itoa(day)
}
func (s *Store) indexedKey(group string) string {
	return s.opt.Prefix + ":group:{" + group + "}:indexed"
}
func (s *Store) watermarksKey(group, topic string) string {
	return s.opt.Prefix + ":group:{" + group + "}:watermarks:" + topic
}

// Load makes sure the Lua script is in every Redis node's script cache, so batches can
// be sent as EVALSHA in a pipeline.
func (s *Store) Load(ctx context.Context) error {
	if c, ok := s.rdb.(*redis.ClusterClient); ok {
		return c.ForEachShard(ctx, func(ctx context.Context, n *redis.Client) error {
			return applyScript.Load(ctx, n).Err()
		})
	}
	if err := applyScript.Load(ctx, s.rdb).Err(); err != nil {
		return fmt.Errorf("load apply script: %w", err)
	}
	return nil
}

type call struct {
	scope string
	keys  []string
	args  []any
	parts []int
	last  []int64
	hours map[int64]*[4]int64 // hourly rollup: posts, complaints, recoveries, authors
}

func (s *Store) newCall(scope, group, topic string, b *counts.Batch, stored Stored) *call {
	c := &call{scope: scope, keys: []string{s.offsetsKey(scope, group, topic)}}
	c.args = []any{int64(s.opt.TTL / time.Second), int64(s.opt.OffsetTTL / time.Second), 0}
	parts := make([]int, 0, len(b.Partitions))
	for p := range b.Partitions {
		parts = append(parts, p)
	}
	sort.Ints(parts)
	for _, p := range parts {
		r := b.Partitions[p]
		first := r.First
		if st, ok := stored[scope][p]; ok && st >= first {
			first = st + 1
		}
		if first > r.Last {
			continue // this scope has the whole range already
		}
		c.args = append(c.args, p, first, r.Last)
		c.parts = append(c.parts, p)
		c.last = append(c.last, r.Last)
	}
	c.args[2] = len(c.parts)
	return c
}

func (c *call) key(k string) int {
	c.keys = append(c.keys, k)
	return len(c.keys)
}

// Apply writes the batch: for every scope it touches (each service, and the group), one
// atomic Lua call stores its counters with the partition offsets, all in one pipelined
// round trip. Partitions a scope has stored already (per stored) are left out; stored is
// updated with what was applied. When Redis holds offsets beyond stored for some scope,
// that scope is not applied and *ErrStale says what Redis holds.
func (s *Store) Apply(ctx context.Context, group, topic string, b *counts.Batch, stored Stored) error {
	calls := map[string]*call{}
	get := func(scope string) *call {
		c := calls[scope]
		if c == nil {
			c = s.newCall(scope, group, topic, b, stored)
			calls[scope] = c
		}
		return c
	}
	keys := make([]counts.Key, 0, len(b.Buckets))
	for k := range b.Buckets {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Service != keys[j].Service {
			return keys[i].Service < keys[j].Service
		}
		return keys[i].Bucket < keys[j].Bucket
	})
	for _, k := range keys {
		s.addBucket(get(k.Service), k, b.Buckets[k])
	}
	// Hourly rollups outlive the fine buckets (the offsets TTL): the seasonal
	// baseline is rebuilt from them after a restart.
	for _, c := range calls {
		hs := make([]int64, 0, len(c.hours))
		for h := range c.hours {
			hs = append(hs, h)
		}
		slices.Sort(hs)
		for _, h := range hs {
			v := c.hours[h]
			hs := itoa(h) + ":"
			c.args = append(c.args, "g", c.key(s.dayKey(c.scope, floorTo(h, 86400))), 4, hs+"p", v[0], hs+"c", v[1], hs+"r", v[2], hs+"a", v[3])
		}
	}
	g := get(GroupScope)
	// The indexes first: their marker looks whether the group stored anything before.
	s.addIndexes(g, group, b, keys)
	if len(b.Totals) > 0 {
		fields := make([]string, 0, len(b.Totals))
		for f := range b.Totals {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		g.args = append(g.args, "t", g.key(s.totalsKey(group)), len(fields))
		for _, f := range fields {
			g.args = append(g.args, f, b.Totals[f])
		}
	}
	if len(b.Watermarks) > 0 {
		wk := g.key(s.watermarksKey(group, topic))
		g.args = append(g.args, "m", wk, 2*len(b.Watermarks))
		wall := b.Wall.UnixMilli()
		for _, p := range sortedParts(b.Watermarks) {
			g.args = append(g.args, strconv.Itoa(p), b.Watermarks[p], "u:"+strconv.Itoa(p), wall)
		}
	}
	// A lag is stored only with the partition's messages: a consumer that took a
	// partition over re-reads what another stored, and the lag it sees there is older
	// than the one stored (a lag left above 0 would hold the watermark back for ever).
	var lags []any
	for _, p := range g.parts {
		if lag, ok := b.Lags[p]; ok {
			lags = append(lags, "l:"+strconv.Itoa(p), lag)
		}
	}
	if len(lags) > 0 {
		g.args = append(g.args, "e", g.key(s.watermarksKey(group, topic)), len(lags)/2)
		g.args = append(g.args, lags...)
	}
	if len(b.Hours) > 0 {
		g.args = append(g.args, "z", g.key(s.activeKey(group)), len(b.Hours))
		for _, h := range slices.Sorted(maps.Keys(b.Hours)) {
			g.args = append(g.args, h)
		}
	}
	if len(b.Firsts) > 0 {
		g.args = append(g.args, "n", g.key(s.watermarksKey(group, topic)), len(b.Firsts))
		for _, p := range sortedParts(b.Firsts) {
			g.args = append(g.args, "f:"+strconv.Itoa(p), b.Firsts[p])
		}
	}

	// The services first, the group's scope last: the group's offsets stored for a
	// partition then mean every scope has that partition's messages up to there, which
	// is what a consumer taking the partition over relies on (see Lock).
	delete(calls, GroupScope)
	services := make([]*call, 0, len(calls))
	for _, sc := range slices.Sorted(maps.Keys(calls)) {
		services = append(services, calls[sc])
	}
	if err := s.exec(ctx, services, stored, nil); err != nil {
		return err
	}
	// The locks go in the group scope's round trip: every partition of the batch,
	// also those whose messages the group scope had already (a replay).
	var unlock func(redis.Pipeliner)
	if b.Holder != "" {
		args := []any{b.Holder}
		for _, p := range slices.Sorted(maps.Keys(b.Partitions)) {
			args = append(args, p)
		}
		unlock = func(pipe redis.Pipeliner) {
			unlockScript.Eval(ctx, pipe, []string{s.pendingKey(group, topic)}, args...)
		}
	}
	return s.exec(ctx, []*call{g}, stored, unlock)
}

// exec sends the calls of scopes, and then what more adds, in one pipelined round trip
// and records in stored what was applied.
func (s *Store) exec(ctx context.Context, calls []*call, stored Stored, more func(redis.Pipeliner)) error {
	pipe := s.rdb.Pipeline()
	type sent struct {
		c   *call
		cmd *redis.Cmd
	}
	var all []sent
	for _, c := range calls {
		if len(c.parts) == 0 {
			// The scope holds this whole batch already: an earlier attempt of this
			// batch stored it before failing on another scope.
			continue
		}
		all = append(all, sent{c, pipe.EvalSha(ctx, applyScript.Hash(), c.keys, c.args...)})
	}
	if more != nil {
		more(pipe)
	}
	if pipe.Len() == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		if strings.Contains(err.Error(), "NOSCRIPT") {
			if lerr := s.Load(ctx); lerr != nil {
				return fmt.Errorf("store batch: reload script: %w", lerr)
			}
		}
		// Some scopes may have been applied; their offsets tell on the retry.
		for _, x := range all {
			if x.cmd.Err() == nil {
				s.applied(x.c, x.cmd, stored, nil)
			}
		}
		return fmt.Errorf("store batch: %w", err)
	}
	var stale *ErrStale
	for _, x := range all {
		stale = s.applied(x.c, x.cmd, stored, stale)
	}
	if stale != nil {
		return stale
	}
	return nil
}

// applied records the outcome of one scope's call in stored.
func (s *Store) applied(c *call, cmd *redis.Cmd, stored Stored, stale *ErrStale) *ErrStale {
	res, err := cmd.Int64Slice()
	if err != nil {
		return stale
	}
	if stored[c.scope] == nil {
		stored[c.scope] = Offsets{}
	}
	if len(res) > 0 && res[0] == 1 {
		for i, p := range c.parts {
			stored[c.scope][p] = c.last[i]
		}
		return stale
	}
	if stale == nil {
		stale = &ErrStale{Stored: Stored{}}
	}
	st := Offsets{}
	for i := 1; i+1 < len(res); i += 2 {
		st[int(res[i])] = res[i+1]
		stored[c.scope][int(res[i])] = max(stored[c.scope][int(res[i])], res[i+1])
	}
	stale.Stored[c.scope] = st
	return stale
}

// addIndexes adds to the group's call the indexes of the batch's buckets (keys, in
// order of service then bucket): each bucket's services, each day's, and the first
// bucket the indexes cover when none is recorded yet (this batch's first, or 0 for a
// group that stored nothing before: its totals, which every version writes, are
// not there yet). The marker goes with every batch, matches or not, so that a group
// whose first batches matched nothing is still known to be new.
func (s *Store) addIndexes(g *call, group string, b *counts.Batch, keys []counts.Key) {
	step := int64(s.opt.Bucket / time.Second)
	first, known := int64(math.MaxInt64), false
	if !b.Wall.IsZero() {
		first, known = floorTo(b.Wall.Unix(), step), true
	}
	for _, ms := range b.Firsts {
		first, known = min(first, floorTo(ms/1000, step)), true
	}
	buckets := map[int64][]any{}
	days := map[int64][]any{}
	for i, k := range keys {
		first, known = min(first, k.Bucket), true
		buckets[k.Bucket] = append(buckets[k.Bucket], k.Service)
		d := floorTo(k.Bucket, 86400)
		if i == 0 || keys[i-1].Service != k.Service || floorTo(keys[i-1].Bucket, 86400) != d {
			days[d] = append(days[d], k.Service)
		}
	}
	if known {
		g.args = append(g.args, "i", g.key(s.indexedKey(group)), 2, first, g.key(s.totalsKey(group)))
	}
	for _, b := range slices.Sorted(maps.Keys(buckets)) {
		g.args = append(g.args, "x", g.key(s.mentionedKey(group, b)), len(buckets[b]))
		g.args = append(g.args, buckets[b]...)
	}
	for _, d := range slices.Sorted(maps.Keys(days)) {
		g.args = append(g.args, "y", g.key(s.daysKey(group, d)), len(days[d]))
		g.args = append(g.args, days[d]...)
	}
}

func (s *Store) addBucket(c *call, k counts.Key, d *counts.Delta) {
	if c.hours == nil {
		c.hours = map[int64]*[4]int64{}
	}
	hour := floorTo(k.Bucket, 3600)
	h := c.hours[hour]
	if h == nil {
		h = &[4]int64{}
		c.hours[hour] = h
	}
	h[0] += d.Posts
	h[1] += d.Complaints
	h[2] += d.Recoveries
	h[3] += int64(d.DistinctAuthors())
	// "p" first, always: the script sets the TTL when it finds that field new.
	fields := []any{"p", d.Posts}
	add := func(f string, v int64) {
		if v != 0 {
			fields = append(fields, f, v)
		}
	}
	add("c", d.Complaints)
	add("r", d.Recoveries)
	for _, f := range sortedKeys(d.Problems) {
		add("pr:"+f, d.Problems[f])
	}
	for _, f := range sortedKeys(d.Countries) {
		add("cc:"+f, d.Countries[f])
	}
	for _, f := range sortedKeys(d.Languages) {
		add("l:"+f, d.Languages[f])
	}
	ck := c.key(s.countsKey(k.Service, k.Bucket))
	ak := c.key(s.authorsKey(k.Service, k.Bucket))
	vk := c.key(s.voicesKey(k.Service, k.Bucket))
	c.args = append(c.args, "b", ck, ak, vk, len(fields)/2, d.DistinctAuthors(), d.DistinctVoices(), len(d.Samples))
	c.args = append(c.args, fields...)
	for _, a := range d.AuthorIDs() { // sorted: the same batch sends the same script call
		c.args = append(c.args, a)
	}
	for _, v := range d.VoiceIDs() {
		c.args = append(c.args, v)
	}
	for _, id := range d.Samples {
		c.args = append(c.args, sampleValue(id, d.SamplePosts))
	}
}

func sortedParts(m map[int]int64) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// Offsets returns the stored offsets of the group scope and of each service.
func (s *Store) Offsets(ctx context.Context, group, topic string, services []string) (Stored, error) {
	pipe := s.rdb.Pipeline()
	scopes := append([]string{GroupScope}, services...)
	cmds := make([]*redis.MapStringStringCmd, len(scopes))
	for i, sc := range scopes {
		cmds[i] = pipe.HGetAll(ctx, s.offsetsKey(sc, group, topic))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("read stored offsets: %w", err)
	}
	out := Stored{}
	for i, sc := range scopes {
		o := Offsets{}
		for k, v := range cmds[i].Val() {
			p, err1 := strconv.Atoi(k)
			n, err2 := strconv.ParseInt(v, 10, 64)
			if err := errors.Join(err1, err2); err != nil {
				return nil, fmt.Errorf("read stored offsets of %q: field %q=%q: %w", sc, k, v, err)
			}
			o[p] = n
		}
		out[sc] = o
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
func (s *Store) Read(ctx context.Context, services []string, from, to int64) (map[string][]counts.Counts, error) {
	step := int64(s.opt.Bucket / time.Second)
	n := int((to-from)/step) + 1
	if n <= 0 {
		return map[string][]counts.Counts{}, nil
	}
	type cmds struct {
		h *redis.MapStringStringCmd
		a *redis.IntCmd
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
			}
		}
		all[svc] = cs
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read buckets %d..%d: %w", from, to, err)
	}
	out := make(map[string][]counts.Counts, len(services))
	for svc, cs := range all {
		counts := make([]counts.Counts, n)
		for i, c := range cs {
			counts[i] = parseCounts(c.h.Val())
			counts[i].Authors = c.a.Val()
		}
		out[svc] = counts
	}
	return out, nil
}

// ReadHours returns the hourly rollups of each service for the hours starting in
// [from, to), keyed by hour start (unix seconds); hours without data are absent.
func (s *Store) ReadHours(ctx context.Context, services []string, from, to time.Time) (map[string]map[int64]counts.Counts, error) {
	f, t := floorTo(from.Unix(), 3600), to.Unix()
	pipe := s.rdb.Pipeline()
	type dc struct {
		svc string
		cmd *redis.MapStringStringCmd
	}
	var cmds []dc
	for _, svc := range services {
		for d := floorTo(f, 86400); d < t; d += 86400 {
			cmds = append(cmds, dc{svc, pipe.HGetAll(ctx, s.dayKey(svc, d))})
		}
	}
	if len(cmds) == 0 {
		return map[string]map[int64]counts.Counts{}, nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read hourly rollups: %w", err)
	}
	out := map[string]map[int64]counts.Counts{}
	for _, c := range cmds {
		for field, v := range c.cmd.Val() {
			hs, kind, ok := strings.Cut(field, ":")
			h, err := strconv.ParseInt(hs, 10, 64)
			if !ok || err != nil || h < f || h >= t {
				continue
			}
			n, _ := strconv.ParseInt(v, 10, 64)
			if out[c.svc] == nil {
				out[c.svc] = map[int64]counts.Counts{}
			}
			cnt := out[c.svc][h]
			switch kind {
			case "p":
				cnt.Posts = n
			case "c":
				cnt.Complaints = n
			case "r":
				cnt.Recoveries = n
			case "a":
				cnt.Authors = n
			}
			out[c.svc][h] = cnt
		}
	}
	for svc, hs := range out {
		for h, c := range hs {
			if c.Posts == 0 {
				delete(hs, h)
			}
		}
		if len(hs) == 0 {
			delete(out, svc)
		}
	}
	return out, nil
}

// DistinctAuthors estimates the distinct complaint authors of service over the buckets
// [from, to] (PFCOUNT over several keys of one slot).
func (s *Store) DistinctAuthors(ctx context.Context, service string, from, to int64) (int64, error) {
	return s.distinct(ctx, "authors", s.authorsKey, service, from, to)
}

// DistinctVoices estimates the distinct complaint voices (counts.Voice) of service
// over the buckets [from, to].
func (s *Store) DistinctVoices(ctx context.Context, service string, from, to int64) (int64, error) {
	return s.distinct(ctx, "voices", s.voicesKey, service, from, to)
}

func (s *Store) distinct(ctx context.Context, what string, key func(string, int64) string, service string, from, to int64) (int64, error) {
	step := int64(s.opt.Bucket / time.Second)
	var keys []string
	for b := from; b <= to; b += step {
		keys = append(keys, key(service, b))
	}
	if len(keys) == 0 {
		return 0, nil
	}
	n, err := s.rdb.PFCount(ctx, keys...).Result()
	if err != nil {
		return 0, fmt.Errorf("count distinct %s of %s: %w", what, service, err)
	}
	return n, nil
}

func parseCounts(h map[string]string) counts.Counts {
	var c counts.Counts
	var samples [counts.MaxSamples]string
	for f, v := range h {
		if i, ok := strings.CutPrefix(f, "s:"); ok {
			if n, err := strconv.Atoi(i); err == nil && n >= 1 && n <= counts.MaxSamples {
				samples[n-1] = v
			}
			continue
		}
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
			addField(&c.Problems, f[3:], n)
		case strings.HasPrefix(f, "cc:"):
			addField(&c.Countries, f[3:], n)
		case strings.HasPrefix(f, "l:"):
			addField(&c.Languages, f[2:], n)
		}
	}
	for _, v := range samples {
		if v == "" {
			continue
		}
		id, post, hasText := strings.Cut(v, "\n")
		c.Samples = append(c.Samples, id)
		var sp counts.SamplePost
		if hasText && json.Unmarshal([]byte(post), &sp) == nil && sp.ID == id {
			c.SamplePosts = append(c.SamplePosts, sp)
		}
	}
	return c
}

// sampleValue is how a sample is kept in its bucket's hash (field s:<n>): the post
// id, then, when its text was kept, a new line and the sample post as JSON (an id
// with a new line of its own keeps no text: it would be read back cut). The text
// lives as long as the bucket, 8 h by default (Options.TTL).
func sampleValue(id string, posts []counts.SamplePost) string {
	for _, p := range posts {
		if p.ID == id && !strings.Contains(id, "\n") {
			b, err := json.Marshal(p)
			if err == nil {
				return id + "\n" + string(b)
			}
		}
	}
	return id
}

// Trim deletes the fine buckets that start in [from, to] (unix seconds) of the
// services the group's index lists for them (every service of all, for buckets
// stored before the index existed), the hourly rollups of the days 16 days before
// them, and those indexes. The evaluator calls it as it closes buckets, for buckets
// it will not read again: TTLs run on the clock, and a replay runs faster than the
// clock in event time, so without this Redis would grow with the length of the
// replay. Two round trips; one command per service (its keys share a slot).
func (s *Store) Trim(ctx context.Context, group string, all []string, from, to int64) error {
	step := int64(s.opt.Bucket / time.Second)
	from = floorTo(from, step)
	if to < from {
		return nil
	}
	var days []int64
	for d := floorTo(from, 86400); d <= to; d += 86400 {
		days = append(days, d-rollupDays*86400)
	}
	x, err := s.readIndexes(ctx, group, from, to, days)
	if err != nil {
		return fmt.Errorf("trim buckets %d..%d: %w", from, to, err)
	}
	per := s.mentioned(x, all, from)
	keys := map[string][]string{}
	var order []string
	add := func(svc string, ks ...string) {
		if keys[svc] == nil {
			order = append(order, svc)
		}
		keys[svc] = append(keys[svc], ks...)
	}
	var groupKeys []string
	for i, svcs := range per {
		b := from + int64(i)*step
		for _, svc := range svcs {
			add(svc, s.countsKey(svc, b), s.authorsKey(svc, b), s.voicesKey(svc, b))
		}
		groupKeys = append(groupKeys, s.mentionedKey(group, b))
	}
	for i, d := range days {
		svcs := x.days[i]
		if !x.covers(d) {
			// The day began before the index: its services as given too.
			svcs = append(svcs, all...)
		}
		for _, svc := range svcs {
			add(svc, s.dayKey(svc, d))
		}
		groupKeys = append(groupKeys, s.daysKey(group, d))
	}
	pipe := s.rdb.Pipeline()
	for _, svc := range order {
		pipe.Unlink(ctx, keys[svc]...)
	}
	pipe.Unlink(ctx, groupKeys...)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("trim buckets %d..%d: %w", from, to, err)
	}
	return nil
}

// NextActive returns the first hour (unix seconds) at or after the hour holding from
// in which the group stored posts; ok is false when there is none. known is false when
// the group has no record of its active hours at all (stored by an older version, or
// gone with its TTL): then nothing can be said of any stretch.
func (s *Store) NextActive(ctx context.Context, group string, from int64) (hour int64, ok, known bool, err error) {
	pipe := s.rdb.Pipeline()
	next := pipe.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: s.activeKey(group), Start: floorTo(from, 3600), Stop: "+inf", ByScore: true, Count: 1,
	})
	exists := pipe.Exists(ctx, s.activeKey(group))
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, false, false, fmt.Errorf("read the group's active hours: %w", err)
	}
	if hs := next.Val(); len(hs) > 0 {
		h, err := strconv.ParseInt(hs[0], 10, 64)
		if err != nil {
			return 0, false, true, fmt.Errorf("active hour %q: %w", hs[0], err)
		}
		return h, true, true, nil
	}
	return 0, false, exists.Val() > 0, nil
}

// ForgetActive drops the group's active hours before before (unix seconds): the
// evaluator has closed and trimmed them.
func (s *Store) ForgetActive(ctx context.Context, group string, before int64) error {
	if err := s.rdb.ZRemRangeByScore(ctx, s.activeKey(group), "-inf", "("+itoa(floorTo(before, 3600))).Err(); err != nil {
		return fmt.Errorf("drop the group's active hours: %w", err)
	}
	return nil
}

// rollupDays is how many days of hourly rollups Trim keeps behind the fine buckets
// (the monitor seeds its baselines with 14 days).
const rollupDays = 16

// ErrLocked means another consumer is storing messages of a partition right now.
type ErrLocked struct {
	Partition int
	Holder    string
}

func (e *ErrLocked) Error() string {
	return fmt.Sprintf("partition %d is being stored by %s", e.Partition, e.Holder)
}

// Lock locks partitions of the group for holder until it stores its batch (Apply with
// counts.Batch.Holder set) or ttl passes, and returns the group scope's stored offsets of
// those partitions (-1: none). Since the group scope is stored last, a partition's
// offset there means every scope holds its messages up to that offset. *ErrLocked
// says another holder has one of them.
func (s *Store) Lock(ctx context.Context, group, topic, holder string, parts []int, ttl time.Duration) (Offsets, error) {
	args := []any{holder, ttl.Milliseconds()}
	for _, p := range parts {
		args = append(args, p)
	}
	keys := []string{s.pendingKey(group, topic), s.offsetsKey(GroupScope, group, topic)}
	res, err := lockScript.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return nil, fmt.Errorf("lock partitions %v: %w", parts, err)
	}
	if n, _ := res[0].(int64); n == 0 {
		p, _ := strconv.Atoi(fmt.Sprint(res[1]))
		return nil, &ErrLocked{Partition: p, Holder: fmt.Sprint(res[2])}
	}
	out := Offsets{}
	for i := 1; i+1 < len(res); i += 2 {
		p, err1 := strconv.Atoi(fmt.Sprint(res[i]))
		o, err2 := strconv.ParseInt(fmt.Sprint(res[i+1]), 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("lock partitions %v: %w", parts, err)
		}
		out[p] = o
	}
	return out, nil
}
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// addField adds n to one label of a parsed counts map, creating the map on first use.
func addField(m *map[string]int64, k string, n int64) {
	if *m == nil {
		*m = map[string]int64{}
	}
	(*m)[k] += n
}

// indexes are the group's indexes as read in one round trip: the services listed
// for each bucket asked for and for each day asked for, and the first bucket they
// cover (indexed false: none recorded, so they cover nothing).
type indexes struct {
	buckets, days [][]string
	since         int64
	indexed       bool
}

// covers reports whether the indexes list everything stored from t (unix seconds) on.
func (x indexes) covers(t int64) bool { return x.indexed && t >= x.since }

// readIndexes reads the group's indexes of the buckets [from, to] (none when to <
// from) and of days (day starts), with their marker, in one round trip.
func (s *Store) readIndexes(ctx context.Context, group string, from, to int64, days []int64) (indexes, error) {
	step := int64(s.opt.Bucket / time.Second)
	pipe := s.rdb.Pipeline()
	marker := pipe.Get(ctx, s.indexedKey(group))
	var bsets, dsets []*redis.StringSliceCmd
	for b := from; b <= to; b += step {
		bsets = append(bsets, pipe.SMembers(ctx, s.mentionedKey(group, b)))
	}
	for _, d := range days {
		dsets = append(dsets, pipe.SMembers(ctx, s.daysKey(group, d)))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return indexes{}, fmt.Errorf("read the group's indexes: %w", err)
	}
	var x indexes
	since, err := marker.Int64()
	x.since, x.indexed = since, err == nil
	for _, c := range bsets {
		x.buckets = append(x.buckets, c.Val())
	}
	for _, c := range dsets {
		x.days = append(x.days, c.Val())
	}
	return x, nil
}

// mentioned returns the services with posts in each bucket of [from, to] as the
// group's index lists them: for a bucket it does not cover, all of them (all).
func (s *Store) mentioned(x indexes, all []string, from int64) [][]string {
	step := int64(s.opt.Bucket / time.Second)
	out := make([][]string, len(x.buckets))
	for i, svcs := range x.buckets {
		out[i] = svcs
		if !x.covers(from + int64(i)*step) {
			out[i] = all
		}
	}
	return out
}

// Mentioned returns the counts of the buckets [from, to] (unix seconds) of each
// service with posts in any of them, index 0 = from, in two round trips (the
// group's index, then the buckets it lists). A service absent had no post there.
// For buckets stored before the group's indexes existed, every service of all is
// read.
func (s *Store) Mentioned(ctx context.Context, group string, all []string, from, to int64) (map[string][]counts.Counts, error) {
	step := int64(s.opt.Bucket / time.Second)
	n := int((to-from)/step) + 1
	if n <= 0 {
		return map[string][]counts.Counts{}, nil
	}
	x, err := s.readIndexes(ctx, group, from, to, nil)
	if err != nil {
		return nil, err
	}
	per := s.mentioned(x, all, from)
	type cmds struct {
		svc string
		i   int
		h   *redis.MapStringStringCmd
		a   *redis.IntCmd
	}
	var reads []cmds
	pipe := s.rdb.Pipeline()
	for i, svcs := range per {
		b := from + int64(i)*step
		for _, svc := range svcs {
			reads = append(reads, cmds{svc, i, pipe.HGetAll(ctx, s.countsKey(svc, b)), pipe.PFCount(ctx, s.authorsKey(svc, b))})
		}
	}
	out := map[string][]counts.Counts{}
	if len(reads) == 0 {
		return out, nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read buckets %d..%d: %w", from, to, err)
	}
	for _, c := range reads {
		h := c.h.Val()
		if len(h) == 0 {
			continue // listed for a bucket not indexed, or trimmed already
		}
		cs := out[c.svc]
		if cs == nil {
			cs = make([]counts.Counts, n)
			out[c.svc] = cs
		}
		cs[c.i] = parseCounts(h)
		cs[c.i].Authors = c.a.Val()
	}
	return out, nil
}

// RolledUp returns the hourly rollups (as ReadHours) of the services that have any
// in the days of [from, to), found in the group's index of each day; for days stored
// before the index existed, of every service of all.
func (s *Store) RolledUp(ctx context.Context, group string, all []string, from, to time.Time) (map[string]map[int64]counts.Counts, error) {
	first := floorTo(floorTo(from.Unix(), 3600), 86400)
	var days []int64
	for d := first; d < to.Unix(); d += 86400 {
		days = append(days, d)
	}
	x, err := s.readIndexes(ctx, group, 0, -1, days)
	if err != nil {
		return nil, fmt.Errorf("read the services with hourly rollups: %w", err)
	}
	lists := x.days
	if !x.covers(first) {
		lists = append(lists, all) // days stored before the index
	}
	seen := map[string]bool{}
	var svcs []string
	for _, l := range lists {
		for _, svc := range l {
			if !seen[svc] {
				seen[svc] = true
				svcs = append(svcs, svc)
			}
		}
	}
	slices.Sort(svcs)
	return s.ReadHours(ctx, svcs, from, to)
}
