// Package evaluate decides, bucket by bucket, whether a service's complaints are
// anomalous against its own baseline.
//
// It sits after the Redis windows in the data flow: the monitor reads each closed
// bucket and feeds it to a Series, which keeps the sliding window and the baseline in
// memory and returns a Verdict with an enumerated Reason. There is no I/O here, so the
// live pipeline, an offline posts backtest and a count-series backtest give the same
// verdicts for the same counts.
//
// # Model
//
// The expected complaints of a bucket are level × hour-of-day factor × weekday/weekend
// factor:
//   - the level is an exponentially weighted mean (HalfLife) of the de-seasonalised
//     counts, bias-corrected, so a slow trend over days is followed;
//   - the seasonal factors are ratios of decayed sums (SeasonHalfLife) of counts over
//     what the level predicted in that slot, shrunk towards 1 by a prior of SeasonPrior
//     counts, so they are sound at low counts and learnt within a day at high ones;
//   - counts are clipped before they are learnt (at expected + 3 sd) and learning is
//     held while an incident is open (for at most MaxHold), so outliers and outages do
//     not become their own baseline.
//
// The window (Window, at least one bucket) is compared with the sum of its buckets'
// expectations μ under a negative binomial of variance μ + d²μ², and scored by its
// surprise (Surprise): −log10 of the probability of its complaints or more. The
// Poisson term keeps low counts honest (3 complaints an hour do not alert on 9), the
// learnt relative dispersion d keeps bursty series (tweet volumes) from alerting on
// every wiggle. A window is significant when its surprise reaches MinScore (raised for
// a series whose usual extremes are heavier than the model predicts) and its ratio
// reaches a bar that falls from MinRatio at low counts to 1.5 at high ones (a busy
// service doubling is an outage). (A test of the window's newest quarter alone, for
// steep rises, was measured and removed: surprise finds them as early without it.)
//
// A medium window (MidWindow, 10m) finds outages of a few complaints a minute that no
// 2-minute window makes surprising. It does not judge the tail of an outage (its
// newer half clearly smaller than its older half, or smaller at all in the hour after
// an incident), is not judged while an incident is open, and is off where it would
// span fewer than three short windows (5-minute buckets, as in NAB's series). Its
// distinct authors, not the short window's, must reach MinAuthors.
//
// A trend window (TrendWindow, 6h) catches sustained rises that no single burst
// shows: it is judged against a slow baseline (TrendHalfLife, days) that the rise cannot
// absorb, with its own bar (TrendScore, raised by its TrendQuantile as above), only
// after TrendWarmup of history. On it the buckets of an incident already open count as
// expected, so a reported outage does not alarm twice. (A 2-hour window was measured
// and removed: it found nothing the others did not and raised false
// alarms on the complaints trailing after outages; docs/detection.md.)
//
// Distinct authors weigh more than posts: significance is tested on the smaller of the
// complaints and the distinct authors scaled by the usual posts per author; a window
// significant on posts but not on authors is a bot flood (ReasonFlood), and an outage
// is judged again on the distinct authors of its whole window (Params.Authors). A rise
// of posts naming the service that is mostly not complaints is chatter (a launch).
package evaluate

import (
	"math"
	"time"

	"github.com/outcry-dev/outcry/counts"
	"gonum.org/v1/gonum/mathext"
)

// Params tune the detector. The zero value of a field takes its default (see Defaults).
type Params struct {
	Bucket         time.Duration // bucket size; default 10s
	Window         time.Duration // complaints are summed over this sliding window (at least one bucket); default 2m
	NoiseDelay     time.Duration // a window's residual is learnt as noise only this long after it, so a rise in progress does not raise its own bar; default 2h
	HalfLife       time.Duration // half-life of the baseline level; default 6h
	SeasonHalfLife time.Duration // half-life of the time-of-day/week profile; default 14 days
	SeasonPrior    float64       // counts of prior mass shrinking each seasonal factor to 1; default 30
	Warmup         time.Duration // history needed before any verdict can be anomalous; default 30m
	MaxHold        time.Duration // longest the baseline stays frozen during an incident; default 3h
	MinComplaints  int64         // fewest complaints in the window to alert; default 4
	MinAuthors     int64         // fewest distinct complaint authors in the window; default 3
	MinRatio       float64       // window ÷ expected at low counts (the bar falls to 1.5 at high counts); default 5
	MinScore       float64       // surprise of the window, −log10 of its tail probability under the learnt model; default 6 (see Defaults)
	Dispersion     float64       // prior relative dispersion d before it is learnt; default 0.1
	MinShare       float64       // complaints ÷ all posts naming the service in the window, of the rise above the baseline; default 0.4
	FloorPerMin    float64       // lowest baseline, complaints per minute (sound at low counts); default 0.1
	ElevatedRatio  float64       // window ÷ expected still counting as "elevated" (hysteresis); default 2
	FloodAuthors   float64       // authors per post, relative to the usual, below which a rise is a flood; default 0.3
	TailQuantile   float64       // quantile of the series' own window surprises taken as its usual extreme; default 0.999
	TailHalfLife   time.Duration // half-life of the surprise histogram; default 30 days
	MidWindow      time.Duration // a medium window, for outages of a few complaints a minute that no 2-minute window makes surprising; default 10m
	TrendWindow    time.Duration // a long window for sustained rises, judged against a slow baseline; default 6h
	TrendHalfLife  time.Duration // half-life of that slow baseline level; default 3 days
	TrendQuantile  float64       // quantile of the trend window's own surprises taken as its usual high; default 0.97
	TrendScore     float64       // the trend window's bar (surprise); default 3.5
	TrendWarmup    time.Duration // history needed before the trend window is judged (the slow baseline and the daily profile must be known); default 4 days
	// Without switches parts off, for ablations only (outcry backtest --suite
	// --ablate): what each part buys is measured by leaving it out. Zero in use.
	Without Part
}

