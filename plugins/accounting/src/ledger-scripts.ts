/**
 * @module ledger-scripts
 * The Lua scripts behind the budget ledger and the usage queue. Each is one atomic Redis step,
 * so that concurrent requests on any number of instances can neither over-book a budget nor
 * settle without recording usage. They use flat KEYS/ARGV and array replies only (no cjson),
 * so the embedded store's Lua (the kernel's embedded-lua.ts) runs them too.
 * Large numbers stay strings on their way into redis.call: Lua would print 1.7e12 as
 * "1.7e+12", which Redis rejects.
 *
 * Per budget window three keys: the counter hash (`spent`, `held`), a sorted set of hold ids
 * scored by expiry, and a hash of hold id → amount. Expired holds (their request's instance
 * died) are released lazily by whichever script touches the budget next.
 */

const PURGE_EXPIRED = `
local function purge(counter, expiries, amounts, now)
  local expired = redis.call('ZRANGEBYSCORE', expiries, '-inf', now)
  for _, id in ipairs(expired) do
    local amount = redis.call('HGET', amounts, id)
    if amount then
      redis.call('HINCRBY', counter, 'held', '-' .. amount)
      redis.call('HDEL', amounts, id)
    end
  end
  if #expired > 0 then redis.call('ZREMRANGEBYSCORE', expiries, '-inf', now) end
end
local function expire(key, ttl)
  if tonumber(ttl) > 0 then redis.call('EXPIRE', key, ttl) end
end
`;

/**
 * KEYS: per budget (counter, expiries, amounts). ARGV: now, hold expiry (ms), hold id, then per
 * budget (limit, hold amount, counter ttl seconds or 0).
 * Reply: {1} when every budget took the hold, {0, budget index (1-based), spent, held} when one cannot.
 */
export const RESERVE_SCRIPT = `${PURGE_EXPIRED}
local n = #KEYS / 3
for i = 1, n do
  local counter, expiries, amounts = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  purge(counter, expiries, amounts, ARGV[1])
  local totals = redis.call('HMGET', counter, 'spent', 'held')
  local spent, held = tonumber(totals[1] or '0'), tonumber(totals[2] or '0')
  if spent + held + tonumber(ARGV[3 * i + 2]) > tonumber(ARGV[3 * i + 1]) then
    return {0, i, spent, held}
  end
end
for i = 1, n do
  local counter, expiries, amounts = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  redis.call('HINCRBY', counter, 'held', ARGV[3 * i + 2])
  redis.call('HSET', amounts, ARGV[3], ARGV[3 * i + 2])
  redis.call('ZADD', expiries, ARGV[2], ARGV[3])
  expire(counter, ARGV[3 * i + 3])
  expire(expiries, ARGV[3 * i + 3])
  expire(amounts, ARGV[3 * i + 3])
end
return {1}
`;

/**
 * KEYS: settled marker, pending usage list, then per budget (counter, expiries, amounts).
 * ARGV: now, hold id, marker ttl (ms), usage record, then per budget (cost, counter ttl seconds or 0).
 * Releases this request's hold (if it has not expired), adds the cost to spent and queues the
 * usage record — or does nothing when the request was settled before. Reply: 1 or 0.
 */
export const SETTLE_SCRIPT = `${PURGE_EXPIRED}
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[3]) then return 0 end
local n = (#KEYS - 2) / 3
for i = 1, n do
  local counter, expiries, amounts = KEYS[3 * i], KEYS[3 * i + 1], KEYS[3 * i + 2]
  purge(counter, expiries, amounts, ARGV[1])
  local amount = redis.call('HGET', amounts, ARGV[2])
  if amount then
    redis.call('HINCRBY', counter, 'held', '-' .. amount)
    redis.call('HDEL', amounts, ARGV[2])
    redis.call('ZREM', expiries, ARGV[2])
  end
  local cost = ARGV[2 * i + 3]
  if cost ~= '0' then redis.call('HINCRBY', counter, 'spent', cost) end
  expire(counter, ARGV[2 * i + 4])
end
redis.call('RPUSH', KEYS[2], ARGV[4])
return 1
`;

/** KEYS: per budget (counter, expiries, amounts). ARGV: now. Reply: flat {spent1, held1, spent2, held2, ...}. */
export const STATUS_SCRIPT = `${PURGE_EXPIRED}
local out = {}
for i = 1, #KEYS / 3 do
  local counter, expiries, amounts = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  purge(counter, expiries, amounts, ARGV[1])
  local totals = redis.call('HMGET', counter, 'spent', 'held')
  out[#out + 1] = tonumber(totals[1] or '0')
  out[#out + 1] = tonumber(totals[2] or '0')
end
return out
`;

/**
 * KEYS: pending list, batch registry (sorted set: batch id → claimed at), the batch's list.
 * ARGV: batch size, now, batch id. Moves up to `batch size` records from the head of the
 * pending list into the batch's own list and registers it. Reply: the number moved.
 */
export const CLAIM_BATCH_SCRIPT = `
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items == 0 then return 0 end
redis.call('LTRIM', KEYS[1], #items, -1)
for i = 1, #items, 500 do
  redis.call('RPUSH', KEYS[3], unpack(items, i, math.min(i + 499, #items)))
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return #items
`;

/**
 * KEYS: batch registry. ARGV: batch id, expected claimed-at, now. Takes over a stale batch
 * (re-scores it) only if nobody else did since we looked. Reply: 1 taken, 0 not.
 */
export const TAKE_OVER_BATCH_SCRIPT = `
local at = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not at or at ~= ARGV[2] then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
`;
