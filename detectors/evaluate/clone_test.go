package evaluate_test

import (
	"testing"
	"time"

	"github.com/outcry-dev/outcry/detectors/evaluate"
	"github.com/outcry-dev/outcry/detectors/window"
)

// A clone stepped ahead leaves the original untouched: stepping both with the same
// buckets afterwards gives the same verdicts.
func TestCloneIsIndependent(t *testing.T) {
	start := time.Date(2022, 10, 25, 0, 0, 0, 0, time.UTC)
	s := evaluate.NewSeries(evaluate.Params{})
	for i := range 2000 {
		s.Step(start.Add(time.Duration(i)*10*time.Second), window.Counts{Complaints: int64(i % 3), Posts: 20, Authors: int64(i % 3)})
	}
	at := start.Add(2000 * 10 * time.Second)
	c := s.Clone()
	burst := window.Counts{Complaints: 80, Posts: 90, Authors: 80, Countries: map[string]int64{"IN": 80}}
	if v := c.Step(at, burst); !v.Anomalous() {
		t.Fatalf("clone: burst not anomalous: %v", v.Reason)
	}
	quiet := window.Counts{Complaints: 1, Posts: 20, Authors: 1}
	a := s.Step(at, quiet)
	if a.Anomalous() || a.Window.Complaints >= 80 {
		t.Fatalf("original window has %d complaints: the clone's burst leaked", a.Window.Complaints)
	}
}
