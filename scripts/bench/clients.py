"""The measuring side of `make bench` (scripts/bench/run.sh), run with .venv-peers/bin/python.

Every subcommand prints one JSON object; with `--record FILE` it is also appended to FILE
as one line, merged with the `--tag key=value` pairs (step, system, run, ...), for
scripts/bench/report.py. SYSTEM is offload, celery or sidekiq; the systems are reached as
their own clients reach them: Offload over its HTTP API, Celery through `apply_async` or its
FastAPI app, Sidekiq through `Sidekiq::Client` (scripts/peers/sidekiq_app/client.rb, driven
over a pipe). All times are CLOCK_REALTIME seconds when they cross processes.

  wrk URL [--body JSON] --duration D           wrk -t1 -c32 --latency: requests/s, p50, p99
  submit SYSTEM --jobs N [--payload-bytes B]   bulk-submit N no-op jobs: seconds
  drain SYSTEM --jobs N [--cpu-of FILE]        waits until N jobs are processed: jobs/s (and CPU µs per job)
  cpu SYSTEM --jobs J --target-ms T            CPU efficiency: J prime-count jobs against the ideal
  cpu SYSTEM --pace URL --seconds S            or: /healthz at a fixed rate while the workers are busy
  inline URL --seconds S                       the same against FastAPI's async prime-count endpoint
  pickup SYSTEM --jobs N                       submit → handler start, one job at a time
  memory SYSTEM --jobs N --payload-bytes B     Redis used_memory per pending job
  fill --pending P                             tops Offload's default queue up to P pending jobs
  stats-time OFFLOAD_BINARY --times K          wall time of `offload stats`
  rss [--once] PID...                          resident memory of the processes and their children
  facts                                        the machine and the versions
"""
import argparse
import asyncio
import http.client
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import datetime
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[2]
PEERS = ROOT / "scripts" / "peers"


def percentiles(values, scale=1.0):
    """Nearest-rank p50, p90, p99 and max of `values`, times `scale`."""
    ordered = sorted(values)
    rank = lambda p: ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * scale
    return {"n": len(ordered), "p50": rank(50), "p90": rank(90), "p99": rank(99), "max": ordered[-1] * scale}


def padding(payload_bytes):
    """A JSON object of exactly `payload_bytes` bytes when serialised compactly: {"pad":"xx…"}."""
    return {"pad": "x" * (payload_bytes - 10)} if payload_bytes > 0 else None


class HTTP:
    """One keep-alive connection, JSON in and out."""

    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)

    def call(self, method, path, body=None):
        data = json.dumps(body, separators=(",", ":")).encode() if body is not None else None
        self.connection.request(method, path, body=data, headers={"Content-Type": "application/json"})
        response = self.connection.getresponse()
        payload = response.read()
        if response.status >= 300:
            sys.exit(f"{method} {path}: HTTP {response.status} {payload[:200]!r}")
        return json.loads(payload)


# --- the systems ------------------------------------------------------------------------------

class Offload:
    """Offload through its HTTP API; the handler times come from the job records."""

    def __init__(self, args):
        self.http = HTTP(args.api)
        self.redis = redis.Redis.from_url(args.redis_url)
        self.ids = []

    def batch(self, jobs):
        ids = []
        for start in range(0, len(jobs), 1000):
            ids += [job["id"] for job in self.http.call("POST", "/v1/jobs/batch", {"jobs": jobs[start:start + 1000]})["jobs"]]
        return ids

    def submit_noop(self, n, payload_bytes):
        job = {"type": "test.noop"}
        if payload_bytes:
            job["payload"] = padding(payload_bytes)
        t0 = time.monotonic()
        self.batch([job] * n)
        return time.monotonic() - t0

    def processed(self, n):
        return self.redis.zcard("offload:{default}:completed")

    def submit_primes(self, below, count):
        t0 = time.time()
        self.ids = self.batch([{"type": "count-primes", "payload": {"below": below}}] * count)
        return t0

    def pending(self):
        # One list per priority level in use (see OffloadKeys).
        levels = self.redis.zrange("offload:{default}:pending", 0, -1)
        return sum(self.redis.llen(b"offload:{default}:pending:" + level) for level in levels)

    def primes_times(self, count):
        # Jobs start in FIFO order: wait on the last one first, so the client stays idle.
        self.wait(self.ids[-1])
        return [(seconds(job["started_at"]), seconds(job["finished_at"])) for job in map(self.wait, self.ids)]

    def wait(self, job_id):
        while True:
            job = self.http.call("GET", f"/v1/jobs/{job_id}?wait=60")
            if job["state"] in ("completed", "dead", "cancelled"):
                assert job["state"] == "completed", job
                return job

    def started_at(self):
        t0 = time.time()
        job = self.http.call("POST", "/v1/jobs", {"type": "test.started-at"})
        return self.wait(job["id"])["result"]["started_at_us"] / 1e6 - t0


