package incident_test

import (
	"math"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/evaluate"
	"github.com/outcry-dev/outcry/detect/incident"
)

var t0 = time.Date(2022, 10, 25, 7, 17, 0, 0, time.UTC)

// verdict builds the verdict of bucket i (10 s buckets) with the given reason and
// window counts.
func verdict(i int, r evaluate.Reason, complaints, recoveries int64, ratio float64) evaluate.Verdict {
	start := t0.Add(time.Duration(i) * 10 * time.Second)
	c := counts.Counts{Complaints: complaints, Recoveries: recoveries, Authors: complaints,
		Countries: map[string]int64{"IN": complaints}, Problems: map[string]int64{"messages": complaints}}
	b := c // the newest bucket: a twelfth of the 2-minute window
	b.Complaints, b.Recoveries = complaints/12, recoveries/12
	return evaluate.Verdict{Reason: r, BucketStart: start, WindowStart: start.Add(-110 * time.Second),
		WindowEnd: start.Add(10 * time.Second), Window: c, Bucket: b, Expected: 0.5, Ratio: ratio, Onset: t0,
		BucketExpected: 0.5 / 12, ShortComplaints: complaints, ShortBuckets: 12}
}

func types(evs []incident.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func TestTrackerLifecycle(t *testing.T) {
	type step struct {
		reason     evaluate.Reason
		complaints int64
		recoveries int64
		ratio      float64
		related    []string
		want       []string
	}
	N, A, E := evaluate.ReasonNormal, evaluate.ReasonAnomaly, evaluate.ReasonElevated
	quiet := func(n int) []step {
		s := make([]step, n)
		for i := range s {
			s[i] = step{reason: N, complaints: 1, ratio: 1}
		}
		return s
	}
	concat := func(parts ...[]step) []step {
		var out []step
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"no anomaly, no event", quiet(10)},
		{"start, escalate, resolve after 5 quiet minutes", concat(
			[]step{{reason: A, complaints: 12, ratio: 8, want: []string{incident.TypeStarted}}},
			[]step{{reason: A, complaints: 60, ratio: 30, want: []string{incident.TypeUpdated}}},
			[]step{{reason: A, complaints: 200, ratio: 400, want: []string{incident.TypeUpdated}}},
			[]step{{reason: E, complaints: 20, ratio: 3}},
			quiet(29),
			[]step{{reason: N, complaints: 1, ratio: 1, want: []string{incident.TypeResolved}}},
			quiet(5),
		)},
		{"flapping inside the quiet time stays one incident", concat(
			[]step{{reason: A, complaints: 12, ratio: 8, want: []string{incident.TypeStarted}}},
			quiet(20),
			[]step{{reason: A, complaints: 12, ratio: 8}},
			quiet(29),
			[]step{{reason: N, complaints: 1, ratio: 1, want: []string{incident.TypeResolved}}},
			// cool-down: a new anomaly right after is not a new incident but the
			// same one again
			[]step{{reason: A, complaints: 12, ratio: 8, want: []string{incident.TypeUpdated}}},
		)},
		{"recovery posts resolve early", concat(
			[]step{{reason: A, complaints: 100, ratio: 200, want: []string{incident.TypeStarted}}},
			[]step{{reason: A, complaints: 20, recoveries: 30, ratio: 40}},
			quiet(28),
			[]step{{reason: N, complaints: 1, ratio: 1, want: []string{incident.TypeResolved}}},
		)},
		{"complaints trailing off after the recovery do not reopen it", concat(
			[]step{{reason: A, complaints: 300, ratio: 600, want: []string{incident.TypeStarted}}},
			[]step{{reason: A, complaints: 60, recoveries: 30, ratio: 120}},
			quiet(28),
			[]step{{reason: N, complaints: 20, recoveries: 5, ratio: 40, want: []string{incident.TypeResolved}}},
			// still anomalous, but fewer than at the resolution: no re-flare
			[]step{{reason: A, complaints: 18, ratio: 36}, {reason: A, complaints: 15, ratio: 30}},
			// rising again: the same incident flares
			[]step{{reason: A, complaints: 80, ratio: 160, want: []string{incident.TypeUpdated}}},
		)},
		{"a related service opening is an update", concat(
			[]step{{reason: A, complaints: 12, ratio: 8, want: []string{incident.TypeStarted}}},
			[]step{{reason: A, complaints: 12, ratio: 8, related: []string{"facebook"}, want: []string{incident.TypeUpdated}}},
			[]step{{reason: A, complaints: 12, ratio: 8, related: []string{"facebook"}}},
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := incident.NewTracker("whatsapp", incident.Params{})
			var all []incident.Event
			for i, s := range tt.steps {
				got := tr.Step(verdict(i, s.reason, s.complaints, s.recoveries, s.ratio), s.related)
				if g, w := types(got), s.want; len(g) != len(w) || (len(g) > 0 && g[0] != w[0]) {
					t.Fatalf("step %d (%s): events %v, want %v", i, s.reason, g, w)
				}
				all = append(all, got...)
			}
			seen := map[string]bool{}
			for _, e := range all {
				if seen[e.ID] {
					t.Errorf("duplicate event id %s", e.ID)
				}
				seen[e.ID] = true
				if e.Data.IncidentID != "whatsapp-20221025T0717" || e.Data.Service != "whatsapp" {
					t.Errorf("event %+v", e.Data)
				}
				if e.Type == incident.TypeResolved && (e.Data.ResolvedAt == nil || e.Data.State != "resolved") {
					t.Errorf("resolved event without resolved_at: %+v", e.Data)
				}
				if e.Data.Countries["IN"] != 1 || e.Data.Problems["messages"] != 1 {
					t.Errorf("evidence %+v", e.Data)
				}
			}
		})
	}
}

