"""Commands for the bot's owners on any platform: engine status, re-send a post."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.broadcast import outbox
from bot.broadcast.paid import stars
from bot.clock import Clock
from bot.content.i18n import t
from bot.content.models import Lang, Notice, View
from bot.services import digests
from bot.store import posts
from bot.store.status import status


class OwnerCommands:
    """/status and /broadcast <slug>, for the user ids in BOT_ADMINS."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock, wake: Callable[[], None]
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._wake = wake

    async def status(self, args: str, lang: Lang) -> View:
        """Summarise destinations, the queue and the last failures."""
        async with self._sessions() as session:
            report = await status(session, self._clock.now(), failures=5, check=digests.schedule_problem)
        lines = [
            f"{platform}: {states['active']} active, {states['disabled']} disabled"
            for platform, states in sorted(report["destinations"].items())
        ]
        lines += [
            f"★ {platform}: {sent:,} paid sends today, {stars(sent):g} Stars"
            for platform, sent in sorted(report["paid_today"].items())
        ]
        lines += [f"✗ {f['platform']}:{f['chat_id']} — {f['error']}" for f in report["last_failures"]]
        lines += [f"⏰ {p['slug']} {p['at']}" for p in report["scheduled_posts"][:5]]
        lines += [
            f"⚠ {d['platform']}:{d['chat_id']} — {d['problem']}" for d in report["digests"] if d["problem"]
        ]
        head = t("status_line", lang, **{k: report[k] for k in ("queue", "sent", "failed", "retrying")})
        return Notice(head, lang, lines=tuple(lines))

    async def broadcast(self, args: str, lang: Lang) -> View:
        """Send a published post again to every instant destination."""
        slug = args.split()[0] if args.split() else ""
        if not slug:
            return Notice(t("post_usage", lang).replace("/post", "/broadcast"), lang, is_error=True)
        now = self._clock.now()
        async with self._sessions.begin() as session:
            row = await posts.by_slug(session, slug, now)
            if row is None:
                return Notice(t("no_such_post", lang, slug=slug[:100]), lang, is_error=True)
            count = await outbox.rebroadcast(session, row, now)
            title = row.title
        self._wake()
        return Notice(t("rebroadcast", lang, title=title[:100], count=count), lang)
