package source

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/segmentio/kafka-go"
)

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
	maxDLQValue    = 64 << 10 // the head of a message is enough to investigate
	maxDLQKey      = 1 << 10
	minDLQBytes    = 4 << 10 // below this the headers alone may not fit
	recordOverhead = 100     // a record's framing, over its key, value and headers
	batchOverhead  = 100     // a record batch's framing
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
		d.maxBytes = kafkaconn.DefaultMaxMessageBytes
	}
	if !d.asked && d.Limit != nil {
		d.asked = true
		if n, err := d.Limit(ctx); err == nil && n > 0 {
			d.maxBytes = min(max(n-batchOverhead, 1), kafkaconn.DefaultMaxMessageBytes*16)
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
		cause := kafkaconn.FirstError(err)
		switch {
		case tooLarge(err):
			if d.maxBytes <= minDLQBytes {
				return &RefusedError{N: len(rest), Reason: "message_too_large", Err: kafkaconn.WriteErr(err)}
			}
			d.maxBytes = max(d.maxBytes/2, minDLQBytes)
			d.asked = false // the topic's limit may have changed
			pending, msgs = rest, letterMessages(rest, d.maxBytes)
			continue
		case refused(cause):
			return &RefusedError{N: len(rest), Reason: kafkaErrorName(cause), Err: kafkaconn.WriteErr(err)}
		}
		return fmt.Errorf("write %d dead letters: %w", len(rest), kafkaconn.WriteErr(err))
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

// DeadLetter is a message that could not be used, with why.
type DeadLetter struct {
	Msg    kafka.Message
	Reason string
	Detail string
}
