package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/outcry-dev/outcry/alert"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/devstack"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/scenario"
	"github.com/outcry-dev/outcry/store"
)

// The fault tests run the real binary as child processes, kill them (-9 and TERM),
// stop Redis and the broker under them, and compare what Redis holds with an
// uninterrupted run over the same input: nothing counted twice, nothing lost.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// TestMain removes what the tests built or wrote once for the whole run (the
// binary, the fault input): about 50 MB a run that would otherwise stay in the
// temporary directory.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	if inputFile != "" {
		os.Remove(inputFile)
	}
	os.Exit(code)
}

// outcryBinary builds the command once per test run.
func outcryBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "outcry-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "outcry")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	out  syncBuffer
	done chan error
}

func startOutcry(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, cmd: exec.Command(outcryBinary(t), args...), done: make(chan error, 1)}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	// OUTCRY_FAULT_LOGDIR keeps each process's whole output, for investigating.
	if dir := os.Getenv("OUTCRY_FAULT_LOGDIR"); dir != "" {
		if f, err := os.Create(filepath.Join(dir, t.Name()+"-"+name+".log")); err == nil {
			t.Cleanup(func() { f.Close() })
			p.cmd.Stdout = io.MultiWriter(&p.out, f)
			p.cmd.Stderr = p.cmd.Stdout
		}
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", p.name, lastBytes(p.out.String(), 4000))
		}
	})
	return p
}

func lastBytes(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func (p *proc) kill9() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// term sends SIGTERM and returns the exit code, failing if it takes over 20 s.
func (p *proc) term() int {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(20 * time.Second):
		p.t.Fatalf("%s did not exit within 20 s of SIGTERM", p.name)
		return -1
	}
}

// faultEnv is a broker with the input on it and a Redis.
type faultEnv struct {
	broker    string
	redis     *devstack.Redis // nil on a cluster
	redisAddr string          // what --redis gets
	rdb       redis.UniversalClient
	lines     int64
	file      string
}

func newFaultEnv(t *testing.T, redisOpt devstack.RedisOptions) *faultEnv {
	t.Helper()
	e := &faultEnv{broker: testenv.Kafka(t, 3).ListenAddrs()[0], redis: testenv.RedisWith(t, redisOpt)}
	e.redisAddr = e.redis.Addr
	e.rdb = testenv.RedisClient(t, e.redis.Addr)
	e.file = faultInput(t)
	e.lines = produceWithKcat(t, e.broker, "posts", e.file)
	return e
}

// newClusterFaultEnv is newFaultEnv on a three-master Redis Cluster.
func newClusterFaultEnv(t *testing.T) *faultEnv {
	t.Helper()
	c := testenv.RedisCluster(t)
	e := &faultEnv{broker: testenv.Kafka(t, 3).ListenAddrs()[0], redisAddr: c.Addrs()}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(c.Addrs(), ",")})
	t.Cleanup(func() { cc.Close() })
	e.rdb = cc
	e.file = faultInput(t)
	e.lines = produceWithKcat(t, e.broker, "posts", e.file)
	return e
}

var (
	inputOnce sync.Once
	inputFile string
)

// faultInput is the demo scenario (40,599 lines with bad ones), written once.
func faultInput(t *testing.T) string {
	inputOnce.Do(func() {
		f, err := os.CreateTemp("", "outcry-fault-*.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := scenario.Write(f, scenario.WhatsApp20221025()); err != nil {
			t.Fatal(err)
		}
		inputFile = f.Name()
	})
	return inputFile
}

// produceWithKcat produces every line of file as one message with standard tooling.
func produceWithKcat(t *testing.T, broker, topic, file string) int64 {
	t.Helper()
	out, err := exec.Command(testenv.Kcat(t), "-P", "-b", broker, "-t", topic, "-l", file).CombinedOutput()
	if err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return int64(bytes.Count(b, []byte("\n")))
}

func (e *faultEnv) runArgs(group, prefix string, extra ...string) []string {
	return append([]string{"run", "--brokers", e.broker, "--redis", e.redisAddr, "--group", group,
		"--redis-prefix", prefix, "--alerts-topic", "alerts-" + group, "--dlq-topic", "dlq-" + group,
		"--session-timeout", "1s", "--idle", "2s", "--http", "", "--log-level", faultLogLevel()}, extra...)
}

