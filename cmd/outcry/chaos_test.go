package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/outcry-dev/outcry/alert"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/devstack"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/post"
	"github.com/outcry-dev/outcry/source"
)

// TestChaos is the fault-injection run of docs/operations/chaos.md: while the
// WhatsApp scenario and a few hundred hostile posts are produced gradually, the broker
// and Redis are stopped and started at random moments, Outcry gets SIGTERMs and
// kill -9s, and a second instance joins the group for a while. Afterwards the counts
// must be those of a clean run over the same topic, and every incident event of the
// clean run must have been published exactly once.
//
// It is not part of `make test` or CI: it runs only when OUTCRY_CHAOS is a duration,
//
//	OUTCRY_CHAOS=10m go test -count=1 -run TestChaos -timeout 40m -v ./cmd/outcry/
//
// OUTCRY_CHAOS_SEED changes the fixed seed of the fault schedule and of the hostile
// posts; OUTCRY_FAULT_LOGDIR=dir keeps each process's whole output (see startOutcry).
func TestChaos(t *testing.T) {
	spec := os.Getenv("OUTCRY_CHAOS")
	if spec == "" {
		t.Skip("fault-injection run: set OUTCRY_CHAOS to a duration, e.g. OUTCRY_CHAOS=10m (docs/operations/chaos.md)")
	}
	dur, err := time.ParseDuration(spec)
	if err != nil || dur < 30*time.Second {
		t.Fatalf("OUTCRY_CHAOS=%q: want a duration of at least 30s, e.g. 10m", spec)
	}
	seed := uint64(20221025)
	if s := os.Getenv("OUTCRY_CHAOS_SEED"); s != "" {
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("OUTCRY_CHAOS_SEED=%q: %v", s, err)
		}
	}
	outcryBinary(t) // built before the clock starts
	c := &chaosRun{t: t, r: rand.New(rand.NewPCG(seed, 1)), began: time.Now(), faults: map[string]int{}}
	c.logf("chaos run of %s, seed %d", dur, seed)

	// The environment: a broker persisting to a directory (so that it can be stopped
	// and started again on the same address) and a Redis with an fsync'd AOF.
	c.brokerDir = t.TempDir()
	c.startBroker("127.0.0.1:0")
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.bc != nil {
			c.bc.Close()
		}
	})
	rds := testenv.RedisWith(t, devstack.RedisOptions{Persist: true})
	c.e = &faultEnv{broker: c.bc.ListenAddrs()[0], redis: rds, redisAddr: rds.Addr, rdb: testenv.RedisClient(t, rds.Addr), file: faultInput(t)}
	e := c.e

	// The input: the scenario in order, hostile posts at random places.
	lines, hostile := chaosInput(t, seed)
	c.logf("input: %d lines (%d hostile: %v)", len(lines), countEvents(hostile), hostile)

	// Production goes on during ~80% of the run; the first chunk is on the topic
	// before Outcry starts, so that the topic exists with its three partitions.
	ctx, cancel := context.WithCancel(context.Background())
	prod := produceGradually(ctx, c, lines, dur*8/10)
	t.Cleanup(func() { cancel(); <-prod.done })
	testenv.Eventually(t, 60*time.Second, "the first posts on the topic", func() bool { return prod.written.Load() > 0 })

	// The chaos.
	c.start(0)
	deadline := c.began.Add(dur)
	type action struct {
		name string
		do   func()
	}
	actions := []action{
		{"broker stop/start", c.bounceBroker},
		{"Redis stop/start", c.bounceRedis},
		{"SIGTERM", c.termOne},
		{"kill -9", c.killOne},
		{"second instance", c.startSecond},
	}
	// Every kind once, in a random order, then at random.
	order := c.r.Perm(len(actions))
	for i := 0; ; i++ {
		if !c.pause(time.Duration(5+c.r.IntN(26))*time.Second, deadline) {
			break
		}
		a := actions[c.r.IntN(len(actions))]
		if i < len(order) {
			a = actions[order[i]]
		}
		if a.name == "second instance" && len(c.procs) > 1 {
			a = actions[2+c.r.IntN(2)] // already two: SIGTERM or kill -9 one of them
		}
		a.do()
	}
	c.logf("chaos over; waiting for the producer (%d of %d lines written)", prod.written.Load(), len(lines))
	select {
	case <-prod.done:
	case <-time.After(15 * time.Minute):
		t.Fatalf("the producer did not finish within 15 minutes of the chaos: %d of %d lines written", prod.written.Load(), len(lines))
	}
	for len(c.procs) > 1 {
		c.stopSecond()
	}
	c.checkAlive()
	onTopic := topicMessages(t, e.broker, "posts")
	c.logf("%d messages on the posts topic (%d lines, %d written again after failed writes)", onTopic, len(lines), onTopic-int64(len(lines)))
	e.lines = onTopic
	c.waitConsumed("chaos", "chaos", 5*time.Minute)
	// Ready again once everything is back, whether or not posts still arrive.
	readiness := "ready"
	if why, ok := readyWithin(c.addrs[0], 60*time.Second); !ok {
		t.Errorf("/readyz of %s still says %q a minute after the last fault, with the broker and Redis up", c.procs[0].name, why)
		readiness = "NOT READY a minute after the last fault: " + strings.ReplaceAll(why, "\n", " ")
	}
	e.waitClosed(t, "chaos", "chaos")
	c.logf("chaos group consumed everything and closed its buckets")
	c.checkAlive()
	if code := c.procs[0].exitsWithin(syscall.SIGTERM, 35*time.Second); code != 0 {
		t.Errorf("the last chaos instance exited %d after SIGTERM, want 0", code)
	}
	got := e.stats(t, "chaos", "chaos")

	// The clean run: a fresh group over the very same topic, undisturbed.
	c.logf("clean run")
	p := startOutcry(t, "clean", e.runArgs("clean", "clean")...)
	c.waitConsumed("clean", "clean", 5*time.Minute)
	e.waitClosed(t, "clean", "clean")
	if code := p.exitsWithin(syscall.SIGTERM, 35*time.Second); code != 0 {
		t.Errorf("the clean run exited %d after SIGTERM, want 0", code)
	}
	want := e.stats(t, "clean", "clean")
	if want.Services["whatsapp"].Complaints < 1000 || want.Consumed != onTopic {
		t.Fatalf("the clean run looks wrong: %+v", want)
	}
	for _, reason := range []string{post.ReasonMissingTime, post.ReasonOversized, post.ReasonInvalidJSON,
		post.ReasonNotObject, post.ReasonTooOld, post.ReasonFuture} {
		if want.DeadByReason[reason] < int64(hostile[reason]) {
			t.Errorf("clean run: %d dead letters %s, want at least the %d hostile posts", want.DeadByReason[reason], reason, hostile[reason])
		}
	}

	// The comparison.
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	statsSame := bytes.Equal(gj, wj)
	sameStats(t, got, want)
	if !statsSame {
		for svc := range want.Services {
			diffBuckets(t, e, "clean", "chaos", svc)
		}
	}
	cleanN, chaosN := topicMessages(t, e.broker, "alerts-clean"), topicMessages(t, e.broker, "alerts-chaos")
	if cleanN < 2 {
		t.Fatalf("the clean run published %d events, want at least an incident's start and end", cleanN)
	}
	wantAlerts := alertTypes(t, e.broker, "alerts-clean", int(cleanN))
	gotAlerts := map[string]int{}
	if chaosN > 0 {
		gotAlerts = alertTypes(t, e.broker, "alerts-chaos", int(chaosN))
	}
	alertsSame := fmt.Sprint(gotAlerts) == fmt.Sprint(wantAlerts)
	if !alertsSame {
		t.Errorf("alerts of the chaos run %v, clean run %v", gotAlerts, wantAlerts)
	}
	cleanIDs, chaosIDs := eventIDs(t, e.broker, "alerts-clean", cleanN), eventIDs(t, e.broker, "alerts-chaos", chaosN)
	var missing, twice, extra []string
	for id := range cleanIDs {
		switch n := chaosIDs[id]; {
		case n == 0:
			missing = append(missing, id)
		case n > 1:
			twice = append(twice, fmt.Sprintf("%s ×%d", id, n))
		}
	}
	for id := range chaosIDs {
		if cleanIDs[id] == 0 {
			extra = append(extra, id)
		}
	}
	slices.Sort(missing)
	slices.Sort(twice)
	slices.Sort(extra)
	if len(missing)+len(twice)+len(extra) > 0 {
		t.Errorf("incident events of the chaos run: missing %v, published more than once %v, not in the clean run %v", missing, twice, extra)
	}

	// Dead letters: at least one per dead-lettered message; replays may write some
	// again (a known limitation), which is reported, not failed.
	dlq := dlqReasons(t, e.broker, "dlq-chaos", topicMessages(t, e.broker, "dlq-chaos"))
	dlqN := int64(countEvents(dlq))
	switch {
	case dlqN < got.DeadLettered:
		t.Errorf("%d dead letters on dlq-chaos, fewer than the %d dead-lettered messages", dlqN, got.DeadLettered)
	case dlqN > got.DeadLettered:
		t.Logf("note: %d dead letters on dlq-chaos for %d dead-lettered messages: %d written again on replays (known limitation)", dlqN, got.DeadLettered, dlqN-got.DeadLettered)
	}
	cleanDLQ := topicMessages(t, e.broker, "dlq-clean")
	if cleanDLQ != want.DeadLettered {
		t.Errorf("%d dead letters on dlq-clean, want the clean run's %d", cleanDLQ, want.DeadLettered)
	}

	// The summary.
	verdict := func(ok bool) string {
		if ok {
			return "same"
		}
		return "DIFFERENT"
	}
	var s strings.Builder
	fmt.Fprintf(&s, "chaos run summary (%s, seed %d, %s in all)\n", dur, seed, time.Since(c.began).Round(time.Second))
	fmt.Fprintf(&s, "  faults injected: %s\n", chaosCounts(c.faults))
	fmt.Fprintf(&s, "  outcry processes started: %d (+1 clean run)\n", c.started)
	fmt.Fprintf(&s, "  posts: %d lines (%d scenario, %d hostile), %d messages on the topic (%d duplicated by producer retries; %d failed writes)\n",
		len(lines), len(lines)-countEvents(hostile), countEvents(hostile), onTopic, onTopic-int64(len(lines)), prod.failures.Load())
	fmt.Fprintf(&s, "  consumed: chaos %d, clean %d\n", got.Consumed, want.Consumed)
	fmt.Fprintf(&s, "  dead-lettered: chaos %d %s, clean %d %s\n", got.DeadLettered, chaosCounts(got.DeadByReason), want.DeadLettered, chaosCounts(want.DeadByReason))
	fmt.Fprintf(&s, "  dead letters on the topics: dlq-chaos %d %s, dlq-clean %d\n", dlqN, chaosCounts(dlq), cleanDLQ)
	fmt.Fprintf(&s, "  whatsapp complaints: chaos %d, clean %d\n", got.Services["whatsapp"].Complaints, want.Services["whatsapp"].Complaints)
	fmt.Fprintf(&s, "  alerts: chaos %d events %s, clean %d events %s\n", chaosN, chaosCounts(gotAlerts), cleanN, chaosCounts(wantAlerts))
	fmt.Fprintf(&s, "  incident events of the clean run in the chaos run: %d of %d exactly once (missing %d, more than once %d, extra %d)\n",
		len(cleanIDs)-len(missing)-len(twice), len(cleanIDs), len(missing), len(twice), len(extra))
	fmt.Fprintf(&s, "  /readyz of the last chaos instance: %s\n", readiness)
	fmt.Fprintf(&s, "  stats: %s; alerts: %s; result: %s", verdict(statsSame), verdict(alertsSame), map[bool]string{true: "FAIL", false: "PASS"}[t.Failed()])
	t.Log(s.String())
}