def seconds(iso):
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class TimesFromRedis:
    """Celery and Sidekiq store no results here: their jobs push their own timestamps."""

    def primes_times(self, count):
        times = []
        for _ in range(count):
            _, item = self.redis.blpop("bench:times", timeout=300)
            start, end = item.split()
            times.append((float(start), float(end)))
        return times

    def handler_start(self):
        _, item = self.redis.blpop("bench:started", timeout=60)
        return float(item)


class Celery(TimesFromRedis):
    def __init__(self, args):
        os.environ["REDIS_URL"] = args.redis_url
        sys.path.insert(0, str(PEERS))
        from celery_app import tasks  # reads REDIS_URL
        self.tasks = tasks
        self.redis = redis.Redis.from_url(args.redis_url)
        self.http = HTTP(args.api) if args.api else None

    def submit_noop(self, n, payload_bytes):
        payload = [padding(payload_bytes)] if payload_bytes else []
        t0 = time.monotonic()
        with self.tasks.app.producer_or_acquire() as producer:
            for _ in range(n):
                self.tasks.noop.apply_async(payload, producer=producer)
        return time.monotonic() - t0

    def processed(self, n):  # early acks: a message leaves `unacked` when its task starts
        return n - self.redis.llen("celery") - self.redis.hlen("unacked")

    def submit_primes(self, below, count):
        t0 = time.time()
        with self.tasks.app.producer_or_acquire() as producer:
            for _ in range(count):
                self.tasks.count_primes.apply_async((below,), producer=producer)
        return t0

    def pending(self):
        return self.redis.llen("celery")

    def started_at(self):  # through the FastAPI app, as the article's clients submit
        t0 = time.time()
        self.http.call("POST", "/jobs", {"type": "started_at"})
        return self.handler_start() - t0


class Sidekiq(TimesFromRedis):
    def __init__(self, args):
        self.redis = redis.Redis.from_url(args.redis_url)
        self.ruby = subprocess.Popen(["ruby", str(PEERS / "sidekiq_app" / "client.rb")], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env={**os.environ, "REDIS_URL": args.redis_url})

    def ask(self, line):
        self.ruby.stdin.write(line + "\n")
        self.ruby.stdin.flush()
        answer = self.ruby.stdout.readline()
        if not answer:
            sys.exit(f"sidekiq client: no answer to {line!r}")
        return float(answer)

    def submit_noop(self, n, payload_bytes):
        return self.ask(f"noop {n} {payload_bytes}")

    def processed(self, n):  # basic fetch: BRPOP takes the job off the list when it starts
        return n - self.redis.llen("queue:default")

    def submit_primes(self, below, count):
        return self.ask(f"primes {below} {count}")

    def pending(self):
        return self.redis.llen("queue:default")

    def started_at(self):
        t0 = self.ask("started_at")
        return self.handler_start() - t0


SYSTEMS = {"offload": Offload, "celery": Celery, "sidekiq": Sidekiq}
# First guesses for a prime-count size near the target time; calibration does the rest.
FIRST_BELOW = {"offload": 10_000_000, "celery": 3_000_000, "sidekiq": 300_000}


