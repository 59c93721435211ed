package pipeline

import (
	"testing"
	"time"

	"github.com/outcry-dev/outcry/detectors/match"
	"github.com/outcry-dev/outcry/internal/matchbench"
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
		p, _, err := decodeShared(msgs[i%len(msgs)], 0)
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
				if _, _, err := decode(msgs[i%len(msgs)], 0, true, bc.share); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
