package evaluate_test

import (
	"maps"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/evaluate"
)

// poisson draws a Poisson variate (Knuth; fine for the small means used here).
func poisson(r *rand.Rand, mean float64) int64 {
	if mean <= 0 {
		return 0
	}
	if mean > 30 {
		return int64(mean + r.NormFloat64()*math.Sqrt(mean) + 0.5)
	}
	l, k, p := math.Exp(-mean), int64(0), 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

type rates struct{ complaintsPerMin, postsPerMin float64 }

// run feeds a series whose rates come from f (minutes since start) and returns the
// first anomalous bucket start, or the zero time.
func run(t *testing.T, hours float64, f func(min float64) rates) (first time.Time, reasons map[evaluate.Reason]int) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	s := evaluate.NewSeries(evaluate.Params{})
	start := time.Date(2022, 10, 25, 0, 0, 0, 0, time.UTC)
	reasons = map[evaluate.Reason]int{}
	for b := 0; b < int(hours*360); b++ {
		at := start.Add(time.Duration(b) * 10 * time.Second)
		rt := f(float64(b) / 6)
		c := poisson(r, rt.complaintsPerMin/6)
		p := c + poisson(r, rt.postsPerMin/6)
		v := s.Step(at, counts.Counts{Complaints: c, Posts: p, Authors: c})
		reasons[v.Reason]++
		if v.Anomalous() && first.IsZero() {
			first = at
		}
	}
	return first, reasons
}

func TestSeries(t *testing.T) {
	onset := 180.0 // minutes
	tests := []struct {
		name      string
		rates     func(min float64) rates
		wantAlert bool
		maxDelay  time.Duration
	}{
		{"quiet", func(float64) rates { return rates{0.3, 15} }, false, 0},
		{"outage ramp", func(m float64) rates {
			if m < onset {
				return rates{0.3, 15}
			}
			return rates{0.3 + min(m-onset, 12)*8, 15}
		}, true, 3 * time.Minute},
		{"busy service doubling", func(m float64) rates {
			if m < onset {
				return rates{50, 500}
			}
			return rates{150, 500}
		}, true, 3 * time.Minute},
		{"low counts: 3 an hour, then 9 an hour", func(m float64) rates {
			if m < onset {
				return rates{0.05, 5}
			}
			return rates{0.15, 5}
		}, false, 0},
		{"launch day: chatter 30x, complaints share falls", func(m float64) rates {
			if m < onset || m > onset+120 {
				return rates{0.3, 15}
			}
			return rates{0.3 + 450*0.02, 450}
		}, false, 0},
		{"slow trend over hours", func(m float64) rates { return rates{0.3 + m/60, 15 + m/6} }, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, reasons := run(t, 6, tt.rates)
			if !tt.wantAlert {
				if !first.IsZero() {
					t.Fatalf("anomaly at %s, want none (reasons %v)", first.Format(time.TimeOnly), reasons)
				}
				return
			}
			if first.IsZero() {
				t.Fatalf("no anomaly (reasons %v)", reasons)
			}
			at := time.Date(2022, 10, 25, 0, 0, 0, 0, time.UTC).Add(time.Duration(onset) * time.Minute)
			if d := first.Sub(at); d < 0 || d > tt.maxDelay {
				t.Errorf("detected %s after onset, want within %s", d, tt.maxDelay)
			}
		})
	}
}

func TestReasonString(t *testing.T) {
	if evaluate.ReasonChatter.String() != "chatter" || evaluate.Reason(99).String() != "unknown" {
		t.Error("Reason names")
	}
}

