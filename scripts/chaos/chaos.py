#!/usr/bin/env python3
"""Offload chaos driver: real stacks on loopback, faults injected, nothing may be lost.

Each scenario starts its own redis-server (free port, own --dir), offload-api and
offload-worker supervisors from the release build, submits jobs over HTTP (mostly with
POST /v1/jobs/batch), injects its fault, waits (bounded) for every accepted job to
finish, and checks every accepted id in Redis. Python 3 standard library only.

Columns of the table:
  submitted  jobs the API accepted (202, or an id in a 202 batch answer)
  completed  accepted jobs found `completed` at the end (dead, for poison jobs, is counted apart)
  lost       accepted jobs that are missing or not finished when the scenario's deadline passes
  multi      "executed more than once": accepted jobs whose recorded attempts (`att` in the job
             hash) are > 1, or whose `completed` event appears more than once in the queue's
             event stream (the driver tails the stream with XREAD during the whole run, so
             trimming cannot hide a duplicate). At-least-once allows this; it is reported,
             not failed.
  5xx        HTTP answers >= 500 other than 503, plus requests that hung (no answer in 15 s)
  503        HTTP 503 answers (expected only while Redis is down; each must carry Retry-After)
  recover_s  seconds from the end of the last fault until a fresh probe job (priority 1000,
             submitted again on 503 or refused connection) is completed: the time until the
             whole stack serves end to end again
"""

import argparse
import ctypes
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PREFIX = "offload"
HTTP_TIMEOUT = 15.0


def log(message):
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: no orphans if the driver dies


# ---------------------------------------------------------------------------- Redis (RESP)


class RedisError(Exception):
    pass


class Redis:
    """A minimal blocking RESP2 client with pipelining, for checks and fault injection."""

    def __init__(self, port, timeout=10.0):
        self.port = port
        self.timeout = timeout
        self.sock = None
        self.buf = b""

    def connect(self):
        self.close()
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        self.buf = b""

    def close(self):
        if self.sock:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if not isinstance(a, bytes):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("redis closed the connection")
        self.buf += data

    def _read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise RedisError(f"bad reply {line[:50]!r}")

    def pipeline(self, commands):
        if self.sock is None:
            self.connect()
        try:
            self.sock.sendall(b"".join(self.encode(c) for c in commands))
            return [self._read() for _ in commands]
        except (OSError, ConnectionError):
            self.close()
            raise

    def call(self, *args):
        reply = self.pipeline([args])[0]
        if isinstance(reply, RedisError):
            raise reply
        return reply


def b2s(value):
    return value.decode() if isinstance(value, bytes) else value


def pending_count(r, queues):
    """Pending jobs of these queues: one list per priority level (see OffloadKeys)."""
    levels = r.pipeline([("ZRANGE", f"{PREFIX}:{{{q}}}:pending", 0, -1) for q in queues])
    lists = [(f"{PREFIX}:{{{q}}}:pending:{b2s(level)}",) for q, found in zip(queues, levels) for level in found]
    return sum(r.pipeline([("LLEN", *key) for key in lists])) if lists else 0


# ---------------------------------------------------------------------------- processes


