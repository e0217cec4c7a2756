"""The subscription commands, shared by every platform: subscribe, unsubscribe, settings."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.content.i18n import t
from bot.content.models import Lang, Notice, View
from bot.content.search_query import SEPARATORS, split_list
from bot.services.schedules import ScheduleError, parse_digest
from bot.store import destinations, posts
from bot.store.destinations import Subscription
from bot.store.models import Destination
from bot.store.states import DestinationKind, DestinationMode

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


# Separators between categories: ASCII and full-width commas, the ideographic comma, semicolons.
CATEGORY_SEPARATORS = SEPARATORS


def split_categories(args: str, known: dict[str, str]) -> list[str]:
    """Split a category list: by separators when it has any, else by the longest known names.

    Without separators, words are joined greedily into the longest known category, so
    `Reinforcement Learning Python` is two categories; a word that starts none is kept alone
    (and refused by the caller).
    """
    if CATEGORY_SEPARATORS.search(args):
        return split_list(args)
    words = args.split()
    chosen: list[str] = []
    start = 0
    while start < len(words):
        end = next(
            (
                stop
                for stop in range(len(words), start, -1)
                if " ".join(words[start:stop]).casefold() in known
            ),
            start + 1,
        )
        chosen.append(" ".join(words[start:end]))
        start = end
    return chosen


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
        wish = Subscription(
            chat.platform, chat.chat_id, chat.thread_id, DestinationKind(chat.kind), chat.title, language=lang
        )
        if words and words[0].lower() == "digest":
            try:
                schedule, zone = parse_digest(words[1:], now=self._clock.now())
            except ScheduleError as exc:
                return _error(f"schedule_{exc.key}", lang, **{k: v[:64] for k, v in exc.values.items()})
            wish = replace(wish, digest_cron=schedule, digest_tz=zone)
            reply = t("subscribed_digest", lang, schedule=schedule, tz=zone)
        elif words:
            async with self._sessions() as session:
                known = {
                    c.name.casefold(): c.name for c in await posts.categories(session, self._clock.now())
                }
            wanted = split_categories(args, known)
            unknown = [w for w in wanted if w.casefold() not in known]
            if unknown:
                names = _join(list(known.values()), lang)
                return _error("unknown_category", lang, category=unknown[0][:64], known=names)
            chosen = tuple(dict.fromkeys(known[w.casefold()] for w in wanted))
            wish = replace(wish, categories=chosen)
            reply = t("subscribed_categories", lang, categories=_join(chosen, lang))
        else:
            reply = t("subscribed", lang)
        async with self._sessions.begin() as session:
            existing = await destinations.find(session, chat.platform, chat.chat_id, chat.thread_id)
            if existing is not None:
                wish = replace(wish, silent=existing.silent)  # keep what /settings chose
            await destinations.subscribe(session, wish, self._clock.now())
        return Notice(reply, lang)

    async def ensure(self, chat: Chat) -> bool:
        """Subscribe `chat` to everything unless it has a destination already; True when added."""
        async with self._sessions.begin() as session:
            if await destinations.find(session, chat.platform, chat.chat_id, chat.thread_id) is not None:
                return False
            kind = DestinationKind(chat.kind)
            wish = Subscription(chat.platform, chat.chat_id, chat.thread_id, kind, chat.title)
            await destinations.subscribe(session, wish, self._clock.now())
        return True

    async def unsubscribe(self, args: str, chat: Chat) -> View:
        """Stop sending to the chat (its history stays, so subscribing again is seamless)."""
        if not chat.is_admin:
            return _error("not_admin", chat.lang)
        async with self._sessions.begin() as session:
            found = await destinations.find(session, chat.platform, chat.chat_id, chat.thread_id)
            if found is None or not found.active:
                return _error("not_subscribed", chat.lang)
            await destinations.disable(session, found, UNSUBSCRIBED)
        return Notice(t("unsubscribed", chat.lang), chat.lang)

    async def settings(self, args: str, chat: Chat) -> View:
        """Show the chat's subscription, or change `silent`, `language` and `full`."""
        lang = chat.lang
        words = args.lower().split()
        async with self._sessions.begin() as session:
            found = await destinations.find(session, chat.platform, chat.chat_id, chat.thread_id)
            if found is None or not found.active:
                return _error("not_subscribed", lang)
            if not words:
                return Notice(t("settings_title", lang), lang, lines=describe(found, lang))
            if not chat.is_admin:
                return _error("not_admin", lang)
            changes = parse_settings(words)
            if changes is None:
                return _error("settings_usage", lang)
            if "silent" in changes:
                found.silent = changes["silent"] == "on"
            if "language" in changes:
                found.language = changes["language"]
            if "full" in changes:
                found.full_posts = changes["full"] == "on"
            lines = describe(found, lang)
        return Notice(t("settings_saved", lang), lang, lines=lines)


def parse_settings(words: list[str]) -> dict[str, str] | None:
    """Read `silent on|off`, `language zh|en`, `full on|off` pairs in any order; None if anything is off."""
    allowed = {"silent": ("on", "off"), "language": ("zh", "en"), "full": ("on", "off")}
    if not words or len(words) % 2:
        return None
    changes: dict[str, str] = {}
    for key, value in zip(words[::2], words[1::2], strict=True):
        if key not in allowed or value not in allowed[key] or key in changes:
            return None
        changes[key] = value
    return changes


def _join(names: tuple[str, ...] | list[str], lang: Lang) -> str:
    return ("、" if lang == "zh" else ", ").join(names)


def describe(destination: Destination, lang: Lang = "en") -> tuple[str, ...]:
    """Return the lines /settings shows, in `lang`."""
    if destination.mode is DestinationMode.DIGEST:
        mode = t("mode_digest", lang, schedule=destination.digest_cron, tz=destination.digest_tz)
    else:
        mode = t("mode_instant", lang)
    categories = _join(destination.categories, lang) if destination.categories else t("all_categories", lang)
    on, off = t("on", lang), t("off", lang)
    language = destination.language or "-"
    return (
        t("setting_mode", lang, value=mode),
        t("setting_categories", lang, value=categories),
        t("setting_silent", lang, value=on if destination.silent else off),
        t("setting_language", lang, value=language),
        t("setting_full", lang, value=on if destination.full_posts else off),
    )
