-- apply.lua stores the aggregated counts of one consumed batch for one scope (a
-- service, or the group's totals) together with the partition offsets it covers,
-- atomically, so a batch is counted exactly once. All keys of a call share one hash
-- tag (one cluster slot).
--
-- It is written to run few Redis commands (they are the Redis cost per post): each
-- hash is read once with HMGET and written once with a multi-field HSET, and a key's
-- TTL is set when the key is created rather than on every write.
--
-- KEYS[1]      offsets hash of the scope, consumer group and topic (field = partition)
-- KEYS[2..n]   other keys, referenced by index from ARGV
-- ARGV[1]      TTL in seconds for counter keys
-- ARGV[2]      TTL in seconds for the offsets hash
-- ARGV[3]      number of partitions P in the batch, followed by P triples:
--              partition, first offset, last offset
-- then ops until the end of ARGV, each "op keyIndex n args...":
--   h  n field/increment pairs added (counter TTL, set when the first field is new:
--      the caller puts first a field that every write sets)
--   g  the same with the offsets TTL (hourly rollups)
--   t  the same with the offsets TTL refreshed on every write (run-wide totals)
--   b  one bucket: keyIndex is the counts hash, then: authors key index, voices key
--      index, nf, na, nv, ns, nf field/increment pairs (the first is "p", set by every
--      write), na author ids and nv voices (each PFADD to its HyperLogLog), ns sample
--      post ids (kept in the hash as s:1..s:5, the first five)
--   m  n field/value pairs: HSET each field to the value when larger (offsets TTL)
--   n  n field/value pairs: HSET each field to the value when smaller or unset (offsets TTL)
--   e  n field/value pairs: HSET (offsets TTL)
--   z  n members of a sorted set, each its own score (the group's active hours,
--      dropped by the evaluator as it trims; offsets TTL)
--   x  n members added to a set (the services with posts in one bucket; counter TTL)
--   y  the same with the offsets TTL (the services with hourly rollups in one day)
--   i  n = 2: value, index of a key written by every version (the group's totals):
--      when the key has no value it is set to value, or to 0 when that other key does
--      not exist either (a new group: its indexes cover everything); offsets TTL,
--      refreshed. It comes before the op that writes that other key.
--
-- Returns {1} when applied, or {0, partition, stored, ...} when some partition's
-- first offset is not beyond what is already stored (a replay after a crash): the
-- caller drops the already-counted messages and retries.
local counterTTL = tonumber(ARGV[1])
local offsetTTL = tonumber(ARGV[2])
local np = tonumber(ARGV[3])
local maxSamples = 5

local parts = {}
for j = 1, np do
  parts[j] = ARGV[4 + 3 * (j - 1)]
end
local stale = {}
local stored = redis.call('HMGET', KEYS[1], unpack(parts))
for j = 1, np do
  local first = tonumber(ARGV[5 + 3 * (j - 1)])
  if stored[j] and tonumber(stored[j]) >= first then
    table.insert(stale, parts[j])
    table.insert(stale, stored[j])
  end
end
if #stale > 0 then
  return {0, unpack(stale)}
end
local set = {}
for j = 1, np do
  table.insert(set, parts[j])
  table.insert(set, ARGV[6 + 3 * (j - 1)])
end
redis.call('HSET', KEYS[1], unpack(set))
redis.call('EXPIRE', KEYS[1], offsetTTL)
local i = 4 + 3 * np

-- add reads the n field/increment pairs at ARGV[from..] and HSETs their sums with what
-- key holds, plus the extra field/value pairs; returns whether the first field was new
-- and the current values of the extra fields asked for.
local function add(key, from, n, extraFields)
  local fields = {}
  for j = 0, n - 1 do
    fields[j + 1] = ARGV[from + 2 * j]
  end
  for _, f in ipairs(extraFields) do
    table.insert(fields, f)
  end
  local cur = redis.call('HMGET', key, unpack(fields))
  local out = {}
  for j = 0, n - 1 do
    table.insert(out, ARGV[from + 2 * j])
    table.insert(out, (tonumber(cur[j + 1]) or 0) + tonumber(ARGV[from + 2 * j + 1]))
  end
  local extra = {}
  for j = 1, #extraFields do
    extra[j] = cur[n + j]
  end
  return out, not cur[1], extra
end

-- pfadd adds the m ids at ARGV[i..] to hll and moves i past them; when this write
-- created the HyperLogLog (its flag field not yet in the counts hash: known is nil),
-- it sets the TTL and adds the flag to out, the counts hash's fields to write.
local function pfadd(hll, m, known, flag, out)
  if m == 0 then
    return
  end
  for j = i, i + m - 1, 500 do
    redis.call('PFADD', hll, unpack(ARGV, j, math.min(j + 499, i + m - 1)))
  end
  if not known then
    redis.call('EXPIRE', hll, counterTTL)
    table.insert(out, flag)
    table.insert(out, 1)
  end
  i = i + m
end

while i <= #ARGV do
  local op, key, n = ARGV[i], KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 2])
  i = i + 3
  if op == 'h' or op == 'g' or op == 't' then
    local out, created = add(key, i, n, {})
    redis.call('HSET', key, unpack(out))
    if op == 't' or created then
      redis.call('EXPIRE', key, op == 'h' and counterTTL or offsetTTL)
    end
    i = i + 2 * n
  elseif op == 'b' then
    -- "b countsIndex authorsIndex voicesIndex nf na nv ns ...": n is the authors key's
    -- index here
    local akey, vkey = KEYS[n], KEYS[tonumber(ARGV[i])]
    local nf, na, nv, ns = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4])
    i = i + 5
    local out, created, extra = add(key, i, nf, {'na', 'nv', 'ns'})
    i = i + 2 * nf
    pfadd(akey, na, extra[1], 'na', out)
    pfadd(vkey, nv, extra[2], 'nv', out)
    local have = tonumber(extra[3]) or 0
    for j = i, i + ns - 1 do
      if have >= maxSamples then
        break
      end
      have = have + 1
      table.insert(out, 's:' .. have)
      table.insert(out, ARGV[j])
    end
    if ns > 0 then
      table.insert(out, 'ns')
      table.insert(out, have)
    end
    i = i + ns
    redis.call('HSET', key, unpack(out))
    if created then
      redis.call('EXPIRE', key, counterTTL)
    end
  elseif op == 'm' or op == 'n' then
    local fields = {}
    for j = 0, n - 1 do
      fields[j + 1] = ARGV[i + 2 * j]
    end
    local cur = redis.call('HMGET', key, unpack(fields))
    local out = {}
    for j = 0, n - 1 do
      local v, c = tonumber(ARGV[i + 2 * j + 1]), tonumber(cur[j + 1])
      if (op == 'm' and (not c or v > c)) or (op == 'n' and (not c or v < c)) then
        table.insert(out, fields[j + 1])
        table.insert(out, ARGV[i + 2 * j + 1])
      end
    end
    if #out > 0 then
      redis.call('HSET', key, unpack(out))
    end
    redis.call('EXPIRE', key, offsetTTL)
    i = i + 2 * n
  elseif op == 'z' then
    local add = {}
    for j = i, i + n - 1 do
      table.insert(add, ARGV[j])
      table.insert(add, ARGV[j])
    end
    redis.call('ZADD', key, unpack(add))
    redis.call('EXPIRE', key, offsetTTL)
    i = i + n
  elseif op == 'x' or op == 'y' then
    -- In slices: unpack has a limit (about 8,000), and a batch may name more services.
    for j = i, i + n - 1, 500 do
      redis.call('SADD', key, unpack(ARGV, j, math.min(j + 499, i + n - 1)))
    end
    redis.call('EXPIRE', key, op == 'x' and counterTTL or offsetTTL)
    i = i + n
  elseif op == 'i' then
    if redis.call('EXISTS', key) == 0 then
      local v = ARGV[i]
      if redis.call('EXISTS', KEYS[tonumber(ARGV[i + 1])]) == 0 then
        v = 0
      end
      redis.call('SET', key, v)
    end
    redis.call('EXPIRE', key, offsetTTL)
    i = i + n
  elseif op == 'e' then
    redis.call('HSET', key, unpack(ARGV, i, i + 2 * n - 1))
    redis.call('EXPIRE', key, offsetTTL)
    i = i + 2 * n
  else
    return redis.error_reply('apply.lua: unknown op ' .. tostring(op))
  end
end
return {1}
