package jetstream

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap/zaptest"

	"github.com/outcry-dev/outcry/ingest"
	"github.com/outcry-dev/outcry/ingest/ingesttest"
	"github.com/outcry-dev/outcry/ingest/jetstream/jetstreamtest"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/post"
)

// wantPosts are the ids of the fixture's posts with words.
func wantPosts(t *testing.T, frames [][]byte) map[string]bool {
	want := map[string]bool{}
	for _, f := range frames {
		if ev := Parse(f); ev.Post != nil {
			want[ev.Post.ID] = true
		}
	}
	if len(want) != 9 {
		t.Fatalf("the fixture has %d posts with words, want 9", len(want))
	}
	return want
}

// TestRunFaults: the stream drops mid-way, sends a malformed and an oversized frame,
// refuses with 429, and the first endpoint is down: every post is produced exactly
// once, only the two unreadable frames are dead-lettered, and the reconnects resume
// from the cursor.
func TestRunFaults(t *testing.T) {
	frames := fixtureFrames(t)
	want := wantPosts(t, frames)
	oversized := []byte(`{"did":"did:plc:big","time_us":1,"kind":"commit","text":"` + strings.Repeat("a", 100<<10) + `"}`)
	srv, url := jetstreamtest.NewServer(t, frames,
		jetstreamtest.Conn{Send: 4}, // drops after four frames
		jetstreamtest.Conn{Status: http.StatusTooManyRequests},
		jetstreamtest.Conn{Send: 5, Extra: [][]byte{[]byte(`{"did":"did:plc:x","time_us":17`), oversized}},
		jetstreamtest.Conn{Send: -1},
	)
	g := ingesttest.NewRig(t)
	stop := g.Start(t, &Source{MaxFrameBytes: 64 << 10}, ingesttest.Options("ws://127.0.0.1:1/subscribe", url), zaptest.NewLogger(t)) // the first endpoint refuses: a fallback is used
	msgs := testenv.ReadTopic(t, g.Broker, "posts", 30*time.Second, func(m []kafka.Message) bool { return len(m) >= len(want) })
	select {
	case <-srv.SentAll:
	case <-time.After(30 * time.Second):
		t.Fatal("the server never sent its last frame")
	}
	g.WaitRead(t, "bluesky", len(want))
	stop()
	msgs = testenv.ReadTopic(t, g.Broker, "posts", 10*time.Second, func(m []kafka.Message) bool { return len(m) >= len(msgs) })
	got := ingesttest.IDs(t, "bluesky", msgs)
	for id := range want {
		if got[id] != 1 {
			t.Errorf("post %s produced %d times, want once", id, got[id])
		}
	}
	if len(got) != len(want) {
		t.Errorf("produced %d distinct posts, want %d: %v", len(got), len(want), got)
	}
	g.DeadLetters(t, "bluesky", map[string]int{post.ReasonInvalidJSON: 1, post.ReasonOversized: 1})
	n, cursors := srv.Connections()
	if n < 4 || cursors[0] != "" {
		t.Fatalf("%d connections with cursors %q: want ≥ 4, the first live", n, cursors)
	}
	// After the drop, the reconnects resume: a cursor at most the rewind (5 s)
	// before the last frame read.
	for _, c := range cursors[1:] {
		v, err := strconv.ParseInt(c, 10, 64)
		if err != nil || v <= 0 {
			t.Errorf("a reconnect asked for cursor %q, want the last one read minus the rewind", c)
		}
	}
	if d := testutil.ToFloat64(g.Metrics.Duplicates("bluesky")); d < 1 {
		t.Errorf("%v duplicates counted: the rewound overlap should have been read again", d)
	}
	if r := testutil.ToFloat64(g.Metrics.Reconnects("bluesky")); r < 2 {
		t.Errorf("%v reconnects counted, want ≥ 2", r)
	}
}

// TestRunResumes: a second run starts from the first run's saved cursor, rewound,
// and does not produce again what the first produced.
func TestRunResumes(t *testing.T) {
	frames := fixtureFrames(t)
	want := wantPosts(t, frames)
	// The first run's source drops after seven frames (four posts) and then refuses
	// every connection; the second run's sends everything.
	_, url1 := jetstreamtest.NewServer(t, frames, jetstreamtest.Conn{Send: 7}, jetstreamtest.Conn{Status: http.StatusServiceUnavailable})
	srv, url := jetstreamtest.NewServer(t, frames, jetstreamtest.Conn{Send: -1})
	g := ingesttest.NewRig(t)
	stop := g.Start(t, &Source{}, ingesttest.Options(url1), zaptest.NewLogger(t))
	testenv.Eventually(t, 30*time.Second, "the first run to produce and save four posts", func() bool {
		c, keys, err := g.Store.LoadCursor(context.Background(), "bluesky")
		return err == nil && c > 0 && len(keys) >= 4
	})
	stop()
	saved, _, err := g.Store.LoadCursor(context.Background(), "bluesky")
	if err != nil {
		t.Fatal(err)
	}

	stop = g.Start(t, &Source{}, ingesttest.Options(url), zaptest.NewLogger(t))
	msgs := testenv.ReadTopic(t, g.Broker, "posts", 30*time.Second, func(m []kafka.Message) bool { return len(ingesttest.IDs(t, "bluesky", m)) >= len(want) })
	<-srv.SentAll
	g.WaitRead(t, "bluesky", len(want))
	stop()
	msgs = testenv.ReadTopic(t, g.Broker, "posts", 10*time.Second, func(m []kafka.Message) bool { return len(m) >= len(msgs) })
	for id, n := range ingesttest.IDs(t, "bluesky", msgs) {
		if n != 1 || !want[id] {
			t.Errorf("post %s produced %d times", id, n)
		}
	}
	_, cursors := srv.Connections()
	resumed := cursors[0]
	if v, _ := strconv.ParseInt(resumed, 10, 64); v > saved || v < saved-(5*time.Second).Microseconds() {
		t.Errorf("the second run asked for cursor %q, want the saved %d rewound by at most 5 s", resumed, saved)
	}
}

// TestRunDropWhenFull: with --drop-when-full, a broker that cannot be reached does
// not pause the source: the buffer fills, the rest is dropped and counted, and a stop
// still returns within the flush deadline.
func TestRunDropWhenFull(t *testing.T) {
	frames := fixtureFrames(t)
	srv, url := jetstreamtest.NewServer(t, frames, jetstreamtest.Conn{Send: -1})
	g := ingesttest.NewRig(t)
	o := ingesttest.Options(url)
	o.Buffer, o.Batch, o.DropWhenFull = 2, 1, true
	stop := g.StartTo(t, "127.0.0.1:1", &Source{}, o, zaptest.NewLogger(t)) // nothing listens at the broker's address
	select {
	case <-srv.SentAll:
	case <-time.After(30 * time.Second):
		t.Fatal("the source was paused: not every frame was sent")
	}
	testenv.Eventually(t, 10*time.Second, "every post to be read", func() bool {
		return testutil.ToFloat64(g.Metrics.Events("bluesky", ingest.KindPost)) == 9
	})
	// 9 posts with words: two in the buffer, one in the writer's hands unless the
	// reader filled the buffer before the writer took its first (a slow machine:
	// seen under -race in make test), and one more if the writer took its first
	// while the reader went on.
	if d := testutil.ToFloat64(g.Metrics.Dropped("bluesky")); d < 5 || d > 7 {
		t.Errorf("%v posts dropped, want 5 to 7", d)
	}
	start := time.Now()
	stop()
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("stopping took %s with the broker away", d)
	}
}
