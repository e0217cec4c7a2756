"""Reading on Telegram: the Read and open buttons, t.me deep links, search pages, whole posts.

A whole post only ever lands in a private chat: in a group or channel the buttons are t.me links
that open the bot's private chat on that post, so one reader never floods a group.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import tzinfo

from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram import Chat as TgChat
from telegram.constants import ChatType
from telegram.error import BadRequest

from bot.content.i18n import t
from bot.content.models import FullPost, Lang, Notice, SearchResults, View
from bot.content.render.telegram import (
    CALLBACK_READ,
    START_READ,
    ReadLinks,
    parse_search_callback,
    render_view,
    search_key,
)
from bot.platforms.telegram.full_posts import FullPostSender, RichSupport, Wait
from bot.platforms.telegram.sender import keyboard
from bot.services.articles import Articles
from bot.services.reading import Commands
from bot.services.readings import Readings

log = logging.getLogger(__name__)
Paced = Callable[[TgChat, Callable[[], Awaitable[object]], str], Awaitable[None]]
REMEMBERED_SEARCHES = 2000  # long queries behind "search:<page>:#<key>" buttons, newest kept


def links_for(bot: Bot, chat: TgChat) -> ReadLinks:
    """Return how buttons reach readers in `chat`: callbacks in a private chat, deep links elsewhere."""
    return ReadLinks(bot.username or "", private=chat.type == ChatType.PRIVATE)


class TelegramReading:
    """Answer read/open/search buttons and deep links; send whole posts to private chats."""

    def __init__(
        self,
        commands: Commands,
        articles: Articles,
        readings: Readings,
        support: RichSupport,
        zone: tzinfo,
        paced: Paced,
        wait: Wait = asyncio.sleep,
    ) -> None:
        self._commands = commands
        self._articles = articles
        self._readings = readings
        self._support = support
        self._zone = zone
        self._paced = paced
        self._wait = wait
        self._searches: OrderedDict[str, str] = OrderedDict()

    def remember_search(self, view: View) -> None:
        """Keep a long query so its page buttons (which carry only a key) still work."""
        if isinstance(view, SearchResults):
            self._searches[search_key(view.query)] = view.query
            self._searches.move_to_end(search_key(view.query))
            while len(self._searches) > REMEMBERED_SEARCHES:
                self._searches.popitem(last=False)

    async def start(
        self, bot: Bot, chat: TgChat, thread_id: int | None, kind: str, post_id: int, lang: Lang
    ) -> View | None:
        """Open a deep link: the whole post ("read"), or its card ("open"); None once sent."""
        if kind != CALLBACK_READ:
            return await self._articles.card(post_id, lang)
        found = await self._articles.full(post_id, lang)
        if isinstance(found, Notice):
            return found
        await self.send_full(bot, chat, thread_id, found)
        return None

    async def full_reply(self, bot: Bot, chat: TgChat, thread_id: int | None, post: FullPost) -> View | None:
        """Answer `/post <slug> full`: the post here in a private chat, a deep link elsewhere."""
        if chat.type == ChatType.PRIVATE:
            await self.send_full(bot, chat, thread_id, post)
            return None
        return Notice(t("read_in_private", post.lang), post.lang)

    def private_link(self, bot: Bot, post_id: int, lang: Lang) -> InlineKeyboardMarkup | None:
        """Return the "read in private chat" deep-link button for `post_id`."""
        if not bot.username or post_id <= 0:
            return None
        url = f"https://t.me/{bot.username}?start={START_READ}{post_id}"
        return InlineKeyboardMarkup([[InlineKeyboardButton(t("read_private_button", lang), url=url)]])

    async def send_full(self, bot: Bot, chat: TgChat, thread_id: int | None, post: FullPost) -> None:
        """Send a whole post to `chat`, paced like every reply; parts a second apart."""
        sender = FullPostSender(bot, self._support, self._zone, self._wait)

        async def send() -> object:
            ids = await sender.send(chat.id, post, thread_id=thread_id)
            await self._readings.record("telegram", str(chat.id), str(thread_id or ""), post, ids)
            return ids

        await self._paced(chat, send, "whole post")

    async def on_post_button(self, query: CallbackQuery, kind: str, post_id: int, lang: Lang) -> None:
        """Answer a Read or numbered open button in a private chat: send the post or its card."""
        message = query.message
        if message is None:
            await query.answer(t("stale_button", lang))
            return
        await query.answer()
        chat = message.chat
        bot = query.get_bot()
        view = await self.start(bot, chat, None, kind, post_id, lang)
        if view is None:
            return
        rendered = render_view(view, self._zone, links_for(bot, chat))

        async def send() -> object:
            preview = LinkPreviewOptions(**rendered.link_preview)
            if rendered.photo is not None:
                markup = keyboard(rendered)
                return await bot.send_photo(
                    chat.id, rendered.photo, caption=rendered.html, parse_mode="HTML", reply_markup=markup
                )
            return await bot.send_message(
                chat.id,
                rendered.html,
                parse_mode="HTML",
                reply_markup=keyboard(rendered),
                link_preview_options=preview,
            )

        await self._paced(chat, send, "post card")

    async def on_search_button(self, query: CallbackQuery, page: int, wanted: str, lang: Lang) -> None:
        """Turn a search results page in place."""
        text = self._searches.get(wanted[1:]) if wanted.startswith("#") else wanted
        if text is None or query.message is None:
            await query.answer(t("stale_search", lang))
            return
        view = await self._commands.search(text, lang, page)
        if isinstance(view, Notice):
            await query.answer(view.text[:200])
            return
        self.remember_search(view)
        chat = query.message.chat
        rendered = render_view(view, self._zone, links_for(query.get_bot(), chat))
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
                    log.warning("search page turn failed: %s", exc)

        await self._paced(chat, turn, "search page")
        await query.answer()


def search_button(data: str) -> tuple[int, str] | None:
    """Read a search page button (re-exported for the router)."""
    return parse_search_callback(data)
