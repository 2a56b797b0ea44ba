"""An asynchronous Python client of the Offload API.

::

    from offload import OffloadClient, JobFailed

    async with OffloadClient("http://127.0.0.1:8080") as offload:
        job = await offload.submit("count-primes", {"below": 1_000_000})
        print(await job.result(timeout=30))  # {'count': 78498}
"""

from ._client import MAX_WAIT_SECONDS, Job, OffloadClient
from ._errors import (
    APIError,
    BadRequest,
    BatchError,
    Conflict,
    InvalidRequest,
    JobCancelled,
    JobFailed,
    NotFound,
    OffloadConnectionError,
    OffloadError,
    PayloadTooLarge,
    QueueFull,
    ServerError,
    Unauthorized,
    Unavailable,
    UnknownJobType,
)
from ._events import JobEvent
from ._version import __version__

__all__ = [
    "MAX_WAIT_SECONDS",
    "APIError",
    "BadRequest",
    "BatchError",
    "Conflict",
    "InvalidRequest",
    "Job",
    "JobCancelled",
    "JobEvent",
    "JobFailed",
    "NotFound",
    "OffloadClient",
    "OffloadConnectionError",
    "OffloadError",
    "PayloadTooLarge",
    "QueueFull",
    "ServerError",
    "Unauthorized",
    "Unavailable",
    "UnknownJobType",
    "__version__",
]
