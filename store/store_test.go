package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/store"
)

func TestStoreApplyRead(t *testing.T) {
	ctx := context.Background()
	rdb := testenv.RedisClient(t, testenv.Redis(t).Addr)
	s := store.New(rdb, store.Options{Prefix: "t"})
	t0 := time.Date(2022, 10, 25, 7, 17, 3, 0, time.UTC)
	bucket := counts.BucketOf(t0, 10*time.Second)

	b := counts.NewBatch(10 * time.Second)
	for i := range 3 {
		b.Offset(0, int64(10+i))
	}
	b.Offset(1, 5)
	b.Complain("whatsapp", t0, counts.Complaint{Author: "a", Country: "IN", Lang: "en", PostID: "p1", Problems: []string{"messages"}, Wording: 1})
	b.Complain("whatsapp", t0.Add(2*time.Second), counts.Complaint{Author: "b", Country: "IN", Lang: "hi", PostID: "p2", Problems: []string{"messages", "calls"}, Wording: 1})
	b.Complain("whatsapp", t0.Add(3*time.Second), counts.Complaint{Author: "a", PostID: "p3\nx", Text: "واتساب لا يعمل \"\n", Lang: "ar", Source: "bluesky"})
	b.Mention("whatsapp", t0)
	b.Recovery("whatsapp", t0.Add(12*time.Second))
	b.Totals["consumed"] = 4
	stored := store.Stored{}
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, "g", "posts", b, stored); err != nil {
		t.Fatal(err)
	}

	got, err := s.Read(ctx, []string{"whatsapp", "x"}, bucket, bucket+10)
	if err != nil {
		t.Fatal(err)
	}
	w := got["whatsapp"][0]
	if w.Posts != 4 || w.Complaints != 3 || w.Authors != 2 || w.Problems["messages"] != 2 || w.Problems["calls"] != 1 ||
		w.Countries["IN"] != 2 || w.Languages["hi"] != 1 || len(w.Samples) != 3 {
		t.Errorf("bucket 0 = %+v", w)
	}
	if sp := w.SamplePosts; len(sp) != 1 || sp[0] != (counts.SamplePost{ID: "p3\nx", Text: "واتساب لا يعمل \"\n", Lang: "ar", Source: "bluesky"}) || w.Samples[2] != "p3\nx" {
		t.Errorf("sample posts = %+v, want p3's text as posted", sp)
	}
	if r := got["whatsapp"][1]; r.Recoveries != 1 || r.Posts != 1 {
		t.Errorf("bucket 1 = %+v", r)
	}
	if x := got["x"][0]; x.Posts != 0 {
		t.Errorf("x = %+v, want empty", x)
	}
	n, err := s.DistinctAuthors(ctx, "whatsapp", bucket, bucket+10)
	if err != nil || n != 2 {
		t.Errorf("DistinctAuthors = %d, %v; want 2", n, err)
	}
	// Two authors posting one text, and one of them a short post of their own.
	if n, err := s.DistinctVoices(ctx, "whatsapp", bucket, bucket+10); err != nil || n != 2 {
		t.Errorf("DistinctVoices = %d, %v; want 2", n, err)
	}
	wa := store.ScopeOf("whatsapp")
	offs, err := s.Offsets(ctx, "g", "posts")
	if err != nil || offs[wa][0] != 12 || offs[wa][1] != 5 || offs[store.GroupScope][0] != 12 || len(offs) != 1+store.Shards {
		t.Errorf("Offsets = %v, %v", offs, err)
	}
	for sc, o := range offs {
		if len(o) == 0 {
			delete(offs, sc) // the shards without posts
		}
	}
	if fmt.Sprint(offs) != fmt.Sprint(stored) {
		t.Errorf("Offsets = %v, Apply recorded %v", offs, stored)
	}

	// The hourly rollup sums the hour's buckets and outlives them.
	hours, err := s.ReadHours(ctx, []string{"whatsapp", "x"}, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	h := hours["whatsapp"][t0.Truncate(time.Hour).Unix()]
	if h.Posts != 5 || h.Complaints != 3 || h.Recoveries != 1 || len(hours["x"]) != 0 {
		t.Errorf("hourly rollup = %+v (all: %v)", h, hours)
	}

	// Every key has a TTL.
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 5 {
		t.Fatalf("keys = %v", keys)
	}
	for _, k := range keys {
		if ttl := rdb.TTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("key %s has no TTL (%v)", k, ttl)
		}
	}

	// A replay of offsets already stored is refused whole, and counts nothing.
	again := counts.NewBatch(10 * time.Second)
	again.Offset(0, 12)
	again.Offset(0, 13)
	again.Complain("whatsapp", t0, counts.Complaint{Author: "c"})
	var stale *store.ErrStale
	if err := s.Apply(ctx, "g", "posts", again, store.Stored{}); !errors.As(err, &stale) || stale.Stored[wa][0] != 12 {
		t.Fatalf("Apply(replay) = %v, want ErrStale with whatsapp's partition 0 at 12", err)
	}
	got, _ = s.Read(ctx, []string{"whatsapp"}, bucket, bucket)
	if got["whatsapp"][0].Complaints != 3 {
		t.Errorf("complaints after refused replay = %d, want 3", got["whatsapp"][0].Complaints)
	}
	// With the stored offsets known, the part already counted is left out.
	part := counts.NewBatch(10 * time.Second)
	part.Offset(0, 12)
	part.Offset(0, 13)
	part.Complain("whatsapp", t0, counts.Complaint{Author: "c"}) // the post at offset 13
	if err := s.Apply(ctx, "g", "posts", part, stored); err != nil {
		t.Fatal(err)
	}
	if stored[wa][0] != 13 {
		t.Errorf("stored after partial batch = %v", stored)
	}
	got, _ = s.Read(ctx, []string{"whatsapp"}, bucket, bucket)
	if got["whatsapp"][0].Complaints != 4 {
		t.Errorf("complaints after partial batch = %d, want 4", got["whatsapp"][0].Complaints)
	}
	none := counts.NewBatch(10 * time.Second)
	none.Offset(0, 13)
	if err := s.Apply(ctx, "g", "posts", none, stored); err != nil {
		t.Fatal(err) // nothing new: nothing sent
	}
	totals, err := s.Totals(ctx, "g")
	if err != nil || totals["consumed"] != 4 {
		t.Errorf("Totals = %v, %v", totals, err)
	}
}