# --- (a) wrk ----------------------------------------------------------------------------------

def to_ms(text):
    for suffix, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def run_wrk(args):
    command = ["wrk", "-t1", "-c32", f"-d{args.duration}", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if args.body:
            script.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(args.body)}\n'
                         'wrk.headers["Content-Type"] = "application/json"\n')
            script.flush()
            command += ["-s", script.name]
        output = subprocess.run(command + [args.url], capture_output=True, text=True, check=True, timeout=300).stdout
    result = {"non2xx": 0}
    for line in output.splitlines():
        fields = line.split()
        if line.startswith("Requests/sec"):
            result["rps"] = float(fields[1])
        elif fields[:1] == ["50%"]:
            result["p50_ms"] = to_ms(fields[1])
        elif fields[:1] == ["99%"]:
            result["p99_ms"] = to_ms(fields[1])
        elif "Non-2xx" in line:
            result["non2xx"] = int(fields[-1])
    return result


# --- (b) submit and drain ---------------------------------------------------------------------

def run_submit(args):
    return {"jobs": args.jobs, "seconds": SYSTEMS[args.system](args).submit_noop(args.jobs, args.payload_bytes)}


def run_drain(args):
    """Processed jobs/s, timed from the first processed job seen to the last, so a worker's
    start-up is not counted. Polls Redis every 10 ms. With --cpu-of FILE (the worker
    processes' pids, written once they are started), also the CPU time Redis and the worker
    processes (with their children) spent per job, from the first poll that finds jobs
    processed and the file there to the last job, so start-up is not counted there either."""
    system, n = SYSTEMS[args.system](args), args.jobs
    redis_pid = redis.Redis.from_url(args.redis_url).info("server")["process_id"] if args.cpu_of else None
    deadline = time.monotonic() + 300
    first, last_zero, cpu_from = None, time.monotonic(), None
    while time.monotonic() < deadline:
        done, now = system.processed(n), time.monotonic()
        if args.ready:
            Path(args.ready).touch()
        if done == 0:
            last_zero = now
        elif first is None:
            first = (now, done)
        if done and cpu_from is None and args.cpu_of and Path(args.cpu_of).exists():
            worker_pids = [int(pid) for pid in Path(args.cpu_of).read_text().split()]
            cpu_from = (done, cpu_seconds([redis_pid]), cpu_seconds(worker_pids))
        if done >= n:
            if first[1] >= n:  # all done within one poll: time it from the last poll that saw none
                first = (last_zero, 0)
            result = {"jobs": n, "rate": (n - first[1]) / max(now - first[0], 1e-9)}
            if cpu_from and n - cpu_from[0] >= n / 2:  # a window too short says little
                jobs = n - cpu_from[0]
                result["cpu_jobs"] = jobs
                result["redis_cpu_us"] = (cpu_seconds([redis_pid]) - cpu_from[1]) * 1e6 / jobs
                result["workers_cpu_us"] = (cpu_seconds(worker_pids) - cpu_from[2]) * 1e6 / jobs
            return result
        time.sleep(0.01)
    sys.exit(f"drain: {args.system} processed {system.processed(n)} of {n} in 300 s")


# --- (c) and (d) CPU ---------------------------------------------------------------------------

def single_ms(system, below):
    system.submit_primes(below, 1)
    (start, end), = system.primes_times(1)
    return (end - start) * 1000


def calibrate(system, first_below, target_ms, rounds, measure=single_ms):
    """A size whose job takes about target_ms: time is close to linear in `below`."""
    below = first_below
    for _ in range(rounds):
        took = statistics.median(measure(system, below) for _ in range(3))
        below = max(10_000, int(below * target_ms / max(took, 0.5)))
        if abs(took - target_ms) < 0.05 * target_ms:
            break
    return below