// chaosRun is the state of the fault injection.
type chaosRun struct {
	t     *testing.T
	r     *rand.Rand
	e     *faultEnv
	began time.Time

	mu        sync.Mutex // guards bc for the cleanup
	bc        *kfake.Cluster
	brokerDir string

	procs       []*proc  // the running instances of group "chaos": [0] always, [1] for a while
	addrs       []string // their --http addresses
	secondUntil time.Time
	started     int
	faults      map[string]int
}

func (c *chaosRun) logf(format string, args ...any) {
	c.t.Helper()
	c.t.Logf("%s +%-5s "+format, append([]any{time.Now().Format("15:04:05.000"), time.Since(c.began).Round(time.Second)}, args...)...)
}

// startBroker starts the broker on listen (its previous address after a stop),
// retrying while the port is not free yet.
func (c *chaosRun) startBroker(listen string) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		bc, err := devstack.StartBroker(devstack.BrokerOptions{Listen: listen, Partitions: 3, DataDir: c.brokerDir})
		if err == nil {
			c.mu.Lock()
			c.bc = bc
			c.mu.Unlock()
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("start the broker on %s: %v", listen, err)
		}
		time.Sleep(500 * time.Millisecond) // the port may be in use for a moment
	}
}

func (c *chaosRun) outage() time.Duration {
	return time.Duration(2000+c.r.IntN(18001)) * time.Millisecond
}

