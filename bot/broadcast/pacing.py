"""Pace sends before they happen: sliding-window limits per platform, per chat and per group."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from bot.broadcast.paid import PaidPolicy

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
    # Paid broadcasts (Telegram): all sends together up to this rate, those above `overall` paid.
    paid: PaidPolicy | None = None


TELEGRAM_LIMITS = Limits(overall=Window(30, 1.0), per_chat=Window(1, 1.0), per_group=Window(20, 60.0))
NO_LIMITS = Limits(overall=None, per_chat=None)


class _Log:
    """Send times under one window, keyed by send; keeps only what the window can still see.

    A heap of (time, key) finds what aged out without looking at the rest, so a window that is
    not full (the usual case, and the whole point at 1,000 sends a second) answers in O(1).
    """

    __slots__ = ("_heap", "times", "window")

    def __init__(self, window: Window) -> None:
        self.window = window
        self.times: dict[int, float] = {}
        self._heap: list[tuple[float, int]] = []  # may hold stale entries of settled sends

    def earliest(self, at: float, now: float) -> float:
        """Return the earliest time from `at` on when one more send fits; `now` is the present.

        Only sends out of the window at `now` are forgotten: a caller asking about a later `at`
        must not make the log forget a send that still counts for someone asking about `now`.
        """
        span = self.window.seconds * SAFETY
        heap, times = self._heap, self.times
        while heap and heap[0][0] <= now - span:
            stamp, key = heapq.heappop(heap)
            if times.get(key) == stamp:  # the entry is current (not moved by `settle`): it aged out
                del times[key]
        if len(times) < self.window.limit:
            return at
        recent = times.values() if at <= now else [t for t in times.values() if t > at - span]
        if len(recent) < self.window.limit:
            return at
        # The send `limit` places back must age out of the window first.
        return max(at, sorted(recent)[-self.window.limit] + span)

    def record(self, key: int, at: float) -> None:
        self.times[key] = at
        heapq.heappush(self._heap, (at, key))

    def settle(self, key: int, at: float) -> None:
        # A send answered after it left the window counts again from its answer: the server may
        # have counted it that late.
        if at > self.times.get(key, float("-inf")):
            self.times[key] = at
            heapq.heappush(self._heap, (at, key))


class Pacer:
    """Tell when the next message to a chat may go, and remember the ones that went."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._overall = _Log(limits.overall) if limits.overall else None
        # Every send, free or paid, counts here: paid mode lifts the total to this rate, no higher.
        self._paid = _Log(Window.per_second(limits.paid.per_second)) if limits.paid else None
        # Switching between free and paid sends races: answers overtake each other, and the server
        # counts every send against its free limit. So paying starts only once no free send is
        # unanswered, and free sends start again only once the last paid one left the free window.
        self._free_unanswered: set[int] = set()
        self._paid_unanswered: set[int] = set()
        self._paying_until = 0.0
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
        return self._overall.earliest(ready, now) if self._overall else ready

    def earliest(self, chat: str, is_group: bool, now: float) -> float:
        """Return the earliest time a message to `chat` would respect every limit."""
        ready = max(self.overall_earliest(now), self._blocked.get(chat, 0.0))
        if self._paid:
            ready = self._paid.earliest(ready, now)
        for log in self._logs(chat, is_group):
            ready = log.earliest(ready, now)
        return ready

    @property
    def limits(self) -> Limits:
        """The limits this pacer keeps."""
        return self._limits

    def paid_open(self, now: float) -> bool:
        """Whether a paid send could go now as far as the platform is concerned (its total rate)."""
        if self._paid is None or self._free_unanswered or now < self._paused_until:
            return False
        return self._paid.earliest(now, now) <= now

    def paying(self, now: float) -> bool:
        """Whether paid sends are under way: then every send that may pay does (see `_paying_until`)."""
        return now < self._paying_until or bool(self._paid_unanswered)

    def paid_earliest(self, chat: str, is_group: bool, now: float) -> float | None:
        """Return when a paid send to `chat` may go: the free limit aside, every other limit holds.

        None while free sends are unanswered (they must reach the server before paid ones do).
        """
        if self._paid is None or self._free_unanswered:
            return None
        ready = self._paid.earliest(max(now, self._paused_until, self._blocked.get(chat, 0.0)), now)
        for log in self._logs(chat, is_group):
            ready = log.earliest(ready, now)
        return ready

    def record(self, chat: str, is_group: bool, at: float, paid: bool = False) -> int:
        """Count a send starting at `at`, paid or not; return a handle for `settle`.

        A paid send counts in the free window too: the server counts every message against its
        free limit, so a free send right after a paid burst would be refused.
        """
        self._sends += 1
        if self._overall:
            self._overall.record(self._sends, at)
        if self._paid:
            self._paid.record(self._sends, at)
            (self._paid_unanswered if paid else self._free_unanswered).add(self._sends)
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
        if self._paid:
            self._paid.settle(handle, at)
            self._free_unanswered.discard(handle)
            if handle in self._paid_unanswered:
                self._paid_unanswered.discard(handle)
                span = self._limits.overall.seconds * SAFETY if self._limits.overall else 0.0
                self._paying_until = max(self._paying_until, at + span)
        for log in self._chats.get(chat, ()):
            log.settle(handle, at)

    def block(self, chat: str, until: float) -> None:
        """Hold a chat back until `until` (the platform said retry after)."""
        self._blocked[chat] = max(self._blocked.get(chat, 0.0), until)

    def pause(self, until: float) -> None:
        """Hold the whole platform back until `until` (a global 429)."""
        self._paused_until = max(self._paused_until, until)

    def hold_for_others(self, now: float) -> None:
        """Hold every send for one window: sends this pacer never saw may fill it (a new leader's).

        A standby that takes over within a second of the leader's death would otherwise send at
        once into windows the dead leader filled (at 1,000 a second when it paid). Group windows
        (a minute) are left alone: a rare 429 there is waited out like any other.
        """
        spans = [w.seconds for w in (self._limits.overall, self._limits.per_chat) if w is not None]
        if spans:
            self.pause(now + max(spans) * SAFETY)

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
