// Package offline runs matching, evaluation and the incident lifecycle over a stream
// of posts in memory, for evaluations that must run many times (the scenario suite
// while a detector is tuned, its ablations).
//
// It makes the pipeline's decisions without its I/O: posts are matched and counted
// into a counts.Batch as the pipeline counts them (distinct authors and voices
// exactly, where Redis keeps HyperLogLogs), and every closed bucket of every
// mentioned service is stepped through an evaluate.Series and an incident.Tracker,
// services with an open incident being each other's related ones, as the monitor
// does. Posts must come in created_at order. `outcry backtest --suite` runs the
// real pipeline (Kafka, Redis) unless told --fast; the two agree but for the
// authors' estimate and the pipeline's early starts on buckets still open.
package offline

import (
	"time"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/evaluate"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/match"
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
}

// Runner holds the state of one run.
type Runner struct {
	m        *match.Matcher
	p        evaluate.Params // with defaults
	inc      incident.Params
	known    map[string]bool
	start    time.Time
	services []string // those mentioned so far: the others have nothing to evaluate
	series   map[string]*evaluate.Series
	trackers map[string]*incident.Tracker
	cur      time.Time     // start of the open bucket
	batch    *counts.Batch // its counts
	// the complaint authors and voices of each closed bucket, as long as a window
	// may be, to count an incident's distinct ones over its whole window
	// (Params.Authors)
	past   map[string][]witnesses
	keep   int
	events []incident.Event
	ms     []match.Match
}

// New returns a runner over services (posts naming others are ignored), starting at
// start (the first bucket evaluated).
func New(m *match.Matcher, services []string, start time.Time, o Options) *Runner {
	p := evaluate.NewSeries(o.Evaluate).Params()
	r := &Runner{
		m: m, p: p, inc: o.Incident, known: map[string]bool{},
		series:   map[string]*evaluate.Series{},
		trackers: map[string]*incident.Tracker{},
		past:     map[string][]witnesses{},
		cur:      start.Truncate(p.Bucket),
		batch:    counts.NewBatch(p.Bucket),
		keep:     int(max(p.Window, p.TrendWindow) / p.Bucket),
	}
	r.start = r.cur
	for _, s := range services {
		r.known[s] = true
	}
	return r
}

// begin starts evaluating service at its first mention: the quiet buckets before it
// are stepped at once (as the monitor steps them one by one, to the same state). It
// reports false for a service not evaluated.
func (r *Runner) begin(service string) bool {
	if r.series[service] != nil {
		return true
	}
	if !r.known[service] {
		return false
	}
	s := evaluate.NewSeries(r.p)
	s.Step(r.start, counts.Counts{})
	if r.cur.After(r.start) {
		s.Step(r.cur.Add(-r.p.Bucket), counts.Counts{})
	}
	r.series[service] = s
	r.trackers[service] = incident.NewTracker(service, r.inc)
	r.services = append(r.services, service)
	return true
}

// Add counts one post; posts must come in created_at order (a post older than the
// open bucket is counted in it).
func (r *Runner) Add(p Post) {
	r.advance(p.At)
	r.ms = r.m.Match(r.ms[:0], p.Text)
	for _, mt := range r.ms {
		if !r.begin(mt.Service) {
			continue
		}
		switch mt.Kind {
		case match.Outage:
			r.batch.Complain(mt.Service, r.cur, counts.Complaint{
				Author: p.Author, Country: p.Country, Lang: p.Lang, PostID: p.ID, Problems: mt.Problems,
				Wording: mt.Wording,
			})
		case match.Recovery:
			r.batch.Recovery(mt.Service, r.cur)
		default:
			r.batch.Mention(mt.Service, r.cur)
		}
	}
}

// advance closes and evaluates every bucket that ends at or before t.
func (r *Runner) advance(t time.Time) {
	for !t.Before(r.cur.Add(r.p.Bucket)) {
		r.close()
	}
}

func (r *Runner) close() {
	verdicts := make(map[string]evaluate.Verdict, len(r.services))
	var failing []string
	for _, s := range r.services {
		var c counts.Counts
		var w witnesses
		if d := r.batch.Buckets[counts.Key{Service: s, Bucket: r.cur.Unix()}]; d != nil {
			c, w = d.Counts, witnesses{d.AuthorIDs(), d.VoiceIDs()}
			c.Authors = int64(len(w.authors))
		}
		verdicts[s] = r.series[s].Step(r.cur, c)
		if r.trackers[s].Open() || verdicts[s].Anomalous() {
			failing = append(failing, s)
		}
		h := append(r.past[s], w)
		if len(h) > r.keep {
			h = h[len(h)-r.keep:]
		}
		r.past[s] = h
	}
	clear(r.batch.Buckets)
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
			evs, _, _ = r.trackers[s].CheckStart(evs, i, r.series[s], r.p, func(from time.Time) (int64, int64, error) {
				a, v := r.distinct(s, from)
				return a, v, nil
			})
		}
		r.trackers[s].Tell(r.series[s])
		r.events = append(r.events, evs...)
	}
	r.cur = r.cur.Add(r.p.Bucket)
}

// witnesses are the distinct complaint authors and voices of one bucket.
type witnesses struct{ authors, voices []string }

// distinct counts the complaint authors and voices of service's closed buckets from
// from on.
func (r *Runner) distinct(service string, from time.Time) (authors, voices int64) {
	h := r.past[service]
	n := int(r.cur.Add(r.p.Bucket).Sub(from) / r.p.Bucket)
	as, vs := map[string]struct{}{}, map[string]struct{}{}
	for _, b := range h[max(0, len(h)-n):] {
		for _, a := range b.authors {
			as[a] = struct{}{}
		}
		for _, v := range b.voices {
			vs[v] = struct{}{}
		}
	}
	return int64(len(as)), int64(len(vs))
}

// Finish closes the buckets up to until and returns every event of the run.
func (r *Runner) Finish(until time.Time) []incident.Event {
	r.advance(until)
	return r.events
}
