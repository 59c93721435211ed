package monitor_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/monitor"
	"github.com/outcry-dev/outcry/store"
)

type recordingPublisher struct{ events []incident.Event }

// newStore returns a store on a fresh redis-server, its scripts loaded.
func newStore(t *testing.T, prefix string) *store.Store {
	t.Helper()
	st := store.New(testenv.RedisClient(t, testenv.Redis(t).Addr), store.Options{Prefix: prefix})
	if err := st.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// catchUp runs a monitor of service over what st holds: one step to just after
// start, then one catch-up to until. It returns the types of the events published.
func catchUp(t *testing.T, st *store.Store, service string, start, until time.Time) []string {
	t.Helper()
	ctx := context.Background()
	pub := &recordingPublisher{}
	m, err := monitor.New(monitor.Config{Services: []string{service}, Group: "g", Topic: "posts"},
		monitor.Deps{Reader: st, Claimer: st, Coordinator: st, Hours: st, Trimmer: st, Activity: st, Publisher: pub},
		zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Advance(ctx, start.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := m.Advance(ctx, until); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range pub.events {
		types = append(types, e.Type)
	}
	return types
}

func (p *recordingPublisher) Publish(_ context.Context, evs []incident.Event) error {
	p.events = append(p.events, evs...)
	return nil
}

// A bot flood met in a long catch-up (a replay, an instance back after hours) is
// judged on its authors like one met live: its window's buckets are still there
// when its start is checked, though the catch-up goes on for hours past them (and
// trims what it has gone past), so four accounts do not pass for people.
func TestCatchUpFloodIsRetracted(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, "catchup")
	start := time.Date(2026, 1, 21, 6, 0, 0, 0, time.UTC)
	stored := store.Stored{}
	offset := int64(0)
	b := counts.NewBatch(10 * time.Second)
	add := func(at time.Time, complain bool, author string) {
		b.Offset(0, offset)
		offset++
		if complain {
			b.Complain("spotify", at, counts.Complaint{Author: author, PostID: fmt.Sprint(offset)})
		} else {
			b.Mention("spotify", at)
		}
		b.Hours[at.Truncate(time.Hour).Unix()] = true
	}
	for m := 0; m < 12*60; m++ {
		at := start.Add(time.Duration(m) * time.Minute)
		add(at, false, "")
		if m >= 120 && m < 160 { // a flood: 4 accounts, 30 complaints a minute
			for i := range 30 {
				add(at.Add(time.Duration(i)*2*time.Second), true, fmt.Sprintf("bot%d", i%4))
			}
		}
	}
	if err := st.Apply(ctx, "g", "posts", b, stored); err != nil {
		t.Fatal(err)
	}
	types := catchUp(t, st, "spotify", start, start.Add(12*time.Hour))
	if len(types) == 0 || types[0] != incident.TypeFloodSuspected {
		t.Errorf("events %v, want a flood suspected and no incident", types)
	}
	for _, ty := range types {
		if ty == incident.TypeStarted {
			t.Errorf("events %v: the flood started an incident", types)
		}
	}
}