func (e *faultEnv) consumed(t *testing.T, prefix, group string) int64 {
	t.Helper()
	tot, err := store.New(e.rdb, store.Options{Prefix: prefix}).Totals(context.Background(), group)
	if err != nil {
		return -1 // Redis may be down on purpose
	}
	return tot["consumed"]
}

func (e *faultEnv) waitConsumed(t *testing.T, prefix, group string) {
	t.Helper()
	testenv.Eventually(t, 120*time.Second, fmt.Sprintf("all %d messages consumed by %s", e.lines, group), func() bool {
		return e.consumed(t, prefix, group) == e.lines
	})
}

// waitClosed waits until the evaluator has closed every bucket up to the newest post
// minus the allowed lateness: all alerts of the input are out. Partitions that ended
// early are waited for during --idle.
func (e *faultEnv) waitClosed(t *testing.T, prefix, group string) {
	t.Helper()
	st := store.New(e.rdb, store.Options{Prefix: prefix})
	var last string // what Redis held at the last look, logged on a timeout
	defer func() {
		if t.Failed() {
			t.Logf("last look: %s", last)
		}
	}()
	testenv.Eventually(t, 120*time.Second, "the last buckets to close", func() bool {
		ctx := context.Background()
		marks, err1 := st.Marks(ctx, group, "posts")
		closed, err2 := st.Closed(ctx, group)
		last = fmt.Sprintf("closed %s (%v), marks %+v (%v)", closed.Format(time.TimeOnly), err2, marks, err1)
		var newest time.Time
		for _, m := range marks {
			if m.Event.After(newest) {
				newest = m.Event
			}
		}
		return err1 == nil && err2 == nil && !newest.IsZero() && !closed.Before(newest.Add(-2*time.Minute-10*time.Second))
	})
}

// stats runs `outcry stats --json`.
func (e *faultEnv) stats(t *testing.T, prefix, group string) store.Stats {
	t.Helper()
	out, err := exec.Command(outcryBinary(t), "stats", "--redis", e.redisAddr, "--redis-prefix", prefix,
		"--group", group, "--json").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("outcry stats: %v\n%s", err, lastBytes(string(ee.Stderr), 3000))
		}
		t.Fatalf("outcry stats: %v", err)
	}
	var st store.Stats
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("outcry stats: %v: %s", err, out)
	}
	st.Keys = 0 // claims and leases differ between runs; the counts must not
	return st
}

// baseline is an uninterrupted run.
func (e *faultEnv) baseline(t *testing.T) store.Stats {
	t.Helper()
	p := startOutcry(t, "baseline", e.runArgs("base", "base")...)
	e.waitConsumed(t, "base", "base")
	e.waitClosed(t, "base", "base")
	if code := p.term(); code != 0 {
		t.Fatalf("baseline run exited %d", code)
	}
	st := e.stats(t, "base", "base")
	if st.Services["whatsapp"].Complaints < 1000 || st.DeadLettered == 0 {
		t.Fatalf("baseline looks wrong: %+v", st)
	}
	return st
}

func sameStats(t *testing.T, got, want store.Stats) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		t.Errorf("stats differ from the uninterrupted run:\n got %s\nwant %s", g, w)
	}
}

// alertTypes counts the events on an alerts topic by service and type.
func alertTypes(t *testing.T, broker, topic string, want int) map[string]int {
	t.Helper()
	msgs := testenv.ReadTopic(t, broker, topic, 60*time.Second, func(ms []kafka.Message) bool { return len(ms) >= want })
	out := map[string]int{}
	seen := map[string]bool{}
	for _, m := range msgs {
		e, err := alert.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		if seen[e.ID] {
			t.Errorf("event %s published twice", e.ID)
		}
		seen[e.ID] = true
		t.Logf("%s: %s %s %s detected %s", topic, e.ID, e.Type, e.Data.Severity, e.Data.DetectedAt.Format(time.TimeOnly))
		// Updates depend on when buckets were evaluated (an early start on open
		// buckets, or at their close): the incidents, their start and end, must not.
		if e.Type != incident.TypeUpdated {
			out[e.Data.Service+" "+e.Type]++
		}
	}
	return out
}

