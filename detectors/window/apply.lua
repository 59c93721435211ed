-- apply.lua stores the aggregated counts of one consumed batch for one scope (a
-- service, or the group's totals) together with the partition offsets it covers,
-- atomically, so a batch is counted exactly once. All keys of a call share one hash
-- tag (one cluster slot).
--
-- KEYS[1]      offsets hash of the scope, consumer group and topic (field = partition)
-- KEYS[2..n]   counter keys referenced by index from ARGV
-- ARGV[1]      TTL in seconds for counter keys
-- ARGV[2]      TTL in seconds for the offsets hash
-- ARGV[3]      number of partitions P in the batch, followed by P triples:
--              partition, first offset, last offset
-- then ops until the end of ARGV, each "op keyIndex n args...":
--   h  HINCRBY n field/increment pairs (counter TTL)
--   g  HINCRBY n field/increment pairs (offsets TTL: run-wide totals)
--   p  PFADD n elements
--   s  RPUSH n elements, then LTRIM to the newest 5
--   m  n field/value pairs: HSET each field to the value when larger (watermarks; offsets TTL)
--   n  n field/value pairs: HSET each field to the value when smaller or unset (offsets TTL)
--   e  n field/value pairs: HSET (offsets TTL)
--
-- Returns {1} when applied, or {0, partition, stored, ...} when some partition's
-- first offset is not beyond what is already stored (a replay after a crash): the
-- caller drops the already-counted messages and retries.
local counterTTL = tonumber(ARGV[1])
local offsetTTL = tonumber(ARGV[2])
local np = tonumber(ARGV[3])
local i = 4
local stale = {}
for _ = 1, np do
  local part, first = ARGV[i], tonumber(ARGV[i + 1])
  local stored = redis.call('HGET', KEYS[1], part)
  if stored and tonumber(stored) >= first then
    table.insert(stale, part)
    table.insert(stale, stored)
  end
  i = i + 3
end
if #stale > 0 then
  return {0, unpack(stale)}
end
i = 4
for _ = 1, np do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
  i = i + 3
end
redis.call('EXPIRE', KEYS[1], offsetTTL)

while i <= #ARGV do
  local op, key, n = ARGV[i], KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 2])
  i = i + 3
  local ttl = counterTTL
  if op == 'g' then
    op, ttl = 'h', offsetTTL
  elseif op == 'm' or op == 'n' or op == 'e' then
    ttl = offsetTTL
  end
  if op == 'h' then
    for j = 0, n - 1 do
      redis.call('HINCRBY', key, ARGV[i + 2 * j], ARGV[i + 2 * j + 1])
    end
    i = i + 2 * n
  elseif op == 'p' then
    redis.call('PFADD', key, unpack(ARGV, i, i + n - 1))
    i = i + n
  elseif op == 'm' then
    for j = 0, n - 1 do
      local f, v = ARGV[i + 2 * j], tonumber(ARGV[i + 2 * j + 1])
      local cur = tonumber(redis.call('HGET', key, f) or '-1')
      if v > cur then
        redis.call('HSET', key, f, v)
      end
    end
    i = i + 2 * n
  elseif op == 'e' then
    for j = 0, n - 1 do
      redis.call('HSET', key, ARGV[i + 2 * j], ARGV[i + 2 * j + 1])
    end
    i = i + 2 * n
  elseif op == 'n' then
    for j = 0, n - 1 do
      local f, v = ARGV[i + 2 * j], tonumber(ARGV[i + 2 * j + 1])
      local cur = redis.call('HGET', key, f)
      if not cur or v < tonumber(cur) then
        redis.call('HSET', key, f, v)
      end
    end
    i = i + 2 * n
  elseif op == 's' then
    redis.call('RPUSH', key, unpack(ARGV, i, i + n - 1))
    redis.call('LTRIM', key, -5, -1)
    i = i + n
  else
    return redis.error_reply('apply.lua: unknown op ' .. tostring(op))
  end
  redis.call('EXPIRE', key, ttl)
end
return {1}
