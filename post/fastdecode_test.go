package post

import (
	"os"
	"strings"
	"testing"
	"time"
)

// decodeSlow runs Decode without the fast path (encoding/json only).
func decodeSlow(b []byte, maxBytes int) (Post, Shape, error) {
	return decode(b, maxBytes, false, false)
}

const fastTS = `"created_at":"2022-10-25T07:21:03Z"`

// fastCases are tricky inputs for the scanner. fast says whether the fast path must
// take them (ok=true) rather than defer to encoding/json; every case must decode
// exactly as the slow path does, and id/text, when set, are the expected values.
var fastCases = []struct {
	name     string
	in       string
	fast     bool
	id, text string
}{
	{name: "canonical", in: `{"id":"1850001","text":"is #whatsappdown for anyone else?","author":"u123",` + fastTS + `,"lang":"en","country":"gb","source":"x"}`, fast: true, id: "1850001", text: "is #whatsappdown for anyone else?"},
	{name: "simple escapes", in: `{"id":"a\"b","text":"q\" bs\\ sl\/ \b\f\n\r\t end",` + fastTS + `}`, fast: true, id: `a"b`, text: "q\" bs\\ sl/ \b\f\n\r\t end"},
	{name: "unicode escape", in: `{"id":"1","text":"caf\u00e9 \u0041\u20AC",` + fastTS + `}`, fast: true, text: "café A€"},
	{name: "surrogate pair", in: `{"id":"1","text":"\ud83d\ude00!",` + fastTS + `}`, fast: true, text: "😀!"},
	{name: "lone high surrogate", in: `{"id":"1","text":"a\ud83db",` + fastTS + `}`, fast: true, text: "a\uFFFDb"},
	{name: "lone low surrogate", in: `{"id":"1","text":"a\ude00b",` + fastTS + `}`, fast: true, text: "a\uFFFDb"},
	{name: "high high low", in: `{"id":"1","text":"\ud83d\ud83d\ude00",` + fastTS + `}`, fast: true, text: "\uFFFD😀"},
	{name: "high then bmp escape", in: `{"id":"1","text":"\ud83d\u0041",` + fastTS + `}`, fast: true, text: "\uFFFDA"},
	{name: "high then bad escape", in: `{"id":"1","text":"\ud83d\uZZZZ",` + fastTS + `}`, fast: false},
	{name: "escaped nul", in: `{"id":"1","text":"a\u0000b",` + fastTS + `}`, fast: true, text: "a\x00b"},
	{name: "raw non-ascii", in: `{"id":"1","text":"çöktü 😀 واتساب",` + fastTS + `}`, fast: true, text: "çöktü 😀 واتساب"},
	{name: "invalid escape", in: `{"id":"1","text":"a\x",` + fastTS + `}`, fast: false},
	{name: "short unicode escape", in: `{"id":"1","text":"a\u12",` + fastTS + `}`, fast: false},
	{name: "raw control char", in: "{\"id\":\"1\",\"text\":\"a\tb\"," + fastTS + "}", fast: false},
	{name: "numeric id", in: `{"id":1850001,"text":"hi",` + fastTS + `}`, fast: true, id: "1850001"},
	{name: "id 1e3", in: `{"id":1e3,"text":"hi",` + fastTS + `}`, fast: true, id: "1e3"},
	{name: "id -0", in: `{"id":-0,"text":"hi",` + fastTS + `}`, fast: true, id: "-0"},
	{name: "id 12.50", in: `{"id":12.50,"text":"hi",` + fastTS + `}`, fast: true, id: "12.50"},
	{name: "id 1E+2", in: `{"id":1E+2,"text":"hi",` + fastTS + `}`, fast: true, id: "1E+2"},
	{name: "id out of range", in: `{"id":1e400,"text":"hi",` + fastTS + `}`, fast: false},
	{name: "id leading zero", in: `{"id":01,"text":"hi",` + fastTS + `}`, fast: false},
	{name: "id bare minus", in: `{"id":-,"text":"hi",` + fastTS + `}`, fast: false},
	{name: "id 1.", in: `{"id":1.,"text":"hi",` + fastTS + `}`, fast: false},
	{name: "id true", in: `{"id":true,"text":"hi",` + fastTS + `}`, fast: false},
	{name: "id null", in: `{"id":null,"text":"hi",` + fastTS + `}`, fast: true},
	{name: "id then null", in: `{"id":"7","id":null,"text":"hi",` + fastTS + `}`, fast: true, id: "7"},
	{name: "whitespace everywhere", in: " \n\t{ \r\n\"id\" :\t\"1\" , \"text\"\n:\n\"hi\" ,\"created_at\" : \"2022-10-25T07:21:03Z\"\r\n}\n\t ", fast: true, id: "1", text: "hi"},
	{name: "trailing garbage", in: `{"id":"1","text":"hi",` + fastTS + `} x`, fast: false},
	{name: "two objects", in: `{"id":"1","text":"hi",` + fastTS + `}{}`, fast: false},
	{name: "trailing comma", in: `{"id":"1","text":"hi",` + fastTS + `,}`, fast: false},
	{name: "missing colon", in: `{"id" "1"}`, fast: false},
	{name: "unterminated", in: `{"id":"1","text":"hi"`, fast: false},
	{name: "empty object", in: `{}`, fast: true},
	{name: "empty object spaced", in: ` { } `, fast: true},
	{name: "keys in any order", in: `{"source":"x",` + fastTS + `,"country":"br","text":"caiu","lang":"pt","id":"9","author":"a"}`, fast: true, id: "9", text: "caiu"},
	{name: "duplicate keys", in: `{"id":"1","text":"first","id":"2","text":"second",` + fastTS + `}`, fast: true, id: "2", text: "second"},
	{name: "text then null", in: `{"id":"1","text":"hi","text":null,` + fastTS + `}`, fast: true},
	{name: "author then null", in: `{"id":"1","text":"hi","author":"a","author":null,` + fastTS + `}`, fast: true},
	{name: "uppercase key", in: `{"ID":"1","text":"hi",` + fastTS + `}`, fast: false},
	{name: "mixed case key", in: `{"id":"1","Text":"hi",` + fastTS + `}`, fast: false},
	{name: "uppercase key overrides", in: `{"id":"1","text":"a","TEXT":"b",` + fastTS + `}`, fast: false},
	{name: "escaped key", in: `{"\u0069d":"1","text":"hi",` + fastTS + `}`, fast: false},
	{name: "kelvin key", in: `{"id":"1","text":"hi",` + fastTS + `,"\u212Aind":"x"}`, fast: false},
	{name: "long s key", in: `{"id":"1","text":"hi",` + fastTS + `,"ſource":"x"}`, fast: false},
	{name: "unknown keys skipped", in: `{"id":"1","text":"hi",` + fastTS + `,"x":"\u00e9\"","n":-1.5e-3,"t":true,"f":false,"z":null,"":"e"}`, fast: true, id: "1", text: "hi"},
	{name: "unknown key bad string", in: `{"id":"1","text":"hi",` + fastTS + `,"x":"\q"}`, fast: false},
	{name: "unknown key bad literal", in: `{"id":"1","text":"hi",` + fastTS + `,"x":tru}`, fast: false},
	{name: "unknown key nested", in: `{"id":"1","text":"hi",` + fastTS + `,"x":{"a":[1]}}`, fast: false},
	{name: "number into string field", in: `{"id":"1","text":5,` + fastTS + `}`, fast: false},
	{name: "bool into string field", in: `{"id":"1","text":"hi","lang":true,` + fastTS + `}`, fast: false},
	{name: "object id", in: `{"id":{"a":1},"text":"hi",` + fastTS + `}`, fast: false},
	{name: "x api v2", in: `{"data":{"id":"158","text":"whatsapp down","created_at":"2022-10-25T07:21:03.000Z"}}`, fast: false},
	{name: "mastodon", in: `{"id":"109",` + fastTS + `,"content":"<p>x</p>"}`, fast: false},
	{name: "jetstream kind", in: `{"did":"d","kind":"identity"}`, fast: false},
	{name: "missing text", in: `{"id":"1",` + fastTS + `}`, fast: true},
	{name: "blank text", in: `{"id":"1","text":" \n ",` + fastTS + `}`, fast: true},
	{name: "escaped blank text", in: `{"id":"1","text":"\n\t\u0020",` + fastTS + `}`, fast: true},
	{name: "bad created_at", in: `{"id":"1","text":"hi","created_at":"yesterday"}`, fast: true},
	{name: "escaped created_at", in: `{"id":"1","text":"hi","created_at":"2022-10-25T07:21:03\u005a"}`, fast: true, text: "hi"},
	{name: "huge id", in: `{"id":"` + strings.Repeat("9", 300) + `","text":"hi",` + fastTS + `}`, fast: true},
	{name: "lowercase country", in: `{"id":"1","text":"hi",` + fastTS + `,"country":"br"}`, fast: true},
}

