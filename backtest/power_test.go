package backtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"gopkg.in/yaml.v3"

	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/match"
	"github.com/outcry-dev/outcry/scenario"
)

// A city-wide power cut, as an operator who added the power company to the rules
// would see it (issue 14's real power cut: alerted late, then resolved twice while
// complaints went on). Five hours of complaints, steep at first and then slowly
// fewer, from the power-cut corpus of package match (posts by a writer who never
// saw the rules); the company is known by every name of that corpus. One incident,
// started within minutes, open until people say the power is back.
func TestPowerCutOneIncident(t *testing.T) {
	posts := powerPosts(t)
	rules := append(match.DefaultRulesYAML(), []byte("  - {name: grid, display: City Power, aliases: ["+strings.Join(powerAliases(t), ", ")+"]}\n")...)
	rs, err := match.ParseRules(rules)
	if err != nil {
		t.Fatal(err)
	}
	if s := rs.Services(); s[len(s)-1].Category != "power" {
		t.Fatalf("category %q, want power (by the name words of \"City Power\")", s[len(s)-1].Category)
	}
	r := rand.New(rand.NewPCG(7, 14))
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	onset := start.Add(20 * time.Hour)
	recovery := onset.Add(5 * time.Hour)
	end := recovery.Add(2 * time.Hour)
	var buf bytes.Buffer
	n := 0
	emit := func(at time.Time, kind string) {
		p := posts[kind][r.IntN(len(posts[kind]))]
		n++
		line, _ := json.Marshal(map[string]string{"id": "p" + strconv.Itoa(n), "text": p.Text, "lang": p.Lang,
			"author": "u" + strconv.Itoa(r.IntN(1_000_000)), "created_at": at.Format(time.RFC3339)})
		buf.Write(append(line, '\n'))
	}
	for at := start; at.Before(end); at = at.Add(10 * time.Second) {
		// per 10 seconds: the company named in passing, a rare complaint of
		// someone's own street; the outage steep for half an hour, then fading
		// to a quarter; people saying it is back; complaints trailing after.
		rate := map[string]float64{"mention": 0.3 / 6, "outage": 0.02 / 6}
		switch d := at.Sub(onset); {
		case d >= 0 && d < 30*time.Minute:
			rate["outage"] += 30.0 / 6
		case d >= 30*time.Minute && at.Before(recovery):
			rate["outage"] += (30 - 22*float64(d-30*time.Minute)/float64(recovery.Sub(onset)-30*time.Minute)) / 6
		case d >= 5*time.Hour && d < 5*time.Hour+15*time.Minute:
			rate["recovery"] = 10.0 / 6
			rate["outage"] += 1.0 / 6
		}
		for kind, lambda := range rate {
			for range scenario.Poisson(r, lambda) {
				emit(at.Add(time.Duration(r.IntN(10_000))*time.Millisecond), kind)
			}
		}
	}
	res, err := Posts(context.Background(), &buf, PostsOptions{Name: "power cut", Rules: rs}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	var started, resolved []incident.Event
	for _, e := range res.Events {
		if e.Data.Service != "grid" {
			continue
		}
		switch e.Type {
		case incident.TypeStarted:
			started = append(started, e)
		case incident.TypeResolved:
			resolved = append(resolved, e)
		}
	}
	if len(started) != 1 || len(resolved) != 1 {
		t.Fatalf("%d started and %d resolved events for the power company, want one incident: %+v", len(started), len(resolved), res.Events)
	}
	if d := started[0].Data.DetectedAt.Sub(onset); d < 0 || d > 5*time.Minute {
		t.Errorf("detected %s after the onset, want within 5 minutes", d)
	}
	if at := resolved[0].Data.ResolvedAt; at == nil || at.Before(recovery) || at.After(recovery.Add(30*time.Minute)) {
		t.Errorf("resolved at %v, want between the recovery (%s) and 30 minutes after it", at, recovery)
	}
	t.Logf("%d posts; detected %s after the onset, resolved %s after the recovery", n,
		started[0].Data.DetectedAt.Sub(onset), resolved[0].Data.ResolvedAt.Sub(recovery))
}

type powerPost struct{ Text, Lang, Service, Kind string }

// powerPosts reads the power-cut corpus of package match by kind: complaints,
// recoveries, and the company named without an outage now (mentions and past
// cuts).
func powerPosts(t *testing.T) map[string][]powerPost {
	t.Helper()
	f, err := os.Open("../match/testdata/power.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]powerPost{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var p powerPost
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		kind := p.Kind
		if kind == "past" {
			kind = "mention"
		}
		if p.Service != "" && !appNames[p.Service] {
			out[kind] = append(out[kind], p)
		}
	}
	return out
}

// appNames are the apps of the corpus's posts about the poster's own power cut.
var appNames = map[string]bool{"whatsapp": true, "netflix": true, "youtube": true, "instagram": true, "x": true,
	"facebook": true, "spotify": true, "tiktok": true, "telegram": true, "zoom": true}

// powerAliases are the names of every utility of the corpus (its rules tail), quoted.
func powerAliases(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../match/testdata/power_rules_tail.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var services []struct{ Aliases []string }
	if err := yaml.Unmarshal(b, &services); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range services {
		for _, a := range s.Aliases {
			out = append(out, strconv.Quote(a))
		}
	}
	return out
}
