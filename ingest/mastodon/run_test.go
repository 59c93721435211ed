package mastodon

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/outcry-dev/outcry/ingest"
	"github.com/outcry-dev/outcry/ingest/ingesttest"
	"github.com/outcry-dev/outcry/ingest/mastodon/mastodontest"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/post"
)

// rig is ingesttest's, with a log that keeps every line.
type rig struct {
	*ingesttest.Rig
	log ingesttest.Log
}

func newRig(t *testing.T) *rig { return &rig{ingesttest.NewRig(t), ingesttest.NewLog(t)} }

// start runs the connector on endpoints until the returned stop is called.
func (g *rig) start(t *testing.T, endpoints ...string) (stop func()) {
	src := &Source{Token: testToken, MaxEventBytes: 64 << 10, Log: g.log.Logger}
	return g.Start(t, src, ingesttest.Options(endpoints...), g.log.Logger)
}

// logged reports whether a log line says s (in its message or its fields).
func (g *rig) logged(s string) bool { return g.log.Said(s) }

// wantPosts are the ids of the transcript's posts.
func wantPosts(t *testing.T) map[string]bool {
	want := map[string]bool{}
	for _, e := range events(t) {
		if ev := Parse(e.event, e.data); ev.Post != nil {
			want[ev.Post.ID] = true
		}
	}
	if len(want) != 10 {
		t.Fatalf("the transcript has %d posts, want 10", len(want))
	}
	return want
}

// TestRunFaults: the first endpoint is down, the stream drops mid-way, refuses with 429
// and then 401, misses statuses while away (the REST backfill has them), sends a
// malformed and an oversized frame: every post is produced exactly once, only the
// three unreadable frames are dead-lettered, and the token goes in the bearer header
// only, never in an error or a log line.
func TestRunFaults(t *testing.T) {
	want := wantPosts(t)
	malformed := "event: update\ndata: {\"id\":\"115669677000000000\",\"content\":\n\n"
	oversized := "event: update\ndata: {\"id\":\"1\",\"content\":\"" + strings.Repeat("a", 100<<10) + "\"}\n\n"
	srv := mastodontest.NewServer(t, transcript(t), mastodontest.Options{Token: testToken},
		mastodontest.Conn{Send: 3}, // three posts, then a drop
		mastodontest.Conn{Status: http.StatusTooManyRequests},
		mastodontest.Conn{Status: http.StatusUnauthorized}, // its body echoes the bearer back
		// Away: the delete, a post (only the backfill has it) and a reblog; then the
		// edit, the two extra frames, the transcript's malformed frame, a post, media.
		mastodontest.Conn{Skip: 3, Send: 4, Extra: []string{malformed, oversized}},
		mastodontest.Conn{Send: -1},
	)
	g := newRig(t)
	stop := g.start(t, "http://127.0.0.1:1/api/v1/streaming/public", srv.URL+"/api/v1/streaming/public")
	testenv.ReadTopic(t, g.Broker, "posts", 30*time.Second, func(m []kafka.Message) bool { return len(ingesttest.IDs(t, "mastodon", m)) >= len(want) })
	select {
	case <-srv.SentAll:
	case <-time.After(30 * time.Second):
		t.Fatal("the server never sent its last frame")
	}
	stop()
	msgs := testenv.ReadTopic(t, g.Broker, "posts", 10*time.Second, func(m []kafka.Message) bool { return len(ingesttest.IDs(t, "mastodon", m)) >= len(want) })
	ingesttest.ExactlyOnce(t, ingesttest.IDs(t, "mastodon", msgs), want)

	g.DeadLetters(t, "mastodon", map[string]int{post.ReasonInvalidJSON: 2, post.ReasonOversized: 1})

	if n := srv.Streams(); n < 5 {
		t.Errorf("%d streaming connections, want ≥ 5", n)
	}
	// The reconnects read what they missed from the REST timeline.
	pages := srv.Pages()
	if len(pages) == 0 {
		t.Error("no backfill after the drop")
	}
	for _, p := range pages {
		u, _ := url.Parse(p)
		if u.Path != "/api/v1/timelines/public" || u.Query().Get("min_id") == "" || u.Query().Has("access_token") {
			t.Errorf("a timeline request %s", p)
		}
	}
	if bad := srv.BadAuth(); len(bad) > 0 {
		t.Errorf("requests without the bearer token: %q", bad)
	}
	if g.logged(testToken) {
		t.Error("the token is in a log line")
	}
	for _, s := range []string{"read:statuses", "rate-limiting", "[token]"} {
		if !g.logged(s) {
			t.Errorf("no log line says %q", s)
		}
	}
	if d := testutil.ToFloat64(g.Metrics.Duplicates("mastodon")); d < 1 {
		t.Errorf("%v duplicates counted: the backfill's overlap should have been read again", d)
	}
	if r := testutil.ToFloat64(g.Metrics.Reconnects("mastodon")); r < 2 {
		t.Errorf("%v reconnects counted, want ≥ 2", r)
	}
	// The edit was streamed (the delete happened while away, and is not in a timeline).
	if n := testutil.ToFloat64(g.Metrics.Events("mastodon", ingest.KindUpdate)); n != 1 {
		t.Errorf("%v edits counted, want 1", n)
	}
}

