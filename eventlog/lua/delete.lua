-- Deletes a session: KEYS are its epoch, last, time, log, snap, code and
-- deleted keys (one hash tag); ARGV[1] is the time of deletion, ARGV[2]
-- the tombstone's time to live in seconds. Returns the session's join code
-- (or "") for the caller to free in the directory.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOTFOUND session has no log')
end
local code = redis.call('GET', KEYS[6]) or ''
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
redis.call('SET', KEYS[7], ARGV[1], 'EX', tonumber(ARGV[2]))
return code
