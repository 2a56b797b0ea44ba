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
  503_win_s  (scenarios 8-12) the longest span, on one queue, of consecutive refused submits:
             from the first one sent to the last one answered
  back_s     (scenarios 8-12) seconds from a fault until the completion rate over 2 s is back to
             >= 80 % of its rate before the fault (completion times are the stream entry ids'
             milliseconds); the slowest of the scenario's faults; "never" if it did not come back
  hung       (scenarios 8-12) worker supervisors that did not exit within grace + 15 s of SIGTERM
  recover_s  seconds from the end of the last fault until a fresh probe job (priority 1000,
             submitted again on 503 or refused connection) is completed: the time until the
             whole stack serves end to end again

Scenarios 8-12 run on a real Redis Cluster (3 primaries + 3 replicas) or Sentinel deployment
(primary, 2 replicas, 3 sentinels). Their checks read Redis through a cluster-aware client
here (slot = CRC16/XMODEM of the `{queue}` hash tag, MOVED and ASK followed) or through the
sentinels' primary; without --min-replicas a job lost in a failover is counted and explained,
not failed. In every mode every accepted job must end final and no worker may hang.
"""

import argparse
import bisect
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


class Commands:
    """`call` on top of a client's `pipeline` (which gives errors back as RedisError values)."""

    def call(self, *args):
        reply = self.pipeline([args])[0]
        if isinstance(reply, RedisError):
            raise reply
        return reply


class Redis(Commands):
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


def b2s(value):
    return value.decode() if isinstance(value, bytes) else value


def pending_count(r, queues):
    """Pending jobs of these queues: one list per priority level (see OffloadKeys)."""
    levels = r.pipeline([("ZRANGE", f"{PREFIX}:{{{q}}}:pending", 0, -1) for q in queues])
    lists = [(f"{PREFIX}:{{{q}}}:pending:{b2s(level)}",) for q, found in zip(queues, levels) for level in found]
    return sum(r.pipeline([("LLEN", *key) for key in lists])) if lists else 0


# ---------------------------------------------------------------------------- cluster and sentinel checks


def _crc16_table():
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return table


_CRC16 = _crc16_table()


def key_slot(key):
    """The Redis Cluster slot of a key: CRC16/XMODEM of its `{hash tag}` (or of the whole key) mod 16384."""
    data = key.encode() if isinstance(key, str) else bytes(key)
    start = data.find(b"{")
    if start >= 0:
        end = data.find(b"}", start + 1)
        if end > start + 1:
            data = data[start + 1:end]
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[((crc >> 8) ^ byte) & 0xFF]
    return crc % 16384


def queue_slot(queue):
    return key_slot(f"{PREFIX}:{{{queue}}}:")


# Commands the checks send that name no key; any node answers them.
_KEYLESS = {"PING", "INFO", "CLUSTER", "ROLE", "DBSIZE"}


def command_key(args):
    name = b2s(args[0]).upper()
    if name in _KEYLESS:
        return None
    if name == "XREAD":
        return args[[b2s(a).upper() if isinstance(a, (str, bytes)) else a for a in args].index("STREAMS") + 1]
    return args[1]


# Answers that mean "ask again soon": a failover or a slot migration is under way.
_TRANSIENT = ("TRYAGAIN", "CLUSTERDOWN", "LOADING", "MASTERDOWN", "READONLY")


class ClusterRedis(Commands):
    """The driver's check client on a Redis Cluster. Each command goes to the primary of its
    key's slot (computed here, as Redis does); MOVED updates the slot map, ASK is followed
    with ASKING, and while a failover or a migration is under way (a refused connection,
    CLUSTERDOWN, TRYAGAIN) commands are sent again for up to `retry_window` seconds. A
    pipeline is split by node and its replies put back in order. Same surface as `Redis`."""

    def __init__(self, ports, timeout=10.0, retry_window=30.0):
        self.ports = list(ports)
        self.timeout, self.retry_window = timeout, retry_window
        self.conns = {}
        self.slots = None  # slot -> port of its primary

    def _conn(self, port):
        if port not in self.conns:
            self.conns[port] = Redis(port, timeout=self.timeout)
        return self.conns[port]

    def refresh(self):
        for port in self.ports:
            try:
                reply = self._conn(port).call("CLUSTER", "SLOTS")
            except (OSError, ConnectionError, RedisError):
                continue
            slots = [None] * 16384
            for entry in reply:
                for slot in range(entry[0], entry[1] + 1):
                    slots[slot] = int(entry[2][1])
            self.slots = slots
            return
        self.slots = None

    def _port(self, command):
        key = command_key(command)
        if self.slots is None:
            self.refresh()
        if self.slots is None:
            return None
        if key is None:
            return self.ports[0]
        port = self.slots[key_slot(key)]
        if port is None:
            self.slots = None  # a slot nobody serves yet: read the map again next time
        return port

    def pipeline(self, commands):
        replies = [None] * len(commands)
        todo = {i: None for i in range(len(commands))}  # index -> the port an ASK named, or None
        deadline = time.time() + self.retry_window
        while True:
            groups, again = {}, {}
            for i, asked in todo.items():
                port = asked or self._port(commands[i])
                if port is None:
                    again[i] = None
                else:
                    groups.setdefault(port, []).append(i)
            for port, indices in groups.items():
                sent = []
                for i in indices:
                    if todo[i]:
                        sent.append(("ASKING",))
                    sent.append(commands[i])
                try:
                    out = iter(self._conn(port).pipeline(sent))
                except (OSError, ConnectionError):
                    self.slots = None
                    again.update((i, None) for i in indices)
                    continue
                for i in indices:
                    if todo[i]:
                        next(out)  # ASKING's OK
                    reply = next(out)
                    text = str(reply) if isinstance(reply, RedisError) else ""
                    if text.startswith("MOVED "):
                        self.slots = None  # a slot moved: read the whole map again
                        again[i] = None
                    elif text.startswith("ASK "):
                        again[i] = int(text.split()[2].rsplit(":", 1)[1])
                    elif text.startswith(_TRANSIENT):
                        again[i] = None
                    else:
                        replies[i] = reply
            if not again:
                return replies
            if time.time() > deadline:
                raise ConnectionError(f"the cluster did not answer within {self.retry_window:.0f} s")
            todo = again
            time.sleep(0.1)

    def close(self):
        for conn in self.conns.values():
            conn.close()


