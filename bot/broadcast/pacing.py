"""Pace sends before they happen: sliding-window limits per platform, per chat and per group."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

# Our windows are this much longer than the platform's, so network jitter between our clock
# and the server's never turns a just-in-time send into a 429.
SAFETY = 1.03


@dataclass(frozen=True, slots=True)
class Window:
    """At most `limit` sends in any `seconds`-long window."""

    limit: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Limits:
    """A platform's limits: overall, per chat, and extra ones for groups and channels."""

    overall: Window | None
    per_chat: Window | None
    per_group: Window | None = None


TELEGRAM_LIMITS = Limits(overall=Window(30, 1.0), per_chat=Window(1, 1.0), per_group=Window(20, 60.0))
DISCORD_LIMITS = Limits(overall=Window(50, 1.0), per_chat=Window(5, 5.0))
NO_LIMITS = Limits(overall=None, per_chat=None)


class _Log:
    """Send times under one window; keeps only what the window can still see."""

    __slots__ = ("times", "window")

    def __init__(self, window: Window) -> None:
        self.window = window
        self.times: deque[float] = deque()

    def earliest(self, now: float) -> float:
        span = self.window.seconds * SAFETY
        while self.times and self.times[0] <= now - span:
            self.times.popleft()
        if len(self.times) < self.window.limit:
            return now
        # The send `limit` places back must age out of the window first.
        return self.times[-self.window.limit] + span

    def record(self, at: float) -> None:
        self.times.append(at)


class Pacer:
    """Tell when the next message to a chat may go, and remember the ones that went."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._overall = _Log(limits.overall) if limits.overall else None
        self._chats: dict[str, list[_Log]] = {}
        self._blocked: dict[str, float] = {}
        self._paused_until = 0.0

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

    def record(self, chat: str, is_group: bool, at: float) -> None:
        """Count a send made at `at`."""
        if self._overall:
            self._overall.record(at)
        for log in self._logs(chat, is_group):
            log.record(at)

    def block(self, chat: str, until: float) -> None:
        """Hold a chat back until `until` (the platform said retry after)."""
        self._blocked[chat] = max(self._blocked.get(chat, 0.0), until)

    def pause(self, until: float) -> None:
        """Hold the whole platform back until `until` (a global 429)."""
        self._paused_until = max(self._paused_until, until)

    def forget_idle(self, now: float) -> None:
        """Drop chats whose windows are empty, so memory stays flat with many destinations."""
        for chat in [c for c, logs in self._chats.items() if all(log.earliest(now) == now for log in logs)]:
            if not any(log.times for log in self._chats[chat]):
                del self._chats[chat]
        self._blocked = {c: t for c, t in self._blocked.items() if t > now}