func (c *chaosRun) bounceBroker() {
	c.faults["broker stop/start"]++
	d := c.outage()
	c.logf("FAULT broker stop for %s (consumed so far %d)", d.Round(time.Millisecond), c.e.consumed(c.t, "chaos", "chaos"))
	c.mu.Lock()
	c.bc.Close()
	c.bc = nil
	c.mu.Unlock()
	c.sleep(d)
	c.startBroker(c.e.broker)
	c.logf("broker started again")
}

func (c *chaosRun) bounceRedis() {
	c.faults["Redis stop/start"]++
	d := c.outage()
	c.logf("FAULT Redis stop for %s (consumed so far %d)", d.Round(time.Millisecond), c.e.consumed(c.t, "chaos", "chaos"))
	c.e.redis.Stop()
	c.sleep(d)
	if err := c.e.redis.Start(context.Background()); err != nil {
		c.t.Fatalf("start Redis again: %v", err)
	}
	c.logf("Redis started again")
}

func (c *chaosRun) termOne() {
	c.faults["SIGTERM"]++
	i := c.r.IntN(len(c.procs))
	p := c.procs[i]
	c.logf("FAULT SIGTERM %s (pid %d; consumed so far %d)", p.name, p.cmd.Process.Pid, c.e.consumed(c.t, "chaos", "chaos"))
	if code := p.exitsWithin(syscall.SIGTERM, 35*time.Second); code != 0 {
		c.t.Errorf("%s exited %d after SIGTERM, want 0:\n%s", p.name, code, lastBytes(p.out.String(), 3000))
	}
	c.start(i)
}