func TestSeverity(t *testing.T) {
	tests := []struct {
		ratio      float64
		complaints int64
		want       string
	}{
		{6, 12, incident.SeverityMinor},
		{12, 20, incident.SeverityMajor},
		{80, 50, incident.SeverityMajor},
		{80, 150, incident.SeverityCritical},
	}
	for _, tt := range tests {
		v := evaluate.Verdict{Ratio: tt.ratio, Window: counts.Counts{Complaints: tt.complaints}}
		if got := incident.Severity(v); got != tt.want {
			t.Errorf("Severity(ratio %v, %d complaints) = %s, want %s", tt.ratio, tt.complaints, got, tt.want)
		}
	}
}

func TestFloodEvent(t *testing.T) {
	tr := incident.NewTracker("whatsapp", incident.Params{})
	var got []string
	for i := 0; i < 100; i++ {
		r := evaluate.ReasonFlood
		if i >= 30 {
			r = evaluate.ReasonNormal
		}
		for _, e := range tr.Step(verdict(i, r, 400, 0, 50), nil) {
			got = append(got, e.Type)
			if e.Data.State != "flood" || e.Data.Reason == "" {
				t.Errorf("flood event %+v", e.Data)
			}
		}
		if tr.Open() {
			t.Fatal("a flood must not open an incident")
		}
	}
	if len(got) != 1 || got[0] != incident.TypeFloodSuspected {
		t.Fatalf("events %v, want one %s", got, incident.TypeFloodSuspected)
	}
}

// An outage that spreads to a new country is an update, at most every 10 minutes.
func TestTrackerSpreads(t *testing.T) {
	tr := incident.NewTracker("whatsapp", incident.Params{})
	if evs := tr.Step(verdict(0, evaluate.ReasonAnomaly, 40, 0, 40), nil); len(evs) != 1 {
		t.Fatalf("start: %v", types(evs))
	}
	var got []incident.Event
	for i := 1; i < 100; i++ {
		v := verdict(i, evaluate.ReasonAnomaly, 40, 0, 40)
		if i >= 30 { // from 5 minutes on, Brazil complains as much as India
			v.Bucket.Countries = map[string]int64{"IN": 20, "BR": 20}
		}
		got = append(got, tr.Step(v, nil)...)
	}
	if len(got) != 1 || got[0].Type != incident.TypeUpdated || got[0].Data.Reason != "countries" || got[0].Data.Countries["BR"] == 0 {
		t.Fatalf("events %v, want one update for the new country", got)
	}
}

