"""Whole posts on Telegram: rich messages where the server has them, classic HTML parts where not.

Rich messages (Bot API 10.1) render headings, tables and LaTeX natively, but PTB 22 has no typed
method yet, older self-hosted Bot API servers don't know it, and a payload may be refused. So the
rich path is tried first (TELEGRAM_RICH=auto), the same post goes out as classic HTML parts when it
fails, and a server that does not know the method is not asked again until the bot restarts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta, tzinfo
from typing import Any, Literal

from telegram import Bot, LinkPreviewOptions, Message
from telegram.error import BadRequest, EndPointNotFound, RetryAfter

from bot.content.full import render_classic, render_rich
from bot.content.models import FullPost

log = logging.getLogger(__name__)
RichMode = Literal["auto", "on", "off"]
# Refused rich payloads (our rendering, or a server's narrower rules) before auto mode gives up.
REFUSALS_BEFORE_OFF = 3
PART_GAP = 1.0  # seconds between two parts in one chat: Telegram's one message a second per chat
MAX_PART_WAIT = 60.0  # a 429 mid-post is waited out up to this long, so no part is sent twice
Wait = Callable[[float], Awaitable[None]]


class RichUnavailableError(Exception):
    """The rich send did not happen; the classic parts go instead."""


class RichSupport:
    """Whether to send rich messages: `TELEGRAM_RICH` fixes it (on/off) or auto learns it."""

    def __init__(self, mode: RichMode = "auto") -> None:
        self.mode = mode
        self.refusals = 0
        self._unknown = False

    @property
    def active(self) -> bool:
        """Tell whether the next whole post should be tried as rich messages."""
        if self.mode == "auto":
            return not self._unknown and self.refusals < REFUSALS_BEFORE_OFF
        return self.mode == "on"

    def unknown_method(self) -> None:
        """Remember that the server has no sendRichMessage: stop asking it until restart."""
        if not self._unknown:
            log.warning(
                "this Bot API server has no rich messages; whole posts go as HTML parts until restart"
            )
        self._unknown = True

    def refused(self, reason: str) -> None:
        """Count a refused rich payload; auto mode stops after a few."""
        self.refusals += 1
        log.warning("a rich message was refused (%s); sent as HTML parts instead", reason)
        if self.mode == "auto" and self.refusals == REFUSALS_BEFORE_OFF:
            log.warning(
                "rich messages refused %d times; whole posts go as HTML parts until restart", self.refusals
            )


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class FullPostSender:
    """Send or edit one whole post in a chat, part after part, within the chat's pace."""

    def __init__(
        self, bot: Bot, support: RichSupport, zone: tzinfo = UTC, wait: Wait = asyncio.sleep
    ) -> None:
        self.bot = bot
        self.support = support
        self._zone = zone
        self._wait = wait

    async def send(
        self, chat_id: int | str, post: FullPost, thread_id: int | None = None, silent: bool = False
    ) -> list[str]:
        """Send the post; return the ids of its messages, in order."""
        common: dict[str, Any] = {"chat_id": chat_id, "disable_notification": silent}
        if thread_id:
            common["message_thread_id"] = thread_id
        if self.support.active:
            try:
                return await self._parts(
                    render_rich(post, self._zone), lambda part: self._send_rich(common, part)
                )
            except RichUnavailableError:
                pass
        return await self._parts(
            render_classic(post, self._zone), lambda part: self._send_classic(common, part)
        )

    async def edit(self, chat_id: int | str, message_ids: list[str], post: FullPost) -> list[str]:
        """Edit sent parts in place; parts added by the edit are sent, parts no longer needed deleted.

        Returns the ids of the post's messages after the edit.
        """
        rich = self.support.active
        parts = render_rich(post, self._zone) if rich else render_classic(post, self._zone)
        kept: list[str] = []
        for message_id, part in zip(message_ids, parts, strict=False):
            try:
                await self._edit_one(chat_id, int(message_id), part, rich)
            except BadRequest as exc:
                if "not modified" not in exc.message.lower():
                    raise
            kept.append(message_id)
        for message_id in message_ids[len(parts) :]:
            await self.bot.delete_message(chat_id, int(message_id))
        extra = parts[len(message_ids) :]
        if extra:
            common: dict[str, Any] = {"chat_id": chat_id}
            send = (
                (lambda p: self._send_rich(common, p)) if rich else (lambda p: self._send_classic(common, p))
            )
            kept += await self._parts(extra, send)
        return kept

    async def _edit_one(self, chat_id: int | str, message_id: int, part: str, rich: bool) -> None:
        if rich:
            kwargs = {"chat_id": chat_id, "message_id": message_id, "rich_message": {"html": part}}
            # Bot API method names are case-insensitive; this spelling is no attribute of PTB's Bot,
            # so do_api_request does not warn that a typed edit_message_text exists (it lacks rich_message).
            await self.bot.do_api_request("EditMessageText", api_kwargs=kwargs)
        else:
            preview = LinkPreviewOptions(is_disabled=True)
            await self.bot.edit_message_text(
                part, chat_id=chat_id, message_id=message_id, parse_mode="HTML", link_preview_options=preview
            )

    async def _parts(
        self, parts: list[str], send: Callable[[str], Awaitable[Message | dict[str, Any]]]
    ) -> list[str]:
        """Send parts in order, a second apart; a 429 between them is waited out, not failed."""
        ids: list[str] = []
        for index, part in enumerate(parts):
            if index:
                await self._wait(PART_GAP)
            while True:
                try:
                    sent = await send(part)
                    break
                except RichUnavailableError:
                    if not ids:
                        raise  # nothing sent yet: the classic parts go instead
                    # Mid-post: a classic resend would repeat what the reader already has.
                    log.error(
                        "part %d of %d was refused; the reader got the parts before it", index + 1, len(parts)
                    )
                    return ids
                except RetryAfter as exc:
                    pause = _seconds(exc.retry_after)
                    if not ids or pause > MAX_PART_WAIT:
                        raise  # nothing sent yet (the caller retries it whole), or too long to hold
                    await self._wait(pause)
            ids.append(str(sent["message_id"] if isinstance(sent, dict) else sent.message_id))
        return ids

    async def _send_rich(self, common: dict[str, Any], part: str) -> dict[str, Any]:
        kwargs = common | {"rich_message": {"html": part}}
        try:
            result = await self.bot.do_api_request("sendRichMessage", api_kwargs=kwargs)
        except EndPointNotFound:
            self.support.unknown_method()
            raise RichUnavailableError from None
        except BadRequest as exc:
            if _is_chat_problem(exc.message):
                raise  # the chat, not the payload: classic parts would fail the same way
            self.support.refused(exc.message)
            raise RichUnavailableError from None
        if not isinstance(result, dict):
            raise RichUnavailableError
        return result

    async def _send_classic(self, common: dict[str, Any], part: str) -> Message:
        preview = LinkPreviewOptions(is_disabled=True)
        return await self.bot.send_message(
            text=part, parse_mode="HTML", link_preview_options=preview, **common
        )


def _is_chat_problem(description: str) -> bool:
    text = description.lower()
    return any(marker in text for marker in ("chat not found", "thread not found", "rights", "topic"))
