package main

import (
	"github.com/spf13/cobra"

	"github.com/outcry-dev/outcry/backtest"
	"github.com/outcry-dev/outcry/internal/cli"
	"github.com/outcry-dev/outcry/match"
)

func newMatchCmd(_ *globals) *cobra.Command {
	var rulesFile string
	cmd := &cobra.Command{
		Use:   "match",
		Short: "Match posts (JSONL on stdin) against the rules, one result line per post",
		Long: `Match reads posts as JSONL on stdin (canonical posts, X API v2 tweet objects, Bluesky
Jetstream commit events or Mastodon statuses, decoded exactly as the service decodes them)
and writes one JSON line per input line on stdout:

  {"id":"1850001","matches":[{"service":"whatsapp","kind":"outage","problems":["messages"]}]}

Outage, recovery and past matches are listed ("past": talk about an outage that is
over, which never counts as a complaint); brand mentions without outage intent are
not. "matches" is empty when nothing matched. A line that cannot be decoded gives
{"line":N,"error":"..."} and the run goes on. Use it to write and test rules files
(--rules; the embedded default rules otherwise).`,
		Example: `  echo '{"id":"1","text":"is #whatsappdown for anyone else?","created_at":"2022-10-25T07:21:03Z"}' | outcry match
  outcry match --rules my_rules.yaml < posts.jsonl | jq -c 'select(.matches != [])'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rules, err := cli.LoadRules(rulesFile)
			if err != nil {
				return err
			}
			return backtest.Match(match.NewMatcher(rules), cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&rulesFile, "rules", "", "rules file (YAML); default: the embedded rules")
	return cmd
}
