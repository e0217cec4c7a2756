"""Reading on Discord: whole posts in a thread (or privately), posts opened from lists, search pages.

A whole post goes into a public thread opened on the message that carries it, so a channel shows
one line ("N messages") instead of the article, and everyone can read it there. Where no thread can
be opened (a DM, a thread or forum post already, an ephemeral card, missing permissions), the parts
answer only the reader who asked, as ephemeral messages.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Literal, TypeVar

import discord

from bot.content.full import render_discord
from bot.content.i18n import t
from bot.content.models import FullPost, Lang, Notice, SearchResults, Transmission, View
from bot.content.render.common import clamp, one_line
from bot.content.render.discord import render_view, search_key
from bot.platforms.discord.views import NO_MENTIONS, message_kwargs
from bot.services.articles import Articles
from bot.services.reading import Commands
from bot.services.readings import Readings

T = TypeVar("T")
log = logging.getLogger(__name__)

DEFER_AFTER = 2.0  # Discord forgets an interaction not answered within 3 s: defer before that
THREADABLE = frozenset({discord.ChannelType.text, discord.ChannelType.news})
THREAD_EXISTS = 160004  # "A thread has already been created for this message"
THREAD_NAME = 100
ARCHIVE_AFTER: Literal[1440] = 1440  # minutes without messages before the thread hides from the channel list
REMEMBERED_SEARCHES = 2000  # long queries behind "search:<page>:#<key>" buttons, newest kept

_PHRASES: dict[str, dict[Lang, str]] = {
    "in_thread": {
        "zh": "📖 全文在子区 <#{thread}> 里。",
        "en": "📖 The whole post is in the thread <#{thread}>.",
    },
}


def language_of(locale: discord.Locale | str | None, default: Lang) -> Lang:
    """Reply in Chinese or English by the user's Discord locale, else the default."""
    code = str(locale or "")
    if code.startswith("zh"):
        return "zh"
    return "en" if code.startswith("en") else default


def thread_allowed(interaction: discord.Interaction[Any], message: discord.Message | None) -> bool:
    """Tell whether a public thread can be opened on `message` (None: on the reply still to come)."""
    if interaction.guild_id is None or getattr(interaction.channel, "type", None) not in THREADABLE:
        return False  # a DM, or a thread or forum post already: threads do not nest
    have = interaction.app_permissions
    if not (have.create_public_threads and have.send_messages_in_threads):
        return False
    return message is None or not message.flags.ephemeral


def thread_name(title: str) -> str:
    """Name a thread after the post: one line, at most 100 characters, never empty."""
    return clamp(one_line(title), THREAD_NAME) or "📖"


@dataclass(frozen=True, slots=True)
class Plan:
    """Where a whole post goes: a thread (just opened, or opened before), or privately."""

    post: FullPost | None  # None: only a link to the thread there already
    thread_id: int | None = None
    fresh: bool = False


