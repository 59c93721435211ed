package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// ReadHTTPToken returns the token the HTTP endpoints require ("" for none): --http-token,
// or the content of --http-token-file. A given but blank value is an error rather
// than no authentication, which it would silently mean otherwise.
func ReadHTTPToken(cmd *cobra.Command, token, file string) (string, error) {
	if file != "" {
		t, err := secret("", file, FlagName(cmd, "http-token-file"))
		if err != nil {
			return "", err
		}
		if t == "" {
			return "", fmt.Errorf("%s %s: file is empty; put the bearer token in it", FlagName(cmd, "http-token-file"), file)
		}
		return t, nil
	}
	if token == "" {
		return "", nil // the default: no authentication
	}
	t := strings.TrimSpace(token)
	if t == "" {
		return "", fmt.Errorf("%s is blank; give the bearer token, or leave it unset for no authentication", FlagName(cmd, "http-token"))
	}
	return t, nil
}
