package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DialOptions say how to reach Redis: one server (host:port or a redis[s]:// URL), or a
// Redis Cluster (several comma-separated seeds, or redis-cluster://host:port,...).
type DialOptions struct {
	Addr           string
	User, Password string      // ACL user and password; override the URL's
	TLS            *tls.Config // nil: plaintext unless the URL is rediss://
}

// Display is the address without credentials, for logs and messages.
func (o DialOptions) Display() string {
	if u, err := url.Parse(o.Addr); err == nil && u.User != nil {
		u.User = nil
		return u.String()
	}
	return o.Addr
}

// Dial returns a client of the Redis o names, after a PING. A Redis that does not answer
// yet (down, or starting) is not an error for a service: the client is returned with
// the reason in unreachable, and the caller's calls retry until Redis is back. Refused
// settings (a wrong password, a bad address) are errors.
func Dial(ctx context.Context, o DialOptions) (c redis.UniversalClient, unreachable, err error) {
	if strings.TrimSpace(o.Addr) == "" {
		return nil, nil, errors.New("redis address is empty: give host:port")
	}
	tlsCfg := o.TLS
	if tlsCfg == nil && strings.HasPrefix(o.Addr, "rediss://") {
		tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	seeds := strings.Split(strings.TrimPrefix(o.Addr, "redis-cluster://"), ",")
	if strings.HasPrefix(o.Addr, "redis-cluster://") || len(seeds) > 1 {
		c = redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: seeds, Username: o.User, Password: o.Password, TLSConfig: tlsCfg, MaxRedirects: 8,
		})
	} else {
		opt := &redis.Options{Addr: o.Addr}
		if strings.Contains(o.Addr, "://") {
			u, err := redis.ParseURL(o.Addr)
			if err != nil {
				return nil, nil, fmt.Errorf("redis address %s: %w", o.Display(), err)
			}
			opt = u
		}
		if o.User != "" {
			opt.Username = o.User
		}
		if o.Password != "" {
			opt.Password = o.Password
		}
		if tlsCfg != nil {
			opt.TLSConfig = tlsCfg
		}
		c = redis.NewClient(opt)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		err = fmt.Errorf("redis at %s: %w", o.Display(), err)
		if ne := net.Error(nil); errors.As(err, &ne) {
			return c, err, nil
		}
		c.Close()
		return nil, nil, err
	}
	return c, nil, nil
}

// Connect is Dial for a command that needs Redis now: unreachable is an error.
func Connect(ctx context.Context, o DialOptions) (redis.UniversalClient, error) {
	c, unreachable, err := Dial(ctx, o)
	if unreachable != nil {
		c.Close()
		return nil, unreachable
	}
	return c, err
}
