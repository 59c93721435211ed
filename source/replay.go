package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/outcry-dev/outcry/internal/ctxtime"
	"github.com/outcry-dev/outcry/internal/progress"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/segmentio/kafka-go"
)

// MessageWriter is the producer side of kafka-go's Writer.
type MessageWriter interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// ReplayOptions control Replay.
type ReplayOptions struct {
	// Speed is a multiple of real time, paced by the posts' created_at; 0 means as fast
	// as possible.
	Speed float64
	// Progress, when set, is called after every write with the lines and bytes so far.
	Progress func(lines, bytes int64)
	// Sleep waits for d or until ctx ends; default a timer (tests may step a clock).
	Sleep func(ctx context.Context, d time.Duration) error
}

// ReplayStats say what Replay produced.
type ReplayStats struct {
	Lines, Bytes int64
	First, Last  time.Time // event time of the first and last post with a readable time
	// TooLarge counts the lines larger than the broker accepts (its message.max.bytes),
	// which were left out; TooLargeLines are the first few of their line numbers.
	TooLarge      int64
	TooLargeLines []int64
}

// Replay produces each line of r (JSONL) as one message, unchanged, in order: bad lines
// too, so the consumer dead-letters them with their reason. With a Speed, lines are
// paced by their created_at.
func Replay(ctx context.Context, w MessageWriter, r io.Reader, o ReplayOptions) (ReplayStats, error) {
	if o.Sleep == nil {
		o.Sleep = ctxtime.Sleep
	}
	br := bufio.NewReaderSize(r, 1<<20)
	var (
		st      ReplayStats
		batch   []kafka.Message
		t0      time.Time
		wall0   time.Time
		maxSeen time.Time
	)
	var lines []int64 // line number of each message of batch
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := w.WriteMessages(ctx, batch...); err != nil {
			if !tooLarge(err) {
				return fmt.Errorf("produce posts (line %d): %w", st.Lines, kafkaconn.WriteErr(err))
			}
			// One line is larger than the broker takes: write them one by one and
			// leave out those it refuses, so one line does not stop the replay.
			for i, m := range batch {
				err := w.WriteMessages(ctx, m)
				switch {
				case err != nil && tooLarge(err):
					st.TooLarge++
					if len(st.TooLargeLines) < 10 {
						st.TooLargeLines = append(st.TooLargeLines, lines[i])
					}
				case err != nil:
					return fmt.Errorf("produce posts (line %d): %w", lines[i], kafkaconn.WriteErr(err))
				}
			}
		}
		batch, lines = batch[:0], lines[:0]
		if o.Progress != nil {
			o.Progress(st.Lines, st.Bytes)
		}
		return nil
	}
	for {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return st, fmt.Errorf("read posts: %w", err)
		}
		st.Bytes += int64(len(line))
		line = bytes.TrimRight(line, "\r\n")
		st.Lines++
		// A time far ahead of the stream (a bad post) must not stall the pacing.
		if t, ok := EventTime(line); ok && (maxSeen.IsZero() || t.Sub(maxSeen) < maxJump) {
			if st.First.IsZero() {
				st.First = t
			}
			if t.After(st.Last) {
				st.Last = t
			}
			if t.After(maxSeen) {
				maxSeen = t
			}
			if o.Speed > 0 && t.Equal(maxSeen) {
				if t0.IsZero() {
					t0, wall0 = t, time.Now()
				}
				due := wall0.Add(time.Duration(float64(t.Sub(t0)) / o.Speed))
				if d := time.Until(due); d > time.Millisecond {
					if err := flush(); err != nil {
						return st, err
					}
					if err := o.Sleep(ctx, d); err != nil {
						return st, err
					}
				}
			}
		}
		batch = append(batch, kafka.Message{Value: append([]byte(nil), line...)})
		lines = append(lines, st.Lines)
		if len(batch) >= 1000 {
			if err := flush(); err != nil {
				return st, err
			}
		}
	}
	return st, flush()
}

// tooLarge reports whether a write failed because a message is larger than the
// writer's batch or the broker's limit.
func tooLarge(err error) bool {
	var mt kafka.MessageTooLargeError
	cause := kafkaconn.FirstError(err)
	return errors.As(err, &mt) || errors.Is(cause, kafka.MessageSizeTooLarge) || errors.Is(cause, kafka.RecordListTooLarge)
}

const maxJump = time.Hour

var timeKeys = [][]byte{[]byte(`"created_at":`), []byte(`"createdAt":`)}

// EventTime finds the post time in a raw message without decoding all of it (for
// pacing); ok is false when there is none or it does not parse.
func EventTime(line []byte) (time.Time, bool) {
	for _, k := range timeKeys {
		i := bytes.Index(line, k)
		if i < 0 {
			continue
		}
		rest := bytes.TrimLeft(line[i+len(k):], " ")
		if len(rest) < 2 || rest[0] != '"' {
			continue
		}
		end := bytes.IndexByte(rest[1:], '"')
		if end < 0 {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, string(rest[1:1+end]))
		if err != nil {
			continue
		}
		return t.UTC(), true
	}
	return time.Time{}, false
}

// ReplayFile replays the JSONL file at path ("-" for stdin) to w at speed (0: as fast as
// the broker takes it) with a progress bar on a terminal, and writes a summary to msgs
// (outcry replay).
func ReplayFile(ctx context.Context, w MessageWriter, path, topic string, speed float64, msgs io.Writer) error {
	var in io.Reader = os.Stdin
	size := int64(-1)
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
		in = f
	}
	bar := progress.New(size, "replaying "+path, true)
	st, err := Replay(ctx, w, in, ReplayOptions{Speed: speed, Progress: func(_, b int64) { bar.Set(b) }})
	bar.Finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(msgs, "replayed %d lines (%d bytes) to %s, event time %s → %s\n",
		st.Lines-st.TooLarge, st.Bytes, topic, st.First.Format("2006-01-02T15:04:05Z"), st.Last.Format("2006-01-02T15:04:05Z"))
	if st.TooLarge > 0 {
		fmt.Fprintf(msgs, "left out %d lines larger than the broker accepts (its message.max.bytes), lines %v\n",
			st.TooLarge, st.TooLargeLines)
	}
	return nil
}
