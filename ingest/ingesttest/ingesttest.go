// Package ingesttest runs ingest.Run on the real parts for the connectors' tests: an
// in-process Kafka-protocol broker over TCP, a redis-server for the cursor, a metrics
// registry, and loggers whose lines a test can search (a token must never appear).
package ingesttest

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/outcry-dev/outcry/ingest"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/post"
	sourcepkg "github.com/outcry-dev/outcry/source"
	"github.com/outcry-dev/outcry/store"
)

// Rig is a broker with the posts and dead-letter topics, a Redis store and metrics.
type Rig struct {
	Broker  string
	Store   *store.Store
	Metrics *ingest.Metrics
}

// NewRig starts the broker and Redis for t.
func NewRig(t *testing.T) *Rig {
	t.Helper()
	k := testenv.Kafka(t, 2, "posts", "posts.dlq")
	r := testenv.Redis(t)
	return &Rig{Broker: k.ListenAddrs()[0], Store: store.New(testenv.RedisClient(t, r.Addr), store.Options{Prefix: "t"}),
		Metrics: ingest.NewMetrics(prometheus.NewRegistry())}
}

// Options are ingest's defaults on endpoints, with the back-off and the saves made
// short for a test.
func Options(endpoints ...string) ingest.Options {
	o := ingest.Defaults()
	o.Endpoints = endpoints
	o.BackoffMin, o.BackoffMax = 20*time.Millisecond, 200*time.Millisecond
	o.SaveEvery = 10 * time.Millisecond
	return o
}

// Start runs src with o, producing to the rig's broker, until stop is called; stop
// fails the test when Run returns an error or takes over 30 s.
func (g *Rig) Start(t *testing.T, src ingest.Source, o ingest.Options, log *zap.Logger) (stop func()) {
	return g.StartTo(t, g.Broker, src, o, log)
}

// StartTo is Start producing to broker.
func (g *Rig) StartTo(t *testing.T, broker string, src ingest.Source, o ingest.Options, log *zap.Logger) (stop func()) {
	t.Helper()
	w := kafkaconn.NewWriter([]string{broker}, "posts")
	dw := kafkaconn.NewWriter([]string{broker}, "posts.dlq")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ingest.Run(ctx, o, ingest.Deps{
			Source: src, Producer: ingest.KafkaProducer{W: w}, DLQ: ingest.KafkaDLQ{D: &sourcepkg.DLQ{W: dw}},
			Cursors: g.Store, Metrics: g.Metrics, Log: log,
		})
	}()
	return func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Run did not return within 30 s of its context ending")
		}
		w.Close()
		dw.Close()
	}
}

// WaitRead waits until Run has read every one of the n posts of source: the posts
// read are the distinct ones and those read again.
func (g *Rig) WaitRead(t *testing.T, source string, n int) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, "every post to be read", func() bool {
		return testutil.ToFloat64(g.Metrics.Events(source, ingest.KindPost)) == float64(n)+testutil.ToFloat64(g.Metrics.Duplicates(source))
	})
}

// IDs counts msgs by post id, failing the test on a message that is not a canonical
// post of source keyed by its id.
func IDs(t *testing.T, source string, msgs []kafka.Message) map[string]int {
	t.Helper()
	got := map[string]int{}
	for _, m := range msgs {
		p, shape, err := post.Decode(m.Value, 0)
		if err != nil || shape != post.ShapeCanonical || string(m.Key) != p.ID || p.Source != source {
			t.Errorf("produced %q (key %q): %v, shape %s", m.Value, m.Key, err, shape)
		}
		got[p.ID]++
	}
	return got
}

// ExactlyOnce checks that every wanted post was produced once, and nothing else.
func ExactlyOnce(t *testing.T, got map[string]int, want map[string]bool) {
	t.Helper()
	for id := range want {
		if got[id] != 1 {
			t.Errorf("post %s produced %d times, want once", id, got[id])
		}
	}
	if len(got) != len(want) {
		t.Errorf("produced %d distinct posts, want %d: %v", len(got), len(want), got)
	}
}

// DeadLetters checks that the dead-letter topic holds exactly want (reason →
// count), each from source.
func (g *Rig) DeadLetters(t *testing.T, source string, want map[string]int) {
	t.Helper()
	n := 0
	for _, c := range want {
		n += c
	}
	dlq := testenv.ReadTopic(t, g.Broker, "posts.dlq", 10*time.Second, func(m []kafka.Message) bool { return len(m) >= n })
	got := map[string]int{}
	for _, m := range dlq {
		got[testenv.Header(m, sourcepkg.HeaderReason)]++
		if from := testenv.Header(m, sourcepkg.HeaderTopic); from != source {
			t.Errorf("a dead letter from %q, want %s", from, source)
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("dead letters by reason %v, want %v only", got, want)
	}
}

// Log is a logger writing to the test's log that also keeps every line, so that a
// test can check what was never logged.
type Log struct {
	*zap.Logger
	lines *observer.ObservedLogs
}

// NewLog returns a Log for t.
func NewLog(t *testing.T) Log {
	core, lines := observer.New(zap.DebugLevel)
	return Log{zap.New(zapcore.NewTee(core, zaptest.NewLogger(t).Core())), lines}
}

// Said reports whether a line logged so far says s, in its message or its fields.
func (l Log) Said(s string) bool {
	for _, e := range l.lines.All() {
		if strings.Contains(fmt.Sprint(e.Message, e.ContextMap()), s) {
			return true
		}
	}
	return false
}
