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

/** The earliest time ≥ `at` when `n` more entries fit in `key` under "at most `limit` in any `window` ms". */
const EARLIEST_ROOM = `
local function earliestRoom(key, limit, window, n, at)
  local min = '(' .. string.format('%.3f', at - window)
  local c = redis.call('ZCOUNT', key, min, '+inf')
  if c + n <= limit then return at end
  local e = redis.call('ZRANGEBYSCORE', key, min, '+inf', 'WITHSCORES', 'LIMIT', int(c + n - limit - 1), 1)
  return math.max(at, tonumber(e[2]) + window)
end
`;

/**
 * The spacing rule (see BlingBudget's comment): `stateKey` holds `next`, the earliest Redis-clock time the
 * next request may be sent. A grant of `cost` requests is placed at `slot = max(now, next + (cost-1)·T)` and
 * moves `next` to `slot + cost·T`; it is given only if `slot <= now + ahead`. `epochKey` holds when this
 * budget's Redis state began: missing, it is created now (a Redis that came back empty, keys deleted, or a new
 * deployment), and an account without state may not be granted before `epoch + hold` — grants made before the
 * state was lost cannot be seen, so the first new ones wait until those are out of every window.
 */
const SPACING = `
local function spacingSlot(stateKey, epochKey, spacing, cost, hold)
  local epoch = tonumber(redis.call('GET', epochKey) or '')
  if epoch == nil then
    epoch = now
    redis.call('SET', epochKey, int(now))
  end
  local nxt = tonumber(redis.call('HGET', stateKey, 'next') or '') or (epoch + hold)
  return math.max(now, nxt + (cost - 1) * spacing)
end
local function spendSlot(stateKey, slot, spacing, cost, ttl)
  redis.call('HSET', stateKey, 'next', string.format('%.3f', slot + cost * spacing))
  redis.call('PEXPIRE', stateKey, ttl)
end
`;

/** Pause flags: any existing key among `keys` (account, tenant) refuses every grant. */
const PAUSED = `
local function paused(first, last)
  for i = first, last do
    if redis.call('EXISTS', KEYS[i]) == 1 then return true end
  end
  return false
end
`;

/**
 * KEYS: 1 account log (ZSET of grant times), 2 account day counts (HASH day-number → count),
 *       3 egress request log, 4 egress error log, 5 own lane's claims, 6 account spacing state (HASH),
 *       7 account pause flag, 8 tenant pause flag, 9 the budget's epoch, 10.. claims of the lanes that
 *       outrank this one.
 * ARGV: 1 cost, 2 day ceiling for this lane, 3 tz offset ms, 4 egress cap, 5 egress window,
 *       6 error cap, 7 error window, 8 claim id, 9 claim grace ms, 10 priority poll ms, 11 nonce,
 *       12 spacing ms (1000/share, may be fractional), 13 reservation horizon ms (0 = now only),
 *       14 hold ms after a new epoch, 15 day number and 16 count this process last saw for the account (restored
 *       if that day's field is gone), 17 state TTL ms, 18 paused retry ms, 19 number of rate windows, then
 *       limit/window pairs.
 * Returns {granted 0|1, reason, waitMs (granted: ms until the slot), now, dayUsed, slot (granted, "%.3f")}.
 */
