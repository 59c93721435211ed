// Package store is Outcry's Redis layer: the event-time bucket counters of every service,
// the consumed offsets stored atomically with them, partition locks, evaluation leases,
// publish claims, incident records and the audit stats of `outcry stats`.
//
// It sits between aggregation and evaluation in the data flow: the pipeline sums the
// matches of one consumed batch into a counts.Batch in memory, Store.Apply writes the whole
// batch with one Lua call per shard of services it names, each together with the
// partition offsets it covers (so a replay after a crash is never counted twice), and the
// monitor reads closed buckets back with Store.Mentioned. Every key carries a TTL, so Redis
// memory stays bounded whatever the traffic, and all keys of one shard share its hash tag,
// so it runs on Redis Cluster.
package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	json "github.com/goccy/go-json"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/counts"
)

// Offsets are, per partition, the last offset whose effect is stored for one scope.
type Offsets map[int]int64

// Stored are the stored offsets of every scope: a shard of services (ScopeOf), or GroupScope for the
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
	// Log hears of the bucket fields the store skips because they do not decode
	// (written by hand or by something else); default: nowhere.
	Log *zap.Logger
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
	if o.Log == nil {
		o.Log = zap.NewNop()
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

// Shards is how many shards the services' counters are spread over. Every key of
// a shard carries its hash tag, so a shard lives in one slot of Redis Cluster; each
// batch writes each shard it touches with one script call, so the Redis commands a
// batch costs grow with the shards (and the buckets it spans), not with the
// services it names. More shards spread a cluster's load wider and cost more
// commands (at 50,000 services: 8 shards 0.0145 commands a post, 4 shards 0.0079;
// docs/architecture.md). Changing it moves services between shards: the counters
// stored before are then not found.
const Shards = 4

// ScopeOf returns the scope (shard) that stores service's counters and offsets.
func ScopeOf(service string) string { return shardScopes[shardOf(service)] }

// Scopes returns every service scope (shard), in order.
func Scopes() []string { return slices.Clone(shardScopes[:]) }

var shardScopes = func() (s [Shards]string) {
	for k := range s {
		s[k] = "shard" + strconv.Itoa(k)
	}
	return s
}()

// shardOf is FNV-1a of the name (written out: the pipeline asks it for every
// match, and hash/fnv allocates).
func shardOf(service string) int {
	h := uint32(2166136261)
	for i := 0; i < len(service); i++ {
		h ^= uint32(service[i])
		h *= 16777619
	}
	return int(h % Shards)
}

// Keys are built only here. A shard's keys share the hash tag {<shard>}; the group's
// keys share the {group} tag.
func (s *Store) shardKey(k int) string {
	return s.opt.Prefix + ":shard:{" + strconv.Itoa(k) + "}:"
}

// countsKey is the hash of one shard's bucket: a field per service with posts in it
// (its counts as JSON, see entry), and "_" (see apply.lua).
func (s *Store) countsKey(k int, bucket int64) string {
	return s.shardKey(k) + "c:" + itoa(bucket)
}

// authorsKey and voicesKey are the HyperLogLogs of a service whose distinct authors
// (voices) in one bucket outgrew the list in its counts.
func (s *Store) authorsKey(svc string, bucket int64) string {
	return s.shardKey(shardOf(svc)) + "a:" + itoa(bucket) + ":" + svc
}
func (s *Store) voicesKey(svc string, bucket int64) string {
	return s.shardKey(shardOf(svc)) + "v:" + itoa(bucket) + ":" + svc
}

// dayKey holds the hourly rollups of one shard's services for one UTC day (a field
// "<service>|<hour>" per service and hour, "posts complaints recoveries authors"),
// so seeding a fortnight of baseline reads 15 keys per shard.
func (s *Store) dayKey(k int, day int64) string {
	return s.shardKey(k) + "d:" + itoa(day)
}

func floorTo(t, unit int64) int64 { return t - ((t%unit)+unit)%unit }
func (s *Store) offsetsKey(scope, group, topic string) string {
	if scope == GroupScope {
		return s.opt.Prefix + ":group:{" + group + "}:offsets:" + topic
	}
	k, _ := strconv.Atoi(strings.TrimPrefix(scope, "shard"))
	return s.shardKey(k) + "offsets:" + group + ":" + topic
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
}

func (s *Store) newCall(scope, group, topic string, b *counts.Batch, stored Stored) *call {
	c := &call{scope: scope, keys: []string{s.offsetsKey(scope, group, topic)}}
	var now int64
	if !b.Wall.IsZero() {
		now = b.Wall.Unix()
	}
	c.args = []any{int64(s.opt.TTL / time.Second), int64(s.opt.OffsetTTL / time.Second), now, 0}
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
	c.args[3] = len(c.parts)
	return c
}

func (c *call) key(k string) int {
	c.keys = append(c.keys, k)
	return len(c.keys)
}

// Apply writes the batch: for every scope it touches (each shard of services with
// posts in it, and the group), one atomic Lua call stores its counters with the
// partition offsets, all in one pipelined round trip. Partitions a scope has stored
// already (per stored) are left out; stored is updated with what was applied. When
// Redis holds offsets beyond stored for some scope, that scope is not applied and
// *ErrStale says what Redis holds.
func (s *Store) Apply(ctx context.Context, group, topic string, b *counts.Batch, stored Stored) error {
	// Per shard, per bucket, the services in name order (the same batch sends the
	// same script calls).
	type svcDelta struct {
		svc string
		d   *counts.Delta
	}
	var shards [Shards]map[int64][]svcDelta
	for k, d := range b.Buckets {
		sh := shardOf(k.Service)
		if shards[sh] == nil {
			shards[sh] = map[int64][]svcDelta{}
		}
		shards[sh][k.Bucket] = append(shards[sh][k.Bucket], svcDelta{k.Service, d})
	}
	var services []*call
	for sh, buckets := range shards {
		if buckets == nil {
			continue
		}
		c := s.newCall(shardScopes[sh], group, topic, b, stored)
		// Hourly rollups outlive the fine buckets (the offsets TTL): the seasonal
		// baseline is rebuilt from them after a restart.
		hours := map[int64]map[string]*[4]int64{} // day → "<service>|<hour>" → posts, complaints, recoveries, authors
		for _, bk := range slices.Sorted(maps.Keys(buckets)) {
			list := buckets[bk]
			slices.SortFunc(list, func(x, y svcDelta) int { return strings.Compare(x.svc, y.svc) })
			c.args = append(c.args, "S", c.key(s.countsKey(sh, bk)), len(list))
			hour := floorTo(bk, 3600)
			day := floorTo(hour, 86400)
			if hours[day] == nil {
				hours[day] = map[string]*[4]int64{}
			}
			for _, x := range list {
				js, err := deltaJSON(x.d)
				if err != nil {
					return fmt.Errorf("store batch: %s: %w", x.svc, err)
				}
				// Authors and voices are a complaint's: a delta without one names no
				// HyperLogLog (index 0, no key), which most of them need not send.
				ak, vk := 0, 0
				if x.d.Complaints > 0 {
					ak, vk = c.key(s.authorsKey(x.svc, bk)), c.key(s.voicesKey(x.svc, bk))
				}
				c.args = append(c.args, x.svc, ak, vk, js)
				f := x.svc + "|" + itoa(hour)
				h := hours[day][f]
				if h == nil {
					h = &[4]int64{}
					hours[day][f] = h
				}
				h[0] += x.d.Posts
				h[1] += x.d.Complaints
				h[2] += x.d.Recoveries
				h[3] += int64(x.d.DistinctAuthors())
			}
		}
		for _, day := range slices.Sorted(maps.Keys(hours)) {
			fs := hours[day]
			c.args = append(c.args, "g", c.key(s.dayKey(sh, day)), len(fs))
			for _, f := range slices.Sorted(maps.Keys(fs)) {
				v := fs[f]
				c.args = append(c.args, f, fmt.Sprintf("%d %d %d %d", v[0], v[1], v[2], v[3]))
			}
		}
		services = append(services, c)
	}
	g := s.newCall(GroupScope, group, topic, b, stored)
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

	// The shards first, the group's scope last: the group's offsets stored for a
	// partition then mean every scope has that partition's messages up to there, which
	// is what a consumer taking the partition over relies on (see Lock).
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

// counted is one service's counts in a bucket as its shard's hash holds them (JSON,
// merged by apply.lua), as the evaluation reads them; a sample's text is kept when
// it was (it lives as long as the bucket, 8 h by default).
type counted struct {
	Posts      int64               `json:"p,omitempty"`
	Complaints int64               `json:"c,omitempty"`
	Recoveries int64               `json:"r,omitempty"`
	Problems   map[string]int64    `json:"pr,omitempty"`
	Countries  map[string]int64    `json:"cc,omitempty"`
	Languages  map[string]int64    `json:"l,omitempty"`
	Samples    []counts.SamplePost `json:"s,omitempty"`
	NAuthors   int64               `json:"na,omitempty"` // distinct authors (apply.lua)
}

// entry is the whole of a service's field: its counts and the lists of its distinct
// authors and voices, or whether they live in a HyperLogLog (the list grew too
// long), which only DistinctAuthors and DistinctVoices read (the evaluation reads
// counted: decoding the lists was half the cost of reading a busy bucket). A delta to
// add is written the same way, with its author ids and voices in A and V.
type entry struct {
	counted
	Authors    []string `json:"A,omitempty"`
	Voices     []string `json:"V,omitempty"`
	NVoices    int64    `json:"nv,omitempty"`
	AuthorsHLL int      `json:"ha,omitempty"`
	VoicesHLL  int      `json:"hv,omitempty"`
}

func deltaJSON(d *counts.Delta) (string, error) {
	e := entry{
		counted: counted{
			Posts: d.Posts, Complaints: d.Complaints, Recoveries: d.Recoveries,
			Problems: d.Problems, Countries: d.Countries, Languages: d.Languages,
		},
		Authors: d.AuthorIDs(), Voices: d.VoiceIDs(),
	}
	for _, id := range d.Samples {
		sp := counts.SamplePost{ID: id}
		if i := slices.IndexFunc(d.SamplePosts, func(p counts.SamplePost) bool { return p.ID == id }); i >= 0 {
			sp = d.SamplePosts[i]
		}
		e.Samples = append(e.Samples, sp)
	}
	// Within apply.lua's exact lists the delta is also the field it makes when the
	// field is new: marked so, the script stores it without decoding it.
	whole := len(e.Authors) <= maxExact && len(e.Voices) <= maxExact
	if whole {
		e.NAuthors, e.NVoices = int64(len(e.Authors)), int64(len(e.Voices))
	}
	b, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("encode the delta of a bucket: %w", err)
	}
	if whole {
		return "=" + string(b), nil
	}
	return string(b), nil
}

// maxExact is apply.lua's maxExact: how many distinct authors (voices) of a service
// in a bucket its field lists before they move to a HyperLogLog.
const maxExact = 100

func sortedParts(m map[int]int64) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// Offsets returns the stored offsets of the group scope and of each shard.
func (s *Store) Offsets(ctx context.Context, group, topic string) (Stored, error) {
	pipe := s.rdb.Pipeline()
	scopes := append([]string{GroupScope}, shardScopes[:]...)
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
			if k == "x" {
				continue // when the TTLs were last set (apply.lua)
			}
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

// Read returns the counts of services for each bucket start in [from, to] (unix
// seconds, inclusive), in one pipelined round trip: one command per shard and bucket.
// Result: service → counts per bucket, index 0 = from; a service without posts
// there has zero counts.
func (s *Store) Read(ctx context.Context, services []string, from, to int64) (map[string][]counts.Counts, error) {
	step := int64(s.opt.Bucket / time.Second)
	n := int((to-from)/step) + 1
	out := make(map[string][]counts.Counts, len(services))
	if n <= 0 {
		return out, nil
	}
	var per [Shards][]string
	for _, svc := range services {
		sh := shardOf(svc)
		per[sh] = append(per[sh], svc)
		out[svc] = make([]counts.Counts, n)
	}
	type read struct {
		svcs []string
		i    int
		cmd  *redis.SliceCmd
	}
	var reads []read
	pipe := s.rdb.Pipeline()
	for sh, svcs := range per {
		if len(svcs) == 0 {
			continue
		}
		for i := range n {
			reads = append(reads, read{svcs, i, pipe.HMGet(ctx, s.countsKey(sh, from+int64(i)*step), svcs...)})
		}
	}
	if len(reads) == 0 {
		return out, nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read buckets %d..%d: %w", from, to, err)
	}
	for _, r := range reads {
		for j, v := range r.cmd.Val() {
			if js, ok := v.(string); ok {
				c, err := parseEntry(js)
				if err != nil {
					s.skipped("bucket field", s.countsKey(shardOf(r.svcs[j]), from+int64(r.i)*step), r.svcs[j], err)
					continue
				}
				out[r.svcs[j]][r.i] = c
			}
		}
	}
	return out, nil
}

// Mentioned returns the counts of the buckets [from, to] (unix seconds) of each
// service with posts in any of them, index 0 = from, in one round trip (one command
// per shard and bucket, whatever the services). A service absent had no post there.
func (s *Store) Mentioned(ctx context.Context, from, to int64) (map[string][]counts.Counts, error) {
	step := int64(s.opt.Bucket / time.Second)
	n := int((to-from)/step) + 1
	out := map[string][]counts.Counts{}
	if n <= 0 {
		return out, nil
	}
	cmds := make([][Shards]*redis.MapStringStringCmd, n)
	pipe := s.rdb.Pipeline()
	for i := range n {
		for sh := range Shards {
			cmds[i][sh] = pipe.HGetAll(ctx, s.countsKey(sh, from+int64(i)*step))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read buckets %d..%d: %w", from, to, err)
	}
	for i := range cmds {
		for _, cmd := range cmds[i] {
			for svc, js := range cmd.Val() {
				if svc == "_" {
					continue
				}
				c, err := parseEntry(js)
				if err != nil {
					s.skipped("bucket field", s.countsKey(shardOf(svc), from+int64(i)*step), svc, err)
					continue
				}
				cs := out[svc]
				if cs == nil {
					cs = make([]counts.Counts, n)
					out[svc] = cs
				}
				cs[i] = c
			}
		}
	}
	return out, nil
}

// skipped reports a field (a service's counts in a bucket, or its hourly rollup) that
// does not decode. It is read as no posts: failing the read instead would stop the
// evaluation (or the seeding of baselines) for good, as it retries a failed read,
// and apply.lua replaces the field at the service's next post there.
func (s *Store) skipped(what, key, field string, err error) {
	s.opt.Log.Warn("skipped a "+what+" that does not decode", zap.String("key", key), zap.String("field", field), zap.Error(err))
}

// ReadHours returns the hourly rollups of each service for the hours starting in
// [from, to), keyed by hour start (unix seconds); hours without data are absent.
func (s *Store) ReadHours(ctx context.Context, services []string, from, to time.Time) (map[string]map[int64]counts.Counts, error) {
	want := make(map[string]bool, len(services))
	for _, svc := range services {
		want[svc] = true
	}
	return s.hours(ctx, from, to, func(svc string) bool { return want[svc] })
}

// RolledUp returns the hourly rollups (as ReadHours) of every service with any in
// [from, to): one command per shard and day.
func (s *Store) RolledUp(ctx context.Context, from, to time.Time) (map[string]map[int64]counts.Counts, error) {
	return s.hours(ctx, from, to, nil)
}

func (s *Store) hours(ctx context.Context, from, to time.Time, want func(string) bool) (map[string]map[int64]counts.Counts, error) {
	f, t := floorTo(from.Unix(), 3600), to.Unix()
	pipe := s.rdb.Pipeline()
	var cmds []*redis.MapStringStringCmd
	for d := floorTo(f, 86400); d < t; d += 86400 {
		for sh := range Shards {
			cmds = append(cmds, pipe.HGetAll(ctx, s.dayKey(sh, d)))
		}
	}
	out := map[string]map[int64]counts.Counts{}
	if len(cmds) == 0 {
		return out, nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read hourly rollups: %w", err)
	}
	for _, c := range cmds {
		for field, v := range c.Val() {
			i := strings.LastIndexByte(field, '|')
			if i < 0 {
				continue
			}
			svc := field[:i]
			if want != nil && !want(svc) {
				continue
			}
			h, err := strconv.ParseInt(field[i+1:], 10, 64)
			if err != nil || h < f || h >= t {
				continue
			}
			n, err := parseRollup(v)
			if err != nil {
				s.skipped("hourly rollup", c.Args()[1].(string), field, err)
				continue
			}
			if out[svc] == nil {
				out[svc] = map[int64]counts.Counts{}
			}
			out[svc][h] = counts.Counts{Posts: n[0], Complaints: n[1], Recoveries: n[2], Authors: n[3]}
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

// parseRollup reads an hourly rollup's "posts complaints recoveries authors" (a
// seed reads a fortnight of them for every service: no fmt.Sscan).
func parseRollup(v string) ([4]int64, error) {
	var n [4]int64
	for k := range n {
		v = strings.TrimLeft(v, " ")
		f, rest, _ := strings.Cut(v, " ")
		x, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return n, err
		}
		n[k], v = x, rest
	}
	return n, nil
}

// DistinctAuthors returns the distinct complaint authors of service over the buckets
// [from, to]: exact while each bucket kept its authors as a list, estimated by
// HyperLogLog (PFCOUNT over the buckets' keys and the lists) when some outgrew it.
func (s *Store) DistinctAuthors(ctx context.Context, service string, from, to int64) (int64, error) {
	return s.distinct(ctx, "authors", service, from, to)
}

// DistinctVoices counts the distinct complaint voices (counts.Voice) of service
// over the buckets [from, to], as DistinctAuthors.
func (s *Store) DistinctVoices(ctx context.Context, service string, from, to int64) (int64, error) {
	return s.distinct(ctx, "voices", service, from, to)
}

func (s *Store) distinct(ctx context.Context, what, service string, from, to int64) (int64, error) {
	step := int64(s.opt.Bucket / time.Second)
	var buckets []int64
	for b := from; b <= to; b += step {
		buckets = append(buckets, b)
	}
	n, err := s.distinctIn(ctx, what, service, buckets)
	if err != nil {
		return 0, fmt.Errorf("count distinct %s of %s: %w", what, service, err)
	}
	return n, nil
}

// distinctIn counts the distinct authors or voices (what) of service over buckets,
// in one round trip, or two when some bucket keeps them in a HyperLogLog.
func (s *Store) distinctIn(ctx context.Context, what, service string, buckets []int64) (int64, error) {
	if len(buckets) == 0 {
		return 0, nil
	}
	sh := shardOf(service)
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.SliceCmd, len(buckets))
	for i, b := range buckets {
		cmds[i] = pipe.HMGet(ctx, s.countsKey(sh, b), service)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, err
	}
	seen := map[string]bool{}
	var hlls []string
	for i, c := range cmds {
		js, ok := c.Val()[0].(string)
		if !ok {
			continue
		}
		var e entry
		if err := json.Unmarshal([]byte(js), &e); err != nil {
			return 0, fmt.Errorf("bucket %d: %w", buckets[i], err)
		}
		ids, inHLL, key := e.Authors, e.AuthorsHLL != 0, s.authorsKey(service, buckets[i])
		if what == "voices" {
			ids, inHLL, key = e.Voices, e.VoicesHLL != 0, s.voicesKey(service, buckets[i])
		}
		if inHLL {
			hlls = append(hlls, key)
		}
		for _, id := range ids {
			seen[id] = true
		}
	}
	if len(hlls) == 0 {
		return int64(len(seen)), nil
	}
	// The lists go into a HyperLogLog of their own, in the shard's slot, counted
	// with the others.
	if len(seen) > 0 {
		tmp := s.shardKey(sh) + "tmp:" + strconv.FormatUint(rand.Uint64(), 36)
		ids := make([]any, 0, len(seen))
		for id := range seen {
			ids = append(ids, id)
		}
		pipe := s.rdb.Pipeline()
		pipe.PFAdd(ctx, tmp, ids...)
		pipe.Expire(ctx, tmp, time.Minute)
		n := pipe.PFCount(ctx, append([]string{tmp}, hlls...)...)
		pipe.Unlink(ctx, tmp)
		if _, err := pipe.Exec(ctx); err != nil {
			return 0, err
		}
		return n.Val(), nil
	}
	return s.rdb.PFCount(ctx, hlls...).Result()
}

// parseEntry reads one service's counts from its shard's bucket hash.
func parseEntry(js string) (counts.Counts, error) {
	var e counted
	if err := json.Unmarshal([]byte(js), &e); err != nil {
		return counts.Counts{}, err
	}
	c := counts.Counts{
		Posts: e.Posts, Complaints: e.Complaints, Recoveries: e.Recoveries,
		Problems: e.Problems, Countries: e.Countries, Languages: e.Languages,
		Authors: e.NAuthors,
	}
	for _, sp := range e.Samples {
		c.Samples = append(c.Samples, sp.ID)
		if sp.Text != "" {
			c.SamplePosts = append(c.SamplePosts, sp)
		}
	}
	return c, nil
}

// Trim deletes the fine buckets that start in [from, to] (unix seconds), with the
// HyperLogLogs they name, and the hourly rollups of the days 16 days before them.
// The evaluator calls it as it closes buckets, for buckets it will not read again:
// TTLs run on the clock, and a replay runs faster than the clock in event time, so
// without this Redis would grow with the length of the replay. Two round trips, a
// command per shard and bucket in the first, one per shard in the second.
func (s *Store) Trim(ctx context.Context, from, to int64) error {
	step := int64(s.opt.Bucket / time.Second)
	from = floorTo(from, step)
	if to < from {
		return nil
	}
	pipe := s.rdb.Pipeline()
	var markers [Shards][]*redis.SliceCmd
	for b := from; b <= to; b += step {
		for sh := range Shards {
			markers[sh] = append(markers[sh], pipe.HMGet(ctx, s.countsKey(sh, b), "_"))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("trim buckets %d..%d: %w", from, to, err)
	}
	pipe = s.rdb.Pipeline()
	for sh := range Shards {
		var keys []string
		for i, c := range markers[sh] {
			keys = append(keys, s.countsKey(sh, from+int64(i)*step))
			if m, ok := c.Val()[0].(string); ok {
				// "1", then the bucket's HyperLogLogs, one a line.
				if _, hlls, ok := strings.Cut(m, "\n"); ok {
					keys = append(keys, strings.Split(hlls, "\n")...)
				}
			}
		}
		for d := floorTo(from, 86400); d <= to; d += 86400 {
			keys = append(keys, s.dayKey(sh, d-rollupDays*86400))
		}
		pipe.Unlink(ctx, keys...)
	}
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