func TestClaim(t *testing.T) {
	ctx := context.Background()
	s := store.New(testenv.RedisClient(t, testenv.Redis(t).Addr), store.Options{})
	const id = "whatsapp-20221025T0717-1"
	claim := func(want store.ClaimState) time.Time {
		t.Helper()
		st, at, err := s.Claim(ctx, id)
		if err != nil || st != want {
			t.Fatalf("Claim = %v, %v; want %v", st, err, want)
		}
		return at
	}
	at := claim(store.Claimed)
	// Not confirmed: a second claim sees it pending since the first one.
	if got := claim(store.Pending); !got.Equal(at.Truncate(time.Millisecond)) {
		t.Errorf("pending since %v, want %v", got, at)
	}
	if err := s.Unclaim(ctx, id); err != nil {
		t.Fatal(err)
	}
	claim(store.Claimed)
	if err := s.Takeover(ctx, id); err != nil {
		t.Fatal(err)
	}
	claim(store.Pending)
	if err := s.Confirm(ctx, id); err != nil {
		t.Fatal(err)
	}
	claim(store.Published)
	claim(store.Published)
}

func TestBucketOf(t *testing.T) {
	tests := []struct {
		t    time.Time
		want int64
	}{
		{time.Unix(1666682229, 0), 1666682220},
		{time.Unix(1666682220, 0), 1666682220},
		{time.Unix(-5, 0), -10},
	}
	for _, tt := range tests {
		if got := counts.BucketOf(tt.t, 10*time.Second); got != tt.want {
			t.Errorf("counts.BucketOf(%d) = %d, want %d", tt.t.Unix(), got, tt.want)
		}
	}
}