// TestStaysOpenAboveItsBaseline: however the evaluation has come to see it (here it
// says normal, as after learning a long outage), an incident is not resolved while
// complaints stay above three times the baseline it started from, and is resolved
// once they fall back.
func TestStaysOpenAboveItsBaseline(t *testing.T) {
	tr := incident.NewTracker("power", incident.Params{})
	step := func(i int, r evaluate.Reason, short int64) []incident.Event {
		v := verdict(i, r, short, 0, 1)
		v.BucketExpected, v.ShortComplaints, v.ShortBuckets = 0.2, short, 12 // 2.4 a window
		return tr.Step(v, nil)
	}
	if got := types(step(0, evaluate.ReasonAnomaly, 60)); len(got) != 1 || got[0] != incident.TypeStarted {
		t.Fatalf("start: %v", got)
	}
	for i := 1; i < 200; i++ { // 33 minutes at 20 a window: 8× the baseline
		if got := step(i, evaluate.ReasonNormal, 20); len(got) > 0 {
			t.Fatalf("step %d: %v while complaints are 8× the starting baseline", i, types(got))
		}
	}
	var resolved bool
	for i := 200; i < 240 && !resolved; i++ {
		resolved = len(step(i, evaluate.ReasonNormal, 3)) > 0
	}
	if !resolved {
		t.Fatal("not resolved once complaints were back near the baseline")
	}
}

// TestLullDoesNotResolve: an outage of under a complaint a minute, found on a
// 10-minute window, leaves 2-minute windows near empty; five minutes of them are a
// lull at its own rate, not its end. It resolves once complaints stop for good, and
// the ablation without the lull test resolves it during the outage.
func TestLullDoesNotResolve(t *testing.T) {
	run := func(p incident.Params) (resolvedAt int) {
		tr := incident.NewTracker("netflix", p)
		step := func(i int, r evaluate.Reason, bucket int64) []incident.Event {
			v := verdict(i, r, 0, 0, 1)
			v.WindowStart = v.WindowEnd.Add(-10 * time.Minute)
			v.Window.Complaints, v.Bucket.Complaints = 8, bucket
			v.BucketExpected, v.ShortComplaints, v.ShortBuckets = 0.01, bucket, 12
			return tr.Step(v, nil)
		}
		if got := types(step(0, evaluate.ReasonAnomaly, 1)); len(got) != 1 || got[0] != incident.TypeStarted {
			t.Fatalf("start: %v", got)
		}
		for i := 1; i < 400; i++ {
			c := int64(0)
			if i < 180 && i%7 == 0 { // 0.86 a minute for 30 minutes, then none
				c = 1
			}
			if evs := step(i, evaluate.ReasonNormal, c); len(evs) > 0 && evs[0].Type == incident.TypeResolved {
				return i
			}
		}
		return -1
	}
	resolvesAfterStop(t, run, 180, incident.PartLull, "the lull test")
}

// resolvesAfterStop checks that run resolves its incident after complaints stop at
// bucket stop and within 15 minutes, and, without part, during the outage.
func resolvesAfterStop(t *testing.T, run func(incident.Params) int, stop int, part incident.Part, name string) {
	t.Helper()
	if got := run(incident.Params{}); got < stop || got > stop+15*6 {
		t.Errorf("resolved at bucket %d, want after complaints stop (bucket %d) and within 15 minutes", got, stop)
	}
	if got := run(incident.Params{Without: part}); got < 0 || got >= stop {
		t.Errorf("without %s: resolved at bucket %d, want during the outage", name, got)
	}
}

