"""Send, edit and delete transmissions on Telegram, mapping PTB's errors for the engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, timedelta, tzinfo
from functools import partial
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.broadcast import sender
from bot.broadcast.sender import Target
from bot.content.models import FullPost, View
from bot.content.render.telegram import ReadLinks, TelegramMessage, is_link_button, render_view
from bot.platforms.telegram.full_posts import FullPostSender, RichSupport, Wait

T = TypeVar("T")

# Descriptions that mean the chat is out of reach for good (PTB lower-cases after "Bad Request: ").
_GONE = (
    "chat not found",
    "message thread not found",
    "topic_closed",
    "topic closed",
    "not enough rights",
    "have no rights",
    "need administrator rights",
    "chat_write_forbidden",
    "group chat was deleted",
)
_ALREADY_DONE = ("message is not modified", "message to delete not found", "message can't be deleted")


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def call_mapped(action: Callable[[], Awaitable[T]]) -> T:
    """Run a Bot API call, turning PTB exceptions into the engine's failure types."""
    try:
        return await action()
    except RetryAfter as exc:
        raise sender.RetryAfter(_seconds(exc.retry_after)) from None
    except ChatMigrated as exc:
        raise sender.DestinationMoved(str(exc.new_chat_id)) from None
    except Forbidden as exc:
        raise sender.DestinationGone(exc.message) from None
    except InvalidToken as exc:
        # A revoked token needs an operator; retrying slowly keeps the queue intact meanwhile.
        raise sender.RetryLater(f"Telegram refused the bot token: {type(exc).__name__}") from None
    except BadRequest as exc:  # before NetworkError: BadRequest subclasses it
        text = exc.message.lower()
        if any(marker in text for marker in _GONE):
            raise sender.DestinationGone(exc.message) from None
        raise sender.BadMessage(exc.message) from None
    except NetworkError as exc:  # TimedOut, 5xx, connection errors
        raise sender.RetryLater(exc.message or type(exc).__name__) from None
    except TelegramError as exc:
        raise sender.RetryLater(exc.message) from None


async def call_paid(action: Callable[[], Awaitable[T]]) -> T:
    """Run a paid send: a refusal about Stars (the balance is spent) says "stop paying", not "bad message"."""
    try:
        return await call_mapped(action)
    except sender.BadMessage as exc:
        if "star" in exc.reason.lower():
            raise sender.PaidRefused(exc.reason) from None
        raise


async def post_message(bot: Bot, **params: Any) -> dict[str, Any]:
    """Send what `Bot.send_message` would send; return the answer as Telegram's JSON.

    `send_message` builds a whole `Message` from the answer (some 250 attributes set one by one,
    a third of a send's CPU at 1,000 sends/s) and the engine reads only its id. `_post` is what
    `send_message` itself calls: same parameters, defaults and errors.
    """
    result: dict[str, Any] = await bot._post("sendMessage", params)
    return result


def keyboard(message: TelegramMessage) -> InlineKeyboardMarkup | None:
    """Build the inline keyboard of a rendered message (None when it has no buttons)."""
    if not message.buttons:
        return None
    rows = [
        [
            InlineKeyboardButton(label, url=data)
            if is_link_button(data)
            else InlineKeyboardButton(label, callback_data=data)
            for label, data in row
        ]
        for row in message.buttons
    ]
    return InlineKeyboardMarkup(rows)


def _thread(target: Target) -> int | None:
    return int(target.thread_id) if target.thread_id else None


def _chat(target: Target) -> int | str:
    return int(target.chat_id) if target.chat_id.lstrip("-").isdigit() else target.chat_id


