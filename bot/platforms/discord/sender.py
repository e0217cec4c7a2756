"""Send, edit and delete transmissions on Discord over REST, mapping discord.py's errors for the engine."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, tzinfo
from typing import Any, TypeVar

import aiohttp
import discord
from discord.http import Route

from bot.broadcast import sender
from bot.broadcast.sender import Target
from bot.content.full import render_discord
from bot.content.i18n import t
from bot.content.models import FullPost, LatestPage, Notice, SearchResults, Transmission, View
from bot.content.render.common import clamp, one_line
from bot.content.render.discord import render_view
from bot.platforms.discord.buckets import cancel_refreshes, tune
from bot.platforms.discord.global_limit import GlobalLimit, trace_config
from bot.platforms.discord.views import NO_MENTIONS, message_kwargs

T = TypeVar("T")

UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
NON_TEXT_CHANNEL = 50008  # what Discord answers a message sent to a forum channel
ARCHIVED_THREAD = 50083  # a locked, archived thread: nothing goes there until a moderator reopens it
THREAD_NAME = 100
MAX_TAGS = 5
# discord.py sleeps through shorter 429s itself; a longer one comes back to the engine as RetryAfter,
# so one slow channel never holds a sender slot for minutes. 30 s is the smallest value it accepts.
MAX_RATELIMIT_WAIT = 30.0
FORUM_POST = "/"  # message ids of forum posts are "thread/message": they live in their own thread


def _content(part: str) -> dict[str, Any]:
    """Return the keyword arguments of one part of a whole post: plain Markdown text, mentions off."""
    return {"content": part, "allowed_mentions": NO_MENTIONS}


def _retry_after(exc: discord.HTTPException) -> float:
    body = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return max(float(body or 5.0), 0.0)
    except ValueError:
        return 5.0


def map_error(exc: discord.HTTPException) -> sender.SendError:
    """Translate one discord.py HTTP error into the engine's failure types."""
    reason = str(exc)
    if exc.status == 429:
        # A 429 discord.py gave up on: a Cloudflare ban (no Via header) or a global limit blocks the
        # whole bot, not just this channel.
        via = exc.response.headers.get("Via") if exc.response is not None else None
        everywhere = not via or exc.response.headers.get("X-RateLimit-Global") == "true"
        return sender.RetryAfter(_retry_after(exc), everywhere=everywhere)
    if exc.status >= 500 or exc.status == 401:
        # 401 means a revoked token: an operator must act, and retrying slowly keeps the queue meanwhile.
        return sender.RetryLater(reason)
    if isinstance(exc, discord.Forbidden):  # 50001 Missing Access, 50013 Missing Permissions, ...
        return sender.DestinationGone(reason)
    if isinstance(exc, discord.NotFound):
        return sender.BadMessage(reason) if exc.code == UNKNOWN_MESSAGE else sender.DestinationGone(reason)
    if exc.code in (NON_TEXT_CHANNEL, ARCHIVED_THREAD):
        return sender.DestinationGone(reason)  # retrying cannot help; resubscribing after a fix can
    return sender.BadMessage(reason)


async def call_mapped(action: Callable[[], Awaitable[T]], keep: Collection[int] = ()) -> T:
    """Run a discord.py call, turning its exceptions into the engine's (HTTP errors coded `keep` pass)."""
    try:
        return await action()
    except discord.RateLimited as exc:
        raise sender.RetryAfter(exc.retry_after) from None
    except discord.HTTPException as exc:
        if exc.code in keep:
            raise
        raise map_error(exc) from None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise sender.RetryLater(f"{type(exc).__name__}: {exc}") from None


def post_name(view: View | FullPost) -> str:
    """Name a forum post after what it carries: the post's title, else the page heading."""
    if isinstance(view, Transmission | FullPost):
        name = view.title
    elif isinstance(view, LatestPage):
        name = view.heading or t("latest", view.lang)
    elif isinstance(view, SearchResults):
        name = view.query
    elif isinstance(view, Notice):
        name = view.text
    else:
        name = t("categories", view.lang)
    return clamp(one_line(name), THREAD_NAME) or t("banner", "en")


def _tags(forum: discord.ForumChannel, category: str) -> list[discord.ForumTag]:
    """Tag a forum post with the tag named like the post's category; the first tag if one is required."""
    wanted = category.casefold()
    tags = [tag for tag in forum.available_tags if wanted and tag.name.casefold() == wanted]
    if not tags and forum.flags.require_tag and forum.available_tags:
        tags = [forum.available_tags[0]]
    return tags[:MAX_TAGS]


def _category(view: View | FullPost) -> str:
    return view.category if isinstance(view, Transmission | FullPost) else ""


