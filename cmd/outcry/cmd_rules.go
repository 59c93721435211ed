package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newRulesCmd is being written (issue 3): rules check FILE.
func newRulesCmd(_ *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rules",
		Short: "Work with rules files",
		RunE:  func(*cobra.Command, []string) error { return errors.New("rules: not implemented yet") },
	}
}
