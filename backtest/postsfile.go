package backtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/outcry-dev/outcry/alert"
	"github.com/outcry-dev/outcry/backtest/scenarioscore"
	"github.com/outcry-dev/outcry/detect/incident"
	"go.uber.org/zap"
)

// PostsFile backtests the posts file postsPath (Posts), writes every alert event to
// outPath as one CloudEvents JSON line, and prints a summary to w: posts read, matched and
// dead-lettered, alerts by type and, with a truth.json at labelsPath, the scenario's
// scores. o.OnEvent is replaced.
func PostsFile(ctx context.Context, w io.Writer, postsPath, outPath, labelsPath string, o PostsOptions, log *zap.Logger) error {
	var truth *scenarioscore.Truth
	if labelsPath != "" {
		lf, err := os.Open(labelsPath)
		if err != nil {
			return fmt.Errorf("--labels: %w", err)
		}
		t, err := scenarioscore.ReadTruth(lf)
		lf.Close()
		if err != nil {
			return fmt.Errorf("--labels %s: %w", labelsPath, err)
		}
		truth = &t
	}
	in, err := os.Open(postsPath)
	if err != nil {
		return fmt.Errorf("--posts: %w", err)
	}
	defer in.Close()
	of, err := os.Create(outPath)
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	defer of.Close()
	bw := bufio.NewWriter(of)
	began := time.Now()
	var werr error
	o.Name = postsPath
	o.OnEvent = func(e incident.Event) {
		b, err := alert.Encode(e)
		if err == nil {
			_, err = fmt.Fprintf(bw, "%s\n", b)
		}
		werr = errors.Join(werr, err)
	}
	res, err := Posts(ctx, in, o, log)
	if err != nil {
		return err
	}
	if err := errors.Join(werr, bw.Flush(), of.Close()); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	st := res.Stats
	types := map[string]int{}
	for _, e := range res.Events {
		types[e.Type]++
	}
	var parts []string
	for t, n := range types {
		parts = append(parts, fmt.Sprintf("%d %s", n, strings.TrimPrefix(strings.TrimPrefix(t, "outcry.incident."), "outcry.")))
	}
	sort.Strings(parts)
	fmt.Fprintf(w, "backtest: %d posts read, %d matched, %d dead-lettered, %d alerts (%s) → %s in %s\n",
		st.Consumed, st.Matched, st.DeadLettered, len(res.Events), strings.Join(parts, ", "), outPath, time.Since(began).Round(time.Millisecond))
	if st.DeadLettered > 0 {
		fmt.Fprintf(w, "dead letters by reason: %s\n", FormatCounts(st.DeadByReason))
	}
	if truth != nil {
		scenarioscore.Judge(*truth, res.Events).Report(w)
	}
	return nil
}
