package series_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/backtest/nab"
	"github.com/outcry-dev/outcry/backtest/series"
	"github.com/outcry-dev/outcry/detect/evaluate"
)

// labelled is a week of 5-minute Poisson counts around 30 with one labelled tripling
// for two hours.
func labelled(seed uint64) series.Labelled {
	r := rand.New(rand.NewPCG(seed, 9))
	start := time.Date(2015, 3, 1, 0, 0, 0, 0, time.UTC)
	at := start.Add(time.Duration(4*24+int(seed)*5) * time.Hour)
	var s series.Series
	s.Interval = 5 * time.Minute
	for t := start; t.Before(start.Add(7 * 24 * time.Hour)); t = t.Add(s.Interval) {
		mean := 30.0
		if !t.Before(at) && t.Before(at.Add(2*time.Hour)) {
			mean = 90
		}
		// Poisson by inversion (means this small).
		k, p, u := 0, math.Exp(-mean), r.Float64()
		for c := p; u > c; c += p {
			k++
			p *= mean / float64(k)
		}
		s.Points = append(s.Points, series.Point{T: t, V: float64(k)})
	}
	return series.Labelled{Name: "s", Series: s, Windows: []nab.Window{{Start: at.Add(-time.Hour), End: at.Add(time.Hour)}}}
}

// TestLeaveOneOut: each file is scored with the candidate chosen on the others, and a
// candidate that never alerts is never chosen.
func TestLeaveOneOut(t *testing.T) {
	files := []series.Labelled{labelled(1), labelled(2), labelled(3)}
	cands := []series.Candidate{
		{Name: "deaf", Options: series.Options{Evaluate: evaluate.Params{MinScore: 180, TrendScore: 180}}},
		{Name: "defaults"},
	}
	folds, inSample := series.LeaveOneOut(files, cands)
	if len(folds) != 3 || len(inSample) != 2 {
		t.Fatalf("%d folds, %d in-sample scores", len(folds), len(inSample))
	}
	if inSample[1] <= inSample[0] {
		t.Errorf("in-sample: defaults %.2f, deaf %.2f", inSample[1], inSample[0])
	}
	for _, f := range folds {
		if f.Chosen != 1 || f.Standard <= 50 {
			t.Errorf("fold %+v: want the defaults chosen and the held-out file found", f)
		}
	}
}
