"""Submits N no-op Celery jobs in a loop of noop.apply_async() over one producer
(one connection); prints the seconds."""
import sys
import time

from .tasks import app, noop

n = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
t0 = time.monotonic()
with app.producer_or_acquire() as producer:
    for _ in range(n):
        noop.apply_async(producer=producer)
print(time.monotonic() - t0)
