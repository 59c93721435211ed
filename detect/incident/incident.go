// Package incident turns per-bucket verdicts into incidents with a lifecycle:
// started → updated (severity up, related services) → resolved.
//
// It sits after evaluation in the data flow and before the alerts topic: a Tracker per
// service consumes verdicts in event-time order and returns the incident events to
// publish. Hysteresis (an incident stays open while complaints are elevated and closes
// only after a quiet stretch) and a cool-down keep one outage one incident. Like the
// evaluation, it does no I/O, so backtests and the live pipeline agree.
package incident

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/evaluate"
)

// Event types on the alerts topic.
const (
	TypeStarted  = "outcry.incident.started"
	TypeUpdated  = "outcry.incident.updated"
	TypeResolved = "outcry.incident.resolved"
	// TypeFloodSuspected reports a rise of posts from few accounts (a bot flood): no
	// incident is opened. Its data has state "flood" and an incident_id of
	// <service>-flood-<time>; one event per flood episode.
	TypeFloodSuspected = "outcry.flood.suspected"
)

// Severity levels, in increasing order.
//
//	minor:    complaints 5–10× their baseline
//	major:    10–50× their baseline
//	critical: over 50× their baseline with at least 100 complaints in the window
const (
	SeverityMinor    = "minor"
	SeverityMajor    = "major"
	SeverityCritical = "critical"
)

var severityRank = map[string]int{SeverityMinor: 1, SeverityMajor: 2, SeverityCritical: 3}

// Severity grades a verdict.
func Severity(v evaluate.Verdict) string {
	switch {
	case v.Ratio >= 50 && v.Window.Complaints >= 100:
		return SeverityCritical
	case v.Ratio >= 10:
		return SeverityMajor
	default:
		return SeverityMinor
	}
}

// Span is a time interval.
type Span struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Data is the payload of an alert event: the incident and its evidence (README, "Alert event").
type Data struct {
	IncidentID      string             `json:"incident_id"`
	Service         string             `json:"service"`
	State           string             `json:"state"`
	Severity        string             `json:"severity"`
	StartedAt       time.Time          `json:"started_at"`
	DetectedAt      time.Time          `json:"detected_at"`
	ResolvedAt      *time.Time         `json:"resolved_at"`
	Window          Span               `json:"window"`
	Mentions        int64              `json:"mentions"`
	DistinctAuthors int64              `json:"distinct_authors"`
	Baseline        float64            `json:"baseline"`
	Ratio           float64            `json:"ratio"`
	Score           float64            `json:"score"`
	Problems        map[string]float64 `json:"problems"`
	Countries       map[string]float64 `json:"countries"`
	Languages       map[string]float64 `json:"languages"`
	Related         []string           `json:"related"`
	Samples         []string           `json:"samples"`
	Reason          string             `json:"reason,omitempty"` // why an update or resolution happened
	// SamplePosts are samples an analyst can read, for the live page; not part of
	// the alert event (its contract carries ids only).
	SamplePosts []counts.SamplePost `json:"-"`
}

// Event is one incident event, before it becomes a CloudEvent.
type Event struct {
	ID   string    // unique and stable: incident id + sequence number
	Type string    // TypeStarted, TypeUpdated or TypeResolved
	Time time.Time // event time at which it was decided
	Data Data
}

// Params tune the lifecycle. Quiet and cool-down are at least a number of buckets as
// well as a duration, so a coarse series (5-minute counts) gets as many evaluations of
// hysteresis as a fine one.
type Params struct {
	Quiet           time.Duration // complaints back near baseline this long → resolved; default 5m
	Cooldown        time.Duration // after a resolution, no new incident for this long; default 15m
	QuietBuckets    int           // and for at least this many buckets; default 3
	CooldownBuckets int           // and for at least this many buckets; default 144
	// Without switches parts off, for ablations only (outcry backtest --suite
	// --ablate). Zero in use.
	Without Part
}

// Part is a part of the lifecycle that an ablation can leave out.
type Part uint8

// Parts of the lifecycle.
const (
	PartAboveBase Part = 1 << iota // open while complaints stay above 3× the starting baseline
	PartReflare                    // a re-flare soon after the resolution reopens the incident
	PartHoldAfter                  // the baseline held for Cooldown after a resolution too
	PartLull                       // a quiet stretch resolves only when clearly below the incident's own rate
)