func (c *chaosRun) killOne() {
	c.faults["kill -9"]++
	i := c.r.IntN(len(c.procs))
	p := c.procs[i]
	c.logf("FAULT kill -9 %s (pid %d; consumed so far %d)", p.name, p.cmd.Process.Pid, c.e.consumed(c.t, "chaos", "chaos"))
	p.kill9()
	c.start(i)
}

// startSecond starts a second instance of the group for 20 to 90 s.
func (c *chaosRun) startSecond() {
	c.faults["second instance"]++
	d := time.Duration(20+c.r.IntN(71)) * time.Second
	c.logf("FAULT second instance for %s", d)
	c.start(len(c.procs))
	c.secondUntil = time.Now().Add(d)
}

func (c *chaosRun) stopSecond() {
	p := c.procs[len(c.procs)-1]
	c.logf("stop the second instance %s (SIGTERM)", p.name)
	if code := p.exitsWithin(syscall.SIGTERM, 35*time.Second); code != 0 {
		c.t.Errorf("%s exited %d after SIGTERM, want 0:\n%s", p.name, code, lastBytes(p.out.String(), 3000))
	}
	c.procs, c.addrs = c.procs[:len(c.procs)-1], c.addrs[:len(c.addrs)-1]
}

// start starts an instance of group "chaos" in slot i.
func (c *chaosRun) start(i int) {
	c.started++
	addr := freeAddr(c.t)
	p := startOutcry(c.t, fmt.Sprintf("chaos-%d", c.started), c.e.runArgs("chaos", "chaos", "--http", addr)...)
	if i == len(c.procs) {
		c.procs, c.addrs = append(c.procs, p), append(c.addrs, addr)
	} else {
		c.procs[i], c.addrs[i] = p, addr
	}
	c.logf("started %s (pid %d, http %s)", p.name, p.cmd.Process.Pid, addr)
}

func (c *chaosRun) checkAlive() {
	for _, p := range c.procs {
		p.alive()
	}
}

// sleep waits d, checking that the instances keep running.
func (c *chaosRun) sleep(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		c.checkAlive()
		time.Sleep(min(200*time.Millisecond, time.Until(end)))
	}
}