def run_cpu(args):
    system = SYSTEMS[args.system](args)
    below = calibrate(system, FIRST_BELOW[args.system], args.target_ms, args.rounds)
    if args.pace:
        single = statistics.median(single_ms(system, below) for _ in range(args.singles))
        return {"below": below, "single_ms": single,
                **pace_under_load(args, lambda: system.submit_primes(below, jobs_for(args, single)), system.pending)}
    # The single-job time is taken half before and half after the parallel run: this
    # shared machine's speed drifts by a few per cent over a minute, and timing singles
    # on both sides keeps that drift out of the ratio.
    before = [single_ms(system, below) for _ in range((args.singles + 1) // 2)]
    t0 = system.submit_primes(below, args.jobs)
    times = system.primes_times(args.jobs)
    after = [single_ms(system, below) for _ in range(args.singles // 2)]
    single = statistics.median(before + after)
    result = {"below": below, "single_ms": single, "single_before_ms": statistics.median(before),
              "single_after_ms": statistics.median(after) if after else None}
    wall = (max(end for _, end in times) - t0) * 1000
    durations = [(end - start) * 1000 for start, end in times]
    ideal = args.jobs * single / 2
    # Job time in parallel against alone tells CPU contention (caches, the API and Redis on
    # the same cores) from time lost between jobs, which is what the slots' idle share is.
    return {**result, "jobs": args.jobs, "parallel_job_ms": statistics.median(durations), "wall_ms": wall,
            "ideal_ms": ideal, "efficiency": ideal / wall, "busy_share": sum(durations) / 2 / wall}


def jobs_for(args, single):
    """Enough jobs to keep 2 workers busy through the paced phase, with a margin."""
    return math.ceil((args.seconds + 5) * 2 * 1000 / single)


def pace_under_load(args, start_load, still_loaded):
    """/healthz at args.rate for args.idle_seconds on an idle system, then again for
    args.seconds once start_load() has made it busy; still_loaded() > 0 at the end proves
    the load lasted the whole phase."""
    url = urllib.parse.urlsplit(args.pace)
    idle = asyncio.run(pace(url, args.rate, args.idle_seconds))
    start_load()
    time.sleep(1)  # the workers (or the loaders) get going
    loaded = asyncio.run(pace(url, args.rate, args.seconds))
    left = still_loaded()
    return {"rate": args.rate, "idle": idle, "load": loaded, "left_at_end": left}


class Connection:
    """HTTP/1.1 GET over asyncio streams, keep-alive, Content-Length bodies."""

    def __init__(self, reader, writer, host):
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, url):
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        return cls(reader, writer, url.netloc)

    async def get(self, path):
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
        body = await self.reader.readexactly(length)
        return int(lines[0].split()[1]), body


async def pace(url, rate, duration):
    """GET url.path at a fixed `rate` for `duration` seconds, each request sent on schedule
    on an idle keep-alive connection (a new one when all are busy), so a slow answer never
    delays the next request. Latency runs from the send to the whole answer read."""
    idle = [await Connection.open(url) for _ in range(4)]
    latencies, failures = [], 0

    async def one():
        nonlocal failures
        sent = time.perf_counter()
        for attempt in (1, 2):
            try:
                connection = idle.pop() if idle and attempt == 1 else await Connection.open(url)
                status, _ = await connection.get(url.path or "/")
            except (OSError, asyncio.IncompleteReadError):
                # A keep-alive connection the server closed (uvicorn does after 5 s idle,
                # which a blocked event loop makes likely): once more on a new one.
                continue
            latencies.append(time.perf_counter() - sent)
            failures += status != 200
            idle.append(connection)
            return
        failures += 1

    loop = asyncio.get_running_loop()
    start, tasks = loop.time() + 0.05, []
    for i in range(int(rate * duration)):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    for connection in idle:
        connection.writer.close()
    return {**percentiles(latencies, 1000), "failures": failures}


def run_inline(args):
    """The anti-pattern: the prime count inside FastAPI's `async def` handler. Two loaders call
    it back to back (as the two workers run jobs back to back in the other rows) while
    /healthz is paced the same way."""
    api = urllib.parse.urlsplit(args.api)
    inline_ms = lambda _, below: HTTP(args.api).call("GET", f"/primes-inline?below={below}")["ms"]
    below = calibrate(None, FIRST_BELOW["celery"], args.target_ms, args.rounds, measure=inline_ms)
    single = statistics.median(inline_ms(None, below) for _ in range(args.singles))
    calls, stop = [0], [False]

    async def loader():
        connection = await Connection.open(api)
        while not stop[0]:
            await connection.get(f"/primes-inline?below={below}")
            calls[0] += 1

    async def paced():
        loaders = [asyncio.create_task(loader()) for _ in range(2)]
        await asyncio.sleep(1)
        result = await pace(urllib.parse.urlsplit(args.pace), args.rate, args.seconds)
        stop[0] = True
        await asyncio.gather(*loaders)
        return result

    idle = asyncio.run(pace(urllib.parse.urlsplit(args.pace), args.rate, args.idle_seconds))
    loaded = asyncio.run(paced())
    return {"below": below, "single_ms": single, "rate": args.rate, "idle": idle, "load": loaded,
            "inline_calls": calls[0]}


# --- (e) pickup ---------------------------------------------------------------------------------

def run_pickup(args):
    """Submit → handler start, one job at a time: the next one 2 ms after the previous one
    started, so the workers are waiting again. 20 warm-up jobs are not counted."""
    system = SYSTEMS[args.system](args)
    latencies = []
    for i in range(args.jobs + 20):
        latency = system.started_at()
        if i >= 20:
            latencies.append(latency)
        time.sleep(0.002)
    return percentiles(latencies, 1e6)  # µs


# --- (f) memory ---------------------------------------------------------------------------------

def run_memory(args):
    """used_memory before and after N pending jobs with a payload of B bytes (one job is
    submitted first, so that scripts, keys and connections exist before the first reading)."""
    system = SYSTEMS[args.system](args)
    r = redis.Redis.from_url(args.redis_url)
    system.submit_noop(1, args.payload_bytes)
    time.sleep(0.2)
    before = r.info("memory")["used_memory"]
    system.submit_noop(args.jobs, args.payload_bytes)
    time.sleep(0.2)
    after = r.info("memory")["used_memory"]
    per_job = (after - before) / args.jobs
    return {"jobs": args.jobs, "payload_bytes": args.payload_bytes, "bytes_per_job": per_job,
            "overhead_per_job": per_job - args.payload_bytes}


def process_tree(pids):
    """`pids` and all their descendants."""
    wanted, parents = set(pids), {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    grew = True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in wanted} - wanted
        wanted |= children
        grew = bool(children)
    return wanted


def rss_bytes(pids, tree=True):
    """Summed VmRSS of `pids` and, with tree, all their descendants."""
    total = 0
    for pid in process_tree(pids) if tree else set(pids):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    """User + system CPU time of `pids` and all their descendants (live ones: a process that
    has exited is gone from /proc), in seconds, to 1 / CLOCK_TICKS."""
    total = 0
    for pid in process_tree(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def run_rss(args):
    if args.once:
        return {"bytes": rss_bytes(args.pids)}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    peak = samples = 0
    while not stop:
        peak = max(peak, rss_bytes(args.pids))
        samples += 1
        time.sleep(0.1)
    return {"bytes": peak, "samples": samples}


# --- (g) scale ------------------------------------------------------------------------------------

def run_fill(args):
    system = Offload(args)
    t0 = time.monotonic()
    while (missing := args.pending - system.pending()) > 0:
        system.batch([{"type": "test.noop"}] * min(missing, 10_000))
    return {"pending": system.pending(), "seconds": time.monotonic() - t0}


def run_stats_time(args):
    def once():
        t0 = time.perf_counter()
        subprocess.run([args.binary, "stats", "--redis-url", args.redis_url], check=True, capture_output=True)
        return (time.perf_counter() - t0) * 1000
    once()  # the binary's pages into the cache
    return {"pending": Offload(args).pending(), "ms": statistics.median(once() for _ in range(args.times))}


# --- facts ------------------------------------------------------------------------------------------

def first_line(command):
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=60).stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


def run_facts(args):
    from importlib.metadata import version
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    ruby = "puts [RUBY_VERSION, Sidekiq::VERSION, Redis::VERSION].join(' ')"
    ruby_versions = first_line(["ruby", "-r", "sidekiq", "-e", ruby]).split()
    return {
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "loadavg": os.getloadavg()[0],
        "commit": first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
        "swift": first_line(["swift", "--version"]),
        "redis": first_line(["redis-server", "--version"]).split("v=")[-1].split()[0],
        "wrk": first_line(["wrk", "-v"]).split()[1] if first_line(["wrk", "-v"]) != "?" else "?",
        "python": platform.python_version(),
        "python_packages": {name: version(name) for name in (
            "celery", "kombu", "billiard", "redis", "fastapi", "starlette", "pydantic", "uvicorn", "uvloop",
            "httptools", "matplotlib")},
        "ruby": ruby_versions[0] if ruby_versions else "?",
        "sidekiq": ruby_versions[1] if len(ruby_versions) > 1 else "?",
        "redis_rb": ruby_versions[2] if len(ruby_versions) > 2 else "?",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", help="append the result, with the tags, to this JSON-lines file")
    parser.add_argument("--tag", action="append", default=[], help="key=value added to the record")
    parser.add_argument("--api", help="the system's HTTP API (Offload's, or the FastAPI app's)")
    parser.add_argument("--redis-url")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name, function, **kwargs):
        sub = commands.add_parser(name, **kwargs)
        sub.set_defaults(function=function)
        return sub

    sub = command("wrk", run_wrk)
    sub.add_argument("url")
    sub.add_argument("--body")
    sub.add_argument("--duration", default="10s")
    for name, function in (("submit", run_submit), ("drain", run_drain)):
        sub = command(name, function)
        sub.add_argument("system", choices=SYSTEMS)
        sub.add_argument("--jobs", type=int, required=True)
        if name == "submit":
            sub.add_argument("--payload-bytes", type=int, default=0)
        else:
            sub.add_argument("--ready", help="a file to create once Redis has been polled")
            sub.add_argument("--cpu-of", help="a file that will name the worker processes' pids: report CPU per job")
    for name, function in (("cpu", run_cpu), ("inline", run_inline)):
        sub = command(name, function)
        if name == "cpu":
            sub.add_argument("system", choices=SYSTEMS)
        sub.add_argument("--jobs", type=int, default=200)
        sub.add_argument("--target-ms", type=float, default=75)
        sub.add_argument("--rounds", type=int, default=5, help="calibration rounds at most")
        sub.add_argument("--singles", type=int, default=10, help="jobs timed one at a time")
        sub.add_argument("--pace", help="instead of the efficiency: GET this URL at --rate under load")
        sub.add_argument("--rate", type=float, default=50)
        sub.add_argument("--seconds", type=float, default=20)
        sub.add_argument("--idle-seconds", type=float, default=5)
    sub = command("pickup", run_pickup)
    sub.add_argument("system", choices=SYSTEMS)
    sub.add_argument("--jobs", type=int, default=1000)
    sub = command("memory", run_memory)
    sub.add_argument("system", choices=SYSTEMS)
    sub.add_argument("--jobs", type=int, default=100_000)
    sub.add_argument("--payload-bytes", type=int, default=100)
    sub = command("fill", run_fill)
    sub.add_argument("--pending", type=int, required=True)
    sub = command("stats-time", run_stats_time)
    sub.add_argument("binary")
    sub.add_argument("--times", type=int, default=5)
    sub = command("rss", run_rss)
    sub.add_argument("--once", action="store_true")
    sub.add_argument("pids", type=int, nargs="+")
    command("facts", run_facts)

    args = parser.parse_args()
    if args.command == "inline":
        args.api, args.pace = args.api, args.pace or f"{args.api}/healthz"
    result = args.function(args)
    record = {**dict(tag.split("=", 1) for tag in args.tag), **result}
    print(json.dumps(record))
    if args.record:
        with open(args.record, "a") as out:
            out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
