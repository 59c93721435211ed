package jetstream

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/ingest"
	"github.com/outcry-dev/outcry/post"
)

// fixtureFrames are testdata/frames.jsonl: Jetstream v1 events written by hand from
// its documentation (posts in six languages, hashtag facets and hidden tags, a
// delete, an edit, identity and account events, a like, a post without words, a
// client clock years off).
func fixtureFrames(t testing.TB) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/frames.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	return out
}

func TestParse(t *testing.T) {
	frames := fixtureFrames(t)
	type want struct {
		kind, id, text, lang string
		created              string
	}
	wants := []want{
		{kind: "post", id: "bluesky:at://did:plc:a1b2c3d4e5f6g7h8i9j0k1l2/app.bsky.feed.post/3lcaaa0001",
			text: "is whatsapp down for anyone else? messages stuck on one tick #whatsappdown", lang: "en", created: "2025-12-05T23:59:59.45Z"},
		{kind: "identity"},
		{kind: "post", text: "واتساب لا يعمل عندي منذ نصف ساعة #واتساب_متوقف", lang: "ar"},
		{kind: "account"},
		{kind: "post", lang: "es"},
		{kind: "delete"},
		// a hidden tag the text does not show is appended
		{kind: "post", text: "Instagram lädt seit heute früh keine Stories mehr #instagramdown", lang: "de"},
		{kind: "other"}, // no words
		{kind: "post", lang: "ja"},
		{kind: "update"},
		{kind: "post", lang: "ru"},
		{kind: "other"}, // a like
		// a client clock of 2019: dated when the network saw it
		{kind: "post", lang: "de", created: "2025-12-06T00:00:03.25Z"},
		{kind: "post", lang: "hi"},
		{kind: "post", lang: "en"},
	}
	if len(frames) != len(wants) {
		t.Fatalf("%d frames, %d wants", len(frames), len(wants))
	}
	for i, w := range wants {
		ev := Parse(frames[i])
		if ev.Kind != w.kind {
			t.Errorf("frame %d: kind %q, want %q", i, ev.Kind, w.kind)
			continue
		}
		if ev.Cursor <= 0 || ev.At.IsZero() {
			t.Errorf("frame %d: no cursor (%d) or time", i, ev.Cursor)
		}
		if w.kind != "post" {
			if ev.Post != nil || ev.Key != "" {
				t.Errorf("frame %d: a %s gave a post %+v (key %q)", i, w.kind, ev.Post, ev.Key)
			}
			continue
		}
		p := ev.Post
		if p == nil {
			t.Fatalf("frame %d: no post", i)
		}
		if !strings.HasPrefix(p.ID, "bluesky:at://did:plc:") || p.Source != "bluesky" || !strings.HasPrefix(p.Author, "did:plc:") || ev.Key == "" {
			t.Errorf("frame %d: id %q, source %q, author %q, key %q", i, p.ID, p.Source, p.Author, ev.Key)
		}
		if w.id != "" && p.ID != w.id {
			t.Errorf("frame %d: id %q, want %q", i, p.ID, w.id)
		}
		if w.text != "" && p.Text != w.text {
			t.Errorf("frame %d: text %q, want %q", i, p.Text, w.text)
		}
		if p.Lang != w.lang {
			t.Errorf("frame %d: lang %q, want %q", i, p.Lang, w.lang)
		}
		if w.created != "" && p.CreatedAt.Format(time.RFC3339Nano) != w.created {
			t.Errorf("frame %d: created_at %s, want %s", i, p.CreatedAt.Format(time.RFC3339Nano), w.created)
		}
		// What is produced is a canonical post the pipeline decodes back unchanged.
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		back, shape, err := post.Decode(b, 0)
		if err != nil || shape != post.ShapeCanonical || back != *p {
			t.Errorf("frame %d: decoded back as %v %+v (%v), want %+v", i, shape, back, err, *p)
		}
	}
}

func TestParseBad(t *testing.T) {
	for _, tc := range []struct{ frame, reason string }{
		{`{"did":"did:plc:x","time_us":17`, post.ReasonInvalidJSON},
		{`not json at all`, post.ReasonInvalidJSON},
		{`{"did":"did:plc:x","time_us":1764979200250000,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"r1"}}`, post.ReasonNotAPost},
	} {
		ev := Parse([]byte(tc.frame))
		if ev.Kind != ingest.KindBad || ev.Reason != tc.reason || string(ev.Bad) != tc.frame || ev.Post != nil {
			t.Errorf("Parse(%q) = kind %q reason %q, want bad %q", tc.frame, ev.Kind, ev.Reason, tc.reason)
		}
	}
}

func TestURL(t *testing.T) {
	for _, tc := range []struct {
		endpoint string
		cursor   int64
		want     string
	}{
		{"wss://jetstream1.us-east.bsky.network/subscribe", 0,
			"wss://jetstream1.us-east.bsky.network/subscribe?maxMessageSizeBytes=4194304&wantedCollections=app.bsky.feed.post"},
		{"ws://127.0.0.1:6008/subscribe?wantedDids=did:plc:x", 1725911162329308,
			"ws://127.0.0.1:6008/subscribe?cursor=1725911162329308&maxMessageSizeBytes=4194304&wantedCollections=app.bsky.feed.post&wantedDids=did%3Aplc%3Ax"},
	} {
		got, err := URL(tc.endpoint, tc.cursor)
		if err != nil || got != tc.want {
			t.Errorf("URL(%q, %d) = %q, %v; want %q", tc.endpoint, tc.cursor, got, err, tc.want)
		}
	}
	if _, err := URL("ftp://example.org/", 0); err == nil || !strings.Contains(err.Error(), "ws://") {
		t.Errorf("an ftp endpoint: %v, want an error naming ws://", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, b := range fixtureFrames(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"kind":"commit","commit":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev := Parse(b)
		if ev.Post != nil {
			if ev.Key == "" || strings.TrimSpace(ev.Post.Text) == "" || ev.Post.CreatedAt.IsZero() {
				t.Errorf("a post without key, text or time: %+v", ev)
			}
		}
		if ev.Kind == ingest.KindBad && (ev.Reason == "" || ev.Post != nil) {
			t.Errorf("a bad frame without reason, or with a post: %+v", ev)
		}
	})
}
