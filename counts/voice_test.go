package counts_test

import (
	"testing"

	"github.com/outcry-dev/outcry/counts"
)

// A complaint with a wording is that wording's voice, whoever posts it; one without
// (too short to tell writers apart) is its author's.
func TestVoice(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b uint64 // the wordings of two authors' complaints
		same bool   // one voice
	}{
		{"one wording", 0x5eed, 0x5eed, true},
		{"two wordings", 0x5eed, 0xbeef, false},
		{"short posts are their authors'", 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := counts.Voice("u1", tc.a) == counts.Voice("u2", tc.b); got != tc.same {
				t.Errorf("Voice(%x) == Voice(%x): %v, want %v", tc.a, tc.b, got, tc.same)
			}
		})
	}
}

// Voices are counted per bucket like authors, and capped like them.
func TestBatchVoices(t *testing.T) {
	b := counts.NewBatch(10e9)
	for _, c := range []counts.Complaint{{Author: "a", Wording: 1}, {Author: "b", Wording: 1}, {Author: "c"}, {Author: "d", Wording: 1}} {
		b.Complain("x", b.Wall, c)
	}
	for _, d := range b.Buckets {
		if d.DistinctVoices() != 2 || d.DistinctAuthors() != 4 {
			t.Errorf("voices %v, authors %d; want 2 and 4", d.VoiceIDs(), d.DistinctAuthors())
		}
	}
}
