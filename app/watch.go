package app

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/outcry-dev/outcry/alert/tail"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/ingest"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/pipeline"
	"github.com/outcry-dev/outcry/source"
	"github.com/outcry-dev/outcry/store"
)

// counterValue reads a counter.
func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return 0
	}
	return m.GetCounter().GetValue()
}

// WatchOptions say what `outcry watch` reads.
type WatchOptions struct {
	Source     string // one of Sources()
	SourceOpts SourceOptions
	Endpoints  []string // default the source's public ones
	HTTPAddr   string   // the live page's address; "" for none
	Out        io.Writer
	// Every: how often a line of progress is printed; 0 for none.
	Every time.Duration
	// GiveUp: rounds of failed connections (every endpoint) before Watch says the
	// source cannot be reached and returns an error.
	GiveUp int
	// OnEvent, when set, is also called with every alert event (tests).
	OnEvent func(incident.Event)
}

// Watch runs Outcry on embedded parts (StartEmbedded) fed by the source's live
// stream: the ingest and the pipeline together, alerts printed as they fire, the live
// page on o.HTTPAddr, until ctx ends.
func Watch(ctx context.Context, o WatchOptions, log *zap.Logger) error {
	iopt := ingest.Defaults()
	iopt.Endpoints, iopt.GiveUp = o.Endpoints, o.GiveUp
	src, iopt, name, err := openSource(o.Source, o.SourceOpts, iopt, log)
	if err != nil {
		return err
	}
	env, err := StartEmbedded(ctx, "")
	if err != nil {
		return err
	}
	defer env.Close()
	out := o.Out
	fmt.Fprintf(out, "outcry watch %s on %s\n", o.Source, env.Describe())
	ao := env.Options()
	if ao.HTTP, err = listenPage(o.HTTPAddr, out); err != nil {
		return err
	}
	fmt.Fprintf(out, "reading %s from %s (Ctrl-C to stop)\n\n", o.Source, iopt.Endpoints[0])
	reg := newRegistry()
	ao.Registry = reg
	var (
		mu    sync.Mutex
		stats pipeline.Stats
	)
	ao.OnEvent = func(e incident.Event) {
		mu.Lock()
		defer mu.Unlock()
		tail.Print(out, e)
		fmt.Fprintln(out)
		if o.OnEvent != nil {
			o.OnEvent(e)
		}
	}
	ao.OnBatch = func(s pipeline.Stats) {
		mu.Lock()
		stats = s
		mu.Unlock()
	}
	a, err := New(ao, log)
	if err != nil {
		return err
	}
	defer a.Close()
	m := ingest.NewMetrics(reg)
	w := env.PostsWriter()
	defer w.Close()
	dw := kafkaconn.NewWriter(env.Kafka.Brokers, env.Kafka.DLQTopic)
	defer dw.Close()

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	eg, ectx := errgroup.WithContext(wctx)
	eg.Go(func() error { return a.Run(ectx) })
	eg.Go(func() error {
		defer cancel() // the source is gone for good: stop the pipeline too
		return ingest.Run(ectx, iopt, ingest.Deps{
			Source: src, Producer: ingest.KafkaProducer{W: w}, DLQ: ingest.KafkaDLQ{D: &source.DLQ{W: dw}},
			Cursors: store.New(env.RDB, store.Options{Prefix: env.Prefix}), Name: name, Metrics: m, Log: log,
		})
	})
	if o.Every > 0 {
		eg.Go(func() error {
			t := time.NewTicker(o.Every)
			defer t.Stop()
			for {
				select {
				case <-ectx.Done():
					return nil
				case <-t.C:
				}
				mu.Lock()
				s := stats
				fmt.Fprintf(out, "%s: %s read %d posts; %d name a service, %d complain\n", time.Now().Format("15:04:05"),
					o.Source, int64(counterValue(m.Produced(name))), s.Matched, s.Complaints)
				mu.Unlock()
			}
		})
	}
	err = eg.Wait()
	if ctx.Err() != nil {
		return nil // Ctrl-C
	}
	return err
}
