package source

import (
	"context"
	"fmt"
	"time"

	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/segmentio/kafka-go"
)

// Backlog returns, for every partition of topic, how many messages the group has not
// committed yet (the end offset minus the committed offset, or minus the start offset
// when the group has committed nothing).
func Backlog(ctx context.Context, brokers []string, sec kafkaconn.Security, group, topic string) (map[int]int64, error) {
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
