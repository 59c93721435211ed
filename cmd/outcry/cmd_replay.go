package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/segmentio/kafka-go"
	"github.com/spf13/cobra"

	"github.com/outcry-dev/outcry/devstack"
	"github.com/outcry-dev/outcry/internal/progress"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/source"
)

// parseSpeed reads --speed: a positive multiple of real time, or "max".
func parseSpeed(s, flag string) (float64, error) {
	if strings.EqualFold(s, "max") {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%s %q: want a positive multiple of real time (e.g. 1, 60, 0.5) or max", flag, s)
	}
	return v, nil
}

func newReplayCmd(_ *globals) *cobra.Command {
	var (
		brokers, topic, speed string
		ksec                  kafkaSecFlags
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
			sp, err := parseSpeed(speed, flagName(cmd, "speed"))
			if err != nil {
				return err
			}
			b := devstack.SplitAddrs(brokers)
			if len(b) == 0 {
				return fmt.Errorf("--brokers is empty: give host:port[,host:port...]")
			}
			var in io.Reader = os.Stdin
			size := int64(-1)
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return fmt.Errorf("replay: %w", err)
				}
				defer f.Close()
				if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
					size = fi.Size()
				}
				in = f
			}
			sec, err := ksec.security(cmd)
			if err != nil {
				return err
			}
			w := kafkaconn.NewSecureWriter(b, topic, sec)
			w.Balancer = &kafka.RoundRobin{}
			defer w.Close()
			opts := source.ReplayOptions{Speed: sp}
			bar := progress.New(size, "replaying "+args[0], true)
			opts.Progress = func(_, b int64) { bar.Set(b) }
			st, err := source.Replay(cmd.Context(), w, in, opts)
			bar.Finish()
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "replayed %d lines (%d bytes) to %s, event time %s → %s\n",
				st.Lines-st.TooLarge, st.Bytes, topic, st.First.Format("2006-01-02T15:04:05Z"), st.Last.Format("2006-01-02T15:04:05Z"))
			if st.TooLarge > 0 {
				fmt.Fprintf(os.Stderr, "left out %d lines larger than the broker accepts (its message.max.bytes), lines %v\n",
					st.TooLarge, st.TooLargeLines)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&brokers, "brokers", "127.0.0.1:9092", "Kafka bootstrap brokers, comma-separated")
	f.StringVar(&topic, "topic", "posts", "topic to produce to")
	f.StringVar(&speed, "speed", "max", "multiple of real time (e.g. 60), or max")
	ksec.register(f)
	return cmd
}