class DiscordSender:
    """Discord's `Sender`, over discord.py's REST client (no gateway needed)."""

    name = "discord"

    def __init__(self, client: discord.Client, zone: tzinfo = UTC) -> None:
        self.client = client
        self._zone = zone
        self._forums: dict[int, discord.ForumChannel] = {}

    async def send(self, target: Target, view: View | FullPost) -> list[str]:
        """Send a view to a channel or thread; to a forum, as a new post of its own.

        A whole post goes as its parts, one message each, in order (in a forum: one post holding them).
        """
        if isinstance(view, FullPost):
            return await self._send_parts(target, view)
        kwargs = message_kwargs(render_view(view, self._zone))
        return [await self._post(target, post_name(view), _category(view), kwargs)]

    async def _post(self, target: Target, name: str, category: str, kwargs: dict[str, Any]) -> str:
        """Send one message to the target; a forum gets a new post named `name` that starts with it."""
        channel_id = int(target.thread_id or target.chat_id)
        forum = self._forums.get(channel_id)
        if forum is None:
            channel = self.client.get_partial_messageable(channel_id)
            try:
                sent = await call_mapped(
                    lambda: channel.send(**kwargs, silent=target.silent), keep=(NON_TEXT_CHANNEL,)
                )
                return str(sent.id)
            except discord.HTTPException:
                forum = await self._forum(channel_id)  # only forums say "non-text" and take posts
        posts_to = forum
        created = await call_mapped(
            lambda: posts_to.create_thread(
                name=name, applied_tags=_tags(posts_to, category), silent=target.silent, **kwargs
            )
        )
        return f"{created.thread.id}{FORUM_POST}{created.message.id}"

    async def _send_parts(self, target: Target, post: FullPost) -> list[str]:
        """Send a whole post's parts in order; a failure midway takes back the parts already sent."""
        parts = render_discord(post, self._zone)
        ids = [await self._post(target, post_name(post), post.category, _content(parts[0]))]
        try:
            await self._more_parts(target, parts[1:], ids)
        except sender.SendError:
            # The engine sends the post again later: half a post left here would be read twice.
            with contextlib.suppress(sender.SendError):
                await self.delete(target, ids)
            raise
        return ids

    async def _more_parts(self, target: Target, parts: list[str], ids: list[str]) -> None:
        """Send more parts where the first one went (a forum post's own thread), adding to `ids`."""
        thread, _, _ = ids[0].rpartition(FORUM_POST)
        channel = self.client.get_partial_messageable(int(thread or target.thread_id or target.chat_id))
        for part in parts:
            send = functools.partial(channel.send, **_content(part), silent=target.silent)
            sent = await call_mapped(send)
            ids.append(f"{thread}{FORUM_POST}{sent.id}" if thread else str(sent.id))

    async def _forum(self, channel_id: int) -> discord.ForumChannel:
        channel = await call_mapped(lambda: self.client.fetch_channel(channel_id))
        if not isinstance(channel, discord.ForumChannel):
            raise sender.DestinationGone(f"channel {channel_id} ({type(channel).__name__}) takes no messages")
        self._forums[channel_id] = channel
        return channel

    def _message(self, target: Target, message_id: str) -> discord.PartialMessage:
        thread, _, own = message_id.partition(FORUM_POST)
        channel_id = int(thread) if own else int(target.thread_id or target.chat_id)
        return self.client.get_partial_messageable(channel_id).get_partial_message(int(own or thread))

    async def edit(self, target: Target, message_ids: list[str], view: View | FullPost) -> list[str] | None:
        """Edit the sent message in place (a forum post keeps its name: renames are rate limited hard).

        A whole post edits its parts in place, sends parts it gained and deletes parts it lost; it
        returns the new ids when they changed.
        """
        if isinstance(view, FullPost):
            return await self._edit_parts(target, message_ids, view)
        message = render_view(view, self._zone)
        partial = self._message(target, message_ids[0])
        await call_mapped(lambda: partial.edit(**message_kwargs(message, editing=True)))
        return None

    async def _edit_parts(self, target: Target, message_ids: list[str], post: FullPost) -> list[str] | None:
        parts = render_discord(post, self._zone)
        for message_id, part in zip(message_ids, parts, strict=False):
            message = self._message(target, message_id)
            # Embeds and buttons cleared: a card sent before the channel chose whole posts becomes part 1.
            await call_mapped(functools.partial(message.edit, **_content(part), embeds=[], view=None))
        await self.delete(target, message_ids[len(parts) :])
        kept = message_ids[: len(parts)]
        if len(parts) > len(kept):
            await self._more_parts(target, parts[len(kept) :], kept)
        return kept if kept != message_ids else None

    async def delete(self, target: Target, message_ids: list[str]) -> None:
        """Delete sent messages (a forum post as a whole); ones already gone count as deleted."""
        for message_id in message_ids:
            partial = self._message(target, message_id)
            action: Callable[[], Awaitable[object]] = partial.delete
            thread, _, own = message_id.partition(FORUM_POST)
            if own == thread:  # a forum post's first message has the post's id: the post goes with it
                action = functools.partial(self.client.http.delete_channel, partial.channel.id)
            try:
                await call_mapped(action, keep=(UNKNOWN_MESSAGE, UNKNOWN_CHANNEL))
            except discord.NotFound:
                continue  # already deleted, by us or by a moderator


@contextmanager
def api_base(url: str | None) -> Iterator[None]:
    """Point discord.py's REST calls (and interaction webhooks) at another base URL for a while."""
    previous = Route.BASE
    if url:
        Route.BASE = url.rstrip("/")
    try:
        yield
    finally:
        Route.BASE = previous


def rest_client(limit: GlobalLimit | None = None) -> discord.Client:
    """Build a client whose sends never ping, keep the global limit, and whose long 429s come back."""
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False  # it never joins voice
    client = discord.Client(
        intents=discord.Intents(guilds=True),
        allowed_mentions=discord.AllowedMentions.none(),
        max_ratelimit_timeout=MAX_RATELIMIT_WAIT,
        http_trace=trace_config(limit or GlobalLimit()),
    )
    tune(client.http)
    return client


@asynccontextmanager
async def open_client(
    token: str, base_url: str | None = None, limit: GlobalLimit | None = None
) -> AsyncIterator[discord.Client]:
    """Log a REST-only client in (optionally against another API base) and close it afterwards."""
    with api_base(base_url):
        client = rest_client(limit)
        try:
            await client.login(token)
            yield client
        finally:
            cancel_refreshes(client.http)
            await client.close()
