// Package jetstreamtest is a Jetstream server on loopback for tests: it replays
// frames after the cursor a client asks for, each connection scripted (drop
// mid-stream, refuse with a status, send extra frames), and turns canonical posts
// into Jetstream frames.
package jetstreamtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/outcry-dev/outcry/post"
)

// Post is the canonical post Frame turns into a frame.
type Post = post.Post

// Conn says what the test server does with one connection.
type Conn struct {
	Status int // refuse the upgrade with this HTTP status (429)
	Send   int // frames to send, then drop the connection without a close frame; -1: all, then stay open
	// extra frames sent after the first frame of this connection
	Extra [][]byte
	// Pace spaces the frames (a source's rate); 0 sends them as fast as it can.
	Pace time.Duration
}

// Server is a Jetstream on loopback: it replays frames after the cursor a client asks
// for, each connection scripted by plan (the last entry repeats).
type Server struct {
	frames [][]byte
	times  []int64
	plan   []Conn

	mu      sync.Mutex
	n       int          // connections so far
	cursors []string     // the cursor each connection asked for
	sent    atomic.Int64 // frames written, all connections
	// SentAll is closed once a connection has sent the last frame.
	SentAll chan struct{}
	once    sync.Once
}

func NewServer(t testing.TB, frames [][]byte, plan ...Conn) (*Server, string) {
	s := &Server{frames: frames, plan: plan, SentAll: make(chan struct{})}
	for _, f := range frames {
		var e struct {
			TimeUS int64 `json:"time_us"`
		}
		if err := json.Unmarshal(f, &e); err != nil {
			t.Fatal(err)
		}
		s.times = append(s.times, e.TimeUS)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, "ws" + strings.TrimPrefix(hs.URL, "http") + "/subscribe"
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	i := s.n
	s.n++
	s.cursors = append(s.cursors, r.URL.Query().Get("cursor"))
	s.mu.Unlock()
	p := s.plan[min(i, len(s.plan)-1)]
	if r.URL.Query().Get("wantedCollections") != "app.bsky.feed.post" {
		http.Error(w, "want wantedCollections", http.StatusBadRequest)
		return
	}
	if p.Status != 0 {
		http.Error(w, "slow down", p.Status)
		return
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	ctx := r.Context()
	from := 0
	if cur := r.URL.Query().Get("cursor"); cur != "" {
		v, _ := strconv.ParseInt(cur, 10, 64)
		for from < len(s.times) && s.times[from] <= v {
			from++
		}
	}
	sent := 0
	for k := from; k < len(s.frames); k++ {
		if p.Send >= 0 && sent == p.Send {
			c.CloseNow() // a dropped connection: no close frame
			return
		}
		if p.Pace > 0 && k > from {
			select {
			case <-time.After(p.Pace):
			case <-ctx.Done():
				return
			}
		}
		if err := c.Write(ctx, websocket.MessageText, s.frames[k]); err != nil {
			return
		}
		sent++
		s.sent.Add(1)
		if sent == 1 {
			for _, x := range p.Extra {
				if err := c.Write(ctx, websocket.MessageText, x); err != nil {
					return
				}
			}
		}
	}
	s.once.Do(func() { close(s.SentAll) })
	<-ctx.Done() // live tail: nothing more to say
	c.CloseNow()
}

// Connections returns how many connections were made, and the cursor each asked for.
func (s *Server) Connections() (int, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n, append([]string(nil), s.cursors...)
}

// Frame is the Jetstream event of a post creation saying what p says: its author as
// the did, its id as the record key, seen by the network when it was created.
func Frame(p Post) []byte {
	us := p.CreatedAt.UnixMicro()
	rec := map[string]any{"$type": "app.bsky.feed.post", "text": p.Text, "createdAt": p.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z")}
	if p.Lang != "" {
		rec["langs"] = []string{p.Lang}
	}
	b, _ := json.Marshal(map[string]any{
		"did": "did:plc:" + p.Author, "time_us": us, "kind": "commit",
		"commit": map[string]any{"rev": "r" + p.ID, "operation": "create", "collection": "app.bsky.feed.post", "rkey": p.ID, "record": rec, "cid": "bafy" + p.ID},
	})
	return b
}

// Sent is how many frames the server has written so far, over all connections.
func (s *Server) Sent() int64 { return s.sent.Load() }
