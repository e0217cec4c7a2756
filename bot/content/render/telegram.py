"""Telegram rendering: HTML parse mode with only the tags Telegram allows, within its limits."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any

from bot.content.i18n import t
from bot.content.models import CategoryList, LatestPage, SearchResults, Transmission, View
from bot.content.render.common import (
    MAX_CATEGORY,
    MAX_EXCERPT,
    MAX_TITLE,
    ItemBudget,
    budgets,
    clamp,
    clean,
    counted,
    format_date,
    is_blank,
    one_line,
    open_command,
    page_window,
    safe_url,
    search_page,
)

MAX_TEXT = 4096  # visible characters (code points) after entity parsing
MAX_CAPTION = 1024
MAX_RAW_BYTES = 32768  # the Bot API server refuses longer raw text before parsing it
MAX_CALLBACK_BYTES = 64
PAGE_BUTTONS = 5  # numbered buttons; with ◀ and ▶ the row stays readable on a phone
CALLBACK_LATEST = "latest"
CALLBACK_READ = "read"  # read:<post id> — the whole post, in this (private) chat
CALLBACK_OPEN = "open"  # open:<post id> — one post's card, from a list
CALLBACK_SEARCH = "search"  # search:<page>:<query>, or search:<page>:#<key> for a long query
START_READ = "read_"  # t.me/<bot>?start=read_<post id>: the private chat opens on the whole post
START_OPEN = "post_"


@dataclass(frozen=True, slots=True)
class ReadLinks:
    """How a message's read/open buttons reach the reader: here (a private chat) or via a deep link.

    A tap in a group or channel opens the bot's private chat, so one reader never floods a group.
    """

    bot_username: str
    private: bool

    def button(self, label: str, start: str, callback: str, post_id: int) -> tuple[str, str]:
        """Return (label, callback data) here, or (label, t.me URL) elsewhere."""
        if self.private or not self.bot_username:
            return (label, f"{callback}:{post_id}")
        return (label, f"https://t.me/{self.bot_username}?start={start}{post_id}")


def search_key(query: str) -> str:
    """Return the short key a long search query is remembered under (callback data holds 64 bytes)."""
    return hashlib.blake2b(query.encode(), digest_size=6).hexdigest()


def search_callback(query: str, page: int) -> str:
    """Return the callback data of a search results page: the query itself when it fits."""
    data = f"{CALLBACK_SEARCH}:{page}:{query}"
    return (
        data if len(data.encode()) <= MAX_CALLBACK_BYTES else f"{CALLBACK_SEARCH}:{page}:#{search_key(query)}"
    )


def parse_search_callback(data: str) -> tuple[int, str] | None:
    """Read (page, query or #key) back from a search page button; None when it is not one."""
    prefix, _, rest = data.partition(":")
    number, _, query = rest.partition(":")
    if prefix != CALLBACK_SEARCH or not number.isascii() or not number.isdigit() or len(number) > 6:
        return None
    return (int(number), query) if int(number) > 0 and query else None


def parse_post_callback(data: str) -> tuple[str, int] | None:
    """Read ("read" | "open", post id) back from a button; None when it is not one."""
    prefix, _, number = data.partition(":")
    if prefix not in (CALLBACK_READ, CALLBACK_OPEN) or not number.isascii() or not number.isdigit():
        return None
    return (prefix, int(number)) if 0 < len(number) <= 12 and int(number) > 0 else None


def parse_start(payload: str) -> tuple[str, int] | None:
    """Read a /start deep-link payload: ("read" | "open", post id), or None."""
    for start, kind in ((START_READ, CALLBACK_READ), (START_OPEN, CALLBACK_OPEN)):
        number = payload.removeprefix(start)
        if number != payload and number.isascii() and number.isdigit() and 0 < len(number) <= 12:
            return (kind, int(number))
    return None


@dataclass(frozen=True, slots=True)
class TelegramMessage:
    """One Bot API call's parameters: sendMessage, or sendPhoto with a caption."""

    method: str
    html: str
    photo: str | None = None
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()  # rows of (label, callback_data)
    link_preview: dict[str, Any] = field(default_factory=lambda: {"is_disabled": True})

    def to_api(self) -> dict[str, Any]:
        """Return the exact parameters Telegram would be sent (chat_id aside)."""
        call: dict[str, Any] = {"method": self.method, "parse_mode": "HTML"}
        if self.photo is not None:
            call["photo"] = self.photo
            call["caption"] = self.html
        else:
            call["text"] = self.html
            call["link_preview_options"] = self.link_preview
        if self.buttons:
            call["reply_markup"] = {
                "inline_keyboard": [[button_json(label, data) for label, data in row] for row in self.buttons]
            }
        return call


def is_link_button(data: str) -> bool:
    """Tell a URL button (a t.me deep link) from a callback button: callback data is never a URL."""
    return data.startswith("https://")


def button_json(label: str, data: str) -> dict[str, str]:
    """Return one inline keyboard button as the Bot API takes it."""
    return {"text": label, "url" if is_link_button(data) else "callback_data": data}


class _Html:
    """Build HTML while counting the visible text exactly as Telegram will."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.visible = 0

    def text(self, value: str) -> _Html:
        self.parts.append(html.escape(value, quote=False))
        self.visible += len(value)
        return self

    def tag(self, name: str, value: str, href: str | None = None) -> _Html:
        if name == "a" and href is None:
            return self.text(value)
        attrs = f' href="{html.escape(href, quote=True)}"' if href else ""
        self.parts.append(f"<{name}{attrs}>")
        self.text(value)
        self.parts.append(f"</{name}>")
        return self

    def render(self) -> str:
        return "".join(self.parts)

    def fits(self, limit: int) -> bool:
        return self.visible <= limit and len(self.render().encode()) <= MAX_RAW_BYTES


def render_transmission(
    item: Transmission, zone: tzinfo = UTC, links: ReadLinks | None = None
) -> TelegramMessage:
    """Render one post; a post with a cover image goes as a photo with a caption."""
    url = safe_url(item.url)
    photo = safe_url(item.image)
    limit = MAX_CAPTION if photo else MAX_TEXT
    title = clamp(one_line(item.title), MAX_TITLE) or "—"
    excerpt = clamp(clean(item.excerpt).strip(), MAX_EXCERPT)

    def build(excerpt_text: str) -> _Html:
        out = _Html().text("📡 ").tag("b", t("banner", item.lang)).text("\n")
        out.parts.append("<b>")
        out.tag("a", title, url).parts.append("</b>")
        out.text("\n").tag("i", clamp(one_line(item.category), MAX_CATEGORY))
        out.text(f" · {format_date(item.published_at, zone)}")
        if item.edited:
            out.text(f" · {t('edited', item.lang)}")
        if excerpt_text:
            out.text("\n\n" + excerpt_text)
        if url:
            out.text("\n\n").tag("a", t("read_more", item.lang), url)
        else:
            out.text("\n\n" + t("open_in_chat", item.lang)).tag("code", open_command(item.slug))
        return out

    message = build(excerpt)
    if not message.fits(limit):
        # Only the caption limit can bite: give the excerpt whatever room the rest leaves.
        spare = limit - build("").visible - 2
        message = build(clamp(excerpt, max(spare, 0)) if spare > 0 else "")
    preview: dict[str, Any] = {"is_disabled": True}
    if url and not photo:
        preview = {"url": url, "prefer_small_media": True}
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    if links is not None and item.post_id > 0:
        buttons = ((links.button(t("read_button", item.lang), START_READ, CALLBACK_READ, item.post_id),),)
    return TelegramMessage(
        method="sendPhoto" if photo else "sendMessage",
        html=message.render(),
        photo=photo,
        buttons=buttons,
        link_preview=preview,
    )


def page_buttons(
    page: int, pages: int, data: Callable[[int], str] | None = None
) -> tuple[tuple[str, str], ...]:
    """Return the ◀ 1 2 3 ▶ row for a LATEST UPDATES page (empty when there is one page)."""
    if pages <= 1:
        return ()
    target = data or (lambda number: f"{CALLBACK_LATEST}:{number}")
    row: list[tuple[str, str]] = []
    if page > 1:
        row.append(("◀", target(page - 1)))
    for number in page_window(page, pages, PAGE_BUTTONS):
        label = f"· {number} ·" if number == page else str(number)
        row.append((label, target(number)))
    if page < pages:
        row.append(("▶", target(page + 1)))
    return tuple(row)


def open_buttons(page: LatestPage, links: ReadLinks | None) -> tuple[tuple[str, str], ...]:
    """Return one button per listed post, numbered as the list is, that opens it with one tap."""
    if links is None:
        return ()
    first = (page.page - 1) * page.per_page + 1
    return tuple(
        links.button(f"📄 {first + offset}", START_OPEN, CALLBACK_OPEN, item.post_id)
        for offset, item in enumerate(page.items)
        if item.post_id > 0
    )


def partial_search(query: str) -> Callable[[int], str]:
    """Return the callback data maker of a search's pages."""
    return lambda number: search_callback(query, number)


def parse_page_callback(data: str) -> int | None:
    """Read the page number back from a button's callback data; None when it is not ours."""
    prefix, _, number = data.partition(":")
    if prefix != CALLBACK_LATEST or not number.isascii() or not number.isdigit() or len(number) > 6:
        return None
    return int(number) or None


def _items(
    out: _Html,
    items: tuple[Transmission, ...],
    first: int,
    budget: ItemBudget,
    zone: tzinfo,
    snippets: tuple[str, ...] = (),
) -> None:
    for offset, item in enumerate(items):
        url = safe_url(item.url) if budget.links else None
        out.text("\n\n").parts.append("<b>")
        out.text(f"{first + offset}. ").tag("a", clamp(one_line(item.title), budget.title) or "—", url)
        out.parts.append("</b>")
        out.text("\n").tag("i", clamp(one_line(item.category), MAX_CATEGORY))
        out.text(f" · {format_date(item.published_at, zone)}")
        if not safe_url(item.url):
            out.text(" · ").tag("code", open_command(item.slug))
        snippet = snippets[offset] if offset < len(snippets) else ""
        excerpt = clamp(one_line(snippet or item.excerpt), budget.excerpt, "...") if budget.excerpt else ""
        if excerpt:
            out.text("\n" + excerpt)


def render_page(
    page: LatestPage,
    zone: tzinfo = UTC,
    links: ReadLinks | None = None,
    pager: Callable[[int], str] | None = None,
    snippets: tuple[str, ...] = (),
) -> TelegramMessage:
    """Render a LATEST UPDATES page that always fits one message, with its open and page buttons."""
    rows = [
        row
        for row in (
            open_buttons(page, links),
            () if page.more else page_buttons(page.page, page.pages, pager),
        )
        if row
    ]
    for budget in budgets():
        out = _Html().text("📡 ").tag("b", t("banner", page.lang)).text("\n")
        out.tag("b", clamp(one_line(page.heading or t("latest", page.lang)), MAX_TITLE))
        if not page.items:
            out.text("\n\n" + t("no_posts", page.lang))
        _items(out, page.items, (page.page - 1) * page.per_page + 1, budget, zone, snippets)
        if page.more:
            out.text("\n\n").tag("i", t("more_posts", page.lang, more=page.more))
        elif page.items:
            out.text("\n\n").tag(
                "i",
                t(
                    "page_of",
                    page.lang,
                    page=page.page,
                    pages=page.pages,
                    total=counted(page.total, page.at_least),
                ),
            )
        if out.fits(MAX_TEXT):
            return TelegramMessage("sendMessage", out.render(), buttons=tuple(rows))
    raise AssertionError("unreachable: the barest page budget always fits")  # pragma: no cover


def render_view(view: View, zone: tzinfo = UTC, links: ReadLinks | None = None) -> TelegramMessage:
    """Render any command reply for Telegram; `links` adds read/open buttons (None: no buttons)."""
    if isinstance(view, Transmission):
        return render_transmission(view, zone, links)
    if isinstance(view, LatestPage):
        return render_page(view, zone, links)
    if isinstance(view, SearchResults):
        pager = partial_search(view.query)
        return render_page(search_page(view), zone, links, pager, view.snippets)
    out = _Html()
    if isinstance(view, CategoryList):
        out.tag("b", t("categories", view.lang))
        for category in view.categories[:100]:
            row = f"\n• {clamp(one_line(category.name), MAX_CATEGORY)} — "
            row += t("posts_count", view.lang, count=category.count)
            if out.visible + len(row) > MAX_TEXT - 2:
                out.text("\n…")  # the rest would not fit in one message
                break
            out.text(row)
        if not view.categories:
            out.text("\n" + t("no_categories", view.lang))
        return TelegramMessage("sendMessage", out.render())
    notice = clamp(clean(view.text), 1000)
    out.text("—" if is_blank(notice) else notice)  # Telegram refuses a message that shows nothing
    for line in view.lines[:40]:
        out.text("\n" + clamp(clean(line), 60))
    return TelegramMessage("sendMessage", out.render())