export const takeScript = new LuaScript(`${NOW}${WAIT_FOR_ROOM}${EARLIEST_ROOM}${SPACING}${PAUSED}
local cost = tonumber(ARGV[1])
local ceiling = tonumber(ARGV[2])
local offset = tonumber(ARGV[3])
local reqCap, reqWindow = tonumber(ARGV[4]), tonumber(ARGV[5])
local errCap, errWindow = tonumber(ARGV[6]), tonumber(ARGV[7])
local claimId, grace, poll = ARGV[8], tonumber(ARGV[9]), tonumber(ARGV[10])
local nonce = ARGV[11]
local spacing, ahead, hold = tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14])
local knownDay, knownUsed = ARGV[15], tonumber(ARGV[16])
local stateTtl, pausedWait = tonumber(ARGV[17]), tonumber(ARGV[18])
local nWin = tonumber(ARGV[19])
local W = 19
local logKey, dayKey, reqKey, errKey, ownClaims, stateKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]

local day = int(math.floor((now + offset) / 86400000))
local usedRaw = redis.call('HGET', dayKey, day)
local used = tonumber(usedRaw or '0')
if usedRaw == false and knownDay == day and knownUsed > 0 then
  -- The day's count is gone (Redis restarted empty, or keys deleted) while a process still knows it.
  used = knownUsed
  redis.call('HSET', dayKey, day, int(used))
  redis.call('PEXPIRE', dayKey, 172800000)
end

if paused(7, 8) then
  redis.call('ZREM', ownClaims, claimId)
  return {0, 'paused', pausedWait, now, used}
end

if used + cost > ceiling then
  redis.call('ZREM', ownClaims, claimId)
  return {0, 'day', 0, now, used}
end

local reason, wait = nil, 0
for i = 10, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', int(now))
  if redis.call('ZCARD', KEYS[i]) > 0 then
    reason, wait = 'priority', poll
    break
  end
end

local maxWindow = 0
for i = 1, nWin do
  local w = tonumber(ARGV[W + 2 * i])
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
local slot = spacingSlot(stateKey, KEYS[9], spacing, cost, hold)
-- The share windows are checked at the slot (spacing implies them but for the rounded-down 10 s window).
for _ = 1, 2 do
  for i = 1, nWin do
    slot = earliestRoom(logKey, tonumber(ARGV[W - 1 + 2 * i]), tonumber(ARGV[W + 2 * i]), cost, slot)
  end
end
consider('second', math.ceil(slot - ahead - now))
consider('egress', waitForRoom(reqKey, reqCap, reqWindow, cost))
consider('errors', waitForRoom(errKey, errCap, errWindow, 1))

if reason then
  -- Announce that this lane is waiting: lower lanes yield until it is served or the claim expires.
  local ttl = wait + grace
  redis.call('ZADD', ownClaims, int(now + ttl), claimId)
  if redis.call('PTTL', ownClaims) < ttl + 1000 then redis.call('PEXPIRE', ownClaims, int(ttl + 1000)) end
  return {0, reason, wait, now, used}
end

spendSlot(stateKey, slot, spacing, cost, stateTtl)
local at = string.format('%.3f', slot)
for i = 1, cost do
  local m = nonce .. ':' .. i
  redis.call('ZADD', logKey, at, m)
  redis.call('ZADD', reqKey, at, m)
end
redis.call('PEXPIRE', logKey, int(maxWindow + 1000 + ahead))
redis.call('PEXPIRE', reqKey, int(reqWindow + 1000 + ahead))
redis.call('HINCRBY', dayKey, day, int(cost))
redis.call('PEXPIRE', dayKey, 172800000)
if redis.call('HLEN', dayKey) > 2 then
  for _, f in ipairs(redis.call('HKEYS', dayKey)) do
    if tonumber(f) < tonumber(day) - 1 then redis.call('HDEL', dayKey, f) end
  end
end
redis.call('ZREM', ownClaims, claimId)
return {1, 'ok', math.max(0, math.ceil(slot - now)), now, used + cost, string.format('%.3f', slot)}
`);

/**
 * The Zydon budget's take. KEYS: 1 tenant spacing state (HASH), 2 tenant pause flag, 3 the budget's epoch.
 * ARGV: 1 spacing ms, 2 reservation horizon ms, 3 hold ms after a new epoch, 4 state TTL ms, 5 paused retry ms.
 * Returns {granted 0|1, reason, waitMs (granted: ms until the slot), now}.
 */
export const spacedTakeScript = new LuaScript(`${NOW}${SPACING}${PAUSED}
local spacing, ahead, hold = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local stateTtl, pausedWait = tonumber(ARGV[4]), tonumber(ARGV[5])
if paused(2, 2) then return {0, 'paused', pausedWait, now} end
local slot = spacingSlot(KEYS[1], KEYS[3], spacing, 1, hold)
if slot > now + ahead then
  return {0, 'second', math.ceil(slot - ahead - now), now}
end
spendSlot(KEYS[1], slot, spacing, 1, stateTtl)
return {1, 'ok', math.max(0, math.ceil(slot - now)), now}
`);

/**
 * A granted request would go out late (its process was starved between the grant and the send): sending it now
 * could put it next to grants made after it, so the grant is taken back — its log entries removed, the day
 * count returned, and, when no grant followed it, `next` set back to its slot — and the caller takes again.
 * KEYS: 1 account log, 2 egress request log, 3 account spacing state, 4 account day counts.
 * ARGV: 1 nonce of the grant, 2 cost, 3 its slot (ms, fractional), 4 spacing ms, 5 tz offset ms.
 */
export const rescindScript = new LuaScript(`${NOW}
local nonce, cost, slot, spacing = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
for i = 1, cost do
  local m = nonce .. ':' .. i
  redis.call('ZREM', KEYS[1], m)
  redis.call('ZREM', KEYS[2], m)
end
local nxt = tonumber(redis.call('HGET', KEYS[3], 'next') or '')
if nxt ~= nil and math.abs(nxt - (slot + cost * spacing)) < 0.01 then
  redis.call('HSET', KEYS[3], 'next', string.format('%.3f', slot))
end
local day = int(math.floor((now + tonumber(ARGV[5])) / 86400000))
if tonumber(redis.call('HGET', KEYS[4], day) or '0') >= cost then redis.call('HINCRBY', KEYS[4], day, -cost) end
return now
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