func TestDecodeFastCases(t *testing.T) {
	for _, tt := range fastCases {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.in)
			if _, _, _, _, ok := decodeFast(b, false); ok != tt.fast {
				t.Errorf("decodeFast ok = %v, want %v", ok, tt.fast)
			}
			got, shape, err := Decode(b, 0)
			assertSameAsSlow(t, b, 0, got, shape, err)
			assertSharedSame(t, b)
			if tt.id != "" && got.ID != tt.id {
				t.Errorf("ID = %q, want %q", got.ID, tt.id)
			}
			if tt.text != "" && got.Text != tt.text {
				t.Errorf("Text = %q, want %q", got.Text, tt.text)
			}
		})
	}
}

func TestDecodeFastCanonicalPost(t *testing.T) {
	in := []byte(`{"id":"1850001","text":"is #whatsappdown\nfor anyone else?","author":"u123","created_at":"2022-10-25T04:21:03-03:00","lang":"en","country":"gb","source":"x"}`)
	want := Post{ID: "1850001", Text: "is #whatsappdown\nfor anyone else?", Author: "u123",
		CreatedAt: time.Date(2022, 10, 25, 7, 21, 3, 0, time.UTC), Lang: "en", Country: "GB", Source: "x"}
	got, shape, err := Decode(in, 0)
	if err != nil || got != want || shape != ShapeCanonical {
		t.Fatalf("Decode() = %+v %s %v, want %+v", got, shape, err, want)
	}
	if n := testing.AllocsPerRun(100, func() { _, _, _ = Decode(in, 0) }); n > 1 {
		t.Errorf("Decode allocates %v times per canonical post, want at most 1", n)
	}
	// Escapes (\n) and a lower-case country need copies; without them, nothing.
	plain := []byte(`{"id":"1850001","text":"is #whatsappdown for anyone else?","author":"u123","created_at":"2022-10-25T04:21:03-03:00","lang":"en","country":"GB","source":"x"}`)
	if n := testing.AllocsPerRun(100, func() { _, _, _ = DecodeShared(plain, 0) }); n > 0 {
		t.Errorf("DecodeShared allocates %v times per canonical post without escapes, want none", n)
	}
}