func countEvents(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func TestFaultKillNine(t *testing.T) {
	killNine(t, newFaultEnv(t, devstack.RedisOptions{}))
}

// TestFaultKillNineCluster is the same on a three-master Redis Cluster: every
// multi-key operation must stay in one slot.
func TestFaultKillNineCluster(t *testing.T) {
	killNine(t, newClusterFaultEnv(t))
}

func killNine(t *testing.T, e *faultEnv) {
	want := e.baseline(t)
	wantAlerts := alertTypes(t, e.broker, "alerts-base", 2)

	// Four kill points at random places in the stream, each while the process is
	// consuming (small batches, so the kill lands between its many Redis writes and
	// commits).
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	targets := make([]int64, 4)
	for i := range targets {
		targets[i] = e.lines/10 + r.Int64N(e.lines*8/10)
	}
	slices.Sort(targets)
	for i, target := range targets {
		p := startOutcry(t, fmt.Sprintf("kill-run-%d", i), e.runArgs("kill", "kill", "--batch-size", "500")...)
		testenv.Eventually(t, 60*time.Second, fmt.Sprintf("%d messages consumed", target), func() bool {
			return e.consumed(t, "kill", "kill") >= target
		})
		at := e.consumed(t, "kill", "kill")
		p.kill9()
		t.Logf("kill -9 #%d after %d of %d messages", i+1, at, e.lines)
	}
	p := startOutcry(t, "kill-final", e.runArgs("kill", "kill")...)
	e.waitConsumed(t, "kill", "kill")
	e.waitClosed(t, "kill", "kill")
	if code := p.term(); code != 0 {
		t.Errorf("final run exited %d", code)
	}
	sameStats(t, e.stats(t, "kill", "kill"), want)
	got := alertTypes(t, e.broker, "alerts-kill", countEvents(wantAlerts))
	if fmt.Sprint(got) != fmt.Sprint(wantAlerts) {
		t.Errorf("alerts after kills %v, uninterrupted %v", got, wantAlerts)
	}
}

func TestFaultSIGTERMDrains(t *testing.T) {
	e := newFaultEnv(t, devstack.RedisOptions{})
	want := e.baseline(t)
	p := startOutcry(t, "term", e.runArgs("term", "term")...)
	testenv.Eventually(t, 60*time.Second, "consumption to start", func() bool { return e.consumed(t, "term", "term") > 0 })
	began := time.Now()
	if code := p.term(); code != 0 {
		t.Fatalf("SIGTERM: exit code %d, want 0", code)
	}
	t.Logf("drained and exited in %s after %d of %d messages", time.Since(began).Round(time.Millisecond), e.consumed(t, "term", "term"), e.lines)
	p = startOutcry(t, "term-2", e.runArgs("term", "term")...)
	e.waitConsumed(t, "term", "term")
	p.term()
	sameStats(t, e.stats(t, "term", "term"), want)
}

func TestFaultRedisRestart(t *testing.T) {
	e := newFaultEnv(t, devstack.RedisOptions{Persist: true})
	want := e.baseline(t)
	addr := freeAddr(t)
	p := startOutcry(t, "redis-restart", e.runArgs("rr", "rr", "--http", addr)...)
	testenv.Eventually(t, 60*time.Second, "consumption to start", func() bool { return e.consumed(t, "rr", "rr") > 0 })
	e.redis.Stop()
	testenv.Eventually(t, 30*time.Second, "/readyz to say not ready", func() bool { return httpStatus(addr, "/readyz") == http.StatusServiceUnavailable })
	if err := e.redis.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.waitConsumed(t, "rr", "rr")
	testenv.Eventually(t, 30*time.Second, "/readyz to say ready", func() bool { return httpStatus(addr, "/readyz") == http.StatusOK })
	p.term()
	sameStats(t, e.stats(t, "rr", "rr"), want)
}

// restartableBroker is a broker that keeps its data in a directory, so that it can be
// stopped and started again at the same address.
type restartableBroker struct {
	t    *testing.T
	c    *kfake.Cluster
	addr string
	dir  string
}

func (b *restartableBroker) stop() { b.c.Close() }

func (b *restartableBroker) start() {
	b.t.Helper()
	c, err := devstack.StartBroker(devstack.BrokerOptions{Listen: b.addr, Partitions: 3, DataDir: b.dir})
	if err != nil {
		b.t.Fatal(err)
	}
	b.c = c
}

// newRestartableEnv is newFaultEnv on a broker that can be stopped and started again.
func newRestartableEnv(t *testing.T) (*faultEnv, *restartableBroker) {
	t.Helper()
	b := &restartableBroker{t: t, addr: "127.0.0.1:0", dir: t.TempDir()}
	b.start()
	b.addr = b.c.ListenAddrs()[0]
	t.Cleanup(func() { b.c.Close() })
	rds := testenv.Redis(t)
	e := &faultEnv{broker: b.addr, redis: rds, redisAddr: rds.Addr, rdb: testenv.RedisClient(t, rds.Addr), file: faultInput(t)}
	e.lines = produceWithKcat(t, b.addr, "posts", e.file)
	return e, b
}

func TestFaultBrokerRestart(t *testing.T) {
	e, b := newRestartableEnv(t)
	want := e.baseline(t)

	p := startOutcry(t, "broker-restart", e.runArgs("br", "br")...)
	testenv.Eventually(t, 60*time.Second, "consumption to start", func() bool { return e.consumed(t, "br", "br") > 0 })
	b.stop()
	t.Logf("broker stopped after %d of %d messages", e.consumed(t, "br", "br"), e.lines)
	b.start()
	e.waitConsumed(t, "br", "br")
	p.term()
	sameStats(t, e.stats(t, "br", "br"), want)
}

func TestFaultTwoInstances(t *testing.T) {
	e := newFaultEnv(t, devstack.RedisOptions{})
	want := e.baseline(t)
	wantAlerts := alertTypes(t, e.broker, "alerts-base", 2)
	a := startOutcry(t, "instance-a", e.runArgs("two", "two")...)
	b := startOutcry(t, "instance-b", e.runArgs("two", "two")...)
	testenv.Eventually(t, 60*time.Second, "consumption to start", func() bool { return e.consumed(t, "two", "two") > 0 })
	a.kill9()
	t.Logf("instance A killed after %d of %d messages", e.consumed(t, "two", "two"), e.lines)
	e.waitConsumed(t, "two", "two")
	e.waitClosed(t, "two", "two")
	b.term()
	sameStats(t, e.stats(t, "two", "two"), want)
	if t.Failed() {
		for svc := range want.Services {
			diffBuckets(t, e, "base", "two", svc)
		}
	}
	got := alertTypes(t, e.broker, "alerts-two", countEvents(wantAlerts))
	if fmt.Sprint(got) != fmt.Sprint(wantAlerts) {
		t.Errorf("alerts with two instances %v, one %v", got, wantAlerts)
	}
}

// diffBuckets logs the buckets of svc whose counts differ between two prefixes.
func diffBuckets(t *testing.T, e *faultEnv, a, b, svc string) {
	ctx := context.Background()
	from := time.Date(2022, 10, 25, 4, 0, 0, 0, time.UTC).Unix()
	to := time.Date(2022, 10, 25, 9, 40, 0, 0, time.UTC).Unix()
	ca, err1 := store.New(e.rdb, store.Options{Prefix: a}).Read(ctx, []string{svc}, from, to)
	cb, err2 := store.New(e.rdb, store.Options{Prefix: b}).Read(ctx, []string{svc}, from, to)
	if err1 != nil || err2 != nil {
		t.Logf("diff: %v %v", err1, err2)
		return
	}
	for i := range ca[svc] {
		if ca[svc][i].Posts != cb[svc][i].Posts {
			t.Logf("%s bucket %s: %s %d, %s %d", svc, time.Unix(from+int64(i)*10, 0).UTC().Format(time.TimeOnly), a, ca[svc][i].Posts, b, cb[svc][i].Posts)
		}
	}
}

// faultLogLevel is debug when the whole logs are kept (OUTCRY_FAULT_LOGDIR).
func faultLogLevel() string {
	if os.Getenv("OUTCRY_FAULT_LOGDIR") != "" {
		return "debug"
	}
	return "warn"
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func httpStatus(addr, path string) int {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
