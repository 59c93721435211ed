package backtest

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// The evaluation suite runs end to end on its first streams (the full suite:
// `outcry backtest --suite tuning`, and `--suite heldout` for the reported figures).
func TestSuiteSmall(t *testing.T) {
	var out bytes.Buffer
	if err := Suite(context.Background(), &out, SuiteOptions{Half: "tuning", Small: true}, zap.NewNop()); err != nil {
		t.Fatalf("suite: %v\n%s", err, out.String())
	}
	got := out.String()
	t.Log(got)
	// Its WhatsApp outage (3 complaints a minute) and the related Instagram one
	// at the same rate are found (the latter by the 10-minute window).
	if !strings.Contains(got, "suite tuning: 1 streams") || !strings.Contains(got, "recall 2/2, false alerts 0") || strings.Count(got, "suite-") != 1 {
		t.Errorf("output %q", got)
	}
}
