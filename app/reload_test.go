package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/match"
)

func TestRulesReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	base := string(match.DefaultRulesYAML())
	if err := os.WriteFile(path, []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := match.LoadRules(path)
	if err != nil {
		t.Fatal(err)
	}
	live := match.NewLive(rs)
	core, logs := observer.New(zap.InfoLevel)
	var reloads atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	watch := watchRules(path, live, 10*time.Millisecond, func(*match.Rules) { reloads.Add(1) }, zap.New(core))
	go func() { done <- watch(ctx) }()
	defer func() { cancel(); <-done }()

	matches := func(text string) bool {
		for _, m := range live.Match(nil, text) {
			if m.Service == "acmechat" && m.Kind == match.Outage {
				return true
			}
		}
		return false
	}
	if matches("acmechat is down") {
		t.Fatal("acmechat matched before it was added")
	}

	// Each load compiles the default rules: about a second, several under -race on
	// a busy machine, so the deadlines below only catch a load that never comes.
	const reload = time.Minute

	// A bad file is refused and the old rules keep running.
	if err := os.WriteFile(path, []byte(base+"\nservices_typo: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, reload, "the bad file to be refused", func() bool {
		return logs.FilterMessage("rules not reloaded; the old rules keep running").Len() > 0
	})
	if live.Rules() != rs || reloads.Load() != 0 {
		t.Fatal("a bad rules file replaced the running rules")
	}

	// A good file with a new service is picked up when it changes.
	added := strings.Replace(base, "services:\n", "services:\n  - name: acmechat\n    display: AcmeChat\n    aliases: [acmechat]\n", 1)
	if err := os.WriteFile(path, []byte(added), 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, reload, "the changed file to be loaded", func() bool { return matches("acmechat is down") })

	// SIGHUP reloads as well.
	n := reloads.Load()
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, reload, "a reload on SIGHUP", func() bool { return reloads.Load() > n })
}
