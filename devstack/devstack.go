// Package devstack starts the real parts Outcry runs on, embedded in the process, for
// `outcry demo`, `outcry backtest`, `outcry broker` and the tests: a Kafka-protocol
// broker (kfake, over TCP on loopback) and a Redis (a redis-server child process on a
// free port, or, when none is installed and the caller allows it, an in-process
// Redis-compatible server).
package devstack

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/twmb/franz-go/pkg/kfake"
)

// BrokerOptions configure an embedded broker.
type BrokerOptions struct {
	Listen     string // host:port; default 127.0.0.1:0 (a free port)
	Partitions int    // partitions of topics created on demand; default 1
	Topics     []string
	DataDir    string // persist to this directory (survives a restart) when set
	// MaxMessageBytes is the broker's message.max.bytes; default Apache Kafka's
	// (1,048,588), so what works here works on a real cluster.
	MaxMessageBytes int
	Extra           []kfake.Opt // more kfake options (SASL users, TLS)
}

// StartBroker starts a kfake broker that creates topics on demand.
func StartBroker(o BrokerOptions) (*kfake.Cluster, error) {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.Partitions <= 0 {
		o.Partitions = 1
	}
	host, portStr, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return nil, fmt.Errorf("broker listen address %q: %w (want host:port, e.g. 127.0.0.1:9092)", o.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("broker listen address %q: port must be 0-65535", o.Listen)
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(o.Partitions),
		// Short sessions let tests and local runs replace a killed consumer quickly.
		kfake.GroupMinSessionTimeout(100 * time.Millisecond),
		// kfake binds 127.0.0.1; honour the host asked for.
		kfake.ListenFn(func(network, addr string) (net.Listener, error) {
			_, p, _ := net.SplitHostPort(addr)
			return net.Listen(network, net.JoinHostPort(host, p))
		}),
	}
	if o.MaxMessageBytes > 0 {
		opts = append(opts, kfake.BrokerConfigs(map[string]string{"message.max.bytes": strconv.Itoa(o.MaxMessageBytes)}))
	}
	if len(o.Topics) > 0 {
		opts = append(opts, kfake.SeedTopics(int32(o.Partitions), o.Topics...))
	}
	if o.DataDir != "" {
		opts = append(opts, kfake.DataDir(o.DataDir))
	}
	opts = append(opts, o.Extra...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start embedded Kafka broker on %s: %w", o.Listen, err)
	}
	return c, nil
}

// Redis is a running Redis for development and tests.
type Redis struct {
	Addr     string
	Embedded bool // true when in-process (no redis-server found)
	cmd      *exec.Cmd
	mini     *miniredis.Miniredis
	dir      string
	port     int
	path     string
	extra    []string
	tls      bool // the port speaks TLS only
}

// RedisOptions configure StartRedisWith.
type RedisOptions struct {
	// Persist keeps the data on disk (append-only file, fsync on every write), so a
	// Stop and Start keep it: for tests of Redis going away and coming back.
	Persist bool
	// Cluster starts the server in cluster mode (see StartCluster).
	Cluster bool
	// Args are extra redis-server arguments (e.g. "--requirepass", "secret").
	Args []string
	// TLSCert and TLSKey (PEM files) make the server speak TLS only, on its port.
	TLSCert, TLSKey string
}

// ErrNoRedisServer means redis-server is not on PATH.
var ErrNoRedisServer = errors.New("redis-server not found on PATH")

// StartRedis starts redis-server from PATH on a free loopback port. When there is no
// redis-server and allowEmbedded is true, it starts an in-process Redis-compatible
// server instead (Redis.Embedded says which).
func StartRedis(ctx context.Context, allowEmbedded bool) (*Redis, error) {
	return startRedis(ctx, allowEmbedded, RedisOptions{})
}

// StartRedisWith starts a redis-server child (never an in-process one) with options.
func StartRedisWith(ctx context.Context, o RedisOptions) (*Redis, error) {
	return startRedis(ctx, false, o)
}