// A handful of accounts posting a lot is a flood, not an outage.
func TestFlood(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	s := evaluate.NewSeries(evaluate.Params{})
	start := time.Date(2022, 10, 25, 0, 0, 0, 0, time.UTC)
	var reasons = map[evaluate.Reason]int{}
	for b := 0; b < 6*360; b++ {
		at := start.Add(time.Duration(b) * 10 * time.Second)
		c := poisson(r, 0.5/6)
		a := c
		if b >= 3*360 && b < 3*360+60 {
			c += 40 // 5 bots, 40 complaints per 10 s
			a += 5
		}
		v := s.Step(at, counts.Counts{Complaints: c, Posts: c + poisson(r, 15.0/6), Authors: a})
		reasons[v.Reason]++
	}
	if reasons[evaluate.ReasonAnomaly] > 0 || reasons[evaluate.ReasonFlood] == 0 {
		t.Fatalf("reasons %v: want flood verdicts and no anomaly", reasons)
	}
}

// Seed rebuilds a baseline from hourly rollups: a series seeded with a day of history
// needs no warm-up and knows its time-of-day profile.
func TestSeed(t *testing.T) {
	s := evaluate.NewSeries(evaluate.Params{})
	start := time.Date(2022, 10, 24, 0, 0, 0, 0, time.UTC)
	for h := 0; h < 48; h++ {
		at := start.Add(time.Duration(h) * time.Hour)
		perHour := int64(300) // complaints per hour: 300 by day, 30 at night
		if at.Hour() < 6 {
			perHour = 30
		}
		s.Seed(at, time.Hour, counts.Counts{Complaints: perHour, Posts: 20 * perHour, Authors: perHour})
	}
	night := start.Add(48*time.Hour + 2*time.Hour)
	v := s.Step(night, counts.Counts{Complaints: 0, Posts: 1})
	if v.Reason == evaluate.ReasonWarmup {
		t.Fatal("seeded series still warming up")
	}
	day := start.Add(48*time.Hour + 14*time.Hour)
	s2 := evaluate.NewSeries(evaluate.Params{})
	for h := 0; h < 48; h++ {
		at := start.Add(time.Duration(h) * time.Hour)
		perHour := int64(300)
		if at.Hour() < 6 {
			perHour = 30
		}
		s2.Seed(at, time.Hour, counts.Counts{Complaints: perHour, Posts: 20 * perHour, Authors: perHour})
	}
	vd := s2.Step(day, counts.Counts{})
	// The time-of-day profile: the day's expectation well above the night's.
	if !(vd.Expected > 1.5*v.Expected) {
		t.Errorf("expected by day %.4f, at night %.4f: want the day clearly higher", vd.Expected, v.Expected)
	}
	// Seeding after stepping is ignored.
	s.Seed(start, time.Hour, counts.Counts{Complaints: 1e6})
	if v2 := s.Step(night.Add(10*time.Second), counts.Counts{}); v2.Expected > 10*v.Expected+1 {
		t.Errorf("seed after step changed the baseline: %v", v2.Expected)
	}
}

