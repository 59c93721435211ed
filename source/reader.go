// Package source is where posts enter Outcry: the consumer-group reader of the posts
// topic, the dead-letter writer for what cannot be used, the group's backlog, and Replay,
// which produces a JSONL file of posts into the topic (outcry replay, demo, backtest).
//
// It is the first stage of the data flow (docs/architecture.md); the pipeline reads from
// it. Connectors of live sources (Bluesky, Mastodon, X) will live beside it.
package source

import (
	"fmt"
	"strings"
	"time"

	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// NewReader returns a consumer-group reader of the posts topic. A new group starts
// from the earliest offset; offsets are committed explicitly (CommitMessages) after
// the work is stored, never on read. The reader retries failures by itself (its
// FetchMessage only blocks); they are reported to m (may be nil), for readiness.
func NewReader(c kafkaconn.Config, log *zap.Logger, m FailureReporter) *kafka.Reader {
	l := log.With(zap.String("component", "kafka-reader"))
	session := c.SessionTimeout
	if session <= 0 {
		session = 10 * time.Second
	}
	return kafka.NewReader(kafka.ReaderConfig{
		Dialer:            c.Security.Dialer(),
		SessionTimeout:    session,
		HeartbeatInterval: session / 4,
		RebalanceTimeout:  max(session, 5*time.Second),
		Brokers:           c.Brokers,
		GroupID:           c.Group,
		Topic:             c.PostsTopic,
		StartOffset:       kafka.FirstOffset,
		MinBytes:          1,
		MaxBytes:          16 << 20,
		// MaxWait bounds both the broker's wait on an idle partition (a produce wakes
		// it at once) and, in kafka-go, the time for a fetch's reply to start arriving.
		// A broker that builds a whole reply before sending it (kfake) takes longer for
		// a large one: with 100ms, a loaded machine timed out on every retry of the same
		// fetch and consumption stopped for good.
		MaxWait:        time.Second,
		CommitInterval: 0, // synchronous commits
		QueueCapacity:  10000,
		Logger:         kafka.LoggerFunc(func(msg string, args ...any) { l.Debug(fmt.Sprintf(msg, args...)) }),
		ErrorLogger:    kafka.LoggerFunc(func(msg string, args ...any) { readerError(l, m, fmt.Sprintf(msg, args...)) }),
	})
}

// readerError logs what the Kafka reader reports. A read that times out at the end of
// a partition (the reader waits for new messages, then reconnects by itself) is
// routine, not a warning.
func readerError(l *zap.Logger, m FailureReporter, msg string) {
	if strings.Contains(msg, "i/o timeout") {
		l.Debug(msg)
		return
	}
	l.Warn(msg)
	if m != nil {
		m.ReaderFailed(msg)
	}
}

// FailureReporter is told of the reader's failures (the pipeline's metrics, for
// readiness).
type FailureReporter interface {
	ReaderFailed(msg string)
}
