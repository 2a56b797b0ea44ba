"""FastAPI in front of Celery, as the article recommends: POST /jobs enqueues with
`task.delay(...)` and returns the id; GET /healthz is the server's own ceiling.
Run: uvicorn celery_app.api:api --workers 1 (from scripts/peers)."""
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from .tasks import count_primes, noop

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
    elif job.type == "count_primes":
        result = count_primes.delay(int(job.payload.get("below", 0)))
    else:
        raise HTTPException(422, f"unknown job type {job.type!r}")
    return {"id": result.id, "state": "pending"}