// Parts lists the parts with their names, in order.
var Parts = []struct {
	Part Part
	Name string
}{{PartAboveBase, "open above 3× its baseline"}, {PartLull, "lull test"}, {PartReflare, "re-flares reopen"}, {PartHoldAfter, "baseline held after resolution"}}

// DefaultParams returns the parameters used when none are given.
func DefaultParams() Params {
	return Params{Quiet: 5 * time.Minute, Cooldown: 15 * time.Minute, QuietBuckets: 3, CooldownBuckets: 144}
}

func (p Params) withDefaults() Params {
	d := DefaultParams()
	if p.Quiet <= 0 {
		p.Quiet = d.Quiet
	}
	if p.Cooldown <= 0 {
		p.Cooldown = d.Cooldown
	}
	if p.QuietBuckets <= 0 {
		p.QuietBuckets = d.QuietBuckets
	}
	if p.CooldownBuckets <= 0 {
		p.CooldownBuckets = d.CooldownBuckets
	}
	return p
}

// quiet and cooldown for verdicts of the given bucket size.
func (p Params) quiet(bucket time.Duration) time.Duration {
	return max(p.Quiet, time.Duration(p.QuietBuckets)*bucket)
}

func (p Params) cooldown(bucket time.Duration) time.Duration {
	return max(p.Cooldown, time.Duration(p.CooldownBuckets)*bucket)
}

// Tracker follows one service.
type Tracker struct {
	service  string
	p        Params
	open     bool
	data     Data
	seq      int
	total    counts.Counts // complaints since the incident started
	peak     int64         // most complaints in one window during the incident
	quietAt  time.Time     // first bucket of the current quiet stretch
	coolTill time.Time
	// resolvedAt is when the last incident was resolved (decided, event time), and
	// resolvedShort the short window's complaints then
	resolvedAt    time.Time
	resolvedShort int64
	related       []string
	// flood episode: open while flood verdicts keep coming; floodFrom is the
	// window start of its first retracted start
	floodOpen bool
	floodLast time.Time
	floodFrom time.Time
	// last bucket stepped: an early (speculative) start on an open bucket makes the
	// closed buckets before it, evaluated later, already seen
	last time.Time
	// last update for spreading countries or symptoms (rate-limited)
	spreadAt time.Time
	bucket   time.Duration // of the verdicts stepped
	// base is the baseline complaints per bucket when the incident started: while
	// complaints stay well above it the incident stays open, however long it lasts
	// and whatever the evaluation has learnt since
	base float64
	// complaints and buckets while the incident was active (not in a quiet
	// stretch), decayed with rateHalfLife, and in the current quiet stretch: a
	// stretch resolves only when it is clearly lower than the incident's recent
	// rate (lull)
	activeX, activeN float64
	quietC           []int64 // complaints of each bucket of the stretch, newest last (at most maxLull)
	// recoverAt is the first bucket of the current stretch in which people said the
	// service is back: the end of the outage when recovery posts resolve it
	recoverAt time.Time
}

// maxLull bounds the quiet stretch the lull test looks back over (buckets).
const maxLull = 720

// spreadEvery limits updates for new countries or symptoms.
const spreadEvery = 10 * time.Minute

// grew reports whether now has a label with a share of at least 15% that was not in
// before (what the last event said).
func grew(before, now map[string]float64) bool {
	for k, v := range now {
		if _, ok := before[k]; !ok && v >= 0.15 {
			return true
		}
	}
	return false
}

// NewTracker returns a tracker for service.
func NewTracker(service string, p Params) *Tracker {
	return &Tracker{service: service, p: p.withDefaults()}
}

// Adopt continues the open incident under an id and start time chosen earlier (by an
// earlier run, or another instance, that started the same incident); events after
// this carry them.
func (t *Tracker) Adopt(incidentID string, startedAt time.Time) {
	if t.open {
		t.data.IncidentID = incidentID
		t.data.StartedAt = startedAt.UTC()
	}
}

// Open reports whether an incident is open.
func (t *Tracker) Open() bool { return t.open }

