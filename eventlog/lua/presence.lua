-- Shares one count per instance of a session without the log (the
-- attendee connections each instance has open now). KEYS[1] is the
-- session's presence hash: field the instance, value "<count> <expiry>"
-- with the expiry in Redis's milliseconds. ARGV[1] is the instance,
-- ARGV[2] its count (0 removes it), ARGV[3] how long the count holds, in
-- milliseconds. Returns the sum of the counts that still hold, and drops
-- those that expired (an instance that crashed stops renewing its own).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local count = tonumber(ARGV[2])
if count > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], string.format('%d %d', count, now + tonumber(ARGV[3])))
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
local all = redis.call('HGETALL', KEYS[1])
local sum = 0
local longest = 0
for i = 1, #all, 2 do
  local n, exp = string.match(all[i + 1], '^(%d+) (%d+)$')
  n = tonumber(n)
  exp = tonumber(exp)
  if n == nil or exp == nil or exp <= now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    sum = sum + n
    if exp - now > longest then longest = exp - now end
  end
end
-- The hash outlives its last count by nothing: a session nobody hosts
-- leaves no key behind.
if longest > 0 then redis.call('PEXPIRE', KEYS[1], longest) end
return sum
