/**
 * @module ledger-scripts
 * The Lua scripts behind the budget ledger and the usage queue. Each is one atomic Redis step,
 * so that concurrent requests on any number of instances can neither over-book a budget nor
 * settle without recording usage. They use flat KEYS/ARGV and array replies only (no cjson),
 * so the embedded store's Lua (the kernel's embedded-lua.ts) runs them too.
 * Large numbers stay strings on their way into redis.call: Lua would print 1.7e12 as
 * "1.7e+12" (and Lua 5.3, which the embedded store runs, 5.0 as "5.0"), which Redis rejects;
 * computed ones go through `int`.
 *
 * Per budget window three keys: the counter hash (`spent`, `held`, `leased`), a sorted set of
 * hold ids scored by expiry, and a hash of hold id → amount. A request's own hold counts in
 * `held`. An instance's lease (hold id `lease:<instance id>`, see budget-ledger.ts) counts in
 * `leased`: what the instance has set aside to admit requests without asking Redis, including
 * those requests while they run. Expired holds and leases (their instance died or went idle)
 * are released lazily by whichever script touches the budget next.
 */

const PURGE_EXPIRED = `
local function int(x) return string.format('%d', x) end
local function is_lease(id) return string.sub(id, 1, 6) == 'lease:' end
local function purge(counter, expiries, amounts, now)
  local expired = redis.call('ZRANGEBYSCORE', expiries, '-inf', now)
  for _, id in ipairs(expired) do
    local amount = redis.call('HGET', amounts, id)
    if amount then
      local field = 'held'
      if is_lease(id) then field = 'leased' end
      redis.call('HINCRBY', counter, field, '-' .. amount)
      redis.call('HDEL', amounts, id)
    end
  end
  if #expired > 0 then redis.call('ZREMRANGEBYSCORE', expiries, '-inf', now) end
end
-- A window's spent, held and leased, as numbers.
local function totals(counter)
  local t = redis.call('HMGET', counter, 'spent', 'held', 'leased')
  return tonumber(t[1] or '0'), tonumber(t[2] or '0'), tonumber(t[3] or '0')
end
local function expire(key, ttl)
  if tonumber(ttl) > 0 then redis.call('EXPIRE', key, ttl) end
end
-- Takes up to 'by' off the lease (all of it when it is smaller: an expired lease is gone).
local function shrink_lease(counter, expiries, amounts, lease, by)
  by = tonumber(by)
  if by <= 0 then return end
  local current = tonumber(redis.call('HGET', amounts, lease) or '0')
  if current <= 0 then return end
  local take = math.min(current, by)
  if take == current then
    redis.call('HDEL', amounts, lease)
    redis.call('ZREM', expiries, lease)
  else
    redis.call('HINCRBY', amounts, lease, int(-take))
  end
  redis.call('HINCRBY', counter, 'leased', int(-take))
end
`;

/**
 * KEYS: per budget (counter, expiries, amounts). ARGV: now, hold expiry (ms), hold id, lease id,
 * then per budget (limit, hold amount, counter ttl seconds or 0, credit returned).
 * First takes the credit this instance gives back off its lease (it no longer counts on it),
 * then checks spent + held + leased + hold against each limit and places the hold on all.
 * Reply: {1} when every budget took the hold, {0, budget index (1-based), spent, held, leased} when one cannot.
 */
export const RESERVE_SCRIPT = `${PURGE_EXPIRED}
local n = #KEYS / 3
for i = 1, n do
  local counter, expiries, amounts = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local a = 4 * i
  purge(counter, expiries, amounts, ARGV[1])
  shrink_lease(counter, expiries, amounts, ARGV[4], ARGV[a + 4])
  local spent, held, leased = totals(counter)
  if spent + held + leased + tonumber(ARGV[a + 2]) > tonumber(ARGV[a + 1]) then
    return {0, i, spent, held, leased}
  end
end
for i = 1, n do
  local counter, expiries, amounts = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local a = 4 * i
  redis.call('HINCRBY', counter, 'held', ARGV[a + 2])
  redis.call('HSET', amounts, ARGV[3], ARGV[a + 2])
  redis.call('ZADD', expiries, ARGV[2], ARGV[3])
  expire(counter, ARGV[a + 3])
  expire(expiries, ARGV[a + 3])
  expire(amounts, ARGV[a + 3])
end
return {1}
`;

/**
 * Settles one or more requests that share their budget windows (those that finished in one turn
 * of the event loop: budget-ledger.ts joins them).
 * KEYS: pending usage list, then per budget (counter, expiries, amounts), then per request the
 * set its settled marker goes in. ARGV: now, the time until which every marker set this step
 * touches must live (ms since the epoch), lease id, lease expiry (ms), share, the number of
 * budgets, then per budget (counter ttl seconds or 0, limit, credit asked), then per request
 * (hold id, cost, drawn, usage record).
 * A request whose hold id is in its marker set already was settled before and changes nothing.
 * Markers are members of one set per second of settling (budget-ledger.ts), not a key each: a
 * key with its own expiry held 149 bytes of Redis memory, a set member 80, for as long as the
 * marker lives (15 minutes by default: ~134 MB per 1,000 requests a second, now ~72). For the
 * others:
 * releases each one's hold (if it has not expired) — or, for a request admitted on the
 * instance's lease, takes what it drew (`drawn`, its worst case) off the lease — adds their cost
 * to spent and queues their usage records. Then grows the lease by what was asked, at most
 * 1/share of what is left free, and renews the lease's expiry. Reply: per request 1 (settled
 * now) or 0 (settled before); then, when any was settled now, per budget: credit granted, lease
 * after (a lease of 0 is gone: expired, or never granted).
 *
 * It reads each window once (HMGET, the lease's HGET), works the new figures out in Lua and
 * writes only what changed: the lease's shrink and its new credit as one net HINCRBY each, and
 * the keys' expiry only when this step creates them (every step that creates one sets it, at
 * the window's end plus a day, so it never needs renewing). A request on the lease placed no
 * hold of its own, so its hold is not looked up. For one request that is ten Redis calls in
 * the common case (its marker set's expiry read once, and set once a second), where the script
 * once made sixteen; each request joined to it adds one (its marker), its records going in the
 * one RPUSH (bench/README.md, "Redis per request"). Amounts
 * go through HINCRBY, as integers, so spent stays exact at any size; the sums of a few
 * requests' costs and draws and the share arithmetic are in Lua numbers.
 */
