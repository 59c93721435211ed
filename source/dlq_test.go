package source_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/post"
	"github.com/outcry-dev/outcry/source"
)

// countTopic reads every message of topic's partitions.
func countTopic(t *testing.T, broker, topic string, partitions int) []kafka.Message {
	t.Helper()
	var out []kafka.Message
	for p := range partitions {
		conn, err := kafka.DialLeader(context.Background(), "tcp", broker, topic, p)
		if err != nil {
			t.Fatal(err)
		}
		last, err := conn.ReadLastOffset()
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: topic, Partition: p, MaxWait: 100 * time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		for i := int64(0); i < last; i++ {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				t.Fatalf("%s[%d] at %d of %d: %v", topic, p, i, last, err)
			}
			out = append(out, m)
		}
		cancel()
		r.Close()
	}
	return out
}

// Dead letters are sized to what the dead-letter topic accepts: batches that would
// exceed Apache Kafka's default limit (an upstream schema change, a run of huge
// invalid posts), and a topic with a lower limit, are all written, each letter
// with its reason and where the original is; a topic too small for even the headers
// refuses them with a *RefusedError rather than an error retried forever.
func TestDeadLettersFitTheTopic(t *testing.T) {
	broker := testenv.Kafka(t, 3).ListenAddrs()[0]
	letters := func(n, size int) []source.DeadLetter {
		out := make([]source.DeadLetter, n)
		for i := range out {
			v := bytes.Repeat([]byte("x"), size)
			copy(v, fmt.Sprintf(`{"id":"%d",`, i))
			out[i] = source.DeadLetter{
				Msg:    kafka.Message{Topic: "posts", Partition: i % 3, Offset: int64(i), Key: fmt.Appendf(nil, "k%d", i), Value: v},
				Reason: post.ReasonMissingTime, Detail: "no created_at",
			}
		}
		return out
	}
	tests := []struct {
		name     string
		maxBytes int
		letters  []source.DeadLetter
		cut      int // the longest value on the topic, 0 for whole
		refused  bool
	}{
		{"3,000 posts of 1.5 KB under Kafka's default limit", 1048588, letters(3000, 1500), 0, false},
		{"60 invalid posts of 70 KB under Kafka's default limit", 1048588, letters(60, 70<<10), 64 << 10, false},
		{"a topic limited to 20 KB", 20000, letters(200, 30<<10), 20000, false},
		{"a topic too small for the headers", 60, letters(5, 100), 0, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic := fmt.Sprintf("dlq-%d", i)
			testenv.CreateTopic(t, broker, topic, 3, tt.maxBytes)
			w := kafkaconn.NewWriter([]string{broker}, topic)
			defer w.Close()
			d := &source.DLQ{W: w, Limit: kafkaconn.TopicLimit([]string{broker}, kafkaconn.Security{}, topic)}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			err := d.DeadLetter(ctx, tt.letters)
			var refused *source.RefusedError
			if tt.refused {
				if !errors.As(err, &refused) || refused.N != len(tt.letters) {
					t.Fatalf("got %v, want a refusal of %d dead letters", err, len(tt.letters))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := countTopic(t, broker, topic, 3)
			if len(got) != len(tt.letters) {
				t.Fatalf("%d dead letters on the topic, want %d", len(got), len(tt.letters))
			}
			seen := map[string]bool{}
			for _, m := range got {
				var reason, off string
				for _, h := range m.Headers {
					switch h.Key {
					case source.HeaderReason:
						reason = string(h.Value)
					case source.HeaderOffset:
						off = string(h.Value)
					}
				}
				if reason != post.ReasonMissingTime || seen[off] {
					t.Fatalf("dead letter at offset header %q: reason %q (duplicate: %v)", off, reason, seen[off])
				}
				seen[off] = true
				if tt.cut > 0 && len(m.Value) > tt.cut {
					t.Fatalf("a dead letter of %d bytes on a topic limited to %d", len(m.Value), tt.cut)
				}
				if tt.cut == 0 && len(m.Value) != len(tt.letters[0].Msg.Value) {
					t.Fatalf("a dead letter cut to %d bytes", len(m.Value))
				}
			}
		})
	}
}

// A line larger than the broker accepts (Apache Kafka's default limit is about 1 MB)
// is left out and reported; the replay goes on with the lines after it.
func TestReplayLeavesOutWhatTheBrokerRefuses(t *testing.T) {
	broker := testenv.Kafka(t, 1, "posts").ListenAddrs()[0]
	var in bytes.Buffer
	for i := range 5 {
		fmt.Fprintf(&in, `{"id":"%d","text":"whatsapp down","created_at":"2026-01-05T00:00:00Z"}`+"\n", i)
		if i == 2 {
			fmt.Fprintf(&in, `{"id":"huge","text":"%s","created_at":"2026-01-05T00:00:00Z"}`+"\n", bytes.Repeat([]byte("x"), 2<<20))
		}
	}
	w := kafkaconn.NewWriter([]string{broker}, "posts")
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := source.Replay(ctx, w, &in, source.ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Lines != 6 || st.TooLarge != 1 || fmt.Sprint(st.TooLargeLines) != "[4]" {
		t.Errorf("lines %d, too large %d %v; want 6 lines, line 4 left out", st.Lines, st.TooLarge, st.TooLargeLines)
	}
	if got := countTopic(t, broker, "posts", 1); len(got) != 5 {
		t.Errorf("%d messages on the topic, want 5", len(got))
	}
}
