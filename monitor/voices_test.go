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

// headline is the wording of "BREAKING: X is down for millions of users worldwide".
const headline = 0x5eed

// storeMinutes stores hours of a service x mentioned once a minute from start, with
// four complaints in minute m, each by a new account, where wording gives their
// wording (ok false: none that minute).
func storeMinutes(t *testing.T, st *store.Store, start time.Time, hours int, wording func(m, i int) (w uint64, ok bool)) {
	t.Helper()
	b := counts.NewBatch(10 * time.Second)
	offset := int64(0)
	for m := 0; m < hours*60; m++ {
		at := start.Add(time.Duration(m) * time.Minute)
		b.Offset(0, offset)
		offset++
		b.Mention("x", at)
		b.Hours[at.Truncate(time.Hour).Unix()] = true
		for i := range 4 {
			w, ok := wording(m, i)
			if !ok {
				break
			}
			author := fmt.Sprintf("u%d-%d", m, i)
			b.Offset(0, offset)
			offset++
			b.Complain("x", at.Add(time.Duration(i)*15*time.Second), counts.Complaint{
				Author: author, PostID: fmt.Sprint(offset), Wording: w,
			})
		}
	}
	if err := st.Apply(context.Background(), "g", "posts", b, store.Stored{}); err != nil {
		t.Fatal(err)
	}
}

// ownWords is the wording of complaint i of minute m when everyone writes their own.
func ownWords(m, i int) uint64 { return uint64(m*10 + i + 1) }

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
			st := newStore(t, "voices")
			start := time.Date(2026, 1, 21, 6, 0, 0, 0, time.UTC)
			storeMinutes(t, st, start, 4, func(m, i int) (uint64, bool) {
				if tc.copied {
					return headline, m >= 180 && m < 200
				}
				return ownWords(m, i), m >= 180 && m < 200
			})
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
	st := newStore(t, "retracthour")
	start := time.Date(2026, 1, 21, 6, 0, 0, 0, time.UTC)
	storeMinutes(t, st, start, 5, func(m, i int) (uint64, bool) {
		switch {
		case m >= 190 && m < 200: // one headline reposted by new accounts
			return headline, true
		case m >= 200 && m < 230: // then an outage: people in their own words
			return ownWords(m, i), true
		}
		return 0, false
	})
	types := catchUp(t, st, "x", start, start.Add(5*time.Hour))
	var got []string
	for _, ty := range types {
		if ty == incident.TypeFloodSuspected || ty == incident.TypeStarted {
			got = append(got, ty)
		}
	}
	if len(got) < 2 || got[0] != incident.TypeFloodSuspected || got[len(got)-1] != incident.TypeStarted {
		t.Errorf("events %v, want a flood, then a start", types)
	}
}
