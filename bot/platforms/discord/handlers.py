"""Discord interactions → shared commands: replies in time, refusals, page turns, autocomplete."""

from __future__ import annotations

import asyncio
import functools
import logging
import zoneinfo
from collections.abc import Awaitable, Callable
from datetime import tzinfo
from typing import Any

import discord
from discord import app_commands

from bot.content.i18n import t
from bot.content.models import FullPost, Lang, Notice, View
from bot.content.render.common import clamp, one_line
from bot.content.render.discord import render_view
from bot.platforms.discord.reading import DiscordReading, language_of
from bot.platforms.discord.views import NO_MENTIONS, message_kwargs
from bot.services.articles import Articles
from bot.services.lookups import PostLookups
from bot.services.reading import FULL_WORDS, Chat, Commands
from bot.services.readings import Readings

log = logging.getLogger(__name__)

MAX_CHOICES = 25  # Discord's cap on autocomplete suggestions
CHOICE_TEXT = 100  # and on each suggestion's name and value
TargetChannel = app_commands.AppCommandChannel | app_commands.AppCommandThread
THREAD_TYPES = {
    discord.ChannelType.public_thread,
    discord.ChannelType.private_thread,
    discord.ChannelType.news_thread,
}

# Phrases only Discord needs; the shared ones live in bot.content.i18n.
_PHRASES: dict[str, dict[Lang, str]] = {
    "need_manage": {
        "zh": "需要“管理频道”权限才能修改这里的订阅。",
        "en": "You need the Manage Channels permission to change subscriptions here.",
    },
    "need_manage_there": {
        "zh": "你在 #{channel} 没有“管理频道”权限。",
        "en": "You need the Manage Channels permission in #{channel}.",
    },
    "guild_only": {
        "zh": "订阅只能在服务器的频道里管理。",
        "en": "Subscriptions are managed in a server channel.",
    },
    "bot_cannot_post": {
        "zh": "机器人在这里缺少权限：{missing}。请先授予，再订阅。",
        "en": "The bot lacks these permissions here: {missing}. Grant them, then subscribe.",
    },
    "category_or_digest": {
        "zh": "分类和摘要只能二选一。",
        "en": "Choose a category or a digest, not both.",
    },
    "timezone_needs_digest": {
        "zh": "时区只用于摘要：/subscribe digest:09:30 timezone:Asia/Shanghai",
        "en": "A time zone only goes with a digest: /subscribe digest:09:30 timezone:Europe/Berlin",
    },
    "failed": {"zh": "出错了，请稍后再试。", "en": "Something went wrong; please try again later."},
}


def phrase(key: str, lang: Lang, **values: object) -> str:
    """Return a Discord-only phrase in `lang`."""
    return _PHRASES[key][lang].format(**values)


