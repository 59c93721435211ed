package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// configFlag is the persistent flag naming the YAML configuration file.
const configFlag = "config"

// AddConfigFlag registers --config (and so OUTCRY_CONFIG) on the root's persistent flags.
func AddConfigFlag(fs *pflag.FlagSet) {
	fs.String(configFlag, "", "YAML file of flag values keyed by flag name (e.g. brokers: kafka:9092); flags on the command line and in the environment win over it")
}

// notConfigurable are flags a configuration file cannot set.
var notConfigurable = map[string]bool{"help": true, "version": true, configFlag: true}

// ApplyConfig fills every flag of cmd that is set neither on the command line nor in
// the environment (run it after ApplyEnv) from the file named by --config, so that
// flags > env > file. A key must be a flag of cmd, or of another outcry command (so
// that one file serves run, tail and replay), otherwise it is an error.
func ApplyConfig(cmd *cobra.Command) error {
	f := cmd.Flags().Lookup(configFlag)
	if f == nil || f.Value.String() == "" {
		return nil
	}
	path := f.Value.String()
	entries, err := readConfigFile(path)
	if err != nil {
		return err
	}
	others := allFlagNames(cmd.Root())
	var errs []error
	for _, e := range entries {
		fl := cmd.Flags().Lookup(e.key)
		if fl == nil || notConfigurable[e.key] {
			if others[e.key] && !notConfigurable[e.key] {
				continue // a flag of another command
			}
			errs = append(errs, fmt.Errorf("config %s line %d: unknown key %q for %q%s; allowed: %s",
				path, e.line, e.key, cmd.CommandPath(), suggest(e.key, others), strings.Join(configKeys(cmd), ", ")))
			continue
		}
		if fl.Changed {
			continue // given on the command line or in the environment
		}
		v, err := e.value(fl)
		if err == nil {
			err = cmd.Flags().Set(e.key, v)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("config %s line %d: %s: %w", path, e.line, e.key, err))
			continue
		}
		// FlagName then says where a bad value came from.
		_ = cmd.Flags().SetAnnotation(e.key, envAnnotation, []string{fmt.Sprintf("%s in %s", e.key, path)})
	}
	return errors.Join(errs...)
}

// configEntry is one key of the file.
type configEntry struct {
	key  string
	line int
	node *yaml.Node
}

// value renders the YAML value as the flag's text: a scalar as it is, a list of
// scalars comma-joined (for string and string-list flags), null as empty.
func (e configEntry) value(f *pflag.Flag) (string, error) {
	switch e.node.Kind {
	case yaml.ScalarNode:
		if e.node.Tag == "!!null" {
			return "", nil
		}
		return e.node.Value, nil
	case yaml.SequenceNode:
		if t := f.Value.Type(); t != "string" && t != "stringSlice" {
			return "", fmt.Errorf("a list is only allowed for string flags, this one is %s", t)
		}
		items := make([]string, 0, len(e.node.Content))
		for _, n := range e.node.Content {
			if n.Kind != yaml.ScalarNode {
				return "", errors.New("want a list of plain values")
			}
			items = append(items, n.Value)
		}
		return strings.Join(items, ","), nil
	}
	return "", errors.New("want a value or a list of values, not a mapping")
}

// readConfigFile parses path: a YAML mapping of flag names to values, in file order.
func readConfigFile(path string) ([]configEntry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil // only comments
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config %s line %d: want a mapping of flag names to values (brokers: kafka:9092)", path, m.Line)
	}
	seen := map[string]int{}
	out := make([]configEntry, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("config %s line %d: keys are flag names", path, k.Line)
		}
		if first, dup := seen[k.Value]; dup {
			return nil, fmt.Errorf("config %s line %d: key %q already given on line %d", path, k.Line, k.Value, first)
		}
		seen[k.Value] = k.Line
		out = append(out, configEntry{key: k.Value, line: k.Line, node: v})
	}
	return out, nil
}

// configKeys are the keys a file may set for cmd, sorted.
func configKeys(cmd *cobra.Command) []string {
	var keys []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !notConfigurable[f.Name] {
			keys = append(keys, f.Name)
		}
	})
	sort.Strings(keys)
	return keys
}

// allFlagNames are the flags of every command under root.
func allFlagNames(root *cobra.Command) map[string]bool {
	names := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, fs := range []*pflag.FlagSet{c.Flags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) { names[f.Name] = true })
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	return names
}

// suggest hints at the flag an unknown key probably meant (posts_topic, POSTS-TOPIC).
func suggest(key string, known map[string]bool) string {
	k := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(strings.TrimPrefix(key, "--"), "OUTCRY_"), "_", "-"))
	if k != key && known[k] {
		return fmt.Sprintf(" (did you mean %q?)", k)
	}
	return ""
}

// ConfigReference documents every command's flags with their environment variables
// and defaults, as Markdown for the README.
func ConfigReference(root *cobra.Command) string {
	var b strings.Builder
	b.WriteString(`## Configuration reference

Every flag can be given in three ways; the first one found wins:

1. on the command line: ` + "`--posts-topic posts`" + `
2. in the environment, as ` + "`OUTCRY_`" + ` and the flag name in capitals with ` + "`_`" + ` for ` + "`-`" + `: ` + "`OUTCRY_POSTS_TOPIC=posts`" + `
3. in the YAML file named by ` + "`--config FILE`" + ` (or ` + "`OUTCRY_CONFIG`" + `), keyed by flag name:

` + "```yaml" + `
brokers: kafka-1:9092,kafka-2:9092   # or a list: [kafka-1:9092, kafka-2:9092]
redis: redis:6379
posts-topic: posts
http: 0.0.0.0:9464
lateness: 2m
` + "```" + `

Lists are allowed for string flags and are joined with commas. A key that is a flag of
no outcry command is an error; a key of another command is ignored, so one file can
serve ` + "`run`, `tail` and `replay`" + `. Keys shared by several commands (such as ` + "`brokers`" + `)
apply to each of them.
`)
	writeFlagTable(&b, "Global flags (every command)", root.PersistentFlags())
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, s := range c.Commands() {
			if s.Hidden || !s.IsAvailableCommand() || s.Name() == "help" || s.Name() == "completion" {
				continue
			}
			writeFlagTable(&b, "`"+s.CommandPath()+"`: "+s.Short, s.LocalNonPersistentFlags())
			walk(s)
		}
	}
	walk(root)
	return b.String()
}

func writeFlagTable(b *strings.Builder, title string, fs *pflag.FlagSet) {
	var flags []*pflag.Flag
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && f.Name != "version" && !f.Hidden {
			flags = append(flags, f)
		}
	})
	if len(flags) == 0 {
		return
	}
	fmt.Fprintf(b, "\n### %s\n\n| flag | environment | default | description |\n| --- | --- | --- | --- |\n", title)
	for _, f := range flags {
		def := f.DefValue
		switch {
		case def == "" || def == "[]":
			def = "—"
		default:
			def = "`" + def + "`"
		}
		env := "`OUTCRY_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_")) + "`"
		desc := strings.ReplaceAll(f.Usage, "|", `\|`)
		fmt.Fprintf(b, "| `--%s` | %s | %s | %s |\n", f.Name, env, def, desc)
	}
}
