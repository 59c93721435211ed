package main

import (
	"context"
	"fmt"
	"os"

	"github.com/segmentio/kafka-go"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/outcry-dev/outcry/devstack"
	"github.com/outcry-dev/outcry/pipeline"
)

func newTailCmd(_ *globals) *cobra.Command {
	var (
		brokers, topic string
		asJSON, begin  bool
	)
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Follow the alerts topic and print each incident event",
		Long: `Tail follows the alerts topic and prints every incident event as it arrives, readably,
or with --json as the raw CloudEvent, one per line. It starts at the end of the topic
unless --from-beginning is given.`,
		Example: `  outcry tail
  outcry tail --from-beginning --json | jq .data.service`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := devstack.SplitAddrs(brokers)
			if len(b) == 0 {
				return fmt.Errorf("--brokers is empty: give host:port[,host:port...]")
			}
			ctx := cmd.Context()
			parts, err := partitions(ctx, b[0], topic)
			if err != nil {
				return err
			}
			start := kafka.LastOffset
			if begin {
				start = kafka.FirstOffset
			}
			msgs := make(chan kafka.Message)
			g, gctx := errgroup.WithContext(ctx)
			for _, p := range parts {
				g.Go(func() error {
					r := kafka.NewReader(kafka.ReaderConfig{Brokers: b, Topic: topic, Partition: p, MaxWait: 200e6})
					defer r.Close()
					if err := r.SetOffset(start); err != nil {
						return fmt.Errorf("tail partition %d: %w", p, err)
					}
					for {
						m, err := r.ReadMessage(gctx)
						if err != nil {
							if gctx.Err() != nil {
								return nil
							}
							return fmt.Errorf("tail partition %d: %w", p, err)
						}
						select {
						case msgs <- m:
						case <-gctx.Done():
							return nil
						}
					}
				})
			}
			g.Go(func() error {
				for {
					select {
					case m := <-msgs:
						if asJSON {
							fmt.Fprintf(os.Stdout, "%s\n", m.Value)
							continue
						}
						e, err := pipeline.DecodeEvent(m.Value)
						if err != nil {
							fmt.Fprintf(os.Stderr, "partition %d offset %d: %v\n", m.Partition, m.Offset, err)
							continue
						}
						printEvent(os.Stdout, e)
					case <-gctx.Done():
						return nil
					}
				}
			})
			return g.Wait()
		},
	}
	f := cmd.Flags()
	f.StringVar(&brokers, "brokers", "127.0.0.1:9092", "Kafka bootstrap brokers, comma-separated")
	f.StringVar(&topic, "topic", "alerts", "alerts topic to follow")
	f.BoolVar(&asJSON, "json", false, "print each event as raw CloudEvents JSON, one per line")
	f.BoolVar(&begin, "from-beginning", false, "start at the oldest event on the topic instead of the newest")
	return cmd
}

// partitions lists the partitions of topic, creating it (on brokers that allow it)
// so that tail can start before the first alert.
func partitions(ctx context.Context, broker, topic string) ([]int, error) {
	conn, err := kafka.DialContext(ctx, "tcp", broker)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", broker, err)
	}
	defer conn.Close()
	ps, err := conn.ReadPartitions(topic)
	if err != nil {
		return nil, fmt.Errorf("list partitions of %s: %w", topic, err)
	}
	out := make([]int, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out, nil
}
