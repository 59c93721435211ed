package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/outcry-dev/outcry/internal/testenv"
)

// `outcry broker --data-dir` killed with -9 while producers write: on restart every
// acknowledged (acks=all) message is there at the offset it was acknowledged with,
// committed group offsets too, a torn tail is cut off with a warning, and producing
// goes on from the right offset.

const crashTopic = "crash"

type ackedMsg struct {
	partition int
	offset    int64
}

// crashBroker is `outcry broker` on a data dir, restarted on the same address.
type crashBroker struct {
	t    *testing.T
	addr string
	dir  string
	p    *proc
	runs int
}

func (b *crashBroker) start() {
	b.t.Helper()
	b.runs++
	b.p = startOutcry(b.t, fmt.Sprintf("broker-%d", b.runs), "broker", "--listen", b.addr, "--data-dir", b.dir, "--partitions", "3")
	testenv.Eventually(b.t, 10*time.Second, "the broker to accept connections", func() bool {
		select {
		case err := <-b.p.done:
			b.t.Fatalf("broker exited at start-up: %v\n%s", err, b.p.out.String())
		default:
		}
		conn, err := kafka.Dial("tcp", b.addr)
		if err != nil {
			return false
		}
		_, err = conn.ApiVersions()
		conn.Close()
		return err == nil
	})
}

// crashProduce writes messages with acks=all from several writers until stop is closed
// or the broker goes away, recording each acknowledged message's offset.
func crashProduce(t *testing.T, addr, prefix string, acked map[ackedMsg]string, mu *sync.Mutex, stop <-chan struct{}) (wait func()) {
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wr := &kafka.Writer{
				Addr: kafka.TCP(addr), Topic: crashTopic, RequiredAcks: kafka.RequireAll,
				AllowAutoTopicCreation: true, Balancer: &kafka.RoundRobin{},
				BatchSize: 25, BatchTimeout: time.Millisecond, MaxAttempts: 1,
				WriteTimeout: 5 * time.Second, ReadTimeout: 5 * time.Second,
				Completion: func(ms []kafka.Message, err error) {
					if err != nil {
						return
					}
					mu.Lock()
					defer mu.Unlock()
					for _, m := range ms {
						acked[ackedMsg{m.Partition, m.Offset}] = string(m.Value)
					}
				},
			}
			defer wr.Close()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				msgs := make([]kafka.Message, 100)
				for j := range msgs {
					msgs[j].Value = fmt.Appendf(nil, "%s-w%d-%d-%d", prefix, w, i, j)
				}
				// An error is the broker being killed: stop comes next.
				_ = wr.WriteMessages(context.Background(), msgs...)
			}
		}()
	}
	return wg.Wait
}

func crashAckedCount(acked map[ackedMsg]string, mu *sync.Mutex) int {
	mu.Lock()
	defer mu.Unlock()
	return len(acked)
}

// crashCommit commits offsets for group, as a consumer outside a generation does.
func crashCommit(t *testing.T, addr, group string, offsets map[int]int64) {
	t.Helper()
	req := &kafka.OffsetCommitRequest{Addr: kafka.TCP(addr), GroupID: group, GenerationID: -1}
	for p, o := range offsets {
		req.Topics = map[string][]kafka.OffsetCommit{crashTopic: append(req.Topics[crashTopic], kafka.OffsetCommit{Partition: p, Offset: o})}
	}
	resp, err := crashClient(t).OffsetCommit(context.Background(), req)
	if err != nil {
		t.Fatalf("offset commit: %v", err)
	}
	for _, p := range resp.Topics[crashTopic] {
		if p.Error != nil {
			t.Fatalf("offset commit partition %d: %v", p.Partition, p.Error)
		}
	}
}

func crashCommitted(t *testing.T, addr, group string) map[int]int64 {
	t.Helper()
	resp, err := crashClient(t).OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{
		Addr: kafka.TCP(addr), GroupID: group, Topics: map[string][]int{crashTopic: {0, 1, 2}}})
	if err != nil {
		t.Fatalf("offset fetch: %v", err)
	}
	out := map[int]int64{}
	for _, p := range resp.Topics[crashTopic] {
		if p.Error != nil {
			t.Fatalf("offset fetch partition %d: %v", p.Partition, p.Error)
		}
		out[p.Partition] = p.CommittedOffset
	}
	return out
}

// crashReadAll reads every message of the topic's three partitions, checking that
// offsets run from 0 without a gap.
func crashReadAll(t *testing.T, addr string) map[ackedMsg]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lo, err := crashClient(t).ListOffsets(ctx, &kafka.ListOffsetsRequest{
		Addr: kafka.TCP(addr), Topics: map[string][]kafka.OffsetRequest{crashTopic: {
			kafka.LastOffsetOf(0), kafka.LastOffsetOf(1), kafka.LastOffsetOf(2)}}})
	if err != nil {
		t.Fatalf("list offsets: %v", err)
	}
	got := map[ackedMsg]string{}
	for _, po := range lo.Topics[crashTopic] {
		if po.Error != nil {
			t.Fatalf("list offsets partition %d: %v", po.Partition, po.Error)
		}
		if po.LastOffset == 0 {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: crashTopic, Partition: po.Partition,
			MinBytes: 1, MaxBytes: 4 << 20, MaxWait: 100 * time.Millisecond})
		for next := int64(0); next < po.LastOffset; next++ {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				r.Close()
				t.Fatalf("partition %d: reading offset %d of %d: %v", po.Partition, next, po.LastOffset, err)
			}
			if m.Offset != next {
				r.Close()
				t.Fatalf("partition %d: read offset %d, want %d", po.Partition, m.Offset, next)
			}
			got[ackedMsg{po.Partition, m.Offset}] = string(m.Value)
		}
		r.Close()
	}
	return got
}