@functools.cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def _choices(pairs: list[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """Keep suggestions Discord accepts: 1-100 characters each, at most 25."""
    fit = [
        (clamp(name, CHOICE_TEXT), value) for name, value in pairs if name and 0 < len(value) <= CHOICE_TEXT
    ]
    return [app_commands.Choice(name=name, value=value) for name, value in fit[:MAX_CHOICES]]


class DiscordHandlers:
    """The callbacks behind the slash commands and the page buttons; `reading` answers the rest."""

    def __init__(
        self,
        commands: Commands,
        lookups: PostLookups,
        zone: tzinfo,
        default_lang: Lang,
        wake: Callable[[], None],
        articles: Articles,
        readings: Readings | None = None,
    ) -> None:
        self._commands = commands
        self._lookups = lookups
        self._zone = zone
        self._default = default_lang
        self._wake = wake
        self.reading = DiscordReading(commands, articles, zone, default_lang, readings)

    # Discord forgets an interaction not answered within 3 s; work still running after this is
    # deferred ("thinking…") and its answer follows up, so a slow database never loses a reply.
    @property
    def defer_after(self) -> float:
        """Seconds of work before the answer is deferred (the reading side uses the same)."""
        return self.reading.defer_after

    @defer_after.setter
    def defer_after(self, seconds: float) -> None:
        self.reading.defer_after = seconds

    def lang(self, interaction: discord.Interaction[Any]) -> Lang:
        """Return the language to answer this interaction in."""
        return language_of(interaction.locale, self._default)

    async def read(self, interaction: discord.Interaction[Any], line: str) -> None:
        """Answer a read-only command line like `/latest 2` for everyone to see (errors privately)."""
        await self._answer(interaction, self._commands.run(line, self.lang(interaction)), ephemeral=False)

    async def post(self, interaction: discord.Interaction[Any], slug: str, full: bool | None) -> None:
        """Answer /post: the card, or with `full` (or a typed `<slug> full`) the whole post too."""
        words = slug.split()
        if full or (len(words) == 2 and words[1].lower() in FULL_WORDS):  # `p3 full`, `p3 全文`
            await self.reading.post_full(interaction, words[0] if words else slug)
        else:
            await self.read(interaction, f"/post {slug}")

    async def subscribe(
        self,
        interaction: discord.Interaction[Any],
        category: str | None,
        digest: str | None,
        timezone: str | None,
        channel: TargetChannel | None,
    ) -> None:
        """Subscribe this (or another) channel: everything, a category, or a digest."""
        lang = self.lang(interaction)
        if digest and category:
            return await self._refuse(interaction, phrase("category_or_digest", lang))
        if timezone and not digest:
            return await self._refuse(interaction, phrase("timezone_needs_digest", lang))
        args = f"digest {digest} {timezone or ''}" if digest else (category or "")
        await self.manage(interaction, "subscribe", [args.strip()], channel)

    async def manage(
        self,
        interaction: discord.Interaction[Any],
        name: str,
        lines: list[str],
        channel: TargetChannel | None,
    ) -> None:
        """Run subscription commands for a channel the user manages; answer only them."""
        lang = self.lang(interaction)
        chat = self._chat(interaction, channel, lang)
        if isinstance(chat, str):
            return await self._refuse(interaction, chat)
        if name == "subscribe" and channel is None:
            missing = self._bot_cannot_post(interaction, chat.kind == "thread")
            if missing:
                return await self._refuse(interaction, phrase("bot_cannot_post", lang, missing=missing))

        async def work() -> View:
            view: View = Notice("", lang)
            for line in lines:  # /settings silent:on language:en is two changes, one after the other
                answer = await self._commands.run(f"/{name} {line}".strip(), chat)
                if answer is not None and not isinstance(answer, FullPost):  # managing shows no posts
                    view = answer
                if isinstance(view, Notice) and view.is_error:
                    break
            self._wake()  # the sender re-reads its queue: the change applies from the very next send
            return view

        await self._answer(interaction, work(), ephemeral=True)

    def _chat(
        self, interaction: discord.Interaction[Any], channel: TargetChannel | None, lang: Lang
    ) -> Chat | str:
        """Describe the channel to manage, or return why the user may not manage it."""
        if interaction.guild_id is None:
            return phrase("guild_only", lang)
        if channel is not None and not channel.permissions.manage_channels:
            # The check covered the channel the command was typed in, not the one named.
            return phrase("need_manage_there", lang, channel=channel.name[:100])
        target: Any = channel if channel is not None else interaction.channel
        if target is None:
            return phrase("guild_only", lang)
        name = str(getattr(target, "name", "") or "")
        if getattr(target, "type", None) in THREAD_TYPES:
            return Chat("discord", str(target.parent_id), str(target.id), "thread", name, True, lang)
        return Chat("discord", str(target.id), "", "channel", name, True, lang)

    @staticmethod
    def _bot_cannot_post(interaction: discord.Interaction[Any], thread: bool) -> str:
        have = interaction.app_permissions
        need = {
            "View Channel": have.view_channel,
            "Send Messages in Threads" if thread else "Send Messages": (
                have.send_messages_in_threads if thread else have.send_messages
            ),
            "Embed Links": have.embed_links,
        }
        return ", ".join(name for name, ok in need.items() if not ok)

    async def turn_page(self, interaction: discord.Interaction[Any], page: int) -> None:
        """Edit the LATEST UPDATES message in place to show `page`."""
        stale = t("stale_button", self.lang(interaction))
        if page < 1:  # "latest:0" is no page we ever sent
            return await self._refuse(interaction, stale)
        await self.reading.replace_with(
            interaction, self._commands.latest_page(page, self.lang(interaction)), stale
        )

    async def _answer(
        self, interaction: discord.Interaction[Any], work: Awaitable[View | FullPost | None], ephemeral: bool
    ) -> None:
        """Reply with what `work` returns, deferring first if it takes longer than Discord waits."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        try:
            if not done:
                await interaction.response.defer(ephemeral=ephemeral, thinking=True)
            lang = self.lang(interaction)
            view = await task or Notice(t("unknown_command", lang, command="?"), lang, is_error=True)
            if isinstance(view, FullPost):  # /post routes whole posts to the reading side: not reached
                return await self.reading.privately(interaction, self.reading.parts(view))
            private = ephemeral or (isinstance(view, Notice) and view.is_error)
            self.reading.remember_search(view)  # its page buttons may carry only the query's key
            kwargs = message_kwargs(render_view(view, self._zone))
            if done:
                await interaction.response.send_message(**kwargs, ephemeral=private)
            else:
                await interaction.followup.send(**kwargs, ephemeral=private)
        except discord.HTTPException as exc:
            log.warning("reply to /%s failed: %s", getattr(interaction.command, "name", "?"), exc)

    async def _refuse(self, interaction: discord.Interaction[Any], text: str) -> None:
        """Tell only the user why not, whether or not the interaction was answered already."""
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            else:
                await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("refusal could not be sent: %s", exc)

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Refuse missing permissions politely; log anything else and say it failed."""
        lang = self.lang(interaction)
        if isinstance(error, app_commands.MissingPermissions):
            return await self._refuse(interaction, phrase("need_manage", lang))
        if isinstance(error, app_commands.NoPrivateMessage):
            return await self._refuse(interaction, phrase("guild_only", lang))
        log.error("/%s failed", getattr(interaction.command, "name", "?"), exc_info=error)
        await self._refuse(interaction, phrase("failed", lang))

    async def post_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest posts by title for /post: matches of what was typed, else the newest."""
        found = await self._lookups.posts(current, MAX_CHOICES)
        return _choices([(one_line(title) or slug, slug) for title, slug in found])

    async def category_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest categories for /subscribe."""
        return _choices([(name, name) for name in await self._lookups.categories(current)])

    async def zone_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest IANA time zones for a digest."""
        typed = current.casefold().strip()
        return _choices([(z, z) for z in _zones() if typed in z.casefold()][:MAX_CHOICES])
