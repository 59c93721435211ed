package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/outcry-dev/outcry/store"
)

func newStatsCmd(_ *globals) *cobra.Command {
	var (
		rf            redisFlags
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
			var from, to time.Time
			var err error
			if fromS != "" {
				if from, err = time.Parse(time.RFC3339, fromS); err != nil {
					return fmt.Errorf("%s %q: want an RFC 3339 time such as 2022-10-25T07:00:00Z", flagName(cmd, "from"), fromS)
				}
			}
			if toS != "" {
				if to, err = time.Parse(time.RFC3339, toS); err != nil {
					return fmt.Errorf("%s %q: want an RFC 3339 time such as 2022-10-25T09:00:00Z", flagName(cmd, "to"), toS)
				}
			}
			rdb, err := rf.connect(cmd.Context())
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
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "service\tmentions\tcomplaints\trecoveries\tdistinct authors\tbuckets\t")
			names := make([]string, 0, len(st.Services))
			for n := range st.Services {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				s := st.Services[n]
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t\n", n, s.Mentions, s.Complaints, s.Recoveries, s.DistinctAuthors, s.Buckets)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(out, "group %s: %d consumed, %d dead-lettered %v; %d keys in Redis\n",
				group, st.Consumed, st.DeadLettered, st.DeadByReason, st.Keys)
			return nil
		},
	}
	f := cmd.Flags()
	rf.register(f, "127.0.0.1:6379")
	f.StringVar(&group, "group", "outcry", "consumer group whose totals to show")
	f.StringVar(&prefix, "redis-prefix", "outcry", "prefix of every Redis key")
	f.StringVar(&fromS, "from", "", "only buckets starting at or after this time (RFC 3339)")
	f.StringVar(&toS, "to", "", "only buckets starting before this time (RFC 3339)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
