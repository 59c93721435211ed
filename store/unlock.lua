-- Releases a holder's partition locks (see lock.lua).
-- KEYS[1] the pending-locks hash; ARGV[1] the holder; ARGV[2..] the partitions.
for i = 2, #ARGV do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return 1
