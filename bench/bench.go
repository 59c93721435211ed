// Package bench holds the harnesses of `outcry bench`: the pipeline's throughput beside
// the raw consume rate of the same topic (the ceiling), Redis commands per post, alert
// latency in live mode, memory over a soak, and the matcher alone (internal/matchbench).
// Each figure is measured beside its ceiling or baseline in the same run.
package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/outcry-dev/outcry/app"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/devstack"
	"github.com/outcry-dev/outcry/internal/matchbench"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/match"
	"github.com/outcry-dev/outcry/pipeline"
	"github.com/outcry-dev/outcry/post"
	"github.com/outcry-dev/outcry/source"
)

// Result is what `outcry bench --json` prints.
type Result struct {
	Pipeline *PipelineResult    `json:"pipeline,omitempty"`
	Match    *matchbench.Result `json:"match,omitempty"`
	// Scale is the matcher at --services services on a Zipf mix, against the
	// default rules in the same run (issue 19's other figures are not measured yet).
	Scale *matchbench.ScaleResult `json:"scale,omitempty"`
	Soak  []SoakSample            `json:"soak,omitempty"`
}

// PipelineResult are the figures of the pipeline and latency measurements.
type PipelineResult struct {
	Posts          int64   `json:"posts"`
	PostsPerS      float64 `json:"posts_per_s"`
	ConsumeCeiling float64 `json:"consume_ceiling_posts_per_s"`
	Ratio          float64 `json:"ratio"`
	// Commands Redis ran per post, from INFO commandstats (those inside the Lua
	// script included), and commands Outcry sent (one EVALSHA per scope and batch).
	RedisCmdsPerPost float64 `json:"redis_cmds_per_post"`
	RedisSentPerPost float64 `json:"redis_cmds_sent_per_post"`
	AlertLatencyP50  float64 `json:"alert_latency_p50_ms"`
	AlertLatencyP99  float64 `json:"alert_latency_p99_ms"`
	Incidents        int     `json:"incidents"`
	RSSMB            float64 `json:"rss_mb"`
	RedisMemoryMB    float64 `json:"redis_memory_mb"`
	// CPU time per post, in microseconds, of each process during the best pass of
	// each measurement: where the two cores went.
	CeilingCPU *CPUPerPost `json:"ceiling_cpu_us_per_post,omitempty"`
	// Pipeline ÷ ceiling of each pair of passes run back to back.
	PassRatios  []float64   `json:"pass_ratios,omitempty"`
	PipelineCPU *CPUPerPost `json:"pipeline_cpu_us_per_post,omitempty"`
	// "skipped" when the pipeline passes ran without matching (--skip-match).
	Matching string `json:"matching,omitempty"`
	// The median time to evaluate one closed bucket of every service, over the
	// buckets the pass evaluated (EvalBuckets).
	EvalMsPerBucket float64 `json:"eval_ms_per_bucket,omitempty"`
	EvalBuckets     int     `json:"eval_buckets,omitempty"`
}

// RatioGuard is the least pipeline ÷ ceiling ratio expected on the 2-core development
// machine, where the Kafka client alone keeps both cores busy, so the ratio measures
// how CPU is shared more than what Outcry wastes (docs/performance.md). With cores
// to spare beside the consumer the ratio should approach 1.
const RatioGuard = 0.6

// noMatch is the matcher of --skip-match: it finds nothing, so the pipeline passes
// show what decoding, counting and storing cost without matching.
type noMatch struct{}

func (noMatch) Match(dst []match.Match, _ string) []match.Match { return dst }

// CPUPerPost splits the CPU time of a measurement between the processes that share
// the machine.
type CPUPerPost struct {
	Outcry float64 `json:"outcry"`
	Broker float64 `json:"broker"`
	Redis  float64 `json:"redis"`
}

// SoakSample is one sample of a soak.
type SoakSample struct {
	Seconds   float64 `json:"s"`
	Consumed  int64   `json:"consumed"`
	RSSMB     float64 `json:"rss_mb"`
	HeapMB    float64 `json:"heap_mb"`
	LiveMB    float64 `json:"live_heap_mb"` // heap still in use after a collection: what a leak would grow
	RedisKeys int64   `json:"redis_keys"`
	RedisMB   float64 `json:"redis_mb"`
}

