"""The client against a real Offload API and workers serving the test job types."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Callable, Coroutine
from contextlib import aclosing
from typing import Any

import httpx
import pytest

from offload import (
    BatchError,
    InvalidRequest,
    JobCancelled,
    JobEvent,
    JobFailed,
    NotFound,
    OffloadClient,
    OffloadConnectionError,
    OffloadError,
    QueueFull,
    Unauthorized,
    UnknownJobType,
)

Run = Callable[[Coroutine[Any, Any, Any]], Any]
Connect = Callable[[], OffloadClient]

#: How long a job that should finish at once may take on a loaded machine.
FINISH_SECONDS = 60


async def until_active(offload: OffloadClient, job_id: str) -> None:
    """Returns once the job runs: its first progress event, which only a running job sends."""
    async with aclosing(offload.job(job_id).events()) as events:
        async for event in events:
            if event.event == "progress":
                return
            assert event.event != "end", f"job {job_id} finished before it was seen running"


def test_submit_returns_the_result(run: Run, connect: Connect) -> None:
    async def scenario() -> None:
        async with connect() as offload:
            job = await offload.submit("count-primes", {"below": 1_000_000})
            assert job.id.startswith("default.")
            assert job.queue == "default"
            assert job.created
            assert await job.result(timeout=FINISH_SECONDS) == {"count": 78498}
            assert job.state == "completed"
            info = await job.info()
            assert info["state"] == "completed"
            assert info["result"] == {"count": 78498}
            assert info["progress"] == 100

    run(scenario())


def test_get_reads_the_job_and_an_unknown_id_is_not_found(run: Run, connect: Connect) -> None:
    async def scenario() -> None:
        async with connect() as offload:
            submitted = await offload.submit("test.noop", priority=5, max_attempts=2, timeout=30)
            await submitted.result(timeout=FINISH_SECONDS)
            job = await offload.get(submitted.id)
            assert job.id == submitted.id
            assert job.data is not None
            assert (job.data["type"], job.data["priority"], job.data["max_attempts"]) == ("test.noop", 5, 2)
            assert job.data["timeout_seconds"] == 30
            with pytest.raises(NotFound) as caught:
                await offload.get("default.01J9ZQ4K3V8Y6Q2W5E7R9T1Y3U")
            assert (caught.value.status, caught.value.code) == (404, "not_found")
            assert caught.value.message

    run(scenario())


def test_events_show_progress_then_the_end(run: Run, connect: Connect) -> None:
    async def scenario() -> None:
        async with connect() as offload:
            job = await offload.submit("test.sleep", {"seconds": 2})
            events: list[JobEvent] = [event async for event in job.events()]
            names = [event.event for event in events]
            assert names[0] == "state"
            assert names[-2:] == ["state", "end"], names
            progress = [event for event in events if event.event == "progress"]
            assert progress, names
            percents = [event.percent for event in progress]
            assert all(isinstance(p, int) and 0 <= p <= 100 for p in percents), percents
            assert percents == sorted(p for p in percents if p is not None)
            assert all(isinstance(event.message, str) and event.message for event in progress)
            assert events[-2].state == "completed"
            assert events[-2].data["result"] == {"slept": 2}
            assert events[-1].data == {"id": job.id}
            assert job.state == "completed"

    run(scenario())


def test_events_of_a_finished_job_are_its_state_and_the_end(run: Run, connect: Connect) -> None:
    async def scenario() -> None:
        async with connect() as offload:
            job = await offload.submit("test.noop")
            await job.result(timeout=FINISH_SECONDS)
            events = [event async for event in job.events()]
            assert [(event.event, event.state) for event in events] == [("state", "completed"), ("end", None)]

    run(scenario())


def test_batch_submit(run: Run, connect: Connect) -> None:
    async def scenario() -> None:
        async with connect() as offload:
            jobs = await offload.submit_batch([
                ("count-primes", {"below": 10}),
                ("count-primes", {"below": 100}),
                ("test.noop",),
                {"type": "count-primes", "payload": {"below": 1000}, "priority": 3},
            ])
            assert len(jobs) == 4
            assert len({job.id for job in jobs}) == 4
            results = await asyncio.gather(*(job.result(timeout=FINISH_SECONDS) for job in jobs))
            assert results == [{"count": 4}, {"count": 25}, {}, {"count": 168}]

    run(scenario())


def test_batch_with_refused_items(run: Run, connect: Connect) -> None:
    async def scenario() -> None:
        async with connect() as offload:
            with pytest.raises(BatchError) as caught:
                await offload.submit_batch([("test.noop",), ("no.such-type", {}), ("test.noop",)])
            batch = caught.value
            assert batch.status == 202  # the others were enqueued
            assert list(batch.errors) == [1]
            assert isinstance(batch.errors[1], UnknownJobType)
            assert batch.errors[1].code == "unknown_job_type"
            assert len(batch.jobs) == 2
            assert await asyncio.gather(*(job.result(timeout=FINISH_SECONDS) for job in batch.jobs)) == [{}, {}]

            with pytest.raises(BatchError) as caught:
                await offload.submit_batch([("no.such-type",), {"type": "test.noop", "priority": 5000}])
            batch = caught.value
            assert batch.status == 422
            assert batch.jobs == []
            assert batch.errors[0].code == "unknown_job_type"
            assert isinstance(batch.errors[1], InvalidRequest) and batch.errors[1].code == "invalid_argument"
            assert batch.errors[1].field == "priority" and batch.errors[0].field is None

    run(scenario())


def test_idempotency_key_returns_the_same_job(run: Run, connect: Connect) -> None:
    async def scenario() -> None:
        async with connect() as offload:
            key = f"pyclient-{uuid.uuid4()}"
            first = await offload.submit("count-primes", {"below": 5000}, idempotency_key=key)
            again = await offload.submit("count-primes", {"below": 5000}, idempotency_key=key)
            assert (first.created, again.created) == (True, False)
            assert again.id == first.id
            assert await again.result(timeout=FINISH_SECONDS) == {"count": 669}
            with pytest.raises(InvalidRequest) as caught:  # the key stands for one request
                await offload.submit("count-primes", {"below": 6000}, idempotency_key=key)
            assert (caught.value.status, caught.value.code) == (422, "invalid_argument")

    run(scenario())


def test_a_held_unique_key_returns_its_holder(run: Run, connect: Connect) -> None:
    async def scenario() -> None:
        async with connect() as offload:
            key = f"pyclient-{uuid.uuid4()}"
            first = await offload.submit("test.noop", delay=300, unique_key=key, unique_ttl=600)
            again = await offload.submit("test.noop", {"other": 1}, delay=300, unique_key=key)
            assert (first.created, first.duplicate) == (True, False)
            assert (again.created, again.duplicate, again.id) == (False, True, first.id)
            await first.cancel()
            fresh = await offload.submit("test.noop", delay=300, unique_key=key)
            assert fresh.created and fresh.id != first.id
            await fresh.cancel()
            with pytest.raises(InvalidRequest) as caught:
                await offload.submit("test.noop", unique_key=key, unique_scope="forever")
            assert (caught.value.status, caught.value.field) == (422, "unique.scope")

    run(scenario())


def test_a_failing_job_raises_job_failed_and_can_be_retried(run: Run, connect: Connect) -> None:
    async def scenario() -> None:
        async with connect() as offload:
            job = await offload.submit("test.fail", {"message": "disk on fire"}, max_attempts=1)
            with pytest.raises(JobFailed) as caught:
                await job.result(timeout=FINISH_SECONDS)
            assert caught.value.message == "disk on fire"
            assert isinstance(caught.value.type, str) and caught.value.type
            assert caught.value.job["state"] == "dead"
            assert isinstance(caught.value, OffloadError)
            assert job.state == "dead"

            assert await job.retry() is job
            assert job.state == "pending"
            with pytest.raises(JobFailed) as again:
                await job.result(timeout=FINISH_SECONDS)
            assert again.value.message == "disk on fire"
            assert again.value.job["attempts"] == 1  # fresh attempts

    run(scenario())


def test_cancelling_a_running_job_ends_in_job_cancelled(run: Run, connect: Connect) -> None:
    async def scenario() -> None:
        async with connect() as offload:
            job = await offload.submit("test.sleep", {"seconds": 60})
            try:
                await until_active(offload, job.id)
                answer = await job.cancel()
                assert answer == {"id": job.id, "state": "active", "cancel_requested": True}
                with pytest.raises(JobCancelled) as caught:
                    await job.result(timeout=FINISH_SECONDS)
                assert caught.value.job["state"] == "cancelled"
                assert job.state == "cancelled"
            finally:
                if job.state not in ("cancelled", "completed"):
                    await job.cancel()

    run(scenario())


def test_cancelling_a_delayed_job_is_immediate(run: Run, connect: Connect) -> None:
    async def scenario() -> None:
        async with connect() as offload:
            job = await offload.submit("test.noop", delay=600)
            assert job.state == "scheduled"
            answer = await job.cancel()
            assert answer == {"id": job.id, "state": "cancelled", "cancel_requested": False}
            with pytest.raises(JobCancelled):
                await job.result(timeout=0)

    run(scenario())


def test_result_timeout_raises_timeout_error(run: Run, connect: Connect) -> None:
    async def scenario() -> None:
        async with connect() as offload:
            job = await offload.submit("test.sleep", {"seconds": 60})
            try:
                with pytest.raises(TimeoutError):
                    await job.result(timeout=1.5)
                assert job.state in ("pending", "active")
            finally:
                await job.cancel()

    run(scenario())


def test_unknown_job_type_is_the_422_error(run: Run, connect: Connect) -> None:
    async def scenario() -> None:
        async with connect() as offload:
            with pytest.raises(UnknownJobType) as caught:
                await offload.submit("no.such-type", {"x": 1})
            error = caught.value
            assert isinstance(error, InvalidRequest) and isinstance(error, OffloadError)
            assert (error.status, error.code) == (422, "unknown_job_type")
            assert "no.such-type" in error.message
            assert error.body == {"error": {"code": "unknown_job_type", "message": error.message}}

            with pytest.raises(InvalidRequest) as invalid:
                await offload.submit("test.noop", priority=5000)
            assert (invalid.value.status, invalid.value.code, invalid.value.field) == (422, "invalid_argument", "priority")

    run(scenario())


def test_a_full_queue_is_429_with_retry_after(run: Run, connect: Connect, api_url: str, api_token: str | None) -> None:
    queue = f"pyclient-{uuid.uuid4().hex[:12]}"
    headers = {"Authorization": f"Bearer {api_token}"} if api_token else {}

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=api_url, headers=headers, timeout=30) as admin, connect() as offload:
            try:
                answer = await admin.put(f"/v1/queues/{queue}/settings", json={"max_depth": 1})
                assert answer.status_code == 200, answer.text
                await offload.submit("test.noop", queue=queue, delay=600)
                with pytest.raises(QueueFull) as caught:
                    await offload.submit("test.noop", queue=queue, delay=600)
                assert (caught.value.status, caught.value.code) == (429, "queue_full")
                assert isinstance(caught.value.retry_after, float) and caught.value.retry_after >= 0
            finally:
                await admin.delete(f"/v1/queues/{queue}", params={"force": "true"})

    run(scenario())


def test_a_wrong_token_is_unauthorized(run: Run, api_url: str, api_token: str | None) -> None:
    if api_token is None:
        pytest.skip("the API under test has no token")

    async def scenario() -> None:
        async with OffloadClient(api_url, token="not-the-token") as offload:
            with pytest.raises(Unauthorized) as caught:
                await offload.submit("test.noop")
            assert (caught.value.status, caught.value.code) == (401, "unauthorized")

    run(scenario())


def test_an_unreachable_api_raises_a_connection_error(run: Run) -> None:
    with socket.socket() as probe:  # a port nothing listens on: bound, then closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def scenario() -> None:
        async with OffloadClient(f"http://127.0.0.1:{port}", timeout=10) as offload:
            with pytest.raises(OffloadConnectionError) as caught:
                await asyncio.wait_for(offload.submit("test.noop"), 30)
            assert isinstance(caught.value, ConnectionError)
            assert f"127.0.0.1:{port}" in str(caught.value)
            with pytest.raises(OffloadConnectionError):
                await asyncio.wait_for(offload.job("default.01J9ZQ4K3V8Y6Q2W5E7R9T1Y3U").result(timeout=5), 30)

    run(scenario())
