"""Telegram updates → shared commands: messages, button presses, membership changes, migrations."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import tzinfo
from typing import Any

from telegram import Chat as TgChat
from telegram import ChatMemberUpdated, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.broadcast.pacing import Pacer
from bot.clock import Clock
from bot.content.i18n import t
from bot.content.models import FullPost, Lang, Notice, View
from bot.content.render.telegram import (
    parse_page_callback,
    parse_post_callback,
    parse_search_callback,
    parse_start,
    render_view,
)
from bot.platforms.telegram.full_posts import RichSupport
from bot.platforms.telegram.reading import TelegramReading, links_for
from bot.platforms.telegram.sender import keyboard
from bot.services.articles import Articles
from bot.services.reading import Chat, Commands
from bot.services.readings import Readings

log = logging.getLogger(__name__)
ADMIN_STATUSES = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
GONE_STATUSES = {ChatMemberStatus.LEFT, ChatMemberStatus.BANNED}
MANAGE = {"subscribe", "unsubscribe", "settings"}
OwnerCommand = Callable[[str, Lang], Awaitable[View]]
Wait = Callable[[float], Awaitable[None]]
# A reply that could not go within this long is dropped: by then the asker has moved on, and
# waiting longer would only queue more for a chat that is over its limits.
MAX_REPLY_WAIT = 30.0
CHAT_COMMANDS = (20, 60.0)  # commands one chat may ask in a window: a group's 20 messages a minute


def language_of(user: User | None, default: Lang) -> Lang:
    """Reply in Chinese or English by the user's Telegram language, else the default."""
    code = (user.language_code or "") if user else ""
    if code.startswith("zh"):
        return "zh"
    return "en" if code.startswith("en") else default


class FloodGuard:
    """Per-user command limit, so one person hammering /latest can't spend the bot's limits."""

    def __init__(self, clock: Clock, limit: int = 8, seconds: float = 30.0) -> None:
        self._clock = clock
        self._limit = limit
        self._seconds = seconds
        self._seen: dict[int, deque[float]] = {}

    def allow(self, user_id: int) -> bool:
        """Count a command by `user_id` (or chat id); False once it exceeds the limit in the window."""
        now = self._clock.now().timestamp()
        times = self._seen.setdefault(user_id, deque())
        while times and times[0] <= now - self._seconds:
            times.popleft()
        if len(times) >= self._limit:
            return False
        times.append(now)
        if len(self._seen) > 10_000:  # forget quiet users so memory stays flat
            self._seen = {u: d for u, d in self._seen.items() if d and d[-1] > now - self._seconds}
        return True


