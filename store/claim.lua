-- Takes a claim on an alert event id (value "p:<unix ms>") when there is none, and
-- otherwise reports the claim that is there.
-- KEYS[1] the claim key; ARGV[1] now in unix ms; ARGV[2] the claim's TTL in ms.
-- Returns {0, ''} claimed now, {1, ''} published, {2, value} pending.
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], 'p:' .. ARGV[1], 'PX', ARGV[2])
  return {0, ''}
end
if v == 'done' or v == '1' then return {1, ''} end
return {2, v}
