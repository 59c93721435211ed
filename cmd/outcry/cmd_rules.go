package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/outcry-dev/outcry/internal/cli"
	"github.com/outcry-dev/outcry/match"
)

func newRulesCmd(_ *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Work with rules files (check, print the defaults)",
		Long: `Rules files name the services Outcry watches, their aliases in every language, and the
outage, recovery and negation terms (YAML; the schema is documented at the top of the
default file, which "outcry rules default" prints).`,
		Example: `  outcry rules check my_rules.yaml
  outcry rules default > my_rules.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check FILE",
		Short: "Check a rules file; print its size or the fault with file:line:column",
		Long: `Check parses and compiles a rules file as "outcry run" and "outcry match" would. A valid
file prints "ok: N services, M terms, loaded in D" (what a start or a reload of
that file takes); a bad one prints FILE:LINE:COLUMN: the fault, and
the command exits with status 1.`,
		Example: `  outcry rules check rules.yaml && kill -HUP $(pidof outcry)`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			start := time.Now()
			r, err := cli.CheckRules(args[0])
			if err != nil {
				return err
			}
			svcs, terms := r.Stats()
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %d services, %d terms, loaded in %s\n", svcs, terms, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}, &cobra.Command{
		Use:     "default",
		Short:   "Print the embedded default rules file",
		Example: `  outcry rules default > rules.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(match.DefaultRulesYAML())
			return err
		},
	})
	return cmd
}
