package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/outcry-dev/outcry/devstack"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/store"
)

// The bad-day tests: what a real deployment meets on a bad day (a broker away for
// seconds, a dead-letter topic with Apache Kafka's message limit, a backdated post,
// SIGTERM while a dependency is away, a large rules file) must neither stop the
// pipeline nor keep it from stopping.

// alive fails the test if p has exited.
func (p *proc) alive() {
	p.t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		p.t.Fatalf("%s exited (%v) while it should keep running:\n%s", p.name, err, lastBytes(p.out.String(), 3000))
	default:
	}
}

// exitsWithin signals p and returns its exit code, failing when it is still running
// after limit.
func (p *proc) exitsWithin(sig syscall.Signal, limit time.Duration) int {
	p.t.Helper()
	began := time.Now()
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		p.t.Logf("%s exited %d, %s after %s", p.name, p.cmd.ProcessState.ExitCode(), time.Since(began).Round(time.Millisecond), sig)
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(limit):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("%s still running %s after %s:\n%s", p.name, limit, sig, lastBytes(p.out.String(), 3000))
		return -1
	}
}

// The broker stops for ten seconds mid-stream: the process stays up, says it is not
// ready meanwhile, and resumes; every count is the uninterrupted run's.
func TestFaultBrokerAway(t *testing.T) {
	e, b := newRestartableEnv(t)
	want := e.baseline(t)

	addr := freeAddr(t)
	p := startOutcry(t, "broker-away", e.runArgs("away", "away", "--http", addr)...)
	testenv.Eventually(t, 60*time.Second, "consumption to start", func() bool { return e.consumed(t, "away", "away") > 0 })
	b.stop()
	stopped := time.Now()
	t.Logf("broker stopped after %d of %d messages", e.consumed(t, "away", "away"), e.lines)
	notReady := false
	for time.Since(stopped) < 10*time.Second { // the fault lasts as long as a real one
		p.alive()
		notReady = notReady || httpStatus(addr, "/readyz") == http.StatusServiceUnavailable
		time.Sleep(200 * time.Millisecond)
	}
	if !notReady {
		t.Errorf("/readyz never said 503 while the broker was away")
	}
	b.start()
	e.waitConsumed(t, "away", "away")
	testenv.Eventually(t, 60*time.Second, "/readyz to say ready again", func() bool { return httpStatus(addr, "/readyz") == http.StatusOK })
	// Away again while the topic is idle: once it is back, nothing comes to fetch,
	// and the process must say ready all the same.
	b.stop()
	stopped = time.Now()
	testenv.Eventually(t, 60*time.Second, "/readyz to say not ready on an idle topic", func() bool {
		p.alive()
		return httpStatus(addr, "/readyz") == http.StatusServiceUnavailable
	})
	for time.Since(stopped) < 12*time.Second { // longer than the group's session
		p.alive()
		time.Sleep(200 * time.Millisecond)
	}
	b.start()
	testenv.Eventually(t, 60*time.Second, "/readyz to say ready on an idle topic", func() bool { return httpStatus(addr, "/readyz") == http.StatusOK })
	if code := p.exitsWithin(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	sameStats(t, e.stats(t, "away", "away"), want)
}

// SIGTERM ends the process within --shutdown-timeout whatever is being retried.
func TestFaultSIGTERMDuringRetries(t *testing.T) {
	sasl, err := devstack.StartBroker(devstack.BrokerOptions{Extra: []kfake.Opt{
		kfake.EnableSASL(), kfake.Superuser("PLAIN", "admin", "plain-secret"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer sasl.Close()
	e := newFaultEnv(t, devstack.RedisOptions{})
	tests := []struct {
		name  string
		args  func(addr string) []string
		fault func(t *testing.T) // makes the retries start, after the process is up
	}{
		{"broker unreachable at start-up", func(addr string) []string {
			return []string{"run", "--brokers", freeAddr(t), "--redis", e.redisAddr, "--http", addr}
		}, nil},
		{"Redis unreachable at start-up", func(addr string) []string {
			return []string{"run", "--brokers", e.broker, "--redis", freeAddr(t), "--http", addr}
		}, nil},
		{"SASL refused", func(addr string) []string {
			return []string{"run", "--brokers", sasl.ListenAddrs()[0], "--redis", e.redisAddr, "--http", addr,
				"--kafka-sasl", "plain", "--kafka-user", "admin", "--kafka-password", "wrong"}
		}, nil},
		{"Redis stopped mid-stream", func(addr string) []string {
			return e.runArgs("term-redis", "term-redis", "--http", addr)
		}, func(t *testing.T) {
			testenv.Eventually(t, 60*time.Second, "consumption to start", func() bool { return e.consumed(t, "term-redis", "term-redis") > 0 })
			e.redis.Stop()
			t.Cleanup(func() { _ = e.redis.Start(context.Background()) })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := freeAddr(t)
			args := append(tt.args(addr), "--shutdown-timeout", "8s", "--log-level", faultLogLevel())
			p := startOutcry(t, "term", args...)
			if tt.fault != nil {
				tt.fault(t)
			}
			testenv.Eventually(t, 30*time.Second, "/readyz to say not ready", func() bool {
				p.alive()
				return httpStatus(addr, "/readyz") == http.StatusServiceUnavailable
			})
			if code := p.exitsWithin(syscall.SIGTERM, 12*time.Second); code != 0 {
				t.Errorf("exit code %d after SIGTERM, want 0", code)
			}
		})
	}
}

// manyServices writes a rules file of n services.
func manyServices(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("version: 1\noutage_terms: [down, \"not working\"]\nrecovery_terms: [\"is back\"]\nservices:\n")
	b.WriteString("  - {name: whatsapp, display: WhatsApp, aliases: [whatsapp]}\n")
	for i := range n - 1 {
		fmt.Fprintf(&b, "  - {name: svc%05d, display: Service %d, aliases: [svc%05d]}\n", i, i, i)
	}
	f := filepath.Join(t.TempDir(), "rules-"+strconv.Itoa(n)+".yaml")
	if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// What `rules check` accepts, `run` runs: 1,000 services (the live page held 512),
// with and without the live page, and a reload of the file; SIGHUP reloads, and is
// ignored (not fatal) without a rules file.
func TestManyServicesAndHangups(t *testing.T) {
	e := newFaultEnv(t, devstack.RedisOptions{})
	rules := manyServices(t, 1000)
	if err := outcry(context.Background(), "rules", "check", rules); err != nil {
		t.Fatalf("rules check: %v", err)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"with the live page", []string{"--rules", rules, "--http", freeAddr(t)}},
		{"without it", []string{"--rules", rules, "--http", ""}},
		{"no rules file", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			group := strings.ReplaceAll(tc.name, " ", "-")
			args := append(e.runArgs(group, group), tc.args...)
			p := startOutcry(t, group, append(args, "--log-level", "info")...)
			testenv.Eventually(t, 60*time.Second, "consumption", func() bool { p.alive(); return e.consumed(t, group, group) > 0 })
			_ = p.cmd.Process.Signal(syscall.SIGHUP)
			want := "rules reloaded"
			if tc.args == nil {
				want = "SIGHUP ignored"
			}
			testenv.Eventually(t, 30*time.Second, "the SIGHUP to be handled", func() bool {
				p.alive()
				return strings.Contains(p.out.String(), want)
			})
			e.waitConsumed(t, group, group)
			p.alive()
			if code := p.exitsWithin(syscall.SIGTERM, 30*time.Second); code != 0 {
				t.Errorf("exit code %d", code)
			}
		})
	}
	st := store.New(e.rdb, store.Options{Prefix: "with-the-live-page"})
	if tot, err := st.Totals(context.Background(), "with-the-live-page"); err != nil || tot["consumed"] != e.lines {
		t.Errorf("totals %v (%v), want %d consumed", tot, err, e.lines)
	}
}

// An in-memory suite backtest is all CPU, with nothing to wait on: SIGTERM must
// still end it promptly, not after the last of its streams.
func TestBacktestSuiteSIGTERM(t *testing.T) {
	p := startOutcry(t, "suite", "backtest", "--suite", "tuning", "--fast")
	testenv.Eventually(t, 2*time.Minute, "the first stream's line", func() bool { return strings.Contains(p.out.String(), "suite-") })
	if code := p.exitsWithin(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if out := p.out.String(); strings.Contains(out, "suite tuning:") {
		t.Errorf("the suite ran to its summary line instead of stopping:\n%s", lastBytes(out, 2000))
	}
}