// Holding reports whether the evaluation should hold its baseline (evaluate's
// Series.Hold): while an incident is open and for Cooldown after its resolution (the
// time in which it may flare again), so that neither the outage nor the complaints
// trailing after it become the baseline.
func (t *Tracker) Holding() bool {
	if t.p.Without&PartHoldAfter != 0 {
		return t.open
	}
	return t.open || !t.resolvedAt.IsZero() && t.last.Add(t.bucket).Sub(t.resolvedAt) <= t.p.Cooldown
}

// Baseline is the evaluation of the tracker's service (evaluate's Series), which
// the incident steers.
type Baseline interface {
	Hold(bool)
	Open(bool)
}

// Tell passes the incident's state to the evaluation of its service after a Step:
// hold the baseline while Holding, and whether an incident is open.
func (t *Tracker) Tell(b Baseline) {
	b.Hold(t.Holding())
	b.Open(t.Open())
}

// Step consumes the verdict of the next bucket; related lists other services with an
// incident open at the same moment. It returns the events to publish (usually none).
func (t *Tracker) Step(v evaluate.Verdict, related []string) []Event {
	if !t.last.IsZero() && !v.BucketStart.After(t.last) {
		return nil
	}
	t.last = v.BucketStart
	t.bucket = v.WindowEnd.Sub(v.BucketStart)
	if !t.open {
		if e, ok := t.flood(v); ok {
			return []Event{e}
		}
		if !v.Anomalous() {
			return nil
		}
		if v.WindowEnd.Before(t.coolTill) {
			if t.p.Without&PartReflare == 0 && v.WindowEnd.Sub(t.resolvedAt) <= t.p.Cooldown && !t.recovering(v) &&
				above(float64(v.ShortComplaints), float64(t.resolvedShort)) {
				// A re-flare soon after the resolution is the same outage: complaints
				// rise again above what they were when it was resolved. (Complaints
				// trailing off, or trailing off while people say it is back, are not a
				// re-flare.)
				return []Event{t.reopen(v, related)}
			}
			return nil
		}
		// A flood episode is left open: if this start is retracted (Retract), the
		// flood it turns out to be is the same episode.
		return []Event{t.start(v, related)}
	}
	t.total.Add(v.Bucket)
	t.peak = max(t.peak, v.Window.Complaints)
	recovering := t.recovering(v)
	if (v.Elevated() || t.aboveBase(v)) && !recovering {
		t.quietAt, t.recoverAt = time.Time{}, time.Time{}
		// A stretch that turned out not to be quiet was part of the incident.
		for _, c := range t.quietC {
			t.active(c)
		}
		t.active(v.Bucket.Complaints)
		t.quietC = t.quietC[:0]
		var out []Event
		sev := Severity(v)
		newRel := !sameSet(related, t.related)
		reason := ""
		switch {
		case severityRank[sev] > severityRank[t.data.Severity]:
			reason = "severity"
			t.data.Severity = sev
		case newRel && len(related) > 0:
			reason = "related"
		case v.WindowEnd.Sub(t.spreadAt) >= spreadEvery:
			// The outage spreads: a country or a symptom that was not among the top
			// ones when the analysts last heard is now a sizeable share.
			if grew(t.data.Countries, counts.Shares(t.total.Countries, 5)) {
				reason = "countries"
			} else if grew(t.data.Problems, counts.Shares(t.total.Problems, 5)) {
				reason = "symptoms"
			}
		}
		if reason != "" {
			t.related = related
			t.spreadAt = v.WindowEnd
			t.fill(v)
			out = append(out, t.event(TypeUpdated, v.WindowEnd, reason))
		}
		return out
	}
	if t.quietAt.IsZero() {
		t.quietAt = v.BucketStart
	}
	if recovering && t.recoverAt.IsZero() {
		t.recoverAt = v.BucketStart
	}
	if len(t.quietC) == maxLull {
		t.quietC = append(t.quietC[:0], t.quietC[1:]...)
	}
	t.quietC = append(t.quietC, v.Bucket.Complaints)
	if v.WindowEnd.Sub(t.quietAt) < t.p.quiet(t.bucket) {
		return nil
	}
	resolved := t.quietAt
	if recovering {
		// People say it is back: it ended when they began to, not when the
		// complaints of a sparse outage last paused.
		resolved = t.recoverAt
	} else {
		n, ok := t.lull(v)
		if !ok {
			return nil
		}
		if n > 0 {
			resolved = v.BucketStart.Add(-time.Duration(n-1) * t.bucket)
		}
	}
	t.fill(v)
	t.data.ResolvedAt = &resolved
	t.data.State = "resolved"
	reason := "quiet"
	if recovering {
		reason = "recovery_posts"
	}
	e := t.event(TypeResolved, v.WindowEnd, reason)
	t.open = false
	t.resolvedAt, t.resolvedShort = v.WindowEnd, v.ShortComplaints
	t.coolTill = v.WindowEnd.Add(t.p.cooldown(t.bucket))
	return []Event{e}
}

