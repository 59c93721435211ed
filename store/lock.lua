-- lock.lua locks partitions of a consumer group for one consumer while it stores a
-- batch, so that two consumers never store the same messages at once (around a
-- rebalance, the consumer that lost a partition may still be storing a batch of it
-- when the new owner starts on it). Storing the batch releases the locks (Apply,
-- in the group scope's round trip); a consumer that dies holding them loses them after the TTL.
--
-- KEYS[1]  the group's lock hash (field = partition, value = "holder|expiry ms")
-- KEYS[2]  the group scope's offsets hash
-- ARGV[1]  holder, ARGV[2] TTL in ms, ARGV[3..] partitions
--
-- Returns {0, partition, holder} when another holder has a partition, else
-- {1, partition, stored offset or -1, ...}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
local parts = {}
for i = 3, #ARGV do
  parts[#parts + 1] = ARGV[i]
end
local cur = redis.call('HMGET', KEYS[1], unpack(parts))
for j = 1, #parts do
  local v = cur[j]
  if v then
    local holder, exp = string.match(v, '^(.*)|(%d+)$')
    if holder ~= ARGV[1] and tonumber(exp) > now then
      return {0, parts[j], holder}
    end
  end
end
local set = {}
for _, p in ipairs(parts) do
  set[#set + 1] = p
  set[#set + 1] = ARGV[1] .. '|' .. (now + ttl)
end
redis.call('HSET', KEYS[1], unpack(set))
redis.call('PEXPIRE', KEYS[1], ttl * 10)
local stored = redis.call('HMGET', KEYS[2], unpack(parts))
local out = {1}
for j, p in ipairs(parts) do
  out[#out + 1] = p
  out[#out + 1] = stored[j] or '-1'
end
return out
