package main

import (
	"fmt"
	"os"

	"github.com/segmentio/kafka-go"
	"github.com/spf13/cobra"

	"github.com/outcry-dev/outcry/devstack"
	"github.com/outcry-dev/outcry/internal/cli"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/source"
)

func newReplayCmd(_ *globals) *cobra.Command {
	var (
		brokers, topic, speed string
		ksec                  cli.SecFlags
	)
	cmd := &cobra.Command{
		Use:   "replay FILE|-",
		Short: "Produce posts from a JSONL file (or stdin) into the posts topic",
		Long: `Replay produces each line of a JSONL file as one message on the posts topic, in order,
unchanged (bad lines too: the service dead-letters them with their reason). With --speed N
the lines are paced by their created_at at N times real time; --speed max sends them as
fast as the broker takes them. A progress bar is shown when stderr is a terminal.`,
		Example: `  outcry replay --speed 60 posts.jsonl
  zcat posts.jsonl.gz | outcry replay --speed max -`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sp, err := cli.ParseSpeed(speed, cli.FlagName(cmd, "speed"))
			if err != nil {
				return err
			}
			b := devstack.SplitAddrs(brokers)
			if len(b) == 0 {
				return fmt.Errorf("--brokers is empty: give host:port[,host:port...]")
			}
			sec, err := ksec.Security(cmd)
			if err != nil {
				return err
			}
			w := kafkaconn.NewSecureWriter(b, topic, sec)
			w.Balancer = &kafka.RoundRobin{}
			defer w.Close()
			return source.ReplayFile(cmd.Context(), w, args[0], topic, sp, os.Stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&brokers, "brokers", "127.0.0.1:9092", "Kafka bootstrap brokers, comma-separated")
	f.StringVar(&topic, "topic", "posts", "topic to produce to")
	f.StringVar(&speed, "speed", "max", "multiple of real time (e.g. 60), or max")
	ksec.Register(f)
	return cmd
}
