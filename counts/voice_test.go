package counts_test

import (
	"testing"

	"github.com/outcry-dev/outcry/counts"
)

func TestVoice(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b string // two texts by two authors
		same bool   // one voice
	}{
		{"a headline reposted", "WhatsApp down for millions of users worldwide", "RT @bbc: WhatsApp DOWN for millions of users worldwide!! https://bbc.in/x", true},
		{"short posts are their authors'", "#whatsappdown", "#whatsappdown", false},
		{"a stock phrase is short", "is whatsapp down for anyone", "is whatsapp down for anyone", false},
		{"two people's own words", "whatsapp wont send my voice notes since this morning", "whatsapp keeps crashing when I open a group chat", false},
		{"a pasted message in Chinese", "微信又崩了，所有消息都发不出去，大家也是吗", "微信又崩了，所有消息都发不出去，大家也是吗", true},
		{"a short Chinese post", "微信崩了", "微信崩了", false},
		{"numbers differ", "error 459 when I log in to whatsapp web today", "error 486 when I log in to whatsapp web today", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := counts.Voice("u1", tc.a) == counts.Voice("u2", tc.b); got != tc.same {
				t.Errorf("Voice(%q) == Voice(%q): %v, want %v", tc.a, tc.b, got, tc.same)
			}
		})
	}
}

// Voices are counted per bucket like authors, and capped like them.
func TestBatchVoices(t *testing.T) {
	b := counts.NewBatch(10e9)
	for _, c := range []counts.Complaint{{Author: "a", Voice: "t:1"}, {Author: "b", Voice: "t:1"}, {Author: "c", Voice: "a:c"}, {Author: "d"}} {
		b.Complain("x", b.Wall, c)
	}
	for _, d := range b.Buckets {
		if d.DistinctVoices() != 2 || d.DistinctAuthors() != 4 {
			t.Errorf("voices %v, authors %d; want 2 and 4", d.VoiceIDs(), d.DistinctAuthors())
		}
	}
}

func BenchmarkVoice(b *testing.B) {
	text := "RT @bbc: WhatsApp down for millions of users worldwide, messages not sending https://bbc.in/x"
	for b.Loop() {
		counts.Voice("u1", text)
	}
}
