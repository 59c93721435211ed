package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/detectors/match"
	"github.com/outcry-dev/outcry/scenario/suite"
	"github.com/outcry-dev/outcry/scenario/suitetext"
)

func TestZZDebug(t *testing.T) {
	s := suite.All(suitetext.Tuning)[0]
	o := s.Outages[0]
	fmt.Println(o.Service, o.Related, o.Onset, o.Duration, o.PeakMin, s.Loads)
	m := match.NewMatcher(nil)
	type cnt struct{ c, me, r int }
	per := map[int]*cnt{}
	var ms []match.Match
	suite.Generate(s, func(p suite.Post) error {
		d := p.At.Sub(o.Onset)
		if d < -30*time.Minute || d > 60*time.Minute {
			return nil
		}
		ms = m.Match(ms[:0], p.Text)
		for _, mt := range ms {
			if mt.Service != "instagram" {
				continue
			}
			k := int(d.Minutes()) / 5
			if per[k] == nil {
				per[k] = &cnt{}
			}
			switch mt.Kind {
			case match.Outage:
				per[k].c++
			case match.Recovery:
				per[k].r++
			default:
				per[k].me++
			}
		}
		return nil
	})
	for k := -6; k < 12; k++ {
		if c := per[k]; c != nil {
			fmt.Printf("%+4d min: complaints %d mentions %d recoveries %d\n", k*5, c.c, c.me, c.r)
		}
	}
}
