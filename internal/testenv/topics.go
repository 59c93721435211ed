package testenv

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/alert/tail"
	"github.com/segmentio/kafka-go"
)

// ReadTopic reads every message of topic (all partitions) until cond holds.
func ReadTopic(t *testing.T, broker, topic string, timeout time.Duration, cond func([]kafka.Message) bool) []kafka.Message {
	t.Helper()
	var (
		mu  sync.Mutex
		all []kafka.Message
	)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var parts []int
	Eventually(t, timeout, "topic "+topic+" to exist", func() bool {
		ps, err := Partitions(ctx, broker, topic)
		parts = ps
		return err == nil && len(ps) > 0
	})
	var wg sync.WaitGroup
	for _, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: topic, Partition: p, MaxWait: 100 * time.Millisecond})
			defer r.Close()
			for {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					return
				}
				mu.Lock()
				all = append(all, m)
				mu.Unlock()
			}
		}()
	}
	Eventually(t, timeout, "messages on "+topic, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return cond(all)
	})
	cancel()
	wg.Wait()
	return all
}

// Header returns the value of the header key of m ("" when absent).
func Header(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// Partitions lists the partitions of topic.
func Partitions(ctx context.Context, broker, topic string) ([]int, error) {
	return tail.Partitions(ctx, &kafka.Dialer{Timeout: 10 * time.Second}, broker, topic)
}
