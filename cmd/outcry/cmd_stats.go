package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/outcry-dev/outcry/internal/cli"
	"github.com/outcry-dev/outcry/store"
)

func newStatsCmd(_ *globals) *cobra.Command {
	var (
		rf            cli.RedisFlags
		group, prefix string
		fromS, toS    string
		asJSON        bool
	)
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show what Redis holds: mentions and distinct authors per service, posts consumed",
		Long: `Stats sums every retained event-time bucket in Redis (optionally only those starting in
[--from, --to)) per service, and reads the consumer group's totals: posts consumed and
dead-lettered (by reason). It is meant for audits: two runs over the same input must give
the same figures, however often they were killed and restarted.`,
		Example: `  outcry stats --redis 127.0.0.1:6379 --json
  outcry stats --from 2022-10-25T07:00:00Z --to 2022-10-25T09:00:00Z`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, err := cli.ParseTime(cmd, "from", fromS, "2022-10-25T07:00:00Z")
			if err != nil {
				return err
			}
			to, err := cli.ParseTime(cmd, "to", toS, "2022-10-25T09:00:00Z")
			if err != nil {
				return err
			}
			rdb, err := rf.Connect(cmd.Context())
			if err != nil {
				return err
			}
			defer rdb.Close()
			st, err := store.New(rdb, store.Options{Prefix: prefix}).Stats(cmd.Context(), group, from, to)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				return enc.Encode(st)
			}
			return st.WriteText(out, group)
		},
	}
	f := cmd.Flags()
	rf.Register(f, "127.0.0.1:6379")
	f.StringVar(&group, "group", "outcry", "consumer group whose totals to show")
	f.StringVar(&prefix, "redis-prefix", "outcry", "prefix of every Redis key")
	f.StringVar(&fromS, "from", "", "only buckets starting at or after this time (RFC 3339)")
	f.StringVar(&toS, "to", "", "only buckets starting before this time (RFC 3339)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