// TestRunResumes: a second run reads what happened since the first run's saved
// cursor (rewound) through the REST timeline, and produces nothing twice.
func TestRunResumes(t *testing.T) {
	want := wantPosts(t)
	// The first run reads five frames (four posts, a delete), then the server refuses.
	srv1 := mastodontest.NewServer(t, transcript(t), mastodontest.Options{Token: testToken},
		mastodontest.Conn{Send: 5}, mastodontest.Conn{Status: http.StatusServiceUnavailable})
	// For the second, nine frames happened while it was away (the four posts read,
	// and two more): only the timeline has them; the stream has the rest.
	srv2 := mastodontest.NewServer(t, transcript(t), mastodontest.Options{Token: testToken, PageSize: 3},
		mastodontest.Conn{Skip: 9, Send: -1})
	g := newRig(t)
	stop := g.start(t, srv1.URL+"/api/v1/streaming/public")
	testenv.Eventually(t, 30*time.Second, "the first run to produce and save four posts", func() bool {
		c, keys, err := g.Store.LoadCursor(context.Background(), "mastodon")
		return err == nil && c > 0 && len(keys) >= 4
	})
	stop()
	saved, _, err := g.Store.LoadCursor(context.Background(), "mastodon")
	if err != nil {
		t.Fatal(err)
	}
	if want := cursorOf(t, events(t)[4].data); saved != want {
		t.Errorf("saved cursor %d, want the fourth post's created_at, %d", saved, want)
	}

	stop = g.start(t, srv2.URL+"/api/v1/streaming/public")
	testenv.ReadTopic(t, g.Broker, "posts", 30*time.Second, func(m []kafka.Message) bool { return len(ingesttest.IDs(t, "mastodon", m)) >= len(want) })
	select {
	case <-srv2.SentAll:
	case <-time.After(30 * time.Second):
		t.Fatal("the server never sent its last frame")
	}
	stop()
	msgs := testenv.ReadTopic(t, g.Broker, "posts", 10*time.Second, func(m []kafka.Message) bool { return len(ingesttest.IDs(t, "mastodon", m)) >= len(want) })
	ingesttest.ExactlyOnce(t, ingesttest.IDs(t, "mastodon", msgs), want)

	pages := srv2.Pages()
	if len(pages) < 2 {
		t.Fatalf("pages %q: want a backfill of several pages", pages)
	}
	u, _ := url.Parse(pages[0])
	wantMin := strconv.FormatUint(minID(saved-(5*time.Second).Microseconds()), 10)
	if got := u.Query().Get("min_id"); got != wantMin {
		t.Errorf("the backfill started at min_id %s, want %s: the saved cursor rewound by 5 s", got, wantMin)
	}
	// The four posts of the first run were read again, and skipped.
	if d := testutil.ToFloat64(g.Metrics.Duplicates("mastodon")); d < 4 {
		t.Errorf("%v duplicates counted, want ≥ 4", d)
	}
	if bad := append(srv1.BadAuth(), srv2.BadAuth()...); len(bad) > 0 {
		t.Errorf("requests without the bearer token: %q", bad)
	}
	if g.logged(testToken) {
		t.Error("the token is in a log line")
	}
}
