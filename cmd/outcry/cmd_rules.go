package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

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
file prints "ok: N services, M terms"; a bad one prints FILE:LINE:COLUMN: the fault, and
the command exits with status 1.`,
		Example: `  outcry rules check rules.yaml && kill -HUP $(pidof outcry)`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := match.Check(args[0])
			if err != nil {
				if re, ok := asRuleError(err); ok {
					if re.Column == 0 { // the YAML parser gave only a line
						return exitError{code: 1, err: fmt.Errorf("%s:%d: %s", args[0], re.Line, re.Msg)}
					}
					return exitError{code: 1, err: fmt.Errorf("%s:%d:%d: %s", args[0], re.Line, re.Column, re.Msg)}
				}
				return exitError{code: 1, err: err}
			}
			svcs, terms := r.Stats()
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %d services, %d terms\n", svcs, terms)
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

func asRuleError(err error) (*match.RuleError, bool) {
	var re *match.RuleError
	ok := errors.As(err, &re)
	return re, ok
}

// loadRules reads the rules file, or the embedded default set when path is empty.
func loadRules(path string) (*match.Rules, error) {
	if path == "" {
		return match.DefaultRules(), nil
	}
	r, err := match.LoadRules(path)
	if err != nil {
		return nil, fmt.Errorf("--rules: %w", err)
	}
	return r, nil
}
