// Package evaluate decides, bucket by bucket, whether a service's complaints are
// anomalous against its own trailing baseline.
//
// It sits after the Redis windows in the data flow: the monitor reads each closed
// bucket and feeds it to a Series, which keeps the sliding window and the baseline in
// memory and returns a Verdict with an enumerated Reason. There is no I/O here, so the
// live pipeline and an offline backtest give the same verdicts for the same counts.
package evaluate

import (
	"math"
	"time"

	"github.com/outcry-dev/outcry/detectors/window"
)

// Params tune the detector. The zero value of a field takes its default (see Defaults).
type Params struct {
	Bucket        time.Duration // bucket size; default 10s
	Window        time.Duration // complaints are summed over this sliding window; default 2m
	HalfLife      time.Duration // half-life of the baseline's exponential average; default 2h
	Warmup        time.Duration // history needed before any verdict can be anomalous; default 30m
	MinComplaints int64         // fewest complaints in the window to alert; default 10
	MinAuthors    int64         // fewest distinct complaint authors in the window; default 8
	MinRatio      float64       // window complaints ÷ expected at low counts (the bar falls to 1.5 at high counts); default 5
	MinScore      float64       // Poisson z-score of the window; default 6
	MinShare      float64       // complaints ÷ all posts naming the service in the window; default 0.2
	ShareLift     float64       // window complaint share ÷ baseline share needed (at most); default 3
	FloorPerMin   float64       // lowest baseline, complaints per minute (sound at low counts); default 0.1
	ElevatedRatio float64       // window ÷ expected still counting as "elevated" (hysteresis); default 2
}

// Defaults returns the parameters used when none are given.
func Defaults() Params {
	return Params{
		Bucket:        10 * time.Second,
		Window:        2 * time.Minute,
		HalfLife:      2 * time.Hour,
		Warmup:        30 * time.Minute,
		MinComplaints: 10,
		MinAuthors:    8,
		MinRatio:      5,
		MinScore:      6,
		MinShare:      0.2,
		ShareLift:     3,
		FloorPerMin:   0.1,
		ElevatedRatio: 2,
	}
}

func (p Params) withDefaults() Params {
	d := Defaults()
	set := func(v *float64, def float64) {
		if *v <= 0 {
			*v = def
		}
	}
	if p.Bucket <= 0 {
		p.Bucket = d.Bucket
	}
	if p.Window <= 0 {
		p.Window = d.Window
	}
	if p.HalfLife <= 0 {
		p.HalfLife = d.HalfLife
	}
	if p.Warmup <= 0 {
		p.Warmup = d.Warmup
	}
	if p.MinComplaints <= 0 {
		p.MinComplaints = d.MinComplaints
	}
	if p.MinAuthors <= 0 {
		p.MinAuthors = d.MinAuthors
	}
	set(&p.MinRatio, d.MinRatio)
	set(&p.MinScore, d.MinScore)
	set(&p.MinShare, d.MinShare)
	set(&p.ShareLift, d.ShareLift)
	set(&p.FloorPerMin, d.FloorPerMin)
	set(&p.ElevatedRatio, d.ElevatedRatio)
	return p
}

// Reason says why a verdict is what it is.
type Reason uint8

const (
	ReasonWarmup     Reason = iota + 1 // not enough history for a baseline
	ReasonNormal                       // complaints near the baseline
	ReasonLowCount                     // above baseline, but too few complaints to be sure
	ReasonFewAuthors                   // enough posts, but from too few accounts
	ReasonChatter                      // complaints rose with brand chatter: their share did not
	ReasonElevated                     // clearly above baseline, below the alert bar
	ReasonAnomaly                      // an outage
)

var reasonNames = [...]string{"", "warmup", "normal", "low_count", "few_authors", "chatter", "elevated", "anomaly"}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}

// Verdict is the evaluation of one closed bucket.
type Verdict struct {
	Reason      Reason
	BucketStart time.Time
	WindowStart time.Time     // first bucket of the window
	WindowEnd   time.Time     // end of this bucket
	Bucket      window.Counts // this bucket alone
	Window      window.Counts // summed over the window
	Expected    float64       // baseline complaints over one window
	Ratio       float64       // Window.Complaints ÷ Expected
	Score       float64       // Poisson z-score
	Share       float64       // complaint share of posts naming the service in the window
	// Onset estimates when the rise began: the start of the earliest bucket of the
	// current run of buckets above the baseline.
	Onset time.Time
}

// Anomalous reports whether the verdict is an outage.
func (v Verdict) Anomalous() bool { return v.Reason == ReasonAnomaly }

// Elevated reports whether complaints are still clearly above the baseline (an open
// incident stays open while this holds).
func (v Verdict) Elevated() bool { return v.Reason == ReasonAnomaly || v.Reason == ReasonElevated }

// Series is the state of one service: its sliding window and baseline.
type Series struct {
	p        Params
	ring     []window.Counts
	starts   []time.Time
	next     int
	filled   int
	first    time.Time
	last     time.Time
	decay    float64 // per bucket
	sumC     float64 // decayed sums for the baseline (bias-corrected by sumW)
	sumP     float64
	sumW     float64
	hold     bool // baseline frozen while an incident is open
	runStart time.Time
}