// Print writes r for a reader.
func Print(w io.Writer, r Result) {
	if p := r.Pipeline; p != nil {
		if p.Posts > 0 {
			if p.Matching == "skipped" {
				fmt.Fprintln(w, "pipeline    MATCHING SKIPPED (--skip-match): an analysis of what matching costs, not Outcry's throughput")
			}
			fmt.Fprintf(w, "pipeline    %10.0f posts/s   ceiling (raw consume, same client) %10.0f posts/s   ratio %.2f   (%d posts, best passes)\n",
				p.PostsPerS, p.ConsumeCeiling, p.Ratio, p.Posts)
			if p.Matching != "skipped" {
				verdict := "met"
				if p.Ratio < RatioGuard {
					verdict = "NOT MET"
				}
				fmt.Fprintf(w, "            guard: ratio ≥ %.1f on a machine whose cores the Kafka client alone keeps busy (two here): %s\n", RatioGuard, verdict)
			}
			if len(p.PassRatios) > 0 {
				var rs []string
				for _, r := range p.PassRatios {
					rs = append(rs, fmt.Sprintf("%.2f", r))
				}
				fmt.Fprintf(w, "            ratio of each pair of passes run back to back: %s\n", strings.Join(rs, ", "))
			}
			fmt.Fprintf(w, "redis       %10.4f commands/post run by Redis (INFO commandstats, inside Lua included; %.4f/post sent)   %.1f MB used\n",
				p.RedisCmdsPerPost, p.RedisSentPerPost, p.RedisMemoryMB)
		}
		if p.Incidents > 0 {
			fmt.Fprintf(w, "latency     p50 %6.0f ms   p99 %6.0f ms   from the tipping post to its started event (%d incidents, live)\n",
				p.AlertLatencyP50, p.AlertLatencyP99, p.Incidents)
		}
		for _, c := range []struct {
			what string
			cpu  *CPUPerPost
		}{{"ceiling", p.CeilingCPU}, {"pipeline", p.PipelineCPU}} {
			if c.cpu != nil {
				fmt.Fprintf(w, "cpu         %-8s  %5.2f µs/post: outcry %.2f, broker %.2f, redis %.2f\n",
					c.what, c.cpu.Outcry+c.cpu.Broker+c.cpu.Redis, c.cpu.Outcry, c.cpu.Broker, c.cpu.Redis)
			}
		}
		fmt.Fprintf(w, "memory      %10.1f MB peak RSS\n", p.RSSMB)
	}
	if m := r.Match; m != nil {
		fmt.Fprintf(w, "match       %10.0f posts/s (default rules)   %10.0f posts/s (4,000 services, %.2f×)   regexp baseline %8.0f posts/s (%.0f× slower)\n",
			m.PostsPerS, m.PostsPerSLargeRules, m.PostsPerSLargeRules/m.PostsPerS, m.RegexpPostsPerS, m.PostsPerS/m.RegexpPostsPerS)
	}
	if sc := r.Scale; sc != nil {
		fmt.Fprintf(w, "scale       match    %10.0f posts/s at %d services   %10.0f posts/s at the default rules   ratio %.2f   (a Zipf mix over each; rules loaded in %.1f s)\n",
			sc.PostsPerS, sc.Services, sc.BasePerS, sc.MatchRatio, sc.LoadS)
		if sc.PipelineBasePerS > 0 {
			fmt.Fprintf(w, "            pipeline %10.0f posts/s at %d services   %10.0f posts/s at the default rules   ratio %.2f\n",
				sc.PipelinePerS, sc.Services, sc.PipelineBasePerS, sc.PipelineRatio)
			fmt.Fprintf(w, "            cpu      %.2f µs a post at %d services (Outcry, broker and Redis)   %.2f µs at the default rules   ratio %.2f\n",
				sc.CPUPerPost, sc.Services, sc.CPUPerPostBase, sc.CPUPerPostBase/sc.CPUPerPost)
			fmt.Fprintf(w, "            redis    %.4f commands/post (%.4f at the default rules)   %.1f MB used   outcry peak RSS %.0f MB\n",
				sc.RedisCmdsPerPost, sc.RedisCmdsPerPostBase, sc.RedisMB, sc.RSSMB)
			fmt.Fprintf(w, "            evaluate %.1f ms a closed bucket of every service, median (%.2f ms at the default rules); a bucket is 10 s\n",
				sc.EvalMsPerBucket, sc.EvalMsPerBucketBase)
		}
	}
	if len(r.Soak) > 0 {
		fmt.Fprintln(w, "soak:   s    consumed    rss MB   heap MB   live MB   redis keys   redis MB")
		for _, s := range r.Soak {
			fmt.Fprintf(w, "     %5.0f %11d %9.1f %9.1f %9.1f %12d %10.1f\n", s.Seconds, s.Consumed, s.RSSMB, s.HeapMB, s.LiveMB, s.RedisKeys, s.RedisMB)
		}
	}
}