class Proc:
    def __init__(self, name, argv, logpath, env=None):
        self.name, self.argv, self.logpath = name, argv, logpath
        self.env = dict(os.environ, **(env or {}))
        self.p = None

    def start(self):
        logf = open(self.logpath, "ab")
        self.p = subprocess.Popen(self.argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  env=self.env, preexec_fn=_die_with_parent)
        logf.close()
        return self

    @property
    def pid(self):
        return self.p.pid if self.p else None

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def signal(self, sig):
        if self.alive():
            try:
                os.kill(self.p.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout):
        if not self.p:
            return True
        try:
            self.p.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def stop(self, grace=10.0):
        if not self.alive():
            return
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        if not self.wait(grace):
            self.signal(signal.SIGKILL)
            self.wait(5)

    def children(self):
        """Direct children pids (the worker processes of a supervisor)."""
        if not self.alive():
            return []
        pids = []
        try:
            for tid in os.listdir(f"/proc/{self.pid}/task"):
                with open(f"/proc/{self.pid}/task/{tid}/children") as f:
                    pids += [int(x) for x in f.read().split()]
        except OSError:
            pass
        return pids

    def log_text(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# ---------------------------------------------------------------------------- the stack


class Stack:
    def __init__(self, name, bindir, aof=False, workers=1, processes=2, concurrency=2, lease_ms=5000,
                 grace_seconds=5, queues=("chaos",), extra_worker_args=()):
        self.name = name
        self.bindir = bindir
        self.dir = tempfile.mkdtemp(prefix=f"offload-chaos-{name}-")
        self.redis_dir = os.path.join(self.dir, "redis")
        os.makedirs(self.redis_dir)
        self.redis_port = free_port()
        self.api_port = free_port()
        self.aof = aof
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}"
        self.worker_args = ["--redis-url", self.redis_url, "--key-prefix", PREFIX, "--enable-test-jobs",
                            "--processes", str(processes), "--concurrency", str(concurrency),
                            "--lease-ms", str(lease_ms), "--grace-seconds", str(grace_seconds),
                            "--queues", ",".join(queues)] + list(extra_worker_args)
        self.n_workers = workers
        self.processes = processes
        self.redis = None
        self.api = None
        self.workers = []
        self.stats = {"5xx": 0, "503": 0, "503_no_retry_after": 0, "hang": 0, "conn_refused": 0}
        self.stats_lock = threading.Lock()

    # -- processes
    def redis_proc(self):
        argv = ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--dir", self.redis_dir,
                "--save", "", "--daemonize", "no", "--loglevel", "warning", "--enable-debug-command", "local"]
        if self.aof:
            argv += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            argv += ["--appendonly", "no"]
        return Proc("redis", argv, os.path.join(self.dir, "redis.log"))

    def start_redis(self):
        self.redis = self.redis_proc().start()
        deadline = time.time() + 20
        r = Redis(self.redis_port, timeout=2)
        while time.time() < deadline:
            try:
                r.connect()
                if r.call("PING") == "PONG":
                    # AOF loading answers -LOADING until done
                    r.close()
                    return
            except (OSError, ConnectionError, RedisError):
                time.sleep(0.05)
        raise RuntimeError("redis did not start")

    def start_api(self):
        self.api = Proc("api", [os.path.join(self.bindir, "offload-api"), "--port", str(self.api_port),
                                "--redis-url", self.redis_url, "--key-prefix", PREFIX],
                        os.path.join(self.dir, "api.log")).start()
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.api_port}/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                time.sleep(0.05)
        raise RuntimeError("offload-api did not start:\n" + self.api.log_text()[-2000:])

    def start_worker(self, index=None):
        index = len(self.workers) if index is None else index
        proc = Proc(f"worker{index}", [os.path.join(self.bindir, "offload-worker")] + self.worker_args,
                    os.path.join(self.dir, f"worker{index}.log")).start()
        if index < len(self.workers):
            self.workers[index] = proc
        else:
            self.workers.append(proc)
        return proc

    def start(self):
        self.start_redis()
        self.start_api()
        for _ in range(self.n_workers):
            self.start_worker()
        self.wait_workers(self.n_workers * self.processes)

    def wait_workers(self, count, timeout=30):
        r = Redis(self.redis_port)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if r.call("ZCARD", f"{PREFIX}:workers") >= count and r.call("HLEN", f"{PREFIX}:job-types") > 0:
                    r.close()
                    return
            except (OSError, ConnectionError, RedisError):
                pass
            time.sleep(0.1)
        r.close()
        raise RuntimeError(f"{count} workers did not register")

    def stop(self, keep=False):
        for w in self.workers:
            w.stop(grace=10)
        if self.api:
            self.api.stop()
        if self.redis:
            self.redis.stop()
        if not keep and os.environ.get("CHAOS_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def worker_logs(self):
        return "\n".join(w.log_text() for w in self.workers)

    # -- HTTP
    def http(self, method, path, body=None, timeout=HTTP_TIMEOUT):
        """(status, json or None, headers); status 0 = refused, -1 = hang."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.api_port}{path}", data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        status, payload, headers = 0, None, {}
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw, headers = resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as e:
            status, raw, headers = e.code, e.read(), dict(e.headers)
        except (socket.timeout, TimeoutError):
            with self.stats_lock:
                self.stats["hang"] += 1
            return -1, None, {}
        except (urllib.error.URLError, ConnectionError, OSError) as e:
            reason = getattr(e, "reason", e)
            if isinstance(reason, (socket.timeout, TimeoutError)):
                with self.stats_lock:
                    self.stats["hang"] += 1
                return -1, None, {}
            with self.stats_lock:
                self.stats["conn_refused"] += 1
            return 0, None, {}
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        with self.stats_lock:
            if status == 503:
                self.stats["503"] += 1
                if not any(k.lower() == "retry-after" for k in headers):
                    self.stats["503_no_retry_after"] += 1
            elif status >= 500:
                self.stats["5xx"] += 1
                log(f"{self.name}: HTTP {status} on {method} {path}: {raw[:300]!r}")
        return status, payload, headers

    def submit_batch(self, jobs, retry_until=None):
        """Submits up to 1000 jobs; returns the accepted ids. Retries on 503/refused until `retry_until`."""
        while True:
            status, payload, headers = self.http("POST", "/v1/jobs/batch", {"jobs": jobs})
            if status == 202 and payload:
                return [j["id"] for j in payload["jobs"] if j.get("id")]
            if status in (0, 503, -1) and retry_until and time.time() < retry_until:
                time.sleep(float(headers.get("Retry-After", "0.2")) if status == 503 else 0.2)
                continue
            if status not in (0, 503, -1):
                log(f"{self.name}: batch answered {status}: {str(payload)[:300]}")
            return []

    def probe(self, deadline):
        """Submits a priority-1000 no-op until accepted, waits for it to complete; seconds taken or None."""
        started = time.time()
        job_id = None
        while time.time() < deadline and job_id is None:
            status, payload, _ = self.http("POST", "/v1/jobs", {"type": "test.noop", "priority": 1000, "queue": "chaos"})
            if status == 202:
                job_id = payload["id"]
            else:
                time.sleep(0.1)
        while job_id and time.time() < deadline:
            status, payload, _ = self.http("GET", f"/v1/jobs/{job_id}?wait=5")
            if status == 200 and payload.get("state") == "completed":
                return time.time() - started
            if status != 200:
                time.sleep(0.1)
        return None

    # -- Redis views
    def client(self):
        return Redis(self.redis_port)

    def unfinished(self, queues):
        r = self.client()
        try:
            cmds = [("ZCARD", f"{PREFIX}:{{{q}}}:{s}") for q in queues for s in ("scheduled", "active")]
            return sum(r.pipeline(cmds)) + pending_count(r, queues)
        finally:
            r.close()

    def wait_drained(self, queues, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.unfinished(queues) == 0:
                    return True
            except (OSError, ConnectionError, RedisError):
                pass
            time.sleep(0.2)
        return False

    def job_fields(self, ids, fields=("state", "att", "worker", "error", "type")):
        r = self.client()
        out = {}
        try:
            for start in range(0, len(ids), 2000):
                chunk = ids[start:start + 2000]
                cmds = [["HMGET", f"{PREFIX}:{{{i.split('.', 1)[0]}}}:job:{i}"] + list(fields) for i in chunk]
                for job_id, reply in zip(chunk, r.pipeline(cmds)):
                    out[job_id] = dict(zip(fields, (b2s(v) for v in reply)))
        finally:
            r.close()
        return out


class EventTail(threading.Thread):
    """Follows queues' event streams with XREAD from the start, counting `completed` events per job."""

    def __init__(self, stack, queues):
        super().__init__(daemon=True)
        self.stack, self.queues = stack, queues
        self.last = {q: "0-0" for q in queues}
        self.completed = {}
        self.stop_flag = threading.Event()
        self.events = 0

    def run(self):
        r = None
        while not self.stop_flag.is_set():
            try:
                if r is None:
                    r = Redis(self.stack.redis_port, timeout=5)
                    r.connect()
                keys = [f"{PREFIX}:{{{q}}}:events" for q in self.queues]
                reply = r.call("XREAD", "COUNT", 2000, "BLOCK", 500, "STREAMS", *keys, *[self.last[q] for q in self.queues])
                for key, entries in reply or []:
                    q = b2s(key).split("{", 1)[1].split("}", 1)[0]
                    for entry_id, fields in entries:
                        self.last[q] = b2s(entry_id)
                        self.events += 1
                        f = dict(zip((b2s(x) for x in fields[0::2]), (b2s(x) for x in fields[1::2])))
                        if f.get("event") == "completed":
                            # A batch of results is one entry naming its jobs in `ids`.
                            for job_id in f["ids"].split() if "ids" in f else [f.get("id")]:
                                self.completed[job_id] = self.completed.get(job_id, 0) + 1
            except (OSError, ConnectionError, RedisError, ValueError):
                if r:
                    r.close()
                r = None
                time.sleep(0.2)
        if r:
            r.close()

    def finish(self):
        time.sleep(1.0)  # let the last events arrive
        self.stop_flag.set()
        self.join(5)


# ---------------------------------------------------------------------------- scenarios


class Result:
    def __init__(self, name):
        self.name = name
        self.submitted = self.completed = self.lost = self.multi = 0
        self.http5xx = self.http503 = 0
        self.recover = None
        self.ok = True
        self.notes = []
        self.seconds = 0.0

    def fail(self, why):
        self.ok = False
        self.notes.append("FAIL: " + why)

    def note(self, text):
        self.notes.append(text)


def account(stack, result, ids, tail, expect_dead=()):
    """Fills submitted/completed/lost/multi from Redis and the event tail."""
    expect_dead = set(expect_dead)
    fields = stack.job_fields(ids)
    result.submitted = len(ids)
    dead_ok = 0
    for job_id in ids:
        f = fields.get(job_id) or {}
        state = f.get("state")
        if state == "completed":
            result.completed += 1
        elif state == "dead" and job_id in expect_dead:
            dead_ok += 1
        else:
            result.lost += 1
            if result.lost <= 5:
                result.note(f"unfinished {job_id}: {f}")
        att = int(f.get("att") or 0)
        if att > 1 or (tail and tail.completed.get(job_id, 0) > 1):
            result.multi += 1
    if tail:
        doubles = sum(1 for c in tail.completed.values() if c > 1)
        if doubles:
            result.fail(f"{doubles} jobs have two completed events")
    if expect_dead:
        result.note(f"{dead_ok}/{len(expect_dead)} poison jobs dead")
    return fields


def finish_http(stack, result):
    result.http5xx = stack.stats["5xx"] + stack.stats["hang"]
    result.http503 = stack.stats["503"]
    if stack.stats["5xx"]:
        result.fail(f"{stack.stats['5xx']} HTTP 5xx other than 503")
    if stack.stats["hang"]:
        result.fail(f"{stack.stats['hang']} requests hung")
    if stack.stats["503_no_retry_after"]:
        result.fail(f"{stack.stats['503_no_retry_after']} 503 without Retry-After")
    if result.lost:
        result.fail(f"{result.lost} accepted jobs lost")
    if result.recover is None:
        result.fail("the probe job did not complete after the fault")


def sleep_jobs(n, seconds=0.01, queue="chaos", max_attempts=10):
    # A run cut short by a kill counts as an attempt (a job that keeps killing its process is
    # poison, dead after max_attempts); 10 keeps an unlucky job of a kill storm from going dead.
    return [{"type": "test.sleep", "payload": {"seconds": seconds}, "queue": queue, "max_attempts": max_attempts}
            for _ in range(n)]


class Submitter(threading.Thread):
    """Submits `total` jobs in batches, retrying batches refused while the stack is down."""

    def __init__(self, stack, make_jobs, total, batch=500, pause=0.0, deadline=None):
        super().__init__(daemon=True)
        self.stack, self.make_jobs, self.total, self.batch, self.pause = stack, make_jobs, total, batch, pause
        self.deadline = deadline or (time.time() + 120)
        self.ids = []

    def run(self):
        sent = 0
        while sent < self.total and time.time() < self.deadline:
            n = min(self.batch, self.total - sent)
            ids = self.stack.submit_batch(self.make_jobs(n), retry_until=self.deadline)
            if not ids:
                time.sleep(0.2)
                continue
            self.ids += ids
            sent += n
            if self.pause:
                time.sleep(self.pause)


def recover_and_account(st, res, sub, tail, join_timeout):
    """After a fault: the time until the stack serves again, then let the submitter finish
    and the queue drain, and count every accepted job. Returns the seconds from the end of
    the fault until the queue drained."""
    fault_end = time.time()
    res.recover = st.probe(fault_end + 60)
    sub.join(join_timeout)
    drained = st.wait_drained(["chaos"], 120)
    tail.finish()
    account(st, res, sub.ids, tail)
    if not drained:
        res.fail("queue did not drain in 120 s")
    return time.time() - fault_end


def scenario_kill_storm(bindir, short):
    total = 600 if short else 5000
    storm_seconds = 6 if short else 20
    res = Result("1 SIGKILL storm")
    # 2 supervisors x 2 children x 16 threads: test.sleep threads are cheap, and many jobs are in flight at each kill
    st = Stack("storm", bindir, workers=2, processes=2, concurrency=16, lease_ms=2000)
    st.start()
    tail = EventTail(st, ["chaos"])
    tail.start()
    # paced so that jobs are submitted, queued and running during the whole storm
    batch = max(10, int(total * 0.25 / storm_seconds))
    sub = Submitter(st, lambda n: sleep_jobs(n, 0.2), total, batch=batch, pause=0.25)
    sub.start()
    rng = random.Random(int(os.environ.get("CHAOS_SEED", "1")))
    kills = sup_kills = 0
    probe_redis = st.client()
    end = time.time() + storm_seconds
    while time.time() < end:
        time.sleep(0.5)
        if rng.random() < 0.1:
            idx = rng.randrange(len(st.workers))
            st.workers[idx].signal(signal.SIGKILL)
            st.workers[idx].wait(5)
            st.start_worker(idx)
            sup_kills += 1
        else:
            children = [c for w in st.workers for c in w.children()]
            busy = set()
            try:  # prefer a child that is running a job right now (the job hash names its worker host:pid:suffix)
                active = [b2s(x) for x in probe_redis.call("ZRANGE", f"{PREFIX}:{{chaos}}:active", 0, 20)]
                for job_id in active:
                    worker = b2s(probe_redis.call("HGET", f"{PREFIX}:{{chaos}}:job:{job_id}", "worker"))
                    if worker:
                        busy.add(int(worker.split(":")[-2]))
            except (OSError, ConnectionError, RedisError, ValueError) as e:
                if os.environ.get("CHAOS_DEBUG"):
                    log(f"busy lookup failed: {e!r}")
                probe_redis.close()
            if busy & set(children):
                children = sorted(busy & set(children))
            if children:
                try:
                    victim = rng.choice(children)
                    os.kill(victim, signal.SIGKILL)
                    if os.environ.get("CHAOS_DEBUG"):
                        log(f"killed {victim} busy={sorted(busy)} children={children} submitted={len(sub.ids)} "
                            f"pending={pending_count(probe_redis, ['chaos'])} "
                            f"counts={probe_redis.pipeline([('ZCARD', f'{PREFIX}:{{chaos}}:' + s) for s in ('active', 'completed')])}")
                    kills += 1
                except ProcessLookupError:
                    pass
    settled = recover_and_account(st, res, sub, tail, join_timeout=120)
    if len(sub.ids) != total:
        res.fail(f"only {len(sub.ids)} of {total} accepted")
    res.note(f"{kills} child kills, {sup_kills} supervisor kills; drained {settled:.1f} s after the storm")
    finish_http(st, res)
    st.stop()
    return res


def scenario_redis_restart(bindir, short):
    total = 800 if short else 3000
    res = Result("2 Redis restart (AOF)")
    st = Stack("restart", bindir, aof=True, workers=1, processes=2, concurrency=16, lease_ms=5000)
    st.start()
    tail = EventTail(st, ["chaos"])
    tail.start()
    sub = Submitter(st, lambda n: sleep_jobs(n, 0.2), total, batch=40 if short else 100, pause=0.25, deadline=time.time() + 120)
    sub.start()
    time.sleep(1.5 if short else 3)
    st.redis.signal(signal.SIGKILL)  # harsher than SIGTERM: only what was fsynced survives
    st.redis.wait(5)
    down_until = time.time() + 5
    # While Redis is down: the API must answer 503 with Retry-After, never 500, never hang.
    outage = {"503": 0, "other": []}
    while time.time() < down_until:
        for method, path, body in (("POST", "/v1/jobs", {"type": "test.noop", "queue": "chaos"}),
                                   ("GET", "/v1/jobs/chaos.01M88ZFP3J1NK2J7A03ZEEYF1W", None),
                                   ("GET", "/readyz", None)):
            status, _, headers = st.http(method, path, body, timeout=10)
            if status == 503:
                outage["503"] += 1
            elif status != 202:  # a 202 only if Redis had not really gone yet
                outage["other"].append((method, path, status))
        time.sleep(0.1)
    st.redis = st.redis_proc().start()
    _wait_ping(st)
    settled = recover_and_account(st, res, sub, tail, join_timeout=120)
    if outage["503"] == 0:
        res.fail("no 503 while Redis was down")
    if outage["other"]:
        res.fail(f"non-503 answers during the outage: {outage['other'][:5]}")
    res.note(f"{outage['503']} x 503 during the 5 s outage; drained {settled:.1f} s after restart")
    finish_http(st, res)
    st.stop()
    return res


def _wait_ping(st, timeout=30):
    r = Redis(st.redis_port, timeout=2)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            r.connect()
            if r.call("PING") == "PONG":
                r.close()
                return
        except (OSError, ConnectionError, RedisError):
            time.sleep(0.05)
    raise RuntimeError("redis did not come back")


def scenario_redis_stall(bindir, short):
    total = 2000
    res = Result("3 Redis stall (DEBUG SLEEP 3)")
    st = Stack("stall", bindir, workers=1, processes=2, concurrency=16, lease_ms=5000)
    st.start()
    tail = EventTail(st, ["chaos"])
    tail.start()
    sub = Submitter(st, lambda n: sleep_jobs(n, 0.2), total, batch=100, pause=0.25)
    sub.start()
    time.sleep(2)
    sleeper = subprocess.Popen(["redis-cli", "-p", str(st.redis_port), "DEBUG", "SLEEP", "3"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Requests during the stall must answer (late, or 503) and never hang past the timeout.
    for _ in range(3):
        st.http("GET", "/v1/queues", timeout=HTTP_TIMEOUT)
    sleeper.wait(20)
    settled = recover_and_account(st, res, sub, tail, join_timeout=120)
    res.note(f"drained {settled:.1f} s after the stall")
    finish_http(st, res)
    st.stop()
    return res


def scenario_full_restart(bindir, short):
    total = 3000
    res = Result("4 Full restart (SIGTERM all)")
    st = Stack("full", bindir, aof=True, workers=2, processes=2, concurrency=16, lease_ms=5000, grace_seconds=3)
    st.start()
    tail = EventTail(st, ["chaos"])
    tail.start()
    sub = Submitter(st, lambda n: sleep_jobs(n, 0.2), total, batch=150, pause=0.25, deadline=time.time() + 150)
    sub.start()
    time.sleep(3)
    started = time.time()
    procs = st.workers + [st.api, st.redis]
    for p in procs:
        p.signal(signal.SIGTERM)
    exits = {p.name: p.wait(15) for p in procs}
    stopped_in = time.time() - started
    if not all(exits.values()):
        res.fail(f"did not exit on SIGTERM in 15 s: {[n for n, ok in exits.items() if not ok]}")
        for p in procs:
            p.signal(signal.SIGKILL)
            p.wait(5)
    codes = {p.name: p.p.returncode for p in procs}
    time.sleep(1)
    st.start_redis()
    st.start_api()
    for i in range(len(st.workers)):
        st.start_worker(i)
    settled = recover_and_account(st, res, sub, tail, join_timeout=150)
    res.note(f"all stopped {stopped_in:.1f} s after SIGTERM (exit codes {codes}); drained {settled:.1f} s after restart")
    finish_http(st, res)
    st.stop()
    return res


def scenario_zombie(bindir, short):
    res = Result("5 Zombie worker (SIGSTOP)")
    st = Stack("zombie", bindir, workers=1, processes=2, concurrency=1, lease_ms=1500, queues=("zombie", "chaos"))
    st.start()
    tail = EventTail(st, ["zombie", "chaos"])
    tail.start()
    ids = st.submit_batch([{"type": "test.sleep", "payload": {"seconds": 2}, "queue": "zombie", "max_attempts": 5}])
    zid = ids[0]
    r = st.client()
    pid = wid = None
    deadline = time.time() + 60  # bounds a hang: a loaded machine may be slow to claim
    while time.time() < deadline and pid is None:
        # the claim script records the worker id (host:pid:suffix) on the job
        state, worker = (b2s(x) for x in r.call("HMGET", f"{PREFIX}:{{zombie}}:job:{zid}", "state", "worker"))
        if state == "active" and worker:
            pid, wid = int(worker.split(":")[-2]), worker
        time.sleep(0.02)
    if pid is None:
        res.fail("no worker picked the job")
        st.stop(keep=True)
        return res
    time.sleep(0.5)
    os.kill(pid, signal.SIGSTOP)
    stopped_at = time.time()
    # Background load while the zombie is frozen.
    bg = st.submit_batch(sleep_jobs(100 if short else 300, 0.01))
    winner = None
    deadline = time.time() + 60
    while time.time() < deadline:
        state, worker = (b2s(x) for x in r.call("HMGET", f"{PREFIX}:{{zombie}}:job:{zid}", "state", "worker"))
        if state == "completed":
            winner = worker
            break
        time.sleep(0.1)
    frozen = time.time() - stopped_at
    os.kill(pid, signal.SIGCONT)
    fault_end = time.time()
    res.recover = st.probe(time.time() + 60)

    def discarded():
        return [line for line in st.worker_logs().splitlines() if zid in line and "discarded" in line]

    # The zombie wakes, runs on, tries to store its outcome and is refused: its log says so.
    deadline = time.time() + 60
    while time.time() < deadline and not discarded():
        time.sleep(0.1)
    st.wait_drained(["zombie", "chaos"], 60)
    tail.finish()
    fields = account(st, res, ids + bg, tail)
    final = fields[zid]
    if winner is None:
        res.fail("the job was not finished by another worker while the zombie was stopped")
    elif winner == wid:
        res.fail("the zombie itself is recorded as the job's worker")
    if final.get("worker") != winner or final.get("state") != "completed":
        res.fail(f"the stored job changed after the zombie woke: {final} (winner {winner})")
    if tail.completed.get(zid, 0) != 1:
        res.fail(f"{tail.completed.get(zid, 0)} completed events for the zombie's job")
    logs = discarded()
    if not logs:
        res.fail("no worker log line says the zombie's late outcome was discarded")
    else:
        res.note("zombie log: " + logs[0].strip()[:200])
    res.note(f"zombie pid {pid} frozen {frozen:.1f} s (lease 1.5 s); attempts {final.get('att')}, completed by {winner}")
    r.close()
    finish_http(st, res)
    st.stop()
    return res


def scenario_poison(bindir, short):
    normal = 400
    res = Result("6 Poison mix (2%)")
    st = Stack("poison", bindir, workers=1, processes=8, concurrency=1, lease_ms=5000, queues=("clean", "poison", "chaos"))
    st.start()

    def run_phase(queue, poison_every):
        jobs, poison_ids = [], []
        for i in range(normal):
            jobs.append({"type": "test.sleep", "payload": {"seconds": 0.5}, "queue": queue})
            if poison_every and i % poison_every == poison_every - 1:
                kind = "test.crash" if (i // poison_every) % 2 == 0 else "test.hang"
                jobs.append({"type": kind, "queue": queue, "timeout_seconds": 1, "max_attempts": 2})
        started = time.time()
        accepted = st.submit_batch(jobs)
        types = {j["type"] for j in jobs}
        fields = st.job_fields(accepted)
        normal_ids = [i for i in accepted if fields[i]["type"] == "test.sleep"]
        poison_ids = [i for i in accepted if fields[i]["type"] != "test.sleep"]
        # Normal-job throughput: until the last normal job finishes.
        deadline = time.time() + 120
        while time.time() < deadline:
            f = st.job_fields(normal_ids, ("state",))
            if all(v["state"] == "completed" for v in f.values()):
                break
            time.sleep(0.1)
        elapsed = time.time() - started
        return accepted, normal_ids, poison_ids, len(normal_ids) / elapsed, types

    _, clean_ids, _, clean_rate, _ = run_phase("clean", 0)
    tail = EventTail(st, ["poison"])
    tail.start()
    accepted, normal_ids, poison_ids, poison_rate, _ = run_phase("poison", 50)  # 1 poison per 50 normal = 2%
    st.wait_drained(["poison"], 60)
    tail.finish()
    fields = account(st, res, clean_ids + accepted, tail, expect_dead=poison_ids)
    causes = {}
    for pid_ in poison_ids:
        f = fields[pid_]
        err = json.loads(f.get("error") or "{}")
        # A crashing run can also meet its 1 s hard timeout first (the Swift runtime's crash
        # backtrace takes a while); either is the recorded cause. A hang can only be a timeout.
        want = ("crash", "timeout") if f["type"] == "test.crash" else ("timeout",)
        causes[(f["type"], err.get("type"))] = causes.get((f["type"], err.get("type")), 0) + 1
        if f["state"] != "dead" or err.get("type") not in want or f.get("att") != "2":
            res.fail(f"poison {pid_} ended {f['state']} att {f.get('att')} error {err}")
            break
    res.note("poison causes: " + ", ".join(f"{t} -> {c}: {n}" for (t, c), n in sorted(causes.items())))
    res.recover = st.probe(time.time() + 30)
    ratio = poison_rate / clean_rate
    if ratio < 0.8:
        res.fail(f"normal throughput with poison is {ratio:.0%} of clean")
    res.note(f"{len(poison_ids)} poison jobs; normal throughput {clean_rate:.1f}/s clean vs {poison_rate:.1f}/s with poison ({ratio:.0%})")
    finish_http(st, res)
    st.stop()
    return res


def scenario_soak(bindir, short):
    seconds = float(os.environ.get("CHAOS_SOAK_SECONDS", "600"))
    max_jobs = int(os.environ.get("CHAOS_SOAK_JOBS", "10000000"))
    res = Result(f"7 Soak ({int(seconds)} s)")
    st = Stack("soak", bindir, workers=1, processes=2, concurrency=2, lease_ms=30000, queues=("soak",))
    st.start()
    r = st.client()
    ttl = 10
    warmup = max(3.0 * ttl, min(90.0, seconds / 4))
    started = time.time()
    end = started + seconds
    accepted = 0
    samples = {}

    def sample():
        info = b2s(r.call("INFO", "memory"))
        used = int([l for l in info.splitlines() if l.startswith("used_memory:")][0].split(":")[1])
        workers = [st.workers[0].pid] + st.workers[0].children()
        return {"api_rss_kib": rss_kib(st.api.pid), "worker_rss_kib": sum(rss_kib(p) for p in workers),
                "redis_used": used}

    samples["start"] = sample()
    backlog_limit = 4000
    while time.time() < end and accepted < max_jobs:
        # Warm once results expire as fast as they arrive (3 TTLs), at the warm-up time or
        # half-way through the job budget, whichever comes first.
        ran = time.time() - started
        if "warm" not in samples and ran >= 3.0 * ttl and (ran >= warmup or accepted >= max_jobs // 2):
            samples["warm"] = sample()
        pending = pending_count(r, ["soak"])
        if pending > backlog_limit:
            time.sleep(0.05)
            continue
        n = min(1000, max_jobs - accepted)
        ids = st.submit_batch([{"type": "test.noop", "queue": "soak", "result_ttl_seconds": ttl}] * n)
        accepted += len(ids)
        if len(ids) != n:
            res.fail(f"batch accepted {len(ids)} of {n}")
            break
    samples["end"] = sample()  # under the same steady load as the warm-up sample
    drained = st.wait_drained(["soak"], 120)
    elapsed = time.time() - started
    # processed/failed counters per minute (exact: incremented by the complete/fail scripts only)
    keys = [b2s(k) for k in r.call("KEYS", f"{PREFIX}:{{soak}}:stats:*")]
    processed = failed = 0
    for k in keys:
        p, f = r.call("HMGET", k, "processed", "failed")
        processed += int(p or 0)
        failed += int(f or 0)
    dead = r.call("ZCARD", f"{PREFIX}:{{soak}}:dead")
    res.submitted = accepted
    res.completed = processed
    res.lost = max(0, accepted - processed)
    res.multi = max(0, processed - accepted)
    if failed or dead:
        res.fail(f"{failed} failed runs, {dead} dead jobs")
    if not drained:
        res.fail("queue did not drain in 120 s")
    base = samples.get("warm", samples["start"])
    growth = []
    for key in ("api_rss_kib", "worker_rss_kib", "redis_used"):
        a, b = base[key], samples["end"][key]
        g = (b - a) / a if a else 0
        growth.append(f"{key} {a}->{b} ({g:+.0%})")
        if g > 0.10:
            res.fail(f"{key} grew {g:.0%} after warm-up")
    res.note(f"{accepted / elapsed:.0f} jobs/s over {elapsed:.0f} s; start {samples['start']}; after warm-up ({warmup:.0f} s) -> end: " + ", ".join(growth))
    r.close()
    res.recover = -1.0  # no fault to recover from
    finish_http(st, res)
    st.stop()
    return res


SCENARIOS = {
    "1": scenario_kill_storm, "2": scenario_redis_restart, "3": scenario_redis_stall, "4": scenario_full_restart,
    "5": scenario_zombie, "6": scenario_poison, "7": scenario_soak,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--short", action="store_true", help="scenarios 1, 2 and 5 with small numbers (~90 s)")
    ap.add_argument("--only", default="", help="comma-separated scenario numbers, e.g. 1,5")
    ap.add_argument("--bin-dir", required=True)
    args = ap.parse_args()
    chosen = args.only.split(",") if args.only else (["1", "2", "5"] if args.short else list(SCENARIOS))
    results = []
    t0 = time.time()
    for key in chosen:
        fn = SCENARIOS[key]
        log(f"scenario {key}: {fn.__name__}")
        started = time.time()
        try:
            res = fn(args.bin_dir, args.short)
        except Exception as e:  # a broken scenario is a failed row, not a crashed run
            res = Result(f"{key} {fn.__name__}")
            res.fail(f"{type(e).__name__}: {e}")
        res.seconds = time.time() - started
        results.append(res)
        log(f"scenario {key} done in {res.seconds:.0f} s: {'PASS' if res.ok else 'FAIL'}")
    header = ["scenario", "submitted", "completed", "lost", "multi", "5xx", "503", "recover_s", "took_s", "result"]
    rows = [[r.name, r.submitted, r.completed, r.lost, r.multi, r.http5xx, r.http503,
             "-" if r.recover is None or r.recover < 0 else f"{r.recover:.1f}", f"{r.seconds:.0f}", "PASS" if r.ok else "FAIL"]
            for r in results]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    print()
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths)))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    print()
    for r in results:
        for n in r.notes:
            print(f"  [{r.name}] {n}")
    print(f"\ntotal {time.time() - t0:.0f} s")
    sys.exit(0 if all(r.ok for r in results) else 1)


if __name__ == "__main__":
    main()
