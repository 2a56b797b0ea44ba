"""The peer the article recommends: Celery with the Redis broker. The same work as Offload's
`test.noop`, `test.started-at` and `count-primes`. The broker URL comes from REDIS_URL.

Results are not stored (as Offload's submit does not wait for one either), so the tasks the
benchmark times write their own timestamps (CLOCK_REALTIME, seconds) to Redis lists:
`bench:started` (start) and `bench:times` ("start end")."""
import os
import time

import redis
from celery import Celery

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
app = Celery("peers", broker=REDIS_URL)
app.conf.update(
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    worker_prefetch_multiplier=4,  # Celery's default
    broker_connection_retry_on_startup=True,
)
_stamps = None


def stamps():
    """This process's own connection for the timestamps (made after the prefork fork)."""
    global _stamps
    if _stamps is None:
        _stamps = redis.Redis.from_url(REDIS_URL)
    return _stamps


@app.task(name="noop")
def noop(*payload):
    return None


@app.task(name="started_at")
def started_at():
    start = time.time()
    stamps().rpush("bench:started", repr(start))


def primes_below(below: int) -> int:
    """Primes below `below`, a plain sieve of Eratosthenes."""
    if below < 3:
        return 0
    sieve = bytearray([1]) * below
    sieve[0] = sieve[1] = 0
    i = 2
    while i * i < below:
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(range(i * i, below, i)))
        i += 1
    return sum(sieve)


@app.task(name="count_primes")
def count_primes(below: int) -> int:
    start = time.time()
    count = primes_below(below)
    stamps().rpush("bench:times", f"{start!r} {time.time()!r}")
    return count