// A bucket filled over several batches keeps its first five samples, and keys created
// by a later batch (the authors of a bucket that had only mentions) get a TTL too.
func TestStoreLaterBatches(t *testing.T) {
	ctx := context.Background()
	s, rdb := newStore(t)
	t0 := time.Date(2022, 10, 25, 7, 17, 3, 0, time.UTC)
	bucket := counts.BucketOf(t0, 10*time.Second)
	stored := store.Stored{}
	for i := range 4 {
		b := counts.NewBatch(10 * time.Second)
		b.Offset(0, int64(i))
		if i == 0 {
			b.Mention("whatsapp", t0)
		} else {
			for j := range 3 {
				b.Complain("whatsapp", t0, counts.Complaint{Author: fmt.Sprintf("a%d", i), PostID: fmt.Sprintf("p%d.%d", i, j)})
			}
		}
		if err := s.Apply(ctx, "g", "posts", b, stored); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Read(ctx, []string{"whatsapp"}, bucket, bucket)
	if err != nil {
		t.Fatal(err)
	}
	w := got["whatsapp"][0]
	want := []string{"p1.0", "p1.1", "p1.2", "p2.0", "p2.1"}
	if w.Posts != 10 || w.Complaints != 9 || w.Authors != 3 || fmt.Sprint(w.Samples) != fmt.Sprint(want) {
		t.Errorf("bucket = %+v; want 10 posts, 9 complaints, 3 authors, samples %v", w, want)
	}
	everyKeyHasTTL(t, rdb)
}

// Trim deletes the buckets of a closed range, with the HyperLogLogs they name, and
// the rollups of 16 days before, and nothing else.
func TestStoreTrim(t *testing.T) {
	ctx := context.Background()
	s, rdb := newStore(t)
	t0 := time.Date(2022, 10, 25, 7, 17, 3, 0, time.UTC)
	b := counts.NewBatch(10 * time.Second)
	b.Offset(0, 1)
	for _, at := range []time.Time{t0.Add(-16 * 24 * time.Hour), t0, t0.Add(10 * time.Second), t0.Add(7 * time.Hour)} {
		b.Complain("whatsapp", at, counts.Complaint{Author: "a"})
	}
	// More authors than a bucket lists: a HyperLogLog.
	for i := range 150 {
		b.Complain("x", t0, counts.Complaint{Author: fmt.Sprint("a", i)})
	}
	if err := s.Apply(ctx, "g", "posts", b, store.Stored{}); err != nil {
		t.Fatal(err)
	}
	count := func(pattern string) int {
		keys, err := rdb.Keys(ctx, pattern).Result()
		if err != nil {
			t.Fatal(err)
		}
		return len(keys)
	}
	// Five buckets' hashes (whatsapp's four, x's in another shard unless both share
	// one), x's two HyperLogLogs (authors, voices), whatsapp's two days and x's.
	buckets := 4
	if store.ScopeOf("x") != store.ScopeOf("whatsapp") {
		buckets++
	}
	if c, h, d := count("t:shard:{*}:c:*"), count("t:shard:{*}:[av]:*"), count("t:shard:{*}:d:*"); c != buckets || h != 2 || d != buckets-2 {
		t.Fatalf("before: %d bucket keys, %d HyperLogLogs, %d day keys; want %d, 2, %d", c, h, d, buckets, buckets-2)
	}
	first := counts.BucketOf(t0, 10*time.Second)
	if err := s.Trim(ctx, first, first+10); err != nil {
		t.Fatal(err)
	}
	if c, h, d := count("t:shard:{*}:c:*"), count("t:shard:{*}:[av]:*"), count("t:shard:{*}:d:*"); c != 2 || h != 0 || d != buckets-3 {
		t.Errorf("after: %d bucket keys, %d HyperLogLogs, %d day keys; want 2 (16 days before and 7 h after), 0, %d", c, h, d, buckets-3)
	}
	got, _ := s.Read(ctx, []string{"whatsapp"}, first+7*3600, first+7*3600)
	if got["whatsapp"][0].Complaints != 1 {
		t.Errorf("a bucket outside the range was trimmed: %+v", got["whatsapp"][0])
	}
}

// Mentioned reads the services with posts in the buckets, and only those; RolledUp
// the services with rollups.
func TestStoreMentioned(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	t0 := time.Date(2022, 10, 25, 7, 17, 0, 0, time.UTC)
	first := counts.BucketOf(t0, 10*time.Second)
	b := counts.NewBatch(10 * time.Second)
	b.Offset(0, 1)
	b.Complain("whatsapp", t0, counts.Complaint{Author: "a"})
	b.Mention("x", t0.Add(20*time.Second))
	if err := s.Apply(ctx, "g", "posts", b, store.Stored{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Mentioned(ctx, first, first+30)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["whatsapp"][0].Complaints != 1 || got["whatsapp"][0].Authors != 1 || got["x"][2].Posts != 1 || got["x"][0].Posts != 0 {
		t.Errorf("Mentioned = %+v; want whatsapp's complaint in bucket 0 and x's post in bucket 2", got)
	}
	hours, err := s.RolledUp(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil || len(hours) != 2 || hours["whatsapp"][first-first%3600].Complaints != 1 {
		t.Errorf("RolledUp = %v, %v; want whatsapp's and x's hour", hours, err)
	}
}

// A consumer's partition locks keep another consumer out until its batch is stored;
// the lock then reports how far the group scope (stored last) holds each partition.
func TestStoreLock(t *testing.T) {
	ctx := context.Background()
	s := store.New(testenv.RedisClient(t, testenv.Redis(t).Addr), store.Options{Prefix: "t"})
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.Lock(ctx, "g", "posts", "a", []int{0, 1}, time.Minute)
	if err != nil || got[0] != -1 || got[1] != -1 {
		t.Fatalf("first lock = %v, %v", got, err)
	}
	var locked *store.ErrLocked
	if _, err := s.Lock(ctx, "g", "posts", "b", []int{1, 2}, time.Minute); !errors.As(err, &locked) || locked.Partition != 1 || locked.Holder != "a" {
		t.Fatalf("second holder's lock = %v, want partition 1 held by a", err)
	}
	if _, err := s.Lock(ctx, "g", "posts", "a", []int{0, 1}, time.Minute); err != nil {
		t.Fatalf("the holder locks again: %v", err)
	}
	b := counts.NewBatch(10 * time.Second)
	b.Holder = "a"
	b.Offset(0, 7)
	b.Offset(1, 3)
	b.Complain("whatsapp", time.Date(2022, 10, 25, 7, 17, 3, 0, time.UTC), counts.Complaint{Author: "x"})
	b.Totals["consumed"] = 2
	if err := s.Apply(ctx, "g", "posts", b, store.Stored{}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Lock(ctx, "g", "posts", "b", []int{1, 2}, time.Minute)
	if err != nil || got[1] != 3 || got[2] != -1 {
		t.Fatalf("lock after the batch was stored = %v, %v; want partition 1 at 3", got, err)
	}
	// A holder that died loses its locks after the TTL.
	if _, err := s.Lock(ctx, "g", "posts", "c", []int{5}, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, "the dead holder's lock to expire", func() bool {
		_, err := s.Lock(ctx, "g", "posts", "d", []int{5}, time.Minute)
		return err == nil
	})
}

// newStore is a Store with prefix "t" on a fresh redis-server, its scripts loaded.
func newStore(t *testing.T) (*store.Store, *redis.Client) {
	t.Helper()
	rdb := testenv.RedisClient(t, testenv.Redis(t).Addr)
	s := store.New(rdb, store.Options{Prefix: "t"})
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, rdb
}

func everyKeyHasTTL(t *testing.T, rdb *redis.Client) {
	t.Helper()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if ttl := rdb.TTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("key %s has no TTL (%v)", k, ttl)
		}
	}
}

// A partition's lag is what the batch that stored its newest messages saw. A consumer
// that took a partition over re-reads messages another one stored already; the lag it
// sees there is old and must not replace the newer one (a lag left above 0 holds the
// group's watermark back for ever), even when its batch stores another partition.
func TestStoreLagOfStoredMessagesOnly(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	t0 := time.Date(2022, 10, 25, 7, 17, 3, 0, time.UTC)
	batch := func(lags map[int]int64, ranges ...[3]int64) *counts.Batch {
		b := counts.NewBatch(10 * time.Second)
		for _, r := range ranges {
			b.Offset(int(r[0]), r[1])
			b.Offset(int(r[0]), r[2])
			b.Watermarks[int(r[0])] = t0.UnixMilli()
		}
		b.Lags = lags
		b.Mention("whatsapp", t0)
		return b
	}
	// The first consumer stores partition 0 to its end.
	if err := s.Apply(ctx, "g", "posts", batch(map[int]int64{0: 0}, [3]int64{0, 0, 99}), store.Stored{}); err != nil {
		t.Fatal(err)
	}
	// The second re-reads offsets 0-39 of partition 0 (it knew them stored) with
	// partition 1's first messages.
	stored := store.Stored{store.GroupScope: {0: 99}, store.ScopeOf("whatsapp"): {0: 99}}
	if err := s.Apply(ctx, "g", "posts", batch(map[int]int64{0: 60, 1: 0}, [3]int64{0, 0, 39}, [3]int64{1, 0, 9}), stored); err != nil {
		t.Fatal(err)
	}
	marks, err := s.Marks(ctx, "g", "posts")
	if err != nil {
		t.Fatal(err)
	}
	if marks[0].Lag != 0 || marks[1].Lag != 0 {
		t.Errorf("lags = %d, %d; want 0, 0 (partition 0's re-read must not set its lag)", marks[0].Lag, marks[1].Lag)
	}
}

// A batch may name more services in one bucket than Lua can unpack at once (about
// 8,000): it is stored whole, not refused halfway (a script that fails after writing
// the offsets would lose the rest of the batch).
func TestStoreManyServices(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	t0 := time.Date(2022, 10, 25, 7, 17, 0, 0, time.UTC)
	b := counts.NewBatch(10 * time.Second)
	b.Offset(0, 1)
	const n = 80_000
	for i := range n {
		b.Mention(fmt.Sprintf("svc%05d", i), t0)
	}
	if err := s.Apply(ctx, "g", "posts", b, store.Stored{}); err != nil {
		t.Fatal(err)
	}
	first := counts.BucketOf(t0, 10*time.Second)
	got, err := s.Mentioned(ctx, first, first)
	if err != nil || len(got) != n || got["svc19999"][0].Posts != 1 {
		t.Errorf("Mentioned: %d services (%v), want %d", len(got), err, n)
	}
}

// A bucket's distinct authors are exact while few, kept in a HyperLogLog once many,
// across batches; a window's count unites both.
func TestStoreDistinctAuthors(t *testing.T) {
	ctx := context.Background()
	s, rdb := newStore(t)
	t0 := time.Date(2022, 10, 25, 7, 17, 0, 0, time.UTC)
	first := counts.BucketOf(t0, 10*time.Second)
	stored := store.Stored{}
	apply := func(off int64, at time.Time, authors ...string) {
		t.Helper()
		b := counts.NewBatch(10 * time.Second)
		b.Offset(0, off)
		for _, a := range authors {
			b.Complain("whatsapp", at, counts.Complaint{Author: a, Wording: 7})
		}
		if err := s.Apply(ctx, "g", "posts", b, stored); err != nil {
			t.Fatal(err)
		}
	}
	authors := func(from, to int) []string {
		var out []string
		for i := from; i < to; i++ {
			out = append(out, fmt.Sprint("author", i))
		}
		return out
	}
	check := func(what string, wantBucket0, wantWindow int64, tolerance float64) {
		t.Helper()
		got, err := s.Read(ctx, []string{"whatsapp"}, first, first)
		if err != nil {
			t.Fatal(err)
		}
		n, err := s.DistinctAuthors(ctx, "whatsapp", first, first+10)
		if err != nil {
			t.Fatal(err)
		}
		near := func(got, want int64) bool { return math.Abs(float64(got-want)) <= tolerance*float64(want) }
		if a := got["whatsapp"][0].Authors; !near(a, wantBucket0) || !near(n, wantWindow) {
			t.Errorf("%s: bucket 0 has %d distinct authors, the window %d; want %d and %d (±%.0f%%)", what, a, n, wantBucket0, wantWindow, 100*tolerance)
		}
		if v, err := s.DistinctVoices(ctx, "whatsapp", first, first+10); err != nil || v != 1 {
			t.Errorf("%s: %d distinct voices (%v), want 1 (one wording)", what, v, err)
		}
	}
	apply(1, t0, authors(0, 60)...)
	apply(2, t0, authors(30, 90)...)                     // 30 again
	apply(3, t0.Add(10*time.Second), authors(80, 95)...) // the next bucket: 10 again
	check("lists", 90, 95, 0)
	apply(4, t0, authors(60, 400)...) // past the list: a HyperLogLog
	check("a HyperLogLog", 400, 400, 0.02)
	if n := len(rdb.Keys(ctx, "t:shard:{*}:a:*").Val()); n != 1 {
		t.Errorf("%d authors HyperLogLogs, want 1", n)
	}
}

// The keys with the offsets TTL (offsets, totals, watermarks) get it again at most
// once an hour of the batches' wall clock, not with every batch.
func TestStoreRefreshesLongTTLsHourly(t *testing.T) {
	ctx := context.Background()
	s, rdb := newStore(t)
	t0 := time.Date(2022, 10, 25, 7, 17, 0, 0, time.UTC)
	stored := store.Stored{}
	off := int64(0)
	apply := func(wall time.Time) {
		t.Helper()
		b := counts.NewBatch(10 * time.Second)
		b.Wall = wall
		b.Offset(0, off)
		off++
		b.Watermarks[0] = t0.UnixMilli()
		b.Totals["consumed"] = 1
		b.Mention("whatsapp", t0)
		if err := s.Apply(ctx, "g", "posts", b, stored); err != nil {
			t.Fatal(err)
		}
	}
	keys := []string{"t:group:{g}:offsets:posts", "t:group:{g}:totals", "t:group:{g}:watermarks:posts"}
	shorten := func() {
		for _, k := range keys {
			if err := rdb.Expire(ctx, k, time.Hour).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	ttls := func() (out []time.Duration) {
		for _, k := range keys {
			out = append(out, rdb.TTL(ctx, k).Val().Round(time.Hour))
		}
		return out
	}
	apply(t0)
	shorten()
	apply(t0.Add(59 * time.Minute))
	if got := ttls(); fmt.Sprint(got) != fmt.Sprint([]time.Duration{time.Hour, time.Hour, time.Hour}) {
		t.Errorf("TTLs after a batch within the hour = %v, want 1h each (not refreshed)", got)
	}
	apply(t0.Add(61 * time.Minute))
	if got := ttls(); fmt.Sprint(got) != fmt.Sprint([]time.Duration{336 * time.Hour, 336 * time.Hour, 336 * time.Hour}) {
		t.Errorf("TTLs after a batch an hour later = %v, want 336h each (refreshed)", got)
	}
}

// A bucket field that does not decode (written by hand, or by something else) is
// read as no posts and replaced by the service's next batch: neither the
// evaluation nor the storing of later batches stops on it.
func TestStoreSkipsAFieldThatDoesNotDecode(t *testing.T) {
	ctx := context.Background()
	s, rdb := newStore(t)
	t0 := time.Date(2022, 10, 25, 7, 17, 0, 0, time.UTC)
	first := counts.BucketOf(t0, 10*time.Second)
	offset := int64(0)
	apply := func(svcs ...string) {
		t.Helper()
		b := counts.NewBatch(10 * time.Second)
		b.Offset(0, offset)
		offset++
		for _, svc := range svcs {
			b.Complain(svc, t0, counts.Complaint{Author: "a"})
		}
		if err := s.Apply(ctx, "g", "posts", b, store.Stored{}); err != nil {
			t.Fatal(err)
		}
	}
	apply("whatsapp", "x")
	key := fmt.Sprintf("t:shard:{%s}:c:%d", store.ScopeOf("x")[len("shard"):], first)
	if n, err := rdb.HSet(ctx, key, "x", "{not json").Result(); err != nil || n != 0 {
		t.Fatalf("HSET %s x = %d, %v; want the field overwritten (is the key right?)", key, n, err)
	}
	got, err := s.Mentioned(ctx, first, first)
	if err != nil {
		t.Fatalf("Mentioned with a field that does not decode: %v", err)
	}
	if got["whatsapp"][0].Complaints != 1 || got["x"] != nil {
		t.Errorf("Mentioned = %+v; want whatsapp's complaint and nothing of x", got)
	}
	// An hourly rollup that is not four numbers is replaced as well.
	hour := first - first%3600
	day := fmt.Sprintf("t:shard:{%s}:d:%d", store.ScopeOf("x")[len("shard"):], hour-hour%86400)
	if n, err := rdb.HSet(ctx, day, fmt.Sprintf("x|%d", hour), "garbage").Result(); err != nil || n != 0 {
		t.Fatalf("HSET %s = %d, %v; want the rollup overwritten (is the key right?)", day, n, err)
	}
	if _, err := s.RolledUp(ctx, t0.Add(-time.Hour), t0.Add(time.Hour)); err != nil {
		t.Errorf("RolledUp with a rollup that does not decode: %v", err)
	}
	apply("x")
	got, err = s.Mentioned(ctx, first, first)
	if err != nil || got["x"][0].Complaints != 1 {
		t.Errorf("after a batch naming x: Mentioned = %+v, %v; want x's new complaint", got, err)
	}
	hours, err := s.RolledUp(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil || hours["x"][hour].Complaints != 1 {
		t.Errorf("RolledUp = %v, %v; want x's rollup replaced by the batch's complaint", hours["x"], err)
	}
}

// A script that fails keeps what it wrote before failing: apply.lua reads every key
// and computes every sum before its first write, and writes the offsets last. A key
// of the wrong type in the batch's way fails the batch with nothing written, and
// the retry after it is cleared counts the batch once.
func TestStoreFailedBatchWritesNothing(t *testing.T) {
	ctx := context.Background()
	s, rdb := newStore(t)
	t0 := time.Date(2022, 10, 25, 7, 17, 0, 0, time.UTC)
	t1 := t0.Add(2 * time.Hour)
	batch := func(offset int64, at time.Time) *counts.Batch {
		b := counts.NewBatch(10 * time.Second)
		b.Offset(0, offset)
		b.Complain("x", at, counts.Complaint{Author: "a"})
		b.Totals["posts"] = 1
		return b
	}
	if err := s.Apply(ctx, "g", "posts", batch(0, t0), store.Stored{}); err != nil {
		t.Fatal(err)
	}
	scope := store.ScopeOf("x")
	bad := fmt.Sprintf("t:shard:{%s}:c:%d", scope[len("shard"):], counts.BucketOf(t1, 10*time.Second))
	if err := rdb.Set(ctx, bad, "not a hash", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, "g", "posts", batch(1, t1), store.Stored{}); err == nil {
		t.Fatal("a batch whose bucket key is a string was stored")
	}
	off, err := s.Offsets(ctx, "g", "posts")
	if err != nil {
		t.Fatal(err)
	}
	if got := off[scope][0]; got != 0 {
		t.Errorf("offset of %s after the failed batch: %d, want 0 (its counts were not written)", scope, got)
	}
	hours, err := s.RolledUp(ctx, t0.Add(-time.Hour), t1.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := hours["x"][counts.BucketOf(t1, time.Hour)]; ok {
		t.Errorf("the failed batch's hourly rollup was written: %v", hours["x"])
	}
	if err := rdb.Del(ctx, bad).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, "g", "posts", batch(1, t1), store.Stored{}); err != nil {
		t.Fatalf("the retry: %v", err)
	}
	hours, err = s.RolledUp(ctx, t0.Add(-time.Hour), t1.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if c := hours["x"][counts.BucketOf(t1, time.Hour)].Complaints; c != 1 {
		t.Errorf("after the retry, x's complaints in the hour: %d, want 1", c)
	}
}
