package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/detect/incident"
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
// the work is stored, never on read. The reader retries failures by itself (its
// FetchMessage only blocks); they are reported to m (may be nil), for readiness.
func NewReader(c KafkaConfig, log *zap.Logger, m *Metrics) *kafka.Reader {
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
func readerError(l *zap.Logger, m *Metrics, msg string) {
	if strings.Contains(msg, "i/o timeout") {
		l.Debug(msg)
		return
	}
	l.Warn(msg)
	if m != nil {
		m.ReaderFailed(msg)
	}
}

// NewWriter returns a plaintext writer for topic (see NewSecureWriter).
func NewWriter(brokers []string, topic string) *kafka.Writer {
	return NewSecureWriter(brokers, topic, Security{})
}

// NewSecureWriter returns a writer for topic with explicit batching and acks, creating
// the topic on demand when the broker allows it.
func NewSecureWriter(brokers []string, topic string, sec Security) *kafka.Writer {
	return &kafka.Writer{
		Transport: sec.Transport(),
		Addr:      kafka.TCP(brokers...),
		Topic:     topic,
		Balancer:  &kafka.Hash{},
		BatchSize: 1000,
		// Apache Kafka refuses a batch over the topic's max.message.bytes (about 1 MB
		// by default).
		BatchBytes:             DefaultMaxMessageBytes,
		BatchTimeout:           5 * time.Millisecond,
		RequiredAcks:           kafka.RequireAll,
		AllowAutoTopicCreation: true,
		MaxAttempts:            5,
	}
}

// DLQ writes dead letters: the original key and value, with headers saying why.
//
// A dead letter is sized to what the dead-letter topic accepts (Apache Kafka refuses
// a batch over the topic's max.message.bytes, about 1 MB by default): each message is
// cut to fit, and a write is split into chunks that fit. When the broker still says
// "too large" (a topic with a lower limit), the size is halved and the rest written
// again. What the topic refuses for good (a limit too small for even the headers, an
// authorisation failure) is returned as a *RefusedError, so that the pipeline can go
// on without the dead letters instead of stopping.
type DLQ struct {
	W *kafka.Writer
	// Limit reads the topic's max.message.bytes; optional. It is asked before the
	// first write, and again after the broker refused a write as too large.
	Limit func(ctx context.Context) (int, error)

	maxBytes int  // what a message, and a chunk, may take; 0 until known
	asked    bool // Limit was asked since the last refusal
}

// Dead-letter headers.
const (
	HeaderReason    = "outcry-dlq-reason"
	HeaderDetail    = "outcry-dlq-detail"
	HeaderTopic     = "outcry-dlq-topic"
	HeaderPartition = "outcry-dlq-partition"
	HeaderOffset    = "outcry-dlq-offset"
)

// Sizes of dead letters.
const (
	// DefaultMaxMessageBytes is what a produced message and batch may take when the
	// topic's limit is not known: under Apache Kafka's default max.message.bytes
	// (1,048,588), with room for the batch's framing.
	DefaultMaxMessageBytes = 1000000
	maxDLQValue            = 64 << 10 // the head of a message is enough to investigate
	maxDLQKey              = 1 << 10
	minDLQBytes            = 4 << 10 // below this the headers alone may not fit
	recordOverhead         = 100     // a record's framing, over its key, value and headers
	batchOverhead          = 100     // a record batch's framing
)

// RefusedError says the dead-letter topic refused dead letters for good.
type RefusedError struct {
	N      int    // dead letters not written
	Reason string // short, for metrics: message_too_large, or the Kafka error's name
	Err    error
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("dead-letter topic refused %d dead letters (%s): %v", e.N, e.Reason, e.Err)
}

func (e *RefusedError) Unwrap() error { return e.Err }

// DeadLetter implements DeadLetterer.
func (d *DLQ) DeadLetter(ctx context.Context, letters []DeadLetter) error {
	if d.maxBytes == 0 {
		d.maxBytes = DefaultMaxMessageBytes
	}
	if !d.asked && d.Limit != nil {
		d.asked = true
		if n, err := d.Limit(ctx); err == nil && n > 0 {
			d.maxBytes = min(max(n-batchOverhead, 1), DefaultMaxMessageBytes*16)
		}
	}
	pending, msgs := letters, letterMessages(letters, d.maxBytes)
	for len(pending) > 0 {
		// A chunk fits in one request, whatever the partitions its messages go to.
		n, size := 0, batchOverhead
		for n < len(msgs) && (n == 0 || size+messageSize(msgs[n]) <= d.maxBytes) {
			size += messageSize(msgs[n])
			n++
		}
		err := d.W.WriteMessages(ctx, msgs[:n]...)
		if err == nil {
			pending, msgs = pending[n:], msgs[n:]
			continue
		}
		// Only the messages that failed are written again: no duplicates.
		var we kafka.WriteErrors
		failed := pending[:n]
		if errors.As(err, &we) && len(we) == n {
			failed = failed[:0:0]
			for i, e := range we {
				if e != nil {
					failed = append(failed, pending[i])
				}
			}
		}
		rest := append(failed, pending[n:]...)
		cause := firstError(err)
		switch {
		case tooLarge(err):
			if d.maxBytes <= minDLQBytes {
				return &RefusedError{N: len(rest), Reason: "message_too_large", Err: writeErr(err)}
			}
			d.maxBytes = max(d.maxBytes/2, minDLQBytes)
			d.asked = false // the topic's limit may have changed
			pending, msgs = rest, letterMessages(rest, d.maxBytes)
			continue
		case refused(cause):
			return &RefusedError{N: len(rest), Reason: kafkaErrorName(cause), Err: writeErr(err)}
		}
		return fmt.Errorf("write %d dead letters: %w", len(rest), writeErr(err))
	}
	return nil
}

func letterMessages(letters []DeadLetter, limit int) []kafka.Message {
	msgs := make([]kafka.Message, len(letters))
	for i, l := range letters {
		msgs[i] = letterMessage(l, limit)
	}
	return msgs
}

// letterMessage is a dead letter as produced: the original key and value, cut to fit
// in limit bytes, and headers saying why and where the original is.
func letterMessage(l DeadLetter, limit int) kafka.Message {
	m := kafka.Message{
		Key: truncateBytes(l.Msg.Key, maxDLQKey),
		Headers: []kafka.Header{
			{Key: HeaderReason, Value: []byte(l.Reason)},
			{Key: HeaderDetail, Value: []byte(truncate(l.Detail, 512))},
			{Key: HeaderTopic, Value: []byte(truncate(l.Msg.Topic, 256))},
			{Key: HeaderPartition, Value: fmt.Appendf(nil, "%d", l.Msg.Partition)},
			{Key: HeaderOffset, Value: fmt.Appendf(nil, "%d", l.Msg.Offset)},
		},
	}
	room := limit - batchOverhead - messageSize(m)
	m.Value = truncateBytes(l.Msg.Value, max(0, min(maxDLQValue, room)))
	return m
}

// messageSize is what m takes in a record batch, at most.
func messageSize(m kafka.Message) int {
	n := recordOverhead + len(m.Key) + len(m.Value)
	for _, h := range m.Headers {
		n += 10 + len(h.Key) + len(h.Value)
	}
	return n
}

// firstError is the first message's error of kafka.WriteErrors, or err.
func firstError(err error) error {
	var we kafka.WriteErrors
	if errors.As(err, &we) {
		for _, e := range we {
			if e != nil {
				return e
			}
		}
	}
	return err
}

// refused reports whether the broker answered a write with an error that writing
// again will not cure (an authorisation failure, an invalid topic, a policy), as
// opposed to the broker being away or a partition moving.
func refused(err error) bool {
	var ke kafka.Error
	return errors.As(err, &ke) && !ke.Temporary()
}

func kafkaErrorName(err error) string {
	var ke kafka.Error
	if errors.As(err, &ke) {
		return strings.ReplaceAll(strings.ToLower(ke.Title()), " ", "_")
	}
	return "error"
}

func truncateBytes(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return b[:n]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// TopicLimit returns a function reading topic's max.message.bytes (for DLQ.Limit).
func TopicLimit(brokers []string, sec Security, topic string) func(ctx context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		c := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second, Transport: sec.Transport()}
		resp, err := c.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{{
			ResourceType: kafka.ResourceTypeTopic, ResourceName: topic, ConfigNames: []string{"max.message.bytes"},
		}}})
		if err != nil {
			return 0, fmt.Errorf("describe topic %s: %w", topic, err)
		}
		for _, r := range resp.Resources {
			if r.Error != nil {
				return 0, fmt.Errorf("describe topic %s: %w", topic, r.Error)
			}
			for _, e := range r.ConfigEntries {
				if e.ConfigName == "max.message.bytes" {
					n, err := strconv.Atoi(e.ConfigValue)
					if err != nil {
						return 0, fmt.Errorf("topic %s: max.message.bytes %q: %w", topic, e.ConfigValue, err)
					}
					return n, nil
				}
			}
		}
		return 0, fmt.Errorf("topic %s: no max.message.bytes", topic)
	}
}

// writeErr summarises kafka.WriteErrors (one error per message) into its first error.
func writeErr(err error) error {
	var we kafka.WriteErrors
	if errors.As(err, &we) && we.Count() > 0 {
		return fmt.Errorf("%d of %d messages failed, first: %w", we.Count(), len(we), firstError(err))
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
