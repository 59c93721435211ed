package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	// SessionTimeout is how long the group waits for a silent member (a killed
	// process) before moving its partitions; default 10s.
	SessionTimeout time.Duration
	Security       Security
}

// NewReader returns a consumer-group reader of the posts topic. A new group starts
// from the earliest offset; offsets are committed explicitly (CommitMessages) after
// the work is stored, never on read.
func NewReader(c KafkaConfig, log *zap.Logger) *kafka.Reader {
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
		ErrorLogger:    kafka.LoggerFunc(func(msg string, args ...any) { readerError(l, fmt.Sprintf(msg, args...)) }),
	})
}

// readerError logs what the Kafka reader reports. A read that times out at the end of
// a partition (the reader waits for new messages, then reconnects by itself) is
// routine, not a warning.
func readerError(l *zap.Logger, msg string) {
	if strings.Contains(msg, "i/o timeout") {
		l.Debug(msg)
		return
	}
	l.Warn(msg)
}

// NewWriter returns a plaintext writer for topic (see NewSecureWriter).
func NewWriter(brokers []string, topic string) *kafka.Writer {
	return NewSecureWriter(brokers, topic, Security{})
}

// NewSecureWriter returns a writer for topic with explicit batching and acks, creating
// the topic on demand when the broker allows it.
func NewSecureWriter(brokers []string, topic string, sec Security) *kafka.Writer {
	return &kafka.Writer{
		Transport:              sec.Transport(),
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
			a.Metrics.Published(e.Type, e.Data.Service)
		}
	}
	return nil
}

// Backlog returns, for every partition of topic, how many messages the group has not
// committed yet (the end offset minus the committed offset, or minus the start offset
// when the group has committed nothing).
func Backlog(ctx context.Context, brokers []string, sec Security, group, topic string) (map[int]int64, error) {
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second, Transport: sec.Transport()}
	meta, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("backlog of %s: metadata: %w", topic, err)
	}
	var parts []int
	for _, t := range meta.Topics {
		if t.Name != topic {
			continue
		}
		if t.Error != nil {
			return nil, fmt.Errorf("backlog of %s: %w", topic, t.Error)
		}
		for _, p := range t.Partitions {
			parts = append(parts, p.ID)
		}
	}
	reqs := make([]kafka.OffsetRequest, 0, 2*len(parts))
	for _, p := range parts {
		reqs = append(reqs, kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	lo, err := c.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("backlog of %s: list offsets: %w", topic, err)
	}
	committed, err := c.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
	if err != nil {
		return nil, fmt.Errorf("backlog of %s: committed offsets of %s: %w", topic, group, err)
	}
	from := map[int]int64{}
	for _, p := range committed.Topics[topic] {
		if p.CommittedOffset >= 0 {
			from[p.Partition] = p.CommittedOffset
		}
	}
	out := make(map[int]int64, len(parts))
	for _, p := range lo.Topics[topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("backlog of %s[%d]: %w", topic, p.Partition, p.Error)
		}
		start, ok := from[p.Partition]
		if !ok {
			start = p.FirstOffset
		}
		out[p.Partition] = max(0, p.LastOffset-start)
	}
	return out, nil
}
