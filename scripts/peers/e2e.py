"""Helpers for scripts/peers/bench.sh, run with .venv-peers/bin/python.

  e2e.py submit-offload API N      batch-submit N test.noop jobs (1,000 per call); prints seconds
  e2e.py drain SYSTEM REDIS_URL N  waits until N jobs are processed; prints processed jobs/s,
                                   timed from the first processed job seen to the last
                                   (so a worker's start-up is not counted)
"""
import json
import sys
import time
import urllib.request

import redis


def submit_offload(api, n):
    body = json.dumps({"jobs": [{"type": "test.noop"}] * 1000}).encode()
    t0 = time.monotonic()
    for start in range(0, n, 1000):
        data = body if n - start >= 1000 else json.dumps({"jobs": [{"type": "test.noop"}] * (n - start)}).encode()
        req = urllib.request.Request(f"{api}/v1/jobs/batch", data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            if resp.status >= 300:
                sys.exit(f"batch submit: HTTP {resp.status}")
            resp.read()
    print(time.monotonic() - t0)


def drain(system, url, n, timeout=300):
    r = redis.Redis.from_url(url)
    if system == "offload":
        processed = lambda: r.zcard("offload:{default}:completed")
    elif system == "celery":  # early acks: a message leaves `unacked` when its task starts
        processed = lambda: n - r.llen("celery") - r.hlen("unacked")
    elif system == "sidekiq":  # basic fetch: BRPOP takes the job off the list when it starts
        processed = lambda: n - r.llen("queue:default")
    else:
        sys.exit(f"unknown system {system}")
    deadline = time.monotonic() + timeout
    first, last_zero = None, time.monotonic()
    while time.monotonic() < deadline:
        done, now = processed(), time.monotonic()
        if done == 0:
            last_zero = now
        elif first is None:
            first = (now, done)
        if done >= n:
            if first[1] >= n:  # all done within one poll: time it from the last poll that saw none
                first = (last_zero, 0)
            print((n - first[1]) / max(now - first[0], 1e-9))
            return
        time.sleep(0.01)
    sys.exit(f"drain: {system} processed {processed()} of {n} in {timeout} s")


if __name__ == "__main__":
    if sys.argv[1] == "submit-offload":
        submit_offload(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "drain":
        drain(sys.argv[2], sys.argv[3], int(sys.argv[4]))