// NewSeries returns an empty series.
func NewSeries(p Params) *Series {
	p = p.withDefaults()
	n := int(p.Window / p.Bucket)
	if n < 1 {
		n = 1
	}
	return &Series{
		p:      p,
		ring:   make([]window.Counts, n),
		starts: make([]time.Time, n),
		decay:  math.Pow(0.5, float64(p.Bucket)/float64(p.HalfLife)),
	}
}

// Params returns the parameters in effect.
func (s *Series) Params() Params { return s.p }

// Hold freezes (true) or releases (false) the baseline; the incident machine holds it
// while an incident is open so an outage does not become its own baseline.
func (s *Series) Hold(h bool) { s.hold = h }

// perBucket returns the baseline complaints and posts per bucket.
func (s *Series) perBucket() (complaints, posts float64) {
	if s.sumW == 0 {
		return 0, 0
	}
	return s.sumC / s.sumW, s.sumP / s.sumW
}

// Step adds the counts of the bucket starting at start and returns its verdict.
// Buckets must come in order; a gap is filled with empty buckets.
func (s *Series) Step(start time.Time, c window.Counts) Verdict {
	if !s.last.IsZero() {
		for t := s.last.Add(s.p.Bucket); t.Before(start); t = t.Add(s.p.Bucket) {
			s.step(t, window.Counts{})
		}
	}
	return s.step(start, c)
}

func (s *Series) step(start time.Time, c window.Counts) Verdict {
	if s.first.IsZero() {
		s.first = start
	}
	s.last = start
	// Baseline from the buckets before this one, so a sudden burst is compared
	// with what came before it.
	baseC, baseP := s.perBucket()

	s.ring[s.next] = c
	s.starts[s.next] = start
	s.next = (s.next + 1) % len(s.ring)
	if s.filled < len(s.ring) {
		s.filled++
	}
	var w window.Counts
	for i := 0; i < s.filled; i++ {
		w.Add(s.ring[i])
	}
	oldest := s.starts[(s.next-s.filled+len(s.ring))%len(s.ring)]

	floor := s.p.FloorPerMin * s.p.Bucket.Minutes()
	perBucketC := math.Max(baseC, floor)
	expected := perBucketC * float64(s.filled)
	v := Verdict{
		BucketStart: start,
		WindowStart: oldest,
		WindowEnd:   start.Add(s.p.Bucket),
		Bucket:      c,
		Window:      w,
		Expected:    expected,
		Ratio:       float64(w.Complaints) / expected,
		Score:       (float64(w.Complaints) - expected) / math.Sqrt(expected),
	}
	if w.Posts > 0 {
		v.Share = float64(w.Complaints) / float64(w.Posts)
	}
	baseShare := 0.0
	if baseP > 0 {
		baseShare = baseC / baseP
	}

	// Track the run of buckets above the baseline for the onset estimate.
	if float64(c.Complaints) > 2*perBucketC && c.Complaints > 0 {
		if s.runStart.IsZero() {
			s.runStart = start
		}
	} else if float64(w.Complaints) <= s.p.ElevatedRatio*expected {
		s.runStart = time.Time{}
	}
	v.Onset = s.runStart
	if v.Onset.IsZero() {
		v.Onset = oldest
	}

	// The bar for the ratio falls with the expected count: at low counts only a big
	// multiple is meaningful, while a busy service doubling is already an outage.
	needRatio := 1.5 + (s.p.MinRatio-1.5)*math.Exp(-expected/20)
	significant := v.Ratio >= needRatio && v.Score >= s.p.MinScore
	// Chatter: complaints rose, but their share of the posts naming the service did
	// not rise with them (a launch, a viral post), so people are not complaining more.
	shareLift := math.Inf(1)
	if baseShare > 0 {
		shareLift = v.Share / baseShare
	}
	chatter := v.Share < s.p.MinShare || shareLift < math.Min(s.p.ShareLift, 1+(v.Ratio-1)/2)
	elevated := v.Ratio >= math.Min(s.p.ElevatedRatio, 1+(needRatio-1)/2) && v.Score >= s.p.MinScore/2 &&
		w.Complaints >= s.p.MinComplaints/2

	switch {
	case start.Sub(s.first) < s.p.Warmup:
		v.Reason = ReasonWarmup
	case !elevated:
		v.Reason = ReasonNormal
	case significant && w.Complaints < s.p.MinComplaints:
		v.Reason = ReasonLowCount
	case significant && w.Authors < s.p.MinAuthors:
		v.Reason = ReasonFewAuthors
	case significant && chatter:
		v.Reason = ReasonChatter
	case significant:
		v.Reason = ReasonAnomaly
	default:
		v.Reason = ReasonElevated
	}

	if !s.hold {
		// Clip outliers so a burst moves the baseline only a little, while a lasting
		// change of level is still learnt over a few half-lives.
		cc := math.Min(float64(c.Complaints), 3*perBucketC+1)
		cp := float64(c.Posts)
		if baseP > 0 {
			cp = math.Min(cp, 3*baseP+1)
		}
		s.sumC = s.sumC*s.decay + cc
		s.sumP = s.sumP*s.decay + cp
		s.sumW = s.sumW*s.decay + 1
	}
	return v
}
