package evaluate_test

import (
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/evaluate"
)

// A clone stepped ahead leaves the original untouched: stepping both with the same
// buckets afterwards gives the same verdicts.
func TestCloneIsIndependent(t *testing.T) {
	start := time.Date(2022, 10, 25, 0, 0, 0, 0, time.UTC)
	s := evaluate.NewSeries(evaluate.Params{})
	for i := range 2000 {
		s.Step(start.Add(time.Duration(i)*10*time.Second), counts.Counts{Complaints: int64(i % 3), Posts: 20, Authors: int64(i % 3)})
	}
	at := start.Add(2000 * 10 * time.Second)
	c := s.Clone()
	burst := counts.Counts{Complaints: 80, Posts: 90, Authors: 80, Countries: map[string]int64{"IN": 80}}
	if v := c.Step(at, burst); !v.Anomalous() {
		t.Fatalf("clone: burst not anomalous: %v", v.Reason)
	}
	quiet := counts.Counts{Complaints: 1, Posts: 20, Authors: 1}
	a := s.Step(at, quiet)
	if a.Anomalous() || a.Window.Complaints >= 80 {
		t.Fatalf("original window has %d complaints: the clone's burst leaked", a.Window.Complaints)
	}
}

// A gap of years costs nothing and teaches nothing: the baseline learnt before it is
// the baseline after it, the windows start empty, and a burst right after the gap is
// judged against that baseline as it would have been after a gap of hours.
func TestGapKeepsTheBaseline(t *testing.T) {
	t0 := time.Date(2016, 3, 1, 0, 0, 0, 0, time.UTC)
	steady := func(s *evaluate.Series, from time.Time, n int) time.Time {
		for i := range n {
			s.Step(from, counts.Counts{Posts: 8, Complaints: int64(1 + i%3), Authors: int64(1 + i%3)})
			from = from.Add(10 * time.Second)
		}
		return from
	}
	s := evaluate.NewSeries(evaluate.Params{})
	next := steady(s, t0, 2*8640) // two days
	ref := s.Clone()
	// Seven hours on, and the same time of day and weekday ten years on (2026-03-01
	// is a Sunday, as was 2016-03-06): the seasonal profile gives the same factor.
	soon := next.Add(7 * time.Hour)
	later := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(soon.Sub(time.Date(2016, 3, 6, 0, 0, 0, 0, time.UTC)) % (24 * time.Hour))
	s.Gap(later)
	ref.Gap(soon)
	burst := counts.Counts{Posts: 60, Complaints: 50, Authors: 50}
	got, want := s.Step(later, burst), ref.Step(soon, burst)
	if got.Window.Complaints != 50 || !got.WindowStart.Equal(later) {
		t.Errorf("window after the gap: %d complaints from %s, want the new bucket's 50 from %s", got.Window.Complaints, got.WindowStart, later)
	}
	if math.Abs(got.Expected-want.Expected) > 0.05*want.Expected || got.Reason != want.Reason {
		t.Errorf("after ten years: expected %.3f (%s), after seven hours %.3f (%s)", got.Expected, got.Reason, want.Expected, want.Reason)
	}
	// A gap to the next bucket changes nothing.
	a, b := ref.Clone(), ref.Clone()
	at := soon.Add(10 * time.Second)
	a.Gap(at)
	if va, vb := a.Step(at, burst), b.Step(at, burst); va.Expected != vb.Expected || va.Window.Complaints != vb.Window.Complaints {
		t.Errorf("a gap to the next bucket changed the verdict: %+v, want %+v", va, vb)
	}
}

// Try gives the verdict a clone stepped over the same buckets gives, and leaves the
// series exactly as it was: after 3,000 buckets (its arrays have wrapped around), a
// look over open buckets with a gap, quiet and then a burst, at several points.
func TestTryLeavesTheSeriesAsItWas(t *testing.T) {
	// Series with no history, with less than their arrays hold (the steps of a look
	// grow them), and with more.
	for _, history := range []int{0, 40, 64, 3000} {
		t.Run(fmt.Sprint(history, " buckets"), func(t *testing.T) { tryLooks(t, history) })
	}
}

func tryLooks(t *testing.T, history int) {
	start := time.Date(2022, 10, 25, 0, 0, 0, 0, time.UTC)
	s := evaluate.NewSeries(evaluate.Params{})
	at := start
	for i := range history {
		s.Step(at, counts.Counts{Complaints: int64(i % 4), Posts: 20 + int64(i%7), Authors: int64(i % 4),
			Countries: map[string]int64{"IN": int64(i % 4)}})
		at = at.Add(10 * time.Second)
	}
	// A look whose first bucket comes a week after the last one stepped: Step fills
	// the gap bucket by bucket, more than the series' arrays hold.
	gap := make([]counts.Counts, 7*24*360)
	gap[len(gap)-1] = counts.Counts{Posts: 2, Complaints: 1, Authors: 1}
	looks := [][]counts.Counts{
		gap,
		{{Posts: 3, Complaints: 1, Authors: 1}, {}, {Posts: 2}},
		{{Posts: 1}, {Complaints: 90, Posts: 95, Authors: 90, Countries: map[string]int64{"BR": 90}}, {Complaints: 5}},
	}
	for round := range 3 {
		for i, open := range looks {
			ref := s.Clone()
			c := s.Clone()
			var want evaluate.Verdict
			for j, b := range open {
				// The look starts a bucket after a gap: Step fills it with empty buckets.
				if want = c.Step(at.Add(time.Duration(j+1)*10*time.Second), b); want.Anomalous() {
					break
				}
			}
			got := s.Try(at.Add(10*time.Second), open)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round %d look %d: Try = %+v, a clone stepped gives %+v", round, i, got, want)
			}
			if !reflect.DeepEqual(s, ref) {
				t.Fatalf("round %d look %d: the series changed under Try", round, i)
			}
			if i == 2 && history > 2160 && !want.Anomalous() { // young series are still warming up
				t.Errorf("round %d: the burst is not anomalous: the test looks at nothing", round)
			}
		}
		for range 50 {
			s.Step(at, counts.Counts{Complaints: 1, Posts: 20, Authors: 1})
			at = at.Add(10 * time.Second)
		}
	}
}