// flood returns a flood.suspected event at the start of a flood episode.
func (t *Tracker) flood(v evaluate.Verdict) (Event, bool) {
	if !v.Flood() || !t.floodBegins(v.WindowEnd) {
		return Event{}, false
	}
	return t.floodEvent(Data{
		Service:     t.service,
		StartedAt:   v.Onset.UTC(),
		DetectedAt:  v.WindowEnd.UTC(),
		Window:      Span{Start: v.WindowStart.UTC(), End: v.WindowEnd.UTC()},
		Mentions:    v.Window.Complaints,
		Baseline:    round(v.Expected, 3),
		Ratio:       round(v.Ratio, 1),
		Score:       round(v.Score, 1),
		Problems:    counts.Shares(v.Window.Problems, 5),
		Countries:   counts.Shares(v.Window.Countries, 5),
		Languages:   counts.Shares(v.Window.Languages, 5),
		Samples:     append([]string{}, v.Window.Samples...),
		SamplePosts: slices.Clone(v.Window.SamplePosts),
	}, v.Window.Authors, 0), true // the monitor replaces the authors summed over buckets by the window's HyperLogLog count
}

// floodBegins records flood evidence at at and reports whether it begins an episode:
// one event per episode, which ends after a quiet stretch plus a cool-down without
// any.
func (t *Tracker) floodBegins(at time.Time) bool {
	begins := !t.floodOpen || at.Sub(t.floodLast) > t.p.quiet(t.bucket)+t.p.cooldown(t.bucket)
	t.floodOpen, t.floodLast = true, at
	return begins
}

// floodEvent is an episode's flood.suspected event, with the evidence of d.
func (t *Tracker) floodEvent(d Data, authors, voices int64) Event {
	d.IncidentID = fmt.Sprintf("%s-flood-%s", t.service, d.StartedAt.UTC().Format("20060102T1504"))
	d.State = "flood"
	d.Severity = SeverityMinor
	d.DistinctAuthors = authors
	d.Related = []string{}
	d.Reason = fmt.Sprintf("%d posts from %d distinct authors", d.Mentions, authors)
	if voices > 0 && voices < authors {
		d.Reason += fmt.Sprintf(", %d distinct texts", voices)
	}
	return Event{ID: d.IncidentID + "-1", Type: TypeFloodSuspected, Time: d.DetectedAt, Data: d}
}

// Retract takes back the incident started by pending[i], found to come from too few
// distinct authors or voices once they were counted over its whole window (evaluate's
// Params.Authors; voices 0 when not known): the tracker is closed again as if it had never started, the
// incident's events are removed from pending and, at the start of a flood episode,
// a flood.suspected event takes the started event's place.
func (t *Tracker) Retract(pending []Event, i int, distinct, voices int64) []Event {
	e := pending[i]
	out := t.drop(pending, i)
	if t.floodBegins(e.Data.DetectedAt) {
		t.floodFrom = e.Data.Window.Start
		out = slices.Insert(out, i, t.floodEvent(e.Data, distinct, voices))
	}
	return out
}

// drop takes back the incident started by pending[i]: the tracker is closed again
// as if it had never started, and the incident's events are removed from pending.
func (t *Tracker) drop(pending []Event, i int) []Event {
	id := pending[i].Data.IncidentID
	if t.data.IncidentID == id {
		t.open = false
		t.coolTill = time.Time{}
		t.quietAt, t.recoverAt = time.Time{}, time.Time{}
	}
	out := append([]Event{}, pending[:i]...)
	for _, p := range pending[i+1:] {
		if p.Data.IncidentID != id {
			out = append(out, p)
		}
	}
	return out
}

