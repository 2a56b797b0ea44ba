#!/usr/bin/env python3
"""CPU efficiency of the worker processes (`make bench-workers`).

200 count-primes jobs of about 50 ms each on 2 worker processes (one thread each): the
wall time from submit to the last job's end against the ideal, 200 × single-job time / 2,
where the single-job time is the median handler time of jobs run one at a time in the
same stack. Expects the API at $API (scripts/bench/workers.sh starts the stack).
"""
import json
import os
import statistics
import sys
import time
import urllib.request
from datetime import datetime

API = os.environ["API"]
JOBS = int(os.environ.get("JOBS", "200"))
TARGET_MS = float(os.environ.get("TARGET_MS", "50"))


def call(method, path, body=None):
    request = urllib.request.Request(API + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def ms(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


def run_one(below):
    job = call("POST", "/v1/jobs", {"type": "count-primes", "payload": {"below": below}})
    job = call("GET", f"/v1/jobs/{job['id']}?wait=60")
    assert job["state"] == "completed", job
    return ms(job["finished_at"]) - ms(job["started_at"])


def main():
    # Calibrate `below` so one job takes about TARGET_MS.
    below = 2_000_000
    for _ in range(6):
        took = statistics.median(run_one(below) for _ in range(3))
        below = max(10_000, int(below * TARGET_MS / max(took, 0.5)))
    single = statistics.median(run_one(below) for _ in range(10))

    started = time.time() * 1000
    ids = [job["id"] for job in call("POST", "/v1/jobs/batch",
                                     {"jobs": [{"type": "count-primes", "payload": {"below": below}}] * JOBS})["jobs"]]
    # Jobs start in FIFO order: wait on the last one only, so the client stays idle during
    # the run, then read every job's times.
    call("GET", f"/v1/jobs/{ids[-1]}?wait=60")
    jobs = [call("GET", f"/v1/jobs/{job_id}?wait=60") for job_id in ids]
    assert all(job["state"] == "completed" for job in jobs)
    wall = max(ms(job["finished_at"]) for job in jobs) - started
    in_parallel = statistics.median(ms(job["finished_at"]) - ms(job["started_at"]) for job in jobs)
    ideal = JOBS * single / 2
    # Handler time alone in parallel vs alone tells CPU contention (cache, frequency, the
    # API and Redis sharing the cores) from scheduling gaps between jobs.
    print(json.dumps({"below": below, "single_ms": round(single, 1), "parallel_job_ms": round(in_parallel, 1),
                      "wall_ms": round(wall, 1), "ideal_ms": round(ideal, 1), "efficiency": round(ideal / wall, 4),
                      "busy_share": round(JOBS * in_parallel / 2 / wall, 4)}))


if __name__ == "__main__":
    sys.exit(main())
