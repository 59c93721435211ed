package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/post"
	"github.com/outcry-dev/outcry/scenario"
	"github.com/outcry-dev/outcry/source"
	"github.com/outcry-dev/outcry/store"
)

// The faults here are about the data flow, not the process: they drive app.New in the
// test's process. Those about the process (kill -9, SIGTERM, SIGHUP, exit codes) run the
// binary, in cmd/outcry.

// running is an App started by startApp.
type running struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan error
	logs   *observer.ObservedLogs
}

// startApp runs New on broker and rdb for group (also the key prefix and the suffix of
// the alerts and dead-letter topics), with the changes of mod, until stop or the end of
// the test.
func startApp(t *testing.T, broker string, rdb redis.UniversalClient, group string, mod func(*Options)) *running {
	t.Helper()
	core, logs := observer.New(zap.WarnLevel)
	o := Options{
		Kafka: kafkaconn.Config{Brokers: []string{broker}, Group: group, AlertsTopic: "alerts-" + group,
			DLQTopic: "dlq-" + group, SessionTimeout: time.Second},
		Redis: rdb, RedisPrefix: group, Idle: 2 * time.Second,
	}
	if mod != nil {
		mod(&o)
	}
	a, err := New(o, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{t: t, cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() { r.done <- a.Run(ctx) }()
	t.Cleanup(func() {
		r.stop()
		a.Close()
	})
	return r
}

// stop ends Run and fails the test if it returned an error or took over 20 s.
func (r *running) stop() {
	r.t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			r.t.Errorf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		r.t.Fatal("Run did not return within 20 s of its context's end")
	}
}

// alive fails the test if Run has returned.
func (r *running) alive() {
	r.t.Helper()
	select {
	case err := <-r.done:
		r.t.Fatalf("Run returned (%v) while it should keep running", err)
	default:
	}
}

// produce replays the JSONL of b into topic and returns its lines.
func produce(t *testing.T, broker, topic string, b []byte) int64 {
	t.Helper()
	w := kafkaconn.NewWriter([]string{broker}, topic)
	defer w.Close()
	st, err := source.Replay(context.Background(), w, bytes.NewReader(b), source.ReplayOptions{})
	if err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
	return st.Lines
}

func consumed(rdb redis.UniversalClient, group string) int64 {
	tot, err := store.New(rdb, store.Options{Prefix: group}).Totals(context.Background(), group)
	if err != nil {
		return -1
	}
	return tot["consumed"]
}

func waitConsumed(t *testing.T, rdb redis.UniversalClient, group string, lines int64) {
	t.Helper()
	testenv.Eventually(t, 120*time.Second, fmt.Sprintf("all %d messages consumed by %s", lines, group), func() bool {
		return consumed(rdb, group) == lines
	})
}

func stats(t *testing.T, rdb redis.UniversalClient, group string) store.Stats {
	t.Helper()
	st, err := store.New(rdb, store.Options{Prefix: group}).Stats(context.Background(), group, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// badInput is what an upstream schema change and a run of huge invalid messages look
// like: 3,000 posts of 1.5 KB without created_at and 60 invalid posts of 70 KB, between
// good posts. It returns the input and how many good posts it has.
func badInput(now time.Time) ([]byte, int) {
	var b bytes.Buffer
	good := 0
	pad := strings.Repeat("lorem ipsum ", 120)
	for i := range 3000 {
		fmt.Fprintf(&b, `{"id":"s%d","text":"whatsapp is down %s","author":"a%d"}`+"\n", i, pad, i)
		if i%10 == 0 {
			fmt.Fprintf(&b, `{"id":"g%d","text":"whatsapp is down","author":"g%d","created_at":%q}`+"\n", i, i, now.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano))
			good++
		}
	}
	huge := strings.Repeat("x", 70<<10)
	for i := range 60 {
		fmt.Fprintf(&b, `{"id":"h%d","text":"%s"}`+"\n", i, huge) // over MaxPostBytes
	}
	return b.Bytes(), good
}

// A dead-letter topic with Apache Kafka's default message limit (about 1 MB) takes
// every dead letter of a bad day, and the good posts are counted.
func TestFaultDeadLettersWithKafkasLimit(t *testing.T) {
	broker := testenv.Kafka(t, 3).ListenAddrs()[0]
	rdb := testenv.RedisClient(t, testenv.Redis(t).Addr)
	testenv.CreateTopic(t, broker, "dlq-bad", 3, 1048588)
	in, good := badInput(time.Now().UTC().Add(-time.Hour))
	lines := produce(t, broker, "posts", in)
	r := startApp(t, broker, rdb, "bad", nil)
	waitConsumed(t, rdb, "bad", lines)
	r.stop()
	st := stats(t, rdb, "bad")
	if st.DeadLettered != lines-int64(good) || st.DeadByReason[post.ReasonMissingTime] != 3000 || st.DeadByReason[post.ReasonOversized] != 60 {
		t.Errorf("dead-lettered %d %v, want %d: 3,000 missing_created_at and 60 oversized", st.DeadLettered, st.DeadByReason, lines-int64(good))
	}
	if got := st.Services["whatsapp"].Complaints; got != int64(good) {
		t.Errorf("%d complaints counted, want the %d good posts", got, good)
	}
	msgs := testenv.ReadTopic(t, broker, "dlq-bad", 60*time.Second, func(ms []kafka.Message) bool { return int64(len(ms)) >= st.DeadLettered })
	if int64(len(msgs)) != st.DeadLettered {
		t.Errorf("%d dead letters on the topic, want %d", len(msgs), st.DeadLettered)
	}
}

// demoInput is the demo scenario (40,599 lines with bad ones).
func demoInput(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := scenario.Write(&b, scenario.WhatsApp20221025()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A new group whose first post is dated 2016, alone in its first batch, then today's
// posts, and a year-1 post among them: consumption and evaluation finish within
// seconds (walking the years between bucket by bucket took hours), and the year-1
// post is dead-lettered as too_old.
func TestFaultBackdatedFirstPost(t *testing.T) {
	broker := testenv.Kafka(t, 1).ListenAddrs()[0]
	rdb := testenv.RedisClient(t, testenv.Redis(t).Addr)
	lines := produce(t, broker, "posts", []byte(`{"id":"old","text":"whatsapp down","created_at":"2016-03-01T09:00:00Z"}`+"\n"))
	r := startApp(t, broker, rdb, "old", nil)
	testenv.Eventually(t, 30*time.Second, "the 2016 post to be consumed", func() bool { return consumed(rdb, "old") == 1 })
	lines += produce(t, broker, "posts", append([]byte(`{"id":"year1","text":"whatsapp down","created_at":"0001-01-01T00:00:00Z"}`+"\n"), demoInput(t)...))
	waitConsumed(t, rdb, "old", lines)
	waitClosed(t, rdb, "old")
	r.alive()
	r.stop()
	st := stats(t, rdb, "old")
	if st.DeadByReason[post.ReasonTooOld] != 1 {
		t.Errorf("too_old: %d, want the year-1 post", st.DeadByReason[post.ReasonTooOld])
	}
	if st.Services["whatsapp"].Complaints < 1000 {
		t.Errorf("only %d complaints counted", st.Services["whatsapp"].Complaints)
	}
}

// waitClosed waits until the evaluator has closed every bucket up to the newest post
// minus the allowed lateness: all alerts of the input are out.
func waitClosed(t *testing.T, rdb redis.UniversalClient, group string) {
	t.Helper()
	st := store.New(rdb, store.Options{Prefix: group})
	testenv.Eventually(t, 120*time.Second, "the last buckets to close", func() bool {
		ctx := context.Background()
		marks, err1 := st.Marks(ctx, group, "posts")
		closed, err2 := st.Closed(ctx, group)
		var newest time.Time
		for _, m := range marks {
			if m.Event.After(newest) {
				newest = m.Event
			}
		}
		return err1 == nil && err2 == nil && !newest.IsZero() && !closed.Before(newest.Add(-Defaults().Lateness-Defaults().Bucket))
	})
}

// A dead-letter topic that refuses every dead letter (a limit smaller than a record's
// headers) does not stop the good posts: they are all counted, and the run says
// loudly that it is degraded (/readyz, a metric, the log).
func TestFaultDeadLetterTopicRefuses(t *testing.T) {
	broker := testenv.Kafka(t, 3).ListenAddrs()[0]
	rdb := testenv.RedisClient(t, testenv.Redis(t).Addr)
	lines := produce(t, broker, "posts", demoInput(t))
	testenv.CreateTopic(t, broker, "dlq-refuse", 1, 60)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	r := startApp(t, broker, rdb, "refuse", func(o *Options) { o.HTTP = ln })
	waitConsumed(t, rdb, "refuse", lines)
	r.alive()
	code, body := get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "dead-letter topic unwritable: message_too_large") {
		t.Errorf("/readyz %d %q with the dead-letter topic refusing writes, want 503 and the reason", code, body)
	}
	if _, body := get(t, base+"/metrics"); !strings.Contains(body, `outcry_dead_letters_unwritable_total{reason="message_too_large"}`) {
		t.Errorf("no outcry_dead_letters_unwritable_total in /metrics")
	}
	if r.logs.FilterMessageSnippet("the dead-letter topic refused dead letters").Len() == 0 {
		t.Errorf("nothing logged of the refused dead letters")
	}
	r.stop()
	st := stats(t, rdb, "refuse")
	if st.DeadLettered == 0 || st.Services["whatsapp"].Complaints < 1000 {
		t.Errorf("stats %+v", st)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
