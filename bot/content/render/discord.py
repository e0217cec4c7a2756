"""Discord rendering: embeds within Discord's limits that can never ping anyone.

Besides the embeds, a message carries its components: page buttons, a select menu that opens any
listed post, and a Read button on a post's card. Every custom_id carries what its press needs (a page,
a post id, a search query or its short key), so any bot process can answer it, even after a restart.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any

from bot.content.i18n import t
from bot.content.models import CategoryList, Lang, LatestPage, SearchResults, Transmission, View
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
    one_line,
    open_command,
    page_window,
    safe_url,
    search_page,
)

MAX_EMBED_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_EMBED_TOTAL = 6000
PAGE_BUTTONS = 3  # Discord allows five buttons a row: ◀, three pages, ▶
COLOR = 0x00E5FF  # the home page's cyan "INCOMING TRANSMISSION" banner
CUSTOM_ID_LATEST = "latest"
CUSTOM_ID_READ = "read"  # read:<post id> — the whole post, in a thread or privately
CUSTOM_ID_OPEN = "open"  # open:<list key> — a select menu whose chosen value is a post id
CUSTOM_ID_SEARCH = "search"  # search:<page>[p|n]:<query>, or search:<page>[p|n]:#<key> for a long query
MAX_CUSTOM_ID = 100
MAX_OPTIONS = 25  # a select menu's options
MAX_OPTION_TEXT = 100  # an option's label, value and description
MAX_PLACEHOLDER = 150
NO_MENTIONS: dict[str, Any] = {"parse": [], "replied_user": False}

_MARKDOWN = re.compile(r"([\\*_~`|<>\[\]()#-])")
_MENTION = re.compile(r"@(everyone|here)")


def escape_markdown(text: str) -> str:
    """Escape Discord markdown and defuse @everyone/@here so text shows exactly as written."""
    return _MENTION.sub("@\u200b\\1", _MARKDOWN.sub(r"\\\1", text))


def _button(label: str, custom_id: str, current: bool = False) -> dict[str, Any]:
    return {"type": 2, "style": 1 if current else 2, "label": label, "custom_id": custom_id}


@dataclass(frozen=True, slots=True)
class Menu:
    """A select menu that opens one of the listed posts: options are (label, post id, description)."""

    custom_id: str
    placeholder: str
    options: tuple[tuple[str, str, str], ...]

    def to_api(self) -> dict[str, Any]:
        """Return the select menu component (it fills an action row of its own)."""
        options = [
            {"label": label, "value": value} | ({"description": about} if about else {})
            for label, value, about in self.options
        ]
        return {
            "type": 3,
            "custom_id": self.custom_id,
            "placeholder": self.placeholder,
            "options": options,
            "min_values": 1,
            "max_values": 1,
        }


@dataclass(frozen=True, slots=True)
class DiscordMessage:
    """One Discord message: embeds, its components, and no mentions ever."""

    embeds: tuple[dict[str, Any], ...]
    buttons: tuple[tuple[str, str, bool], ...] = ()  # page buttons: (label, custom_id, is_current_page)
    menu: Menu | None = None  # opens a listed post
    actions: tuple[tuple[str, str], ...] = ()  # (label, custom_id): the Read button of a card

    def to_api(self) -> dict[str, Any]:
        """Return the JSON body Discord's create-message endpoint would receive."""
        body: dict[str, Any] = {"embeds": list(self.embeds), "allowed_mentions": NO_MENTIONS}
        rows: list[list[dict[str, Any]]] = []
        if self.menu is not None:
            rows.append([self.menu.to_api()])
        if self.buttons:
            rows.append([_button(label, cid, current) for label, cid, current in self.buttons])
        if self.actions:
            rows.append([_button(text, cid) for text, cid in self.actions])
        if rows:
            body["components"] = [{"type": 1, "components": row} for row in rows]
        return body


# Phrases only Discord's components need; the shared ones live in bot.content.i18n.
_PHRASES: dict[str, dict[Lang, str]] = {
    "open_placeholder": {"zh": "📄 打开列表中的一篇……", "en": "📄 Open a post from this list…"},
}


def read_custom_id(post_id: int) -> str:
    """Return the custom_id of a post's Read button."""
    return f"{CUSTOM_ID_READ}:{post_id}"


def search_key(query: str) -> str:
    """Return the short key a long search query is remembered under (a custom_id holds 100 characters)."""
    return hashlib.blake2b(query.encode(), digest_size=6).hexdigest()


