package post_test

import (
	"testing"
	"time"

	"github.com/outcry-dev/outcry/internal/matchbench"
	"github.com/outcry-dev/outcry/match"
	"github.com/outcry-dev/outcry/post"
)

// mixMessages are the messages `outcry bench` consumes.
func mixMessages() [][]byte {
	return matchbench.Messages(8192, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 100_000, 1)
}

// BenchmarkDecodeMatchMix is the per-post work of the pipeline's parsers on the
// messages `outcry bench` consumes: decode one message, match its text.
func BenchmarkDecodeMatchMix(b *testing.B) {
	msgs := mixMessages()
	m := match.NewMatcher(nil)
	var dst []match.Match
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p, _, err := post.DecodeShared(msgs[i%len(msgs)], 0)
		if err != nil {
			b.Fatal(err)
		}
		dst = m.Match(dst[:0], p.Text)
	}
}

// BenchmarkDecodeMix decodes the same messages, as the pipeline does (shared) and
// as Decode does (copied).
func BenchmarkDecodeMix(b *testing.B) {
	msgs := mixMessages()
	for _, bc := range []struct {
		name  string
		share bool
	}{{"shared", true}, {"copied", false}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, _, err := post.DecodeWith(msgs[i%len(msgs)], bc.share); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeMatchKinds splits the messages of BenchmarkDecodeMatchMix by what
// the matcher makes of them: no service named, in plain ASCII or not (most of a
// firehose; the prefilter sends them away), and a service named (chatter and
// complaints, which go through the whole matcher).
func BenchmarkDecodeMatchKinds(b *testing.B) {
	m := match.NewMatcher(nil)
	kinds := map[string][][]byte{}
	for _, msg := range mixMessages() {
		p, _, err := post.DecodeShared(msg, 0)
		if err != nil {
			b.Fatal(err)
		}
		k := "named"
		if len(m.Match(nil, p.Text)) == 0 {
			k = "none_ascii"
			for i := 0; i < len(p.Text); i++ {
				if p.Text[i] >= 0x80 {
					k = "none_other"
					break
				}
			}
		}
		kinds[k] = append(kinds[k], msg)
	}
	for _, k := range []string{"none_ascii", "none_other", "named"} {
		msgs := kinds[k]
		b.Run(k, func(b *testing.B) {
			var dst []match.Match
			for i := 0; b.Loop(); i++ {
				p, _, _ := post.DecodeShared(msgs[i%len(msgs)], 0)
				dst = m.Match(dst[:0], p.Text)
			}
			b.ReportMetric(float64(len(msgs))/8192*100, "%_of_mix")
		})
	}
}
