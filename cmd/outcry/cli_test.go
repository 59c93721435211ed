package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outcry-dev/outcry/internal/cli"
)

func TestCLIErrors(t *testing.T) {
	dir := t.TempDir()
	emptyToken, blankToken := filepath.Join(dir, "empty-token"), filepath.Join(dir, "blank-token")
	for p, content := range map[string]string{emptyToken: "", blankToken: "  \n"} {
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
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
		{"bad bench part", nil, []string{"bench", "--only", "speed"}, "want pipeline, latency, match, scale or all"},
		{"too many services", nil, []string{"bench", "--only", "scale", "--services", "1000000"}, "--services 1000000: want 57 to 200000"},
		{"skip-match without the pipeline", nil, []string{"bench", "--only", "latency", "--skip-match"}, "--skip-match applies to the pipeline measurement only"},
		{"skip-match in a soak", nil, []string{"bench", "--soak", "1s", "--skip-match"}, "--skip-match applies to the pipeline measurement only"},
		// A blank token would otherwise serve the page without authentication.
		{"empty http token file", nil, []string{"run", "--http-token-file", emptyToken}, "--http-token-file " + emptyToken + ": file is empty; put the bearer token in it"},
		{"blank http token file", nil, []string{"run", "--http-token-file", blankToken}, "--http-token-file " + blankToken + ": file is empty"},
		{"blank http token file from env", map[string]string{"OUTCRY_HTTP_TOKEN_FILE": blankToken}, []string{"run"}, "OUTCRY_HTTP_TOKEN_FILE " + blankToken + ": file is empty"},
		{"blank http token", nil, []string{"run", "--http-token", "  "}, "--http-token is blank"},
		{"blank http token from env", map[string]string{"OUTCRY_HTTP_TOKEN": " "}, []string{"run"}, "OUTCRY_HTTP_TOKEN is blank"},
		{"huge batch", nil, []string{"run", "--batch-size", "100000000"}, "--batch-size 100000000 messages: want 1 to 200000"},
		{"zero batch", nil, []string{"run", "--batch-size", "0"}, "--batch-size 0: want a positive number"},
		{"no metric services", nil, []string{"run", "--metric-services", "0"}, "--metric-services 0: want a positive number"},
		{"huge post limit", nil, []string{"run", "--max-post-bytes", "5000000"}, "--max-post-bytes 5000000 bytes: want 1 to 1048576"},
		{"horizon beyond the rollups", nil, []string{"run", "--max-age", "400h"}, "--max-age 400h0m0s: want a positive duration of at most 336h0m0s"},
		{"horizon under the lateness", nil, []string{"run", "--max-age", "1m", "--lateness", "5m"}, "--max-age 1m0s: want at least the allowed lateness (5m0s)"},
		{"negative lateness", nil, []string{"run", "--lateness", "-1s"}, "--lateness -1s: want a positive duration"},
		{"short shutdown", nil, []string{"run", "--shutdown-timeout", "1s"}, "--shutdown-timeout 1s: want at least 5s"},
		{"zero session", nil, []string{"run", "--session-timeout", "0s"}, "--session-timeout 0s: want 100ms to 30m"},
		{"batch from env", map[string]string{"OUTCRY_BATCH_SIZE": "-5"}, []string{"run"}, "OUTCRY_BATCH_SIZE -5: want a positive number"},
		{"alertmanager url", nil, []string{"run", "--alertmanager-url", "alertmanager:9093"}, `--alertmanager-url "alertmanager:9093": want http://host:9093 or https://host/prefix`},
		{"alertmanager resend", nil, []string{"run", "--alertmanager-url", "http://am:9093", "--alertmanager-resend", "10m0s", "--alertmanager-resend", "2h"}, "--alertmanager-resend 2h0m0s: want 1s to 1h"},
		{"unknown source", nil, []string{"ingest", "friendster"}, `unknown source "friendster": want one of bluesky, mastodon, x`},
		{"mastodon without a token", nil, []string{"ingest", "mastodon"}, "mastodon needs a token: a user access token with the read:statuses scope"},
		{"x without a token", nil, []string{"watch", "x"}, "x needs a token"},
		{"blank token file", nil, []string{"ingest", "x", "--token-file", blankToken}, "x needs a token"},
		{"x service unknown", map[string]string{"OUTCRY_TOKEN": "t"}, []string{"ingest", "x", "--x-services", "myspace"}, `x: no service "myspace" in the rules`},
		{"x rules that do not fit", map[string]string{"OUTCRY_TOKEN": "t"}, []string{"ingest", "x", "--x-max-rules", "5", "--x-max-rule-length", "512"}, "follow fewer services with --x-services"},
		{"ingest needs a source", nil, []string{"ingest"}, "accepts 1 arg"},
		{"zero buffer", nil, []string{"ingest", "bluesky", "--buffer", "0"}, "--buffer 0: want 1 to 10,000,000 posts"},
		{"ftp url", nil, []string{"ingest", "bluesky", "--url", "ftp://jetstream1.us-east.bsky.network/subscribe"}, `--url "ftp://jetstream1.us-east.bsky.network/subscribe": want a ws://, wss://, http:// or https:// URL`},
		{"long rewind", nil, []string{"watch", "bluesky", "--url", "ws://127.0.0.1:1/subscribe", "--rewind", "2h"}, "unknown flag: --rewind"},
		// No network: the source cannot be reached, and watch says so and stops.
		{"watch offline", nil, []string{"watch", "bluesky", "--url", "ws://127.0.0.1:1/subscribe", "--http", ""}, "cannot reach bluesky (is this machine online?): ws://127.0.0.1:1/subscribe: dial tcp 127.0.0.1:1: connect: connection refused"},
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
	if err := cli.ApplyEnv(cmd); err != nil {
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
	if err := cli.ApplyEnv(cmd); err != nil {
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
	want := cli.ConfigReference(newRoot())
	_, want, _ = strings.Cut(want, "## Configuration reference\n")
	if doc != want {
		t.Error("README's configuration reference is stale: replace it with the output of `go run ./cmd/outcry config-reference`")
	}
}

// outcry runs the command line in-process.
func outcry(ctx context.Context, args ...string) error {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(&bytes.Buffer{})
	return root.ExecuteContext(ctx)
}
