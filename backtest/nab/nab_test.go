package nab_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/backtest/nab"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestScaledSigmoid(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{-1, 0.9866142981514305}, {0, 0}, {3.5, -1},
	} {
		if got := nab.ScaledSigmoid(c.x); !near(got, c.want) {
			t.Errorf("ScaledSigmoid(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

func TestProbationaryRows(t *testing.T) {
	for n, want := range map[int]int{20: 3, 1000: 150, 15902: 750} {
		if got := nab.ProbationaryRows(n); got != want {
			t.Errorf("ProbationaryRows(%d) = %d, want %d", n, got, want)
		}
	}
}

// A hand-computed file: 20 one-minute rows, probation 3 rows, one window on rows 8–11
// (width 4). Detections: row 1 (probationary, ignored), row 5 (before any window: a
// full false positive, −1·fp), row 9 (in the window at position −(11−9+1)/4 = −0.75:
// scaledSigmoid(−0.75) = 0.9540…), row 10 (a later detection in the same window:
// ignored), row 14 (after the window: |11−14|/(4−1) = 1 → scaledSigmoid(1) = −0.9866…).
func TestScoreHandComputed(t *testing.T) {
	t0 := time.Date(2015, 3, 1, 0, 0, 0, 0, time.UTC)
	var times []time.Time
	for i := range 20 {
		times = append(times, t0.Add(time.Duration(i)*time.Minute))
	}
	ws := []nab.Window{{Start: times[8], End: times[11]}}
	det := []int{1, 5, 9, 10, 14}
	tests := []struct {
		p         nab.Profile
		raw, norm float64
	}{
		{nab.Standard, 0.7355176873832914, 86.77588436916457},
		{nab.RewardLowFP, 0.516990114586634, 75.8495057293317},
		{nab.RewardLowFN, 0.7355176873832914, 91.18392291277638},
	}
	for _, tt := range tests {
		r := nab.Score(times, det, ws, tt.p)
		if !near(r.Raw, tt.raw) || !near(r.Normalized(), tt.norm) || r.TP != 1 || r.FP != 2 || r.FN != 0 {
			t.Errorf("%s: raw %v norm %v (tp %d fp %d fn %d), want raw %v norm %v (1, 2, 0)",
				tt.p.Name, r.Raw, r.Normalized(), r.TP, r.FP, r.FN, tt.raw, tt.norm)
		}
	}
	// No detections scores 0, a detection on each window's first row ≈ 98.7 (NAB's
	// perfect is tpWeight per window).
	if r := nab.Score(times, nil, ws, nab.Standard); r.Normalized() != 0 || r.FN != 1 {
		t.Errorf("null: %+v", r)
	}
	if r := nab.Score(times, []int{8}, ws, nab.Standard); !near(r.Normalized(), 100*(0.9866142981514305+1)/2) {
		t.Errorf("perfect: %v", r.Normalized())
	}
}

func TestReadLabels(t *testing.T) {
	l, err := nab.ReadLabels(strings.NewReader(`{"realTweets/Twitter_volume_FB.csv": [["2015-03-14 22:12:53.000000", "2015-03-17 16:02:53.000000"]]}`))
	if err != nil {
		t.Fatal(err)
	}
	ws, ok := l.For("/data/nab/Twitter_volume_FB.csv")
	if !ok || len(ws) != 1 || ws[0].Start != time.Date(2015, 3, 14, 22, 12, 53, 0, time.UTC) {
		t.Fatalf("windows %v %v", ws, ok)
	}
	if _, ok := l.For("Twitter_volume_FB"); !ok {
		t.Error("match without extension")
	}
	if _, err := nab.ReadLabels(strings.NewReader(`{"x.csv": [["2015-03-14"]]}`)); err == nil {
		t.Error("want an error for a window without an end")
	}
}