// Part is a part of the evaluation that an ablation can leave out.
type Part uint16

// Parts of the evaluation.
const (
	PartTailBar Part = 1 << iota // the bar raised by the series' excess of extremes over the model
	PartTrend                    // the trend (6 h) window
	PartChatter                  // a rise that is mostly not complaints is chatter
	PartAuthors                  // the distinct authors of the whole window rechecked (Params.Authors)
	PartMid                      // the medium (10 min) window
	PartVoices                   // the distinct voices of the whole window checked (Params.Authors)
)

// Parts lists the parts with their names, in order.
var Parts = []struct {
	Part Part
	Name string
}{{PartTailBar, "tail-excess bar"}, {PartTrend, "6 h trend window"},
	{PartChatter, "chatter test"}, {PartAuthors, "window authors recheck"}, {PartVoices, "window voices check"},
	{PartMid, "10 min window"}}

// Defaults returns the parameters used when none are given.
//
// MinScore: a 2-minute window tested every bucket is about 260,000 independent
// looks a year, so at a tail of 10⁻⁶ a service the model fits raises a false alarm
// in years, while three complaints a minute from distinct people reach it in about
// three minutes. (On the suite's tuning halves, rounds 0-11, 294 negative days: 5
// gives 8 false alerts, 6 none; 9 none, but three outages missed and small ones
// found minutes later.)
func Defaults() Params {
	return Params{
		Bucket:         counts.DefaultBucket,
		Window:         2 * time.Minute,
		NoiseDelay:     2 * time.Hour,
		HalfLife:       6 * time.Hour,
		SeasonHalfLife: 14 * 24 * time.Hour,
		SeasonPrior:    30,
		Warmup:         30 * time.Minute,
		MaxHold:        3 * time.Hour,
		MinComplaints:  4,
		MinAuthors:     3,
		MinRatio:       5,
		MinScore:       6,
		Dispersion:     0.1,
		MinShare:       0.4,
		FloorPerMin:    0.1,
		ElevatedRatio:  2,
		FloodAuthors:   0.3,
		TailQuantile:   0.999,
		TailHalfLife:   30 * 24 * time.Hour,
		MidWindow:      10 * time.Minute,
		TrendWindow:    6 * time.Hour,
		TrendHalfLife:  3 * 24 * time.Hour,
		TrendQuantile:  0.97,
		TrendScore:     3.5,
		TrendWarmup:    4 * 24 * time.Hour,
	}
}

func (p Params) withDefaults() Params {
	d := Defaults()
	f := func(v *float64, def float64) {
		if *v <= 0 {
			*v = def
		}
	}
	dur := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	dur(&p.Bucket, d.Bucket)
	dur(&p.Window, d.Window)
	dur(&p.NoiseDelay, d.NoiseDelay)
	dur(&p.HalfLife, d.HalfLife)
	dur(&p.SeasonHalfLife, d.SeasonHalfLife)
	dur(&p.Warmup, d.Warmup)
	dur(&p.MaxHold, d.MaxHold)
	if p.MinComplaints <= 0 {
		p.MinComplaints = d.MinComplaints
	}
	if p.MinAuthors <= 0 {
		p.MinAuthors = d.MinAuthors
	}
	f(&p.SeasonPrior, d.SeasonPrior)
	f(&p.MinRatio, d.MinRatio)
	f(&p.MinScore, d.MinScore)
	f(&p.Dispersion, d.Dispersion)
	f(&p.MinShare, d.MinShare)
	f(&p.FloorPerMin, d.FloorPerMin)
	f(&p.ElevatedRatio, d.ElevatedRatio)
	f(&p.FloodAuthors, d.FloodAuthors)
	f(&p.TailQuantile, d.TailQuantile)
	dur(&p.TailHalfLife, d.TailHalfLife)
	dur(&p.MidWindow, d.MidWindow)
	dur(&p.TrendWindow, d.TrendWindow)
	dur(&p.TrendHalfLife, d.TrendHalfLife)
	f(&p.TrendQuantile, d.TrendQuantile)
	f(&p.TrendScore, d.TrendScore)
	dur(&p.TrendWarmup, d.TrendWarmup)
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
	ReasonFlood                        // many posts from few accounts: a bot flood, not an outage
	ReasonFewVoices                    // enough accounts, but a few of them wrote alike: not yet
)

var reasonNames = [...]string{"", "warmup", "normal", "low_count", "few_authors", "chatter", "elevated", "anomaly", "flood", "few_voices"}

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
	Bucket      counts.Counts // this bucket alone
	// Window is summed over the window; its Problems, Countries and Languages only
	// when the verdict is anomalous or a flood (the verdicts an event reports them of).
	Window     counts.Counts
	Expected   float64 // baseline complaints over the window
	Ratio      float64 // Window.Complaints ÷ Expected
	Score      float64 // z-score of the window under the learnt variance
	Surprise   float64 // −log10 of the window's tail probability under the learnt model
	Share      float64 // complaint share of posts naming the service in the window
	Dispersion float64 // learnt relative dispersion d in effect
	TailScore  float64 // the series' usual extreme surprise (TailQuantile) at this scale
	// Scores are the surprises of the short, long and trend windows, each divided by
	// its own bar (so ≥ 1 means that scale alone is significant).
	Scores [nScales]float64
	Scale  time.Duration // the window length Expected, Ratio and Score describe
	// Onset estimates when the rise began: the start of the earliest bucket of the
	// current run of buckets above the baseline.
	Onset time.Time
	// BucketExpected is the baseline complaints of this bucket; ShortComplaints and
	// ShortBuckets the complaints and length of the short window (whatever Scale is),
	// for the incident's own comparison with the baseline it started from.
	BucketExpected  float64
	ShortComplaints int64
	ShortBuckets    int
}