// TestRetractFlood: a start whose window turned out to hold few distinct authors is
// taken back; a flood event takes its place once per episode, and the tracker is free
// to start a real incident.
func TestRetractFlood(t *testing.T) {
	tr := incident.NewTracker("spotify", incident.Params{})
	evs := tr.Step(verdict(0, evaluate.ReasonAnomaly, 20, 0, 40), nil)
	evs = tr.Retract(evs, 0, 4, 0)
	if len(evs) != 1 || evs[0].Type != incident.TypeFloodSuspected || evs[0].Data.DistinctAuthors != 4 {
		t.Fatalf("retracted: %+v", evs)
	}
	if tr.Open() {
		t.Fatal("tracker still open after the retraction")
	}
	evs = tr.Step(verdict(1, evaluate.ReasonAnomaly, 22, 0, 40), nil)
	if evs = tr.Retract(evs, 0, 4, 0); len(evs) != 0 {
		t.Fatalf("a second flood event in one episode: %v", types(evs))
	}
	if got := types(tr.Step(verdict(2, evaluate.ReasonAnomaly, 30, 0, 40), nil)); len(got) != 1 || got[0] != incident.TypeStarted {
		t.Fatalf("a real start after the flood: %v", got)
	}
}

// TestHolding: the baseline is held while the incident is open and for the cool-down
// after its resolution (not for the longer cool-down of coarse series), then released.
func TestHolding(t *testing.T) {
	tr := incident.NewTracker("whatsapp", incident.Params{})
	i, resolved := 0, false
	tr.Step(verdict(i, evaluate.ReasonAnomaly, 50, 0, 100), nil)
	for ; !resolved; i++ {
		if !tr.Holding() {
			t.Fatalf("step %d: not holding with the incident open", i)
		}
		resolved = len(tr.Step(verdict(i+1, evaluate.ReasonNormal, 0, 0, 1), nil)) > 0
	}
	for j := 0; j < 90; j++ { // Cooldown is 15 min: 90 buckets of 10 s
		if !tr.Holding() {
			t.Fatalf("%d buckets after the resolution: released within the cool-down", j)
		}
		tr.Step(verdict(i+j+1, evaluate.ReasonNormal, 0, 0, 1), nil)
	}
	tr.Step(verdict(i+92, evaluate.ReasonNormal, 0, 0, 1), nil)
	if tr.Holding() {
		t.Fatal("still holding after the cool-down")
	}
}

// TestDecayStaysOpen: an outage that peaked and decays slowly is going on while
// its complaints stay above three times the baseline it started from, however far
// below the peak: none of its quiet stretches resolves it. Once complaints stop it
// resolves within a quarter of an hour.
func TestDecayStaysOpen(t *testing.T) {
	for _, tc := range []struct {
		name string
		// baseline complaints a bucket; the active ten minutes' complaints
		// every activeEvery buckets and its 2-minute window; then one
		// complaint every tailEvery buckets (2-minute window tailShort) until
		// bucket stop
		base                 float64
		activeEvery          int
		activeC, activeShort int64
		tailEvery, stop      int
		tailShort            int64
	}{
		// at a tenth of the peak, 16× the baseline
		{"a tenth of the peak", 0.01, 1, 3, 36, 6, 420, 2},
		// one every two minutes, 4× the baseline: too few in a quarter of an
		// hour to be clearly above 3×, but far likelier there than at the
		// baseline (likelierAbove)
		{"sparse tail", 0.02, 2, 1, 6, 12, 480, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(p incident.Params) (resolvedAt int) {
				tr := incident.NewTracker("power", p)
				step := func(i int, r evaluate.Reason, bucket, short int64) []incident.Event {
					v := verdict(i, r, short, 0, 1)
					v.Bucket.Complaints = bucket
					v.BucketExpected, v.ShortComplaints, v.ShortBuckets = tc.base, short, 12
					return tr.Step(v, nil)
				}
				if got := types(step(0, evaluate.ReasonAnomaly, tc.activeC, tc.activeShort)); len(got) != 1 || got[0] != incident.TypeStarted {
					t.Fatalf("start: %v", got)
				}
				for i := 1; i < tc.stop+180; i++ {
					r, c, short := evaluate.ReasonElevated, int64(0), tc.activeShort
					if i%tc.activeEvery == 0 {
						c = tc.activeC
					}
					if i >= 60 {
						r, c, short = evaluate.ReasonNormal, 0, tc.tailShort
						if i < tc.stop && i%tc.tailEvery == 0 {
							c = 1
						}
						if i >= tc.stop {
							short = 0
						}
					}
					if evs := step(i, r, c, short); len(evs) > 0 && evs[0].Type == incident.TypeResolved {
						return i
					}
				}
				return -1
			}
			resolvesAfterStop(t, run, tc.stop, incident.PartAboveBase, "the test against the starting baseline")
		})
	}
}

