package ingest

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/segmentio/kafka-go"

	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/post"
	"github.com/outcry-dev/outcry/source"
)

// KafkaProducer produces posts as canonical JSON, keyed by their id.
type KafkaProducer struct {
	W source.MessageWriter
}

// Produce implements Producer.
func (k KafkaProducer) Produce(ctx context.Context, posts []post.Post) error {
	msgs := make([]kafka.Message, len(posts))
	for i := range posts {
		b, err := json.Marshal(&posts[i])
		if err != nil {
			return fmt.Errorf("encode post %s: %w", posts[i].ID, err)
		}
		msgs[i] = kafka.Message{Key: []byte(posts[i].ID), Value: b}
	}
	return kafkaconn.WriteErr(k.W.WriteMessages(ctx, msgs...))
}

// KafkaDLQ writes unreadable frames to the dead-letter topic, with the reason
// headers of every dead letter; the topic header names the source ("bluesky").
type KafkaDLQ struct {
	D *source.DLQ
}

// DeadLetter implements DeadLetterer.
func (k KafkaDLQ) DeadLetter(ctx context.Context, name string, frames []Event) error {
	letters := make([]source.DeadLetter, len(frames))
	for i, f := range frames {
		letters[i] = source.DeadLetter{Msg: kafka.Message{Topic: name, Value: f.Bad, Partition: -1, Offset: -1}, Reason: f.Reason, Detail: f.Detail}
	}
	return k.D.DeadLetter(ctx, letters)
}