class TelegramHandlers:
    """The callbacks registered on the PTB Application."""

    def __init__(
        self,
        commands: Commands,
        clock: Clock,
        zone: tzinfo,
        default_lang: Lang,
        owners: frozenset[int],
        owner_commands: dict[str, OwnerCommand],
        membership: Callable[[str, str, bool], Awaitable[None]],
        migrate: Callable[[str, str], Awaitable[None]],
        pacer: Pacer,
        articles: Articles,
        readings: Readings,
        rich: RichSupport,
        wait: Wait = asyncio.sleep,
    ) -> None:
        self._commands = commands
        self._zone = zone
        self._default = default_lang
        self._owners = owners
        self._owner_commands = owner_commands
        self._membership = membership
        self._migrate = migrate
        self._clock = clock
        self._flood = FloodGuard(clock)
        self._chat_flood = FloodGuard(clock, *CHAT_COMMANDS)
        # Replies share the transmissions' pacing (per chat, per group, overall); `wait` is how
        # long a reply waits for its slot (asyncio.sleep, or a test clock).
        self._pacer = pacer
        self._wait = wait
        self._turns: dict[str, asyncio.Future[None]] = {}  # the last reply queued in each chat
        self.reading = TelegramReading(commands, articles, readings, rich, zone, self._paced, wait)

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a /command in a private chat, group, topic or channel."""
        message = update.effective_message
        if message is None or not message.text:
            return
        name, _, args = message.text[1:].partition(" ")
        name, _, addressee = name.partition("@")
        if addressee and addressee.lower() != (context.bot.username or "").lower():
            return  # meant for another bot in the same group
        user = update.effective_user
        lang = language_of(user, self._default)
        if user is not None and not self._flood.allow(user.id):
            return  # silence is the point: answering would spend the limits we are protecting
        if not self._chat_flood.allow(message.chat.id):
            return  # a busy group or a channel (whose posts have no user) has a limit of its own
        name = name.lower()
        text = f"/{name} {args}".strip()
        thread = message.message_thread_id if message.is_topic_message else None
        if name == "start" and (deep := parse_start(args.strip())) is not None:
            view: View | FullPost | None = await self.reading.start(
                context.bot, message.chat, thread, deep[0], deep[1], lang
            )
        elif name == "start":
            view = Notice(t("start", lang), lang, lines=(await self._help(lang)).lines)
        elif name in self._owner_commands:
            if user is None or user.id not in self._owners:
                view = Notice(t("owners_only", lang), lang, is_error=True)
            else:
                view = await self._owner_commands[name](args.strip(), lang)
        elif name in MANAGE and args.strip().startswith("@") and message.chat.type == ChatType.PRIVATE:
            view = await self._manage_channel(context, message, user, name, args.strip(), lang)
        else:
            chat = await self._chat(context, message, user, lang, needs_admin=name in MANAGE)
            view = await self._commands.run(text, chat)
        if isinstance(view, FullPost):
            post_id = view.post_id
            view = await self.reading.full_reply(context.bot, message.chat, thread, view)
            if view is not None:
                markup = self.reading.private_link(context.bot, post_id, lang)
                await self._reply(message, view, markup)
                return
        if view is not None:
            await self._reply(message, view)

    async def _help(self, lang: Lang) -> Notice:
        view = await self._commands.run("/help", lang)
        assert isinstance(view, Notice)
        return view

    async def _chat(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        message: Message,
        user: User | None,
        lang: Lang,
        needs_admin: bool,
    ) -> Chat:
        chat = message.chat
        thread = (
            str(message.message_thread_id) if message.is_topic_message and message.message_thread_id else ""
        )
        kind = (
            "private"
            if chat.type == ChatType.PRIVATE
            else "channel"
            if chat.type == ChatType.CHANNEL
            else "group"
        )
        if thread:
            kind = "thread"
        admin = needs_admin and await self._is_admin(context, chat, message, user)
        title = chat.title or chat.full_name or chat.username or ""
        return Chat("telegram", str(chat.id), thread, kind, title, admin, lang)

    async def _is_admin(
        self, context: ContextTypes.DEFAULT_TYPE, chat: TgChat, message: Message, user: User | None
    ) -> bool:
        if chat.type == ChatType.PRIVATE:
            return True  # anyone subscribes their own private chat
        if chat.type == ChatType.CHANNEL or (
            message.sender_chat is not None and message.sender_chat.id == chat.id
        ):
            return True  # only admins post in a channel; anonymous group admins post as the group
        if user is None:
            return False
        try:
            member = await context.bot.get_chat_member(chat.id, user.id)
        except TelegramError as exc:
            log.warning("could not check admin rights in %s: %s", chat.id, exc)
            return False
        return member.status in ADMIN_STATUSES

    async def _manage_channel(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        message: Message,
        user: User | None,
        name: str,
        args: str,
        lang: Lang,
    ) -> View | FullPost | None:
        """`/subscribe @channel …` from a private chat: the user must administer the channel."""
        handle, _, rest = args.partition(" ")
        try:
            channel = await context.bot.get_chat(handle)
            member = await context.bot.get_chat_member(channel.id, user.id) if user else None
        except BadRequest:
            return Notice(t("channel_not_found", lang, channel=handle[:64]), lang, is_error=True)
        admin = member is not None and member.status in ADMIN_STATUSES
        chat = Chat("telegram", str(channel.id), "", "channel", channel.title or handle, admin, lang)
        return await self._commands.run(f"/{name} {rest}".strip(), chat)

    async def _paced(self, chat: TgChat, action: Callable[[], Awaitable[object]], what: str) -> None:
        """Run a Bot API call in `chat` when the pacing allows it; drop it if that is too far off.

        Replies in one chat go in the order they were asked, each after the previous one was
        answered; the slot is reserved at once, so broadcasts and other replies plan around it.
        """
        key, group = str(chat.id), chat.type != ChatType.PRIVATE
        now = self._clock.now().timestamp()
        slot = self._pacer.earliest(key, group, now)
        if slot - now > MAX_REPLY_WAIT:
            log.info("%s in %s dropped: the chat's limits are spent for %.0fs", what, chat.id, slot - now)
            return
        handle = self._pacer.record(key, group, slot)
        previous = self._turns.get(key)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._turns[key] = mine
        try:
            if previous is not None:
                await asyncio.shield(previous)
            delay = slot - self._clock.now().timestamp()
            if delay > 0:
                await self._wait(delay)
            await action()
        except RetryAfter as exc:
            seconds = exc.retry_after
            pause = seconds.total_seconds() if not isinstance(seconds, int) else float(seconds)
            self._pacer.block(key, self._clock.now().timestamp() + pause)
            log.warning("%s in %s rate limited: %s", what, chat.id, exc)
        except TelegramError as exc:
            log.warning("%s in %s failed: %s", what, chat.id, exc)
        finally:
            self._pacer.settle(key, handle, self._clock.now().timestamp())
            mine.set_result(None)
            if self._turns.get(key) is mine:
                del self._turns[key]

    async def _reply(self, message: Message, view: View, markup: InlineKeyboardMarkup | None = None) -> None:
        bot, chat_id = message.get_bot(), message.chat.id
        rendered = render_view(view, self._zone, links_for(bot, message.chat))
        self.reading.remember_search(view)
        common: dict[str, Any] = {"parse_mode": "HTML", "reply_markup": markup or keyboard(rendered)}
        if message.is_topic_message and message.message_thread_id:
            common["message_thread_id"] = message.message_thread_id
        if rendered.photo is not None:
            photo = rendered.photo

            async def send() -> object:
                return await bot.send_photo(chat_id, photo, caption=rendered.html, **common)
        else:
            preview = LinkPreviewOptions(**rendered.link_preview)

            async def send() -> object:
                return await bot.send_message(chat_id, rendered.html, link_preview_options=preview, **common)

        await self._paced(message.chat, send, "reply")

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log what went wrong, and tell the user their command did not finish."""
        log.error("handling a Telegram update failed", exc_info=context.error)
        if not isinstance(update, Update):
            return
        lang = language_of(update.effective_user, self._default)
        text = t("internal_error", lang)
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(text[:200])
            elif update.effective_message is not None and update.effective_message.chat is not None:
                await self._reply(update.effective_message, Notice(text, lang, is_error=True))
        except TelegramError as exc:
            log.warning("could not tell the user about the failure: %s", exc)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Turn the page in place when a ◀ 1 2 ▶ button is pressed; answer every press."""
        query = update.callback_query
        if query is None:
            return
        lang = language_of(query.from_user, self._default)
        data = query.data or ""
        page = parse_page_callback(data)
        post, search = parse_post_callback(data), parse_search_callback(data)
        if page is None and post is None and search is None:
            await query.answer(t("stale_button", lang))
            return
        if not self._flood.allow(query.from_user.id):
            await query.answer(t("slow_down", lang))
            return
        if post is not None:
            await self.reading.on_post_button(query, post[0], post[1], lang)
            return
        if search is not None:
            await self.reading.on_search_button(query, search[0], search[1], lang)
            return
        assert page is not None
        view = await self._commands.latest_page(page, lang)
        if isinstance(view, Notice):
            await query.answer(view.text[:200], show_alert=False)
            return
        chat = query.message.chat if query.message is not None else None
        rendered = render_view(view, self._zone, links_for(query.get_bot(), chat) if chat else None)
        markup = keyboard(rendered) or InlineKeyboardMarkup([])

        async def turn() -> None:
            try:
                await query.edit_message_text(
                    rendered.html,
                    parse_mode="HTML",
                    reply_markup=markup,
                    link_preview_options=LinkPreviewOptions(**rendered.link_preview),
                )
            except BadRequest as exc:
                if "not modified" not in exc.message.lower():
                    log.warning("page turn failed: %s", exc)

        if query.message is not None:
            await self._paced(query.message.chat, turn, "page turn")
        await query.answer()

    async def on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Follow the bot being added, promoted, blocked, kicked or removed."""
        change: ChatMemberUpdated | None = update.my_chat_member
        if change is None:
            return
        status = change.new_chat_member.status
        chat_id = str(change.chat.id)
        if status in GONE_STATUSES:
            await self._membership(chat_id, f"bot was removed or blocked ({status})", False)
        else:
            await self._membership(chat_id, "", True)

    async def on_migration(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Move a group's subscriptions to its new id when it becomes a supergroup."""
        message = update.effective_message
        if message is not None and message.migrate_to_chat_id:
            await self._migrate(str(message.chat.id), str(message.migrate_to_chat_id))