// Authors judges an outage again on the distinct authors of its whole window, which
// the per-bucket counts cannot show (four accounts posting in every bucket look like
// dozens of people there): the distinct authors alone, each counted once, must be
// as surprising over the expected complaints as the window was, by a bar raised in
// proportion to the complaints per author. The bar assumes independent witnesses;
// an author posting again is not one, and a window where accounts repeat
// themselves (four bots and two people: ten posts from six authors) must show
// more. Its distinct voices (counts.Voice: copies of one long text are one voice,
// whoever posts them) must pass the bar too, unraised: a headline reposted or a
// message pasted by many accounts is one claim, not many witnesses, while the
// accounts themselves may be real people. A voices count of 0 is not known and not
// judged. ReasonFlood when the authors fail and are fewer than half the
// complaints, ReasonFewAuthors when they fail or are fewer than MinAuthors;
// ReasonFlood when the voices fail and are fewer than half the authors (mostly
// copies), ReasonFewVoices when they fail with fewer copies (a few texts alike: not
// an outage yet, nor a flood); ReasonAnomaly otherwise.
func (p Params) Authors(distinct, voices, complaints int64, expected float64) Reason {
	p = p.withDefaults()
	if p.Without&PartAuthors != 0 {
		return ReasonAnomaly
	}
	bar := p.MinScore
	if distinct > 0 && complaints > distinct {
		bar *= float64(complaints) / float64(distinct)
	}
	mu := math.Max(expected, 1e-9)
	ok := Surprise(float64(distinct), mu, 0) >= bar
	voicesOK := p.Without&PartVoices != 0 || voices == 0 || Surprise(float64(voices), mu, 0) >= p.MinScore
	switch {
	case !ok && 2*distinct < complaints, float64(distinct) < p.FloodAuthors*float64(complaints):
		return ReasonFlood
	case !ok, distinct < p.MinAuthors:
		return ReasonFewAuthors
	case !voicesOK && 2*voices < distinct:
		return ReasonFlood
	case !voicesOK:
		return ReasonFewVoices
	}
	return ReasonAnomaly
}

// Anomalous reports whether the verdict is an outage.
func (v Verdict) Anomalous() bool { return v.Reason == ReasonAnomaly }

// Flood reports whether the verdict is a suspected bot flood.
func (v Verdict) Flood() bool { return v.Reason == ReasonFlood }

// Elevated reports whether complaints are still clearly above the baseline (an open
// incident stays open while this holds).
func (v Verdict) Elevated() bool { return v.Reason == ReasonAnomaly || v.Reason == ReasonElevated }

const (
	nScales   = 3
	hourSlots = 24
	daySlots  = 2 // weekday, weekend
)

// slot is a decayed ratio estimate: observed counts over what the level predicted.
type slot struct {
	num, den float64
	at       time.Time // last update, for the decay
}

// scale is one window length the series is judged at, with what it learnt of its
// own noise: the relative dispersion d and the histogram of its z-scores.
type scale struct {
	n           int     // buckets
	slow        bool    // judged against the slow baseline (the trend scale)
	mid         bool    // the medium scale: not on an outage's tail, not while an incident is open
	sx, sa, smu float64 // running sums over the window
	dv, dw      float64
	tail        zHist
}

// noiseObs is one window's residual, waiting to be learnt (in its scale's queue).
// A warm series holds the trend scale's 6 h of them: a unix-nanosecond time keeps
// them small and free of pointers for the collector.
type noiseObs struct {
	at   int64 // unix ns of the bucket
	e, z float64
}

// Series is the state of one service: its sliding windows and baseline.
type Series struct {
	p     Params
	ring  []counts.Counts // the short window's buckets
	rpos  int
	rfill int
	x     []float64 // complaints, authors and expected complaints of the last buckets
	xa    []float64
	mu    []float64
	mus   []float64 // expected complaints under the slow baseline
	// complaints and authors as the trend scale sees them: while an incident holds the
	// baseline they are taken as expected, so an outage already reported does not
	// raise a second, slow alarm after it is resolved
	xs, xas []float64
	starts  []int64 // unix ns: no pointer for the collector to scan in the longest arrays
	pos     int     // next slot of x, xa, mu, starts
	filled  int
	steps   int
	scales  [nScales]scale // short (Window), medium (MidWindow), trend (TrendWindow)
	first   time.Time
	last    time.Time
	decay   float64 // of the level, per bucket
	sdecay  float64 // of the slow level, per bucket
	// of a seasonal slot and of the noise, per bucket; −log10(1 − q) of the tail
	// quantiles of the fast scales and of the trend
	slotDecay, noiseDecay float64
	tailLog               [2]float64
	// slow level: decayed sums of de-seasonalised complaints, for the trend scale
	ls, lsw float64

	// level: decayed sums of de-seasonalised complaints, posts and authors, bias-corrected by lw.
	lc, lp, la, lw float64
	hour           [hourSlots]slot
	day            [daySlots]slot

	// noise observations wait NoiseDelay before they are learnt, so a rise in
	// progress does not raise its own bar
	pending [nScales][]noiseObs

	// undo, during Try, records what each step overwrites in the arrays
	undo *[]undoSlot

	hold      bool
	open      bool      // an incident is open (Open)
	closedWas time.Time // closedAt before the incident now open (Retracted)
	closedAt  time.Time // last bucket an incident was open on
	floodAt   time.Time // the last bucket of a flood (Flood)
	holdSince time.Time
	runStart  time.Time
	seeded    bool
}

