package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/outcry-dev/outcry/devstack"
)

func newBrokerCmd(_ *globals) *cobra.Command {
	var (
		listen     string
		partitions int
		dataDir    string
		fsync      bool
	)
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run a standalone development Kafka broker (creates topics on demand)",
		Long: `Broker runs an in-process Kafka-protocol broker (kfake) for local work and tests.
Other processes, kcat and Kafka clients can produce to and consume from it; topics are
created on demand with --partitions partitions. It is not for production.

With --data-dir, every acknowledged produce and offset commit is written to the
directory before the reply, so it survives the broker being killed (kill -9): on
start-up a torn last record is cut off, with a warning saying how many bytes. Without
--fsync the writes sit in the OS page cache, and an OS crash or power loss can lose
the last ones (up to the kernel's writeback delay, about 30 s); --fsync syncs each
batch to disk before acknowledging it, at a cost in throughput.`,
		Example: `  outcry broker --listen 127.0.0.1:9092
  kcat -b 127.0.0.1:9092 -L`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Warnings (recovery after a crash among them) go to stderr.
			extra := []kfake.Opt{kfake.WithLogger(kfake.BasicLogger(os.Stderr, kfake.LogLevelWarn))}
			if fsync {
				extra = append(extra, kfake.SyncWrites())
			}
			c, err := devstack.StartBroker(devstack.BrokerOptions{Listen: listen, Partitions: partitions, DataDir: dataDir, Extra: extra})
			if err != nil {
				return err
			}
			defer c.Close()
			fmt.Fprintf(os.Stderr, "outcry broker listening on %s (topics created on demand, %d partition(s)); Ctrl-C to stop\n",
				strings.Join(c.ListenAddrs(), ","), partitions)
			<-cmd.Context().Done()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:9092", "address to listen on (host:port; port 0 picks a free one)")
	f.IntVar(&partitions, "partitions", 3, "partitions of topics created on demand")
	f.StringVar(&dataDir, "data-dir", "", "persist topics and offsets in this directory (survives a restart)")
	f.BoolVar(&fsync, "fsync", false, "with --data-dir, fsync each batch before acknowledging it (survives an OS crash; slower)")
	return cmd
}
