package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

func TestCLIErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bad speed", nil, []string{"replay", "--speed", "fast", "x.jsonl"}, "want a positive multiple of real time"},
		{"bad speed from env", map[string]string{"OUTCRY_SPEED": "-2"}, []string{"replay", "x.jsonl"}, "OUTCRY_SPEED"},
		{"bad log level", nil, []string{"run", "--log-level", "loud"}, "want debug, info, warn or error"},
		{"backtest needs files", nil, []string{"backtest"}, "needs --posts FILE and --out FILE"},
		{"empty brokers", nil, []string{"run", "--brokers", " , "}, "--brokers is empty"},
		{"bad listen", nil, []string{"broker", "--listen", "nowhere"}, "want host:port"},
		{"replay needs a file", nil, []string{"replay"}, "accepts 1 arg"},
		{"missing rules file", nil, []string{"run", "--rules", "/nonexistent/rules.yaml"}, "--rules"},
		{"unknown flag", nil, []string{"run", "--brokerz", "x"}, "unknown flag: --brokerz"},
		{"bad bench part", nil, []string{"bench", "--only", "speed"}, "want pipeline, latency, match or all"},
		{"skip-match without the pipeline", nil, []string{"bench", "--only", "latency", "--skip-match"}, "--skip-match applies to the pipeline measurement only"},
		{"skip-match in a soak", nil, []string{"bench", "--soak", "1s", "--skip-match"}, "--skip-match applies to the pipeline measurement only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			err := outcry(context.Background(), tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("outcry %v: error %v, want one containing %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	for _, c := range newRoot().Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			root := newRoot()
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetArgs([]string{c.Name(), "--help"})
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "Usage:") || !strings.Contains(out.String(), "outcry "+c.Name()) {
				t.Errorf("help of %s:\n%s", c.Name(), out.String())
			}
		})
	}
}

func TestEnvFillsFlags(t *testing.T) {
	t.Setenv("OUTCRY_POSTS_TOPIC", "from-env")
	root := newRoot()
	cmd, _, err := root.Find([]string{"run"})
	if err != nil {
		t.Fatal(err)
	}
	if err := applyEnv(cmd); err != nil {
		t.Fatal(err)
	}
	if got := cmd.Flags().Lookup("posts-topic").Value.String(); got != "from-env" {
		t.Errorf("posts-topic = %q, want from-env", got)
	}
	// A flag on the command line wins over the environment.
	root = newRoot()
	cmd, _, _ = root.Find([]string{"run"})
	if err := cmd.Flags().Set("posts-topic", "from-flag"); err != nil {
		t.Fatal(err)
	}
	if err := applyEnv(cmd); err != nil {
		t.Fatal(err)
	}
	if got := cmd.Flags().Lookup("posts-topic").Value.String(); got != "from-flag" {
		t.Errorf("posts-topic = %q, want from-flag", got)
	}
}

// The README ends with the configuration reference the binary generates; a flag
// added or changed without regenerating it fails here (`outcry config-reference`).
func TestREADMEConfigReference(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, doc, ok := strings.Cut(string(readme), "## Configuration reference\n")
	if !ok {
		t.Fatal("README has no configuration reference")
	}
	want := configReference(newRoot())
	_, want, _ = strings.Cut(want, "## Configuration reference\n")
	if doc != want {
		t.Error("README's configuration reference is stale: replace it with the output of `go run ./cmd/outcry config-reference`")
	}
}
