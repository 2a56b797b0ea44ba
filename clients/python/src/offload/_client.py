"""`OffloadClient` and `Job`: submit jobs to the Offload API and follow them, with asyncio."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncGenerator, Iterable, Mapping
from datetime import timedelta
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from ._errors import (
    APIError,
    BatchError,
    JobCancelled,
    JobFailed,
    OffloadConnectionError,
    OffloadError,
    Unavailable,
    api_error,
)
from ._events import JobEvent, parse_events
from ._version import __version__

#: The longest long poll the API accepts (`GET /v1/jobs/{id}?wait=N`).
MAX_WAIT_SECONDS = 60
#: An event stream silent this long is taken for dead: the server sends a keepalive every 15 s.
STREAM_SILENCE_SECONDS = 60.0
#: The states a job does not leave by itself.
FINISHED_STATES = frozenset({"completed", "dead", "cancelled"})


class OffloadClient:
    """An asynchronous client of one Offload API.

    Use it as an async context manager (or call `aclose`), so its connections are closed::

        async with OffloadClient("http://127.0.0.1:8080") as offload:
            job = await offload.submit("count-primes", {"below": 1_000_000})
            print(await job.result())

    ``token`` is the server's ``OFFLOAD_API_TOKEN``, sent as ``Authorization: Bearer``.
    ``timeout`` bounds each request in seconds (long polls and event streams get what they
    need on top). ``http_client`` shares an existing ``httpx.AsyncClient``: its ``base_url``
    must be the API's, the client adds its headers to it, and `aclose` leaves it open.
    """

    base_url: str

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8080",
        token: str | None = None,
        *,
        timeout: float = 30.0,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._owns_http = http_client is None
        headers = {"User-Agent": f"offload-client/{__version__}", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if http_client is None:
            http_client = httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=timeout)
        else:
            http_client.headers.update(headers)
        self._http = http_client

    async def __aenter__(self) -> OffloadClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client's connections (not those of an ``http_client`` passed in)."""
        if self._owns_http:
            await self._http.aclose()

    async def submit(
        self,
        job_type: str,
        payload: Mapping[str, Any] | None = None,
        *,
        queue: str = "default",
        priority: int = 0,
        delay: float | timedelta | None = None,
        max_attempts: int | None = None,
        timeout: int | timedelta | None = None,
        idempotency_key: str | None = None,
        unique_key: str | None = None,
        unique_scope: str = "until_finished",
        unique_ttl: int | timedelta | None = None,
    ) -> Job:
        """Enqueue one job (``POST /v1/jobs``) and return its handle.

        ``delay`` holds the job back that many seconds; ``max_attempts`` counts every run,
        1 meaning no retry; ``timeout`` is the hard limit of one run in whole seconds (rounded
        up). With ``idempotency_key``, a submit the queue already saw under that key returns the
        earlier job (``Job.created`` is then false) instead of enqueueing another. With
        ``unique_key``, while another job of the queue holds the key (``unique_scope``
        ``"until_started"`` or ``"until_finished"``; ``unique_ttl`` seconds at most, default
        24 h), that job is returned with ``Job.duplicate`` true and nothing is enqueued.

        Raises `UnknownJobType` (422) when no worker serves ``job_type``, `InvalidRequest` (422)
        for a field out of its range, `QueueFull` (429), `Unavailable` (503), ...
        """
        body = _submit_body(job_type, payload, queue=queue, priority=priority, delay=delay,
                            max_attempts=max_attempts, timeout=timeout)
        if unique_key is not None:
            unique: dict[str, Any] = {"key": unique_key, "scope": unique_scope}
            if unique_ttl is not None:
                seconds = unique_ttl.total_seconds() if isinstance(unique_ttl, timedelta) else unique_ttl
                unique["ttl_seconds"] = math.ceil(seconds)
            body["unique"] = unique
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key is not None else None
        response = await self._request("POST", "/v1/jobs", json=body, headers=headers)
        answer = _json(response)
        return Job(self, answer["id"], state=answer.get("state"), created=response.status_code == 202,
                   duplicate=answer.get("duplicate") is True)

    async def submit_batch(
        self,
        jobs: Iterable[Any],
        *,
        queue: str = "default",
        priority: int = 0,
    ) -> list[Job]:
        """Enqueue up to 1,000 jobs in one request (``POST /v1/jobs/batch``).

        Each item is ``(type,)``, ``(type, payload)`` (enqueued to ``queue`` with ``priority``)
        or a mapping with the fields of ``POST /v1/jobs`` (``type``, ``payload``,
        ``delay_seconds``...). Returns the jobs in request order. When the API refuses some
        items, raises `BatchError`: its ``results`` holds a `Job` for each item enqueued
        (those are in the queue) and an `APIError` for each item refused.
        """
        items: list[dict[str, Any]] = []
        for item in jobs:
            if isinstance(item, Mapping):
                items.append(dict(item))
            else:
                job_type, payload = (tuple(item) + (None,))[:2]
                items.append(_submit_body(job_type, payload, queue=queue, priority=priority))
        try:
            response = await self._request("POST", "/v1/jobs/batch", json={"jobs": items})
            status, answer = response.status_code, _json(response)
        except APIError as error:
            # 422 with a result per item: every item was refused, each for its own reason.
            if error.status != 422 or not isinstance(error.body, dict) or "jobs" not in error.body:
                raise
            status, answer = error.status, error.body
        results: list[Job | APIError] = []
        for item in answer["jobs"]:
            if "error" in item:
                results.append(api_error(None, item, fallback_message="refused"))
            else:
                results.append(Job(self, item["id"], state=item.get("state")))
        refused = sum(isinstance(result, APIError) for result in results)
        if refused:
            raise BatchError(f"{refused} of {len(results)} jobs refused", results=results, status=status, body=answer)
        return [result for result in results if isinstance(result, Job)]

    async def get(self, job_id: str) -> Job:
        """The job with this id, read now (``GET /v1/jobs/{id}``): its JSON is in ``Job.data``.

        Raises `NotFound` (404) when there is no such job.
        """
        job = self.job(job_id)
        await job.info()
        return job

    def job(self, job_id: str) -> Job:
        """A handle on the job with this id, without asking the API anything."""
        return Job(self, job_id)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """One request; an error answer becomes its typed `APIError`, a transport failure an
        `OffloadConnectionError`."""
        try:
            response = await self._http.request(
                method, path, json=json, params=params, headers=headers,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TransportError as error:
            raise self._connection_error(method, path, error) from error
        if response.status_code >= 400:
            raise _error_from_response(response)
        return response

    def _connection_error(self, method: str, path: str, error: Exception) -> OffloadConnectionError:
        reason = str(error) or type(error).__name__
        return OffloadConnectionError(f"cannot reach the Offload API at {self.base_url} ({method} {path}): {reason}")


class Job:
    """A handle on one job: its ``id``, and what was last seen of it.

    ``state`` is the state last seen (``None`` before any), ``data`` the job's JSON last read
    (`info`, `get`, `result` and `events` refresh both), ``created`` false when an idempotency
    key named an earlier job or a unique key was held, ``duplicate`` true in the latter case.
    """

    id: str
    state: str | None
    created: bool
    duplicate: bool
    data: dict[str, Any] | None

    def __init__(self, client: OffloadClient, job_id: str, *, state: str | None = None, created: bool = True,
                 duplicate: bool = False) -> None:
        self._client = client
        self.id = job_id
        self.state = state
        self.created = created
        self.duplicate = duplicate
        self.data = None

    def __repr__(self) -> str:
        return f"Job(id={self.id!r}, state={self.state!r})"

    @property
    def queue(self) -> str:
        """The job's queue: its id is ``<queue>.<ULID>``."""
        return self.id.rpartition(".")[0]

    @property
    def _path(self) -> str:
        return f"/v1/jobs/{quote(self.id, safe='')}"

    async def info(self, wait: int | None = None) -> dict[str, Any]:
        """The job's JSON (``GET /v1/jobs/{id}``): ``state``, ``progress``, ``result``, ``error``...

        With ``wait`` (0-60 seconds), the API holds the answer until the job finishes or the
        time passes. Raises `NotFound` (404) when there is no such job.
        """
        params = None
        timeout = None
        if wait is not None:
            params = {"wait": wait}
            timeout = httpx.Timeout(self._client._timeout, read=self._client._timeout + wait)
        data: dict[str, Any] = _json(await self._client._request("GET", self._path, params=params, timeout=timeout))
        self._seen(data)
        return data

    async def result(self, timeout: float | None = 30) -> Any:
        """Wait for the job to finish and return its result (any JSON).

        Long-polls ``GET /v1/jobs/{id}?wait=N`` until the job finishes or ``timeout`` seconds
        pass (``None``: no limit); while Redis is unavailable (503) it tries again after
        ``Retry-After``. Raises `JobFailed` if the job ended dead, `JobCancelled` if it was
        cancelled, ``TimeoutError`` if it did not finish in time (the job goes on).
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        checked = False
        while True:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0 and checked:
                raise TimeoutError(f"job {self.id} did not finish within {timeout} s (state: {self.state})")
            try:
                if remaining is None:
                    data = await self.info(wait=MAX_WAIT_SECONDS)
                elif remaining > 0:
                    wait = min(MAX_WAIT_SECONDS, math.ceil(remaining))
                    data = await asyncio.wait_for(self.info(wait=wait), remaining)
                else:  # a timeout of 0 still looks once
                    data = await self.info()
            except asyncio.TimeoutError:
                raise TimeoutError(f"job {self.id} did not finish within {timeout} s (state: {self.state})") from None
            except Unavailable as error:
                checked = True
                pause = error.retry_after if error.retry_after is not None else 1.0
                if deadline is not None:
                    pause = min(pause, max(0.0, deadline - loop.time()))
                await asyncio.sleep(pause)
                continue
            checked = True
            if data.get("state") in FINISHED_STATES:
                return _outcome(data)

    async def events(self) -> AsyncGenerator[JobEvent, None]:
        """Follow the job as Server-Sent Events (``GET /v1/jobs/{id}/events``).

        Yields a ``state`` event now and on every change, ``progress`` events while it runs,
        and last an ``end`` event, after which the iteration stops. A stream the API ends
        with an ``error`` event (the job was purged, Redis stayed away) raises that error
        (`NotFound`, `Unavailable`); a stream cut before its end raises `OffloadConnectionError`.
        A loop left early closes the stream once the generator is collected; wrap it in
        ``contextlib.aclosing`` to close it at once.
        """
        timeout = httpx.Timeout(self._client._timeout, read=STREAM_SILENCE_SECONDS)
        path = f"{self._path}/events"
        http = self._client._http
        try:
            async with http.stream("GET", path, headers={"Accept": "text/event-stream"}, timeout=timeout) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise _error_from_response(response)
                async for event in parse_events(response.aiter_lines()):
                    if event.event == "error":
                        raise api_error(None, event.data, fallback_message=f"event stream error: {event.data}")
                    if event.event == "state" and isinstance(event.data, dict):
                        self._seen(event.data)
                    yield event
                    if event.event == "end":
                        return
        except httpx.TransportError as error:
            raise self._client._connection_error("GET", path, error) from error
        raise OffloadConnectionError(f"the event stream of job {self.id} closed before its end")

    async def cancel(self) -> dict[str, Any]:
        """Cancel the job (``DELETE /v1/jobs/{id}``) and return the API's answer.

        A waiting job is cancelled at once (``state`` ``cancelled``); a running one is asked
        to stop (``state`` ``active``, ``cancel_requested`` true) and ends cancelled once its
        handler stops. Raises `Conflict` (409) when the job already finished.
        """
        answer: dict[str, Any] = _json(await self._client._request("DELETE", self._path))
        self.state = answer.get("state", self.state)
        return answer

    async def retry(self) -> Job:
        """Run a dead or cancelled job again with fresh attempts (``POST /v1/jobs/{id}/retry``).

        Returns this job, pending again. Raises `Conflict` (409) for a job in another state.
        """
        answer = _json(await self._client._request("POST", f"{self._path}/retry"))
        self.state = answer.get("state", "pending")
        return self

    def _seen(self, data: dict[str, Any]) -> None:
        self.data = data
        self.state = data.get("state", self.state)


def _submit_body(
    job_type: str,
    payload: Mapping[str, Any] | None,
    *,
    queue: str,
    priority: int,
    delay: float | timedelta | None = None,
    max_attempts: int | None = None,
    timeout: int | timedelta | None = None,
) -> dict[str, Any]:
    """The JSON body of ``POST /v1/jobs`` (an item of a batch)."""
    body: dict[str, Any] = {
        "type": job_type,
        "payload": dict(payload) if payload is not None else {},
        "queue": queue,
        "priority": priority,
    }
    if delay is not None:
        body["delay_seconds"] = delay.total_seconds() if isinstance(delay, timedelta) else delay
    if max_attempts is not None:
        body["max_attempts"] = max_attempts
    if timeout is not None:
        seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else timeout
        body["timeout_seconds"] = math.ceil(seconds)
    return body


def _outcome(data: dict[str, Any]) -> Any:
    """A finished job's result, or the exception its end stands for."""
    error = data.get("error")
    if not isinstance(error, dict):
        error = {}
    state = data.get("state")
    if state == "dead":
        raise JobFailed(str(error.get("type", "unknown")), str(error.get("message", "")), job=data)
    if state == "cancelled":
        raise JobCancelled(str(error.get("message", "cancelled")), job=data)
    return data.get("result")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise OffloadError(f"the API answered {response.status_code} with a body that is not JSON",
                           status=response.status_code) from error


def _retry_after(response: httpx.Response) -> float | None:
    text = response.headers.get("Retry-After")
    if text is None:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        return None  # an HTTP date: the API only sends seconds


def _error_from_response(response: httpx.Response) -> APIError:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    fallback = f"{response.status_code} {response.reason_phrase}".strip()
    if body is None and response.text:
        fallback = f"{fallback}: {response.text[:200]}"
    return api_error(response.status_code, body, retry_after=_retry_after(response), fallback_message=fallback)