class SentinelRedis(Commands):
    """The driver's check client on a Sentinel deployment: it asks the sentinels for the
    primary, checks ROLE on each new connection, and on a refused connection or a demoted
    server (READONLY) asks again, for up to `retry_window` seconds. Same surface as `Redis`."""

    def __init__(self, sentinel_ports, master, timeout=10.0, retry_window=30.0):
        self.sentinel_ports, self.master = list(sentinel_ports), master
        self.timeout, self.retry_window = timeout, retry_window
        self.conn = None

    def primary_port(self):
        for port in self.sentinel_ports:
            address = ask(port, "SENTINEL", "get-master-addr-by-name", self.master)
            if address:
                return int(address[1])
        return None

    def pipeline(self, commands):
        deadline = time.time() + self.retry_window
        while True:
            try:
                if self.conn is None:
                    port = self.primary_port()
                    if port is None:
                        raise ConnectionError("no sentinel names a primary")
                    conn = Redis(port, timeout=self.timeout)
                    if b2s(conn.call("ROLE")[0]) != "master":
                        conn.close()
                        raise ConnectionError(f"{port} is not a primary")
                    self.conn = conn
                out = self.conn.pipeline(commands)
                if time.time() > deadline or not any(isinstance(r, RedisError) and str(r).startswith(_TRANSIENT) for r in out):
                    return out
                self.close()
            except (OSError, ConnectionError, RedisError) as e:
                self.close()
                if time.time() > deadline:
                    raise ConnectionError(f"no primary answered within {self.retry_window:.0f} s: {e}")
            time.sleep(0.2)

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None


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
                 grace_seconds=5, queues=("chaos",), extra_worker_args=(), min_replicas=0):
        self.name = name
        self.bindir = bindir
        self.dir = tempfile.mkdtemp(prefix=f"offload-chaos-{name}-")
        self.redis_dir = os.path.join(self.dir, "redis")
        os.makedirs(self.redis_dir)
        self.redis_port = free_port()
        self.api_port = free_port()
        self.aof = aof
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}"
        self.queues = list(queues)
        self.grace_seconds = grace_seconds
        # --min-replicas N: a write counts once WAIT says N replicas have it (API and workers)
        self.replica_args = ["--min-replicas", str(min_replicas)] if min_replicas else []
        self.worker_options = ["--key-prefix", PREFIX, "--enable-test-jobs",
                               "--processes", str(processes), "--concurrency", str(concurrency),
                               "--lease-ms", str(lease_ms), "--grace-seconds", str(grace_seconds),
                               "--queues", ",".join(queues)] + self.replica_args + list(extra_worker_args)
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
        wait_answers(self.redis_port, timeout=20)  # AOF loading answers -LOADING until done

    def start_api(self):
        self.api = Proc("api", [os.path.join(self.bindir, "offload-api"), "--port", str(self.api_port),
                                "--redis-url", self.redis_url, "--key-prefix", PREFIX] + self.replica_args,
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
        argv = [os.path.join(self.bindir, "offload-worker"), "--redis-url", self.redis_url] + self.worker_options
        proc = Proc(f"worker{index}", argv,
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
        r = self.client()
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
        self.stop_redis()
        if not keep and os.environ.get("CHAOS_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def stop_redis(self):
        if self.redis:
            self.redis.stop()

    def __enter__(self):
        return self

    def __exit__(self, kind, value, trace):
        self.stop(keep=kind is not None)  # a broken scenario keeps its folder (logs, data)

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
    def client(self, timeout=10.0, retry_window=30.0):
        """A check client for this stack's Redis (for a cluster or sentinels, one that routes and,
        for `retry_window` seconds, waits out a failover)."""
        return Redis(self.redis_port, timeout=timeout)

    def stream_groups(self, queues):
        """Queues whose event streams one XREAD can read together (one server: all of them)."""
        return [list(queues)]

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


def port_is_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def cluster_ports(count):
    """Free ports whose cluster bus port (port + 10000) is free too and below 65536."""
    ports = []
    while len(ports) < count:
        port = free_port()
        if port + 10000 < 65536 and port not in ports and port_is_free(port + 10000):
            ports.append(port)
    return ports


def wait_answers(port, timeout=60):
    """Until the server on `port` answers PING (not -LOADING)."""
    r = Redis(port, timeout=2)
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            try:
                if r.call("PING") == "PONG":
                    return
            except (OSError, ConnectionError, RedisError):
                r.close()
                time.sleep(0.05)
        raise RuntimeError(f"redis on {port} did not answer in {timeout} s")
    finally:
        r.close()


def send_to(port, *args, timeout=10.0):
    """One command to one server on a connection of its own; raises what the server answers."""
    r = Redis(port, timeout=timeout)
    try:
        return r.call(*args)
    finally:
        r.close()


def ask(port, *args, timeout=2.0):
    """One command to one server, or None when it does not answer."""
    try:
        return send_to(port, *args, timeout=timeout)
    except (OSError, ConnectionError, RedisError):
        return None


def info_fields(port, section):
    text = ask(port, "INFO", section)
    return dict(line.split(":", 1) for line in b2s(text).splitlines() if ":" in line) if text else {}


def wait_for(what, condition, timeout):
    """Polls `condition` until it returns a true value; returns it, or raises after `timeout` s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise RuntimeError(f"{what}: not within {timeout} s")


class ClusterStack(Stack):
    """A Stack on a Redis Cluster: 3 primaries + 3 replicas (`--cluster-enabled yes
    --cluster-node-timeout 2000 --appendonly yes`, each with its own --dir and nodes.conf),
    joined by `redis-cli --cluster create --cluster-replicas 1`. The API and workers get
    `redis+cluster://` naming every node."""

    def __init__(self, name, bindir, node_timeout_ms=2000, **kwargs):
        super().__init__(name, bindir, aof=True, **kwargs)
        self.node_timeout_ms = node_timeout_ms
        self.node_ports = cluster_ports(6)
        self.redis_url = "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.node_ports)
        self.nodes = {}

    def node_dir(self, port):
        return os.path.join(self.redis_dir, str(port))

    def start_node(self, port):
        os.makedirs(self.node_dir(port), exist_ok=True)
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", self.node_dir(port),
                "--save", "", "--daemonize", "no", "--loglevel", "notice",
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", str(self.node_timeout_ms), "--appendonly", "yes"]
        self.nodes[port] = Proc(f"redis-{port}", argv, os.path.join(self.dir, f"redis-{port}.log")).start()
        wait_answers(port)

    def start_redis(self):
        for port in self.node_ports:
            self.start_node(port)
        create = subprocess.run(["redis-cli", "--cluster", "create"] + [f"127.0.0.1:{p}" for p in self.node_ports]
                                + ["--cluster-replicas", "1", "--cluster-yes"], capture_output=True, timeout=120)
        if create.returncode != 0:
            raise RuntimeError("redis-cli --cluster create failed:\n" + create.stdout.decode()[-2000:])
        self.wait_healthy()

    def healthy(self):
        """Every running node says cluster_state:ok and every primary has its replica in sync."""
        for port, proc in self.nodes.items():
            if not proc.alive():
                continue
            if "cluster_state:ok" not in b2s(ask(port, "CLUSTER", "INFO") or ""):
                return False
            replication = info_fields(port, "replication")
            if replication.get("role") == "master" and replication.get("connected_slaves") != "1":
                return False
            if replication.get("role") == "slave" and replication.get("master_link_status") != "up":
                return False
        return True

    def wait_healthy(self, timeout=120):
        wait_for("the cluster is up with its replicas in sync", self.healthy, timeout)
        return time.time()

    def slot_owners(self, ports=None):
        """slot -> port of its primary, as the first answering node (of `ports`) sees it."""
        for port in ports or self.node_ports:
            reply = ask(port, "CLUSTER", "SLOTS")
            if reply:
                owners = {}
                for entry in reply:
                    for slot in range(entry[0], entry[1] + 1):
                        owners[slot] = int(entry[2][1])
                return owners
        return {}

    def wait_taken_over(self, slot, old, timeout=60):
        """Until a node other than `old` serves `slot` and every other node says cluster_state:ok; returns it."""
        others = [p for p in self.node_ports if p != old]

        def taken_over():
            owner = self.slot_owners(others).get(slot)
            up = all("cluster_state:ok" in b2s(ask(p, "CLUSTER", "INFO") or "") for p in others)
            return owner if owner not in (None, old) and up else None

        return wait_for("a replica takes over the slots", taken_over, timeout)

    def owner(self, queue):
        return self.slot_owners().get(queue_slot(queue))

    def node_id(self, port):
        return b2s(ask(port, "CLUSTER", "MYID"))

    def client(self, timeout=10.0, retry_window=30.0):
        return ClusterRedis(self.node_ports, timeout=timeout, retry_window=retry_window)

    def stream_groups(self, queues):
        return [[q] for q in queues]  # a command's keys must share a slot

    def stop_redis(self):
        for proc in self.nodes.values():
            proc.stop()


SENTINEL_MASTER = "offload"


class SentinelStack(Stack):
    """A Stack on a Sentinel deployment: a primary and 2 replicas (`--appendonly yes`, each
    from a config file that the sentinels' CONFIG REWRITE keeps current, so a restarted
    server comes back with the role they gave it) and 3 sentinels (`redis-server
    sentinel.conf --sentinel`, quorum 2, down-after 2 s). The API and workers get
    `redis+sentinel://` naming the sentinels."""

    def __init__(self, name, bindir, down_after_ms=2000, failover_timeout_ms=6000, **kwargs):
        super().__init__(name, bindir, aof=True, **kwargs)
        self.server_ports = [free_port() for _ in range(3)]
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.down_after_ms, self.failover_timeout_ms = down_after_ms, failover_timeout_ms
        self.redis_url = ("redis+sentinel://" + ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)
                          + f"/{SENTINEL_MASTER}")
        self.servers = {}
        self.sentinels = {}

    def server_dir(self, port):
        return os.path.join(self.redis_dir, str(port))

    def start_server(self, port):
        folder = self.server_dir(port)
        conf = os.path.join(folder, "redis.conf")
        if not os.path.exists(conf):
            os.makedirs(folder, exist_ok=True)
            lines = [f"port {port}", "bind 127.0.0.1", f"dir {folder}", 'save ""', "appendonly yes",
                     "loglevel notice"]
            if port != self.server_ports[0]:
                lines.append(f"replicaof 127.0.0.1 {self.server_ports[0]}")
            with open(conf, "w") as f:
                f.write("\n".join(lines) + "\n")
        self.servers[port] = Proc(f"redis-{port}", ["redis-server", conf],
                                  os.path.join(self.dir, f"redis-{port}.log")).start()
        wait_answers(port)

    def start_sentinel(self, port):
        folder = os.path.join(self.dir, f"sentinel-{port}")
        os.makedirs(folder, exist_ok=True)
        conf = os.path.join(folder, "sentinel.conf")
        with open(conf, "w") as f:
            f.write("\n".join([
                f"port {port}", "bind 127.0.0.1", f"dir {folder}",
                f"sentinel monitor {SENTINEL_MASTER} 127.0.0.1 {self.server_ports[0]} 2",
                f"sentinel down-after-milliseconds {SENTINEL_MASTER} {self.down_after_ms}",
                f"sentinel failover-timeout {SENTINEL_MASTER} {self.failover_timeout_ms}",
                f"sentinel parallel-syncs {SENTINEL_MASTER} 1"]) + "\n")
        self.sentinels[port] = Proc(f"sentinel-{port}", ["redis-server", conf, "--sentinel"],
                                    os.path.join(self.dir, f"sentinel-{port}.log")).start()
        wait_answers(port)

    def start_redis(self):
        for port in self.server_ports:
            self.start_server(port)
        for port in self.sentinel_ports:
            self.start_sentinel(port)
        self.wait_healthy()

    def primary(self):
        """The port every sentinel names as the primary, when they agree and it says it is one."""
        named = set()
        for port in self.sentinel_ports:
            address = ask(port, "SENTINEL", "get-master-addr-by-name", SENTINEL_MASTER)
            if not address:
                return None
            named.add(int(address[1]))
        if len(named) != 1:
            return None
        port = named.pop()
        role = ask(port, "ROLE")
        return port if role and b2s(role[0]) == "master" else None

    def wait_new_primary(self, old, timeout=60):
        """Until the sentinels agree on a primary other than `old`; returns it."""
        def new_primary():
            port = self.primary()
            return port if port not in (None, old) else None

        return wait_for("the sentinels name a new primary", new_primary, timeout)

    def healthy(self):
        primary = self.primary()
        if primary is None or info_fields(primary, "replication").get("connected_slaves") != "2":
            return False
        for port in self.server_ports:
            if port != primary and info_fields(port, "replication").get("master_link_status") != "up":
                return False
        for port in self.sentinel_ports:
            fields = ask(port, "SENTINEL", "master", SENTINEL_MASTER)
            fields = dict(zip((b2s(x) for x in fields[0::2]), (b2s(x) for x in fields[1::2]))) if fields else {}
            if fields.get("flags") != "master" or fields.get("num-other-sentinels") != "2":
                return False
            replicas = ask(port, "SENTINEL", "replicas", SENTINEL_MASTER) or []
            flags = [dict(zip((b2s(x) for x in r[0::2]), (b2s(x) for x in r[1::2]))).get("flags") for r in replicas]
            if sorted(flags) != ["slave", "slave"]:
                return False
        return True

    def wait_healthy(self, timeout=120):
        wait_for("the primary has its 2 replicas and the sentinels agree", self.healthy, timeout)
        return time.time()

    def client(self, timeout=10.0, retry_window=30.0):
        return SentinelRedis(self.sentinel_ports, SENTINEL_MASTER, timeout=timeout, retry_window=retry_window)

    def stop_redis(self):
        for proc in list(self.sentinels.values()) + list(self.servers.values()):
            proc.stop()


class EventTail(threading.Thread):
    """Follows queues' event streams with XREAD from the start, counting `completed` events per job.

    Each completion is also kept with its stream entry: the entry id's milliseconds are when
    Redis stored it, so completion rates hold even when the tail itself was held up."""

    def __init__(self, stack, queues):
        super().__init__(daemon=True)
        self.stack, self.queues = stack, queues
        self.last = {q: "0-0" for q in queues}
        self.completed = {}
        self.completion_times = []  # seconds since the epoch, one per completed job
        self.completed_entries = {}  # job id -> [(queue, entry id)]
        self.stop_flag = threading.Event()
        self.events = 0

    def run(self):
        # a short retry window: a shard failing over must not hold up reading the others
        r = self.stack.client(timeout=5, retry_window=1.0)
        groups = self.stack.stream_groups(self.queues)
        # one server blocks on all streams at once; a cluster's streams are read in turn
        block = ["BLOCK", 500] if len(groups) == 1 else []
        while not self.stop_flag.is_set():
            got, failed = 0, False
            for group in groups:
                keys = [f"{PREFIX}:{{{q}}}:events" for q in group]
                try:
                    reply = r.call("XREAD", "COUNT", 2000, *block, "STREAMS", *keys, *[self.last[q] for q in group])
                    got += self._take(reply)
                except (OSError, ConnectionError, RedisError, ValueError):
                    r.close()  # the next command connects again
                    failed = True
            if failed:
                time.sleep(0.2)
            elif not block and not got:
                self.stop_flag.wait(0.05)
        r.close()

    def _take(self, reply):
        got = 0
        for key, entries in reply or []:
            q = b2s(key).split("{", 1)[1].split("}", 1)[0]
            for entry_id, fields in entries:
                entry_id = b2s(entry_id)
                self.last[q] = entry_id
                self.events += 1
                got += 1
                f = dict(zip((b2s(x) for x in fields[0::2]), (b2s(x) for x in fields[1::2])))
                if f.get("event") == "completed":
                    stored_at = int(entry_id.split("-", 1)[0]) / 1000.0
                    # A batch of results is one entry naming its jobs in `ids`.
                    for job_id in f["ids"].split() if "ids" in f else [f.get("id")]:
                        self.completed[job_id] = self.completed.get(job_id, 0) + 1
                        self.completion_times.append(stored_at)
                        self.completed_entries.setdefault(job_id, []).append((q, entry_id))
        return got

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
        self.window503 = None  # longest span of refused submits (failover scenarios)
        self.back = None  # seconds until the completion rate was back to >= 80 % (failover scenarios)
        self.hung = None  # workers that did not exit on SIGTERM within their grace (failover scenarios)
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
    wait_answers(st.redis_port, timeout=30)
    settled = recover_and_account(st, res, sub, tail, join_timeout=120)
    if outage["503"] == 0:
        res.fail("no 503 while Redis was down")
    if outage["other"]:
        res.fail(f"non-503 answers during the outage: {outage['other'][:5]}")
    res.note(f"{outage['503']} x 503 during the 5 s outage; drained {settled:.1f} s after restart")
    finish_http(st, res)
    st.stop()
    return res


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


# ---------------------------------------------------------------------------- clusters and sentinels under faults

FINAL_STATES = ("completed", "dead", "cancelled")
HA_JOB_SECONDS = 0.1


def header(headers, name):
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


class QueueLoad(threading.Thread):
    """Submits batches of `test.sleep` jobs to one queue until stopped, logging every answer
    with its times. A refused batch is not sent again: the next batch is the retry. One
    thread per queue, so a queue whose shard is failing over holds up no other queue."""

    def __init__(self, stack, queue, batch=10, pause=0.25):
        super().__init__(daemon=True)
        self.stack, self.queue, self.batch, self.pause = stack, queue, batch, pause
        self.answers = []  # (sent, answered, status)
        self.accepted_at = {}  # job id -> when its 202 arrived
        self.job_errors = []  # per-job errors inside 202 batch answers
        self.refused_sample = {}  # status -> the first body answered with it
        self.stop_flag = threading.Event()

    def run(self):
        while not self.stop_flag.is_set():
            sent = time.time()
            status, payload, headers = self.stack.http(
                "POST", "/v1/jobs/batch", {"jobs": sleep_jobs(self.batch, HA_JOB_SECONDS, self.queue)})
            answered = time.time()
            self.answers.append((sent, answered, status))
            wait = self.pause
            if status == 202 and payload:
                for job in payload["jobs"]:
                    if job.get("id"):
                        self.accepted_at[job["id"]] = answered
                    else:
                        self.job_errors.append(job)
            else:
                self.refused_sample.setdefault(status, payload)
                wait = min(1.0, float(header(headers, "Retry-After") or 0.2)) if status == 503 else 0.2
            self.stop_flag.wait(wait)

    def refusals(self):
        """(start, end) spans of consecutive refused submits: from the first one sent to the last one answered."""
        spans, start, end = [], None, None
        for sent, answered, status in self.answers:
            if status == 202:
                if start is not None:
                    spans.append((start, end))
                start = None
            else:
                start = sent if start is None else start
                end = answered
        if start is not None:
            spans.append((start, end))
        return spans


def completion_rate_back(times, fault_at, until, before=5.0, window=2.0, step=0.25):
    """(seconds after `fault_at` until the completion rate, over `window` s, is back to >= 80 %
    of its mean over the `before` s ending 1 s before the fault; the rate before). 0 when it
    never fell below 80 %, inf when it did not come back before `until`."""
    times = sorted(times)

    def count(a, b):
        return bisect.bisect_left(times, b) - bisect.bisect_left(times, a)

    before_rate = count(fault_at - 1 - before, fault_at - 1) / before
    if before_rate == 0:
        return None, 0.0
    fell = False
    t = fault_at
    while t + window <= until:
        rate = count(t, t + window) / window
        if not fell and rate < 0.8 * before_rate:
            fell = True
        elif fell and rate >= 0.8 * before_rate:
            return t + window - fault_at, before_rate
        t += step
    return (float("inf") if fell else 0.0), before_rate


def supports_min_replicas(bindir):
    for exe in ("offload-api", "offload-worker"):
        helptext = subprocess.run([os.path.join(bindir, exe), "--help"], capture_output=True, timeout=60)
        if b"--min-replicas" not in helptext.stdout + helptext.stderr:
            return False
    return True


def spread_queues(per_primary=2):
    """Queue names whose slots fall in each third of the slot space, `per_primary` each: the
    ranges `redis-cli --cluster create` gives 3 primaries."""
    ranges = ((0, 5460), (5461, 10922), (10923, 16383))
    chosen = {r: [] for r in ranges}
    i = 0
    while any(len(v) < per_primary for v in chosen.values()):
        name = f"load{i}"
        for r in ranges:
            if r[0] <= queue_slot(name) <= r[1] and len(chosen[r]) < per_primary:
                chosen[r].append(name)
        i += 1
    return [q for r in ranges for q in chosen[r]]


class Fault:
    """One fault and what followed it, so rates, refusals and losses can be set against it."""

    def __init__(self, label):
        self.label, self.began = label, time.time()
        self.taken_over = None  # when another server took over (a promoted replica, a moved slot)
        self.demoted = None  # when a primary that was not killed became a replica
        self.aof = None  # a killed server's AOF, kept before it restarted
        log(f"fault: {label}")


def aof_bytes(folder):
    """Everything in a server's AOF files (kept from the moment it was killed)."""
    data = b""
    for root, _, files in os.walk(folder):
        for name in files:
            if ".aof" in name:
                with open(os.path.join(root, name), "rb") as f:
                    data += f.read()
    return data


class Availability:
    """One failover scenario's run: the load on every queue, the event tail, the faults,
    and at the end the figures and the goals."""

    def __init__(self, st, res, min_replicas):
        self.st, self.res, self.min_replicas = st, res, min_replicas
        self.queues = st.queues[:-1]  # the last is the probe's queue "chaos"
        self.tail = EventTail(st, st.queues)
        self.loads = [QueueLoad(st, q) for q in self.queues]
        self.faults = []

    def start(self, warmup=8.0):
        self.tail.start()
        for load in self.loads:
            load.start()
        time.sleep(warmup)

    def fault(self, label):
        self.faults.append(Fault(label))
        return self.faults[-1]

    def stop_load(self):
        for load in self.loads:
            load.stop_flag.set()
        for load in self.loads:
            load.join(HTTP_TIMEOUT + 5)
        return time.time()

    def finish(self, load_end, expect_loss_on=(), strict_moves=False):
        """Waits for every accepted job to be final, stops the workers (counting any that
        hangs), counts and explains, and checks the goals."""
        st, res = self.st, self.res
        accepted = {}
        for load in self.loads:
            accepted.update(load.accepted_at)
        ids = list(accepted)
        open_ids = self.wait_final(ids, timeout=180)
        self.tail.finish()
        exited = [w.name for w in st.workers if not w.alive()]
        if exited:
            res.note(f"worker supervisors that exited during the run: {exited}")
        res.hung = self.stop_workers()
        fields = st.job_fields(ids, ("state", "att"))
        gone = [i for i in ids if fields[i]["state"] is None]
        unfinished = [i for i in ids if fields[i]["state"] is not None and fields[i]["state"] not in FINAL_STATES]
        res.submitted = len(ids)
        res.completed = sum(1 for i in ids if fields[i]["state"] == "completed")
        res.lost = len(gone) + len(unfinished)
        twice = {i for i in ids if int(fields[i].get("att") or 0) > 1 or self.tail.completed.get(i, 0) > 1}
        res.multi = len(twice)
        others = {s: sum(1 for i in ids if fields[i]["state"] == s) for s in ("dead", "cancelled")}
        if any(others.values()):
            res.note(f"final but not completed: {others}")
        self.check_outcomes(ids)
        self.figures(load_end)
        self.explain_loss(gone, accepted, fields, expect_loss_on)
        res.http5xx = st.stats["5xx"] + st.stats["hang"]
        res.http503 = st.stats["503"]
        job_errors = [e for load in self.loads for e in load.job_errors]
        if job_errors:
            res.note(f"{len(job_errors)} jobs refused inside 202 batch answers, e.g. {job_errors[0]}")
        if st.stats["5xx"] or st.stats["hang"] or st.stats["503_no_retry_after"]:
            res.note(f"client-visible errors beyond a retry: {st.stats['5xx']} x 5xx other than 503, "
                     f"{st.stats['hang']} requests over {HTTP_TIMEOUT:.0f} s, "
                     f"{st.stats['503_no_retry_after']} x 503 without Retry-After")
        # The goals, and nothing else, fail the scenario.
        if unfinished:
            res.fail(f"{len(unfinished)} accepted jobs not in a final state 180 s after the load, e.g. "
                     f"{[(i, fields[i]['state']) for i in unfinished[:3]]}")
        if res.hung:
            res.fail(f"{res.hung} worker supervisors did not exit within their grace after SIGTERM")
        if gone and (self.min_replicas or strict_moves):
            res.fail(f"{len(gone)} accepted jobs gone" + (" with --min-replicas 1" if self.min_replicas else ""))
        not_retry = sum(1 for load in self.loads for _, _, status in load.answers if status not in (202, 503))
        if strict_moves and (not_retry or st.stats["503_no_retry_after"] or job_errors):
            res.fail("a client saw an error other than a 503 with Retry-After")
        if res.recover is None:
            res.note("the probe job did not complete within 60 s of the last fault")

    def wait_final(self, ids, timeout):
        deadline = time.time() + timeout
        waiting = list(ids)
        while True:
            try:
                fields = self.st.job_fields(waiting, ("state",))
                waiting = [i for i in waiting if fields[i]["state"] is not None and fields[i]["state"] not in FINAL_STATES]
            except (OSError, ConnectionError, RedisError) as e:
                log(f"{self.st.name}: reading job states failed: {e}")
            if not waiting or time.time() > deadline:
                return waiting
            time.sleep(1.0)

    def stop_workers(self):
        for w in self.st.workers:
            w.signal(signal.SIGTERM)
        hung = [w for w in self.st.workers if not w.wait(self.st.grace_seconds + 15)]
        for w in hung:
            w.signal(signal.SIGKILL)
            w.wait(5)
        return len(hung)

    def check_outcomes(self, ids):
        """Two `completed` events for a job are a failover's doing when the first entry went
        with a primary's unreplicated writes; two that both survive are two recorded outcomes."""
        doubles = [i for i in ids if self.tail.completed.get(i, 0) > 1]
        r = self.st.client()
        try:
            both_kept = []
            for job_id in doubles:
                entries = self.tail.completed_entries[job_id]
                kept = [e for q, e in entries if r.call("XRANGE", f"{PREFIX}:{{{q}}}:events", e, e)]
                if len(kept) > 1:
                    both_kept.append(job_id)
        finally:
            r.close()
        if doubles:
            self.res.note(f"{len(doubles)} jobs with two completed events, {len(doubles) - len(both_kept)} of them "
                          "because the first completion went with an unreplicated primary's writes (run again)")
        if both_kept:
            self.res.fail(f"{len(both_kept)} jobs have two recorded completions, e.g. {both_kept[:3]}")

    def figures(self, load_end):
        res = self.res
        windows = [(end - start, start, load.queue) for load in self.loads for start, end in load.refusals()]
        res.window503 = max((w for w, _, _ in windows), default=0.0)
        latencies = [answered - sent for load in self.loads for sent, answered, status in load.answers if status == 202]
        backs = []
        for n, fault in enumerate(self.faults):
            until = self.faults[n + 1].began if n + 1 < len(self.faults) else load_end
            back, rate = completion_rate_back(self.tail.completion_times, fault.began, until)
            backs.append(back)
            during = [w for w, start, _ in windows if fault.began - 1 <= start < until]
            res.note(f"{fault.label}: completions {rate:.0f}/s before; back to >= 80 % after "
                     f"{'never' if back == float('inf') else f'{back:.1f} s' if back is not None else '-'}; "
                     f"longest refusal {max(during, default=0.0):.1f} s")
        known = [b for b in backs if b is not None]
        res.back = max(known) if known else None
        refused, samples, by_queue = {}, {}, {}
        for load in self.loads:
            samples.update(load.refused_sample)
            for _, _, status in load.answers:
                if status != 202:
                    refused[status] = refused.get(status, 0) + 1
                    by_queue[load.queue] = by_queue.get(load.queue, 0) + 1
        res.note(f"slowest accepted submit {max(latencies, default=0.0):.2f} s; "
                 f"{sum(len(load.refusals()) for load in self.loads)} refusal windows over {len(self.loads)} queues; "
                 f"refused answers by status (0 = no connection, -1 = no answer in {HTTP_TIMEOUT:.0f} s): {refused}, "
                 f"by queue: {by_queue}"
                 + "".join(f"; a {status}: {str(body)[:300]}" for status, body in sorted(samples.items())))

    def explain_loss(self, gone, accepted, fields, expect_loss_on):
        """Where the gone jobs were and when they were acknowledged, set against the faults."""
        res = self.res
        if not gone:
            res.note("no accepted job gone")
            return
        by_queue = {}
        for i in gone:
            by_queue[i.split(".", 1)[0]] = by_queue.get(i.split(".", 1)[0], 0) + 1
        fault = min(self.faults, key=lambda f: min(abs(accepted[i] - f.began) for i in gone))
        offsets = sorted((accepted[i] - fault.began) * 1000 for i in gone)
        elsewhere = {q: n for q, n in by_queue.items() if expect_loss_on and q not in expect_loss_on}
        before = sum(1 for i in gone if accepted[i] < fault.began)
        text = (f"{len(gone)} accepted jobs gone, by queue {by_queue}; acknowledged {offsets[0]:+.0f} to "
                f"{offsets[-1]:+.0f} ms from '{fault.label}'")
        if fault.aof is not None:
            text += f"; {sum(1 for i in gone if i.encode() in fault.aof)} of them are in the killed primary's AOF"
        if before:
            text += (f". {before} acknowledged before the fault: the primary had not yet sent them to the replica "
                     "that took over (replication is asynchronous)")
        if len(gone) - before and fault.demoted:
            text += (f". {len(gone) - before} acknowledged after it, by the old primary: the new one served from "
                     f"+{fault.taken_over - fault.began:.1f} s, but the old one, a primary in its own eyes until the "
                     f"sentinels made it a replica at +{fault.demoted - fault.began:.1f} s, took the writes of clients "
                     "that had not switched yet; its data was then replaced by the new primary's")
            if self.min_replicas:
                text += "; its remaining replica confirmed their WAIT until the sentinels moved that one too"
        elif len(gone) - before:
            text += f". UNEXPLAINED: {len(gone) - before} acknowledged after the fault"
        res.note(text)
        if elsewhere:
            res.note(f"UNEXPLAINED: gone jobs on queues the fault did not touch: {elsewhere}")


def failover_scenario(number, title, stack_class, body, bindir, min_replicas):
    """Runs `body(run)` on a started stack of `stack_class` under load: 2 supervisors x 2
    children x 8 threads of 0.1 s jobs (~320 jobs/s) against ~240 jobs/s submitted, so the
    backlog stays near zero and the completion rate follows the submits. Fails at once when
    the binaries predate --min-replicas."""
    res = Result(f"{number} {title}" + (" (--min-replicas 1)" if min_replicas else ""))
    if min_replicas and not supports_min_replicas(bindir):
        res.fail("offload-api/offload-worker in the bin dir have no --min-replicas option")
        return res
    with stack_class(body.__name__.replace("_", "-"), bindir, workers=2, processes=2, concurrency=8, lease_ms=5000,
                     grace_seconds=5, queues=tuple(spread_queues()) + ("chaos",), min_replicas=min_replicas) as st:
        st.start()
        body(Availability(st, res, min_replicas))
    return res


def cluster_failover(run):
    st, res = run.st, run.res
    owners = st.slot_owners()
    victim = owners[queue_slot(run.queues[0])]
    held = [q for q in st.queues if owners[queue_slot(q)] == victim]
    global_keys = [k for k in ("queues", "workers", "job-types") if owners[key_slot(f"{PREFIX}:{k}")] == victim]
    shards = {p: [q for q in st.queues if owners[queue_slot(q)] == p] for p in sorted(set(owners.values()))}
    res.note(f"primaries and their queues: {shards}; killed {victim} holds {held} and the global keys {global_keys}")
    run.start()
    fault = run.fault(f"SIGKILL primary {victim}")
    st.nodes[victim].signal(signal.SIGKILL)
    st.nodes[victim].wait(5)
    fault.aof = aof_bytes(st.node_dir(victim))
    new_owner = st.wait_taken_over(queue_slot(run.queues[0]), victim)
    fault.taken_over = time.time()
    promoted = fault.taken_over - fault.began
    st.start_node(victim)
    rejoined = st.wait_healthy() - fault.began
    role = b2s((ask(victim, "ROLE") or ["no answer"])[0])
    res.note(f"replica {new_owner} promoted {promoted:.1f} s after the SIGKILL; the old primary restarted and is "
             f"a {role} in sync {rejoined:.1f} s after it")
    if role != "slave":
        res.fail(f"the restarted primary is a {role}, not a replica")
    res.recover = st.probe(time.time() + 60)
    time.sleep(max(0.0, fault.began + rejoined + 15 - time.time()))
    run.finish(run.stop_load(), expect_loss_on=held)


def migrate_slot(st, slot, source, target, keys_per_call=10, pause=0.05):
    """Moves one slot as `redis-cli --cluster reshard` does (IMPORTING on the target,
    MIGRATING on the source, MIGRATE its keys 10 at a time, then SETSLOT NODE on every
    primary), pausing between MIGRATE calls so the slot stays half-moved for seconds while
    the load runs. Returns the keys moved."""
    source_id, target_id = st.node_id(source), st.node_id(target)
    send_to(target, "CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
    send_to(source, "CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)
    moved = 0
    r = Redis(source)
    try:
        while True:
            keys = r.call("CLUSTER", "GETKEYSINSLOT", slot, keys_per_call)
            if not keys:
                break
            r.call("MIGRATE", "127.0.0.1", target, "", 0, 30000, "KEYS", *keys)
            moved += len(keys)
            time.sleep(pause)
    finally:
        r.close()
    primaries = sorted(set(st.slot_owners().values()))
    for port in [target, source] + [p for p in primaries if p not in (target, source)]:
        send_to(port, "CLUSTER", "SETSLOT", slot, "NODE", target_id)
    return moved


def cluster_reshard(run):
    st, res = run.st, run.res
    run.start()
    owners = st.slot_owners()
    primaries = sorted(set(owners.values()))
    moves = []
    # the first queue of two primaries, each to the next primary
    for source in primaries[:2]:
        queue = next(q for q in run.queues if owners[queue_slot(q)] == source)
        target = primaries[(primaries.index(source) + 1) % len(primaries)]
        fault = run.fault(f"move slot {queue_slot(queue)} of {queue} {source} -> {target}")
        moved = migrate_slot(st, queue_slot(queue), source, target)
        fault.taken_over = time.time()
        moves.append(f"{queue}: {moved} keys in {fault.taken_over - fault.began:.1f} s")
        if st.owner(queue) != target:
            res.fail(f"slot of {queue} is not on {target} after the move")
        time.sleep(5)
    res.note("moved " + "; ".join(moves))
    res.recover = st.probe(time.time() + 60)
    time.sleep(10)
    run.finish(run.stop_load(), strict_moves=True)


def sentinel_failover(run):
    st, res = run.st, run.res
    run.start()
    old = st.primary()
    fault = run.fault(f"SENTINEL FAILOVER (primary {old})")
    ask(st.sentinel_ports[0], "SENTINEL", "FAILOVER", SENTINEL_MASTER)
    first = st.wait_new_primary(old)
    fault.taken_over = time.time()
    wait_for(f"{old} becomes a replica", lambda: b2s((ask(old, "ROLE") or [b""])[0]) == "slave", 60)
    fault.demoted = time.time()
    settled = st.wait_healthy() - fault.began
    res.note(f"SENTINEL FAILOVER: {first} is primary after {fault.taken_over - fault.began:.1f} s; {old} a replica "
             f"after {fault.demoted - fault.began:.1f} s, in sync after {settled:.1f} s")
    # a sentinel starts no new failover of a master within 2 x failover-timeout of the last
    time.sleep(max(0.0, fault.began + max(settled + 10, 2.5 * st.failover_timeout_ms / 1000) - time.time()))
    victim = st.primary()
    fault = run.fault(f"SIGKILL primary {victim}")
    st.servers[victim].signal(signal.SIGKILL)
    st.servers[victim].wait(5)
    fault.aof = aof_bytes(st.server_dir(victim))
    second = st.wait_new_primary(victim)
    fault.taken_over = time.time()
    st.start_server(victim)
    settled = st.wait_healthy() - fault.began
    res.note(f"SIGKILL: {second} is primary after {fault.taken_over - fault.began:.1f} s; {victim} restarted, "
             f"a replica in sync after {settled:.1f} s")
    res.recover = st.probe(time.time() + 60)
    time.sleep(max(0.0, fault.began + settled + 15 - time.time()))
    run.finish(run.stop_load(), expect_loss_on=run.queues)


def scenario_cluster_failover(bindir, short):
    return failover_scenario(8, "Cluster primary failover", ClusterStack, cluster_failover, bindir, 0)


def scenario_cluster_failover_min_replicas(bindir, short):
    return failover_scenario(9, "Cluster primary failover", ClusterStack, cluster_failover, bindir, 1)


def scenario_cluster_reshard(bindir, short):
    return failover_scenario(10, "Cluster resharding under load", ClusterStack, cluster_reshard, bindir, 0)


def scenario_sentinel_failover(bindir, short):
    return failover_scenario(11, "Sentinel failover", SentinelStack, sentinel_failover, bindir, 0)


def scenario_sentinel_failover_min_replicas(bindir, short):
    return failover_scenario(12, "Sentinel failover", SentinelStack, sentinel_failover, bindir, 1)


SCENARIOS = {
    "1": scenario_kill_storm, "2": scenario_redis_restart, "3": scenario_redis_stall, "4": scenario_full_restart,
    "5": scenario_zombie, "6": scenario_poison, "7": scenario_soak,
    "8": scenario_cluster_failover, "9": scenario_cluster_failover_min_replicas, "10": scenario_cluster_reshard,
    "11": scenario_sentinel_failover, "12": scenario_sentinel_failover_min_replicas,
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
    def seconds(value):
        if value == float("inf"):
            return "never"
        return "-" if value is None or value < 0 else f"{value:.1f}"

    header = ["scenario", "submitted", "completed", "lost", "multi", "5xx", "503", "503_win_s", "back_s", "hung",
              "recover_s", "took_s", "result"]
    rows = [[r.name, r.submitted, r.completed, r.lost, r.multi, r.http5xx, r.http503, seconds(r.window503),
             seconds(r.back), "-" if r.hung is None else r.hung, seconds(r.recover), f"{r.seconds:.0f}",
             "PASS" if r.ok else "FAIL"]
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