def search_custom_id(query: str, page: int, turn: str = "") -> str:
    """Return a search page button's custom_id (`turn`: "p" for ◀, "n" for ▶): the query when it fits."""
    data = f"{CUSTOM_ID_SEARCH}:{page}{turn}:{query}"
    return data if len(data) <= MAX_CUSTOM_ID else f"{CUSTOM_ID_SEARCH}:{page}{turn}:#{search_key(query)}"


def latest_custom_id(page: int, turn: str = "") -> str:
    """Return a LATEST UPDATES page button's custom_id: `latest:N`, `latest:N:prev`, `latest:N:next`."""
    suffix = {"p": ":prev", "n": ":next"}.get(turn, "")
    return f"{CUSTOM_ID_LATEST}:{page}{suffix}"


def embed_length(embed: dict[str, Any]) -> int:
    """Count an embed's characters the way Discord does for the 6000 total."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
    for item in embed.get("fields", []):
        total += len(item.get("name", "")) + len(item.get("value", ""))
    return total


def _embed(title: str, description: str, lang: str, url: str | None = None) -> dict[str, Any]:
    embed: dict[str, Any] = {
        "title": clamp(title, MAX_EMBED_TITLE) or "—",
        "color": COLOR,
        "author": {"name": f"📡 {t('banner', 'en' if lang == 'en' else 'zh')}"},
    }
    if description:
        embed["description"] = clamp(description, MAX_DESCRIPTION)  # escaping can double the text
    if url:
        embed["url"] = url
    return embed


def render_transmission(item: Transmission, zone: tzinfo = UTC) -> DiscordMessage:
    """Render one post as an embed: linked title, category and date, excerpt, cover image."""
    url = safe_url(item.url)
    excerpt = escape_markdown(clamp(clean(item.excerpt).strip(), MAX_EXCERPT))
    if not url:
        opener = f"{t('open_in_chat', item.lang)}`{open_command(item.slug)}`"
        excerpt = clamp(excerpt, MAX_EXCERPT - len(opener) - 2) + "\n\n" + opener
    embed = _embed(clamp(one_line(item.title), MAX_TITLE), clamp(excerpt, MAX_DESCRIPTION), item.lang, url)
    footer = f"{clamp(one_line(item.category), MAX_CATEGORY)} · {format_date(item.published_at, zone)}"
    embed["footer"] = {"text": footer + (f" · {t('edited', item.lang)}" if item.edited else "")}
    embed["timestamp"] = item.published_at.astimezone(UTC).isoformat()
    image = safe_url(item.image)
    if image:
        embed["image"] = {"url": image}
    actions = ((t("read_button", item.lang), read_custom_id(item.post_id)),) if item.post_id > 0 else ()
    return DiscordMessage((embed,), actions=actions)


def page_buttons(
    page: int, pages: int, target: Callable[[int, str], str] = latest_custom_id
) -> tuple[tuple[str, str, bool], ...]:
    """Return ◀ 1 2 3 ▶ buttons; every custom_id is unique within the message, as Discord requires."""
    if pages <= 1:
        return ()
    row: list[tuple[str, str, bool]] = []
    if page > 1:
        row.append(("◀", target(page - 1, "p"), False))
    row += [(str(n), target(n, ""), n == page) for n in page_window(page, pages, PAGE_BUTTONS)]
    if page < pages:
        row.append(("▶", target(page + 1, "n"), False))
    return tuple(row)


def open_menu(page: LatestPage, key: str, zone: tzinfo = UTC) -> Menu | None:
    """Return the select menu opening any listed post, numbered as the list is (None: nothing to open)."""
    first = (page.page - 1) * page.per_page + 1
    options = [
        (
            clamp(f"{first + offset}. {one_line(item.title) or '—'}", MAX_OPTION_TEXT),
            str(item.post_id),
            clamp(f"{one_line(item.category)} · {format_date(item.published_at, zone)}", MAX_OPTION_TEXT),
        )
        for offset, item in enumerate(page.items)
        if item.post_id > 0
    ]
    if not options:
        return None
    # Discord refuses two options with one value: a post listed twice opens once, at its first place.
    first_place = {value: index for index, (_, value, _) in reversed(list(enumerate(options)))}
    unique = tuple(option for index, option in enumerate(options) if first_place[option[1]] == index)
    placeholder = _PHRASES["open_placeholder"][page.lang]
    return Menu(clamp(f"{CUSTOM_ID_OPEN}:{key}", MAX_CUSTOM_ID), placeholder, unique[:MAX_OPTIONS])


def _items_text(
    items: tuple[Transmission, ...],
    first: int,
    budget: ItemBudget,
    zone: tzinfo,
    snippets: tuple[str, ...] = (),
) -> str:
    blocks = []
    for offset, item in enumerate(items):
        title = escape_markdown(clamp(one_line(item.title), budget.title) or "—")
        url = safe_url(item.url) if budget.links else None
        # Parentheses would end the Markdown link early; percent-encoding keeps the URL the same.
        link = url.replace("(", "%28").replace(")", "%29") if url else None
        head = f"**{first + offset}. [{title}]({link})**" if link else f"**{first + offset}. {title}**"
        meta = f"*{escape_markdown(clamp(one_line(item.category), MAX_CATEGORY))}* · "
        meta += format_date(item.published_at, zone)
        if not url:
            meta += f" · `{open_command(item.slug)}`"
        lines = [head, meta]
        # A search hit shows the words around the match instead of the post's opening.
        snippet = snippets[offset] if offset < len(snippets) else ""
        if budget.excerpt:
            lines.append(escape_markdown(clamp(one_line(snippet or item.excerpt), budget.excerpt, "...")))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def render_page(
    page: LatestPage,
    zone: tzinfo = UTC,
    pager: Callable[[int, str], str] = latest_custom_id,
    snippets: tuple[str, ...] = (),
    list_key: str = "",
) -> DiscordMessage:
    """Render a list of posts as one embed that always fits, with its open menu and page buttons.

    `pager` makes the page buttons' custom_ids (LATEST UPDATES by default); `list_key` names the
    list in the menu's custom_id (default: the page), which only has to be unique in the message.
    """
    heading = clamp(one_line(page.heading or t("latest", page.lang)), MAX_TITLE)
    if page.more:
        footer = t("more_posts", page.lang, more=page.more)
    elif page.items:
        footer = t(
            "page_of", page.lang, page=page.page, pages=page.pages, total=counted(page.total, page.at_least)
        )
    else:
        footer = t("no_posts", page.lang)
    buttons = () if page.more else page_buttons(page.page, page.pages, pager)
    menu = open_menu(page, list_key or f"{CUSTOM_ID_LATEST}:{page.page}", zone)
    for budget in budgets():
        description = _items_text(page.items, (page.page - 1) * page.per_page + 1, budget, zone, snippets)
        embed = _embed(heading, description, page.lang)
        embed["footer"] = {"text": footer}
        if len(description) <= MAX_DESCRIPTION and embed_length(embed) <= MAX_EMBED_TOTAL:
            return DiscordMessage((embed,), buttons, menu)
    raise AssertionError("unreachable: the barest page budget always fits")  # pragma: no cover


def render_search(view: SearchResults, zone: tzinfo = UTC) -> DiscordMessage:
    """Render one page of search results: snippets under the hits, ◀ ▶ buttons that carry the query."""

    def pager(page: int, turn: str) -> str:
        return search_custom_id(view.query, page, turn)

    key = f"{CUSTOM_ID_SEARCH}:{view.page}"
    return render_page(search_page(view), zone, pager, view.snippets, key)


def render_view(view: View, zone: tzinfo = UTC) -> DiscordMessage:
    """Render any command reply for Discord."""
    if isinstance(view, Transmission):
        return render_transmission(view, zone)
    if isinstance(view, LatestPage):
        return render_page(view, zone)
    if isinstance(view, SearchResults):
        return render_search(view, zone)
    if isinstance(view, CategoryList):
        rows = [
            f"• {escape_markdown(clamp(one_line(c.name), MAX_CATEGORY))} — "
            + t("posts_count", view.lang, count=c.count)
            for c in view.categories[:50]
        ]
        text = "\n".join(rows) or t("no_categories", view.lang)
        return DiscordMessage((_embed(t("categories", view.lang), text, view.lang),))
    lines = [escape_markdown(clamp(clean(line), 60)) for line in view.lines[:40]]
    description = "\n".join([escape_markdown(clamp(clean(view.text), 1000)), *lines]).strip()
    return DiscordMessage((_embed("ℹ️" if not view.is_error else "⚠️", description or "—", view.lang),))
