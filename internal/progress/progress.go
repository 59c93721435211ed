// Package progress draws a progress bar on stderr when it is a terminal (long replays and
// backtests), and nothing otherwise.
package progress

import (
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Bar is a progress bar on stderr when it is a terminal, and nothing otherwise. The zero
// value draws nothing.
type Bar struct{ b *progressbar.ProgressBar }

// New returns a bar of total units (bytes when bytes is set) labelled what.
func New(total int64, what string, bytes bool) *Bar {
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return &Bar{}
	}
	return &Bar{b: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(bytes),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	)}
}

// Set moves the bar to n.
func (b *Bar) Set(n int64) {
	if b.b != nil {
		_ = b.b.Set64(n)
	}
}

// Finish clears the bar.
func (b *Bar) Finish() {
	if b.b != nil {
		_ = b.b.Finish()
	}
}
