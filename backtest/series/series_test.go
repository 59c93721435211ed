package series_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/backtest/series"
	"github.com/outcry-dev/outcry/detect/incident"
)

func TestRead(t *testing.T) {
	in := "timestamp,value\n2015-02-26 21:42:53,104\n2015-02-26 21:47:53,100\n2015-02-26 21:57:53,7\n"
	s, err := series.Read(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Points) != 3 || s.Interval != 5*time.Minute || s.Points[2].V != 7 {
		t.Fatalf("%+v", s)
	}
	for _, bad := range []string{"timestamp,value\n", "t,v\n2015-02-26 21:42:53,x\n2015-02-26 21:47:53,1\n", "t,v\n2015-02-26 21:42:53,-1\n2015-02-26 21:47:53,1\n"} {
		if _, err := series.Read(strings.NewReader(bad)); err == nil {
			t.Errorf("Read(%q): want an error", bad)
		}
	}
}

// synth writes a series of 5-minute counts with a daily cycle and Poisson-like noise,
// and a spike of the given size at row spikeAt (none when spike is 0).
func synth(rows, spikeAt int, spike float64) string {
	r := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	t0 := time.Date(2015, 3, 2, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		at := t0.Add(time.Duration(i) * 5 * time.Minute)
		mean := 40 + 25*math.Sin(2*math.Pi*float64(at.Hour()*60+at.Minute())/1440)
		v := mean + r.NormFloat64()*math.Sqrt(mean)*1.5
		if spike > 0 && i >= spikeAt && i < spikeAt+6 {
			v += spike
		}
		fmt.Fprintf(&b, "%s,%d\n", at.Format("2006-01-02 15:04:05"), int(math.Max(0, math.Round(v))))
	}
	return b.String()
}

func TestRunSpike(t *testing.T) {
	rows := 12 * 24 * 10 // ten days
	for _, tt := range []struct {
		name  string
		spike float64
		want  int
	}{{"quiet", 0, 0}, {"spike", 600, 1}} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := series.Read(strings.NewReader(synth(rows, rows-200, tt.spike)))
			if err != nil {
				t.Fatal(err)
			}
			res := series.Run("svc", s, series.Options{})
			// The first day is a cold start on priors (NAB's probation; live, Seed).
			for len(res.Detections) > 0 && res.Detections[0] < 288 {
				res.Detections = res.Detections[1:]
				res.Events = res.Events[2:]
			}
			if len(res.Detections) != tt.want {
				t.Fatalf("%d detections at rows %v, want %d", len(res.Detections), res.Detections, tt.want)
			}
			if tt.want == 0 {
				return
			}
			if d := res.Detections[0]; d != rows-200 {
				t.Errorf("detected at row %d, want %d", d, rows-200)
			}
			rowsAt := series.DetectionRows(s.Times(), s.Interval, res.Events)
			if len(rowsAt) != 1 || rowsAt[0] != res.Detections[0] {
				t.Errorf("DetectionRows %v, want %v", rowsAt, res.Detections)
			}
			e := res.Events[0]
			if e.Type != incident.TypeStarted || e.Data.Service != "svc" ||
				!e.Data.DetectedAt.Equal(s.Points[rows-200].T.Add(5*time.Minute)) {
				t.Errorf("started event %+v", e)
			}
		})
	}
}
