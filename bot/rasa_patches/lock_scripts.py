"""The Lua scripts of `AtomicRedisLockStore` (lock_store.py): every change of a lock, each run atomically by Redis.

Three keys per conversation: `next` (the ticket counter), `queue` (a sorted set of the live tickets) and
`lease` (a hash of ticket -> lease end, on Redis's own clock); `issued` is one request's own key. The store
registers each script once per event loop and runs them with `EVALSHA`.
"""

# Redis's own clock in milliseconds, so that leases do not depend on the replicas' clocks.
_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# Keeps the three keys alive while any ticket is; they vanish by themselves after every owner died.
_KEEP = """
local function keep(lease_ms)
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], 2 * lease_ms + 1000) end
end
"""

# KEYS: next, queue, lease, issued (this request's own key). ARGV: lease in ms. Returns the new ticket, or the
# ticket already issued to this request: a call retried after a lost reply must not take a second place in the
# queue (that place would never be served or renewed, and would hold the conversation up for a whole lease).
ISSUE = (
    _NOW
    + """
local issued = redis.call('GET', KEYS[4])
if issued then return tonumber(issued) end
local lease_ms = tonumber(ARGV[1])
local ticket = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], ticket, ticket)
redis.call('HSET', KEYS[3], ticket, now + lease_ms)
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], 2 * lease_ms + 1000) end
redis.call('SET', KEYS[4], ticket, 'PX', lease_ms)
return ticket
"""
)

# KEYS: next, queue, lease. ARGV: ticket, lease in ms. Renews the ticket's lease and drops lapsed tickets
# ahead of it. Returns how many tickets are ahead (0: this one is served), or -1 when it has lapsed.
TRY_ACQUIRE = (
    _NOW
    + _KEEP
    + """
local ticket, lease_ms = ARGV[1], tonumber(ARGV[2])
local lease = redis.call('HGET', KEYS[3], ticket)
if (not lease) or tonumber(lease) < now then
  redis.call('ZREM', KEYS[2], ticket)
  redis.call('HDEL', KEYS[3], ticket)
  return -1
end
redis.call('HSET', KEYS[3], ticket, now + lease_ms)
keep(lease_ms)
while true do
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if not head then return -1 end
  if head == ticket then return 0 end
  local head_lease = redis.call('HGET', KEYS[3], head)
  if head_lease and tonumber(head_lease) >= now then return redis.call('ZRANK', KEYS[2], ticket) end
  redis.call('ZREM', KEYS[2], head)
  redis.call('HDEL', KEYS[3], head)
end
"""
)

# KEYS: next, queue, lease, issued. ARGV: ticket. Removes the ticket and its request's key; the last one out
# removes the lock, counter included, in the same step, so no ticket can be issued into a lock being deleted.
RELEASE = """
redis.call('DEL', KEYS[4])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
end
return 1
"""
