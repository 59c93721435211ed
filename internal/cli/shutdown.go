package cli

import (
	"context"
	"os"
	"time"

	"go.uber.org/zap"
)

// ShutdownWatchdog ends the process once a signal has asked for a shutdown and
// timeout has passed without the command returning (a call stuck on a dependency
// that is away): SIGTERM is always honoured. The returned function disarms it.
func ShutdownWatchdog(sig context.Context, timeout time.Duration, log *zap.Logger) func() {
	done := make(chan struct{})
	stop := context.AfterFunc(sig, func() {
		select {
		case <-done:
		case <-time.After(timeout):
			log.Error("shutdown did not finish within --shutdown-timeout; exiting now (what was not committed is consumed again)",
				zap.Duration("shutdown_timeout", timeout))
			_ = log.Sync()
			os.Exit(1)
		}
	})
	return func() {
		close(done)
		stop()
	}
}
