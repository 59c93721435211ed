package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/outcry-dev/outcry/"

// deps lists every package pkg imports, directly or not (go list -deps).
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", module+pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// The pure packages import no Kafka, Redis or HTTP package, and nothing of Outcry's
// outside the pure core: they are table-tested and reused by the backtests as they are.
func TestPureCore(t *testing.T) {
	pure := []string{"counts", "post", "match", "detect/evaluate", "detect/incident", "alert"}
	// Prefixes; "net" itself is sockets (net/url and net/netip are plain parsing).
	forbidden := []string{"github.com/segmentio/kafka-go", "github.com/redis/go-redis", "github.com/twmb/franz-go", "net/http"}
	inCore := map[string]bool{}
	for _, p := range pure {
		inCore[module+p] = true
	}
	for _, p := range pure {
		for _, d := range deps(t, p) {
			for _, f := range forbidden {
				if d == f || strings.HasPrefix(d, f+"/") {
					t.Errorf("%s imports %s", p, d)
				}
			}
			if d == "net" {
				t.Errorf("%s imports net", p)
			}
			if strings.HasPrefix(d, module) && !inCore[d] {
				t.Errorf("%s imports %s, which is not in the pure core", p, d)
			}
		}
	}
}

// Arrows point one way: cmd → app → stages → pure core. No stage imports the assembly
// or the command, and the assembly imports no command.
func TestArrows(t *testing.T) {
	upper := map[string][]string{
		"app":                {"cmd/"},
		"pipeline":           {"app", "cmd/", "monitor", "alert/"},
		"monitor":            {"app", "cmd/", "pipeline", "source"},
		"store":              {"app", "cmd/", "pipeline", "monitor", "source"},
		"source":             {"app", "cmd/", "pipeline", "monitor", "store"},
		"alert/webhook":      {"app", "cmd/", "pipeline", "monitor", "source", "store"},
		"alert/kafkasink":    {"app", "cmd/", "pipeline", "monitor", "source", "store"},
		"alert/alertmanager": {"app", "cmd/", "pipeline", "monitor", "source", "store"},
		"web":                {"app", "cmd/", "pipeline", "monitor", "source", "store"},
		// The connectors feed the posts topic: they know nothing of what reads it.
		"ingest":           {"app", "cmd/", "pipeline", "monitor", "store", "web", "match", "detect/"},
		"ingest/jetstream": {"app", "cmd/", "pipeline", "monitor", "store", "web", "match", "detect/"},
		"ingest/mastodon":  {"app", "cmd/", "pipeline", "monitor", "store", "web", "match", "detect/"},
		"ingest/xstream":   {"app", "cmd/", "pipeline", "monitor", "store", "web", "match", "detect/"},
	}
	for p, banned := range upper {
		for _, d := range deps(t, p) {
			for _, b := range banned {
				if d == module+strings.TrimSuffix(b, "/") || strings.HasSuffix(b, "/") && strings.HasPrefix(d, module+b) {
					t.Errorf("%s imports %s: the arrow points the wrong way", p, d)
				}
			}
		}
	}
}
