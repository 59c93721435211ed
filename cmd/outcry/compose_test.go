package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestComposeFile checks docker-compose.yml where the compose tool is not needed (it
// is not on every machine that runs `make test`): Outcry's services run commands
// that exist with environment variables that are their flags, the files mounted
// exist, and the services and volumes referred to are declared.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Command     []string          `yaml:"command"`
			Entrypoint  []string          `yaml:"entrypoint"`
			Environment map[string]string `yaml:"environment"`
			Volumes     []string          `yaml:"volumes"`
			DependsOn   yaml.Node         `yaml:"depends_on"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	if len(c.Services) == 0 {
		t.Fatal("docker-compose.yml: no services")
	}
	for name, s := range c.Services {
		if s.Image == "outcry:dev" {
			args := s.Command
			if len(s.Entrypoint) > 0 { // ["/outcry", "demo", ...]
				args = append(s.Entrypoint[1:], s.Command...)
			}
			if len(args) == 0 {
				t.Errorf("%s: no command", name)
				continue
			}
			cmd, rest, err := newRoot().Find(args)
			if err != nil || cmd.Name() != args[0] {
				t.Errorf("%s: %q is not an outcry command", name, args[0])
				continue
			}
			if err := cmd.ParseFlags(rest); err != nil {
				t.Errorf("%s: outcry %s: %v", name, strings.Join(args, " "), err)
			}
			for env := range s.Environment {
				flag := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(env, "OUTCRY_")), "_", "-")
				if !strings.HasPrefix(env, "OUTCRY_") || cmd.Flags().Lookup(flag) == nil && cmd.InheritedFlags().Lookup(flag) == nil {
					t.Errorf("%s: %s is not a flag of outcry %s", name, env, cmd.Name())
				}
			}
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			switch {
			case strings.HasPrefix(src, "./"):
				if _, err := os.Stat(filepath.Join("../..", src)); err != nil {
					t.Errorf("%s mounts %s: %v", name, src, err)
				}
			case c.Volumes != nil:
				if _, ok := c.Volumes[src]; !ok {
					t.Errorf("%s mounts volume %q, which is not declared", name, src)
				}
			}
		}
		var deps []string
		switch s.DependsOn.Kind {
		case yaml.SequenceNode:
			_ = s.DependsOn.Decode(&deps)
		case yaml.MappingNode:
			for i := 0; i < len(s.DependsOn.Content); i += 2 {
				deps = append(deps, s.DependsOn.Content[i].Value)
			}
		}
		for _, d := range deps {
			if _, ok := c.Services[d]; !ok {
				t.Errorf("%s depends on %q, which is not a service", name, d)
			}
		}
	}
}
