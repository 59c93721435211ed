package monitor

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/evaluate"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/store"
)

type lazyPublisher struct{ events []incident.Event }

func (p *lazyPublisher) Publish(_ context.Context, evs []incident.Event) error {
	p.events = append(p.events, evs...)
	return nil
}

// lazyRun is one monitor of a pair: its store (a Redis of its own, so that claims
// and trims do not meet), what it published and the verdicts it judged.
type lazyRun struct {
	st       *store.Store
	m        *Monitor
	pub      *lazyPublisher
	verdicts map[string]evaluate.Verdict // service@bucket
}

func newLazyRun(t *testing.T, st *store.Store, services []string, eager bool) *lazyRun {
	r := &lazyRun{st: st, pub: &lazyPublisher{}, verdicts: map[string]evaluate.Verdict{}}
	m, err := New(Config{Services: services, Group: "g", Topic: "posts"}, Deps{
		Reader: st, Claimer: st, Hours: st, Trimmer: st, Activity: st, Publisher: r.pub,
		OnVerdict: func(s string, v evaluate.Verdict) {
			r.verdicts[fmt.Sprintf("%s@%d", s, v.BucketStart.Unix())] = v
		},
	}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	m.eager = eager
	m.reset()
	r.m = m
	return r
}

// Services are evaluated only when mentioned, or while their windows or an incident
// need it (an idle series sleeps), and are caught up when mentioned again: the
// events, every verdict judged and every series' state are those of the monitor
// stepping every service at every bucket, across outages, a rules reload, a
// quiet stretch skipped and a restart seeded from the hourly rollups, while most
// of the steps are saved.
func TestLazyEvaluationIsExact(t *testing.T) {
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(19, 50000))
	services := make([]string, 10)
	for i := range services {
		services[i] = fmt.Sprintf("svc%02d", i)
	}
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	h := time.Hour
	reload := start.Add(3 * h)
	quietFrom, quietTo := start.Add(5*h+30*time.Minute), start.Add(13*h+30*time.Minute)
	type outage struct {
		svc      string
		at       time.Time
		d        time.Duration
		perMin   float64
		distinct bool
	}
	outages := []outage{
		{"svc00", start.Add(2 * h), 20 * time.Minute, 40, true},
		{"late", start.Add(5 * h), 15 * time.Minute, 10, true},
		{"svc07", start.Add(14 * h), 10 * time.Minute, 5, true},
		{"svc03", start.Add(15 * h), 12 * time.Minute, 20, false}, // a flood of few accounts
		{"svc09", start.Add(16*h + 30*time.Minute), 15 * time.Minute, 6, true},
	}
	// Posts, minute by minute, into one batch per hour, stored in both Redis.
	stores := [2]*store.Store{}
	for i := range stores {
		stores[i] = store.New(testenv.RedisClient(t, testenv.Redis(t).Addr), store.Options{Prefix: "lazy"})
		if err := stores[i].Load(ctx); err != nil {
			t.Fatal(err)
		}
	}
	end := start.Add(18 * h)
	stored := [2]store.Stored{{}, {}}
	offset := int64(0)
	b := counts.NewBatch(10 * time.Second)
	post := func(svc string, at time.Time, complain bool, author string) {
		b.Offset(0, offset)
		offset++
		if complain {
			b.Complain(svc, at, counts.Complaint{Author: author, PostID: fmt.Sprint(offset)})
		} else {
			b.Mention(svc, at)
		}
		b.Hours[at.Truncate(time.Hour).Unix()] = true
	}
	poisson := func(mean float64) int {
		n, p := 0, math.Exp(-mean)
		for q := rnd.Float64(); q > p; q *= rnd.Float64() {
			n++
		}
		return n
	}
	for at := start; at.Before(end); at = at.Add(time.Minute) {
		if !at.Before(quietFrom) && at.Before(quietTo) {
			continue
		}
		all := services
		if !at.Before(reload) {
			all = append(all[:len(all):len(all)], "late")
		}
		for i, svc := range all {
			rate := 3 / math.Pow(float64(i+1), 2) // from 3 a minute to 2 an hour
			for range poisson(rate) {
				post(svc, at.Add(time.Duration(rnd.IntN(60))*time.Second), rnd.Float64() < 0.2, fmt.Sprintf("u%d", rnd.IntN(1e6)))
			}
		}
		for _, o := range outages {
			if !at.Before(o.at) && at.Before(o.at.Add(o.d)) {
				for k := range poisson(o.perMin) {
					author := fmt.Sprintf("u%d", rnd.IntN(1e6))
					if !o.distinct {
						author = fmt.Sprintf("bot%d", k%3)
					}
					post(o.svc, at.Add(time.Duration(rnd.IntN(60))*time.Second), true, author)
				}
			}
		}
		if at.Add(time.Minute).Truncate(time.Hour) == at.Add(time.Minute) {
			for i := range stores {
				if err := stores[i].Apply(ctx, "g", "posts", b, stored[i]); err != nil {
					t.Fatal(err)
				}
			}
			b = counts.NewBatch(10 * time.Second)
		}
	}

	runs := [2]*lazyRun{newLazyRun(t, stores[0], services, true), newLazyRun(t, stores[1], services, false)}
	reloaded := false
	advance := func(from, to time.Time) {
		for wm := from; !wm.After(to); wm = wm.Add(17 * time.Minute) {
			if wm.After(quietFrom.Add(time.Hour)) && wm.Before(quietTo) {
				// The stream comes back after hours without a post: one
				// watermark jumps the stretch, which is skipped as quiet.
				wm = quietTo.Add(time.Hour)
			}
			if !wm.Before(reload) && !reloaded {
				reloaded = true
				for _, r := range runs {
					r.m.AddServices([]string{"late"})
				}
			}
			for _, r := range runs {
				if err := r.m.Advance(ctx, wm); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	restart := start.Add(16 * h)
	advance(start.Add(time.Minute), restart.Add(-time.Minute))
	// Each series, caught up, is the one stepped at every bucket.
	sameState := func(when string) {
		eager, lazy := runs[0].m, runs[1].m
		for _, svc := range eager.cfg.Services {
			if lazy.series[svc] == nil {
				continue // not mentioned since the start
			}
			lazy.catchUp(svc, lazy.next)
			if !reflect.DeepEqual(eager.series[svc], lazy.series[svc]) {
				t.Errorf("%s, %s: the series caught up differs from the one stepped at every bucket", when, svc)
			}
		}
	}
	sameState("before the restart")
	// A restart: new monitors, their baselines seeded from the hourly rollups.
	for i, r := range runs {
		n := newLazyRun(t, r.st, append(services[:len(services):len(services)], "late"), i == 0)
		n.pub, n.m.pub = r.pub, r.pub
		n.verdicts = r.verdicts
		if err := n.m.seed(ctx, restart); err != nil {
			t.Fatal(err)
		}
		n.m.next = restart.Unix()
		runs[i] = n
	}
	advance(restart, end.Add(5*time.Minute))
	sameState("at the end")

	eager, lazy := runs[0], runs[1]
	if len(eager.pub.events) < 4 {
		t.Fatalf("only %d events: the scenario has outages to find", len(eager.pub.events))
	}
	if !reflect.DeepEqual(eager.pub.events, lazy.pub.events) {
		t.Errorf("events differ:\neager %v\nlazy  %v", types(eager.pub.events), types(lazy.pub.events))
	}
	for k, v := range lazy.verdicts {
		if !reflect.DeepEqual(v, eager.verdicts[k]) {
			t.Errorf("verdict of %s: lazy %+v, eager %+v", k, v, eager.verdicts[k])
			break
		}
	}
	if s, e := len(lazy.verdicts), len(eager.verdicts); s*2 > e {
		t.Errorf("lazy evaluation stepped %d service-buckets of %d: it should save most", s, e)
	}
	t.Logf("events %v", types(lazy.pub.events))
	t.Logf("%d events; %d of %d service-buckets stepped", len(lazy.pub.events), len(lazy.verdicts), len(eager.verdicts))
}

func types(evs []incident.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Data.Service+":"+e.Type)
	}
	return out
}
