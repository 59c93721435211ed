package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/outcry-dev/outcry/devstack"
)

func newBrokerCmd(_ *globals) *cobra.Command {
	var (
		listen     string
		partitions int
		dataDir    string
	)
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run a standalone development Kafka broker (creates topics on demand)",
		Long: `Broker runs an in-process Kafka-protocol broker (kfake) for local work and tests.
Other processes, kcat and Kafka clients can produce to and consume from it; topics are
created on demand with --partitions partitions. It is not for production.`,
		Example: `  outcry broker --listen 127.0.0.1:9092
  kcat -b 127.0.0.1:9092 -L`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := devstack.StartBroker(devstack.BrokerOptions{Listen: listen, Partitions: partitions, DataDir: dataDir})
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
	return cmd
}