// assertSharedSame fails unless DecodeShared returns for b what Decode does, and
// leaves b as it was.
func assertSharedSame(t *testing.T, b []byte) {
	t.Helper()
	orig := string(b)
	p, shape, err := Decode(b, 0)
	sp, sshape, serr := DecodeShared(b, 0)
	if string(b) != orig {
		t.Fatalf("input %q: DecodeShared changed it to %q", orig, b)
	}
	if p != sp || shape != sshape || (err == nil) != (serr == nil) || err != nil && err.Error() != serr.Error() {
		t.Fatalf("input %q:\nshared %+v %q %v\ncopied %+v %q %v", b, sp, sshape, serr, p, shape, err)
	}
}

// assertSameAsSlow fails unless (p, shape, err) is what the slow path returns for b.
func assertSameAsSlow(t *testing.T, b []byte, maxBytes int, p Post, shape Shape, err error) {
	t.Helper()
	sp, sshape, serr := decodeSlow(b, maxBytes)
	if p != sp || !p.CreatedAt.Equal(sp.CreatedAt) || shape != sshape {
		t.Fatalf("input %q:\nfast %+v %q\nslow %+v %q", b, p, shape, sp, sshape)
	}
	if (err == nil) != (serr == nil) {
		t.Fatalf("input %q: fast error %v, slow error %v", b, err, serr)
	}
	if err != nil && (ErrReason(err) != ErrReason(serr) || err.Error() != serr.Error()) {
		t.Fatalf("input %q: fast error %v, slow error %v", b, err, serr)
	}
}

