package monitor_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/monitor"
	"github.com/outcry-dev/outcry/store"
)

// A look at the open buckets that comes late (a batch holding minutes of posts, as
// in a catch-up or a replay) starts the incident at the first bucket that showed the
// outage, not at the newest one it read.
func TestSpeculationDatesTheStart(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, "spec")
	start := time.Date(2026, 1, 21, 6, 0, 0, 0, time.UTC)
	onset := start.Add(3 * time.Hour)
	b := counts.NewBatch(10 * time.Second)
	b.Firsts[0] = start.UnixMilli()
	offset := int64(0)
	post := func(at time.Time) {
		b.Offset(0, offset)
		offset++
		b.Hours[at.Truncate(time.Hour).Unix()] = true
		b.Watermarks[0] = at.UnixMilli()
	}
	for m := 0; m < 3*60; m++ { // three quiet hours: a mention a minute
		at := start.Add(time.Duration(m) * time.Minute)
		post(at)
		b.Mention("x", at)
	}
	last := onset.Add(100 * time.Second)
	for at := onset; at.Before(last); at = at.Add(time.Second) { // then 600 complaints a minute
		for i := range 10 {
			post(at)
			author := fmt.Sprintf("u%d-%d", at.Unix(), i)
			b.Complain("x", at, counts.Complaint{Author: author, PostID: fmt.Sprint(offset)})
		}
	}
	if err := st.Apply(ctx, "g", "posts", b, store.Stored{}); err != nil {
		t.Fatal(err)
	}
	pub := &recordingPublisher{}
	m, err := monitor.New(monitor.Config{Services: []string{"x"}, Group: "g", Topic: "posts", Instance: "a",
		Now: func() time.Time { return last }},
		monitor.Deps{Reader: st, Claimer: st, Coordinator: st, Hours: st, Trimmer: st, Activity: st, Publisher: pub},
		zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	m.Recent(b)
	if err := m.Tick(ctx); err != nil { // closes the buckets 2 minutes (the lateness) behind the newest post
		t.Fatal(err)
	}
	if c := m.Closed(); !c.Before(onset) {
		t.Fatalf("buckets closed up to %s, past the onset %s: nothing left to speculate on", c, onset)
	}
	for _, e := range pub.events {
		if e.Type != incident.TypeStarted {
			continue
		}
		if d := e.Data.Window.End.Sub(onset); d > 30*time.Second {
			t.Errorf("started with a window ending %s after the onset, want the first buckets (the look read %s)", d, last.Sub(onset))
		}
		return
	}
	t.Fatalf("events %v, want a start on the open buckets", pub.events)
}
