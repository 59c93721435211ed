// Package kafkasink publishes alert events to the alerts topic, keyed by service, and
// looks for an event there after a crash (Published), so that publishing is exactly-once.
package kafkasink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/outcry-dev/outcry/alert"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/kafkaconn"
)

// Published reports whether the event is on the alerts topic, looking at what was
// written from since on. The monitor asks when it finds an event claimed but never
// confirmed (its publisher was killed between the claim and the confirmation): found,
// it is not published again; not found, it is. This makes publishing exactly-once
// across crashes, not just at-least-once.
func (a *Alerts) Published(ctx context.Context, e incident.Event, since time.Time) (bool, error) {
	c := &kafka.Client{Addr: a.W.Addr, Transport: a.W.Transport, Timeout: 10 * time.Second}
	topic := a.W.Topic
	meta, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return false, fmt.Errorf("look for alert %s: metadata: %w", e.ID, err)
	}
	var reqs []kafka.OffsetRequest
	for _, t := range meta.Topics {
		if t.Name != topic {
			continue
		}
		if t.Error != nil {
			if errors.Is(t.Error, kafka.UnknownTopicOrPartition) {
				return false, nil // nothing was ever published
			}
			return false, fmt.Errorf("look for alert %s: %w", e.ID, t.Error)
		}
		for _, p := range t.Partitions {
			reqs = append(reqs, kafka.TimeOffsetOf(p.ID, since), kafka.LastOffsetOf(p.ID))
		}
	}
	lo, err := c.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return false, fmt.Errorf("look for alert %s: list offsets: %w", e.ID, err)
	}
	for _, p := range lo.Topics[topic] {
		if p.Error != nil {
			return false, fmt.Errorf("look for alert %s in partition %d: %w", e.ID, p.Partition, p.Error)
		}
		from := int64(-1)
		for off := range p.Offsets {
			from = off
		}
		if from < 0 || from >= p.LastOffset {
			continue // nothing written to this partition since
		}
		found, err := scanFor(ctx, c, topic, p.Partition, from, p.LastOffset, e.ID)
		if err != nil || found {
			return found, err
		}
	}
	return false, nil
}

// scanFor reads partition from offset from up to end, looking for the event id.
func scanFor(ctx context.Context, c *kafka.Client, topic string, partition int, from, end int64, id string) (bool, error) {
	for off := from; off < end; {
		res, err := c.Fetch(ctx, &kafka.FetchRequest{Topic: topic, Partition: partition, Offset: off, MinBytes: 1, MaxBytes: 8 << 20, MaxWait: time.Second})
		if err != nil {
			return false, fmt.Errorf("look for alert %s in partition %d: %w", id, partition, err)
		}
		if res.Error != nil {
			return false, fmt.Errorf("look for alert %s in partition %d: %w", id, partition, res.Error)
		}
		next := off
		for {
			r, err := res.Records.ReadRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return false, fmt.Errorf("look for alert %s in partition %d: %w", id, partition, err)
			}
			if r.Offset < off {
				continue // batches may start before the offset asked for
			}
			next = r.Offset + 1
			var b []byte
			if r.Value != nil {
				b, err = io.ReadAll(r.Value)
				if err != nil {
					return false, fmt.Errorf("look for alert %s in partition %d: %w", id, partition, err)
				}
			}
			if ev, err := alert.Decode(b); err == nil && ev.ID == id {
				return true, nil
			}
		}
		if next == off {
			return false, nil // nothing more readable (the end moved back, or compaction)
		}
		off = next
	}
	return false, nil
}

// Alerts publishes incident events as CloudEvents (structured mode) keyed by service.
type Alerts struct {
	W       *kafka.Writer
	Metrics Counter // optional
}

// Publish implements monitor.Publisher.
func (a *Alerts) Publish(ctx context.Context, events []incident.Event) error {
	msgs := make([]kafka.Message, len(events))
	for i, e := range events {
		b, err := alert.Encode(e)
		if err != nil {
			return err
		}
		msgs[i] = kafka.Message{
			Key:     []byte(e.Data.Service),
			Value:   b,
			Headers: []kafka.Header{{Key: "content-type", Value: []byte(alert.ContentType)}},
		}
	}
	if err := a.W.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("publish %d alerts: %w", len(msgs), kafkaconn.WriteErr(err))
	}
	if a.Metrics != nil {
		for _, e := range events {
			a.Metrics.Published(e.Type, e.Data.Service)
		}
	}
	return nil
}

// Counter counts the events published, by type and service (the pipeline's metrics).
type Counter interface {
	Published(typ, service string)
}
