package evaluate

import (
	"slices"

	"github.com/outcry-dev/outcry/detectors/window"
)

// Clone returns an independent copy of the series, for a speculative look at buckets
// that are not closed yet (early firing) without changing the real state.
func (s *Series) Clone() *Series {
	c := *s
	c.ring = make([]window.Counts, len(s.ring))
	for i, r := range s.ring {
		c.ring[i] = r.Clone()
	}
	c.x = slices.Clone(s.x)
	c.xa = slices.Clone(s.xa)
	c.mu = slices.Clone(s.mu)
	c.mus = slices.Clone(s.mus)
	c.xs = slices.Clone(s.xs)
	c.xas = slices.Clone(s.xas)
	c.starts = slices.Clone(s.starts)
	for i := range s.pending {
		c.pending[i] = slices.Clone(s.pending[i])
	}
	return &c
}
