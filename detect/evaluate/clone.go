package evaluate

import (
	"time"

	"github.com/outcry-dev/outcry/counts"
)

// undoSlot is what one step overwrote in the series' arrays (Try puts it back).
type undoSlot struct {
	p, r                    int
	x, xa, mu, mus, xs, xas float64
	start                   int64
	ring                    counts.Counts
}

// Try steps the series over buckets, one bucket apart from start, until one is
// anomalous, and returns that verdict (or the last one); the series is left exactly
// as it was. It is the speculative look at buckets that are not closed yet (early
// firing), as stepping a copy would be, but it steps the series in place and puts
// back the few slots the steps overwrote and its fields, instead of copying its
// arrays (6 h of buckets): the look runs for every service with complaints in open
// buckets, and the copies were most of its cost.
func (s *Series) Try(start time.Time, buckets []counts.Counts) Verdict {
	saved := *s
	var undo []undoSlot
	s.undo = &undo
	var v Verdict
	for i, c := range buckets {
		if v = s.Step(start.Add(time.Duration(i)*s.p.Bucket), c); v.Anomalous() {
			break
		}
	}
	// The other fields are values, or slices whose elements a step does not change
	// (the noise queues are read from the front and appended to past their length).
	// Arrays grown by the steps are dropped with the fields: only slots of the
	// arrays the series had are put back.
	*s = saved
	for i := len(undo) - 1; i >= 0; i-- {
		u := &undo[i]
		if u.p < len(s.x) {
			s.x[u.p], s.xa[u.p], s.mu[u.p], s.mus[u.p], s.xs[u.p], s.xas[u.p] = u.x, u.xa, u.mu, u.mus, u.xs, u.xas
			s.starts[u.p] = u.start
		}
		s.ring[u.r] = u.ring
	}
	return v
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
