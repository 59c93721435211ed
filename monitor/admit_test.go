package monitor_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/evaluate"
	"github.com/outcry-dev/outcry/monitor"
	"github.com/outcry-dev/outcry/store"
)

// Evaluation runs beside the storing of the next batch. A batch admitted under the
// old closed boundary may add to buckets a Tick running meanwhile would close: the
// Tick publishes the new boundary but evaluates only up to the old one, and the
// buckets after it are evaluated once the batch is stored, with its posts.
func TestTickWaitsForTheBatchBeingStored(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, "admit")
	start := time.Date(2026, 1, 21, 6, 0, 0, 0, time.UTC)
	now := start.Add(time.Hour)
	offset := int64(0)
	apply := func(at time.Time, n int) *counts.Batch {
		t.Helper()
		b := counts.NewBatch(10 * time.Second)
		b.Firsts[0] = start.UnixMilli()
		b.Wall = now
		b.Lags = map[int]int64{0: 1} // a backlog: the watermark follows the posts
		for i := range n {
			b.Offset(0, offset)
			offset++
			b.Mention("x", at.Add(time.Duration(i)*time.Millisecond))
		}
		b.Hours[at.Truncate(time.Hour).Unix()] = true
		b.Watermarks[0] = at.UnixMilli()
		if err := st.Apply(ctx, "g", "posts", b, store.Stored{}); err != nil {
			t.Fatal(err)
		}
		return b
	}
	posts := map[int64]int64{} // bucket start → posts the evaluation saw
	m := admitMonitor(t, st, now, func(v evaluate.Verdict) { posts[v.BucketStart.Unix()] += v.Bucket.Posts })
	for i := range 30 {
		apply(start.Add(time.Duration(i)*time.Minute), 1)
	}
	if err := m.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	old := m.Closed()
	if old.IsZero() {
		t.Fatal("nothing closed: the test needs a first boundary")
	}
	apply(old.Add(10*time.Minute), 1) // a batch moves the watermark ten minutes on
	if got := m.Admit(); !got.Equal(old) {
		t.Fatalf("Admit = %s, want the boundary %s", got, old)
	}
	if err := m.Tick(ctx); err != nil { // while the admitted batch is being stored
		t.Fatal(err)
	}
	if c := m.Closed(); !c.After(old) {
		t.Fatalf("closed boundary %s, want it moved past %s", c, old)
	}
	late := old.Add(30 * time.Second)
	if n, ok := posts[late.Unix()]; ok {
		t.Fatalf("bucket %s evaluated (%d posts) while a batch admitted under %s was being stored", late, n, old)
	}
	m.Stored(apply(late, 3)) // the admitted batch, stored
	if err := m.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if n := posts[late.Unix()]; n != 3 {
		t.Errorf("bucket %s evaluated with %d posts, want the admitted batch's 3", late, n)
	}
}

// A backtest stores all its posts, then asks for the buckets up to its last post to
// be evaluated (Flush, Advance). When no Tick ran before (the posts fitted in one
// batch), the evaluation still starts where the group's posts start, as a Tick's
// would, not History before the end: an outage more than History before the last
// post would be missed.
func TestAdvanceWithoutTickStartsAtTheFirstPost(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, "advance")
	start := time.Date(2026, 1, 21, 0, 0, 0, 0, time.UTC)
	end := start.Add(10 * time.Hour)
	b := counts.NewBatch(10 * time.Second)
	b.Firsts[0] = start.UnixMilli()
	b.Wall = end
	for i := range 600 {
		at := start.Add(time.Duration(i) * time.Minute)
		b.Offset(0, int64(i))
		b.Mention("x", at)
		b.Hours[at.Truncate(time.Hour).Unix()] = true
	}
	b.Watermarks[0] = end.UnixMilli()
	if err := st.Apply(ctx, "g", "posts", b, store.Stored{}); err != nil {
		t.Fatal(err)
	}
	var first time.Time
	m := admitMonitor(t, st, end, func(v evaluate.Verdict) {
		if first.IsZero() {
			first = v.BucketStart
		}
	})
	if err := m.Advance(ctx, end.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if !first.Equal(start) {
		t.Errorf("first bucket evaluated %s, want the first post's %s", first, start)
	}
}

// admitMonitor is the evaluator of group g over st, of service x alone, its clock
// stopped at now, telling onVerdict every verdict.
func admitMonitor(t *testing.T, st *store.Store, now time.Time, onVerdict func(evaluate.Verdict)) *monitor.Monitor {
	t.Helper()
	m, err := monitor.New(monitor.Config{Services: []string{"x"}, Group: "g", Topic: "posts", Instance: "a",
		Now: func() time.Time { return now }},
		monitor.Deps{Reader: st, Claimer: st, Coordinator: st, Hours: st, Trimmer: st, Activity: st,
			Publisher: &recordingPublisher{}, OnVerdict: func(_ string, v evaluate.Verdict) { onVerdict(v) }},
		zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
