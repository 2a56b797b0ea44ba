"""Where Redis's time per job goes in a drain: the claim and complete scripts as Offload
ships them (read from the .lua files under Sources/Offload/Scripts), run on a throwaway
redis-server with nothing else on the cores, then again with one part taken out at a time.

    .venv-peers/bin/python scripts/bench/redis_parts.py [--jobs 100000] [--batch 256] [--runs 2]

(`make bench` creates .venv-peers.) 100,000 no-op jobs are enqueued through the real
`enqueue` script, then claimed `--batch` per call and completed `--batch` per call, as two
draining workers do. The figure is Redis's own time in EVALSHA (INFO commandstats) per job,
so the client's speed does not count. A variant that takes a part out is a measurement
only: the scripts without it would lose a guarantee (see docs/benchmarks.md).
"""
import argparse
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "Sources/Offload/Scripts"
TOKEN = "token-0123456789abcdef"


def folder(name):
    """`extend-leases` → `ExtendLeases`, the script's folder."""
    return "".join(part.capitalize() for part in name.split("-"))


def lua(name):
    """The Lua text of one script, e.g. `Sources/Offload/Scripts/Claim/claim.lua`."""
    return (SCRIPTS / folder(name) / f"{name}.lua").read_text().rstrip("\n")


def library(name):
    """The shared Lua script `name` ships with: the pieces its Swift type lists (`using:`),
    in the order `LuaLibrary` includes them (none of these scripts uses a piece that needs
    another)."""
    kebab = lambda case: re.sub(r"([A-Z])", lambda m: "-" + m.group(1).lower(), case)
    order = [kebab(case) for case in re.findall(r"^    case (\w+)$", (SCRIPTS / "Library/LuaLibrary.swift").read_text(), re.M)]
    swift = (SCRIPTS / folder(name) / f"{folder(name)}Script.swift").read_text()
    used = {kebab(case) for case in re.findall(r"\.(\w+)", re.search(r"using: \[([^\]]*)\]", swift).group(1))}
    if "give-back" in used or not used <= set(order):
        raise SystemExit(f"{name}: library pieces {sorted(used)} are not what this bench composes")
    return "\n".join((SCRIPTS / "Library" / f"{piece}.lua").read_text().rstrip("\n") for piece in order if piece in used)


def without(name, *cuts):
    """Script `name` with each text in `cuts` removed; each must be there once."""
    text = lua(name)
    for cut in cuts:
        if text.count(cut) != 1:
            raise SystemExit(f"{name}: the text to take out is not there once: {cut!r}")
        text = text.replace(cut, "")
    return text


# The floor: what keeping each job's state in its hash costs, with nothing else (no lease,
# retention, statistics or events): the ids popped, and per job the HMGET and HSET of the
# claim and of the complete, with the replies the real scripts give.
STATE_ONLY_CLAIM = """
local out = {-1}
for _, id in ipairs(popPending(KEYS[1], tonumber(ARGV[2]))) do
  local key = ARGV[6] .. id
  local f = redis.call("HMGET", key, "type", "payload", "att", "max", "tmo", "lease", "state")
  redis.call("HSET", key, "state", "active", "att", "1", "token", ARGV[3], "worker", ARGV[4], "stime", ARGV[1])
  local n = #out
  out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5], out[n + 6], out[n + 7] = id, f[1], f[2], 1, f[4] or "1", f[5] or "0", 30000
end
return out
"""
STATE_ONLY_COMPLETE = """
local out = {}
for i = 6, #ARGV, 3 do
  local key = ARGV[5] .. ARGV[i]
  local f = redis.call("HMGET", key, "state", "token", "rttl", "type", "stime", "cancel")
  if f[1] == "active" and f[2] == ARGV[i + 1] then
    redis.call("HSET", key, "state", "completed", "result", ARGV[i + 2], "ftime", ARGV[1], "token", "")
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
"""

# The same floor with the run's lease fields (token, start, attempt) kept in one hash per
# queue, written by one HSET per claim and checked by one HMGET per complete, instead of in
# each job's hash: the data-model change that would save a redis.call per job each side.
RUNS_KEY = "offload:{default}:runs"
STATE_IN_QUEUE_HASH_CLAIM = """
local out, runs = {-1}, {}
for _, id in ipairs(popPending(KEYS[1], tonumber(ARGV[2]))) do
  local f = redis.call("HMGET", ARGV[6] .. id, "type", "payload", "att", "max", "tmo", "lease", "state")
  runs[#runs + 1], runs[#runs + 2] = id, ARGV[3] .. " " .. ARGV[1] .. " 1 " .. ARGV[4]
  local n = #out
  out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5], out[n + 6], out[n + 7] = id, f[1], f[2], 1, f[4] or "1", f[5] or "0", 30000
end
if #runs > 0 then redis.call("HSET", "%s", unpack(runs)) end
return out
""" % RUNS_KEY
STATE_IN_QUEUE_HASH_COMPLETE = """
local ids = {}
for i = 6, #ARGV, 3 do ids[#ids + 1] = ARGV[i] end
local runs = redis.call("HMGET", "%s", unpack(ids))
local out = {}
for n, id in ipairs(ids) do
  local i = 6 + 3 * (n - 1)
  local run = runs[n]
  if run and run:sub(1, #ARGV[i + 1]) == ARGV[i + 1] then
    local _, stime, attempt, worker = run:match("^(%%S+) (%%S+) (%%S+) (%%S+)$")
    redis.call("HSET", ARGV[5] .. id, "state", "completed", "result", ARGV[i + 2], "ftime", ARGV[1],
      "att", attempt, "stime", stime, "worker", worker)
    out[n] = 1
  else
    out[n] = 0
  end
end
redis.call("HDEL", "%s", unpack(ids))
return out
""" % (RUNS_KEY, RUNS_KEY)

