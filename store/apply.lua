-- apply.lua stores the aggregated counts of one consumed batch for one scope (a
-- shard of the services, or the group's totals) together with the partition offsets
-- it covers, atomically, so a batch is counted exactly once. All keys of a call share
-- one hash tag (one cluster slot).
--
-- It is written to run few Redis commands (they are the Redis cost per post): each
-- hash is read once with HMGET and written once with a multi-field HSET, and a key's
-- TTL is set when the key is created rather than on every write.
--
-- KEYS[1]      offsets hash of the scope, consumer group and topic (field = partition;
--              "x": when the TTLs of the offsets TTL were last set, unix seconds)
-- KEYS[2..n]   other keys, referenced by index from ARGV
-- ARGV[1]      TTL in seconds for counter keys
-- ARGV[2]      TTL in seconds for the offsets hash
-- ARGV[3]      the batch's wall clock, unix seconds (0: unknown)
-- ARGV[4]      number of partitions P in the batch, followed by P triples:
--              partition, first offset, last offset
-- then ops until the end of ARGV, each "op keyIndex n args...":
--   g  n field/increment pairs, each increment four numbers "p c r a" added to the
--      field's four (hourly rollups: posts, complaints, recoveries, authors; one
--      field per service and hour keeps a fortnight of them small); offsets TTL,
--      set when the first field is new
--   t  n field/increment pairs added (run-wide totals; offsets TTL)
--   S  one bucket of the shard: keyIndex is the bucket's hash (one field per service,
--      its counts as JSON, and "_": created, then the names of the bucket's
--      HyperLogLogs, one a line), n services follow, each: name, index of its
--      authors HyperLogLog key, index of its voices one (0, no key, for a delta
--      without complaints: it has no authors or voices), its delta as JSON
--      ({"p","c","r","pr","cc","l": counts, "s": samples, "A": author ids, "V":
--      voices}). Distinct authors (voices) are kept exactly, as a list in the
--      service's field, up to maxExact; beyond that they move to the service's
--      HyperLogLog, as all are when the list would grow past it (memory stays
--      bounded, and few services are so large: their PFADDs are few). A delta
--      prefixed with "=" is also the field it makes when the field is new (its
--      counts of distinct ids, "na" and "nv", filled in, no list beyond maxExact):
--      it is then stored as it is, without decoding (with tens of thousands of
--      services, most fields of a batch are new, and decoding and encoding them
--      was most of the script's cost).
--   m  n field/value pairs: HSET each field to the value when larger (offsets TTL)
--   n  n field/value pairs: HSET each field to the value when smaller or unset (offsets TTL)
--   e  n field/value pairs: HSET (offsets TTL)
-- The keys with the offsets TTL get it again at most once an hour (with the offsets
-- hash: they are written together), not on every write: a TTL of days needs no
-- refresh per batch, and each EXPIRE is a command.
--   z  n members of a sorted set, each its own score (the group's active hours,
--      dropped by the evaluator as it trims; offsets TTL)
--
-- Returns {1} when applied, or {0, partition, stored, ...} when some partition's
-- first offset is not beyond what is already stored (a replay after a crash): the
-- caller drops the already-counted messages and retries.
local counterTTL = tonumber(ARGV[1])
local offsetTTL = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local np = tonumber(ARGV[4])
local maxSamples = 5

local parts = {}
for j = 1, np do
  parts[j] = ARGV[5 + 3 * (j - 1)]
end
table.insert(parts, 'x')
local stale = {}
local stored = redis.call('HMGET', KEYS[1], unpack(parts))
for j = 1, np do
  local first = tonumber(ARGV[6 + 3 * (j - 1)])
  if stored[j] and tonumber(stored[j]) >= first then
    table.insert(stale, parts[j])
    table.insert(stale, stored[j])
  end
end
if #stale > 0 then
  return {0, unpack(stale)}
end
local refreshed = tonumber(stored[np + 1])
local refresh = now == 0 or not refreshed or now < refreshed or now - refreshed >= 3600
local i = 5 + 3 * np

-- A script that fails keeps the writes it made before the failure. So every key is
-- read and every sum computed first, and the writes wait in this list until all of
-- that succeeded (a key of the wrong type, a stored value that is not a number, fail
-- the script before it has written anything, and the batch is retried as it was);
-- the offsets are written last. Only PFADD runs early: adding the same ids again is
-- harmless. Each write is a command (HSET or ZADD) on a key with its arguments, in
-- pairs, and, with a ttl, an EXPIRE after it.
local writes = {}
local function later(cmd, key, args, ttl)
  table.insert(writes, {cmd, key, args, ttl})
end

-- mustBe fails the script unless key is of type t or absent: the ops that write
-- a key without reading it check it so, before any write.
local function mustBe(key, t)
  local got = redis.call('TYPE', key).ok
  if got ~= t and got ~= 'none' then
    error('apply.lua: ' .. key .. ' is a ' .. got .. ', not a ' .. t)
  end
end

-- Commands take their arguments through unpack, which has a limit (about 8,000):
-- long argument lists go in slices.
local slice = 4000

local function hmget(key, fields)
  local out = {}
  for j = 1, #fields, slice do
    local got = redis.call('HMGET', key, unpack(fields, j, math.min(j + slice - 1, #fields)))
    for k = 1, #got do
      out[j + k - 1] = got[k]
    end
  end
  return out
end

local function pfadd(key, ids)
  for j = 1, #ids, slice do
    redis.call('PFADD', key, unpack(ids, j, math.min(j + slice - 1, #ids)))
  end
end

-- add reads the n field/increment pairs at ARGV[from..] and returns the field/sum
-- pairs to HSET and whether the first field was new.
local function add(key, from, n)
  local fields = {}
  for j = 0, n - 1 do
    fields[j + 1] = ARGV[from + 2 * j]
  end
  local cur = hmget(key, fields)
  local out = {}
  for j = 0, n - 1 do
    table.insert(out, ARGV[from + 2 * j])
    table.insert(out, (tonumber(cur[j + 1]) or 0) + tonumber(ARGV[from + 2 * j + 1]))
  end
  return out, not cur[1]
end

-- maxExact is how many distinct authors (voices) of one service in one bucket are
-- kept as a list before they move to a HyperLogLog.
local maxExact = 100

-- distinct adds ids to the service's distinct authors (list field lf, HyperLogLog
-- flag hf, count nf) in c, its stored counts; hll is the HyperLogLog key. Returns
-- the key's name when this call created the HyperLogLog.
local function distinct(c, ids, lf, hf, nf, hll)
  if not ids or #ids == 0 then
    return nil
  end
  if c[hf] then
    pfadd(hll, ids)
    c[nf] = redis.call('PFCOUNT', hll)
    return nil
  end
  local list = c[lf] or {}
  local have = {}
  for _, a in ipairs(list) do
    have[a] = true
  end
  for _, a in ipairs(ids) do
    if not have[a] then
      have[a] = true
      table.insert(list, a)
    end
  end
  if #list <= maxExact then
    c[lf] = list
    c[nf] = #list
    return nil
  end
  pfadd(hll, list)
  redis.call('EXPIRE', hll, counterTTL)
  c[lf] = nil
  c[hf] = 1
  c[nf] = redis.call('PFCOUNT', hll)
  return hll
end

local function addMap(c, d, f)
  if not d[f] then
    return
  end
  local m = c[f] or {}
  for k, v in pairs(d[f]) do
    m[k] = (m[k] or 0) + v
  end
  c[f] = m
end

-- merged returns the field that adding the delta js (JSON) to the stored field cur
-- (nil: none yet) makes, with the marker of the bucket's HyperLogLogs grown by those
-- the merge created; at is the service's first argument.
local function merged(cur, js, at, marker)
  local d = cjson.decode(js)
  local c = {}
  if cur then
    -- A field that does not decode (written by hand, or by something else) is
    -- replaced: what it held cannot be counted, and a batch failing on it would be
    -- retried for ever.
    local ok, v = pcall(cjson.decode, cur)
    if ok and type(v) == 'table' then
      c = v
    end
  end
  c.p = (c.p or 0) + (d.p or 0)
  c.c = (c.c or 0) + (d.c or 0)
  c.r = (c.r or 0) + (d.r or 0)
  addMap(c, d, 'pr')
  addMap(c, d, 'cc')
  addMap(c, d, 'l')
  if d.s then
    local s = c.s or {}
    for _, v in ipairs(d.s) do
      if #s >= maxSamples then
        break
      end
      table.insert(s, v)
    end
    c.s = s
  end
  for _, h in ipairs({
    distinct(c, d.A, 'A', 'ha', 'na', KEYS[tonumber(ARGV[at + 1])]) or false,
    distinct(c, d.V, 'V', 'hv', 'nv', KEYS[tonumber(ARGV[at + 2])]) or false,
  }) do
    if h then
      marker = marker .. '\n' .. h
    end
  end
  return cjson.encode(c), marker
end

-- bucket applies an "S" op: n services of one shard's bucket hash key, from ARGV[i].
local function bucket(key, n)
  local fields = {'_'}
  for j = 0, n - 1 do
    table.insert(fields, ARGV[i + 4 * j])
  end
  local cur = hmget(key, fields)
  local marker = cur[1] or '1'
  local out = {}
  for j = 0, n - 1 do
    local at = i + 4 * j
    local js = ARGV[at + 3]
    local whole = string.byte(js, 1) == 61 -- '=': the field it makes when new
    if whole then
      js = string.sub(js, 2)
    end
    table.insert(out, ARGV[at])
    if whole and not cur[j + 2] then
      table.insert(out, js)
    else
      local v
      v, marker = merged(cur[j + 2], js, at, marker)
      table.insert(out, v)
    end
  end
  table.insert(out, '_')
  table.insert(out, marker)
  later('HSET', key, out, not cur[1] and counterTTL or nil)
  i = i + 4 * n
end

while i <= #ARGV do
  local op, key, n = ARGV[i], KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 2])
  i = i + 3
  if op == 'g' then
    local fields = {}
    for j = 0, n - 1 do
      fields[j + 1] = ARGV[i + 2 * j]
    end
    local cur = hmget(key, fields)
    local out = {}
    for j = 0, n - 1 do
      local a = {0, 0, 0, 0}
      if cur[j + 1] then
        local k = 1
        for v in string.gmatch(cur[j + 1], '%S+') do
          a[k] = tonumber(v) or 0 -- not a number (written by something else): replaced
          k = k + 1
        end
      end
      local k = 1
      for v in string.gmatch(ARGV[i + 2 * j + 1], '%S+') do
        a[k] = a[k] + tonumber(v)
        k = k + 1
      end
      table.insert(out, fields[j + 1])
      table.insert(out, string.format('%d %d %d %d', a[1], a[2], a[3], a[4]))
    end
    later('HSET', key, out, not cur[1] and offsetTTL or nil)
    i = i + 2 * n
  elseif op == 't' then
    local out, created = add(key, i, n)
    later('HSET', key, out, (created or refresh) and offsetTTL or nil)
    i = i + 2 * n
  elseif op == 'S' then
    bucket(key, n)
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
    later('HSET', key, out, refresh and offsetTTL or nil)
    i = i + 2 * n
  elseif op == 'z' then
    mustBe(key, 'zset')
    local add = {}
    for j = i, i + n - 1 do
      table.insert(add, ARGV[j])
      table.insert(add, ARGV[j])
    end
    later('ZADD', key, add, offsetTTL)
    i = i + n
  elseif op == 'e' then
    mustBe(key, 'hash')
    later('HSET', key, {unpack(ARGV, i, i + 2 * n - 1)}, refresh and offsetTTL or nil)
    i = i + 2 * n
  else
    return redis.error_reply('apply.lua: unknown op ' .. tostring(op))
  end
end

-- The offsets last.
local set = {}
for j = 1, np do
  table.insert(set, parts[j])
  table.insert(set, ARGV[7 + 3 * (j - 1)])
end
if refresh then
  table.insert(set, 'x')
  table.insert(set, now)
end
later('HSET', KEYS[1], set, refresh and offsetTTL or nil)

for _, w in ipairs(writes) do
  local cmd, key, args, ttl = w[1], w[2], w[3], w[4]
  for j = 1, #args, slice do -- an even slice keeps the pairs whole
    redis.call(cmd, key, unpack(args, j, math.min(j + slice - 1, #args)))
  end
  if ttl then
    redis.call('EXPIRE', key, ttl)
  end
end
return {1}