// pause waits d between faults, stopping the second instance when its time is up. It
// returns false when the deadline came first.
func (c *chaosRun) pause(d time.Duration, deadline time.Time) bool {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if time.Now().After(deadline) {
			return false
		}
		if len(c.procs) > 1 && time.Now().After(c.secondUntil) {
			c.stopSecond()
		}
		c.checkAlive()
		time.Sleep(200 * time.Millisecond)
	}
	return time.Now().Before(deadline)
}

// waitConsumed waits until the group has consumed every message of the topic.
func (c *chaosRun) waitConsumed(prefix, group string, timeout time.Duration) {
	c.t.Helper()
	last := time.Now()
	testenv.Eventually(c.t, timeout, fmt.Sprintf("all %d messages consumed by %s", c.e.lines, group), func() bool {
		n := c.e.consumed(c.t, prefix, group)
		if time.Since(last) > 15*time.Second {
			c.logf("%s: %d of %d messages consumed", group, n, c.e.lines)
			last = time.Now()
		}
		return n == c.e.lines
	})
}

// readyWithin polls /readyz until it says 200, returning its last answer.
func readyWithin(addr string, limit time.Duration) (string, bool) {
	hc := http.Client{Timeout: time.Second}
	var last string
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		resp, err := hc.Get("http://" + addr + "/readyz")
		if err != nil {
			last = err.Error()
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return "", true
		}
		last = fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return last, false
}

// chaosInput is the scenario's lines in order with hostile posts at random places
// (fixed seed), and how many hostile posts of each dead-letter reason it has.
func chaosInput(t *testing.T, seed uint64) ([][]byte, map[string]int) {
	t.Helper()
	b, err := os.ReadFile(faultInput(t))
	if err != nil {
		t.Fatal(err)
	}
	scen := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	r := rand.New(rand.NewPCG(seed, 2))
	hostile := map[string]int{}
	var bad [][]byte
	add := func(reason string, n int, f func(i int) string) {
		for i := range n {
			bad = append(bad, []byte(f(i)))
		}
		hostile[reason] += n
	}
	recent := time.Date(2022, 10, 25, 6, 0, 0, 0, time.UTC)
	pad := strings.Repeat("whatsapp is down again ", 60)
	add(post.ReasonMissingTime, 120, func(i int) string {
		return fmt.Sprintf(`{"id":"chaos-nots-%d","text":"whatsapp is down %s","author":"x%d"}`, i, pad, i)
	})
	huge := strings.Repeat("x", 70<<10)
	add(post.ReasonOversized, 30, func(i int) string {
		return fmt.Sprintf(`{"id":"chaos-huge-%d","text":"whatsapp down %s","author":"h%d","created_at":%q}`, i, huge, i, recent.Format(time.RFC3339))
	})
	add(post.ReasonInvalidJSON, 60, func(i int) string {
		f := []string{`{"id":"chaos-json-%d","text":"whatsapp down",`, `{"id":"chaos-json-%d" "text"}`, `{{{%d`, `whatsapp down %d`}[i%4]
		return fmt.Sprintf(f, i)
	})
	add(post.ReasonNotObject, 40, func(i int) string {
		return []string{`[1,2,3]`, `"whatsapp is down"`, `42`, `true`}[i%4]
	})
	add(post.ReasonTooOld, 25, func(i int) string {
		return fmt.Sprintf(`{"id":"chaos-2016-%d","text":"whatsapp is down","author":"o%d","created_at":"2016-03-01T09:%02d:00Z"}`, i, i, i%60)
	})
	add(post.ReasonFuture, 25, func(i int) string {
		return fmt.Sprintf(`{"id":"chaos-2099-%d","text":"whatsapp is down","author":"f%d","created_at":"2099-01-01T00:%02d:00Z"}`, i, i, i%60)
	})
	r.Shuffle(len(bad), func(i, j int) { bad[i], bad[j] = bad[j], bad[i] })
	// Positions after the first 2% of the scenario: the group knows its time by then,
	// so that the 2016 posts are too old rather than the start of the group.
	pos := make([]int, len(bad))
	for i := range pos {
		pos[i] = len(scen)/50 + r.IntN(len(scen)-len(scen)/50)
	}
	slices.Sort(pos)
	out := make([][]byte, 0, len(scen)+len(bad))
	j := 0
	for i, line := range scen {
		for j < len(pos) && pos[j] == i {
			out = append(out, bad[j])
			j++
		}
		out = append(out, line)
	}
	return out, hostile
}

