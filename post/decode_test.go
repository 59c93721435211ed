package post

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDecode(t *testing.T) {
	ts := time.Date(2022, 10, 25, 7, 21, 3, 0, time.UTC)
	tests := []struct {
		name   string
		in     string
		want   Post
		shape  Shape
		reason string
	}{
		{name: "canonical", in: `{"id":"1850001","text":"is #whatsappdown for anyone else?","author":"u123","created_at":"2022-10-25T07:21:03Z","lang":"en","country":"gb","source":"x"}`,
			want: Post{ID: "1850001", Text: "is #whatsappdown for anyone else?", Author: "u123", CreatedAt: ts, Lang: "en", Country: "GB", Source: "x"}, shape: ShapeCanonical},
		{name: "canonical with offset", in: `{"id":"t3_x","text":"sextou","created_at":"2022-10-25T04:21:03-03:00"}`,
			want: Post{ID: "t3_x", Text: "sextou", CreatedAt: ts}, shape: ShapeCanonical},
		{name: "numeric id", in: `{"id":1850001,"text":"hi","created_at":"2022-10-25T07:21:03Z"}`,
			want: Post{ID: "1850001", Text: "hi", CreatedAt: ts}, shape: ShapeCanonical},
		{name: "x api v2", in: `{"data":{"id":"158","text":"whatsapp down","author_id":"99","created_at":"2022-10-25T07:21:03.000Z","lang":"en","edit_history_tweet_ids":["158"]},"matching_rules":[{"id":"1","tag":"outcry"}]}`,
			want: Post{ID: "158", Text: "whatsapp down", Author: "99", CreatedAt: ts, Lang: "en", Source: "x"}, shape: ShapeXv2},
		{name: "jetstream", in: `{"did":"did:plc:abc","time_us":1666682463000000,"kind":"commit","commit":{"rev":"r","operation":"create","collection":"app.bsky.feed.post","rkey":"3k","record":{"$type":"app.bsky.feed.post","createdAt":"2022-10-25T07:21:03Z","langs":["pt","en"],"text":"whatsapp caiu"},"cid":"c"}}`,
			want: Post{ID: "at://did:plc:abc/app.bsky.feed.post/3k", Text: "whatsapp caiu", Author: "did:plc:abc", CreatedAt: ts, Lang: "pt", Source: "bluesky"}, shape: ShapeJetstream},
		{name: "mastodon", in: `{"id":"109","created_at":"2022-10-25T07:21:03.000Z","language":"de","content":"<p>WhatsApp geht nicht &amp; so</p>","account":{"acct":"anna@example.social"}}`,
			want: Post{ID: "109", Text: "WhatsApp geht nicht & so", Author: "anna@example.social", CreatedAt: ts, Lang: "de", Source: "mastodon"}, shape: ShapeMastodon},
		// A hashtag's link keeps its word whole (#<span>…</span>), paragraphs are lines.
		{name: "mastodon hashtag", in: `{"id":"110","created_at":"2022-10-25T07:21:03.000Z","content":"<p>down again</p><p><a href=\"https://example.social/tags/whatsappdown\" class=\"mention hashtag\" rel=\"tag\">#<span>whatsappdown</span></a></p>","account":{"acct":"anna"}}`,
			want: Post{ID: "110", Text: "down again\n\n#whatsappdown", Author: "anna", CreatedAt: ts, Source: "mastodon"}, shape: ShapeMastodon},
		{name: "jetstream delete", in: `{"did":"did:plc:abc","kind":"commit","commit":{"operation":"delete","collection":"app.bsky.feed.post","rkey":"3k"}}`, reason: ReasonNotAPost},
		{name: "jetstream identity", in: `{"did":"did:plc:abc","kind":"identity","identity":{}}`, reason: ReasonNotAPost},
		{name: "empty", in: ``, reason: ReasonEmpty},
		{name: "blank", in: "  \t", reason: ReasonEmpty},
		{name: "invalid json", in: `{"id":"1","text":`, reason: ReasonInvalidJSON},
		{name: "not json", in: `hello`, reason: ReasonInvalidJSON},
		{name: "array", in: `[1,2,3]`, reason: ReasonNotObject},
		{name: "string", in: `"text"`, reason: ReasonNotObject},
		{name: "invalid utf8", in: "{\"id\":\"1\",\"text\":\"a\xffb\",\"created_at\":\"2022-10-25T07:21:03Z\"}", reason: ReasonInvalidUTF8},
		{name: "missing text", in: `{"id":"1","created_at":"2022-10-25T07:21:03Z"}`, reason: ReasonMissingText},
		{name: "empty text", in: `{"id":"1","text":"  ","created_at":"2022-10-25T07:21:03Z"}`, reason: ReasonMissingText},
		{name: "missing created_at", in: `{"id":"1","text":"hi"}`, reason: ReasonMissingTime},
		{name: "bad created_at", in: `{"id":"1","text":"hi","created_at":"yesterday"}`, reason: ReasonBadTime},
		{name: "missing id", in: `{"text":"hi","created_at":"2022-10-25T07:21:03Z"}`, reason: ReasonMissingID},
		{name: "object id", in: `{"id":{"a":1},"text":"hi","created_at":"2022-10-25T07:21:03Z"}`, reason: ReasonInvalidJSON},
		{name: "huge author", in: `{"id":"1","text":"hi","created_at":"2022-10-25T07:21:03Z","author":"` + strings.Repeat("a", 300) + `"}`, reason: ReasonFieldTooLarge},
		{name: "oversized", in: `{"id":"1","text":"` + strings.Repeat("a", DefaultMaxPostBytes) + `","created_at":"2022-10-25T07:21:03Z"}`, reason: ReasonOversized},
		{name: "deeply nested", in: `{"id":"1","text":"hi","created_at":"2022-10-25T07:21:03Z","x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, reason: ReasonInvalidJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, shape, err := Decode([]byte(tt.in), 0)
			if tt.reason != "" {
				if err == nil {
					t.Fatalf("Decode() = %+v, want error %q", got, tt.reason)
				}
				if r := ErrReason(err); r != tt.reason {
					t.Fatalf("reason = %q (%v), want %q", r, err, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode() error = %v", err)
			}
			if got != tt.want || shape != tt.shape {
				t.Errorf("Decode() = %+v %s, want %+v %s", got, shape, tt.want, tt.shape)
			}
		})
	}
}

func TestDecodeTestdata(t *testing.T) {
	b, err := os.ReadFile("testdata/shapes.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	shapes := map[Shape]int{}
	reasons := map[string]int{}
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		_, s, err := Decode([]byte(line), 0)
		if err != nil {
			reasons[ErrReason(err)]++
			continue
		}
		shapes[s]++
	}
	want := map[Shape]int{ShapeCanonical: 2, ShapeXv2: 2, ShapeJetstream: 2, ShapeMastodon: 1}
	for s, n := range want {
		if shapes[s] != n {
			t.Errorf("%s: %d posts, want %d", s, shapes[s], n)
		}
	}
	if reasons[ReasonNotAPost] != 1 || reasons[ReasonNotObject] != 1 || reasons[ReasonMissingTime] != 1 {
		t.Errorf("reasons = %v", reasons)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"id":"1","text":"whatsapp down","created_at":"2022-10-25T07:21:03Z"}`))
	f.Add([]byte(`{"data":{"id":"1","text":"x","created_at":"2022-10-25T07:21:03Z"}}`))
	f.Add([]byte(`{"did":"d","kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"r","record":{"text":"t","createdAt":"2022-10-25T07:21:03Z"}}}`))
	f.Add([]byte(`{"id":"1","content":"<p>x</p>","created_at":"2022-10-25T07:21:03Z"}`))
	f.Add([]byte(`[{}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, _, err := Decode(b, 4096)
		if err != nil {
			if ErrReason(err) == "error" {
				t.Fatalf("error without a reason: %v", err)
			}
			return
		}
		if p.ID == "" || strings.TrimSpace(p.Text) == "" || p.CreatedAt.IsZero() {
			t.Fatalf("decoded an incomplete post: %+v", p)
		}
		if !utf8.ValidString(p.Text) || p.CreatedAt.Location() != time.UTC {
			t.Fatalf("bad post: %+v", p)
		}
		if _, err := json.Marshal(p); err != nil {
			t.Fatal(err)
		}
	})
}
