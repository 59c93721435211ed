package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newMatchCmd is being written (issue 3): posts JSONL on stdin → match results JSONL.
func newMatchCmd(_ *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "match",
		Short: "Match posts (JSONL on stdin) against the rules, one result line per post",
		RunE:  func(*cobra.Command, []string) error { return errors.New("match: not implemented yet") },
	}
}
