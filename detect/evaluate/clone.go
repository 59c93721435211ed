package evaluate

import (
	"slices"
	"time"
)

// Clone returns an independent copy of the series, for a speculative look at buckets
// that are not closed yet (early firing) without changing the real state.
//
// The ring's counts are shared, not copied: a series never changes a bucket's counts
// in place (a step replaces the oldest slot; the window sums into counts of its own),
// and the speculative look runs for every service with complaints in open buckets,
// so copying their maps was most of its cost.
func (s *Series) Clone() *Series {
	c := *s
	c.ring = slices.Clone(s.ring)
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

// Gap tells the series that there is no input before start back to its last bucket:
// the stretch was not measured (nothing was consumed), so it is neither stepped
// through as zeros, which would take time in proportion to its length and teach the
// baseline a silence that never was, nor learnt from. What the series learnt (level,
// seasonal profile, noise) stays; its windows start empty at start, as after a
// restart. A start not beyond the next bucket changes nothing.
func (s *Series) Gap(start time.Time) {
	if s.last.IsZero() || !start.After(s.last.Add(s.p.Bucket)) {
		return
	}
	f := NewSeries(s.p)
	f.lc, f.lp, f.la, f.lw, f.ls, f.lsw = s.lc, s.lp, s.la, s.lw, s.ls, s.lsw
	f.hour, f.day = s.hour, s.day
	for k := range s.scales {
		f.scales[k].dv, f.scales[k].dw, f.scales[k].tail = s.scales[k].dv, s.scales[k].dw, s.scales[k].tail
	}
	f.first, f.seeded = s.first, s.seeded
	f.hold, f.holdSince = s.hold, s.holdSince
	f.last = start.Add(-s.p.Bucket)
	*s = *f
}

// Last returns the start of the last bucket stepped (zero before the first).
func (s *Series) Last() time.Time { return s.last }

// Idle reports whether the buckets after the last one stepped, as long as they hold
// no complaint, can only be judged below the bar (normal, elevated, too few to
// judge), whatever the baseline does meanwhile: every verdict past the bar needs a
// window of at least MinComplaints, and windows only lose complaints as empty
// buckets come. The monitor leaves an idle series of a service without an incident
// unstepped until the service is mentioned again, when Step fills the empty buckets
// in: the same arithmetic, done when it is needed.
func (s *Series) Idle() bool {
	if s.open || s.hold {
		return false
	}
	// Integer complaints summed in floating point: half a complaint of margin.
	lim := float64(s.p.MinComplaints) - 0.5
	for k := range s.scales {
		if s.scales[k].sx > lim {
			return false
		}
	}
	return true
}
