package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/detectors/incident"
)

// KafkaConfig names the brokers and topics.
type KafkaConfig struct {
	Brokers     []string
	Group       string
	PostsTopic  string
	AlertsTopic string
	DLQTopic    string
}

// NewReader returns a consumer-group reader of the posts topic. A new group starts
// from the earliest offset; offsets are committed explicitly (CommitMessages) after
// the work is stored, never on read.
func NewReader(c KafkaConfig, log *zap.Logger) *kafka.Reader {
	l := log.With(zap.String("component", "kafka-reader"))
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers:        c.Brokers,
		GroupID:        c.Group,
		Topic:          c.PostsTopic,
		StartOffset:    kafka.FirstOffset,
		MinBytes:       1,
		MaxBytes:       16 << 20,
		MaxWait:        100 * time.Millisecond,
		CommitInterval: 0, // synchronous commits
		QueueCapacity:  10000,
		Logger:         kafka.LoggerFunc(func(msg string, args ...any) { l.Debug(fmt.Sprintf(msg, args...)) }),
		ErrorLogger:    kafka.LoggerFunc(func(msg string, args ...any) { l.Warn(fmt.Sprintf(msg, args...)) }),
	})
}

// NewWriter returns a writer for topic with explicit batching and acks, creating the
// topic on demand when the broker allows it.
func NewWriter(brokers []string, topic string) *kafka.Writer {
	return &kafka.Writer{
		Addr:                   kafka.TCP(brokers...),
		Topic:                  topic,
		Balancer:               &kafka.Hash{},
		BatchSize:              1000,
		BatchBytes:             16 << 20,
		BatchTimeout:           5 * time.Millisecond,
		RequiredAcks:           kafka.RequireAll,
		AllowAutoTopicCreation: true,
		MaxAttempts:            5,
	}
}

// DLQ writes dead letters: the original key and value, with headers saying why.
type DLQ struct {
	W *kafka.Writer
}

// Dead-letter headers.
const (
	HeaderReason    = "outcry-dlq-reason"
	HeaderDetail    = "outcry-dlq-detail"
	HeaderTopic     = "outcry-dlq-topic"
	HeaderPartition = "outcry-dlq-partition"
	HeaderOffset    = "outcry-dlq-offset"
)

// DeadLetter implements DeadLetterer.
func (d *DLQ) DeadLetter(ctx context.Context, letters []DeadLetter) error {
	msgs := make([]kafka.Message, len(letters))
	for i, l := range letters {
		value := l.Msg.Value
		// The broker refuses what is too large to produce; the head is enough to
		// investigate, and the headers say where the original is.
		if len(value) > maxDLQValue {
			value = value[:maxDLQValue]
		}
		msgs[i] = kafka.Message{
			Key:   l.Msg.Key,
			Value: value,
			Headers: []kafka.Header{
				{Key: HeaderReason, Value: []byte(l.Reason)},
				{Key: HeaderDetail, Value: []byte(truncate(l.Detail, 512))},
				{Key: HeaderTopic, Value: []byte(l.Msg.Topic)},
				{Key: HeaderPartition, Value: fmt.Appendf(nil, "%d", l.Msg.Partition)},
				{Key: HeaderOffset, Value: fmt.Appendf(nil, "%d", l.Msg.Offset)},
			},
		}
	}
	if err := d.W.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("write %d dead letters: %w", len(msgs), writeErr(err))
	}
	return nil
}

const maxDLQValue = 64 << 10

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// writeErr summarises kafka.WriteErrors (one error per message) into its first error.
func writeErr(err error) error {
	var we kafka.WriteErrors
	if errors.As(err, &we) {
		for _, e := range we {
			if e != nil {
				return fmt.Errorf("%d of %d messages failed, first: %w", we.Count(), len(we), e)
			}
		}
	}
	return err
}

// Alerts publishes incident events as CloudEvents (structured mode) keyed by service.
type Alerts struct {
	W       *kafka.Writer
	Metrics *Metrics // optional
}

// Publish implements monitor.Publisher.
func (a *Alerts) Publish(ctx context.Context, events []incident.Event) error {
	msgs := make([]kafka.Message, len(events))
	for i, e := range events {
		b, err := EncodeEvent(e)
		if err != nil {
			return err
		}
		msgs[i] = kafka.Message{
			Key:     []byte(e.Data.Service),
			Value:   b,
			Headers: []kafka.Header{{Key: "content-type", Value: []byte(ContentType)}},
		}
	}
	if err := a.W.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("publish %d alerts: %w", len(msgs), writeErr(err))
	}
	if a.Metrics != nil {
		for _, e := range events {
			a.Metrics.Published(e.Type)
		}
	}
	return nil
}
