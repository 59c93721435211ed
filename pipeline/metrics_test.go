package pipeline

import (
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/counts"
	"github.com/prometheus/client_golang/prometheus"
)

// Readiness says why it is missing: an operation being retried, a Kafka reader that
// reports failures (it retries by itself, so fetches only block), a dead-letter topic
// that refuses writes. The outcry_ready gauge follows.
func TestReadiness(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return now }
	ready := func() float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "outcry_ready" {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatal("no outcry_ready")
		return 0
	}
	steps := []struct {
		name string
		do   func()
		want int // reasons not to be ready
	}{
		{"fresh", func() {}, 0},
		{"Redis retried", func() { m.failed("store batch", errors.New("connection refused")) }, 1},
		{"and the reader fails", func() { m.ReaderFailed("failed to dial: connection refused") }, 2},
		{"Redis back", func() { m.failed("store batch", nil) }, 1},
		{"the reader fails for a while", func() { now = now.Add(5 * time.Second); m.ReaderFailed("failed to dial") }, 1},
		{"a message comes", func() { now = now.Add(time.Second); m.fetched() }, 0},
		{"the reader fails again", func() { m.ReaderFailed("failed to dial") }, 1},
		{"then is quiet on an idle topic", func() { now = now.Add(readerQuiet) }, 0},
		{"the dead-letter topic refuses", func() { m.deadLettersUnwritable(3, "message_too_large") }, 1},
		{"and takes dead letters again", func() { m.deadLettersWritten() }, 0},
	}
	for _, s := range steps {
		s.do()
		got := m.NotReady()
		if len(got) != s.want || m.Ready() != (s.want == 0) || (ready() == 1) != (s.want == 0) {
			t.Fatalf("%s: not ready because %q (gauge %v), want %d reasons", s.name, got, ready(), s.want)
		}
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "outcry_dead_letters_unwritable_total" {
			if n := mf.GetMetric()[0].GetCounter().GetValue(); n != 3 {
				t.Errorf("dead letters unwritable: %v, want 3", n)
			}
		}
	}
}

// With more services than TrackServices allows, the first of the rules keep series
// of their own in outcry_posts_matched_total and the rest are summed under
// OtherServices; new rules move services in and out.
func TestMatchedServicesCapped(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	batch := func(svcs ...string) *counts.Batch {
		b := &counts.Batch{Buckets: map[counts.Key]*counts.Delta{}}
		for i, s := range svcs {
			b.Buckets[counts.Key{Service: s, Bucket: int64(i)}] = &counts.Delta{Counts: counts.Counts{Posts: 3, Complaints: 2}}
		}
		return b
	}
	outages := func() map[string]float64 {
		got := map[string]float64{}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != "outcry_posts_matched_total" {
				continue
			}
			for _, mt := range mf.GetMetric() {
				l := map[string]string{}
				for _, lp := range mt.GetLabel() {
					l[lp.GetName()] = lp.GetValue()
				}
				if l["kind"] == "outage" {
					got[l["service"]] = mt.GetCounter().GetValue()
				}
			}
		}
		return got
	}
	m.TrackServices([]string{"whatsapp", "x", "zoom", "steam"}, 2)
	m.observeBatch(batch("whatsapp", "x", "zoom", "steam"))
	if got, want := outages(), map[string]float64{"whatsapp": 2, "x": 2, OtherServices: 4}; !maps.Equal(got, want) {
		t.Fatalf("two of four tracked: outages %v, want %v", got, want)
	}
	m.TrackServices([]string{"steam", "whatsapp", "x", "zoom"}, 2) // new rules
	m.observeBatch(batch("steam", "x"))
	if got, want := outages(), map[string]float64{"whatsapp": 2, "x": 2, "steam": 2, OtherServices: 6}; !maps.Equal(got, want) {
		t.Fatalf("after new rules: outages %v, want %v", got, want)
	}
	m.TrackServices([]string{"steam", "whatsapp", "x", "zoom"}, 4)
	m.observeBatch(batch("zoom"))
	if got := outages()["zoom"]; got != 2 {
		t.Fatalf("every service tracked: zoom %v, want 2", got)
	}
}