export const SETTLE_SCRIPT = `${PURGE_EXPIRED}
local now, markers_until, lease, lease_expiry, share = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local w = tonumber(ARGV[6])
local first_request = 7 + 3 * w
local n = (#ARGV - first_request + 1) / 4
local out = {}
local records, own_holds = {}, {}
local cost, drawn = 0, 0
local marker_sets = {}
for r = 1, n do
  local a = first_request + 4 * (r - 1)
  local markers = KEYS[1 + 3 * w + r]
  marker_sets[markers] = true
  if redis.call('SADD', markers, ARGV[a]) == 1 then
    out[r] = 1
    cost = cost + tonumber(ARGV[a + 1])
    local d = tonumber(ARGV[a + 2])
    if d > 0 then drawn = drawn + d else own_holds[#own_holds + 1] = ARGV[a] end
    records[#records + 1] = ARGV[a + 3]
  else
    out[r] = 0
  end
end
-- Every marker touched lives until markers_until at least, however long ago its set was made.
local wanted = tonumber(markers_until) - tonumber(now)
for markers in pairs(marker_sets) do
  local left = redis.call('PTTL', markers)
  if left < wanted then redis.call('PEXPIREAT', markers, markers_until) end
end
if #records == 0 then return out end
for i = 1, w do
  local counter, expiries, amounts = KEYS[3 * i - 1], KEYS[3 * i], KEYS[3 * i + 1]
  local a = 7 + 3 * (i - 1)
  local ttl, limit, ask = ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  purge(counter, expiries, amounts, now)
  local t = redis.call('HMGET', counter, 'spent', 'held', 'leased')
  local new_counter = not (t[1] or t[2] or t[3])
  local spent, held, leased = tonumber(t[1] or '0'), tonumber(t[2] or '0'), tonumber(t[3] or '0')
  for _, hold in ipairs(own_holds) do
    local amount = redis.call('HGET', amounts, hold)
    if amount then
      redis.call('HINCRBY', counter, 'held', '-' .. amount)
      redis.call('HDEL', amounts, hold)
      redis.call('ZREM', expiries, hold)
      held = held - tonumber(amount)
    end
  end
  local current = tonumber(redis.call('HGET', amounts, lease) or '0')
  local take = 0
  if drawn > 0 and current > 0 then take = math.min(current, drawn) end
  if cost ~= 0 then
    redis.call('HINCRBY', counter, 'spent', int(cost))
    spent = spent + cost
  end
  local granted = 0
  if ask > 0 and share > 0 then
    local free = limit - spent - held - (leased - take)
    if free > 0 then granted = math.min(ask, math.floor(free / share)) end
  end
  local change = granted - take
  local lease_after = current + change
  if change ~= 0 then
    redis.call('HINCRBY', counter, 'leased', int(change))
    if lease_after > 0 then
      redis.call('HINCRBY', amounts, lease, int(change))
    else
      redis.call('HDEL', amounts, lease)
      redis.call('ZREM', expiries, lease)
    end
  end
  if lease_after > 0 then
    redis.call('ZADD', expiries, lease_expiry, lease)
    if current == 0 then
      expire(expiries, ttl)
      expire(amounts, ttl)
    end
  end
  if new_counter then expire(counter, ttl) end
  out[#out + 1] = granted
  out[#out + 1] = lease_after
end
redis.call('RPUSH', KEYS[1], unpack(records))
return out
`;

/**
 * KEYS: per budget (counter, expiries, amounts). ARGV: now, lease id, then per budget the
 * credit given back. Takes it off the lease (an idle instance's credit, or all of it when the
 * budgets changed). Reply: the number of budgets.
 */
export const RETURN_CREDIT_SCRIPT = `${PURGE_EXPIRED}
for i = 1, #KEYS / 3 do
  local counter, expiries, amounts = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  purge(counter, expiries, amounts, ARGV[1])
  shrink_lease(counter, expiries, amounts, ARGV[2], ARGV[2 + i])
end
return #KEYS / 3
`;

/** KEYS: per budget (counter, expiries, amounts). ARGV: now. Reply: flat {spent1, held1, leased1, spent2, ...}. */
export const STATUS_SCRIPT = `${PURGE_EXPIRED}
local out = {}
for i = 1, #KEYS / 3 do
  local counter, expiries, amounts = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  purge(counter, expiries, amounts, ARGV[1])
  local spent, held, leased = totals(counter)
  out[#out + 1] = spent
  out[#out + 1] = held
  out[#out + 1] = leased
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
