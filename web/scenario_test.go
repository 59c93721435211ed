package web

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/evaluate"
	"github.com/outcry-dev/outcry/detect/incident"
)

// synth feeds a Hub a synthetic outage like the monitor would: per bucket and service a
// verdict with a 2-minute sliding window against a steady baseline, and hand-made
// incident events. It does not depend on the tuning of the detectors, so the page tests
// stay stable while those change.
type synth struct {
	hub      *Hub
	services []string
	base     map[string]float64 // baseline complaints per bucket
	rng      *rand.Rand
	t        time.Time                  // start of the next bucket
	ring     map[string][]counts.Counts // last 12 buckets per service
}

func newSynth(h *Hub, start time.Time, base map[string]float64) *synth {
	s := &synth{hub: h, base: base, rng: rand.New(rand.NewPCG(7, 11)), t: start, ring: map[string][]counts.Counts{}}
	s.services = slices.Sorted(maps.Keys(base))
	return s
}

// run feeds d of buckets; extra gives each service's added complaints per bucket.
func (s *synth) run(d time.Duration, extra func(service string, at time.Time) float64) {
	for end := s.t.Add(d); s.t.Before(end); s.t = s.t.Add(10 * time.Second) {
		for _, name := range s.services {
			mean := s.base[name] + extra(name, s.t)
			c := s.counts(mean)
			r := append(s.ring[name], c)
			if len(r) > 12 {
				r = r[1:]
			}
			s.ring[name] = r
			var w counts.Counts
			for _, x := range r {
				w.Add(x)
			}
			exp := s.base[name] * float64(len(r))
			v := evaluate.Verdict{
				Reason:      evaluate.ReasonNormal,
				BucketStart: s.t,
				WindowStart: s.t.Add(-time.Duration(len(r)-1) * 10 * time.Second),
				WindowEnd:   s.t.Add(10 * time.Second),
				Bucket:      c, Window: w, Expected: exp,
				Ratio: float64(w.Complaints) / exp,
			}
			if w.Posts > 0 {
				v.Share = float64(w.Complaints) / float64(w.Posts)
			}
			if v.Ratio >= 5 && w.Complaints >= 10 {
				v.Reason = evaluate.ReasonAnomaly
			} else if v.Ratio >= 2 && w.Complaints >= 5 {
				v.Reason = evaluate.ReasonElevated
			}
			s.hub.Observe(name, v)
		}
	}
}

func (s *synth) counts(mean float64) counts.Counts {
	complaints := int64(mean)
	if s.rng.Float64() < mean-float64(complaints) {
		complaints++
	}
	if mean >= 4 {
		complaints = int64(mean * (0.8 + 0.4*s.rng.Float64()))
	}
	return counts.Counts{
		Posts:      complaints + 1 + s.rng.Int64N(4),
		Complaints: complaints,
		Authors:    complaints,
	}
}

// ramp is an outage of the given peak complaints per bucket from at, reached in 3 minutes.
func ramp(at time.Time, dur time.Duration, peak map[string]float64) func(string, time.Time) float64 {
	return func(name string, t time.Time) float64 {
		p, ok := peak[name]
		if !ok || t.Before(at) || !t.Before(at.Add(dur)) {
			return 0
		}
		return p * min(1, t.Sub(at).Minutes()/3)
	}
}

// event returns an incident event for service with evidence that reads like a real one.
func synthEvent(typ, service string, started, at time.Time, seq int, sev string, ratio float64, mentions int64, related ...string) incident.Event {
	id := service + "-" + started.Format("20060102T1504")
	d := incident.Data{
		IncidentID: id, Service: service, State: map[string]string{
			incident.TypeStarted: "started", incident.TypeUpdated: "updated", incident.TypeResolved: "resolved"}[typ],
		Severity: sev, StartedAt: started, DetectedAt: started.Add(2 * time.Minute),
		Window:   incident.Span{Start: at.Add(-2 * time.Minute), End: at},
		Mentions: mentions, DistinctAuthors: mentions * 95 / 100, Baseline: 3.6, Ratio: ratio, Score: ratio / 2,
		Problems:  map[string]float64{"messages": 0.62, "login": 0.21, "notifications": 0.09, "app": 0.05},
		Countries: map[string]float64{"IN": 0.31, "SA": 0.22, "BR": 0.2, "EG": 0.12, "GB": 0.08},
		Languages: map[string]float64{"en": 0.41, "ar": 0.33, "pt": 0.19, "hi": 0.04},
		Related:   related,
		Samples:   []string{"1850001", "1850007", "1850023"},
	}
	if related == nil {
		d.Related = []string{}
	}
	if typ == incident.TypeResolved {
		r := at.Add(-5 * time.Minute)
		d.ResolvedAt = &r
		d.Reason = "recovery_posts"
	} else if typ == incident.TypeUpdated {
		d.Reason = "severity"
	}
	return incident.Event{ID: fmt.Sprintf("%s-%d", id, seq), Type: typ, Time: at, Data: d}
}