VARIANTS = [
    ("the scripts as they are", lambda: (lua("claim"), lua("complete"))),
    ("without the lease: claim's ZADD into the active set, complete's ZREM from it",
     lambda: (without("claim", 'if #leases > 0 then redis.call("ZADD", KEYS[3], unpack(leases)) end'),
              without("complete", 'redis.call("ZREM", KEYS[1], unpack(ended))'))),
    ("without retention: complete's ZADD into the completed set",
     lambda: (lua("claim"), without("complete", 'redis.call("ZADD", KEYS[2], unpack(kept))'))),
    ("without the run statistics (complete's tally per job)",
     lambda: (lua("claim"), without("complete", 'tallyRun(tally, f[4], f[5], now, "processed")'))),
    ("without the `started` and `completed` stream entries",
     lambda: (without("claim", 'emitBatch(KEYS[6], ARGV[7], "started", started, "attempts", table.concat(attempts, " "))'),
              without("complete", 'emitBatch(KEYS[3], ARGV[3], "completed", ended)'))),
    ("only each job's state: per job the HMGET and HSET of claim and of complete", lambda: (STATE_ONLY_CLAIM, STATE_ONLY_COMPLETE)),
    ("only each job's state, the run's lease fields in one hash per queue (one HSET, HMGET, HDEL per call)",
     lambda: (STATE_IN_QUEUE_HASH_CLAIM, STATE_IN_QUEUE_HASH_COMPLETE)),
]


class Server:
    """A throwaway redis-server on a free loopback port."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory()
        port = int(subprocess.check_output([str(ROOT / "scripts/free-port.sh")], text=True))
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir.name, "--loglevel", "warning"], stdout=subprocess.DEVNULL)
        self.client = redis.Redis(port=port)
        for _ in range(100):
            try:
                self.client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise SystemExit("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait()
        self.dir.cleanup()


def drain(r, claim_text, complete_text, jobs, batch):
    """Redis's µs per job in the claim and complete scripts, and per command they ran."""
    enqueue = r.register_script(library("enqueue") + "\n" + lua("enqueue"))
    claim = r.register_script(library("claim") + "\n" + claim_text)
    complete = r.register_script(library("complete") + "\n" + complete_text)
    r.flushall()
    queue = "offload:{default}:"
    pending, scheduled, active, signal = (queue + k for k in ("pending", "scheduled", "active", "signal"))
    paused, events, completed, settings = (queue + k for k in ("paused", "events", "completed", "settings"))
    job_prefix, stats_prefix = queue + "job:", queue + "stats:"
    now = int(time.time() * 1000)
    for start in range(0, jobs, batch):
        keys, argv = [pending, scheduled, signal, events, settings], [now, 10000, 86400]
        for i in range(start, min(jobs, start + batch)):
            job_id = "01KB%022d" % i  # ULID-shaped
            keys += [job_prefix + job_id] * 2  # no idempotency key
            argv += [job_id, "test.noop", "{}", 0, 0, 1, 0]
        enqueue(keys=keys, args=argv)
    r.config_resetstat()
    done = 0
    while True:
        reply = claim(keys=[pending, scheduled, active, signal, paused, events], args=[now, batch, TOKEN, "worker-1", 30000, job_prefix, 10000])
        if len(reply) == 1:
            break
        argv = [now + 1, 86400, 10000, stats_prefix, job_prefix]
        for i in range(1, len(reply), 7):
            argv += [reply[i], TOKEN, "{}"]
        stored = complete(keys=[active, completed, events, settings], args=argv)
        done += sum(stored)
        now += 2
    if done != jobs:
        raise SystemExit(f"completed {done} of {jobs} jobs")
    stats = r.info("commandstats")
    per_command = {name[len("cmdstat_"):]: value["usec"] / jobs for name, value in stats.items()
                   if name != "cmdstat_evalsha" and value["usec"] / jobs >= 0.05}
    return stats["cmdstat_evalsha"]["usec"] / jobs, per_command


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    server = Server()
    try:
        figures = {name: [] for name, _ in VARIANTS}
        details = {}
        for _ in range(args.runs):  # variants take turns, so drift spreads over all
            for name, texts in VARIANTS:
                per_job, per_command = drain(server.client, *texts(), args.jobs, args.batch)
                figures[name].append(per_job)
                details.setdefault(name, per_command)
    finally:
        server.stop()
    base = statistics.median(figures[VARIANTS[0][0]])
    print(f"{args.jobs:,} jobs, {args.batch} per claim and per complete call, {args.runs} runs; "
          f"Redis µs per job in the two scripts (min–max), and what taking the part out saved (medians).\n")
    print("| scripts | Redis µs per job | saved |")
    print("|---|---:|---:|")
    for name, _ in VARIANTS:
        values = figures[name]
        saved = "" if name == VARIANTS[0][0] else f"{base - statistics.median(values):.2f}"
        print(f"| {name} | {min(values):.2f}–{max(values):.2f} | {saved} |")
    print("\nCommands the scripts as they are ran, µs of Redis time per job: " +
          ", ".join(f"{k} {v:.2f}" for k, v in sorted(details[VARIANTS[0][0]].items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