class TelegramSender:
    """Telegram's `Sender`: what the engine sends through to Telegram."""

    name = "telegram"

    def __init__(
        self, bot: Bot, zone: tzinfo = UTC, rich: RichSupport | None = None, wait: Wait = asyncio.sleep
    ) -> None:
        self.bot = bot
        self._zone = zone
        self._full = FullPostSender(bot, rich or RichSupport(), zone, wait)
        # The last rendering: a broadcast sends one view to thousands of chats in a row.
        self._last: tuple[View, ReadLinks | None, TelegramMessage, dict[str, Any]] | None = None

    def _render(self, view: View, links: ReadLinks | None) -> tuple[TelegramMessage, dict[str, Any]]:
        """Render `view` (and its Bot API parameters) once for every chat of the same kind in a row."""
        last = self._last
        if last is not None and last[0] is view and last[1] == links:
            return last[2], last[3]
        message = render_view(view, self._zone, links)
        api = message.to_api()
        del api["method"]
        self._last = (view, links, message, api)
        return message, api

    def _links(self, target: Target) -> ReadLinks | None:
        """Read buttons: callbacks in a private chat (a user id is positive), deep links elsewhere."""
        try:
            username = self.bot.username
        except RuntimeError:  # not initialized: no username to link to, so no button
            return None
        return ReadLinks(username or "", private=not target.chat_id.startswith("-"))

    async def send(self, target: Target, view: View | FullPost) -> list[str]:
        """Send a view as a message, or as a photo with a caption when it has a cover."""
        if isinstance(view, FullPost):
            send = partial(
                self._full.send, _chat(target), view, thread_id=_thread(target), silent=target.silent
            )
            return await call_mapped(send)
        message, api = self._render(view, self._links(target))
        common: dict[str, Any] = {
            "chat_id": _chat(target),
            "message_thread_id": _thread(target),
            "disable_notification": target.silent,
        }
        if target.paid:  # above the free limit: 0.1 Star from the bot's balance
            common["allow_paid_broadcast"] = True
        request: Callable[[], Awaitable[Message | dict[str, Any]]]
        if message.photo is not None:
            photo, markup = message.photo, keyboard(message)
            common |= {"caption": message.html, "parse_mode": "HTML", "reply_markup": markup}
            request = partial(self.bot.send_photo, photo=photo, **common)
        else:
            # The rendered call as the Bot API's JSON (text, parse mode, preview, keyboard): PTB
            # sends dicts as they are, without building and serialising its objects first.
            request = partial(post_message, self.bot, **api, **common)
        sent: Message | dict[str, Any] = await (call_paid(request) if target.paid else call_mapped(request))
        return [str(sent["message_id"] if isinstance(sent, dict) else sent.message_id)]

    async def edit(self, target: Target, message_ids: list[str], view: View | FullPost) -> list[str] | None:
        """Edit the sent message in place: its text, or its caption for a photo (a whole post: its parts)."""
        if isinstance(view, FullPost):
            parts = await call_mapped(partial(self._full.edit, _chat(target), message_ids, view))
            return parts if parts != message_ids else None
        message = render_view(view, self._zone, self._links(target))
        ids: dict[str, Any] = {"chat_id": _chat(target), "message_id": int(message_ids[0])}
        markup = keyboard(message)
        try:
            if message.photo is not None:
                await call_mapped(
                    lambda: self.bot.edit_message_caption(
                        caption=message.html, parse_mode="HTML", reply_markup=markup, **ids
                    )
                )
            else:
                preview = LinkPreviewOptions(**message.link_preview)
                await call_mapped(
                    lambda: self.bot.edit_message_text(
                        text=message.html,
                        parse_mode="HTML",
                        link_preview_options=preview,
                        reply_markup=markup,
                        **ids,
                    )
                )
        except sender.BadMessage as exc:
            if not any(marker in exc.reason.lower() for marker in _ALREADY_DONE):
                raise
        return None

    async def delete(self, target: Target, message_ids: list[str]) -> None:
        """Delete sent messages; ones already gone count as deleted."""
        chat = _chat(target)
        for message_id in message_ids:
            delete = partial(self.bot.delete_message, chat_id=chat, message_id=int(message_id))
            try:
                await call_mapped(delete)
            except sender.BadMessage as exc:
                if not any(marker in exc.reason.lower() for marker in _ALREADY_DONE):
                    raise


@asynccontextmanager
async def open_bot(token: str, base_url: str | None = None) -> AsyncIterator[Bot]:
    """Open a PTB Bot (optionally against another Bot API server) and close it afterwards."""
    kwargs: dict[str, Any] = {"token": token}
    if base_url:
        kwargs["base_url"] = base_url
    bot = Bot(**kwargs)
    async with bot:
        yield bot
