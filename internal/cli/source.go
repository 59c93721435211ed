package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/outcry-dev/outcry/app"
	"github.com/outcry-dev/outcry/ingest/xstream"
)

// SourceFlags are the connectors' flags of ingest and watch: the token, and how X's
// stream rules are derived.
type SourceFlags struct {
	token, tokenFile, rulesFile string
	xServices                   []string
	xMaxRules, xMaxLen          int
	xBackfill                   bool
}

// Register adds the source flags to f.
func (s *SourceFlags) Register(f *pflag.FlagSet) {
	f.StringVar(&s.token, "token", "", "access token of mastodon (a user token with read:statuses) or x (an app bearer token); prefer OUTCRY_TOKEN or --token-file")
	f.StringVar(&s.tokenFile, "token-file", "", "file holding the source's access token")
	f.StringVar(&s.rulesFile, "rules", "", "x: rules YAML file whose services' names make the stream's rules (default: the embedded rule set)")
	f.StringSliceVar(&s.xServices, "x-services", nil, "x: follow only these services (comma-separated names of the rules), when all of them do not fit the account's rules")
	f.IntVar(&s.xMaxRules, "x-max-rules", xstream.ProMaxRules, "x: how many stream rules the account may have (Pro: 1000)")
	f.IntVar(&s.xMaxLen, "x-max-rule-length", xstream.ProMaxLen, "x: how long a stream rule may be (Pro: 1024)")
	f.BoolVar(&s.xBackfill, "x-backfill", false, "x: ask X to resend what a reconnect missed (up to 5 minutes; Pro and Enterprise only)")
}

// Options returns the connector options the flags describe for source, checking
// (app.NewSource) that the source exists and has the token it needs.
func (s *SourceFlags) Options(cmd *cobra.Command, source string) (app.SourceOptions, error) {
	token, err := secret(s.token, s.tokenFile, FlagName(cmd, "token-file"))
	if err != nil {
		return app.SourceOptions{}, err
	}
	token = strings.TrimSpace(token)
	if s.xMaxRules < 1 || s.xMaxLen < 64 {
		return app.SourceOptions{}, fmt.Errorf("%s %d and %s %d: want at least 1 rule of at least 64 characters",
			FlagName(cmd, "x-max-rules"), s.xMaxRules, FlagName(cmd, "x-max-rule-length"), s.xMaxLen)
	}
	o := app.SourceOptions{Token: token, XServices: s.xServices, XMaxRules: s.xMaxRules, XMaxLen: s.xMaxLen, XBackfill: s.xBackfill}
	if source == "x" {
		if o.Rules, err = LoadRules(s.rulesFile); err != nil {
			return o, err
		}
	}
	// Built once here, so that a missing token or a rule set that does not fit is
	// said before anything is started.
	if _, _, err := app.NewSource(source, o); err != nil {
		if errors.Is(err, app.ErrNoToken) {
			return o, fmt.Errorf("%w; give it with %s or %s", err, FlagName(cmd, "token"), FlagName(cmd, "token-file"))
		}
		return o, err
	}
	return o, nil
}