// TestTrendScale: a sustained rise (3× for 8 hours, no single spike) on a 5-minute
// count series is caught once the series has days of history, and the trend window
// does not judge it before the trend warm-up (the shorter windows may: a Poisson
// series tripling for hours is surprising on them too).
func TestTrendScale(t *testing.T) {
	for _, tc := range []struct {
		name   string
		riseAt float64 // days
		want   bool
	}{{"after warm-up", 6, true}, {"during warm-up", 2, false}} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			s := evaluate.NewSeries(evaluate.Params{Bucket: 5 * time.Minute})
			start := time.Date(2015, 3, 1, 0, 0, 0, 0, time.UTC)
			got := false
			for b := 0; b < 8*288; b++ {
				day := float64(b) / 288
				mean := 40.0
				if day >= tc.riseAt && day < tc.riseAt+8.0/24 {
					mean *= 1 + 2*math.Min(1, (day-tc.riseAt)*24/2) // ramps up over 2 hours
				}
				n := poisson(r, mean)
				v := s.Step(start.Add(time.Duration(b)*5*time.Minute), counts.Counts{Complaints: n, Posts: n, Authors: n})
				if v.Anomalous() && day >= tc.riseAt && day < tc.riseAt+0.5 && (tc.want || v.Scale == 6*time.Hour) {
					got = true
				}
			}
			if got != tc.want {
				t.Errorf("anomalous during the rise: %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSurprise(t *testing.T) {
	for _, tc := range []struct {
		x, mu, d float64
		lo, hi   float64
	}{
		{0, 1, 0, 0, 0},           // below the expectation
		{1, 1, 0, 0, 0},           // at it
		{5, 0.2, 0, 5.5, 5.8},     // P(Poisson(0.2) ≥ 5) = 2.6e-6
		{12, 1.4, 0, 7.3, 7.7},    // a dozen complaints where 1.4 are usual
		{130, 100, 0, 2.5, 2.8},   // three standard deviations
		{130, 100, 0.1, 1.4, 1.8}, // the same excess on a bursty series surprises less
		{1e6, 10, 0, 190, 190},    // capped
	} {
		if got := evaluate.Surprise(tc.x, tc.mu, tc.d); got < tc.lo || got > tc.hi {
			t.Errorf("Surprise(%v, %v, %v) = %.3f, want %v..%v", tc.x, tc.mu, tc.d, got, tc.lo, tc.hi)
		}
	}
}

// The distinct authors of a window are independent witnesses only when each posts
// once: accounts that repeat themselves raise the bar. Copies of one text are one
// voice, however many accounts post them.
func TestAuthors(t *testing.T) {
	p := evaluate.Params{}
	for _, tc := range []struct {
		distinct, voices, complaints int64
		expected                     float64
		want                         evaluate.Reason
	}{
		{40, 40, 45, 1, evaluate.ReasonAnomaly},
		{4, 4, 20, 0.4, evaluate.ReasonFlood},        // four accounts
		{5, 5, 7, 0.4, evaluate.ReasonFewAuthors},    // not surprising as people
		{2, 2, 2, 0.0001, evaluate.ReasonFewAuthors}, // below MinAuthors
		{6, 6, 6, 0.2, evaluate.ReasonAnomaly},       // six people, once each
		{6, 6, 10, 0.2, evaluate.ReasonFewAuthors},   // four bots and two people
		{400, 380, 520, 20, evaluate.ReasonAnomaly},  // a large outage, some posting twice
		{12, 2, 12, 0.5, evaluate.ReasonFlood},       // a headline reposted by twelve accounts
		{12, 5, 12, 0.5, evaluate.ReasonFlood},       // twelve accounts, mostly copies of five texts
		{12, 9, 12, 0.5, evaluate.ReasonAnomaly},     // a few alike, surprising all the same
		{10, 9, 10, 1.27, evaluate.ReasonFewVoices},  // a few alike, on the bar: not yet, nor a flood
		{12, 0, 12, 0.5, evaluate.ReasonAnomaly},     // voices not known
	} {
		if got := p.Authors(tc.distinct, tc.voices, tc.complaints, tc.expected); got != tc.want {
			t.Errorf("Authors(%d, %d, %d, %v) = %v, want %v", tc.distinct, tc.voices, tc.complaints, tc.expected, got, tc.want)
		}
	}
	p.Without = evaluate.PartVoices
	if got := p.Authors(12, 2, 12, 0.5); got != evaluate.ReasonAnomaly {
		t.Errorf("without the voices check: %v, want an anomaly", got)
	}
}

// Three complaints a minute from different people, where one in ten minutes is
// usual, are an outage within three minutes (a regional one, or a small service's);
// at the same pace from the same three accounts they are not. Counts are regular,
// not random, so the figure is the detector's, not the draw's.
func TestSmallOutage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		bots   int64 // 0: every complaint from a new author
		within time.Duration
	}{{"people", 0, 3 * time.Minute}, {"three accounts", 3, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			p := evaluate.Params{}
			s := evaluate.NewSeries(p)
			start := time.Date(2022, 10, 25, 0, 0, 0, 0, time.UTC)
			onset := 360 * 6 // bucket of the outage's start
			authors := map[int64]bool{}
			var found time.Duration
			for b := 0; b < onset+60; b++ {
				at := start.Add(time.Duration(b) * 10 * time.Second)
				var c int64
				switch {
				case b >= onset && (b-onset)%2 == 0:
					c = 1 // three a minute
					a := int64(b)
					if tc.bots > 0 {
						a = int64(b/2) % tc.bots
					}
					authors[a] = true
				case b < onset && b%60 == 0:
					c = 1 // one in ten minutes
				}
				v := s.Step(at, counts.Counts{Complaints: c, Posts: c + 1, Authors: c})
				if b >= onset && v.Anomalous() && found == 0 {
					// As the monitor does: the whole window's distinct authors.
					if p.Authors(int64(len(authors)), int64(len(authors)), v.Window.Complaints, v.Expected) == evaluate.ReasonAnomaly {
						found = at.Add(10 * time.Second).Sub(start.Add(time.Duration(onset) * 10 * time.Second))
					}
				}
			}
			switch {
			case tc.within == 0 && found > 0:
				t.Errorf("an outage %s after the start, want none", found)
			case tc.within > 0 && (found == 0 || found > tc.within):
				t.Errorf("found %s after the start, want within %s", found, tc.within)
			}
		})
	}
}

