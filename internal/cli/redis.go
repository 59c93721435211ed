package cli

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"

	"github.com/outcry-dev/outcry/store"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/pflag"
	"go.uber.org/zap"
)

// RedisFlags say how to reach Redis: one server, or a Redis Cluster (several seed
// addresses, or a redis-cluster:// URL), with optional ACL user, password and TLS.
type RedisFlags struct {
	addr, user, password, passwordFile, caFile string
	tls                                        bool
}

// Register adds the Redis flags to f, with def as the default address.
func (r *RedisFlags) Register(f *pflag.FlagSet, def string) {
	f.StringVar(&r.addr, "redis", def, "Redis: host:port, redis[s]://[user:pass@]host:port/db, or a Redis Cluster as several comma-separated seeds or redis-cluster://host:port,host:port")
	f.StringVar(&r.user, "redis-user", "", "Redis ACL user")
	f.StringVar(&r.password, "redis-password", "", "Redis password (prefer OUTCRY_REDIS_PASSWORD or --redis-password-file)")
	f.StringVar(&r.passwordFile, "redis-password-file", "", "file holding the Redis password")
	f.BoolVar(&r.tls, "redis-tls", false, "connect to Redis over TLS (implied by rediss://)")
	f.StringVar(&r.caFile, "redis-ca", "", "PEM file of CAs to verify Redis's TLS certificate (default: the system's)")
}

// Display is the address without credentials, for logs and messages.
func (r *RedisFlags) Display() string { return store.DialOptions{Addr: r.addr}.Display() }

// Connect returns a client of the Redis the flags name; unreachable is an error.
func (r *RedisFlags) Connect(ctx context.Context) (redis.UniversalClient, error) {
	o, err := r.options()
	if err != nil {
		return nil, err
	}
	return store.Connect(ctx, o)
}

// ConnectOrWait is Connect for a service: a Redis that does not answer yet is returned
// with the reason, not as an error (store.Dial).
func (r *RedisFlags) ConnectOrWait(ctx context.Context) (c redis.UniversalClient, unreachable, err error) {
	o, err := r.options()
	if err != nil {
		return nil, nil, err
	}
	return store.Dial(ctx, o)
}

// ConnectService is ConnectOrWait for a service that retries Redis by itself: a
// Redis away at start is waited for like Redis away later (and logged); a refused
// password or a bad address is an error.
func (r *RedisFlags) ConnectService(ctx context.Context, log *zap.Logger) (redis.UniversalClient, error) {
	c, unreachable, err := r.ConnectOrWait(ctx)
	if unreachable != nil {
		log.Warn("Redis is not reachable yet; waiting for it", zap.Error(unreachable))
	}
	return c, err
}

// Listen listens on addr for the HTTP endpoints (nil for an empty addr); flag names
// the address's flag in errors.
func Listen(addr, flag string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, addr, err)
	}
	return ln, nil
}

// options reads the password and CA files the flags name.
func (r *RedisFlags) options() (store.DialOptions, error) {
	if strings.TrimSpace(r.addr) == "" {
		return store.DialOptions{}, fmt.Errorf("--redis is empty: give host:port")
	}
	o := store.DialOptions{Addr: r.addr, User: r.user}
	var err error
	if o.Password, err = secret(r.password, r.passwordFile, "--redis-password-file"); err != nil {
		return o, err
	}
	if r.tls || strings.HasPrefix(r.addr, "rediss://") {
		o.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		if r.caFile != "" {
			if o.TLS.RootCAs, err = caPool(r.caFile, "--redis-ca"); err != nil {
				return o, err
			}
		}
	}
	return o, nil
}
