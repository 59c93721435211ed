package xstream

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/outcry-dev/outcry/ingest"
	"github.com/outcry-dev/outcry/ingest/ingesttest"
	"github.com/outcry-dev/outcry/ingest/xstream/xstreamtest"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/post"
)

// TestRun: ingest.Run on the loopback X, which fails the first rules request, drops
// the first stream mid-way, refuses with 429 and 503, sends an oversized line and
// then stalls, sends a malformed line and an operational disconnect, and resends
// posts on every backfill. Every post of Outcry's rules is produced exactly once,
// only the two unreadable lines are dead-lettered, the rules end as wanted with the
// other tool's untouched, the token is sent and is in no log line, and the client
// reconnects after the stall but not while keep-alives flow.
func TestRun(t *testing.T) {
	const token = "AAAAAAAAAAAAAAAAAAAAAFakeBearer%2Btoken%3DxYz123"
	lines := fixtureLines(t)
	want := map[string]bool{}
	for _, l := range lines {
		if ev, matched, _ := parse(l, DefaultMaxLineBytes); ev.Post != nil && ours(matched, nil) {
			want[ev.Post.ID] = true
		}
	}
	if len(want) != 10 {
		t.Fatalf("the fixture has %d posts of Outcry's rules, want 10", len(want))
	}
	oversized := []byte(`{"data":{"id":"1997097699999999999","text":"` + strings.Repeat("a", 100<<10) + `","created_at":"2025-12-06T00:00:06.000Z"}}`)
	other := xstreamtest.Rule{ID: "1990000000000000001", Value: "(rain OR flood OR flooding) lang:en has:geo", Tag: "weather-alerts"}
	kept := xstreamtest.Rule{ID: "1990000000000000003", Value: wantedRules[0].Value, Tag: wantedRules[0].Tag}
	srv := xstreamtest.NewServer(t, xstreamtest.Options{
		Token: token, Lines: lines, FailRules: 1, Backfill: 2, KeepAlive: 50 * time.Millisecond,
		Rules: []xstreamtest.Rule{other, {ID: "1990000000000000002", Value: "(myspace OR friendster) -is:retweet", Tag: "outcry:myspace-friendster"}, kept},
		Plan: []xstreamtest.Conn{
			{Send: 3}, // a post, a keep-alive, a post, then the connection drops
			{Status: http.StatusTooManyRequests, Reset: 30 * time.Second},
			{Status: http.StatusServiceUnavailable},
			{Send: 2, Extra: [][]byte{oversized}, Stall: true}, // then silence
			{Send: -1}, // up to the operational disconnect; then the rest, and keep-alives
		},
	})
	log := ingesttest.NewLog(t)
	// The client gives up after 1.5 s of silence: 30 keep-alives missed.
	src := &Source{Token: token, UserAgent: "outcry-test", Rules: wantedRules, KeepAlive: time.Second, FastBackoff: 20 * time.Millisecond,
		Backfill: true, MaxLineBytes: 64 << 10, Log: log.Logger}
	g := ingesttest.NewRig(t)
	stop := g.Start(t, src, ingesttest.Options(srv.URL), log.Logger)

	msgs := testenv.ReadTopic(t, g.Broker, "posts", 30*time.Second, func(m []kafka.Message) bool { return len(m) >= len(want) })
	select {
	case <-srv.SentAll:
	case <-time.After(30 * time.Second):
		t.Fatal("the server never sent its last line")
	}
	// Keep-alives for longer than the client waits (1.5 s) hold the stream.
	testenv.Eventually(t, 20*time.Second, "40 keep-alives after the last line", func() bool { return srv.KeepAlives() >= 40 })
	g.DeadLetters(t, "x", map[string]int{post.ReasonInvalidJSON: 1, post.ReasonOversized: 1})
	stop()
	msgs = testenv.ReadTopic(t, g.Broker, "posts", 10*time.Second, func(m []kafka.Message) bool { return len(m) >= len(msgs) })

	// (Not the post only another tool's rule matched.)
	ingesttest.ExactlyOnce(t, ingesttest.IDs(t, "x", msgs), want)

	// The rules: Outcry's stale one deleted, the kept one not re-added, the others
	// added; the other tool's untouched. One sync, after the first failed.
	rules := map[string]xstreamtest.Rule{}
	for _, r := range srv.Rules() {
		rules[r.Value] = r
	}
	if rules[other.Value] != other || rules[kept.Value] != kept || len(rules) != 4 {
		t.Errorf("rules at the end: %+v", srv.Rules())
	}
	for _, w := range wantedRules {
		if r, ok := rules[w.Value]; !ok || r.Tag != w.Tag {
			t.Errorf("rule %q: %+v", w.Value, r)
		}
	}
	var rulesRequests []string
	for _, r := range srv.Requests() {
		if !r.Authorized {
			t.Errorf("%s %s without the bearer token", r.Method, r.Path)
		}
		if strings.HasSuffix(r.Path, "/rules") {
			rulesRequests = append(rulesRequests, r.Method)
		}
	}
	if !reflect.DeepEqual(rulesRequests, []string{"GET", "GET", "POST", "POST"}) {
		t.Errorf("rules requests %v: want a failed list, then a list, a delete and an add, once", rulesRequests)
	}

	// Six connections: the drop, 429, 503, the stall, the disconnect, the last; none
	// while keep-alives flow. The reconnects ask for a backfill.
	conns := srv.Connections()
	if len(conns) != 6 {
		t.Errorf("%d stream connections, want 6", len(conns))
	}
	for i, q := range conns {
		b := q.Get("backfill_minutes")
		if n, _ := strconv.Atoi(b); (i == 0) != (b == "") || (i > 0 && (n < 1 || n > 5)) {
			t.Errorf("connection %d asked for backfill_minutes %q", i+1, b)
		}
		if !strings.Contains(q.Get("tweet.fields"), "note_tweet") {
			t.Errorf("connection %d: tweet.fields %q", i+1, q.Get("tweet.fields"))
		}
	}
	if d := testutil.ToFloat64(g.Metrics.Duplicates("x")); d < 1 {
		t.Errorf("%v duplicates counted: the backfills resent posts", d)
	}
	if r := testutil.ToFloat64(g.Metrics.Reconnects("x")); r != 3 {
		t.Errorf("%v reconnects counted, want 3 (drop, stall, disconnect)", r)
	}
	if n := testutil.ToFloat64(g.Metrics.Events("x", ingest.KindOther)); n < 1 {
		t.Errorf("%v other events: the post of another tool's rule is one", n)
	}

	for _, w := range []string{"stream rules synced", "HTTP 503", "HTTP 429", "the stream stalled", "X ended the stream: operational-disconnect"} {
		if !log.Said(w) {
			t.Errorf("the logs do not say %q", w)
		}
	}
	if log.Said(token) || log.Said("FakeBearer") {
		t.Errorf("the bearer token is in the logs")
	}
}
