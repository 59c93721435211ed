package matchbench

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/match"
)

func TestCorpusMix(t *testing.T) {
	c := Corpus(10000, 1)
	m := match.NewMatcher(nil)
	var none, mention, outage int
	for _, p := range c {
		got := m.Match(nil, p)
		switch {
		case len(got) == 0:
			none++
		case got[0].Kind == match.Outage:
			outage++
		default:
			mention++
		}
	}
	t.Logf("none %d, mention/recovery %d, outage %d of %d", none, mention, outage, len(c))
	if none < 6500 || none > 7500 || outage < 700 || outage > 1300 {
		t.Errorf("mix is off: none %d, mention %d, outage %d", none, mention, outage)
	}
}

func TestLargeRules(t *testing.T) {
	r, err := LargeRules(LargeServices)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Services()); n != LargeServices {
		t.Fatalf("%d services", n)
	}
	// The default services still match as before.
	got := match.NewMatcher(r).Match(nil, "whatsapp is down, messages not sending")
	if len(got) != 1 || got[0].Service != "whatsapp" || got[0].Kind != match.Outage {
		t.Errorf("large rules: %v", got)
	}
	name := r.Services()[LargeServices-1].Name
	if got := match.NewMatcher(r).Match(nil, name+" is down"); len(got) != 1 || got[0].Kind != match.Outage {
		t.Errorf("generated service %s: %v", name, got)
	}
}

func TestRun(t *testing.T) {
	res, err := Run(context.Background(), 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if res.PostsPerS <= 0 || res.PostsPerSLargeRules <= 0 || res.RegexpPostsPerS <= 0 {
		t.Errorf("%+v", res)
	}
	b, _ := json.Marshal(res)
	for _, k := range []string{`"posts_per_s"`, `"posts_per_s_large_rules"`, `"regexp_posts_per_s"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("%s lacks %s", b, k)
		}
	}
	t.Logf("%s", b)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, time.Second); err == nil {
		t.Error("Run with a cancelled context: no error")
	}
}

// Run measures the matcher and a regexp baseline; `outcry bench --json` prints the
// result under "match".
func ExampleRun() {
	res, err := Run(context.Background(), 20*time.Millisecond)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.Marshal(res)
	var fields map[string]float64
	_ = json.Unmarshal(b, &fields)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		fmt.Println(k, fields[k] > 0)
	}
	// Output:
	// posts_per_s true
	// posts_per_s_large_rules true
	// regexp_posts_per_s true
}
