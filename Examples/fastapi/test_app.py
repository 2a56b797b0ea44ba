"""The example app under uvicorn against a real Offload API (``OFFLOAD_API_URL``, with
``OFFLOAD_API_TOKEN`` if it has one): ``/ping`` answers while ``/primes`` requests wait on
CPU-heavy jobs, and the prime counts are right."""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO

import httpx
import pytest

from offload import OffloadClient

HERE = Path(__file__).resolve().parent

#: pi(N - 1), the primes below N, for the limits the test may choose.
PRIMES_BELOW = {
    1_000_000: 78_498,
    2_000_000: 148_933,
    5_000_000: 348_513,
    10_000_000: 664_579,
    20_000_000: 1_270_607,
    50_000_000: 3_001_134,
    100_000_000: 5_761_455,
    200_000_000: 11_078_937,
    500_000_000: 26_355_867,
    1_000_000_000: 50_847_534,
}
#: Worker time each /primes job should take at least, so the requests are surely in flight
#: when /ping is asked whatever the build (a debug worker sieves tens of times slower).
JOB_SECONDS = 1.5
#: /primes requests in flight at once.
REQUESTS = 4
#: Bounds on waiting for conditions: generous, the machine may be loaded.
STARTUP_SECONDS = 60.0
SCENARIO_SECONDS = 240.0


@pytest.fixture(scope="module")
def offload_api() -> tuple[str, str | None]:
    url = os.environ.get("OFFLOAD_API_URL")
    if not url:
        pytest.fail("OFFLOAD_API_URL must name the Offload API to test against")
    return url, os.environ.get("OFFLOAD_API_TOKEN") or None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def die_with_parent() -> None:
    """Runs in the server's process before it starts: Linux sends it SIGTERM when the test
    process dies, so a test run killed by its time limit leaves no server behind."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def log_text(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-4000:]


@pytest.fixture(scope="module")
def app_url(offload_api: tuple[str, str | None]) -> Iterator[str]:
    """The example app served by uvicorn on a free loopback port, stopped afterwards."""
    port = free_port()
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app:app", "--app-dir", str(HERE), "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env={**os.environ, "OFFLOAD_URL": offload_api[0]},
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent if sys.platform == "linux" else None,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"uvicorn exited with {process.returncode}:\n{log_text(log)}")
            try:
                if httpx.get(f"{url}/ping", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the app did not answer /ping within {STARTUP_SECONDS:g} s:\n{log_text(log)}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def heavy_limit(api_url: str, token: str | None) -> int:
    """The smallest known limit whose count-primes job takes `JOB_SECONDS` of this machine's
    workers, from the run time of one job of 10^7."""
    async with OffloadClient(api_url, token=token) as offload:
        job = await offload.submit("count-primes", {"below": 10_000_000})
        assert await job.result(timeout=SCENARIO_SECONDS) == {"count": PRIMES_BELOW[10_000_000]}
        info = await job.info()
    seconds_per_number = max(0.001, (timestamp(info["finished_at"]) - timestamp(info["started_at"])).total_seconds()) / 10_000_000
    for limit in sorted(PRIMES_BELOW):
        if limit * seconds_per_number >= JOB_SECONDS:
            return limit
    return max(PRIMES_BELOW)


async def until_running(api: httpx.AsyncClient, below: int) -> None:
    """Returns once a worker runs one of the test's count-primes jobs."""
    deadline = asyncio.get_running_loop().time() + SCENARIO_SECONDS
    while True:
        answer = await api.get("/v1/jobs", params={"queue": "default", "state": "active", "limit": 1000})
        answer.raise_for_status()
        if any(job["type"] == "count-primes" and (job.get("payload") or {}).get("below") == below
               for job in answer.json()["jobs"]):
            return
        assert asyncio.get_running_loop().time() < deadline, "no /primes job started running"
        await asyncio.sleep(0.05)


def test_ping_answers_while_primes_are_counted(app_url: str, offload_api: tuple[str, str | None]) -> None:
    api_url, token = offload_api
    below = asyncio.run(asyncio.wait_for(heavy_limit(api_url, token), SCENARIO_SECONDS))

    async def scenario() -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient(base_url=app_url, timeout=httpx.Timeout(30, read=SCENARIO_SECONDS)) as app, \
                httpx.AsyncClient(base_url=api_url, headers=headers, timeout=30) as api:
            requests = [asyncio.create_task(app.get("/primes", params={"below": below})) for _ in range(REQUESTS)]
            try:
                await until_running(api, below)
                ping = await app.get("/ping")
                unfinished = sum(not request.done() for request in requests)
                assert ping.status_code == 200 and ping.json() == {"status": "ok"}
                assert unfinished == REQUESTS, (
                    f"/ping answered only after {REQUESTS - unfinished} of the {REQUESTS} /primes requests finished")
                answers = await asyncio.gather(*requests)
            finally:
                for request in requests:
                    request.cancel()
            for answer in answers:
                assert answer.status_code == 200, answer.text
                assert answer.json()["below"] == below
                assert answer.json()["count"] == PRIMES_BELOW[below]

    asyncio.run(asyncio.wait_for(scenario(), SCENARIO_SECONDS))
