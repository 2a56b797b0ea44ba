"""A FastAPI app that offloads CPU-heavy work to Offload instead of doing it in its handlers.

An ``async def`` handler runs on the server's one event loop: computing in it would stall
every other request until it returns. ``/primes`` hands the computation to an Offload worker
process and awaits the result, so while it waits the loop keeps serving (``/ping`` answers at
once however many ``/primes`` requests are in flight).

    OFFLOAD_URL=http://127.0.0.1:8080 uvicorn app:app --port 8000

``OFFLOAD_URL`` is the Offload API (default ``http://127.0.0.1:8080``), ``OFFLOAD_API_TOKEN``
its token if it has one, ``PRIMES_TIMEOUT_SECONDS`` how long ``/primes`` waits (default 120).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Annotated

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from offload import JobFailed, OffloadClient, OffloadError

OFFLOAD_URL = os.environ.get("OFFLOAD_URL", "http://127.0.0.1:8080")
OFFLOAD_API_TOKEN = os.environ.get("OFFLOAD_API_TOKEN") or None
PRIMES_TIMEOUT_SECONDS = float(os.environ.get("PRIMES_TIMEOUT_SECONDS", "120"))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # One client for the app's lifetime: its connection pool serves every request.
    async with OffloadClient(OFFLOAD_URL, token=OFFLOAD_API_TOKEN) as offload:
        app.state.offload = offload
        yield


app = FastAPI(title="Offload example: FastAPI", lifespan=lifespan)


@app.exception_handler(OffloadError)
async def offload_unavailable(request: Request, error: OffloadError) -> JSONResponse:
    """Offload refused or could not be reached: the app's upstream failed (502), or is
    overloaded (503, with its ``Retry-After``)."""
    headers = {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(round(error.retry_after))
    status = 503 if error.status in (429, 503) else 502
    return JSONResponse({"detail": f"offload: {error}"}, status_code=status, headers=headers)


@app.get("/ping")
async def ping() -> dict[str, str]:
    """Answers at once: it shows the event loop is free."""
    return {"status": "ok"}


@app.get("/primes")
async def primes(
    request: Request,
    below: Annotated[int, Query(ge=0, le=10_000_000_000, description="Count the primes below this number.")],
) -> dict[str, int | str]:
    """How many primes are below ``below``, counted by an Offload worker (``count-primes``)."""
    offload: OffloadClient = request.app.state.offload
    job = await offload.submit("count-primes", {"below": below})
    try:
        result = await job.result(timeout=PRIMES_TIMEOUT_SECONDS)
    except TimeoutError:
        with suppress(OffloadError):  # nobody waits for it any more: free the worker
            await job.cancel()
        raise HTTPException(504, f"job {job.id} did not finish within {PRIMES_TIMEOUT_SECONDS:g} s") from None
    except JobFailed as failure:
        raise HTTPException(502, f"job {job.id} failed: {failure.type}: {failure.message}") from None
    return {"below": below, "count": result["count"], "job": job.id}