// A few complaints a minute where a few an hour are usual are found by the
// 10-minute window, which the 2-minute window alone misses; the same series
// without it (PartMid) finds nothing. Counts are regular, not random, so
// no chance burst fills a 2-minute window.
func TestMidWindow(t *testing.T) {
	for _, tc := range []struct {
		name    string
		without evaluate.Part
		want    bool
		hold    bool // held, as in the cool-down after a resolution
		open    bool // an incident open
	}{{"with the 10 min window", 0, true, false, false}, {"without it", evaluate.PartMid, false, false, false},
		{"in the cool-down after a resolution", 0, true, true, false}, {"while an incident is open", 0, false, true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			s := evaluate.NewSeries(evaluate.Params{Without: tc.without})
			start := time.Date(2022, 10, 25, 0, 0, 0, 0, time.UTC)
			var found time.Duration
			for b := 0; b < 8*360; b++ {
				var c int64
				switch {
				case b >= 6*360 && b < 6*360+180 && b%4 == 0:
					c = 1 // 1.5 complaints a minute for 30 minutes
				case b%360 == 0:
					c = 1 // one an hour before
				}
				if b == 6*360 {
					s.Hold(tc.hold)
					s.Open(tc.open)
				}
				v := s.Step(start.Add(time.Duration(b)*10*time.Second), counts.Counts{Complaints: c, Posts: c + 1, Authors: c})
				if v.Anomalous() && found == 0 {
					found = time.Duration(b) * 10 * time.Second
				}
			}
			if got := found >= 6*time.Hour && found < 6*time.Hour+30*time.Minute; got != tc.want {
				t.Errorf("found at %s: during the outage %v, want %v", found, got, tc.want)
			}
		})
	}
}

// TestFloodIsNotNoise: a bot flood (many complaints from one account) is not
// learnt as the series' usual extreme; learnt, it raised the bar so far that an
// outage the next day went unseen.
func TestFloodIsNotNoise(t *testing.T) {
	s := evaluate.NewSeries(evaluate.Params{})
	start := time.Date(2022, 10, 25, 0, 0, 0, 0, time.UTC)
	day := 8640 // 10 s buckets
	var floods int
	found := false
	for b := 0; b < 3*day; b++ {
		c := counts.Counts{}
		switch {
		case b >= day+3000 && b < day+3090: // a flood: one account, 10 posts a bucket for 15 minutes
			c = counts.Counts{Complaints: 10, Posts: 10, Authors: 1}
		case b >= 2*day+3000 && b < 2*day+3180 && b%2 == 0: // the next day: 3 a minute for 30 minutes
			c = counts.Counts{Complaints: 1, Posts: 1, Authors: 1}
		case b%180 == 0: // one complaint every half hour otherwise
			c = counts.Counts{Complaints: 1, Posts: 2, Authors: 1}
		}
		v := s.Step(start.Add(time.Duration(b)*10*time.Second), c)
		if v.Flood() {
			floods++
		}
		if b >= 2*day+3000 && v.Anomalous() {
			found = true
		}
	}
	if floods == 0 {
		t.Fatal("the flood was not seen as one")
	}
	if !found {
		t.Error("the outage the day after a flood was not found")
	}
}