// NewSeries returns an empty series.
func NewSeries(p Params) *Series {
	p = p.withDefaults()
	ns := max(1, int(p.Window/p.Bucket))
	nm := max(ns, int(p.MidWindow/p.Bucket))
	nt := max(nm, int(p.TrendWindow/p.Bucket))
	// The arrays grow to slots() as buckets are stepped (grow): a series of a service
	// first mentioned, or after a gap, starts small.
	s := &Series{
		p:      p,
		ring:   make([]counts.Counts, ns),
		decay:  math.Pow(0.5, float64(p.Bucket)/float64(p.HalfLife)),
		sdecay: math.Pow(0.5, float64(p.Bucket)/float64(p.TrendHalfLife)),
		// Constants of every step, computed once (they were most of an empty step's
		// math.Pow calls).
		slotDecay:  math.Pow(0.5, float64(p.Bucket)/float64(p.SeasonHalfLife)),
		noiseDecay: math.Pow(0.5, float64(p.Bucket)/float64(p.TailHalfLife)),
		tailLog:    [2]float64{-math.Log10(1 - p.TailQuantile), -math.Log10(1 - p.TrendQuantile)},
	}
	s.scales[0].n, s.scales[1].n, s.scales[2].n = ns, nm, nt
	s.scales[1].mid = true
	s.scales[2].slow = true
	return s
}

// slots is how long x, xa, mu, mus, xs, xas and starts grow: one bucket more than
// the longest window, so the bucket leaving a window is still there to subtract.
func (s *Series) slots() int { return s.scales[2].n + 1 }

// wrap is the slot of position k of the arrays' ring, for k from −slots() on.
func (s *Series) wrap(k int) int {
	n := s.slots()
	return (k + n) % n
}

// grow makes room for the next slot of the arrays, which are full but not yet as
// long as they grow (they fill from slot 0 up, and wrap only at size): doubled, up to
// size. A service mentioned for minutes holds minutes of buckets, not the longest
// window's hours, until it has been stepped through them.
func (s *Series) grow() {
	n := min(s.slots(), max(64, 2*len(s.x)))
	s.x, s.xa, s.mu, s.mus = grown(s.x, n), grown(s.xa, n), grown(s.mu, n), grown(s.mus, n)
	s.xs, s.xas, s.starts = grown(s.xs, n), grown(s.xas, n), grown(s.starts, n)
}

func grown[T any](a []T, n int) []T {
	b := make([]T, n)
	copy(b, a)
	return b
}

// fading reports whether the last n buckets (the newest at ring position p,
// starting at start) look like the tail of an outage: their newer half clearly the
// smaller (a plateau's halves are as likely to fall as to rise), or, in the
// aftermath of an incident, not clearly the larger (the stragglers of a large
// outage hold steady or waver for a while; a new outage there must grow).
func (s *Series) fading(p, n int, start time.Time) bool {
	newer, older := s.halves(p, n)
	return falling(newer, older) || s.after(start) && !falling(older, newer)
}

// after reports whether start is in the aftermath of an incident.
func (s *Series) after(start time.Time) bool {
	return !s.closedAt.IsZero() && start.Sub(s.closedAt) <= aftermath
}

// falling reports whether a newer half of newer complaints is clearly fewer than
// an older half of older: each complaint of a plateau is as likely in either half,
// and so few in the newer one are unlikely (a binomial lower tail under
// fallChance).
func falling(newer, older float64) bool {
	return newer < older && mathext.RegIncBeta(older, newer+1, 0.5) < fallChance
}

// halves returns the complaints of the newer and the older half of the last n
// buckets (the newest at ring position p); buckets before the first are empty.
func (s *Series) halves(p, n int) (newer, older float64) {
	for i := 0; i < min(n, s.filled); i++ {
		b := s.wrap(p - i)
		if i < n/2 {
			newer += s.x[b]
		} else {
			older += s.x[b]
		}
	}
	return newer, older
}

// fallChance is the binomial lower tail below which the newer half of the medium
// window is clearly the smaller.
const fallChance = 0.05

// Params returns the parameters in effect.
func (s *Series) Params() Params { return s.p }

// Between returns the complaints and the expected complaints of the buckets stepped
// that start in [from, to) (as far back as the series keeps them: its longest
// window). The monitor may ask after the series has stepped past to.
func (s *Series) Between(from, to time.Time) (complaints, expected float64) {
	f, t := from.UnixNano(), to.UnixNano()
	for i := 0; i < s.filled; i++ {
		b := s.wrap(s.pos - 1 - i)
		if s.starts[b] < f {
			break
		}
		if s.starts[b] < t {
			complaints += s.x[b]
			expected += s.mu[b]
		}
	}
	return complaints, expected
}

// Flood tells the series that its complaints from from up to its last bucket were a
// flood of few accounts (a start retracted once its authors were counted, or a
// flood verdict): the windows over them are not learnt as the series' noise. A
// flood learnt as noise raised the bar of its series so far (its usual extreme
// surprise 190 instead of 3) that a real outage the next day went unseen.
func (s *Series) Flood(from time.Time) {
	s.floodAt = s.last
	for k := range s.pending {
		kept := s.pending[k][:0]
		for _, o := range s.pending[k] {
			if o.at < from.UnixNano() {
				kept = append(kept, o)
			}
		}
		s.pending[k] = kept
	}
}

