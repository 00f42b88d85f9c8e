// The one Lua script of the shared store (see redis_engine.h for the calls). Its
// operations run atomically inside Redis and read Redis's clock (TIME), so every instance
// sees the same windows. The same rules as MemoryStore (core/resilience/src/memory_store.cpp).
#include "redis_engine.h"

namespace ploke::redis::detail {

const char* const kScript = R"lua(-- ploke:v1 shared-state script. ARGV[1] is the operation.
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local now_slot = math.floor(now_ms / 100)  -- 100 ms slots (resilience::kSlotMs)
local op = ARGV[1]

-- A window is a hash: slot fields (100 ms slot -> count), 't' (the sum of the counted
-- slots) and 'lo' (the oldest slot counted). Slots that left the window are subtracted and
-- deleted as 'lo' moves up, so an admission reads two fields, not every slot. `w`: the
-- window in slots.
local function window_used(key, oldest, w)
  local meta = redis.call('HMGET', key, 't', 'lo')
  local total, lo = tonumber(meta[1]) or 0, tonumber(meta[2])
  if lo == nil or lo >= oldest then return total end
  if lo + w < oldest then  -- idle for a whole window: every slot is out
    redis.call('DEL', key)
    return 0
  end
  if oldest - lo > 64 then  -- a long gap: one pass over the slots left
    local h = redis.call('HGETALL', key)
    total = 0
    for j = 1, #h, 2 do
      local s = tonumber(h[j])
      if s then
        if s < oldest then redis.call('HDEL', key, h[j]) else total = total + tonumber(h[j + 1]) end
      end
    end
  else
    for s = lo, oldest - 1 do
      local v = redis.call('HGET', key, s)
      if v then total = total - tonumber(v); redis.call('HDEL', key, s) end
    end
  end
  redis.call('HSET', key, 't', total, 'lo', oldest)
  return total
end

-- When the slots still counted free enough for `need` (refusals only: reads every slot).
local function window_wait(key, used, need, limit, w)
  local h = redis.call('HGETALL', key)
  local parts = {}
  for j = 1, #h, 2 do
    local s = tonumber(h[j])
    if s then parts[#parts + 1] = {s, tonumber(h[j + 1])} end
  end
  table.sort(parts, function(a, b) return a[1] < b[1] end)
  local freed = used
  for _, p in ipairs(parts) do
    freed = freed - p[2]
    if freed + need <= limit then return (p[1] + w + 1) * 100 - now_ms end
  end
  return w * 100
end

-- Counts `add` in the current slot of window `key` (`win`: the window in seconds). The
-- count is written as an integer's digits (Lua would write 1e17 as 1e+17, which Redis refuses).
local function count(key, add, win)
  add = string.format('%d', add)
  redis.call('HINCRBY', key, now_slot, add)
  redis.call('HINCRBY', key, 't', add)
  redis.call('HSETNX', key, 'lo', now_slot - win * 10)
  redis.call('EXPIRE', key, win + 2)
end

-- nil when limit i admits `need`, else the refusal {0, wait_ms, i, used, now_slot}.
local function refusal(i, kind, limit, win, tokens, slot_id)
  if limit <= 0 then return nil end
  if kind == 'c' then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now_ms)
    local n = redis.call('ZCARD', KEYS[i])
    if n + 1 <= limit or redis.call('ZSCORE', KEYS[i], slot_id) then return nil end
    local first = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    return {0, tonumber(first[2]) - now_ms, i, n, now_slot}
  end
  local need = 1
  if kind == 't' then need = tokens end
  local w = win * 10
  local used = window_used(KEYS[i], now_slot - w, w)
  if used + need <= limit then return nil end
  return {0, window_wait(KEYS[i], used, need, limit, w), i, used, now_slot}
end

if op == 'admit' then
  -- ARGV: 'admit', tokens, slot_id, slot_ttl_ms, then per key: kind (r|t|c), limit, window_s
  local tokens, slot_id, ttl = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
  for i = 1, #KEYS do
    local r = refusal(i, ARGV[2 + 3 * i], tonumber(ARGV[3 + 3 * i]), tonumber(ARGV[4 + 3 * i]), tokens, slot_id)
    if r then return r end
  end
  for i = 1, #KEYS do
    local kind, win = ARGV[2 + 3 * i], tonumber(ARGV[4 + 3 * i])
    if kind == 'c' then
      redis.call('ZADD', KEYS[i], now_ms + ttl, slot_id)
      redis.call('PEXPIRE', KEYS[i], ttl + 1000)
    elseif kind == 't' then
      count(KEYS[i], tokens, win)
    else
      count(KEYS[i], 1, win)
    end
  end
  return {1, 0, 0, 0, now_slot}
elseif op == 'lease' then
  -- A block of credit on window limits (all or none), counted like admissions. ARGV:
  -- 'lease', want_requests, want_tokens, need_tokens, instances, then per key: kind (r|t),
  -- limit, window_s. Grants min(want, max(need, left / (2 * instances))) of each kind.
  -- Reply {1, requests, tokens, 0, now_slot}, or a refusal as 'admit'.
  local grant, need = {r = tonumber(ARGV[2]), t = tonumber(ARGV[3])}, {r = 1, t = tonumber(ARGV[4])}
  local share = 2 * math.max(1, tonumber(ARGV[5]))
  for i = 1, #KEYS do
    local kind, limit, w = ARGV[3 + 3 * i], tonumber(ARGV[4 + 3 * i]), tonumber(ARGV[5 + 3 * i]) * 10
    if limit > 0 then
      local used = window_used(KEYS[i], now_slot - w, w)
      local n = need[kind]
      if used + n > limit then return {0, window_wait(KEYS[i], used, n, limit, w), i, used, now_slot} end
      grant[kind] = math.min(grant[kind], math.max(n, math.floor((limit - used) / share)))
    end
  end
  for i = 1, #KEYS do
    count(KEYS[i], grant[ARGV[3 + 3 * i]], tonumber(ARGV[5 + 3 * i]))
  end
  return {1, grant.r, grant.t, 0, now_slot}
elseif op == 'reconcile' then
  -- Several reservations (and lease leftovers) at once. ARGV: 'reconcile', n, then per
  -- reservation: nkeys, reserved, actual, slot, slot_id, unused_requests, the kind of each
  -- of its keys; KEYS: theirs, in order. A slot that left the window is left alone.
  local a, k = 3, 0
  for _ = 1, tonumber(ARGV[2]) do
    local nk = tonumber(ARGV[a])
    local delta = {t = tonumber(ARGV[a + 2]) - tonumber(ARGV[a + 1]), r = -tonumber(ARGV[a + 5])}
    local slot, slot_id = ARGV[a + 3], ARGV[a + 4]
    for j = 1, nk do
      local kind, key = ARGV[a + 5 + j], KEYS[k + j]
      if kind == 'c' then
        redis.call('ZREM', key, slot_id)
      elseif delta[kind] ~= 0 and redis.call('HEXISTS', key, slot) == 1 then
        redis.call('HINCRBY', key, slot, delta[kind])
        redis.call('HINCRBY', key, 't', delta[kind])
      end
    end
    a, k = a + 6 + nk, k + nk
  end
  return 1
elseif op == 'heartbeat' then
  -- KEYS[1]: the instances set; ARGV: 'heartbeat', instance, ttl_ms
  local ttl = tonumber(ARGV[3])
  redis.call('ZADD', KEYS[1], now_ms + ttl, ARGV[2])
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
  redis.call('PEXPIRE', KEYS[1], ttl * 2)
  return redis.call('ZCARD', KEYS[1])
elseif op == 'trial' then
  -- KEYS[1]: the endpoint's trial key; ARGV: 'trial', instance, ttl_ms. 1 for the holder.
  local holder = redis.call('GET', KEYS[1])
  if holder == ARGV[2] then return 1 end
  if holder then return 0 end
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
elseif op == 'breaker' then
  -- KEYS[1]: the endpoint's state key; ARGV: 'breaker', state, ttl_ms, channel, message
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  redis.call('PUBLISH', ARGV[4], ARGV[5])
  return 1
end
return redis.error_reply('ploke:v1 script: unknown operation ' .. tostring(op))
)lua";

}  // namespace ploke::redis::detail
