"""The subscription commands, shared by every platform: subscribe, unsubscribe, settings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.content.i18n import t
from bot.content.models import Lang, Notice, View
from bot.scheduler import parse_schedule
from bot.store import destinations, posts
from bot.store.destinations import Subscription
from bot.store.models import Destination

UNSUBSCRIBED = "unsubscribed"


@dataclass(frozen=True, slots=True)
class Chat:
    """Where a command was sent and by whom: the subscription commands need it."""

    platform: str
    chat_id: str
    thread_id: str = ""
    kind: str = "private"  # private / group / channel / thread
    title: str = ""
    is_admin: bool = False  # the adapter decides: a chat admin, or anyone in their private chat
    lang: Lang = "zh"


def _error(key: str, lang: Lang, **values: object) -> Notice:
    return Notice(t(key, lang, **values), lang, is_error=True)


def parse_digest(words: list[str], default_tz: str = "UTC") -> tuple[str, str]:
    """Read `HH:MM [zone]` or `m h dom mon dow [zone]`; raise ValueError with a reason."""
    if not words:
        raise ValueError("missing time")
    if ":" in words[0]:
        spec, rest = words[0], words[1:]
    else:
        spec, rest = " ".join(words[:5]), words[5:]
    zone = rest[0] if rest else default_tz
    if len(rest) > 1:
        raise ValueError(f"unexpected {' '.join(rest[1:])!r}")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {zone!r}") from None
    parse_schedule(spec, zone)
    return spec, zone


class Subscriptions:
    """Subscribe, unsubscribe and configure the chat a command came from."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def subscribe(self, args: str, chat: Chat) -> View:
        """Subscribe the chat: to everything, to some categories, or to a digest."""
        lang = chat.lang
        if not chat.is_admin:
            return _error("not_admin", lang)
        words = args.split()
        wish = Subscription(chat.platform, chat.chat_id, chat.thread_id, chat.kind, chat.title, language=lang)
        if words and words[0].lower() == "digest":
            try:
                schedule, zone = parse_digest(words[1:])
            except ValueError as exc:
                return _error("bad_schedule", lang, reason=str(exc))
            wish = replace(wish, digest_cron=schedule, digest_tz=zone)
            reply = t("subscribed_digest", lang, schedule=schedule, tz=zone)
        elif words:
            wanted = [w.strip() for w in (args.split(",") if "," in args else words) if w.strip()]
            async with self._sessions() as session:
                known = {
                    c.name.casefold(): c.name for c in await posts.categories(session, self._clock.now())
                }
            unknown = [w for w in wanted if w.casefold() not in known]
            if unknown:
                return _error(
                    "unknown_category", lang, category=unknown[0][:64], known=", ".join(known.values())
                )
            chosen = tuple(known[w.casefold()] for w in wanted)
            wish = replace(wish, categories=chosen)
            reply = t("subscribed_categories", lang, categories=", ".join(chosen))
        else:
            reply = t("subscribed", lang)
        async with self._sessions.begin() as session:
            existing = await destinations.find(session, chat.platform, chat.chat_id, chat.thread_id)
            if existing is not None:
                wish = replace(wish, silent=existing.silent)  # keep what /settings chose
            await destinations.subscribe(session, wish, self._clock.now())
        return Notice(reply, lang)

    async def unsubscribe(self, args: str, chat: Chat) -> View:
        """Stop sending to the chat (its history stays, so subscribing again is seamless)."""
        if not chat.is_admin:
            return _error("not_admin", chat.lang)
        async with self._sessions.begin() as session:
            found = await destinations.find(session, chat.platform, chat.chat_id, chat.thread_id)
            if found is None or not found.active:
                return _error("not_subscribed", chat.lang)
            found.active, found.disabled_reason = False, UNSUBSCRIBED
        return Notice(t("unsubscribed", chat.lang), chat.lang)

    async def settings(self, args: str, chat: Chat) -> View:
        """Show the chat's subscription, or change `silent` and `language`."""
        lang = chat.lang
        words = args.lower().split()
        async with self._sessions.begin() as session:
            found = await destinations.find(session, chat.platform, chat.chat_id, chat.thread_id)
            if found is None or not found.active:
                return _error("not_subscribed", lang)
            if not words:
                return Notice(t("settings_title", lang), lang, lines=describe(found))
            if not chat.is_admin:
                return _error("not_admin", lang)
            if len(words) != 2 or words[0] not in ("silent", "language"):
                return _error("settings_usage", lang)
            key, value = words
            if key == "silent" and value in ("on", "off"):
                found.silent = value == "on"
            elif key == "language" and value in ("zh", "en"):
                found.language = value
            else:
                return _error("settings_usage", lang)
            lines = describe(found)
        return Notice(t("settings_saved", lang), lang, lines=lines)


def describe(destination: Destination) -> tuple[str, ...]:
    """Return the lines /settings shows (plain key: value, the same in both languages)."""
    mode = (
        f"digest {destination.digest_cron} ({destination.digest_tz})"
        if destination.mode == "digest"
        else "instant"
    )
    return (
        f"mode: {mode}",
        f"categories: {', '.join(destination.categories) if destination.categories else '*'}",
        f"silent: {'on' if destination.silent else 'off'}",
        f"language: {destination.language or '-'}",
    )
