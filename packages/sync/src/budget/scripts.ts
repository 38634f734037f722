import { LuaScript } from "./lua-script.js";

// All scripts read the clock with Redis TIME so every worker process shares one clock, and return
// integers only (Redis truncates Lua numbers). Timestamps are integer milliseconds.

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- Numbers go to Redis as plain integers (never exponent notation).
local function int(x) return string.format('%d', x) end
`;

/** How long until `n` more entries fit in `key` under "at most `limit` in any `window` ms" (0 = now). */
const WAIT_FOR_ROOM = `
local function waitForRoom(key, limit, window, n)
  local min = '(' .. int(now - window)
  local c = redis.call('ZCOUNT', key, min, '+inf')
  if c + n <= limit then return 0 end
  local e = redis.call('ZRANGEBYSCORE', key, min, '+inf', 'WITHSCORES', 'LIMIT', int(c + n - limit - 1), 1)
  return math.max(1, tonumber(e[2]) + window - now)
end
`;

/**
 * KEYS: 1 account log (ZSET of grant times), 2 account day counts (HASH day-number → count),
 *       3 egress request log, 4 egress error log, 5 own lane's claims,
 *       6.. claims of the lanes that outrank this one.
 * ARGV: 1 cost, 2 day ceiling for this lane, 3 tz offset ms, 4 egress cap, 5 egress window,
 *       6 error cap, 7 error window, 8 claim id, 9 claim grace ms, 10 priority poll ms, 11 nonce,
 *       12 number of rate windows, then limit/window pairs.
 * Returns {granted 0|1, reason, waitMs, now, dayUsed}.
 */
export const takeScript = new LuaScript(`${NOW}${WAIT_FOR_ROOM}
local cost = tonumber(ARGV[1])
local ceiling = tonumber(ARGV[2])
local offset = tonumber(ARGV[3])
local reqCap, reqWindow = tonumber(ARGV[4]), tonumber(ARGV[5])
local errCap, errWindow = tonumber(ARGV[6]), tonumber(ARGV[7])
local claimId, grace, poll = ARGV[8], tonumber(ARGV[9]), tonumber(ARGV[10])
local nonce = ARGV[11]
local nWin = tonumber(ARGV[12])
local logKey, dayKey, reqKey, errKey, ownClaims = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]

local day = int(math.floor((now + offset) / 86400000))
local used = tonumber(redis.call('HGET', dayKey, day) or '0')
if used + cost > ceiling then
  redis.call('ZREM', ownClaims, claimId)
  return {0, 'day', 0, now, used}
end

local reason, wait = nil, 0
for i = 6, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', int(now))
  if redis.call('ZCARD', KEYS[i]) > 0 then
    reason, wait = 'priority', poll
    break
  end
end

local maxWindow = 0
for i = 1, nWin do
  local w = tonumber(ARGV[12 + 2 * i])
  if w > maxWindow then maxWindow = w end
end
redis.call('ZREMRANGEBYSCORE', logKey, '-inf', int(now - maxWindow))
redis.call('ZREMRANGEBYSCORE', reqKey, '-inf', int(now - reqWindow))
redis.call('ZREMRANGEBYSCORE', errKey, '-inf', int(now - errWindow))

local function consider(r, w)
  if w > 0 and (reason == nil or w > wait) then
    if reason ~= 'priority' then reason = r end
    wait = w
  end
end
for i = 1, nWin do
  consider('second', waitForRoom(logKey, tonumber(ARGV[11 + 2 * i]), tonumber(ARGV[12 + 2 * i]), cost))
end
consider('egress', waitForRoom(reqKey, reqCap, reqWindow, cost))
consider('errors', waitForRoom(errKey, errCap, errWindow, 1))

if reason then
  -- Announce that this lane is waiting: lower lanes yield until it is served or the claim expires.
  local ttl = wait + grace
  redis.call('ZADD', ownClaims, int(now + ttl), claimId)
  if redis.call('PTTL', ownClaims) < ttl + 1000 then redis.call('PEXPIRE', ownClaims, int(ttl + 1000)) end
  return {0, reason, wait, now, used}
end

for i = 1, cost do
  local m = nonce .. ':' .. i
  redis.call('ZADD', logKey, int(now), m)
  redis.call('ZADD', reqKey, int(now), m)
end
redis.call('PEXPIRE', logKey, int(maxWindow + 1000))
redis.call('PEXPIRE', reqKey, int(reqWindow + 1000))
redis.call('HINCRBY', dayKey, day, int(cost))
redis.call('PEXPIRE', dayKey, 172800000)
if redis.call('HLEN', dayKey) > 2 then
  for _, f in ipairs(redis.call('HKEYS', dayKey)) do
    if tonumber(f) < tonumber(day) - 1 then redis.call('HDEL', dayKey, f) end
  end
end
redis.call('ZREM', ownClaims, claimId)
return {1, 'ok', 0, now, used + cost}
`);

/** KEYS: 1 error log. ARGV: 1 window ms, 2 nonce. Returns errors in the window. */
export const recordErrorScript = new LuaScript(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', int(now - tonumber(ARGV[1])))
redis.call('ZADD', KEYS[1], int(now), ARGV[2])
redis.call('PEXPIRE', KEYS[1], int(tonumber(ARGV[1]) + 1000))
return redis.call('ZCARD', KEYS[1])
`);

/**
 * KEYS: 1 token-call log, 2 egress request log. ARGV: 1 token cap, 2 token window, 3 egress cap,
 * 4 egress window, 5 nonce. Returns {granted, reason, waitMs, now}.
 */
export const tokenCallScript = new LuaScript(`${NOW}${WAIT_FOR_ROOM}
local tokCap, tokWindow = tonumber(ARGV[1]), tonumber(ARGV[2])
local reqCap, reqWindow = tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', int(now - tokWindow))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', int(now - reqWindow))
local wTok = waitForRoom(KEYS[1], tokCap, tokWindow, 1)
local wReq = waitForRoom(KEYS[2], reqCap, reqWindow, 1)
if wTok > 0 or wReq > 0 then
  if wTok >= wReq then return {0, 'token', wTok, now} end
  return {0, 'egress', wReq, now}
end
redis.call('ZADD', KEYS[1], int(now), ARGV[5])
redis.call('ZADD', KEYS[2], int(now), ARGV[5])
redis.call('PEXPIRE', KEYS[1], int(tokWindow + 1000))
redis.call('PEXPIRE', KEYS[2], int(reqWindow + 1000))
return {1, 'ok', 0, now}
`);

/** KEYS: 1 account log, 2 day counts. ARGV: 1 tz offset ms. Returns {usedToday, lastSecond, now}. */
export const usageScript = new LuaScript(`${NOW}
local day = int(math.floor((now + tonumber(ARGV[1])) / 86400000))
local used = tonumber(redis.call('HGET', KEYS[2], day) or '0')
local last = redis.call('ZCOUNT', KEYS[1], '(' .. int(now - 1000), '+inf')
return {used, last, now}
`);

/** KEYS: 1 claims of a lane. ARGV: 1 claim id. */
export const releaseClaimScript = new LuaScript(`return redis.call('ZREM', KEYS[1], ARGV[1])`);