class DiscordReading:
    """Answer Read buttons, open menus, search page buttons and `/post <slug> full`."""

    defer_after = DEFER_AFTER

    def __init__(
        self,
        commands: Commands,
        articles: Articles,
        zone: tzinfo,
        default_lang: Lang,
        readings: Readings | None = None,
    ) -> None:
        self._commands = commands
        self._articles = articles
        self._readings = readings
        self._zone = zone
        self._default = default_lang
        self._searches: OrderedDict[str, str] = OrderedDict()
        self._opening: set[int] = set()  # messages a thread is being opened on, by this process

    def lang(self, interaction: discord.Interaction[Any]) -> Lang:
        """Return the language to answer this interaction in."""
        return language_of(interaction.locale, self._default)

    def remember_search(self, view: View) -> None:
        """Keep a query so its page buttons work when they carry only its key."""
        if isinstance(view, SearchResults):
            key = search_key(view.query)
            self._searches[key] = view.query
            self._searches.move_to_end(key)
            while len(self._searches) > REMEMBERED_SEARCHES:
                self._searches.popitem(last=False)

    def parts(self, post: FullPost) -> list[str]:
        """Render a whole post as Discord messages (≤ 2000 characters each)."""
        return render_discord(post, self._zone)

    # --- the Read button ----------------------------------------------------------------------------------

    async def read(self, interaction: discord.Interaction[Any], post_id: int) -> None:
        """Deliver a whole post: into a thread on the pressed message, or privately."""
        lang, message = self.lang(interaction), interaction.message
        threadable = message is not None and thread_allowed(interaction, message)

        async def prepare() -> Plan | Notice:
            if message is not None and (message.flags.has_thread or message.id in self._opening):
                # A thread started from a message has the message's id; reading it needs no rights.
                return Plan(None, message.id)
            found = await self._articles.full(post_id, lang)
            if isinstance(found, Notice):
                return found
            if message is None or not threadable:
                return Plan(found)
            opened = await self.open_thread(interaction.client, message.channel.id, message.id, found.title)
            return Plan(found, *opened) if opened else Plan(found)

        plan = await self._within(interaction, prepare(), ephemeral=True)
        if isinstance(plan, Notice):
            await self.say(interaction, plan.text)
        elif plan.thread_id is None:
            await self.privately(interaction, self.parts(plan.post) if plan.post else [])
        else:
            await self.say(interaction, _PHRASES["in_thread"][lang].format(thread=plan.thread_id))
            if plan.fresh and plan.post is not None and message is not None:
                await self._into_thread(interaction.client, message, plan.thread_id, plan.post)

    async def open_thread(
        self, client: discord.Client, channel_id: int, message_id: int, title: str
    ) -> tuple[int, bool] | None:
        """Open a public thread on a message: (thread id, newly opened), or None when refused."""
        self._opening.add(message_id)
        try:
            data = await client.http.start_thread_with_message(
                channel_id, message_id, name=thread_name(title), auto_archive_duration=ARCHIVE_AFTER
            )
        except discord.HTTPException as exc:
            self._opening.discard(message_id)
            if exc.code == THREAD_EXISTS:  # opened by another press, or another process
                return (message_id, False)
            log.warning("no thread on message %d: %s; the post goes privately", message_id, exc)
            return None
        except discord.RateLimited as exc:
            self._opening.discard(message_id)
            log.warning("no thread on message %d: rate limited for %.0f s", message_id, exc.retry_after)
            return None
        return (int(data["id"]), True)

    async def _into_thread(
        self, client: discord.Client, message: discord.Message, thread_id: int, post: FullPost
    ) -> None:
        """Send the parts into the thread on `message`, one after another; discord.py waits out 429s."""
        parts = self.parts(post)
        channel = client.get_partial_messageable(thread_id, type=discord.ChannelType.public_thread)
        ids: list[str] = []
        try:
            for part in parts:
                sent = await channel.send(content=part, allowed_mentions=NO_MENTIONS)
                ids.append(str(sent.id))
        except (discord.HTTPException, discord.RateLimited) as exc:
            log.warning("part %d/%d stopped in thread %d: %s", len(ids) + 1, len(parts), thread_id, exc)
        finally:
            self._opening.discard(message.id)
        if self._readings is not None:  # remembered: the thread is edited when the post changes
            await self._readings.record("discord", str(message.channel.id), str(thread_id), post, ids)

    # --- /post <slug> full --------------------------------------------------------------------------------

    async def post_full(self, interaction: discord.Interaction[Any], slug: str) -> None:
        """Answer `/post <slug> full`: the card with a thread holding the post, or the post privately."""
        lang = self.lang(interaction)
        threadable = thread_allowed(interaction, None)

        async def prepare() -> tuple[FullPost, Transmission] | View | None:
            found = await self._commands.run(f"/post {slug} full", lang)
            if not isinstance(found, FullPost):
                return found  # no such post, or still indexing
            card = await self._articles.card(found.post_id, lang)
            return card if isinstance(card, Notice) else (found, card)

        found = await self._within(interaction, prepare(), ephemeral=not threadable)
        if not isinstance(found, tuple):
            await self.say(interaction, found.text if isinstance(found, Notice) else t("post_gone", lang))
            return
        post, card = found
        if not threadable:
            await self.privately(interaction, self.parts(post))
            return
        sent = await self.send_view(interaction, card, ephemeral=False)
        opened = (
            None
            if sent is None
            else await self.open_thread(interaction.client, sent.channel.id, sent.id, post.title)
        )
        if sent is None or opened is None:
            await self.privately(interaction, self.parts(post))
            return
        await self._into_thread(interaction.client, sent, opened[0], post)

    # --- lists: open a post, turn a search page ----------------------------------------------------------

    async def open_card(self, interaction: discord.Interaction[Any], post_id: int) -> None:
        """Answer a choice in a list's menu with that post's card, for the chooser only."""
        lang = self.lang(interaction)
        card = await self._within(interaction, self._articles.card(post_id, lang), ephemeral=True)
        if isinstance(card, Notice):
            await self.say(interaction, card.text)
            return
        await self.send_view(interaction, card, ephemeral=True)

    async def turn_search(self, interaction: discord.Interaction[Any], page: int, wanted: str) -> None:
        """Show another page of search results in place; a forgotten long query says "search again"."""
        lang = self.lang(interaction)
        query = self._searches.get(wanted[1:]) if wanted.startswith("#") else wanted
        stale = t("stale_search", lang)
        if query is None or page < 1:
            await self.say(interaction, stale)
            return
        await self.replace_with(interaction, self._commands.search(query, lang, page), stale)

    async def replace_with(
        self, interaction: discord.Interaction[Any], work: Awaitable[View], stale: str
    ) -> None:
        """Edit the message the pressed button sits on to show what `work` returns."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        try:
            if not done:
                await interaction.response.defer()  # "deferred update": the message stays as it is
            view = await task
            if isinstance(view, Notice):  # the page no longer exists: tell only the presser
                await self.say(interaction, stale if view.is_error else view.text)
                return
            self.remember_search(view)
            kwargs = message_kwargs(render_view(view, self._zone), editing=True)
            if done:
                await interaction.response.edit_message(**kwargs)
            else:
                await interaction.edit_original_response(**kwargs)
        except discord.HTTPException as exc:
            log.warning("page turn failed: %s", exc)

    # --- answering ----------------------------------------------------------------------------------------

    async def _within(self, interaction: discord.Interaction[Any], work: Awaitable[T], ephemeral: bool) -> T:
        """Await `work`, deferring the answer ("thinking…") if it takes longer than Discord waits."""
        task = asyncio.ensure_future(work)
        if interaction.response.is_done():
            return await task
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        if not done:
            try:
                await interaction.response.defer(ephemeral=ephemeral, thinking=True)
            except discord.HTTPException as exc:
                log.warning("could not defer an answer: %s", exc)
        return await task

    async def say(self, interaction: discord.Interaction[Any], text: str) -> bool:
        """Tell only the user, as the answer or as a follow-up; False when it could not be sent."""
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            else:
                await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("an answer could not be sent: %s", exc)
            return False
        return True

    async def privately(self, interaction: discord.Interaction[Any], parts: list[str]) -> None:
        """Send the parts to the reader only: the first as the answer, the rest as follow-ups, in order."""
        for part in parts:
            if not await self.say(interaction, part):
                return

    async def send_view(
        self, interaction: discord.Interaction[Any], view: View, ephemeral: bool
    ) -> discord.Message | None:
        """Answer with a rendered view; return the message it became (None when it failed)."""
        kwargs = message_kwargs(render_view(view, self._zone))
        try:
            if not interaction.response.is_done():
                answer = await interaction.response.send_message(**kwargs, ephemeral=ephemeral)
                resource = answer.resource
                return resource if isinstance(resource, discord.Message) else None
            return await interaction.followup.send(**kwargs, ephemeral=ephemeral, wait=True)
        except discord.HTTPException as exc:
            log.warning("an answer could not be sent: %s", exc)
            return None
