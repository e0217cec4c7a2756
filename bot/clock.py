"""Clocks: the system clock in production, a settable one in tests. Logic never reads time itself."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current aware UTC time."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        return datetime.now(UTC)


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        """Return the time the test set."""
        return self._now

    def advance(self, **delta: float) -> None:
        """Move time forward, e.g. `advance(seconds=5)`."""
        from datetime import timedelta

        self._now += timedelta(**delta)

    def set(self, moment: datetime) -> None:
        """Jump to `moment`."""
        self._now = moment
