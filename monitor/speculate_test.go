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
	m.Stored(b)
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

// A look reads again only the open buckets this instance stored to since the last
// one, and a look with nothing new reads nothing: complaints added to buckets read
// before are seen (the start comes at the look after them), and a quiet service
// whose open buckets did not change costs no read.
func TestSpeculationReadsWhatChanged(t *testing.T) {
	ctx := context.Background()
	cs := &countingStore{Store: newStore(t, "specread")}
	start := time.Date(2026, 1, 21, 6, 0, 0, 0, time.UTC)
	onset := start.Add(3 * time.Hour)
	offset := int64(0)
	newBatch := func() *counts.Batch {
		b := counts.NewBatch(10 * time.Second)
		b.Firsts[0] = start.UnixMilli()
		return b
	}
	post := func(b *counts.Batch, at time.Time) {
		b.Offset(0, offset)
		offset++
		b.Hours[at.Truncate(time.Hour).Unix()] = true
		b.Watermarks[0] = max(b.Watermarks[0], at.UnixMilli())
	}
	complain := func(b *counts.Batch, svc string, at time.Time) {
		post(b, at)
		b.Complain(svc, at, counts.Complaint{Author: fmt.Sprint("u", offset), PostID: fmt.Sprint(offset)})
	}
	// Three hours with a complaint about each service every other minute, then,
	// in buckets still open, one complaint in each of four buckets: enough to look,
	// not an outage.
	b := newBatch()
	for m := 0; m < 3*60; m += 2 {
		complain(b, "x", start.Add(time.Duration(m)*time.Minute))
		complain(b, "y", start.Add(time.Duration(m)*time.Minute))
	}
	for i := range 4 {
		complain(b, "x", onset.Add(time.Duration(i)*10*time.Second))
		complain(b, "y", onset.Add(time.Duration(i)*10*time.Second))
	}
	now := onset.Add(40 * time.Second)
	pub := &recordingPublisher{}
	m, err := monitor.New(monitor.Config{Services: []string{"x", "y"}, Group: "g", Topic: "posts", Instance: "a",
		Now: func() time.Time { return now }},
		monitor.Deps{Reader: cs, Claimer: cs, Coordinator: cs, Hours: cs, Trimmer: cs, Activity: cs, Publisher: pub},
		zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	apply := func(b *counts.Batch) {
		t.Helper()
		if err := cs.Apply(ctx, "g", "posts", b, store.Stored{}); err != nil {
			t.Fatal(err)
		}
		m.Stored(b)
	}
	started := func() bool {
		for _, e := range pub.events {
			if e.Type == incident.TypeStarted && e.Data.Service == "x" {
				return true
			}
		}
		return false
	}
	apply(b)
	if err := m.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if started() {
		t.Fatalf("a start on four complaints in four buckets: the test needs a first look that does not fire")
	}
	// Forty more complaints about x in the buckets the first look read.
	b = newBatch()
	for i := range 40 {
		complain(b, "x", onset.Add(time.Duration(i%4)*10*time.Second+time.Second))
	}
	apply(b)
	now = now.Add(time.Second)
	if err := m.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if !started() {
		t.Fatalf("no start after 40 complaints added to buckets read before (events %v)", pub.events)
	}
	// Nothing new: y's open buckets are as the last look read them.
	reads := cs.reads
	now = now.Add(time.Second)
	if err := m.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if cs.reads != reads {
		t.Errorf("a look with nothing new read the store %d times, want 0", cs.reads-reads)
	}
}
