"""The exceptions the client raises: one base, `OffloadError`, and a class per kind of failure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class OffloadError(Exception):
    """Base of every error the client raises.

    An error the API answered with fills ``status`` (the HTTP status), ``code``, ``message`` and
    ``field`` (from its body ``{"error": {"code", "message", "field"}}``; ``field`` names the
    body field or parameter an ``invalid_argument`` is about, when there is one) and
    ``retry_after`` (seconds, from the ``Retry-After`` header). Errors that are no HTTP answer leave what does not apply as ``None``.
    """

    message: str
    status: int | None
    code: str | None
    field: str | None
    retry_after: float | None
    body: Any

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        field: str | None = None,
        retry_after: float | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field = field
        self.retry_after = retry_after
        self.body = body

    def __str__(self) -> str:
        prefix = " ".join(str(part) for part in (self.status, self.code) if part is not None)
        return f"{prefix}: {self.message}" if prefix else self.message


class OffloadConnectionError(OffloadError, ConnectionError):
    """The API could not be reached, or the connection broke or went silent before its answer."""


class APIError(OffloadError):
    """The API answered with an error; ``status`` is its HTTP status (``None`` for an ``error``
    event of an event stream, which has no status of its own)."""


class BadRequest(APIError):
    """400 ``malformed_request``: the body is not valid JSON."""


class Unauthorized(APIError):
    """401 ``unauthorized``: the server has an API token and the request's is missing or wrong."""


class NotFound(APIError):
    """404 ``not_found``: no such job (or it was purged)."""


class Conflict(APIError):
    """409 ``conflict``: the job's state does not allow the action (retrying a running job...)."""


class PayloadTooLarge(APIError):
    """413 ``payload_too_large``: the body is past the server's limit."""


class InvalidRequest(APIError):
    """422: a field breaks its rules (``invalid_argument``) or no worker serves the job type."""


class UnknownJobType(InvalidRequest):
    """422 ``unknown_job_type``: no worker serves the job type submitted."""


class QueueFull(APIError):
    """429 ``queue_full``: the queue is at its ``max_depth``; try again after ``retry_after``."""


class ServerError(APIError):
    """500 ``internal_error`` or another 5xx the API has no more specific code for."""


class Unavailable(ServerError):
    """503 ``redis_unavailable``: Redis cannot be reached; try again after ``retry_after``."""


class BatchError(APIError):
    """Some items of a batch were refused. ``results`` holds, in request order, a `Job` for
    each item enqueued and an `APIError` for each item refused; ``jobs`` only the enqueued ones."""

    results: list[Any]

    def __init__(self, message: str, *, results: list[Any], status: int | None, body: Any) -> None:
        super().__init__(message, status=status, code=None, body=body)
        self.results = results

    @property
    def jobs(self) -> list[Any]:
        """The jobs that were enqueued, in request order."""
        return [item for item in self.results if not isinstance(item, APIError)]

    @property
    def errors(self) -> dict[int, APIError]:
        """The refused items' errors by their index in the request."""
        return {index: item for index, item in enumerate(self.results) if isinstance(item, APIError)}


class JobFailed(OffloadError):
    """The job ended dead: its last run failed and no attempt is left. ``type`` and ``message``
    are the job's ``error`` (``timeout``, ``crash``, the handler's error type...); ``job`` is the
    job's JSON."""

    type: str
    job: dict[str, Any]

    def __init__(self, type: str, message: str, *, job: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.type = type
        self.job = job or {}

    def __str__(self) -> str:
        return f"job {self.job.get('id', '?')} failed: {self.type}: {self.message}"


class JobCancelled(OffloadError):
    """The job was cancelled before it completed; ``job`` is the job's JSON."""

    job: dict[str, Any]

    def __init__(self, message: str, *, job: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.job = job or {}

    def __str__(self) -> str:
        return f"job {self.job.get('id', '?')} was cancelled: {self.message}"


_BY_CODE: Mapping[str, type[APIError]] = {
    "malformed_request": BadRequest,
    "unauthorized": Unauthorized,
    "not_found": NotFound,
    "conflict": Conflict,
    "payload_too_large": PayloadTooLarge,
    "invalid_argument": InvalidRequest,
    "unknown_job_type": UnknownJobType,
    "queue_full": QueueFull,
    "redis_unavailable": Unavailable,
    "internal_error": ServerError,
}

_BY_STATUS: Mapping[int, type[APIError]] = {
    400: BadRequest,
    401: Unauthorized,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: InvalidRequest,
    429: QueueFull,
    503: Unavailable,
}


def api_error(
    status: int | None,
    body: Any,
    *,
    retry_after: float | None = None,
    fallback_message: str = "",
) -> APIError:
    """The typed error for an error answer: by its code when the body has one, else by status."""
    code: str | None = None
    field: str | None = None
    message = fallback_message
    detail = body.get("error") if isinstance(body, dict) else None
    if isinstance(detail, dict):
        code = detail.get("code") if isinstance(detail.get("code"), str) else None
        field = detail.get("field") if isinstance(detail.get("field"), str) else None
        message = str(detail.get("message", message))
    cls = _BY_CODE.get(code or "") or _BY_STATUS.get(status or 0)
    if cls is None:
        cls = ServerError if status is not None and status >= 500 else APIError
    return cls(message, status=status, code=code, field=field, retry_after=retry_after, body=body)
