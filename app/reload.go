package app

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/match"
)

// watchRules returns a function that, until ctx ends, reloads the rules file into live
// on SIGHUP and when the file changes (polled, which also follows Kubernetes ConfigMap
// updates that swap a symlink). A bad file is refused with its line and column and the
// old rules keep running. onReload is called with the new rules after a successful
// reload. The file's state is taken now, when the rules were just loaded, so a change
// made before the returned function runs is not missed.
func watchRules(path string, live *match.Live, every time.Duration, onReload func(*match.Rules), log *zap.Logger) func(ctx context.Context) error {
	last := fileStamp(path)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	return func(ctx context.Context) error {
		defer signal.Stop(hup)
		return watchLoop(ctx, path, live, every, onReload, log, last, hup)
	}
}

func watchLoop(ctx context.Context, path string, live *match.Live, every time.Duration, onReload func(*match.Rules),
	log *zap.Logger, last stamp, hup <-chan os.Signal) error {
	log = log.With(zap.String("component", "rules"), zap.String("file", path))
	tick := time.NewTicker(every)
	defer tick.Stop()
	reload := func(why string) {
		if err := live.Reload(path); err != nil {
			log.Error("rules not reloaded; the old rules keep running", zap.String("trigger", why), zap.Error(err))
			return
		}
		svcs, terms := live.Rules().Stats()
		log.Info("rules reloaded", zap.String("trigger", why), zap.Int("services", svcs), zap.Int("terms", terms))
		if onReload != nil {
			onReload(live.Rules())
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			last = fileStamp(path)
			reload("SIGHUP")
		case <-tick.C:
			if s := fileStamp(path); s != last {
				last = s
				reload("file changed")
			}
		}
	}
}

type stamp struct {
	mod  time.Time
	size int64
}

func fileStamp(path string) stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}
	}
	return stamp{fi.ModTime(), fi.Size()}
}

// ignoreHangups logs and ignores SIGHUP when there is no rules file to reload, instead
// of letting it end the process, until ctx ends.
func ignoreHangups(ctx context.Context, log *zap.Logger) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			log.Info("SIGHUP ignored: there is no --rules file to reload (the embedded rules are in use)")
		}
	}
}