func crashCheckAcked(t *testing.T, what string, acked, got map[ackedMsg]string) {
	t.Helper()
	bad := 0
	for k, v := range acked {
		if got[k] != v {
			if bad++; bad <= 5 {
				t.Errorf("%s: acknowledged message at partition %d offset %d: read %q, want %q", what, k.partition, k.offset, got[k], v)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d of %d acknowledged messages lost or changed (%d messages read)", what, bad, len(acked), len(got))
	}
}

func TestBrokerKillNine(t *testing.T) {
	b := &crashBroker{t: t, addr: freeAddr(t), dir: t.TempDir()}
	b.start()

	var mu sync.Mutex
	acked := map[ackedMsg]string{}
	const n = 6000

	// Round one: kill -9 while four producers write to a topic created on demand,
	// after a group committed offsets.
	stop := make(chan struct{})
	wait := crashProduce(t, b.addr, "r1", acked, &mu, stop)
	testenv.Eventually(t, 15*time.Second, "the first messages to be acknowledged", func() bool { return crashAckedCount(acked, &mu) >= n/3 })
	want := map[int]int64{0: 11, 1: 22, 2: 33}
	crashCommit(t, b.addr, "crash-group", want)
	testenv.Eventually(t, 15*time.Second, fmt.Sprintf("%d messages to be acknowledged", n), func() bool { return crashAckedCount(acked, &mu) >= n })
	b.p.kill9()
	close(stop)
	wait()
	t.Logf("kill -9 after %d acknowledged messages", len(acked))

	// A crash of the machine can leave a half-written last record: add one to a
	// segment and to the group log, which recovery must cut off.
	seg := filepath.Join(b.dir, "partitions", crashTopic+"-0", "0.dat")
	groups := filepath.Join(b.dir, "groups.log")
	segSize, groupsSize := crashFileSize(t, seg), crashFileSize(t, groups)
	crashAppend(t, seg, []byte{0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 200, 1, 2, 3})
	crashAppend(t, groups, []byte{40, 0, 0, 0, 1, 2, 3, 4, 1, 0, '{'})

	b.start()
	crashCheckAcked(t, "after kill -9", acked, crashReadAll(t, b.addr))
	if got := crashCommitted(t, b.addr, "crash-group"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("committed offsets after kill -9: %v, want %v", got, want)
	}
	if s := crashFileSize(t, seg); s != segSize {
		t.Errorf("%s: %d bytes after recovery, want the %d before the torn tail", seg, s, segSize)
	}
	if s := crashFileSize(t, groups); s != groupsSize {
		t.Errorf("%s: %d bytes after recovery, want the %d before the torn tail", groups, s, groupsSize)
	}

	// Round two: produce and commit more on the recovered log, kill -9 again.
	want = map[int]int64{0: 44, 1: 55, 2: 66}
	crashCommit(t, b.addr, "crash-group", want)
	stop = make(chan struct{})
	wait = crashProduce(t, b.addr, "r2", acked, &mu, stop)
	testenv.Eventually(t, 15*time.Second, fmt.Sprintf("%d messages to be acknowledged", 2*n), func() bool { return crashAckedCount(acked, &mu) >= 2*n })
	b.p.kill9()
	close(stop)
	wait()
	out := b.p.out.String() // complete: the process has exited
	for _, f := range []string{seg, groups} {
		if !strings.Contains(out, f+": dropping ") {
			t.Errorf("no warning about the torn tail of %s in the broker's output:\n%s", f, out)
		}
	}
	t.Logf("second kill -9 after %d acknowledged messages", len(acked))

	b.start()
	crashCheckAcked(t, "after the second kill -9", acked, crashReadAll(t, b.addr))
	if got := crashCommitted(t, b.addr, "crash-group"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("committed offsets after the second kill -9: %v, want %v", got, want)
	}
	if code := b.p.term(); code != 0 {
		t.Fatalf("broker exited %d on SIGTERM", code)
	}
	// The second kill -9 came while producers wrote, so this start may
	// rightly cut a batch the kill left half-written (a SIGKILL can stop a
	// multi-page write() part way); that batch was never acknowledged, as
	// crashCheckAcked shows. Errors, though, are never expected.
	if out := b.p.out.String(); strings.Contains(out, "[ERR]") {
		t.Errorf("unexpected errors after the second restart:\n%s", out)
	}
}

// crashClient is a client with connections of its own: kafka-go's default transport
// keeps connections to the killed broker.
func crashClient(t *testing.T) *kafka.Client {
	tr := &kafka.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &kafka.Client{Timeout: 5 * time.Second, Transport: tr}
}

func crashFileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func crashAppend(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
