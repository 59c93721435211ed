package evaluate

import (
	"testing"
	"time"

	"github.com/outcry-dev/outcry/counts"
)

// TestHalves: the medium window sets aside a rise whose newer half is clearly the
// smaller (the tail of an outage), not a plateau's chance dip; in the hour after an
// incident it takes only a rise whose newer half is clearly the larger (the
// stragglers of a large outage waver; a new outage grows).
func TestHalves(t *testing.T) {
	for _, tc := range []struct {
		name          string
		older, newer  int // complaints in the older and newer five minutes
		after         bool
		falling, sets bool
	}{
		{"plateau, newer a little smaller", 8, 6, false, false, false},
		{"plateau, halves equal", 7, 7, false, false, false},
		{"tail, newer far smaller", 10, 2, false, true, true},
		{"few complaints, newer smaller", 3, 0, false, false, false},
		{"after an incident, newer a little smaller", 8, 6, true, false, true},
		{"after an incident, newer a little larger", 6, 8, true, false, true},
		{"after an incident, rising", 2, 12, true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSeries(Params{})
			start := time.Date(2022, 10, 25, 0, 0, 0, 0, time.UTC)
			n := s.scales[1].n
			for b := range n {
				c := int64(0)
				switch k := b % (n / 2); {
				case b < n/2 && k < tc.older, b >= n/2 && k < tc.newer:
					c = 1
				}
				if tc.after && b == 1 {
					s.Open(true)
					s.Step(start.Add(time.Duration(b)*10*time.Second), counts.Counts{Complaints: c})
					s.Open(false)
					continue
				}
				s.Step(start.Add(time.Duration(b)*10*time.Second), counts.Counts{Complaints: c})
			}
			p := s.wrap(s.pos - 1)
			if got := falling(s.halves(p, n)); got != tc.falling {
				t.Errorf("falling %v, want %v", got, tc.falling)
			}
			last := start.Add(time.Duration(n-1) * 10 * time.Second)
			if got := s.fading(p, n, last); got != tc.sets {
				t.Errorf("set aside %v, want %v", got, tc.sets)
			}
		})
	}
}
