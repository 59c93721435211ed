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
