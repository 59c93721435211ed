package store

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

// The Lua scripts of the store, one file each; each file's header says its KEYS, ARGV
// and reply. Every write that must be atomic across keys of one service (or of the group)
// is one of them, so the same code runs on Redis Cluster (the keys share a hash tag).
var (
	//go:embed apply.lua
	applySource string
	//go:embed lock.lua
	lockSource string
	//go:embed unlock.lua
	unlockSource string
	//go:embed claim.lua
	claimSource string
	//go:embed lease.lua
	leaseSource string
	//go:embed release.lua
	releaseSource string

	applyScript   = redis.NewScript(applySource)   // a batch's counters with its offsets
	lockScript    = redis.NewScript(lockSource)    // partition locks of a batch
	unlockScript  = redis.NewScript(unlockSource)  // a holder's partition locks released
	claimScript   = redis.NewScript(claimSource)   // an alert event's publish claim
	leaseScript   = redis.NewScript(leaseSource)   // the evaluator lease taken or renewed
	releaseScript = redis.NewScript(releaseSource) // the evaluator lease given up
)
