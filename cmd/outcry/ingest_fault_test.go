package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/outcry-dev/outcry/devstack"
	"github.com/outcry-dev/outcry/ingest/jetstream/jetstreamtest"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/post"
)

// livePosts are n Bluesky frames of posts, a second apart in event time.
func livePosts(n int) [][]byte {
	start := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = jetstreamtest.Frame(post.Post{
			ID: fmt.Sprintf("p%05d", i), Author: fmt.Sprintf("u%d", i%97), Lang: "en",
			Text: fmt.Sprintf("post %d: is whatsapp down for anyone else?", i), CreatedAt: start.Add(time.Duration(i) * time.Second),
		})
	}
	return frames
}

// TestIngestFaults runs `outcry ingest bluesky` as a process on a paced loopback
// Jetstream: the broker goes away for as long as the source takes to send 300 more
// posts (seconds), then Redis does; the process says it is not ready meanwhile, every
// post reaches the topic exactly once, and SIGTERM ends it cleanly.
func TestIngestFaults(t *testing.T) {
	const n = 1000
	srv, url := jetstreamtest.NewServer(t, livePosts(n), jetstreamtest.Conn{Send: -1, Pace: 10 * time.Millisecond})
	b := &restartableBroker{t: t, addr: "127.0.0.1:0", dir: t.TempDir()}
	b.start()
	b.addr = b.c.ListenAddrs()[0]
	t.Cleanup(func() { b.c.Close() })
	rds := testenv.RedisWith(t, devstack.RedisOptions{Persist: true})
	addr := freeAddr(t)
	p := startOutcry(t, "ingest", "ingest", "bluesky", "--url", url, "--brokers", b.addr, "--redis", rds.Addr,
		"--redis-prefix", "if", "--http", addr, "--log-level", "warn")

	away := func(what string, stop, start func()) {
		t.Helper()
		from := srv.Sent()
		stop()
		testenv.Eventually(t, 30*time.Second, "/readyz to say not ready with "+what+" away", func() bool {
			return httpStatus(addr, "/readyz") == http.StatusServiceUnavailable
		})
		testenv.Eventually(t, 30*time.Second, "300 more posts sent with "+what+" away", func() bool { return srv.Sent() >= from+300 })
		start()
		testenv.Eventually(t, 30*time.Second, "/readyz to say ready again", func() bool { return httpStatus(addr, "/readyz") == http.StatusOK })
	}
	testenv.Eventually(t, 30*time.Second, "the first posts", func() bool { return srv.Sent() >= 100 })
	away("the broker", b.stop, b.start)
	away("Redis", rds.Stop, func() {
		if err := rds.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	<-srv.SentAll
	msgs := testenv.ReadTopic(t, b.addr, "posts", 60*time.Second, func(m []kafka.Message) bool { return len(m) >= n })
	if code := p.term(); code != 0 {
		t.Errorf("SIGTERM: exit code %d, want 0", code)
	}
	msgs = testenv.ReadTopic(t, b.addr, "posts", 30*time.Second, func(m []kafka.Message) bool { return len(m) >= len(msgs) })
	seen := map[string]int{}
	for _, m := range msgs {
		seen[string(m.Key)]++
	}
	dups := 0
	for _, c := range seen {
		dups += c - 1
	}
	if len(seen) != n || dups != 0 {
		t.Errorf("%d distinct posts on the topic (want %d), %d produced twice", len(seen), n, dups)
	}
}
