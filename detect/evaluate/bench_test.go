package evaluate_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/evaluate"
)

// warmSeries is a series after a day of 10 s buckets with a few complaints in most.
func warmSeries() (*evaluate.Series, time.Time) {
	s := evaluate.NewSeries(evaluate.Params{})
	at := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for i := range 8640 {
		s.Step(at, counts.Counts{Posts: int64(5 + i%7), Complaints: int64(i % 3), Authors: int64(i % 3)})
		at = at.Add(10 * time.Second)
	}
	return s, at
}

// BenchmarkStepEmpty is one empty bucket of a warm series: what a service that
// slept pays for each bucket it slept through when it is mentioned again
// (Monitor.catchUp), and every awake service for each quiet bucket.
func BenchmarkStepEmpty(b *testing.B) {
	s, at := warmSeries()
	b.ReportAllocs()
	for b.Loop() {
		s.Step(at, counts.Counts{})
		at = at.Add(10 * time.Second)
	}
}

// BenchmarkStep is one bucket with posts and complaints of a warm series.
func BenchmarkStep(b *testing.B) {
	s, at := warmSeries()
	c := counts.Counts{Posts: 9, Complaints: 2, Authors: 2, Countries: map[string]int64{"IN": 2}}
	b.ReportAllocs()
	for b.Loop() {
		s.Step(at, c)
		at = at.Add(10 * time.Second)
	}
}

// BenchmarkWarmSeriesMemory reports the live heap of one warm series (a day of
// buckets stepped): what each service mentioned costs Outcry's memory, as
// "KB/series". Most of it is the longest window's arrays (6 h of buckets) and the
// noise observations waiting to be learnt (2 h of each fast scale, 6 h of the trend).
func BenchmarkWarmSeriesMemory(b *testing.B) {
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		const n = 20
		ss := make([]*evaluate.Series, n)
		for i := range ss {
			ss[i], _ = warmSeries()
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n/1024, "KB/series")
		runtime.KeepAlive(ss)
	}
}