// Open tells the series whether an incident is open on it (the medium window is
// not judged then; it is during the hold after a resolution, so a re-flare of a
// sparse outage is seen).
func (s *Series) Open(o bool) {
	if s.open && !o {
		s.closedAt = s.last
	}
	if !s.open && o {
		s.closedWas = s.closedAt
	}
	s.open = o
}

// Retracted tells the series that the incident it was told of was taken back before
// it was published (its authors or voices did not pass): it never opened, so no
// aftermath follows it. The monitor tells the series of a start before its authors
// are counted; without this, a start taken back left the medium window demanding a
// clearly growing newer half for an hour, and a slow ramp held back once by a
// repeated text was never found.
func (s *Series) Retracted() {
	if s.open {
		s.open = false
		s.closedAt = s.closedWas
	}
}

// aftermath is how long after an incident the medium window takes a rise only
// when its newer half holds clearly more complaints than its older half: the
// complaints trailing after a large outage fade for about an hour, too slowly
// over ten minutes to fall clearly.
const aftermath = time.Hour

// Hold freezes (true) or releases (false) the baseline; the incident machine holds it
// while an incident is open so an outage does not become its own baseline. A hold
// longer than MaxHold lets learning resume (clipped), so a lasting change of level is
// eventually accepted as the new normal.
func (s *Series) Hold(h bool) {
	if h && !s.hold {
		s.holdSince = s.last
		// What was waiting to be learnt as noise was the rise of this incident.
		s.learnNoise(s.last, true)
	}
	s.hold = h
}

func hourOf(t time.Time) int { return t.UTC().Hour() }

func dayOf(t time.Time) int {
	switch t.UTC().Weekday() {
	case time.Saturday, time.Sunday:
		return 1
	}
	return 0
}

// factor returns the seasonal factor of the slot at t.
func (s *Series) factor(t time.Time) float64 {
	return s.ratio(&s.hour[hourOf(t)], time.Hour) * s.ratio(&s.day[dayOf(t)], 24*time.Hour)
}

// ratio is a slot's factor, shrunk towards 1 by a prior worth SeasonPrior counts plus
// one slot length of the level: a factor moves far from 1 only once more than one
// period of the slot has been seen, so a rise within the hour is not taken for the
// hour's usual shape.
func (s *Series) ratio(sl *slot, length time.Duration) float64 {
	k := s.p.SeasonPrior
	if s.lw > 0 {
		k += s.lc / s.lw * float64(length) / float64(s.p.Bucket)
	}
	return (sl.num + k) / (sl.den + k)
}

func (s *Series) learnSlot(sl *slot, t time.Time, obs, pred float64) {
	if !sl.at.IsZero() && t.After(sl.at) {
		d := s.slotDecay // the usual case: the slot learnt at the bucket before
		if dt := t.Sub(sl.at); dt != s.p.Bucket {
			d = math.Pow(0.5, float64(dt)/float64(s.p.SeasonHalfLife))
		}
		sl.num *= d
		sl.den *= d
	}
	sl.at = t
	sl.num += obs
	sl.den += pred
}

// level returns the de-seasonalised complaints, posts and authors per bucket.
func (s *Series) level() (c, p, a float64) {
	if s.lw == 0 {
		return 0, 0, 0
	}
	return s.lc / s.lw, s.lp / s.lw, s.la / s.lw
}

func (s *Series) floor() float64 { return s.p.FloorPerMin * s.p.Bucket.Minutes() }

// expected returns the baseline complaints and posts of a bucket whose seasonal
// factor (s.factor) is f.
func (s *Series) expected(f float64) (c, p float64) {
	lc, lp, _ := s.level()
	return math.Max(lc*f, s.floor()), lp * f
}

// dispersion returns the learnt relative dispersion d of a scale.
func (s *Series) dispersion(sc *scale) float64 {
	d2 := s.p.Dispersion * s.p.Dispersion
	// The prior weighs as much as a few dozen windows, then the data take over.
	const priorW = 20
	v := (sc.dv + d2*priorW) / (sc.dw + priorW)
	return math.Sqrt(math.Max(v, 0))
}

// learn moves the baseline towards n buckets' worth of counts c, p, a per bucket
// (already clipped) at t, whose seasonal factor before learning is f.
func (s *Series) learn(t time.Time, f, c, p, a float64, n float64) {
	lc, _, _ := s.level()
	had := s.lw > 0
	dec := math.Pow(s.decay, n)
	w := (1 - dec) / (1 - s.decay)
	s.lc = s.lc*dec + c/f*w
	s.lp = s.lp*dec + p/f*w
	s.la = s.la*dec + a/f*w
	s.lw = s.lw*dec + w
	sdec := math.Pow(s.sdecay, n)
	sw := (1 - sdec) / (1 - s.sdecay)
	s.ls = s.ls*sdec + c/f*sw
	s.lsw = s.lsw*sdec + sw
	if had {
		// Seasonal factors learn what the level (without this slot's factor) predicted.
		pred := lc * n
		s.learnSlot(&s.hour[hourOf(t)], t, c*n, pred*s.ratio(&s.day[dayOf(t)], 24*time.Hour))
		s.learnSlot(&s.day[dayOf(t)], t, c*n, pred*s.ratio(&s.hour[hourOf(t)], time.Hour))
	}
}

// learnNoise learns the noise observations older than NoiseDelay (all with
// drop, while the baseline is held, they are dropped: an outage is not noise).
func (s *Series) learnNoise(now time.Time, drop bool) {
	dd := s.noiseDecay
	for k := range s.pending {
		// Each scale waits at least NoiseDelay, and at least its own length.
		delay := max(s.p.NoiseDelay, time.Duration(s.scales[k].n)*s.p.Bucket)
		s.pending[k] = learnPending(&s.scales[k], s.pending[k], now.UnixNano(), delay, dd, drop)
	}
}

