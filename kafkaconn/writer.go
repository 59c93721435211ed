package kafkaconn

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
)

// DefaultMaxMessageBytes is what a produced message and batch may take when the
// topic's limit is not known: under Apache Kafka's default max.message.bytes
// (1,048,588), with room for the batch's framing.
const DefaultMaxMessageBytes = 1000000

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

// FirstError is the first message's error of kafka.WriteErrors, or err.
func FirstError(err error) error {
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

// WriteErr summarises kafka.WriteErrors (one error per message) into its first error.
func WriteErr(err error) error {
	var we kafka.WriteErrors
	if errors.As(err, &we) && we.Count() > 0 {
		return fmt.Errorf("%d of %d messages failed, first: %w", we.Count(), len(we), FirstError(err))
	}
	return err
}