// Between sums the complaints and the expected complaints of the buckets of a stretch.
func TestBetween(t *testing.T) {
	s := evaluate.NewSeries(evaluate.Params{})
	start := time.Date(2022, 10, 25, 0, 0, 0, 0, time.UTC)
	var mu float64
	for b := range 100 {
		v := s.Step(start.Add(time.Duration(b)*10*time.Second), counts.Counts{Complaints: int64(b % 2), Posts: 1})
		if b >= 90 && b < 98 {
			mu += v.BucketExpected
		}
	}
	c, e := s.Between(start.Add(90*10*time.Second), start.Add(98*10*time.Second))
	if c != 4 || math.Abs(e-mu) > 1e-9 {
		t.Errorf("Between: %v complaints, %v expected; want 4 and %v", c, e, mu)
	}
}

// A start taken back before it was published (its authors or voices did not pass)
// never opened: the series, told of it, must not treat the stretch after it as the
// aftermath of an incident, where the 10-minute window takes only a clearly growing
// rise. A plateau of two complaints a minute, twelve minutes on when a start on it is
// taken back, is still an outage at the next look; after a real incident's end it is
// not (its halves are alike).
func TestRetractedLeavesNoAftermath(t *testing.T) {
	find := func(told string) time.Duration {
		s := evaluate.NewSeries(evaluate.Params{})
		start := time.Date(2022, 10, 25, 0, 0, 0, 0, time.UTC)
		onset, look := 360*6, 360*6+72
		for b := 0; b < onset+360; b++ {
			at := start.Add(time.Duration(b) * 10 * time.Second)
			var c int64
			switch {
			case b >= onset && b%3 == 0:
				c = 1 // two a minute
			case b < onset && b%60 == 0:
				c = 1 // one in ten minutes
			}
			if b == look-1 && told != "" {
				s.Open(true)
				if told == "retracted" {
					s.Retracted()
				} else {
					s.Open(false)
				}
			}
			if v := s.Step(at, counts.Counts{Complaints: c, Posts: c, Authors: c}); b >= look && v.Anomalous() {
				return at.Sub(start.Add(time.Duration(onset) * 10 * time.Second))
			}
		}
		return -1
	}
	none, retracted, closed := find(""), find("retracted"), find("closed")
	if none < 0 || retracted != none {
		t.Errorf("found after %v with a retracted start, %v without any; want the same", retracted, none)
	}
	if closed >= 0 && closed <= none {
		t.Errorf("found after %v after an incident's end, %v without; want later or never", closed, none)
	}
}

// The window's breakdowns are summed for the verdicts whose events report them
// (an anomaly starts an incident with the window's countries), and skipped for
// the rest, where they were most of a busy step's cost.
func TestWindowBreakdowns(t *testing.T) {
	s, at := warmSeries()
	v := s.Step(at, counts.Counts{Posts: 6, Complaints: 1, Authors: 1, Countries: map[string]int64{"IN": 1}})
	if v.Reason != evaluate.ReasonNormal || v.Window.Countries != nil || v.Window.Complaints == 0 {
		t.Fatalf("a normal bucket: reason %v, window %+v; want normal, totals without breakdowns", v.Reason, v.Window)
	}
	for _, c := range []map[string]int64{{"BR": 20, "PT": 20}, {"BR": 30}} {
		at = at.Add(10 * time.Second)
		v = s.Step(at, counts.Counts{Posts: 50, Complaints: 40, Authors: 40, Countries: c})
	}
	want := map[string]int64{"IN": 1, "BR": 50, "PT": 20}
	if v.Reason != evaluate.ReasonAnomaly || !maps.Equal(v.Window.Countries, want) {
		t.Fatalf("a burst: reason %v, window countries %v; want anomaly, %v", v.Reason, v.Window.Countries, want)
	}
}
