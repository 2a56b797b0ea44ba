-- Give an active job back to the front of pending without counting its run (`f`: its
-- state, token, att, cancel, rttl); one whose cancellation was requested ends cancelled.
local function giveBack(jobKey, id, f, active, levels, signal, events, cancelled, settings, eventsMax, now, defaultTTL)
  redis.call("ZREM", active, id)
  redis.call("HDEL", jobKey, "token", "cancel")
  if f[4] then
    redis.call("HSET", jobKey, "state", "cancelled", "ftime", now)
    finishKept(jobKey, cancelled, id, tonumber(now), tonumber(f[5]) or retention(settings, defaultTTL))
    freeJobUnique(jobKey, id)
    emit(events, eventsMax, "cancelled", id)
    return
  end
  redis.call("HSET", jobKey, "att", math.max(0, tonumber(f[3] or "1") - 1))
  redis.call("HDEL", jobKey, "prog", "pmsg")  -- waiting again: the next run reports its own
  makePending(levels, jobKey, id, true)
  wake(signal)
  emit(events, eventsMax, "released", id)
end
