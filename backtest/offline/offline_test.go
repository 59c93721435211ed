package offline_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/backtest/offline"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/match"
)

// run feeds an hour of ordinary chatter about WhatsApp, then ten minutes of outage
// posts by authors drawn from pool (0: each post a new author), each in its own words
// unless copied, and returns the types of the events.
func run(t *testing.T, perMin float64, pool int, copied bool) []string {
	t.Helper()
	m := match.NewMatcher(match.DefaultRules())
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	r := offline.New(m, []string{"whatsapp", "telegram"}, start, offline.Options{})
	rnd := rand.New(rand.NewPCG(1, 2))
	n := 0
	for t := start; t.Before(start.Add(80 * time.Minute)); t = t.Add(time.Second) {
		n++
		if rnd.Float64() < 2.0/60 { // two chatter posts a minute
			r.Add(offline.Post{ID: fmt.Sprint(n), Text: "new whatsapp stickers are cute", Author: fmt.Sprint("c", rnd.IntN(500)), At: t})
		}
		if t.Sub(start) >= 60*time.Minute && t.Sub(start) < 70*time.Minute && rnd.Float64() < perMin/60 {
			author := fmt.Sprint("u", n)
			if pool > 0 {
				author = fmt.Sprint("bot", rnd.IntN(pool))
			}
			text := fmt.Sprintf("whatsapp is down, my %d messages are not sending", n)
			if copied {
				text = "BREAKING: WhatsApp down for millions of users worldwide"
			}
			r.Add(offline.Post{ID: fmt.Sprint(n), Text: text, Author: author, At: t})
		}
	}
	var got []string
	for _, e := range r.Finish(start.Add(80 * time.Minute)) {
		got = append(got, e.Type)
	}
	return got
}

func TestOutageAndFlood(t *testing.T) {
	for _, tc := range []struct {
		name   string
		perMin float64
		pool   int
		copied bool
		want   string
		absent string
	}{
		{"an outage of three complaints a minute", 3, 0, false, incident.TypeStarted, incident.TypeFloodSuspected},
		{"four accounts posting thirty a minute", 30, 4, false, incident.TypeFloodSuspected, incident.TypeStarted},
		// A headline reposted by many accounts is one voice, not many witnesses.
		{"one text reposted by many accounts", 3, 0, true, incident.TypeFloodSuspected, incident.TypeStarted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := run(t, tc.perMin, tc.pool, tc.copied)
			has := map[string]bool{}
			for _, g := range got {
				has[g] = true
			}
			if !has[tc.want] || has[tc.absent] {
				t.Errorf("events %v: want %s and no %s", got, tc.want, tc.absent)
			}
		})
	}
}
