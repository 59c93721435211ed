package devstack

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of redis-server children on loopback, masters only.
type Cluster struct {
	Nodes []*Redis
}

// Addrs returns the seed addresses, comma-separated.
func (c *Cluster) Addrs() string {
	a := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		a[i] = n.Addr
	}
	return strings.Join(a, ",")
}

// Close stops every node.
func (c *Cluster) Close() {
	for _, n := range c.Nodes {
		n.Close()
	}
}

// StartCluster starts masters redis-server nodes in cluster mode, splits the 16384
// slots between them, joins them and waits until the cluster answers.
func StartCluster(ctx context.Context, masters int) (*Cluster, error) {
	c := &Cluster{}
	for range masters {
		n, err := StartRedisWith(ctx, RedisOptions{Cluster: true})
		if err != nil {
			c.Close()
			return nil, err
		}
		c.Nodes = append(c.Nodes, n)
	}
	clients := make([]*redis.Client, masters)
	for i, n := range c.Nodes {
		clients[i] = redis.NewClient(&redis.Options{Addr: n.Addr})
		defer clients[i].Close()
	}
	per := 16384 / masters
	for i, cl := range clients {
		lo, hi := i*per, (i+1)*per-1
		if i == masters-1 {
			hi = 16383
		}
		if err := cl.ClusterAddSlotsRange(ctx, lo, hi).Err(); err != nil {
			c.Close()
			return nil, fmt.Errorf("cluster: add slots %d-%d: %w", lo, hi, err)
		}
	}
	for _, n := range c.Nodes[1:] {
		host, port, _ := strings.Cut(n.Addr, ":")
		if err := clients[0].ClusterMeet(ctx, host, port).Err(); err != nil {
			c.Close()
			return nil, fmt.Errorf("cluster: meet %s: %w", n.Addr, err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok := true
		for _, cl := range clients {
			info, err := cl.ClusterInfo(ctx).Result()
			if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", masters)) {
				ok = false
				break
			}
		}
		if ok {
			return c, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			c.Close()
			return nil, fmt.Errorf("cluster of %d did not become ready", masters)
		}
		time.Sleep(50 * time.Millisecond) // polling a condition with a deadline
	}
}
