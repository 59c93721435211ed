// Package offline runs matching, evaluation and the incident lifecycle over a stream
// of posts in memory, for evaluations that must run many times (the scenario suite
// while a detector is tuned, its ablations).
//
// It makes the pipeline's decisions without its I/O: posts are matched, counted into
// buckets per service (distinct authors exactly, where Redis keeps a HyperLogLog),
// and every closed bucket of every service is stepped through an evaluate.Series and
// an incident.Tracker, services with an open incident being each other's related
// ones, as the monitor does. Posts must come in created_at order. `outcry backtest
// --suite` runs the real pipeline (Kafka, Redis) unless told --fast; the two agree
// but for the authors' estimate.
package offline

import (
	"time"

	"github.com/outcry-dev/outcry/detectors/evaluate"
	"github.com/outcry-dev/outcry/detectors/incident"
	"github.com/outcry-dev/outcry/detectors/match"
	"github.com/outcry-dev/outcry/detectors/window"
)

// Post is what the run needs of a post.
type Post struct {
	ID, Text, Author, Lang, Country string
	At                              time.Time
}

// Options of a run; zero values take the packages' defaults.
type Options struct {
	Evaluate evaluate.Params
	Incident incident.Params
	// OnVerdict, when set, sees every verdict (for traces).
	OnVerdict func(service string, v evaluate.Verdict)
}

// Runner holds the state of one run.
type Runner struct {
	m        *match.Matcher
	o        Options
	params   evaluate.Params
	bucket   time.Duration
	known    map[string]bool
	start    time.Time
	services []string // those mentioned so far: the others have nothing to evaluate
	series   map[string]*evaluate.Series
	trackers map[string]*incident.Tracker
	cur      time.Time // start of the open bucket
	counts   map[string]*window.Counts
	authors  map[string]map[string]struct{}
	// the complaint authors of each closed bucket, as long as a window may be, to
	// count an incident's distinct authors over its whole window (Params.Authors)
	past   map[string][][]string
	keep   int
	events []incident.Event
	ms     []match.Match
}

// New returns a runner over services (posts naming others are ignored), starting at
// start (the first bucket evaluated).
func New(m *match.Matcher, services []string, start time.Time, o Options) *Runner {
	p := o.Evaluate
	if p.Bucket <= 0 {
		p.Bucket = evaluate.Defaults().Bucket
	}
	o.Evaluate = p
	r := &Runner{
		m: m, o: o, bucket: p.Bucket, known: map[string]bool{},
		series:   map[string]*evaluate.Series{},
		trackers: map[string]*incident.Tracker{},
		counts:   map[string]*window.Counts{},
		authors:  map[string]map[string]struct{}{},
		past:     map[string][][]string{},
		cur:      start.Truncate(p.Bucket),
	}
	r.start = r.cur
	ep := evaluate.NewSeries(p).Params()
	r.params = ep
	r.keep = int(max(ep.Window, ep.LongWindow, ep.TrendWindow) / p.Bucket)
	for _, s := range services {
		r.known[s] = true
	}
	return r
}

// counter returns the open bucket's counts of service, starting its evaluation at the
// first mention: the quiet buckets before it are stepped at once (as the monitor
// steps them one by one, to the same state), nil for a service not evaluated.
func (r *Runner) counter(service string) *window.Counts {
	if c := r.counts[service]; c != nil {
		return c
	}
	if !r.known[service] {
		return nil
	}
	s := evaluate.NewSeries(r.o.Evaluate)
	s.Step(r.start, window.Counts{})
	if r.cur.After(r.start) {
		s.Step(r.cur.Add(-r.bucket), window.Counts{})
	}
	r.series[service] = s
	r.trackers[service] = incident.NewTracker(service, r.o.Incident)
	r.counts[service] = &window.Counts{}
	r.services = append(r.services, service)
	return r.counts[service]
}

// Add counts one post; posts must come in created_at order (a post older than the
// open bucket is counted in it).
func (r *Runner) Add(p Post) {
	r.advance(p.At)
	r.ms = r.m.Match(r.ms[:0], p.Text)
	for _, mt := range r.ms {
		c := r.counter(mt.Service)
		if c == nil {
			continue
		}
		c.Posts++
		switch mt.Kind {
		case match.Outage:
			c.Complaints++
			for _, pr := range mt.Problems {
				c.Problems = inc(c.Problems, pr)
			}
			if p.Country != "" {
				c.Countries = inc(c.Countries, p.Country)
			}
			if p.Lang != "" {
				c.Languages = inc(c.Languages, p.Lang)
			}
			a := r.authors[mt.Service]
			if a == nil {
				a = map[string]struct{}{}
				r.authors[mt.Service] = a
			}
			a[p.Author] = struct{}{}
			if len(c.Samples) < 5 {
				c.Samples = append(c.Samples, p.ID)
			}
		case match.Recovery:
			c.Recoveries++
		}
	}
}

func inc(m map[string]int64, k string) map[string]int64 {
	if m == nil {
		m = map[string]int64{}
	}
	m[k]++
	return m
}

// advance closes and evaluates every bucket that ends at or before t.
func (r *Runner) advance(t time.Time) {
	for !t.Before(r.cur.Add(r.bucket)) {
		r.close()
	}
}

func (r *Runner) close() {
	verdicts := make(map[string]evaluate.Verdict, len(r.services))
	var failing []string
	for _, s := range r.services {
		c := r.counts[s]
		c.Authors = int64(len(r.authors[s]))
		verdicts[s] = r.series[s].Step(r.cur, *c)
		if r.o.OnVerdict != nil {
			r.o.OnVerdict(s, verdicts[s])
		}
		if r.trackers[s].Open() || verdicts[s].Anomalous() {
			failing = append(failing, s)
		}
		*c = window.Counts{}
		names := make([]string, 0, len(r.authors[s]))
		for a := range r.authors[s] {
			names = append(names, a)
		}
		clear(r.authors[s])
		h := append(r.past[s], names)
		if len(h) > r.keep {
			h = h[len(h)-r.keep:]
		}
		r.past[s] = h
	}
	for _, s := range r.services {
		var related []string
		for _, o := range failing {
			if o != s {
				related = append(related, o)
			}
		}
		evs := r.trackers[s].Step(verdicts[s], related)
		for i := 0; i < len(evs); i++ {
			if evs[i].Type != incident.TypeStarted {
				continue
			}
			n := r.distinct(s, evs[i].Data.Window.Start)
			if r.params.Authors(n, evs[i].Data.Mentions, evs[i].Data.Baseline) != evaluate.ReasonAnomaly {
				evs = r.trackers[s].Retract(evs, i, n)
			}
		}
		r.series[s].Hold(r.trackers[s].Open())
		r.events = append(r.events, evs...)
	}
	r.cur = r.cur.Add(r.bucket)
}

// distinct counts the complaint authors of service's closed buckets from from on.
func (r *Runner) distinct(service string, from time.Time) int64 {
	h := r.past[service]
	n := int(r.cur.Add(r.bucket).Sub(from) / r.bucket)
	seen := map[string]struct{}{}
	for _, b := range h[max(0, len(h)-n):] {
		for _, a := range b {
			seen[a] = struct{}{}
		}
	}
	return int64(len(seen))
}

// Finish closes the buckets up to until and returns every event of the run.
func (r *Runner) Finish(until time.Time) []incident.Event {
	r.advance(until)
	return r.events
}