// benchEnv is an embedded broker and a real redis-server.
type benchEnv struct {
	broker    string
	brokerPID int
	rds       *devstack.Redis
	rdb       *redis.Client
	close     func()
}

func startBenchEnv(ctx context.Context) (*benchEnv, error) {
	// The broker keeps every message in memory: it runs as a child process, so this
	// process's memory is Outcry's alone (it shares the machine's CPUs as in production).
	broker, pid, stop, err := childBroker(ctx)
	if err != nil {
		return nil, err
	}
	r, err := devstack.StartRedis(ctx, false)
	if err != nil {
		stop()
		if errors.Is(err, devstack.ErrNoRedisServer) {
			return nil, fmt.Errorf("bench needs redis-server on PATH (apt-get install redis-server): %w", err)
		}
		return nil, err
	}
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	return &benchEnv{broker: broker, brokerPID: pid, rds: r, rdb: rdb, close: func() { rdb.Close(); r.Close(); stop() }}, nil
}

// resetPeakRSS starts the peak RSS afresh (Linux: clear_refs 5), after the posts that
// were generated for pre-loading are freed, so the peak is the pipeline's.
func resetPeakRSS() {
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

func produce(ctx context.Context, broker, topic string, values [][]byte) error {
	w := kafkaconn.NewWriter([]string{broker}, topic)
	w.Balancer = &kafka.RoundRobin{}
	w.BatchSize = 5000
	defer w.Close()
	msgs := make([]kafka.Message, 0, 5000)
	for i, v := range values {
		msgs = append(msgs, kafka.Message{Value: v})
		if len(msgs) == cap(msgs) || i == len(values)-1 {
			if err := w.WriteMessages(ctx, msgs...); err != nil {
				return fmt.Errorf("pre-load posts: %w", err)
			}
			msgs = msgs[:0]
		}
	}
	return nil
}

// countingHook counts the commands Outcry sends to Redis.
type countingHook struct{ n atomic.Int64 }

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.n.Add(1); return next(ctx, cmd) }
}
func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.n.Add(int64(len(cmds))); return next(ctx, cmds) }
}

func benchPipeline(ctx context.Context, n int, skipMatch bool, pr *PipelineResult, log *zap.Logger, progress func(string, ...any)) error {
	if skipMatch {
		pr.Matching = "skipped"
		progress("pipeline: --skip-match: the pipeline passes match nothing (an analysis, not Outcry's figure)")
	}
	env, err := startBenchEnv(ctx)
	if err != nil {
		return err
	}
	defer env.close()
	progress("pipeline: pre-loading %d posts (not timed) ...", n)
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	if err := produce(ctx, env.broker, "posts", matchbench.Messages(n, start, 100_000, 1)); err != nil {
		return err
	}
	// Both rates are the best of a few passes, each with a fresh consumer group: a
	// single pass varies by up to 2× on this machine, and its speed drifts over a
	// run, so ceiling and pipeline passes alternate and each ratio compares passes
	// made at about the same time.
	// A first read of the topic warms the broker (its first pass is markedly slower);
	// it is not counted.
	progress("pipeline: warming the broker up (not timed) ...")
	if _, err := consumeRate(ctx, env.broker, "warm-up", n, log); err != nil {
		return err
	}
	for i := range benchPasses {
		progress("pipeline: pass %d of %d: raw consume rate (the ceiling) ...", i+1, benchPasses)
		before := env.cpuTime(ctx)
		rate, err := consumeRate(ctx, env.broker, fmt.Sprintf("ceiling-%d", i), n, log)
		if err != nil {
			return err
		}
		if rate > pr.ConsumeCeiling {
			pr.ConsumeCeiling, pr.CeilingCPU = rate, before.perPost(env.cpuTime(ctx), n)
		}
		if i == 0 {
			resetPeakRSS()
		}
		progress("pipeline: pass %d of %d: the whole pipeline ...", i+1, benchPasses)
		p, err := pipelinePass(ctx, env, n, fmt.Sprintf("bench-%d", i), skipMatch, log)
		if err != nil {
			return err
		}
		if p.PostsPerS > pr.PostsPerS {
			pr.PostsPerS, pr.RedisSentPerPost, pr.RedisCmdsPerPost = p.PostsPerS, p.RedisSentPerPost, p.RedisCmdsPerPost
			pr.PipelineCPU = p.PipelineCPU
		}
		pr.PassRatios = append(pr.PassRatios, p.PostsPerS/rate)
	}
	pr.Posts = int64(n)
	pr.Ratio = pr.PostsPerS / pr.ConsumeCeiling
	mem, err := env.rdb.Info(ctx, "memory").Result()
	if err == nil {
		pr.RedisMemoryMB = float64(infoInt(mem, "used_memory")) / (1 << 20)
	}
	return nil
}

