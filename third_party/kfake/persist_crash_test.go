package kfake

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Run from the repository root: go test github.com/twmb/franz-go/pkg/kfake

// crashCopy is what a crash leaves: the files as they are, with no shutdown save.
func (m *memFS) crashCopy() *memFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := newMemFS()
	for k, d := range m.files {
		c.files[k] = &memFileData{data: bytes.Clone(d.data), modTime: d.modTime}
	}
	maps.Copy(c.dirs, m.dirs)
	return c
}

func (m *memFS) appendTo(t *testing.T, name string, b []byte) int {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.files[name]
	if !ok {
		t.Fatalf("no file %s", name)
	}
	n := len(d.data)
	d.data = append(d.data, b...)
	return n
}

func (m *memFS) size(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.files[name].data)
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type crashNode struct {
	t   *testing.T
	c   *Cluster
	cl  *kgo.Client
	log *lockedBuf
}

func startCrashNode(t *testing.T, fsys *memFS) *crashNode {
	t.Helper()
	n := &crashNode{t: t, log: new(lockedBuf)}
	var err error
	n.c, err = NewCluster(withFS(fsys), NumBrokers(1), SeedTopics(1, "t"), WithLogger(BasicLogger(n.log, LogLevelWarn)))
	if err != nil {
		t.Fatal(err)
	}
	n.cl, err = kgo.NewClient(kgo.SeedBrokers(n.c.ListenAddrs()...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"t": {0: kgo.NewOffset().AtStart()}}))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (n *crashNode) close() {
	n.cl.Close()
	n.c.Close()
}

func (n *crashNode) produce(vals ...string) {
	n.t.Helper()
	for _, v := range vals {
		if err := n.cl.ProduceSync(context.Background(), &kgo.Record{Topic: "t", Value: []byte(v)}).FirstErr(); err != nil {
			n.t.Fatal(err)
		}
	}
}

// topicID is for the request versions that name topics by ID.
func (n *crashNode) topicID() (id [16]byte) {
	n.c.admin(func() { id = n.c.data.t2id["t"] })
	return id
}

func (n *crashNode) commit(offset int64) {
	n.t.Helper()
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group, req.Generation = "g", -1
	rt := kmsg.NewOffsetCommitRequestTopic()
	rt.Topic, rt.TopicID = "t", n.topicID()
	rp := kmsg.NewOffsetCommitRequestTopicPartition()
	rp.Offset = offset
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), n.cl)
	if err != nil || resp.Topics[0].Partitions[0].ErrorCode != 0 {
		n.t.Fatalf("commit: %v %+v", err, resp)
	}
}

func (n *crashNode) committed() int64 {
	n.t.Helper()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = "g"
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic, rt.Partitions = "t", []int32{0}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), n.cl)
	if err != nil {
		n.t.Fatal(err)
	}
	return resp.Topics[0].Partitions[0].Offset
}

// read consumes the partition from the start: want records, offsets 0 up.
func (n *crashNode) read(want int) []string {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []string
	for len(got) < want {
		fs := n.cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			n.t.Fatalf("read %d of %d records: %v", len(got), want, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset != int64(len(got)) {
				n.t.Fatalf("record at offset %d, want %d", r.Offset, len(got))
			}
			got = append(got, string(r.Value))
		})
	}
	return got
}