// Counted is the complaints of a stretch of a service's buckets, as its evaluation
// (evaluate.Series) keeps them.
type Counted interface {
	Between(from, to time.Time) (complaints, expected float64)
}

// AuthorsSpan returns the stretch over which the distinct authors of a started
// event are to be judged (evaluate's Params.Authors), with its complaints and
// expected complaints: the event's window, or, in a flood episode, everything from
// the window of the episode's first retracted start (at most floodSpan before the
// event's window). The few accounts of a flood that goes on are the same few
// however long it lasts, while in one 2-minute window they may post once each,
// beside two people, and pass for six witnesses.
func (t *Tracker) AuthorsSpan(e Event, s Counted) (from time.Time, complaints int64, expected float64) {
	from, complaints, expected = e.Data.Window.Start, e.Data.Mentions, e.Data.Baseline
	if !t.floodOpen || e.Data.DetectedAt.Sub(t.floodLast) > t.p.quiet(t.bucket)+t.p.cooldown(t.bucket) ||
		!t.floodFrom.Before(from) {
		return from, complaints, expected
	}
	from = from.Add(-floodSpan)
	if t.floodFrom.After(from) {
		from = t.floodFrom
	}
	c, mu := s.Between(from, e.Data.Window.End)
	return from, max(complaints, int64(math.Round(c))), math.Max(expected, mu)
}

// Judged is what CheckStart needs of the evaluation of the tracker's service
// (evaluate's Series).
type Judged interface {
	Counted
	Flood(from time.Time)
	Retracted()
}

// CheckStart judges the started event pending[i] again on the distinct authors and
// voices of its AuthorsSpan, which count returns for a stretch starting at from
// (evaluate's Params.Authors). When they do not pass, s is told the incident never
// opened and, for a flood, that its window was one, and the start is retracted
// (Retract), or, when only a few texts were alike, taken back quietly; ok reports
// that the start stands.
func (t *Tracker) CheckStart(pending []Event, i int, s Judged, p evaluate.Params, count func(from time.Time) (authors, voices int64, err error)) (out []Event, ok bool, err error) {
	from, complaints, expected := t.AuthorsSpan(pending[i], s)
	n, v, err := count(from)
	if err != nil {
		return pending, false, err
	}
	r := p.Authors(n, v, complaints, expected)
	if r == evaluate.ReasonAnomaly {
		return pending, true, nil
	}
	s.Retracted()
	if r == evaluate.ReasonFewVoices {
		// Not yet: the start is taken back without a flood episode, and the next
		// look judges its own window afresh.
		return t.drop(pending, i), false, nil
	}
	s.Flood(pending[i].Data.Window.Start)
	return t.Retract(pending, i, n, v), false, nil
}

// floodSpan bounds how far back a start in a flood episode is judged: long enough to
// see the same accounts post again and again, well within the buckets kept.
const floodSpan = 30 * time.Minute

// recovering reports whether people say the service is back: more recovery posts
// than complaints, or (complaints lag a recovery) complaints well down from the peak
// with a tenth as many recovery posts, so stragglers do not hold an outage open.
func (t *Tracker) recovering(v evaluate.Verdict) bool {
	w := v.Window
	return w.Recoveries > w.Complaints || w.Complaints*4 <= t.peak && w.Recoveries >= 3 && w.Recoveries*10 >= w.Complaints
}

// active adds a bucket of the incident going on to its recent rate.
func (t *Tracker) active(c int64) {
	d := math.Pow(0.5, float64(t.bucket)/float64(rateHalfLife))
	t.activeX = t.activeX*d + float64(c)
	t.activeN = t.activeN*d + 1
}

// rateHalfLife is the half-life of the incident's recent rate that a quiet stretch
// is compared with: an outage that peaked and decays slowly is still going on while
// its complaints stay at their recent rate, however far below the peak.
const rateHalfLife = 10 * time.Minute

