package monitor_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/evaluate"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/monitor"
	"github.com/outcry-dev/outcry/store"
)

// countingStore is the Redis store, counting the reads of buckets.
type countingStore struct {
	*store.Store
	reads int
}

func (c *countingStore) Read(ctx context.Context, services []string, from, to int64) (map[string][]counts.Counts, error) {
	c.reads++
	return c.Store.Read(ctx, services, from, to)
}

func (c *countingStore) Mentioned(ctx context.Context, from, to int64) (map[string][]counts.Counts, error) {
	c.reads++
	return c.Store.Mentioned(ctx, from, to)
}

// A group whose first post is dated 2016 and whose others are dated today is not
// evaluated bucket by bucket across the ten years between: the stretch without any
// post is skipped in one Redis call, and today's buckets are evaluated.
func TestAdvanceSkipsQuietStretches(t *testing.T) {
	ctx := context.Background()
	rdb := testenv.RedisClient(t, testenv.Redis(t).Addr)
	st := &countingStore{Store: store.New(rdb, store.Options{Prefix: "skip"})}
	old := time.Date(2016, 3, 1, 9, 0, 0, 0, time.UTC)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	if err := st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	stored := store.Stored{}
	offset := int64(0)
	put := func(at time.Time, n int) {
		b := counts.NewBatch(10 * time.Second)
		for i := range n {
			b.Offset(0, offset)
			offset++
			b.Mention("whatsapp", at.Add(time.Duration(i)*time.Second))
		}
		b.Hours[at.Truncate(time.Hour).Unix()] = true
		if err := st.Apply(ctx, "g", "posts", b, stored); err != nil {
			t.Fatal(err)
		}
	}
	put(old, 3)
	put(now, 30)

	var seen int64
	m, err := monitor.New(monitor.Config{Services: []string{"whatsapp"}, Group: "g", Topic: "posts"}, monitor.Deps{
		Reader: st, Claimer: st, Coordinator: st, Hours: st, Trimmer: st, Activity: st,
		OnVerdict: func(_ string, v evaluate.Verdict) {
			if !v.BucketStart.Before(now.Add(-time.Minute)) {
				seen += v.Bucket.Posts
			}
		},
	}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Advance(ctx, old.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	before := st.reads
	if err := m.Advance(ctx, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Walking ten years would take 87,600 reads of an hour each.
	if n := st.reads - before; n > 10 {
		t.Errorf("%d reads of buckets to go from 2016 to 2026, want a handful", n)
	}
	if seen != 30 {
		t.Errorf("today's buckets were evaluated with %d posts, want 30", seen)
	}
	// Three days without a post after them (an instance down, then an idle stream
	// whose watermark follows the clock): skipped as well.
	before = st.reads
	if err := m.Advance(ctx, now.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := st.reads - before; n > 10 {
		t.Errorf("%d reads of buckets for three days without posts, want a handful", n)
	}
}