// chaosProducer writes the input gradually.
type chaosProducer struct {
	written  atomic.Int64 // lines acknowledged
	failures atomic.Int64 // failed writes (each retried)
	done     chan struct{}
}

// produceGradually writes lines to the posts topic in chunks spread over about
// `over`, from a goroutine. A failed write (the broker away) is retried with back-off
// until it succeeds; the schedule then goes on from there without catching up, so
// that a fault does not end in a burst of posts.
func produceGradually(ctx context.Context, c *chaosRun, lines [][]byte, over time.Duration) *chaosProducer {
	p := &chaosProducer{done: make(chan struct{})}
	const chunk = 40
	interval := over / time.Duration((len(lines)+chunk-1)/chunk)
	go func() {
		defer close(p.done)
		w := kafkaconn.NewWriter([]string{c.e.broker}, "posts")
		defer w.Close()
		next := time.Now()
		for lo := 0; lo < len(lines); lo += chunk {
			todo := lines[lo:min(lo+chunk, len(lines))]
			backoff := 250 * time.Millisecond
			for len(todo) > 0 {
				msgs := make([]kafka.Message, len(todo))
				for i, l := range todo {
					msgs[i].Value = l
				}
				wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				err := w.WriteMessages(wctx, msgs...)
				cancel()
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					return
				}
				if p.failures.Add(1) == 1 || backoff == 250*time.Millisecond {
					c.t.Logf("%s producer: write of lines %d-%d failed, retrying: %v", time.Now().Format("15:04:05.000"), lo, lo+len(todo)-1, err)
				}
				// Only what failed is written again (what failed may have been written
				// all the same: duplicates are fine, the clean run reads them too).
				var werrs kafka.WriteErrors
				if errors.As(err, &werrs) && len(werrs) == len(todo) {
					var again [][]byte
					for i, we := range werrs {
						if we != nil {
							again = append(again, todo[i])
						}
					}
					todo = again
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, 4*time.Second)
			}
			p.written.Store(int64(min(lo+chunk, len(lines))))
			next = next.Add(interval)
			if now := time.Now(); next.Before(now) {
				next = now
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(next)):
			}
		}
	}()
	return p
}

// topicMessages is how many messages topic holds: the sum of its partitions' end
// offsets minus their start offsets.
func topicMessages(t *testing.T, broker, topic string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	parts, err := testenv.Partitions(ctx, broker, topic)
	if err != nil {
		t.Fatalf("partitions of %s: %v", topic, err)
	}
	var n int64
	for _, p := range parts {
		conn, err := kafka.DialLeader(ctx, "tcp", broker, topic, p)
		if err != nil {
			t.Fatalf("%s/%d: %v", topic, p, err)
		}
		first, last, err := conn.ReadOffsets()
		conn.Close()
		if err != nil {
			t.Fatalf("offsets of %s/%d: %v", topic, p, err)
		}
		n += last - first
	}
	return n
}

// eventIDs counts the incident events (not updates) on topic by id.
func eventIDs(t *testing.T, broker, topic string, n int64) map[string]int {
	t.Helper()
	out := map[string]int{}
	if n == 0 {
		return out
	}
	for _, m := range testenv.ReadTopic(t, broker, topic, 60*time.Second, func(ms []kafka.Message) bool { return int64(len(ms)) >= n }) {
		e, err := alert.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		if e.Type != incident.TypeUpdated {
			out[e.ID]++
		}
	}
	return out
}

// dlqReasons counts the n dead letters on topic by reason.
func dlqReasons(t *testing.T, broker, topic string, n int64) map[string]int {
	t.Helper()
	out := map[string]int{}
	if n == 0 {
		return out
	}
	for _, m := range testenv.ReadTopic(t, broker, topic, 60*time.Second, func(ms []kafka.Message) bool { return int64(len(ms)) >= n }) {
		out[testenv.Header(m, source.HeaderReason)]++
	}
	return out
}

// chaosCounts formats counts by name, sorted by name.
func chaosCounts[V int | int64](m map[string]V) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