// lullChance is how likely a quiet stretch may be, at the incident's recent rate,
// and still resolve it: a stretch that likely is a lull between complaints of an
// outage still going on (at a few complaints a minute, five minutes without many are
// common) does not end it. The test is repeated at every bucket of an outage that
// may last hours, so the chance of each look is small.
const lullChance = 0.001

// lull reports whether the current quiet stretch ends the incident. Not while its
// newest aboveBaseSpan is clearly above aboveBaseFactor times the starting
// baseline, or likelier at that multiple of the baseline than at the baseline
// (likelierAbove). Otherwise when its newest n buckets (at least the quiet time) hold
// clearly fewer complaints than the incident's recent rate while it was active
// would give (a Poisson lower tail under lullChance), or when that rate is within
// aboveBaseFactor of the baseline the evaluation now expects and the stretch is not
// clearly above that baseline (an outage that became the new normal after the
// evaluation's hold, or one that was never far above it; n is 0 then). A few
// complaints over a near-zero baseline are not clearly above it either, so a sparse
// outage far above its baseline is held open by the rate test alone.
func (t *Tracker) lull(v evaluate.Verdict) (n int, ok bool) {
	if t.p.Without&PartLull != 0 || t.activeN == 0 {
		return 0, true
	}
	rate := t.activeX / t.activeN
	least := int(t.p.quiet(t.bucket) / t.bucket)
	if t.p.Without&PartAboveBase == 0 {
		// Complaints that fell from a peak but stay well above the starting
		// baseline are an outage decaying, not its end: over the stretch's newest
		// aboveBaseSpan (a 2-minute window holds too few to tell at a few a minute).
		n := min(len(t.quietC), int(max(1, aboveBaseSpan/t.bucket)))
		var x float64
		for _, c := range t.quietC[len(t.quietC)-n:] {
			x += float64(c)
		}
		if t.aboveStart(x, n) || likelierAbove(x, n, math.Max(t.base, v.BucketExpected)) {
			return 0, false
		}
	}
	var x float64 // complaints of the newest buckets, then of the whole stretch
	for i := len(t.quietC) - 1; i >= 0; i-- {
		x += float64(t.quietC[i])
		if k := len(t.quietC) - i; k >= least && evaluate.LowerTail(x, rate*float64(k)) < lullChance {
			return k, true
		}
	}
	return 0, rate <= aboveBaseFactor*v.BucketExpected && !above(x, v.BucketExpected*float64(len(t.quietC)))
}

// aboveBaseFactor is how many times the baseline it started from complaints must
// still be for an incident to stay open.
const aboveBaseFactor = 3

// aboveBaseSpan is the newest part of a quiet stretch compared with
// aboveBaseFactor times the starting baseline: long enough to tell a few
// complaints a minute from the baseline, short enough that an incident whose
// complaints stopped resolves within a quarter of an hour (complaints fade over
// a few minutes after a recovery). Ten minutes held too few complaints of a
// small outage's tail (one in 3 minutes at 0.3 a minute) to tell it from its end.
const aboveBaseSpan = 15 * time.Minute

// aboveBase reports whether the short window's complaints are still clearly above
// aboveBaseFactor times the baseline the incident started from (and not by chance: at
// low counts a few complaints over a baseline near zero are not an outage going on).
func (t *Tracker) aboveBase(v evaluate.Verdict) bool {
	if t.p.Without&PartAboveBase != 0 {
		return false
	}
	return t.aboveStart(float64(v.ShortComplaints), max(1, v.ShortBuckets))
}

// aboveStart reports whether x complaints over n buckets are clearly above
// aboveBaseFactor times the baseline the incident started from.
func (t *Tracker) aboveStart(x float64, n int) bool {
	return above(x, aboveBaseFactor*t.base*float64(n))
}

// likelierAbove reports whether x complaints over n buckets are likelier at
// aboveBaseFactor times the baseline b than at b (the Poisson likelihood ratio of
// the two rates). A quiet stretch that is not clearly above the higher rate may
// still be far from the baseline: a sparse outage decaying slowly holds a few
// complaints in a quarter of an hour, too few to be clearly anything, and is still
// going on while they are likelier at the higher rate. No complaints at all always
// favour the baseline, so an outage that stopped resolves as soon as the lull test
// lets it.
//
// b is the larger of the baseline the incident started from and the one the
// evaluation expects now: the evaluation's is the level held at the start times
// the season's factor for now, so a night-time outage that lasts into the day is
// not held open by the day's ordinary complaints. (Where the evaluation has
// learnt from a long outage, its baseline is too high to hold the incident open;
// the test against the starting baseline alone, aboveStart, still does while
// complaints stay clearly above it.)
func likelierAbove(x float64, n int, b float64) bool {
	f := float64(aboveBaseFactor)
	return x*math.Log(f) > (f-1)*b*float64(n)
}