// A crash can leave a half-written last batch in a segment and a half-written
// last entry in groups.log. Load must cut both off, say so, and keep what
// was appended after the cut at the next crash.
func TestPersistTornTailTruncated(t *testing.T) {
	fs1 := newMemFS()
	n := startCrashNode(t, fs1)
	n.produce("a", "b", "c", "d", "e")
	n.commit(3)
	fs2 := fs1.crashCopy()
	n.close()

	seg, idx, groups := "/kfake/partitions/t-0/0.dat", "/kfake/partitions/t-0/0.idx", "/kfake/groups.log"
	segSize := fs2.appendTo(t, seg, []byte{0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 90, 0, 0, 0, 0, 2, 7, 7})
	groupsSize := fs2.appendTo(t, groups, []byte{60, 0, 0, 0, 9, 9, 9, 9, 1, 0, '{', '"'})
	// The crash also came between the segment write and the index write of
	// the last batch: its index entry is missing.
	idxSize := fs2.size(idx)
	fs2.files[idx].data = fs2.files[idx].data[:idxSize-indexEntrySize]

	n = startCrashNode(t, fs2)
	for _, want := range []string{
		fmt.Sprintf("%s: dropping 19 bytes of torn or corrupt tail after byte %d", seg, segSize),
		fmt.Sprintf("%s: dropping 12 bytes of torn or corrupt tail after byte %d", groups, groupsSize),
	} {
		if !strings.Contains(n.log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, n.log.String())
		}
	}
	if s := fs2.size(seg); s != segSize {
		t.Errorf("segment is %d bytes after load, want %d", s, segSize)
	}
	if s := fs2.size(groups); s != groupsSize {
		t.Errorf("groups.log is %d bytes after load, want %d", s, groupsSize)
	}
	if s := fs2.size(idx); s != idxSize {
		t.Errorf("index is %d bytes after load, want %d (the missing entry rebuilt)", s, idxSize)
	}
	if got := n.read(5); !slices.Equal(got, []string{"a", "b", "c", "d", "e"}) {
		t.Errorf("records after load: %q", got)
	}
	if got := n.committed(); got != 3 {
		t.Errorf("committed offset after load: %d, want 3", got)
	}

	// Appends after the cut survive the next crash.
	n.produce("f")
	n.commit(6)
	fs3 := fs2.crashCopy()
	n.close()
	n = startCrashNode(t, fs3)
	defer n.close()
	if got := n.read(6); !slices.Equal(got, []string{"a", "b", "c", "d", "e", "f"}) {
		t.Errorf("records after the second crash: %q", got)
	}
	if got := n.committed(); got != 6 {
		t.Errorf("committed offset after the second crash: %d, want 6", got)
	}
	if s := fs3.size(idx); s != 6*indexEntrySize {
		t.Errorf("index is %d bytes, want %d: entries out of line with batches", s, 6*indexEntrySize)
	}
	if strings.Contains(n.log.String(), "dropping") {
		t.Errorf("nothing to drop after the second crash:\n%s", n.log.String())
	}
}

// An auto-created topic is on disk before the client can produce to it.
func TestPersistAutoCreatedTopicSurvivesCrash(t *testing.T) {
	fs1 := newMemFS()
	c, err := NewCluster(withFS(fs1), NumBrokers(1), AllowAutoTopicCreation(), DefaultNumPartitions(2))
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "auto", Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	fs2 := fs1.crashCopy()
	cl.Close()
	c.Close()

	c, err = NewCluster(withFS(fs2), NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var hwm int64 = -1
	c.admin(func() {
		var total int64
		c.data.tps.each(func(tp string, _ int32, pd *partData) {
			if tp == "auto" {
				total += pd.highWatermark
			}
		})
		if _, ok := c.data.tps.gett("auto"); ok {
			hwm = total
		}
	})
	if hwm != 1 {
		t.Fatalf("auto-created topic after a crash: %d records (-1: no topic), want 1", hwm)
	}
}

// seq_windows.json is written at shutdown only. After a clean restart and a
// crash, its copy is stale: an idempotent producer that kept going across
// both must not be answered OutOfOrderSequence.
func TestPersistIdempotentProducerAfterCrash(t *testing.T) {
	fs1 := newMemFS()
	c, err := NewCluster(withFS(fs1), NumBrokers(1), SeedTopics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	addr := c.ListenAddrs()[0]
	_, ps, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(ps)
	clientLog := new(lockedBuf)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.WithLogger(kgo.BasicLogger(clientLog, kgo.LogLevelInfo, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	produce := func(vals ...string) {
		t.Helper()
		for _, v := range vals {
			if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "t", Value: []byte(v)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	produce("a", "b")
	c.Close() // clean: seq windows saved
	if c, err = NewCluster(withFS(fs1), NumBrokers(1), Ports(port)); err != nil {
		t.Fatal(err)
	}
	produce("c", "d", "e")
	fs2 := fs1.crashCopy()
	c.Close()
	if c, err = NewCluster(withFS(fs2), NumBrokers(1), Ports(port)); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	produce("f")
	if strings.Contains(clientLog.String(), "OUT_OF_ORDER_SEQUENCE_NUMBER") {
		t.Errorf("the producer was answered OutOfOrderSequence after the crash:\n%s", clientLog.String())
	}
	var hwm int64
	c.admin(func() {
		pd, _ := c.data.tps.getp("t", 0)
		hwm = pd.highWatermark
	})
	if hwm != 6 {
		t.Errorf("high watermark %d, want 6", hwm)
	}
}
