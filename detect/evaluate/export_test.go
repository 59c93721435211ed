package evaluate

import "slices"

// Clone returns an independent copy of the series, to step apart from it: the
// tests' reference for Try, which does that in place.
//
// The ring's counts are shared, not copied: a series never changes a bucket's counts
// in place (a step replaces the oldest slot; the window sums into counts of its own).
func (s *Series) Clone() *Series {
	c := *s
	c.ring = slices.Clone(s.ring)
	c.undo = nil
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
