package evaluate_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/detectors/evaluate"
	"github.com/outcry-dev/outcry/detectors/window"
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
		v := s.Step(at, window.Counts{Complaints: c, Posts: p, Authors: c})
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