func learnPending(sc *scale, pending []noiseObs, now int64, delay time.Duration, dd float64, drop bool) []noiseObs {
	i := 0
	for ; i < len(pending); i++ {
		o := pending[i]
		if drop {
			continue
		}
		if time.Duration(now-o.at) < delay {
			break
		}
		sc.dv = sc.dv*dd + o.e
		sc.dw = sc.dw*dd + 1
		sc.tail.add(o.z, dd)
	}
	// The learnt ones leave from the front: a queue, not a copy of the rest at every
	// bucket (the trend scale's waits 6 h, 2,160 observations); append moves the live
	// ones when the array is full.
	return pending[i:]
}

// Seed feeds a coarse stretch of history (the counts of the period [start, start+d),
// e.g. an hourly rollup) into the level and the seasonal profile without producing a
// verdict. Call it in time order before the first Step, to rebuild baselines after a
// restart; periods at or after the last stepped bucket are ignored.
func (s *Series) Seed(start time.Time, d time.Duration, c counts.Counts) {
	if !s.last.IsZero() && !start.Before(s.last) {
		return
	}
	n := max(1, float64(d)/float64(s.p.Bucket))
	cc, pp, aa := float64(c.Complaints)/n, float64(c.Posts)/n, float64(c.Authors)/n
	f := s.factor(start)
	if s.lw > 0 {
		// Clip as Step does, so an outage in the history does not inflate the baseline.
		ec, ep := s.expected(f)
		cc = math.Min(cc, 3*ec+1)
		pp = math.Min(pp, 3*ep+1)
	}
	aa = math.Min(aa, cc)
	s.learn(start, f, cc, pp, aa, n)
	if s.first.IsZero() || start.Before(s.first) {
		s.first = start
	}
	s.seeded = true
}

// Step adds the counts of the bucket starting at start and returns its verdict.
// Buckets must come in order; a gap is filled with empty buckets.
func (s *Series) Step(start time.Time, c counts.Counts) Verdict {
	if !s.last.IsZero() {
		for t := s.last.Add(s.p.Bucket); t.Before(start); t = t.Add(s.p.Bucket) {
			s.step(t, counts.Counts{})
		}
	}
	return s.step(start, c)
}

// judged is one scale's view of the current window.
type judged struct {
	x, xa, mu, z, ratio float64
	surprise            float64 // −log10 of the window's tail probability
	authors             float64 // authors summed over the window's buckets
	start               time.Time
	full                bool
	sig, sigA, elev     bool
	tailZ, bar          float64
}