const benchPasses = 3

// consumeRate reads n messages of the posts topic with the pipeline's Kafka client in a
// new group, committing once per pipeline.DefaultBatchSize messages as the pipeline
// commits once per batch, and nothing else: the ceiling.
func consumeRate(ctx context.Context, broker, group string, n int, log *zap.Logger) (float64, error) {
	rd := source.NewReader(kafkaconn.Config{Brokers: []string{broker}, Group: group, PostsTopic: "posts"}, log, nil)
	defer rd.Close()
	var began time.Time
	var last kafka.Message
	var err error
	for i := 0; i < n; i++ {
		if last, err = rd.FetchMessage(ctx); err != nil {
			return 0, fmt.Errorf("ceiling: %w", err)
		}
		if i == 0 {
			began = time.Now() // the group is joined: the clock runs from here
		}
		if (i+1)%pipeline.DefaultBatchSize == 0 {
			if err := rd.CommitMessages(ctx, last); err != nil {
				return 0, fmt.Errorf("ceiling: %w", err)
			}
		}
	}
	return float64(n-1) / time.Since(began).Seconds(), nil
}

// pipelinePass runs the whole pipeline over the n pre-loaded posts in a new group
// (and Redis prefix) and measures its rate and Redis commands.
func pipelinePass(ctx context.Context, env *benchEnv, n int, group string, skipMatch bool, log *zap.Logger) (PipelineResult, error) {
	return pipelinePassOn(ctx, env, "posts", match.DefaultRules(), n, group, skipMatch, log)
}

// pipelinePassOn is pipelinePass over topic with the rules rs.
func pipelinePassOn(ctx context.Context, env *benchEnv, topic string, rs *match.Rules, n int, group string, skipMatch bool, log *zap.Logger) (PipelineResult, error) {
	var pr PipelineResult
	var evalMu sync.Mutex
	var evals []time.Duration
	hook := &countingHook{}
	rdb := redis.NewClient(&redis.Options{Addr: env.rds.Addr})
	rdb.AddHook(hook)
	defer rdb.Close()
	callsBefore, err := serverCalls(ctx, env.rdb)
	if err != nil {
		return pr, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var done atomic.Bool
	var finished, first time.Time
	var firstN int64
	var m pipeline.Matcher
	if skipMatch {
		m = noMatch{}
	}
	svc, err := app.New(app.Options{
		Kafka: kafkaconn.Config{Brokers: []string{env.broker}, Group: group, PostsTopic: topic,
			AlertsTopic: "alerts", DLQTopic: "posts.dlq"},
		Redis: rdb, RedisPrefix: group, Rules: rs, Matcher: m,
		OnBucket: func(d time.Duration) {
			evalMu.Lock()
			evals = append(evals, d)
			evalMu.Unlock()
		},
		OnBatch: func(s pipeline.Stats) {
			if first.IsZero() {
				// The group is joined and the first batch stored: as for the ceiling,
				// the clock runs from here, over the posts still to come.
				first, firstN = time.Now(), s.Consumed
			}
			if s.Consumed >= int64(n) && !done.Swap(true) {
				finished = time.Now()
				cancel()
			}
		},
	}, log)
	if err != nil {
		return pr, err
	}
	defer svc.Close()
	// The first pipeline pass, or the pass of the group OUTCRY_CPUPROFILE_GROUP names
	// (scale-1-0: the first pass at many services).
	profiled := cmp.Or(os.Getenv("OUTCRY_CPUPROFILE_GROUP"), "bench-0")
	if path := os.Getenv("OUTCRY_CPUPROFILE"); path != "" && group == profiled {
		f, err := os.Create(path)
		if err != nil {
			return pr, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return pr, err
		}
		defer pprof.StopCPUProfile()
	}
	before := env.cpuTime(ctx)
	if err := svc.Run(runCtx); err != nil && ctx.Err() == nil {
		return pr, err
	}
	if !done.Load() {
		return pr, ctx.Err()
	}
	if firstN >= int64(n) {
		return pr, fmt.Errorf("bench: %d posts fit in one batch; use more --posts", n)
	}
	pr.PostsPerS = float64(int64(n)-firstN) / finished.Sub(first).Seconds()
	pr.PipelineCPU = before.perPost(env.cpuTime(ctx), n)
	pr.RedisSentPerPost = float64(hook.n.Load()) / float64(n)
	callsAfter, err := serverCalls(ctx, env.rdb)
	if err != nil {
		return pr, err
	}
	pr.RedisCmdsPerPost = float64(callsAfter-callsBefore-1) / float64(n) // minus our own INFO
	evalMu.Lock()
	if len(evals) > 0 {
		slices.Sort(evals)
		pr.EvalMsPerBucket = float64(evals[len(evals)/2]) / float64(time.Millisecond)
		pr.EvalBuckets = len(evals)
	}
	evalMu.Unlock()
	return pr, nil
}

// serverCalls sums the calls of every command in INFO commandstats (commands run
// inside Lua scripts included).
func serverCalls(ctx context.Context, rdb *redis.Client) (int64, error) {
	s, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return 0, fmt.Errorf("INFO commandstats: %w", err)
	}
	var total int64
	for _, line := range strings.Split(s, "\n") {
		_, rest, ok := strings.Cut(line, ":calls=")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ",")
		n, _ := strconv.ParseInt(num, 10, 64)
		total += n
	}
	return total, nil
}