func startRedis(ctx context.Context, allowEmbedded bool, o RedisOptions) (*Redis, error) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if !allowEmbedded {
			return nil, ErrNoRedisServer
		}
		m, err := miniredis.Run()
		if err != nil {
			return nil, fmt.Errorf("start in-process Redis: %w", err)
		}
		return &Redis{Addr: m.Addr(), Embedded: true, mini: m}, nil
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "outcry-redis-")
	if err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	r := &Redis{Addr: fmt.Sprintf("127.0.0.1:%d", port), dir: dir, port: port, path: path}
	if o.Persist {
		r.extra = append(r.extra, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		r.extra = append(r.extra, "--appendonly", "no")
	}
	if o.Cluster {
		r.extra = append(r.extra, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000")
	}
	if o.TLSCert != "" {
		r.tls = true
		r.extra = append(r.extra, "--tls-cert-file", o.TLSCert, "--tls-key-file", o.TLSKey, "--tls-auth-clients", "no")
	}
	r.extra = append(r.extra, o.Args...)
	if err := r.start(ctx, path); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return r, nil
}

func (r *Redis) start(ctx context.Context, path string) error {
	port := []string{"--port", strconv.Itoa(r.port)}
	if r.tls {
		port = []string{"--port", "0", "--tls-port", strconv.Itoa(r.port)}
	}
	args := append([]string{"--bind", "127.0.0.1"}, port...)
	args = append(args, "--save", "", "--dir", r.dir,
		"--protected-mode", "yes", "--daemonize", "no", "--loglevel", "warning")
	args = append(args, r.extra...)
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = nil, nil
	// Own process group: a Ctrl-C to the parent is handled by the parent, which
	// then stops redis-server itself.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	r.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for {
		// PING without credentials: NOAUTH also proves the server is up.
		conn, derr := net.DialTimeout("tcp", r.Addr, time.Second)
		if derr == nil && r.tls {
			// A liveness probe only: the tests verify the certificate themselves.
			tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // probe
			_ = tc.SetDeadline(time.Now().Add(time.Second))
			if derr = tc.Handshake(); derr != nil {
				conn.Close()
			} else {
				conn = tc
			}
		}
		err := derr
		if derr == nil {
			_, err = conn.Write([]byte("PING\r\n"))
			if err == nil {
				buf := make([]byte, 64)
				var n int
				_ = conn.SetReadDeadline(time.Now().Add(time.Second))
				n, err = conn.Read(buf)
				if err == nil && n > 0 && (buf[0] == '+' || strings.HasPrefix(string(buf[:n]), "-NOAUTH")) {
					conn.Close()
					return nil
				}
				if err == nil {
					err = fmt.Errorf("answered %q", buf[:n])
				}
			}
			conn.Close()
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			r.kill()
			return fmt.Errorf("redis-server on %s did not answer PING: %w", r.Addr, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
}

// Stop stops the server (data is lost: it runs without persistence).
func (r *Redis) Stop() {
	switch {
	case r.mini != nil:
		r.mini.Close()
	case r.cmd != nil:
		r.kill()
	}
}

// Start starts a stopped redis-server again on the same port (with its data when it
// persists).
func (r *Redis) Start(ctx context.Context) error {
	if r.path == "" {
		return errors.New("start: only a redis-server child can be restarted")
	}
	return r.start(ctx, r.path)
}

func (r *Redis) kill() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	}
}

// Close stops the server and removes its files.
func (r *Redis) Close() {
	r.Stop()
	if r.dir != "" {
		os.RemoveAll(r.dir)
	}
}

// Describe says what kind of Redis this is, for the user.
func (r *Redis) Describe() string {
	if r.Embedded {
		return "in-process Redis-compatible server (no redis-server on PATH) at " + r.Addr
	}
	return "redis-server (" + filepath.Base(r.cmd.Path) + ", pid " + strconv.Itoa(r.cmd.Process.Pid) + ") at " + r.Addr
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// SplitAddrs splits a comma-separated address list, dropping blanks.
func SplitAddrs(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}