func (s *Series) step(start time.Time, c counts.Counts) Verdict {
	if s.first.IsZero() {
		s.first = start
	}
	s.last = start
	// Baseline from the buckets before this one, so a sudden burst is compared
	// with what came before it.
	// The seasonal factor of this bucket, as the baseline stands before the bucket
	// is learnt (nothing before learn at the end changes it).
	f := s.factor(start)
	expC, expP := s.expected(f)
	expS := expC
	if s.lsw > 0 {
		expS = math.Max(s.ls/s.lsw*f, s.floor())
	}
	lc, lp, la := s.level()

	if s.pos == len(s.x) {
		s.grow()
	}
	// The first steps of a Try write every slot once: only their old values need
	// keeping (a look across a long gap steps through it, bucket by bucket).
	if s.undo != nil && len(*s.undo) < max(s.slots(), len(s.ring)) {
		p := s.pos
		*s.undo = append(*s.undo, undoSlot{p: p, r: s.rpos, x: s.x[p], xa: s.xa[p], mu: s.mu[p], mus: s.mus[p],
			xs: s.xs[p], xas: s.xas[p], start: s.starts[p], ring: s.ring[s.rpos]})
	}
	s.ring[s.rpos] = c
	s.rpos = (s.rpos + 1) % len(s.ring)
	s.rfill = min(s.rfill+1, len(s.ring))
	var w counts.Counts
	for i := 0; i < s.rfill; i++ {
		if !s.ring[i].Empty() { // most buckets of most services
			w.AddTotals(s.ring[i])
		}
	}
	p := s.pos
	s.x[p] = float64(c.Complaints)
	s.xa[p] = float64(c.Authors)
	s.mu[p] = expC
	s.mus[p] = expS
	s.xs[p], s.xas[p] = s.x[p], s.xa[p]
	if s.hold && start.Sub(s.holdSince) <= s.p.MaxHold {
		s.xs[p] = math.Min(s.x[p], expS)
		s.xas[p] = math.Min(s.xa[p], expS)
	}
	s.starts[p] = start.UnixNano()
	s.pos = s.wrap(p + 1)
	s.filled = min(s.filled+1, s.slots())
	s.steps++
	for k := range s.scales {
		sc := &s.scales[k]
		mu, x, xa := s.mu, s.x, s.xa
		if sc.slow {
			mu, x, xa = s.mus, s.xs, s.xas
		}
		if s.steps%4096 == 0 {
			// Recompute now and then so rounding errors do not build up.
			sc.sx, sc.sa, sc.smu = 0, 0, 0
			for i := 0; i < min(sc.n, s.filled); i++ {
				b := s.wrap(p - i)
				sc.sx += x[b]
				sc.sa += xa[b]
				sc.smu += mu[b]
			}
			continue
		}
		sc.sx += x[p]
		sc.sa += xa[p]
		sc.smu += mu[p]
		if s.steps > sc.n {
			b := s.wrap(p - sc.n)
			sc.sx -= x[b]
			sc.sa -= xa[b]
			sc.smu -= mu[b]
		}
	}

	// Authors: the usual authors per complaint (per bucket); a window's authors scaled
	// by it count as complaints, so a few accounts posting a lot do not.
	apc := 1.0
	if lc > 0 && la > 0 {
		apc = math.Min(1, la/lc)
	}
	// The bar for the ratio falls with the expected count: at low counts only a big
	// multiple is meaningful, while a busy service doubling is already an outage.
	needRatio := func(m float64) float64 { return 1.5 + (s.p.MinRatio-1.5)*math.Exp(-m/20) }
	warm := start.Sub(s.first) >= s.p.Warmup || s.seeded

	var js [nScales]judged
	for k := range s.scales {
		sc := &s.scales[k]
		n := min(sc.n, s.filled)
		j := &js[k]
		j.x, j.mu = math.Max(0, sc.sx), math.Max(sc.smu, 1e-9)
		xa := math.Max(0, sc.sa)
		j.authors = xa
		j.start = time.Unix(0, s.starts[s.wrap(p-n+1)]).UTC()
		j.full = n == sc.n
		ready := !sc.slow || start.Sub(s.first) >= s.p.TrendWarmup
		if sc.slow && s.p.Without&PartTrend != 0 || sc.mid && s.p.Without&PartMid != 0 {
			ready = false
		}
		if sc.mid && sc.n < 3*s.scales[0].n {
			// A medium window of a few short ones (5-minute buckets, as in
			// NAB's series) adds nothing but another chance of noise.
			ready = false
		}
		if sc.mid && s.open {
			// The medium window finds small outages; while one is open its
			// end is judged on the short window, which an outage's tail leaves
			// sooner. After a resolution it is judged again: a sparse outage
			// flaring within the cool-down is the same incident reopened.
			ready = false
		}
		d := s.dispersion(sc)
		sd := math.Sqrt(j.mu + d*d*j.mu*j.mu)
		j.z = (j.x - j.mu) / sd
		j.ratio = j.x / j.mu
		j.xa = math.Min(j.x, xa/apc)
		j.surprise = Surprise(j.x, j.mu, d)
		// The bar: MinScore, raised by as much as the scale's own usual extreme
		// (its TailQuantile) exceeds what the model says it should be (−log10 of
		// 1 − TailQuantile, as surprises are −log10 of tail probabilities): a series
		// the model fits well keeps MinScore, one with bursts the model does not
		// explain must beat them by the same margin.
		q, b0, tl := s.p.TailQuantile, s.p.MinScore, s.tailLog[0]
		if sc.slow {
			q, b0, tl = s.p.TrendQuantile, s.p.TrendScore, s.tailLog[1]
		}
		j.tailZ = sc.tail.quantile(q)
		bar := b0
		if s.p.Without&PartTailBar == 0 {
			bar *= math.Max(1, j.tailZ/tl)
		}
		j.bar = bar
		need := needRatio(j.mu)
		j.sig = j.full && ready && j.ratio >= need && j.surprise >= bar
		if j.sig && sc.mid && s.fading(p, sc.n, start) {
			// The medium window finds small outages as they begin, not the
			// slow tail of one that has ended.
			j.sig = false
		}
		j.sigA = j.sig && j.xa/j.mu >= need && Surprise(j.xa, j.mu, d) >= bar
		j.elev = j.ratio >= math.Min(s.p.ElevatedRatio, 1+(need-1)/2) && j.surprise >= s.p.MinScore/3
		if warm && j.full && !(s.hold && start.Sub(s.holdSince) <= s.p.MaxHold) {
			// Learn the scale's noise from clipped residuals so outliers do not
			// inflate it.
			lim := 3 * sd
			r := math.Max(-lim, math.Min(j.x-j.mu, lim))
			e := (r*r - j.mu) / (j.mu * j.mu)
			if s.floodAt.IsZero() || start.Add(-time.Duration(sc.n)*s.p.Bucket).After(s.floodAt) {
				// (a window over a flood is not the series' noise)
				s.pending[k] = append(s.pending[k], noiseObs{at: start.UnixNano(), e: e, z: j.surprise})
			}
		}
	}
	s.learnNoise(start, false)
	// Report the shortest significant window (the short one when none is).
	use, ui := &js[0], 0
	for k := range js {
		if js[k].sig {
			use, ui = &js[k], k
			break
		}
	}
	v := Verdict{
		BucketStart:     start,
		WindowStart:     use.start,
		WindowEnd:       start.Add(s.p.Bucket),
		Bucket:          c,
		Window:          w,
		Expected:        use.mu,
		Ratio:           use.ratio,
		Score:           use.z,
		Surprise:        use.surprise,
		BucketExpected:  expC,
		ShortComplaints: w.Complaints,
		ShortBuckets:    s.rfill,
		Dispersion:      s.dispersion(&s.scales[0]),
		TailScore:       use.tailZ,
	}
	for k := range js {
		v.Scores[k] = js[k].surprise / js[k].bar
	}
	v.Scale = time.Duration(s.scales[ui].n) * s.p.Bucket
	if ui > 0 {
		v.Window.Complaints = int64(use.x)
	}
	if w.Posts > 0 {
		v.Share = float64(w.Complaints) / float64(w.Posts)
	}

	// Track the run of buckets above the baseline for the onset estimate.
	if float64(c.Complaints) > 2*expC && c.Complaints > 0 {
		if s.runStart.IsZero() {
			s.runStart = start
		}
	} else if js[0].x <= s.p.ElevatedRatio*js[0].mu {
		s.runStart = time.Time{}
	}
	v.Onset = s.runStart
	if v.Onset.IsZero() {
		v.Onset = use.start
	}

	significant, authorsOK := false, false
	for k := range js {
		significant = significant || js[k].sig
		authorsOK = authorsOK || js[k].sigA
	}
	// Chatter: complaints rose, but most of the rise in posts naming the service is
	// not complaints (a launch, a viral post): people are talking, not complaining.
	// The share is of the rise above the baseline, so the matcher's usual misses
	// (complaints it reads as mentions) and the service's usual complaints do not
	// decide it. Only where complaints are a part of the posts (not a bare count
	// series).
	chatter := false
	if lp > 0 && lc/lp < 0.9 && s.p.Without&PartChatter == 0 {
		n := float64(min(s.scales[0].n, s.filled))
		dc := js[0].x - js[0].mu
		dp := float64(w.Posts) - n*lp*f
		chatter = dp > 0 && dc < s.p.MinShare*dp
	}
	elevated := js[0].elev && w.Complaints >= s.p.MinComplaints/2

	switch {
	case !warm:
		v.Reason = ReasonWarmup
	case !elevated && !significant:
		v.Reason = ReasonNormal
	case significant && int64(use.x) < s.p.MinComplaints:
		v.Reason = ReasonLowCount
	case significant && use.authors < s.p.FloodAuthors*use.x*apc:
		// Authors are summed per bucket, so a few accounts posting in every bucket
		// still show as far fewer authors than posts.
		v.Reason = ReasonFlood
	case significant && (use.authors < float64(s.p.MinAuthors) || !authorsOK):
		v.Reason = ReasonFewAuthors
	case significant && chatter:
		v.Reason = ReasonChatter
	case significant:
		v.Reason = ReasonAnomaly
	default:
		v.Reason = ReasonElevated
	}
	if v.Reason == ReasonFlood {
		s.Flood(v.WindowStart)
	}
	if v.Reason == ReasonAnomaly || v.Reason == ReasonFlood {
		// Only these start (or reopen) an incident or a flood, whose event reports
		// the window's breakdowns; summing the maps at every step was a third of a
		// busy service's step.
		for i := 0; i < s.rfill; i++ {
			v.Window.AddBreakdowns(s.ring[i])
		}
	}

	if !s.hold || start.Sub(s.holdSince) > s.p.MaxHold {
		// Clip outliers so a burst moves the baseline only a little, while a lasting
		// change of level is still learnt over a few half-lives.
		d := s.dispersion(&s.scales[0])
		sd := func(m float64) float64 { return math.Sqrt(m + d*d*m*m) }
		cc := math.Min(float64(c.Complaints), expC+3*sd(expC)+1)
		cp := math.Min(float64(c.Posts), expP+3*sd(expP)+1)
		ca := math.Min(float64(c.Authors), cc)
		s.learn(start, f, cc, cp, ca, 1)
	}
	return v
}