func infoFloat(info, key string) float64 {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+":"); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

func infoInt(info, key string) int64 {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+":"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// benchLatency runs the service live (event time = the clock) after a pre-loaded
// hour of history, then triggers one outage per service: a burst of complaints
// produced at once, whose last post tips the window; the latency runs from that
// produce call returning to the started event being acknowledged on the alerts topic.
func benchLatency(ctx context.Context, incidents, generated int, pr *PipelineResult, log *zap.Logger, progress func(string, ...any)) error {
	rules, err := benchRules(generated)
	if err != nil {
		return err
	}
	env, err := startBenchEnv(ctx)
	if err != nil {
		return err
	}
	defer env.close()
	// Services whose first alias says "outage" in the text the bench sends (an
	// ambiguous name such as "signal" needs a context word; it is left out).
	outage := func(alias string) string { return alias + " is down, nothing loads" }
	m := match.NewMatcher(rules)
	var services []match.Service
	for _, s := range rules.Services() {
		if len(rules.Aliases(s.Name)) == 0 {
			continue
		}
		if got := m.Match(nil, outage(rules.Aliases(s.Name)[0])); len(got) == 1 && got[0].Service == s.Name && got[0].Kind == match.Outage {
			services = append(services, s)
		}
	}
	if incidents > len(services) {
		incidents = len(services)
	}
	now := time.Now().UTC()
	progress("latency: pre-loading an hour of history ...")
	hist := make([][]byte, 0, 72_000)
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 72_000; i++ {
		ts := now.Add(-time.Hour + time.Duration(i)*50*time.Millisecond)
		svc := services[r.IntN(len(services))]
		text := "watching " + rules.Aliases(svc.Name)[0] + " tonight"
		if r.IntN(200) == 0 {
			text = rules.Aliases(svc.Name)[0] + " is down"
		}
		b, _ := json.Marshal(post.Post{ID: "h" + strconv.Itoa(i), Text: text, Author: "u" + strconv.Itoa(r.IntN(1e6)), CreatedAt: ts.Truncate(time.Second)})
		hist = append(hist, b)
	}
	if err := produce(ctx, env.broker, "posts", hist); err != nil {
		return err
	}
	var (
		mu        sync.Mutex
		produced  = map[string]time.Time{}
		latencies []time.Duration
		got       = make(chan string, 64)
	)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	svc, err := app.New(app.Options{
		Kafka: kafkaconn.Config{Brokers: []string{env.broker}, Group: "latency", PostsTopic: "posts",
			AlertsTopic: "alerts", DLQTopic: "posts.dlq"},
		Redis: env.rdb, RedisPrefix: "latency", Rules: rules, Idle: time.Second,
		BatchWait: 5 * time.Millisecond, Tick: 50 * time.Millisecond,
		OnEvent: func(e incident.Event) {
			if e.Type != incident.TypeStarted {
				return
			}
			mu.Lock()
			if t, ok := produced[e.Data.Service]; ok {
				latencies = append(latencies, time.Since(t))
				delete(produced, e.Data.Service)
				mu.Unlock()
				got <- e.Data.Service
				return
			}
			mu.Unlock()
		},
	}, log)
	if err != nil {
		return err
	}
	defer svc.Close()
	eg, ectx := errgroup.WithContext(runCtx)
	eg.Go(func() error { return svc.Run(ectx) })
	eg.Go(func() error {
		defer cancel()
		w := kafkaconn.NewWriter([]string{env.broker}, "posts")
		w.BatchTimeout = time.Millisecond
		defer w.Close()
		// Live background traffic so the watermark follows the clock.
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		bg := 0
		background := func() error {
			var msgs []kafka.Message
			for i := 0; i < 20; i++ {
				bg++
				svc := services[bg%len(services)]
				b, _ := json.Marshal(post.Post{ID: "b" + strconv.Itoa(bg), Text: "watching " + rules.Aliases(svc.Name)[0],
					Author: "u" + strconv.Itoa(bg), CreatedAt: time.Now().UTC()})
				msgs = append(msgs, kafka.Message{Value: b})
			}
			return w.WriteMessages(ectx, msgs...)
		}
		progress("latency: catching up with the history ...")
		for svc.Stats().Consumed < int64(len(hist)) {
			select {
			case <-ectx.Done():
				return ectx.Err()
			case <-tick.C:
				if err := background(); err != nil {
					return err
				}
			}
		}
		progress("latency: %d outages, one per service ...", incidents)
		for i := 0; i < incidents; i++ {
			s := services[i]
			var msgs []kafka.Message
			for j := 0; j < 60; j++ {
				b, _ := json.Marshal(post.Post{ID: fmt.Sprintf("o%d-%d", i, j), Text: outage(rules.Aliases(s.Name)[0]),
					Author: fmt.Sprintf("o%d-%d", i, j), CreatedAt: time.Now().UTC(), Country: "IN", Lang: "en"})
				msgs = append(msgs, kafka.Message{Value: b})
			}
			if err := w.WriteMessages(ectx, msgs...); err != nil {
				return err
			}
			mu.Lock()
			produced[s.Name] = time.Now()
			mu.Unlock()
			deadline := time.After(3 * time.Minute)
		wait:
			for {
				select {
				case <-got:
					break wait
				case <-tick.C:
					if err := background(); err != nil {
						return err
					}
				case <-deadline:
					return fmt.Errorf("latency: no started event for %s within 3 minutes", s.Name)
				case <-ectx.Done():
					return ectx.Err()
				}
			}
		}
		return nil
	})
	if err := eg.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if len(latencies) == 0 {
		return errors.New("latency: no incidents measured")
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	q := func(p float64) float64 {
		i := int(p * float64(len(latencies)-1))
		return float64(latencies[i].Microseconds()) / 1000
	}
	pr.AlertLatencyP50, pr.AlertLatencyP99, pr.Incidents = q(0.5), q(0.99), len(latencies)
	return nil
}

// benchRules are the rules a measurement runs on: n generated services after the
// default ones (matchbench.LargeRules), or the default rules when n is 0.
func benchRules(n int) (*match.Rules, error) {
	if n == 0 {
		return match.DefaultRules(), nil
	}
	return matchbench.LargeRules(n)
}

// childBroker runs `outcry broker` on a free port in a child process.
func childBroker(ctx context.Context) (string, int, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return "", 0, nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", 0, nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.CommandContext(ctx, self, "broker", "--listen", addr, "--partitions", "2")
	if err := cmd.Start(); err != nil {
		return "", 0, nil, fmt.Errorf("start the broker: %w", err)
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return addr, cmd.Process.Pid, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", 0, nil, fmt.Errorf("the broker did not listen on %s", addr)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
}

// cpuReading is the CPU time (user and system) used so far by this process, the
// broker child and redis-server, so a measurement can say where the cores went.
type cpuReading struct{ outcry, broker, redis time.Duration }

func (e *benchEnv) cpuTime(ctx context.Context) cpuReading {
	var r cpuReading
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		r.outcry = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	r.broker = procCPU(e.brokerPID)
	if info, err := e.rdb.Info(ctx, "cpu").Result(); err == nil {
		r.redis = time.Duration((infoFloat(info, "used_cpu_user") + infoFloat(info, "used_cpu_sys")) * float64(time.Second))
	}
	return r
}

// perPost turns the CPU used between two readings into microseconds per post.
func (a cpuReading) perPost(b cpuReading, n int) *CPUPerPost {
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(n) }
	return &CPUPerPost{Outcry: us(b.outcry - a.outcry), Broker: us(b.broker - a.broker), Redis: us(b.redis - a.redis)}
}

// procCPU reads utime+stime of a process from /proc (Linux; 100 ticks a second).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count fields after its ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100)
}

// peakRSSMB reads the peak resident set size of this process (Linux).
func peakRSSMB() float64 {
	return procStatusMB("VmHWM:")
}

func procStatusMB(key string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// runSoak replays the mix at a fixed rate and samples memory and Redis size every
// 10 s: both must flatten. Event time runs speed times faster than the clock and ends
// near it, so a 10-minute soak covers more event time than Redis keeps (History plus
// a margin, trimmed by the evaluator) and the key count can be seen to level off.
func runSoak(ctx context.Context, d time.Duration, rate int, speed float64, services int, log *zap.Logger, progress func(string, ...any)) ([]SoakSample, error) {
	rules, err := benchRules(services)
	if err != nil {
		return nil, err
	}
	texts := matchbench.Corpus(100_000, 3)
	if services > 0 {
		// The scale bench's mix: mentions spread over the services by a Zipf law.
		texts = matchbench.ZipfCorpus(100_000, 3, rules)
	}
	env, err := startBenchEnv(ctx)
	if err != nil {
		return nil, err
	}
	defer env.close()
	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	svc, err := app.New(app.Options{
		Kafka: kafkaconn.Config{Brokers: []string{env.broker}, Group: "soak", PostsTopic: "posts",
			AlertsTopic: "alerts", DLQTopic: "posts.dlq"},
		Redis: env.rdb, RedisPrefix: "soak", Rules: rules, Idle: time.Second,
	}, log)
	if err != nil {
		return nil, err
	}
	defer svc.Close()
	var samples []SoakSample
	began := time.Now()
	evStart := began.Add(-time.Duration(float64(d)*speed) - time.Minute)
	eg, ectx := errgroup.WithContext(runCtx)
	eg.Go(func() error { return svc.Run(ectx) })
	eg.Go(func() error {
		w := kafkaconn.NewWriter([]string{env.broker}, "posts")
		w.Balancer = &kafka.RoundRobin{}
		defer w.Close()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		i := 0
		r := rand.New(rand.NewPCG(5, 5))
		for {
			select {
			case <-ectx.Done():
				return nil
			case <-tick.C:
			}
			msgs := make([]kafka.Message, rate/10)
			for j := range msgs {
				i++
				b, _ := json.Marshal(post.Post{ID: strconv.Itoa(i), Text: texts[i%len(texts)],
					Author: "u" + strconv.Itoa(r.IntN(5_000_000)), CreatedAt: evStart.Add(time.Duration(float64(time.Since(began)) * speed)).UTC(), Country: "IN"})
				msgs[j] = kafka.Message{Value: b}
			}
			if err := w.WriteMessages(ectx, msgs...); err != nil && ectx.Err() == nil {
				return err
			}
		}
	})
	eg.Go(func() error {
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ectx.Done():
				return nil
			case <-tick.C:
			}
			var ms, live runtime.MemStats
			runtime.ReadMemStats(&ms)
			runtime.GC()
			runtime.ReadMemStats(&live)
			keys, _ := env.rdb.DBSize(ectx).Result()
			mem, _ := env.rdb.Info(ectx, "memory").Result()
			s := SoakSample{Seconds: time.Since(began).Seconds(), Consumed: svc.Stats().Consumed,
				RSSMB: procStatusMB("VmRSS:"), HeapMB: float64(ms.HeapInuse) / (1 << 20), LiveMB: float64(live.HeapAlloc) / (1 << 20), RedisKeys: keys,
				RedisMB: float64(infoInt(mem, "used_memory")) / (1 << 20)}
			samples = append(samples, s)
			// OUTCRY_HEAPPROFILE_DIR keeps a heap profile per sample, for comparing two
			// moments with go tool pprof -base.
			if dir := os.Getenv("OUTCRY_HEAPPROFILE_DIR"); dir != "" {
				if f, err := os.Create(filepath.Join(dir, fmt.Sprintf("heap-%04.0f.pprof", s.Seconds))); err == nil {
					_ = pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
			progress("soak %4.0fs: %d consumed, RSS %.1f MB, heap %.1f MB (live %.1f MB), %d Redis keys, %.1f MB", s.Seconds, s.Consumed, s.RSSMB, s.HeapMB, s.LiveMB, s.RedisKeys, s.RedisMB)
		}
	})
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	return samples, nil
}

// Options say what to measure.
type Options struct {
	Pipeline, Latency, Match, Scale bool
	Services                        int  // Scale: how many services (default 50,000)
	Posts                           int  // posts pre-loaded for the throughput measurement
	Incidents                       int  // incidents triggered for the latency measurement
	SkipMatch                       bool // the pipeline passes skip matching (analysis only)
	// Soak, instead of the above: replay at Rate posts/s for this long, event time
	// running SoakSpeed times faster than the clock, sampling memory and Redis keys.
	Soak      time.Duration
	Rate      int
	SoakSpeed float64
	// Generated: the soak and the latency measurement over this many generated
	// services (the soak with the scale measurement's mix); 0: the default rules.
	Generated int
	// Progress is told what is being measured (printf-style); optional.
	Progress func(format string, args ...any)
}

// Run measures what o asks for.
func Run(ctx context.Context, o Options, log *zap.Logger) (Result, error) {
	progress := o.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	var res Result
	if o.Soak > 0 {
		s, err := runSoak(ctx, o.Soak, o.Rate, o.SoakSpeed, o.Generated, log, progress)
		if err != nil {
			return res, err
		}
		res.Soak = s
		return res, nil
	}
	if o.Pipeline || o.Latency {
		pr := &PipelineResult{}
		if o.Pipeline {
			if err := benchPipeline(ctx, o.Posts, o.SkipMatch, pr, log, progress); err != nil {
				return res, err
			}
		}
		if o.Latency {
			if err := benchLatency(ctx, o.Incidents, o.Generated, pr, log, progress); err != nil {
				return res, err
			}
		}
		pr.RSSMB = peakRSSMB()
		res.Pipeline = pr
	}
	if o.Scale {
		n := o.Services
		if n == 0 {
			n = 50_000
		}
		progress("scale: loading %d services and measuring the matcher on one core ...", n)
		sc, err := matchbench.RunScale(ctx, n, 8*time.Second)
		if err != nil {
			return res, err
		}
		if err := benchScalePipeline(ctx, n, &sc, log, progress); err != nil {
			return res, err
		}
		res.Scale = &sc
	}
	if o.Match {
		progress("match: measuring the matcher on one core ...")
		m, err := matchbench.Run(ctx, 2*time.Second)
		if err != nil {
			return res, err
		}
		res.Match = &m
	}
	return res, nil
}

// ParseOnly reads a comma-separated list of measurements (pipeline, latency, match,
// scale; all or empty for the first three) into a set.
func ParseOnly(only string) (map[string]bool, error) {
	parts := map[string]bool{}
	for _, p := range strings.Split(only, ",") {
		switch p = strings.TrimSpace(p); p {
		case "pipeline", "latency", "match", "scale":
			parts[p] = true
		case "", "all":
			parts["pipeline"], parts["latency"], parts["match"] = true, true, true
		default:
			return nil, fmt.Errorf("%q: want pipeline, latency, match, scale or all (comma-separated)", p)
		}
	}
	return parts, nil
}

// scalePosts is how many posts each scale pass reads: enough for a steady rate, few
// enough for two rule sets and two passes each. They span 300 s of event time
// (1,000 a second), so that the pass closes and evaluates about 30 buckets.
const scalePosts = 300_000

// benchScalePipeline runs the pipeline over a Zipf mix at n services and at the
// default rules, alternating twice, each keeping its best pass, and fills the
// pipeline's figures of sc.
func benchScalePipeline(ctx context.Context, n int, sc *matchbench.ScaleResult, log *zap.Logger, progress func(string, ...any)) error {
	env, err := startBenchEnv(ctx)
	if err != nil {
		return err
	}
	defer env.close()
	large, err := matchbench.LargeRules(n)
	if err != nil {
		return err
	}
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	sets := []struct {
		topic string
		rs    *match.Rules
	}{{"posts-default", match.DefaultRules()}, {"posts-scale", large}}
	for _, set := range sets {
		progress("scale: pre-loading %d posts for %s (not timed) ...", scalePosts, set.topic)
		if err := produce(ctx, env.broker, set.topic, matchbench.ZipfMessages(scalePosts, start, 1_000, 1, set.rs)); err != nil {
			return err
		}
	}
	var best [2]PipelineResult
	for pass := range 2 {
		for i, set := range sets {
			progress("scale: pass %d of 2: the pipeline on %s ...", pass+1, set.topic)
			if i == 1 && pass == 0 {
				resetPeakRSS()
			}
			p, err := pipelinePassOn(ctx, env, set.topic, set.rs, scalePosts, fmt.Sprintf("scale-%d-%d", i, pass), false, log)
			if err != nil {
				return err
			}
			if p.PostsPerS > best[i].PostsPerS {
				best[i] = p
			}
		}
	}
	sc.PipelinePerS, sc.PipelineBasePerS = best[1].PostsPerS, best[0].PostsPerS
	sc.PipelineRatio = best[1].PostsPerS / best[0].PostsPerS
	sc.EvalMsPerBucket, sc.EvalMsPerBucketBase = best[1].EvalMsPerBucket, best[0].EvalMsPerBucket
	for i, c := range []*float64{&sc.CPUPerPostBase, &sc.CPUPerPost} {
		if u := best[i].PipelineCPU; u != nil {
			*c = u.Outcry + u.Broker + u.Redis
		}
	}
	sc.RedisCmdsPerPost = best[1].RedisCmdsPerPost
	sc.RedisCmdsPerPostBase = best[0].RedisCmdsPerPost
	if mem, err := env.rdb.Info(ctx, "memory").Result(); err == nil {
		sc.RedisMB = float64(infoInt(mem, "used_memory")) / (1 << 20)
	}
	sc.RSSMB = peakRSSMB()
	return nil
}
