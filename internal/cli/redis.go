package cli

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/outcry-dev/outcry/store"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/pflag"
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