// zHist is a decayed histogram of window z-scores, for their upper quantiles.
type zHist struct {
	bins  [zBins]float64
	total float64
	scale float64 // lazy decay: stored weights are divided by scale
	top   int     // highest bin ever added to: the bins above are 0
}

const (
	zMin   = -4.0
	zWidth = 0.25
	zBins  = 800 // up to z = 196
)

func (h *zHist) add(z, decay float64) {
	if h.scale == 0 {
		h.scale = 1
	}
	h.scale *= decay
	if h.scale < 1e-100 {
		for i := range h.bins {
			h.bins[i] *= h.scale
		}
		h.total *= h.scale
		h.scale = 1
	}
	i := int((z - zMin) / zWidth)
	i = max(0, min(i, zBins-1))
	h.top = max(h.top, i)
	h.bins[i] += 1 / h.scale
	h.total += 1 / h.scale
}

// quantile returns the q-quantile (0 while the histogram is empty).
func (h *zHist) quantile(q float64) float64 {
	if h.total == 0 {
		return 0
	}
	need := (1 - q) * h.total
	acc := 0.0
	from := h.top // the empty bins above add nothing to acc
	if need <= 0 {
		from = zBins - 1
	}
	for i := from; i >= 0; i-- {
		acc += h.bins[i]
		if acc >= need {
			return zMin + float64(i+1)*zWidth
		}
	}
	return zMin
}

// Surprise is −log10 of the probability of x or more when mu is expected, under a
// negative binomial of relative dispersion d, approximated as a Poisson of the
// counts scaled by the variance inflation 1 + d²mu (so a bursty series needs a larger
// excess for the same surprise). Unlike a z-score it is sound at low counts, where a
// handful of complaints over a baseline near zero is already rare.
func Surprise(x, mu, d float64) float64 {
	if x <= mu || mu <= 0 {
		return 0
	}
	phi := 1 + d*d*mu
	a, m := x/phi, mu/phi
	if z := (a - m) / math.Sqrt(m); z > 35 {
		// Far beyond any bar; the incomplete gamma would underflow.
		return maxSurprise
	}
	// P(X ≥ a) for X ~ Poisson(m) is the regularised lower incomplete gamma P(a, m),
	// continuous in a.
	p := mathext.GammaIncReg(a, m)
	if p <= 0 {
		return maxSurprise
	}
	return math.Min(maxSurprise, -math.Log10(p))
}

// LowerTail is the probability of x or fewer events of a Poisson law of mean mu
// (continuous in x, as Surprise is): how likely so few are when mu are expected.
func LowerTail(x, mu float64) float64 {
	if mu <= 0 {
		return 1
	}
	return mathext.GammaIncRegComp(math.Max(0, x)+1, mu)
}

// maxSurprise caps surprises (the histogram's range).
const maxSurprise = 190.0