// above reports whether x complaints are clearly (not by chance) more than mu.
func above(x, mu float64) bool {
	return x > mu && evaluate.Surprise(x, math.Max(mu, 1e-9), 0) >= 2
}

// reopen continues the last incident, resolved less than a cool-down ago.
func (t *Tracker) reopen(v evaluate.Verdict, related []string) Event {
	t.open = true
	t.quietAt, t.recoverAt = time.Time{}, time.Time{}
	t.quietC = t.quietC[:0]
	t.coolTill = time.Time{}
	t.data.State = "updated"
	t.data.ResolvedAt = nil
	t.peak = max(t.peak, v.Window.Complaints)
	t.total.Add(v.Window)
	t.related = related
	if sev := Severity(v); severityRank[sev] > severityRank[t.data.Severity] {
		t.data.Severity = sev
	}
	t.fill(v)
	return t.event(TypeUpdated, v.WindowEnd, "reflare")
}

func (t *Tracker) start(v evaluate.Verdict, related []string) Event {
	t.open = true
	t.base = v.BucketExpected
	t.activeX = float64(v.Window.Complaints)
	t.activeN = max(1, float64(v.WindowEnd.Sub(v.WindowStart)/v.WindowEnd.Sub(v.BucketStart)))
	t.quietC = t.quietC[:0]
	t.seq = 0
	t.quietAt, t.recoverAt = time.Time{}, time.Time{}
	t.total = v.Window
	t.spreadAt = v.WindowEnd
	t.peak = v.Window.Complaints
	t.related = related
	id := fmt.Sprintf("%s-%s", t.service, v.Onset.UTC().Format("20060102T1504"))
	t.data = Data{
		IncidentID: id,
		Service:    t.service,
		State:      "started",
		Severity:   Severity(v),
		StartedAt:  v.Onset.UTC(),
		DetectedAt: v.WindowEnd.UTC(),
	}
	t.fill(v)
	return t.event(TypeStarted, v.WindowEnd, "")
}

// fill copies the evidence of v and of the incident so far into the payload.
func (t *Tracker) fill(v evaluate.Verdict) {
	d := &t.data
	d.Window = Span{Start: v.WindowStart.UTC(), End: v.WindowEnd.UTC()}
	d.Mentions = v.Window.Complaints
	d.DistinctAuthors = v.Window.Authors
	d.Baseline = round(v.Expected, 3)
	d.Ratio = round(v.Ratio, 1)
	d.Score = round(v.Score, 1)
	d.Problems = counts.Shares(t.total.Problems, 5)
	d.Countries = counts.Shares(t.total.Countries, 5)
	d.Languages = counts.Shares(t.total.Languages, 5)
	d.Related = append([]string{}, t.related...)
	if len(v.Window.Samples) > 0 {
		d.Samples = append([]string{}, v.Window.Samples...)
		d.SamplePosts = slices.Clone(v.Window.SamplePosts)
	} else if d.Samples == nil {
		d.Samples = []string{}
	}
}

func (t *Tracker) event(typ string, at time.Time, reason string) Event {
	t.seq++
	d := t.data
	d.Reason = reason
	if typ == TypeUpdated {
		d.State = "updated"
	}
	d.Problems = maps.Clone(d.Problems)
	d.Countries = maps.Clone(d.Countries)
	d.Languages = maps.Clone(d.Languages)
	return Event{
		ID:   fmt.Sprintf("%s-%d", d.IncidentID, t.seq),
		Type: typ,
		Time: at.UTC(),
		Data: d,
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func round(x float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	if x >= 0 {
		return float64(int64(x*p+0.5)) / p
	}
	return -float64(int64(-x*p+0.5)) / p
}
