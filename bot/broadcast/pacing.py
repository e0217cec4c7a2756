"""Pace sends before they happen: sliding-window limits per platform, per chat and per group."""

from __future__ import annotations

from dataclasses import dataclass

# Sends count from when their answer came back (see Pacer.settle), which already bounds when the
# server saw them; this 1 % only absorbs clock granularity between us and the server.
SAFETY = 1.01


@dataclass(frozen=True, slots=True)
class Window:
    """At most `limit` sends in any `seconds`-long window."""

    limit: int
    seconds: float

    @classmethod
    def rate(cls, count: float, seconds: float) -> Window:
        """`count` sends per `seconds`, fractions kept: 2.5 a second is one send every 0.4 s."""
        if count <= 0:
            raise ValueError("a rate must be positive")
        if float(count).is_integer():
            return cls(int(count), seconds)
        return cls(1, seconds / count)

    @classmethod
    def per_second(cls, count: float) -> Window:
        """`count` sends a second."""
        return cls.rate(count, 1.0)


@dataclass(frozen=True, slots=True)
class Limits:
    """A platform's limits: overall, per chat, and extra ones for groups and channels."""

    overall: Window | None
    per_chat: Window | None
    per_group: Window | None = None


TELEGRAM_LIMITS = Limits(overall=Window(30, 1.0), per_chat=Window(1, 1.0), per_group=Window(20, 60.0))
NO_LIMITS = Limits(overall=None, per_chat=None)


class _Log:
    """Send times under one window, keyed by send; keeps only what the window can still see."""

    __slots__ = ("times", "window")

    def __init__(self, window: Window) -> None:
        self.window = window
        self.times: dict[int, float] = {}

    def earliest(self, now: float) -> float:
        span = self.window.seconds * SAFETY
        horizon = now - span
        if len(self.times) > 2 * self.window.limit:
            self.times = {k: t for k, t in self.times.items() if t > horizon}
        recent = [t for t in self.times.values() if t > horizon]
        if len(recent) < self.window.limit:
            return now
        # The send `limit` places back must age out of the window first.
        return sorted(recent)[-self.window.limit] + span

    def record(self, key: int, at: float) -> None:
        self.times[key] = at

    def settle(self, key: int, at: float) -> None:
        if key in self.times:
            self.times[key] = max(self.times[key], at)


class Pacer:
    """Tell when the next message to a chat may go, and remember the ones that went."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._overall = _Log(limits.overall) if limits.overall else None
        self._chats: dict[str, list[_Log]] = {}
        self._blocked: dict[str, float] = {}
        self._paused_until = 0.0
        self._sends = 0

    def _logs(self, chat: str, is_group: bool) -> list[_Log]:
        logs = self._chats.get(chat)
        if logs is None:
            windows = [self._limits.per_chat] + ([self._limits.per_group] if is_group else [])
            logs = self._chats[chat] = [_Log(w) for w in windows if w is not None]
        return logs

    def overall_earliest(self, now: float) -> float:
        """Return when the platform as a whole may send again."""
        ready = max(now, self._paused_until)
        return self._overall.earliest(ready) if self._overall else ready

    def earliest(self, chat: str, is_group: bool, now: float) -> float:
        """Return the earliest time a message to `chat` would respect every limit."""
        ready = max(self.overall_earliest(now), self._blocked.get(chat, 0.0))
        for log in self._logs(chat, is_group):
            ready = max(ready, log.earliest(ready))
        return ready

    def record(self, chat: str, is_group: bool, at: float) -> int:
        """Count a send starting at `at`; return a handle for `settle`."""
        self._sends += 1
        if self._overall:
            self._overall.record(self._sends, at)
        for log in self._logs(chat, is_group):
            log.record(self._sends, at)
        return self._sends

    def settle(self, chat: str, handle: int, at: float) -> None:
        """Move a send's time to when its answer came back.

        The server counted the request somewhere between our start and its answer; we cannot
        know where, so the window assumes the latest moment. Network delay then never makes
        two sends look closer together to the server than to us.
        """
        if self._overall:
            self._overall.settle(handle, at)
        for log in self._chats.get(chat, ()):
            log.settle(handle, at)

    def block(self, chat: str, until: float) -> None:
        """Hold a chat back until `until` (the platform said retry after)."""
        self._blocked[chat] = max(self._blocked.get(chat, 0.0), until)

    def pause(self, until: float) -> None:
        """Hold the whole platform back until `until` (a global 429)."""
        self._paused_until = max(self._paused_until, until)

    @property
    def tracked_chats(self) -> int:
        """How many chats' send windows are kept in memory (`forget_idle` drops the idle ones)."""
        return len(self._chats)

    def forget_idle(self, now: float) -> None:
        """Drop chats whose windows are empty, so memory stays flat with many destinations."""
        for chat, logs in list(self._chats.items()):
            if all(max(log.times.values(), default=0.0) <= now - log.window.seconds * SAFETY for log in logs):
                del self._chats[chat]
        self._blocked = {c: t for c, t in self._blocked.items() if t > now}
