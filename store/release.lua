-- Gives the evaluator lease up if ARGV[1] holds it (on shutdown).
-- KEYS[1] the lease key; ARGV[1] the holder. Returns 1 when it was released.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
