"""The peer the article recommends: Celery with the Redis broker. Two tasks, the same work
as Offload's `test.noop` and `count-primes`. The broker URL comes from REDIS_URL."""
import os

from celery import Celery

app = Celery("peers", broker=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
app.conf.update(
    task_ignore_result=True,  # Offload's submit does not wait for or store a result either
    worker_hijack_root_logger=False,
    worker_prefetch_multiplier=4,  # Celery's default
    broker_connection_retry_on_startup=True,
)


@app.task(name="noop")
def noop():
    return None


@app.task(name="count_primes")
def count_primes(below: int) -> int:
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
