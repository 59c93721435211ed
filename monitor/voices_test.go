package monitor_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/store"
)

// A headline reposted by many accounts, each once, is one voice: its voices, counted
// in Redis beside its authors, hold the start back. The same rise in people's own
// words starts an incident.
func TestCopiedTextIsOneVoice(t *testing.T) {
	for _, tc := range []struct {
		name   string
		copied bool
		want   string
	}{
		{"people's own words", false, incident.TypeStarted},
		{"one headline reposted", true, incident.TypeFloodSuspected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := newStore(t, "voices")
			start := time.Date(2026, 1, 21, 6, 0, 0, 0, time.UTC)
			b := counts.NewBatch(10 * time.Second)
			offset := int64(0)
			for m := 0; m < 4*60; m++ {
				at := start.Add(time.Duration(m) * time.Minute)
				b.Offset(0, offset)
				offset++
				b.Mention("x", at)
				b.Hours[at.Truncate(time.Hour).Unix()] = true
				if m >= 180 && m < 200 { // 20 minutes of 4 posts a minute, each by a new account
					for i := range 4 {
						author := fmt.Sprintf("u%d-%d", m, i)
						wording := uint64(m*10 + i + 1) // each in their own words
						if tc.copied {
							wording = 0x5eed // "BREAKING: X is down for millions of users worldwide"
						}
						b.Offset(0, offset)
						offset++
						b.Complain("x", at.Add(time.Duration(i)*15*time.Second), counts.Complaint{
							Author: author, PostID: fmt.Sprint(offset), Voice: counts.Voice(author, wording),
						})
					}
				}
			}
			if err := st.Apply(ctx, "g", "posts", b, store.Stored{}); err != nil {
				t.Fatal(err)
			}
			types := catchUp(t, st, "x", start, start.Add(4*time.Hour))
			if len(types) == 0 || types[0] != tc.want {
				t.Errorf("events %v, want %s first", types, tc.want)
			}
			for _, ty := range types {
				if tc.copied && ty == incident.TypeStarted {
					t.Errorf("events %v: copies of one text started an incident", types)
				}
			}
		})
	}
}

// A start is judged before the next bucket is stepped, in a catch-up too (one read
// of an hour of buckets): a flood taken back at 09:10 does not carry the buckets
// after it as its incident's, so the outage that follows it at 09:20, in the same
// hour, starts an incident of its own, as it would live and in the backtest's
// in-memory runner.
func TestRetractedStartLeavesTheHourOpen(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, "retracthour")
	start := time.Date(2026, 1, 21, 6, 0, 0, 0, time.UTC)
	b := counts.NewBatch(10 * time.Second)
	offset := int64(0)
	complain := func(at time.Time, author string, wording uint64) {
		b.Offset(0, offset)
		offset++
		b.Complain("x", at, counts.Complaint{Author: author, PostID: fmt.Sprint(offset), Voice: counts.Voice(author, wording)})
	}
	for m := 0; m < 5*60; m++ {
		at := start.Add(time.Duration(m) * time.Minute)
		b.Offset(0, offset)
		offset++
		b.Mention("x", at)
		b.Hours[at.Truncate(time.Hour).Unix()] = true
		for i := range 4 {
			author := fmt.Sprintf("u%d-%d", m, i)
			at := at.Add(time.Duration(i) * 15 * time.Second)
			switch {
			case m >= 190 && m < 200: // one headline reposted by new accounts
				complain(at, author, 0x5eed)
			case m >= 200 && m < 230: // then an outage: people in their own words
				complain(at, author, uint64(m*10+i+1))
			}
		}
	}
	if err := st.Apply(ctx, "g", "posts", b, store.Stored{}); err != nil {
		t.Fatal(err)
	}
	types := catchUp(t, st, "x", start, start.Add(5*time.Hour))
	want := []string{incident.TypeFloodSuspected, incident.TypeStarted}
	var got []string
	for _, ty := range types {
		if ty == incident.TypeFloodSuspected || ty == incident.TypeStarted {
			got = append(got, ty)
		}
	}
	if len(got) < 2 || got[0] != want[0] || got[len(got)-1] != want[1] {
		t.Errorf("events %v, want a flood, then a start", types)
	}
}
