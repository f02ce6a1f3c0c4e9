package redisbackend

import "github.com/redis/go-redis/v9"

// Every key of one vendor key lives under prefix + "{" + fingerprint + "}:" (the braces are
// a Redis Cluster hash tag: a key's three keys sit in one slot, so one script may touch them):
//
//	…:pace      hash  tat, last (µs, Redis TIME), factor (share of the QPS), cut (grant number
//	                  at the last halving), seq (grants so far), streak (Sent answers since the
//	                  last throttle or recovery step); expires 1 h after its last change
//	…:inflight  zset  in-flight leases scored by their expiry (µs, Redis TIME)
//	…:quota     hash  day, used, limit, exhausted — the quota day's count, like the local
//	                  store's record; expires 48 h after its last change
//
// Times are microseconds of Redis TIME, so the machines' clocks do not matter. Numbers are
// written with string.format('%.0f'): Lua 5.1 turns a number into a string with 14
// significant digits, which would round a time in microseconds.

// luaCommon is prepended to every script.
const luaCommon = `
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function n(x) return string.format('%.0f', x) end
-- civil date of day number z (days since 1970-01-01), Howard Hinnant's algorithm
local function civil(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp + 3
  if mp >= 10 then m = mp - 9 end
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02d', y, m, d)
end
-- the pacing interval (µs) at qps·factor less the margin, rounded up: never faster
local function interval(qps, factor, margin)
  return math.ceil(1000000 / (qps * factor * (1 - margin)))
end
local QUOTA_TTL = 172800
local PACE_TTL = 3600
`

// acquireScript: one call on a key, all or nothing.
//
// KEYS: pace, inflight, quota
// ARGV: qps, burst, margin, max_in_flight, limit (after the margin), lease id, lease TTL µs,
// day offset µs (the zone's UTC offset + the test clock offset), alone (1: this process's
// first call on a burst-1 key: the next grant, by any process, waits two intervals)
//
// Reply: {"ok", day, used, seq, factor, now} | {"wait", µs, factor} | {"full", µs} |
// {"spent", day, used}
var acquireScript = redis.NewScript(luaCommon + `
local qps, burst, margin = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local maxin, limit, lease = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local ttl, off, alone = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local now = now_us()
local day = civil(math.floor((now + off) / 86400000000))

-- 1. the quota day: spent by count or by the vendor's word?
local q = redis.call('HMGET', KEYS[3], 'day', 'used', 'exhausted')
local used = 0
if q[1] == day then
  used = tonumber(q[2]) or 0
  if q[3] == '1' or (limit > 0 and used >= limit) then
    return {'spent', day, used}
  end
end

-- 2. pacing (GCRA): conforming when now ≥ tat − (burst−1)·interval
local factor, tat, iv = 1, nil, 0
if qps > 0 then
  local p = redis.call('HMGET', KEYS[1], 'tat', 'factor')
  factor = tonumber(p[2]) or 1
  iv = interval(qps, factor, margin)
  local tol = (burst - 1) * iv
  tat = tonumber(p[1])
  if tat == nil then
    tat = now + tol -- a key's first call starts from one token, not a full burst
  end
  -- A burst-1 key's call may be granted up to lead before its slot, counted at the slot:
  -- the round trip to Redis would otherwise make every grant late, and a late grant moves
  -- the schedule. lead is half the margin's share of the interval (309 µs at 50 QPS), so
  -- two grants are never closer than the interval at the key's rate (1/qps) on the Redis
  -- clock, and half the margin is left for the vendor's side.
  local lead = 0
  if burst == 1 and margin > 0 then
    lead = math.floor(0.5 * (iv - math.ceil(1000000 / (qps * factor))))
  end
  if now < tat - tol - lead then
    return {'wait', n(tat - tol - lead - now), tostring(factor)}
  end
end

-- 3. in-flight leases (expired ones are a killed machine's: dropped)
if maxin > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', n(now))
  if redis.call('ZCARD', KEYS[2]) >= maxin then
    return {'full', 0}
  end
end

-- grant: the schedule and the leases are not written to the append-only file nor to
-- replicas (with appendfsync always every replicated write waits for an fsync, whose
-- varying delay would reach the vendor as jitter between calls); the quota count is.
redis.set_repl(redis.REPL_NONE)
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
if qps > 0 then
  if tat < now then tat = now end -- a late grant moves the schedule (never catches up)
  redis.call('HSET', KEYS[1], 'tat', n(tat + iv * (1 + alone)), 'last', n(now))
end
redis.call('EXPIRE', KEYS[1], PACE_TTL)
if maxin > 0 then
  redis.call('ZADD', KEYS[2], n(now + ttl), lease)
  redis.call('PEXPIRE', KEYS[2], math.ceil(ttl / 1000) + 1000)
end
redis.set_repl(redis.REPL_ALL)
if limit > 0 then
  if q[1] ~= day then
    redis.call('HSET', KEYS[3], 'day', day, 'used', 1, 'limit', limit, 'exhausted', 0)
    used = 1
  else
    used = redis.call('HINCRBY', KEYS[3], 'used', 1)
    redis.call('HSET', KEYS[3], 'limit', limit)
  end
  redis.call('EXPIRE', KEYS[3], QUOTA_TTL)
end
return {'ok', day, used, seq, tostring(factor), n(now)}
`)

