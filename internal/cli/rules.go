package cli

import (
	"errors"
	"fmt"

	"github.com/outcry-dev/outcry/match"
)

// LoadRules reads the rules file, or the embedded default set when path is empty.
func LoadRules(path string) (*match.Rules, error) {
	if path == "" {
		return match.DefaultRules(), nil
	}
	r, err := match.LoadRules(path)
	if err != nil {
		return nil, fmt.Errorf("--rules: %w", err)
	}
	return r, nil
}

// CheckRules parses and compiles the rules file at path (outcry rules check); a fault is an
// ExitError of status 1 that reads FILE:LINE:COLUMN: what is wrong.
func CheckRules(path string) (*match.Rules, error) {
	r, err := match.Check(path)
	if err == nil {
		return r, nil
	}
	var re *match.RuleError
	switch {
	case !errors.As(err, &re):
		return nil, ExitError{Code: 1, Err: err}
	case re.Column == 0: // the YAML parser gave only a line
		return nil, ExitError{Code: 1, Err: fmt.Errorf("%s:%d: %s", path, re.Line, re.Msg)}
	default:
		return nil, ExitError{Code: 1, Err: fmt.Errorf("%s:%d:%d: %s", path, re.Line, re.Column, re.Msg)}
	}
}