func FuzzDecodeFastMatchesSlow(f *testing.F) {
	// The inputs of TestDecode.
	for _, s := range []string{
		`{"id":"1850001","text":"is #whatsappdown for anyone else?","author":"u123","created_at":"2022-10-25T07:21:03Z","lang":"en","country":"gb","source":"x"}`,
		`{"id":"t3_x","text":"sextou","created_at":"2022-10-25T04:21:03-03:00"}`,
		`{"id":1850001,"text":"hi","created_at":"2022-10-25T07:21:03Z"}`,
		`{"data":{"id":"158","text":"whatsapp down","author_id":"99","created_at":"2022-10-25T07:21:03.000Z","lang":"en","edit_history_tweet_ids":["158"]},"matching_rules":[{"id":"1","tag":"outcry"}]}`,
		`{"did":"did:plc:abc","time_us":1666682463000000,"kind":"commit","commit":{"rev":"r","operation":"create","collection":"app.bsky.feed.post","rkey":"3k","record":{"$type":"app.bsky.feed.post","createdAt":"2022-10-25T07:21:03Z","langs":["pt","en"],"text":"whatsapp caiu"},"cid":"c"}}`,
		`{"id":"109","created_at":"2022-10-25T07:21:03.000Z","language":"de","content":"<p>WhatsApp geht nicht &amp; so</p>","account":{"acct":"anna@example.social"}}`,
		`{"did":"did:plc:abc","kind":"commit","commit":{"operation":"delete","collection":"app.bsky.feed.post","rkey":"3k"}}`,
		`{"did":"did:plc:abc","kind":"identity","identity":{}}`,
		``, "  \t", `{"id":"1","text":`, `hello`, `[1,2,3]`, `"text"`,
		"{\"id\":\"1\",\"text\":\"a\xffb\",\"created_at\":\"2022-10-25T07:21:03Z\"}",
		`{"id":"1","created_at":"2022-10-25T07:21:03Z"}`,
		`{"id":"1","text":"  ","created_at":"2022-10-25T07:21:03Z"}`,
		`{"id":"1","text":"hi"}`,
		`{"id":"1","text":"hi","created_at":"yesterday"}`,
		`{"text":"hi","created_at":"2022-10-25T07:21:03Z"}`,
		`{"id":{"a":1},"text":"hi","created_at":"2022-10-25T07:21:03Z"}`,
		`{"id":"1","text":"hi","created_at":"2022-10-25T07:21:03Z","author":"` + strings.Repeat("a", 300) + `"}`,
		`{"id":"1","text":"hi","created_at":"2022-10-25T07:21:03Z","x":` + strings.Repeat("[", 50) + strings.Repeat("]", 50) + `}`,
	} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile("testdata/shapes.jsonl"); err == nil {
		for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
			f.Add([]byte(line))
		}
	}
	for _, tt := range fastCases {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, shape, err := Decode(b, 0)
		assertSameAsSlow(t, b, 0, p, shape, err)
		assertSharedSame(t, b)
	})
}

var benchInputs = []struct{ name, in string }{
	{"canonical", `{"id":"1584808770481963785","text":"arkadaşlar whatsapp çöktü mü? mesaj gitmiyor","author":"u260237","created_at":"2022-10-25T07:27:09Z","lang":"tr","country":"TR","source":"x"}`},
	{"x_api_v2", `{"data":{"id":"1584807060875263827","text":"whatsapp band hai kya? logout ho gaya","author_id":"463390","created_at":"2022-10-25T07:20:22.000Z","lang":"hi","edit_history_tweet_ids":["1584807060875263827"]},"matching_rules":[{"id":"1","tag":"outcry"}]}`},
	{"jetstream", `{"did":"did:plc:iudicqtmto27vpv4r3eqwyp4","time_us":1666682463000000,"kind":"commit","commit":{"rev":"3jfrlwtzo452m","operation":"create","collection":"app.bsky.feed.post","rkey":"3jfrlwts6kr2f","record":{"$type":"app.bsky.feed.post","createdAt":"2022-10-25T07:21:03.203Z","langs":["en"],"text":"is whatsapp down?"},"cid":"bafy"}}`},
}

func benchmarkDecode(b *testing.B, fast bool) {
	for _, bi := range benchInputs {
		in := []byte(bi.in)
		b.Run(bi.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, _, err := decode(in, 0, fast, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecode is Decode as used (fast path first); BenchmarkDecodeSlow is the
// encoding/json path alone, for comparison.
func BenchmarkDecode(b *testing.B)     { benchmarkDecode(b, true) }
func BenchmarkDecodeSlow(b *testing.B) { benchmarkDecode(b, false) }

// TestPlainRun: the eight-bytes-at-a-time scan stops where the byte-at-a-time
// one does, for every byte value at every position of a 20-byte run.
func TestPlainRun(t *testing.T) {
	naive := func(b []byte, i int) int {
		for i < len(b) && b[i] != '"' && b[i] != '\\' && b[i] >= 0x20 {
			i++
		}
		return i
	}
	for pos := 0; pos < 20; pos++ {
		for c := 0; c < 256; c++ {
			b := []byte("abcdefghijklmnopqrst")
			b[pos] = byte(c)
			for start := 0; start <= 3; start++ {
				if got, want := plainRun(b, start), naive(b, start); got != want {
					t.Fatalf("byte %#x at %d, from %d: %d, want %d", c, pos, start, got, want)
				}
			}
		}
	}
}
