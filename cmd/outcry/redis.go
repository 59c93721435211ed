package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/pflag"
)

// redisFlags say how to reach Redis: one server, or a Redis Cluster (several seed
// addresses, or a redis-cluster:// URL), with optional ACL user, password and TLS.
type redisFlags struct {
	addr, user, password, passwordFile, caFile string
	tls                                        bool
}

func (r *redisFlags) register(f *pflag.FlagSet, def string) {
	f.StringVar(&r.addr, "redis", def, "Redis: host:port, redis[s]://[user:pass@]host:port/db, or a Redis Cluster as several comma-separated seeds or redis-cluster://host:port,host:port")
	f.StringVar(&r.user, "redis-user", "", "Redis ACL user")
	f.StringVar(&r.password, "redis-password", "", "Redis password (prefer OUTCRY_REDIS_PASSWORD or --redis-password-file)")
	f.StringVar(&r.passwordFile, "redis-password-file", "", "file holding the Redis password")
	f.BoolVar(&r.tls, "redis-tls", false, "connect to Redis over TLS (implied by rediss://)")
	f.StringVar(&r.caFile, "redis-ca", "", "PEM file of CAs to verify Redis's TLS certificate (default: the system's)")
}

// display is the address without credentials, for logs and messages.
func (r *redisFlags) display() string {
	if u, err := url.Parse(r.addr); err == nil && u.User != nil {
		u.User = nil
		return u.String()
	}
	return r.addr
}

func (r *redisFlags) connect(ctx context.Context) (redis.UniversalClient, error) {
	c, unreachable, err := r.connectOrWait(ctx)
	if unreachable != nil {
		c.Close()
		return nil, unreachable
	}
	return c, err
}

// connectOrWait is connect for a service: a Redis that does not answer yet (down, or
// starting) is not an error; the client is returned with the reason, and the caller
// retries its calls until Redis is back. Refused settings (a wrong password, a bad
// address) are errors.
func (r *redisFlags) connectOrWait(ctx context.Context) (c redis.UniversalClient, unreachable, err error) {
	if strings.TrimSpace(r.addr) == "" {
		return nil, nil, fmt.Errorf("--redis is empty: give host:port")
	}
	password := r.password
	if r.passwordFile != "" {
		b, err := os.ReadFile(r.passwordFile)
		if err != nil {
			return nil, nil, fmt.Errorf("--redis-password-file: %w", err)
		}
		password = strings.TrimSpace(string(b))
	}
	var tlsCfg *tls.Config
	if r.tls || strings.HasPrefix(r.addr, "rediss://") {
		tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12}
		if r.caFile != "" {
			pem, err := os.ReadFile(r.caFile)
			if err != nil {
				return nil, nil, fmt.Errorf("--redis-ca: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, nil, fmt.Errorf("--redis-ca %s: no PEM certificates in it", r.caFile)
			}
			tlsCfg.RootCAs = pool
		}
	}
	seeds := strings.Split(strings.TrimPrefix(r.addr, "redis-cluster://"), ",")
	if strings.HasPrefix(r.addr, "redis-cluster://") || len(seeds) > 1 {
		c = redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: seeds, Username: r.user, Password: password, TLSConfig: tlsCfg, MaxRedirects: 8,
		})
	} else {
		opt := &redis.Options{Addr: r.addr}
		if strings.Contains(r.addr, "://") {
			u, err := redis.ParseURL(r.addr)
			if err != nil {
				return nil, nil, fmt.Errorf("--redis %s: %w", r.display(), err)
			}
			opt = u
		}
		if r.user != "" {
			opt.Username = r.user
		}
		if password != "" {
			opt.Password = password
		}
		if tlsCfg != nil {
			opt.TLSConfig = tlsCfg
		}
		c = redis.NewClient(opt)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		err = fmt.Errorf("redis at %s: %w", r.display(), err)
		if ne := net.Error(nil); errors.As(err, &ne) {
			return c, err, nil
		}
		c.Close()
		return nil, nil, err
	}
	return c, nil, nil
}
