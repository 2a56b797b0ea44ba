"""Fixtures of the client's tests, which run against a real Offload API.

The API is ``OFFLOAD_API_URL`` (with ``OFFLOAD_API_TOKEN`` when it has a token); its workers
must serve the test job types (``offload-worker --enable-test-jobs``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest

from offload import OffloadClient

T = TypeVar("T")

#: Every scenario's bound: generous, the machine may be loaded, but a hang still fails.
SCENARIO_SECONDS = 120.0


@pytest.fixture(scope="session")
def api_url() -> str:
    url = os.environ.get("OFFLOAD_API_URL")
    if not url:
        pytest.fail("OFFLOAD_API_URL must name the Offload API to test against")
    return url


@pytest.fixture(scope="session")
def api_token() -> str | None:
    return os.environ.get("OFFLOAD_API_TOKEN") or None


@pytest.fixture
def connect(api_url: str, api_token: str | None) -> Callable[[], OffloadClient]:
    """A factory of clients of the API under test (one per event loop)."""
    return lambda: OffloadClient(api_url, token=api_token)


@pytest.fixture
def run() -> Callable[[Coroutine[Any, Any, T]], T]:
    """Runs a test's coroutine in a fresh event loop, bounded by `SCENARIO_SECONDS`."""

    def run(scenario: Coroutine[Any, Any, T]) -> T:
        return asyncio.run(asyncio.wait_for(scenario, SCENARIO_SECONDS))

    return run
