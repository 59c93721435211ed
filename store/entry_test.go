package store

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/internal/testenv"
)

// benchEntry is a busy bucket's entry: five samples with text, the maps, authors.
func benchEntry(b *testing.B) string {
	d := counts.NewBatch(10 * time.Second)
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for i := range 40 {
		d.Complain("whatsapp", t0, counts.Complaint{Author: fmt.Sprint("user", i), Country: "IN", Lang: "hi",
			PostID: fmt.Sprint("17000000000", i), Problems: []string{"messages"}, Wording: uint64(i),
			Text: "व्हाट्सएप फिर से बंद है, मैसेज नहीं जा रहे #whatsappdown", Source: "bluesky"})
	}
	for _, delta := range d.Buckets {
		js, err := deltaJSON(delta)
		if err != nil {
			b.Fatal(err)
		}
		return strings.TrimPrefix(js, "=")
	}
	b.Fatal("no bucket")
	return ""
}

// BenchmarkParseEntry is what reading one service's bucket costs Outcry (the
// evaluator reads every service with posts in every closed bucket).
func BenchmarkParseEntry(b *testing.B) {
	js := benchEntry(b)
	b.SetBytes(int64(len(js)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseEntry(js); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWholeDeltaIsTheMergedField checks apply.lua's shortcut: a delta marked "=" is
// stored as it is when its field is new, and must be exactly the field the script's
// merge would make of it (lists, their counts, samples, maps), or what it stores
// differs from what a second batch would have made.
func TestWholeDeltaIsTheMergedField(t *testing.T) {
	ctx := context.Background()
	rdb := testenv.RedisClient(t, testenv.Redis(t).Addr)
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	cases := map[string]func(b *counts.Batch){
		"one post, no complaint": func(b *counts.Batch) { b.Mention("x", t0) },
		"complaints with everything": func(b *counts.Batch) {
			for i := range 7 {
				b.Complain("x", t0, counts.Complaint{Author: fmt.Sprint("a", i%3), Country: "IN", Lang: "hi",
					PostID: fmt.Sprint("p", i), Problems: []string{"login", "messages"}, Wording: uint64(i),
					Text: "down again", Source: "bluesky"})
			}
		},
		"as many authors as a list holds": func(b *counts.Batch) {
			for i := range maxExact {
				b.Complain("x", t0, counts.Complaint{Author: fmt.Sprint("a", i), Wording: uint64(i % 4)})
			}
		},
		"more authors than a list holds": func(b *counts.Batch) {
			for i := range maxExact + 1 {
				b.Complain("x", t0, counts.Complaint{Author: fmt.Sprint("a", i)})
			}
		},
	}
	for name, fill := range cases {
		t.Run(name, func(t *testing.T) {
			b := counts.NewBatch(10 * time.Second)
			fill(b)
			var js string
			for _, d := range b.Buckets {
				var err error
				if js, err = deltaJSON(d); err != nil {
					t.Fatal(err)
				}
			}
			whole := strings.HasPrefix(js, "=")
			if want := name != "more authors than a list holds"; whole != want {
				t.Fatalf("marked whole: %v, want %v (%s)", whole, want, js)
			}
			// The same delta, merged into a new field (no mark) and stored as marked.
			got := map[bool]entry{}
			for _, mark := range []bool{false, true} {
				arg := strings.TrimPrefix(js, "=")
				if mark {
					arg = js
				}
				key := fmt.Sprintf("t:%s:%v", name, mark)
				keys := []string{key + ":offsets", key, key + ":a", key + ":v"}
				if err := applyScript.Run(ctx, rdb, keys, 3600, 7200, 0, 0, "S", 2, 1, "x", 3, 4, arg).Err(); err != nil {
					t.Fatal(err)
				}
				raw, err := rdb.HGet(ctx, key, "x").Result()
				if err != nil {
					t.Fatal(err)
				}
				var e entry
				if err := json.Unmarshal([]byte(raw), &e); err != nil {
					t.Fatal(err)
				}
				got[mark] = e
			}
			if !reflect.DeepEqual(got[true], got[false]) {
				t.Errorf("stored as marked:\n%+v\nmerged:\n%+v", got[true], got[false])
			}
		})
	}
}

func BenchmarkDeltaJSON(b *testing.B) {
	d := counts.NewBatch(10 * time.Second)
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		d.Complain("whatsapp", t0, counts.Complaint{Author: fmt.Sprint("user", i), Country: "IN", Lang: "hi",
			PostID: fmt.Sprint("17000000000", i), Problems: []string{"messages"}, Wording: uint64(i), Source: "bluesky"})
	}
	var delta *counts.Delta
	for _, x := range d.Buckets {
		delta = x
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := deltaJSON(delta); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzParseEntry: a bucket field is read with goccy/go-json; whatever Redis holds
// (a field written by hand, a truncated value), the read returns an error or counts,
// never panics (Mentioned skips what does not decode).
func FuzzParseEntry(f *testing.F) {
	f.Add(`{"p":3,"c":2,"r":1,"pr":{"login":2},"cc":{"IN":2},"l":{"hi":2},"s":[{"id":"1","text":"down"}],"na":2,"A":["a","b"]}`)
	f.Add(`{"p":1}`)
	f.Add(`{}`)
	f.Add(`{not json`)
	f.Add(`{"s":{}}`)
	f.Add(`{"p":1e+14,"pr":[]}`)
	f.Add(`{"p":"3"}`)
	f.Fuzz(func(t *testing.T, js string) {
		c, err := parseEntry(js)
		if err == nil && c.Posts < 0 && !strings.Contains(js, "-") {
			t.Errorf("%q: negative posts %d from a text without a minus", js, c.Posts)
		}
	})
}

// FuzzDeltaJSON: whatever a post's text and author hold (invalid UTF-8, control
// characters, quotes), a delta is JSON that Redis's cjson can decode: a delta it
// cannot would fail its batch for good.
func FuzzDeltaJSON(f *testing.F) {
	f.Add("down again \"quoted\" \\ \n", "user")
	f.Add("\xff\xfe invalid", "\x00ctl")
	f.Add("emoji 😀 and \u2028 separator", "آرش")
	f.Fuzz(func(t *testing.T, text, author string) {
		b := counts.NewBatch(10 * time.Second)
		b.Complain("x", time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), counts.Complaint{Author: author, PostID: "1",
			Text: text, Country: author, Lang: "en", Problems: []string{"login"}})
		for _, d := range b.Buckets {
			js, err := deltaJSON(d)
			if err != nil {
				t.Fatal(err)
			}
			js = strings.TrimPrefix(js, "=")
			if !json.Valid([]byte(js)) || !utf8.ValidString(js) {
				t.Fatalf("not valid JSON in UTF-8: %q", js)
			}
		}
	})
}
