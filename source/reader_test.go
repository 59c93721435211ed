package source_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap/zaptest"

	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/source"
)

// A broker slow to start its fetch replies must slow consumption down, not stop it.
// kafka-go gives a fetch's reply MaxWait to start arriving and, when it is late,
// retries the same fetch: with a reply that is always late (kfake builds a whole
// reply before sending it, and on a loaded machine a large one took longer than the
// 100ms MaxWait had been), the reader never got past its first offset.
func TestReaderSurvivesSlowFetchReplies(t *testing.T) {
	c := testenv.Kafka(t, 1, "posts")
	broker := c.ListenAddrs()[0]
	const n = 500
	w := kafkaconn.NewWriter([]string{broker}, "posts")
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i].Value = fmt.Appendf(nil, `{"id":"%d","text":"hello","created_at":"2026-01-05T00:00:00Z"}`, i)
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}

	// Every fetch reply is held back 300ms (the other requests, on other
	// connections, go on meanwhile).
	const delay = 300 * time.Millisecond
	c.ControlKey(int16(kmsg.Fetch), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		c.SleepControl(func() { <-time.After(delay) })
		return nil, nil, false
	})

	rd := source.NewReader(kafkaconn.Config{Brokers: []string{broker}, Group: "slow", PostsTopic: "posts"}, zaptest.NewLogger(t), nil)
	defer rd.Close()
	for i := range n {
		m, err := rd.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("after %d of %d messages: %v", i, n, err)
		}
		if m.Offset != int64(i) {
			t.Fatalf("message %d has offset %d", i, m.Offset)
		}
	}
}
