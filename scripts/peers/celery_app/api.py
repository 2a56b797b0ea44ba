"""FastAPI in front of Celery, as the article recommends: POST /jobs enqueues with
`task.delay(...)` and returns the id; GET /healthz is the server's own ceiling.
GET /primes-inline is the anti-pattern the article warns about, for contrast: CPU work
inside an `async def` handler, on the event loop.
Run: uvicorn celery_app.api:api --workers 1 (from scripts/peers)."""
import time

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from .tasks import count_primes, noop, primes_below, started_at

api = FastAPI()


class Job(BaseModel):
    type: str
    payload: dict = {}


@api.get("/healthz")
async def healthz():
    return {"status": "ok"}


@api.post("/jobs", status_code=202)
def submit(job: Job):
    # A sync handler: FastAPI runs it in its thread pool, so the blocking Redis call of
    # delay() does not stall the event loop.
    if job.type == "noop":
        result = noop.delay()
    elif job.type == "started_at":
        result = started_at.delay()
    elif job.type == "count_primes":
        result = count_primes.delay(int(job.payload.get("below", 0)))
    else:
        raise HTTPException(422, f"unknown job type {job.type!r}")
    return {"id": result.id, "state": "pending"}


@api.get("/primes-inline")
async def primes_inline(below: int):
    # The anti-pattern: the sieve runs on the event loop, so every other request waits.
    start = time.perf_counter()
    count = primes_below(below)
    return {"count": count, "ms": (time.perf_counter() - start) * 1000}
