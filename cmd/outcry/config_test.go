package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/internal/cli"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// configProbe is the root with a `probe` command that records its flags when run.
type configProbe struct {
	brokers  string
	lateness time.Duration
	verbose  bool
	services []string
}

func newConfigProbe() (*cobra.Command, *configProbe) {
	p := &configProbe{}
	root := newRoot()
	cmd := &cobra.Command{Use: "probe", RunE: func(*cobra.Command, []string) error { return nil }}
	f := cmd.Flags()
	f.StringVar(&p.brokers, "brokers", "default:9092", "brokers")
	f.DurationVar(&p.lateness, "lateness", time.Minute, "lateness")
	f.BoolVar(&p.verbose, "verbose", false, "verbose")
	f.StringSliceVar(&p.services, "service", nil, "services")
	root.AddCommand(cmd)
	return root, p
}

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "outcry.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runProbe(t *testing.T, args ...string) (*configProbe, error) {
	t.Helper()
	root, p := newConfigProbe()
	root.SetArgs(append([]string{"probe"}, args...))
	root.SetOut(&bytes.Buffer{})
	root.SetErr(&bytes.Buffer{})
	return p, root.ExecuteContext(context.Background())
}

func TestConfigPrecedence(t *testing.T) {
	file := writeConfig(t, "brokers: file:9092\n")
	for _, tt := range []struct {
		name       string
		flag, env  string // "" = not given
		configFile bool
		viaEnv     bool // name the file with OUTCRY_CONFIG instead of --config
		want       string
	}{
		{"default", "", "", false, false, "default:9092"},
		{"file", "", "", true, false, "file:9092"},
		{"file via OUTCRY_CONFIG", "", "", true, true, "file:9092"},
		{"env over default", "", "env:9092", false, false, "env:9092"},
		{"env over file", "", "env:9092", true, false, "env:9092"},
		{"env over file via OUTCRY_CONFIG", "", "env:9092", true, true, "env:9092"},
		{"flag over file", "flag:9092", "", true, false, "flag:9092"},
		{"flag over env and file", "flag:9092", "env:9092", true, false, "flag:9092"},
		{"flag over env", "flag:9092", "env:9092", false, false, "flag:9092"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var args []string
			if tt.flag != "" {
				args = append(args, "--brokers", tt.flag)
			}
			if tt.env != "" {
				t.Setenv("OUTCRY_BROKERS", tt.env)
			}
			if tt.configFile && tt.viaEnv {
				t.Setenv("OUTCRY_CONFIG", file)
			} else if tt.configFile {
				args = append(args, "--config", file)
			}
			p, err := runProbe(t, args...)
			if err != nil {
				t.Fatal(err)
			}
			if p.brokers != tt.want {
				t.Errorf("brokers = %q, want %q", p.brokers, tt.want)
			}
		})
	}
}

func TestConfigValues(t *testing.T) {
	file := writeConfig(t, `# every kind of value
brokers: [a:9092, b:9092]   # a list for a string flag: comma-joined
lateness: 90s
verbose: true
service:
  - whatsapp
  - facebook
log-level: warn             # a global flag
redis: redis:6379           # a flag of run: ignored here
posts-topic: posts
`)
	p, err := runProbe(t, "--config", file)
	if err != nil {
		t.Fatal(err)
	}
	if p.brokers != "a:9092,b:9092" || p.lateness != 90*time.Second || !p.verbose ||
		strings.Join(p.services, "|") != "whatsapp|facebook" {
		t.Errorf("got %+v", *p)
	}
	// an empty file, or one of comments, sets nothing
	for _, body := range []string{"", "# nothing yet\n"} {
		if p, err := runProbe(t, "--config", writeConfig(t, body)); err != nil || p.brokers != "default:9092" {
			t.Errorf("%q: %+v, %v", body, p, err)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "brokers: x:1\nbogus: 1\n",
			[]string{"line 2", `unknown key "bogus" for "outcry probe"`, "allowed: brokers, lateness, log-level, service, verbose"}},
		{"env-style key", "OUTCRY_POSTS_TOPIC: posts\n", []string{`unknown key "OUTCRY_POSTS_TOPIC"`, `did you mean "posts-topic"?`}},
		{"config in config", "config: other.yaml\n", []string{`unknown key "config"`}},
		{"bad duration", "lateness: 120\n", []string{"line 1: lateness:", `"120"`, "missing unit"}},
		{"bad bool", "verbose: maybe\n", []string{"line 1: verbose:", `"maybe"`}},
		{"list for a duration", "lateness: [1s, 2s]\n", []string{"lateness: a list is only allowed for string flags, this one is duration"}},
		{"mapping value", "brokers: {a: 1}\n", []string{"brokers: want a value or a list of values, not a mapping"}},
		{"not a mapping", "- brokers\n", []string{"want a mapping of flag names to values"}},
		{"duplicate key", "brokers: a:1\nbrokers: b:1\n", []string{`line 2: key "brokers" already given on line 1`}},
		{"bad yaml", "brokers: [a\n", []string{"yaml:"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := writeConfig(t, tt.yaml)
			_, err := runProbe(t, "--config", file)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tt.want, "config "+file) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := runProbe(t, "--config", filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
	// A value from the environment is not checked against the file: the file's bad
	// value is never applied.
	t.Setenv("OUTCRY_LATENESS", "5s")
	if p, err := runProbe(t, "--config", writeConfig(t, "lateness: 120\n")); err != nil || p.lateness != 5*time.Second {
		t.Errorf("env over a bad file value: %+v, %v", p, err)
	}
}

// Commands name the file and key when a value taken from the file is refused.
func TestConfigValueErrorsNameTheFile(t *testing.T) {
	file := writeConfig(t, "brokers: \"\"\nredis: redis:6379\nposts-topic: posts\n")
	err := outcry(context.Background(), "tail", "--config", file)
	if err == nil || !strings.Contains(err.Error(), "brokers in "+file+" is empty") {
		t.Errorf("tail with brokers empty in the file: %v", err)
	}
	err = outcry(context.Background(), "tail", "--config", writeConfig(t, "severity: huge\n"))
	if err == nil || !strings.Contains(err.Error(), "severity in ") || !strings.Contains(err.Error(), `unknown severity "huge"`) {
		t.Errorf("tail with a bad severity in the file: %v", err)
	}
}

func TestConfigReference(t *testing.T) {
	root := newRoot()
	ref := cli.ConfigReference(root)
	run, _, err := root.Find([]string{"run"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	run.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
		n++
		env := "OUTCRY_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if !strings.Contains(ref, "| `--"+f.Name+"` | `"+env+"` |") {
			t.Errorf("reference lacks run's --%s (%s)", f.Name, env)
		}
	})
	if n < 10 {
		t.Errorf("run has only %d flags?", n)
	}
	for _, want := range []string{"### `outcry run`", "### `outcry tail`", "### Global flags", "`--config` | `OUTCRY_CONFIG`",
		"`--log-level` | `OUTCRY_LOG_LEVEL` | `info` |", "| `--brokers` | `OUTCRY_BROKERS` | `127.0.0.1:9092` |"} {
		if !strings.Contains(ref, want) {
			t.Errorf("reference lacks %q", want)
		}
	}
	if strings.Contains(ref, "--help") {
		t.Error("reference lists --help")
	}
	if testing.Verbose() {
		t.Log("\n" + ref)
	}
}