// releaseScript ends a call.
//
// KEYS: pace, inflight, quota
// ARGV: lease id ("" = none), refund (1/0), day, feedback (sent, throttled, quota, other),
// grant seq, qps, burst, margin, retry-after µs, limit (after the margin)
//
// Reply: the key's factor (string).
var releaseScript = redis.NewScript(luaCommon + `
local lease, refund, day, fb = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local gseq, qps, burst, margin = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local retry, limit = tonumber(ARGV[9]), tonumber(ARGV[10])
if lease ~= '' then
  redis.set_repl(redis.REPL_NONE) -- leases and the schedule stay in memory (acquireScript)
  redis.call('ZREM', KEYS[2], lease)
  redis.set_repl(redis.REPL_ALL)
end
if refund == '1' then
  local q = redis.call('HMGET', KEYS[3], 'day', 'used')
  if q[1] == day and (tonumber(q[2]) or 0) > 0 then
    redis.call('HINCRBY', KEYS[3], 'used', -1)
  end
end
if fb == 'quota' then
  local q = redis.call('HMGET', KEYS[3], 'day', 'used', 'limit')
  if q[1] == false or q[1] < day then
    q = {day, 0, limit}
  end
  if q[1] == day then -- a later day already: stale news
    local used, lim = tonumber(q[2]) or 0, tonumber(q[3]) or 0
    if limit > lim then lim = limit end
    if lim > used then used = lim end
    redis.call('HSET', KEYS[3], 'day', day, 'used', used, 'limit', lim, 'exhausted', 1)
    redis.call('EXPIRE', KEYS[3], QUOTA_TTL)
  end
end
local factor = 1
redis.set_repl(redis.REPL_NONE)
if qps > 0 and (fb == 'throttled' or fb == 'sent') then
  local p = redis.call('HMGET', KEYS[1], 'factor', 'cut', 'seq', 'tat', 'streak')
  factor = tonumber(p[1]) or 1
  if fb == 'throttled' then
    local now = now_us()
    -- a 429 on a call granted before the last halving says nothing new
    if gseq > (tonumber(p[2]) or 0) then
      factor = math.max(factor / 2, 0.1)
      redis.call('HSET', KEYS[1], 'factor', string.format('%.6f', factor), 'cut', p[3] or 0)
    end
    -- drop the saved-up burst, and pause every process for the Retry-After
    local iv = interval(qps, factor, margin)
    local tat = tonumber(p[4]) or 0
    tat = math.max(tat, now + burst * iv, now + retry + (burst - 1) * iv)
    redis.call('HSET', KEYS[1], 'tat', n(tat), 'streak', 0)
    redis.call('EXPIRE', KEYS[1], PACE_TTL)
  elseif factor < 1 then
    local streak = (tonumber(p[5]) or 0) + 1
    if streak >= 10 then
      factor = math.min(1, factor + 0.1)
      streak = 0
      redis.call('HSET', KEYS[1], 'factor', string.format('%.6f', factor))
    end
    redis.call('HSET', KEYS[1], 'streak', streak)
    redis.call('EXPIRE', KEYS[1], PACE_TTL)
  end
end
return tostring(factor)
`)

// reserveScript is QuotaStore.Reserve: one unit for the given day.
//
// KEYS: quota; ARGV: day, limit. Reply: {ok (1/0), used} or an error for a day earlier
// than the one the key is at.
var reserveScript = redis.NewScript(luaCommon + `
local day, limit = ARGV[1], tonumber(ARGV[2])
local q = redis.call('HMGET', KEYS[1], 'day', 'used', 'exhausted')
if q[1] ~= false and q[1] > day then
  return redis.error_reply('quota count for this key is already at day ' .. q[1] .. ', later than ' .. day .. ' (clock or time zone mismatch between jobs?)')
end
if q[1] ~= day then
  q = {day, 0, '0'}
  redis.call('HSET', KEYS[1], 'day', day, 'used', 0, 'exhausted', 0)
end
redis.call('HSET', KEYS[1], 'limit', limit)
redis.call('EXPIRE', KEYS[1], QUOTA_TTL)
local used = tonumber(q[2]) or 0
if q[3] == '1' or used >= limit then
  return {0, used}
end
used = redis.call('HINCRBY', KEYS[1], 'used', 1)
return {1, used}
`)

// wroteScript: a burst-1 key's request was just written; its next call, by any process, is
// due no earlier than now + the interval (ratelimit.Lease.Wrote).
//
// KEYS: pace; ARGV: qps, margin. Reply: the key's tat (µs).
var wroteScript = redis.NewScript(luaCommon + `
local qps, margin = tonumber(ARGV[1]), tonumber(ARGV[2])
local p = redis.call('HMGET', KEYS[1], 'tat', 'factor')
local tat = tonumber(p[1]) or 0
local due = now_us() + interval(qps, tonumber(p[2]) or 1, margin)
if due > tat then
  redis.set_repl(redis.REPL_NONE) -- the schedule stays in memory (acquireScript)
  redis.call('HSET', KEYS[1], 'tat', n(due))
  redis.call('EXPIRE', KEYS[1], PACE_TTL)
  redis.set_repl(redis.REPL_ALL)
  tat = due
end
return n(tat)
`)
