"""Server-Sent Events of ``GET /v1/jobs/{id}/events``: the event type and the line parser."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobEvent:
    """One event of a job's stream.

    ``event`` is ``"state"`` (``data``: the job's JSON, first and on every change),
    ``"progress"`` (``data``: ``{"percent", "message"}``) or ``"end"`` (``data``: ``{"id"}``,
    the last event). ``data`` is the event's decoded JSON.
    """

    event: str
    data: Any

    @property
    def state(self) -> str | None:
        """The job's state, for a ``state`` event."""
        return self.data.get("state") if self.event == "state" and isinstance(self.data, dict) else None

    @property
    def percent(self) -> int | None:
        """0-100, for a ``progress`` event."""
        return self.data.get("percent") if self.event == "progress" and isinstance(self.data, dict) else None

    @property
    def message(self) -> str | None:
        """The handler's progress message, for a ``progress`` event."""
        return self.data.get("message") if self.event == "progress" and isinstance(self.data, dict) else None


async def parse_events(lines: AsyncIterator[str]) -> AsyncIterator[JobEvent]:
    """The events of an SSE stream given line by line (without line endings).

    Comment lines (the server's ``: keepalive``) and fields other than ``event`` and ``data``
    are skipped; an event without data is dropped, as the SSE standard says.
    """
    name = "message"
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                text = "\n".join(data)
                try:
                    value: Any = json.loads(text)
                except ValueError:
                    value = text
                yield JobEvent(name, value)
            name, data = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value_text = line.partition(":")
        if value_text.startswith(" "):
            value_text = value_text[1:]
        if field == "event":
            name = value_text
        elif field == "data":
            data.append(value_text)
