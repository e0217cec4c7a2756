"""Paid broadcasts: which sends may pay to go above the free limit, and today's Stars budget.

Telegram lets a bot send up to 1,000 messages a second with `allow_paid_broadcast`, for 0.1 Star
each message above the free limit. The pacer fills the free window (30/s) first; a send the free
window would hold back may go at once as a paid one while the budget lasts. The budget is counted
in the database when rows are claimed (so a restart or the standby taking over knows what was
spent) and given back when a paid send fails. Plain values, no I/O: the dispatcher does the writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.broadcast.rows import Due
from bot.store.states import DeliveryKind

STARS_PER_MESSAGE = 0.1
# A 429 or a refusal of a paid send stops paying for this long (the free limit goes on meanwhile).
PAID_PAUSE_S = 60.0
NO_STARS_PAUSE_S = 3600.0
_PAYABLE = (DeliveryKind.POST, DeliveryKind.DIGEST, DeliveryKind.COLLAPSE)  # sends of one message


@dataclass(frozen=True, slots=True)
class PaidPolicy:
    """What the operator allows: how fast all sends together may go, for how many Stars a day, when."""

    per_second: int
    daily_stars: float
    min_queue: int = 0  # auto mode: only for a queue of more than this many destinations (0: always)

    @property
    def daily_messages(self) -> int:
        """The daily budget as paid sends (0.1 Star each), rounded down."""
        return int(round(self.daily_stars / STARS_PER_MESSAGE, 6))


def stars(messages: int) -> float:
    """Stars spent on `messages` paid sends."""
    return round(messages * STARS_PER_MESSAGE, 1)


def day_of(now: datetime) -> str:
    """Name the UTC day `now` falls on: the budget starts again at midnight UTC."""
    return now.astimezone(UTC).date().isoformat()


@dataclass(slots=True)
class PaidBudget:
    """Today's paid sends: counted in the database, picked since, given back since."""

    policy: PaidPolicy
    day: str = ""
    counted: int = 0  # the day's total as the database last said
    unwritten: int = 0  # paid picks less the ones given back, not yet written to the database
    paused_until: float = 0.0
    large: frozenset[int] = field(default_factory=frozenset)  # posts queued to > min_queue (auto)
    large_pages: bool = False  # the whole queue is over min_queue: digests and collapses may pay
    synced: bool = False  # `counted` was read from the database for `day`

    def roll(self, now: datetime) -> None:
        """Start a new day's count at midnight UTC (the database is read again before paying)."""
        today = day_of(now)
        if today != self.day:
            self.day, self.counted, self.unwritten, self.synced = today, 0, 0, False

    def learn(self, total: int) -> None:
        """Take the day's total as the database counts it (what is pending here not included)."""
        self.counted, self.synced = total, True

    def paused(self, now: float) -> bool:
        """Whether paying is paused (after a 429 or a refusal) at `now`."""
        return now < self.paused_until

    def left(self, now: float) -> int:
        """Paid sends still allowed today (0 while paused)."""
        if now < self.paused_until or not self.synced:
            return 0
        return max(self.policy.daily_messages - self.counted - self.unwritten, 0)

    def may_pay(self, due: Due, now: float) -> bool:
        """Whether this row may go as a paid send now: a single message, a big enough queue, budget left."""
        if due.kind not in _PAYABLE or due.full_posts or self.left(now) <= 0:
            return False
        if self.policy.min_queue <= 0:
            return True
        if due.kind is DeliveryKind.POST:
            return due.post_id in self.large
        return self.large_pages

    def take(self) -> None:
        """Count one paid pick."""
        self.unwritten += 1

    def give_back(self, count: int = 1) -> None:
        """Return picks that were not sent, or failed (Telegram bills only accepted messages)."""
        self.unwritten -= count

    def pending(self) -> int:
        """Return what to add to the day's row in the database."""
        return self.unwritten

    def written(self, total: int, delta: int) -> None:
        """Take the day's total after writing `delta` (picks and refunds may have come meanwhile)."""
        self.counted, self.unwritten, self.synced = total, self.unwritten - delta, True

    def pause(self, until: float) -> None:
        """Stop paying until `until` (a 429 or "not enough Stars" answer)."""
        self.paused_until = max(self.paused_until, until)