// TestResolvedWhenPeopleSayItIsBack: when recovery posts resolve an incident, it
// ended when people began to say so, not when the complaints of a sparse outage
// last paused before that.
func TestResolvedWhenPeopleSayItIsBack(t *testing.T) {
	tr := incident.NewTracker("instagram", incident.Params{})
	tr.Step(verdict(0, evaluate.ReasonAnomaly, 20, 0, 40), nil)
	var resolved *incident.Event
	for i := 1; i < 200 && resolved == nil; i++ {
		v := verdict(i, evaluate.ReasonElevated, 20, 0, 5)
		switch {
		case i >= 40: // people say it is back from bucket 40
			v = verdict(i, evaluate.ReasonNormal, 0, 5, 1)
		case i >= 30: // complaints pause from bucket 30
			v = verdict(i, evaluate.ReasonNormal, 0, 0, 1)
		}
		for _, e := range tr.Step(v, nil) {
			if e.Type == incident.TypeResolved {
				resolved = &e
			}
		}
	}
	if resolved == nil || resolved.Data.Reason != "recovery_posts" {
		t.Fatalf("resolution %+v, want one on recovery posts", resolved)
	}
	if want := t0.Add(40 * 10 * time.Second); !resolved.Data.ResolvedAt.Equal(want) {
		t.Errorf("resolved_at %s, want %s (the first bucket of recovery posts)", resolved.Data.ResolvedAt, want)
	}
}

// counted is a series' complaints since a time: c per minute, expected mu per minute.
type counted struct{ c, mu float64 }

func (k counted) Between(from, to time.Time) (float64, float64) {
	m := to.Sub(from).Minutes()
	return k.c * m, k.mu * m
}

// TestAuthorsSpan: a start is judged on its own window, but in a flood episode on
// everything from the episode's first retracted window on (at most 30 minutes back),
// so accounts that keep posting are counted once however long they go on.
func TestAuthorsSpan(t *testing.T) {
	s := counted{c: 3, mu: 0.3}
	tr := incident.NewTracker("chatgpt", incident.Params{})
	first := tr.Step(verdict(0, evaluate.ReasonAnomaly, 6, 0, 30), nil)
	from, c, mu := tr.AuthorsSpan(first[0], s)
	if !from.Equal(first[0].Data.Window.Start) || c != first[0].Data.Mentions || mu != first[0].Data.Baseline {
		t.Fatalf("outside a flood episode: %s %d %.2f, want the window's", from, c, mu)
	}
	tr.Retract(first, 0, 4, 0)
	// Two minutes later the same accounts and two people start again.
	again := tr.Step(verdict(12, evaluate.ReasonAnomaly, 7, 0, 30), nil)
	from, c, mu = tr.AuthorsSpan(again[0], s)
	if !from.Equal(first[0].Data.Window.Start) {
		t.Errorf("in the episode: from %s, want the first retracted window %s", from, first[0].Data.Window.Start)
	}
	wantC, wantMu := s.Between(from, again[0].Data.Window.End)
	if c != int64(math.Round(wantC)) || mu != wantMu {
		t.Errorf("in the episode: %d complaints, %.2f expected; want %.0f and %.2f", c, mu, wantC, wantMu)
	}
}
