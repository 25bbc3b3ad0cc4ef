/**
 * @module sliding-window-scripts
 * The Lua script behind the limiter. Each counter is one Redis hash {w: window index,
 * c: count in window w, p: count in window w-1}; the sliding estimate is
 * `p * (share of the previous window still inside the sliding window) + c`. Time is Redis's
 * own clock (TIME), so gateway instances with skewed clocks still agree on the windows.
 *
 * Written for Redis and for the embedded store's Lua (the kernel's embedded-lua.ts, which has
 * no cjson): integers only in the reply (Redis truncates floats), and one HMGET per counter
 * rather than an HGET per field, since every command is a call out of the Lua VM.
 *
 * CHECK_AND_COUNT may count more than a request costs: a grant of units the calling instance
 * then spends from memory (see its comment and local-grants.ts).
 */

const READ_COUNTER = `
local function read_counter(key, idx)
  local v = redis.call('HMGET', key, 'w', 'c', 'p')
  local w = tonumber(v[1] or -1)
  if w == idx then
    return tonumber(v[2] or 0), tonumber(v[3] or 0)
  elseif w == idx - 1 then
    return 0, tonumber(v[2] or 0)
  end
  return 0, 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function add_to(key, win, amount)
  local idx = math.floor(now / win)
  local c, p = read_counter(key, idx)
  redis.call('HSET', key, 'w', idx, 'c', c + amount, 'p', p)
  redis.call('PEXPIRE', key, win * 2)
end
`;

/**
 * KEYS: one counter per check, then the counters of tokens carried along. ARGV: the number of
 * checks n, the grant share, then per check `limit, windowMs, cost, ask` (cost 0: only require
 * that something is left, as for token limits before the tokens are known), then per carried
 * counter `windowMs, amount`. The carried tokens (used by earlier requests, see the limiter)
 * are added first, unconditionally, so the checks see them.
 * All or nothing: the checks' counts are added only when every check passes.
 *
 * A grant: when the request passes, a check with cost > 0 also counts up to `ask` extra units,
 * at most 1/share of what is left after this request (a check with cost 0 and an ask is a
 * top-up asked ahead: it counts only the grant), so that the instance can admit that many
 * more requests on this counter from memory (see local-grants.ts). They are counted now, in
 * the current window, so the estimate never falls below what is really used; the instance
 * must use them before this window ends (after it, a unit counted now weighs less than one).
 * Near the limit the grant rounds down to 0 and every request comes here, as without grants.
 *
 * Reply: {allowed, then per check: remaining, resetMs, retryMs, granted, windowLeftMs}, where
 * remaining is what is left after counting cost + granted, and windowLeftMs the time until this
 * counter's current fixed window ends, by Redis's clock.
 */
export const CHECK_AND_COUNT = `${READ_COUNTER}
local n = tonumber(ARGV[1])
local share = tonumber(ARGV[2])
for i = n + 1, #KEYS do
  local j = 2 + n * 4 + (i - n - 1) * 2
  add_to(KEYS[i], tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2]))
end
local allowed = 1
local st = {}
for i = 1, n do
  local j = 2 + (i - 1) * 4
  local limit = tonumber(ARGV[j + 1])
  local win = tonumber(ARGV[j + 2])
  local cost = tonumber(ARGV[j + 3])
  local ask = tonumber(ARGV[j + 4])
  local idx = math.floor(now / win)
  local elapsed = now - idx * win
  local c, p = read_counter(KEYS[i], idx)
  local need = cost
  if need < 1 then need = 1 end
  local est = p * (win - elapsed) / win + c
  local retry = 0
  if est + need > limit then
    allowed = 0
    if limit < need then
      retry = (win - elapsed) + win
    elseif c + need > limit then
      retry = (win - elapsed) + math.ceil(win * (1 - (limit - need) / c))
    else
      retry = math.ceil(win * (1 - (limit - need - c) / p)) - elapsed
    end
    if retry < 1 then retry = 1 end
  end
  st[i] = {limit, win, cost, ask, idx, elapsed, c, p, est, retry}
end
local vals = {allowed}
for i = 1, n do
  local s = st[i]
  local limit, win, cost, ask, idx, elapsed, c, p, est, retry = s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10]
  local granted = 0
  if allowed == 1 and (cost > 0 or ask > 0) then
    if ask > 0 and share > 0 then
      granted = math.floor((limit - est - cost) / share)
      if granted > ask then granted = ask end
      if granted < 0 then granted = 0 end
    end
    c = c + cost + granted
    est = est + cost + granted
    redis.call('HSET', KEYS[i], 'w', idx, 'c', c, 'p', p)
    redis.call('PEXPIRE', KEYS[i], win * 2)
  end
  local remaining = math.floor(limit - est)
  if remaining < 0 then remaining = 0 end
  local reset = 0
  if c > 0 then reset = (win - elapsed) + win elseif p > 0 then reset = win - elapsed end
  vals[#vals + 1] = remaining
  vals[#vals + 1] = reset
  vals[#vals + 1] = retry
  vals[#vals + 1] = granted
  vals[#vals + 1] = win - elapsed
end
return vals
`;
