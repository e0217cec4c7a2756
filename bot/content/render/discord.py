"""Discord rendering: embeds within Discord's limits that can never ping anyone."""

from __future__ import annotations

import re
from dataclasses import dataclass
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
NO_MENTIONS: dict[str, Any] = {"parse": [], "replied_user": False}

_MARKDOWN = re.compile(r"([\\*_~`|<>\[\]()#-])")
_MENTION = re.compile(r"@(everyone|here)")


def escape_markdown(text: str) -> str:
    """Escape Discord markdown and defuse @everyone/@here so text shows exactly as written."""
    return _MENTION.sub("@\u200b\\1", _MARKDOWN.sub(r"\\\1", text))


@dataclass(frozen=True, slots=True)
class DiscordMessage:
    """One Discord message: embeds, optional page buttons, and no mentions ever."""

    embeds: tuple[dict[str, Any], ...]
    buttons: tuple[tuple[str, str, bool], ...] = ()  # (label, custom_id, is_current_page)

    def to_api(self) -> dict[str, Any]:
        """Return the JSON body Discord's create-message endpoint would receive."""
        body: dict[str, Any] = {"embeds": list(self.embeds), "allowed_mentions": NO_MENTIONS}
        if self.buttons:
            body["components"] = [
                {
                    "type": 1,
                    "components": [
                        {"type": 2, "style": 1 if current else 2, "label": label, "custom_id": cid}
                        for label, cid, current in self.buttons
                    ],
                }
            ]
        return body


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
    return DiscordMessage((embed,))


def page_buttons(page: int, pages: int) -> tuple[tuple[str, str, bool], ...]:
    """Return ◀ 1 2 3 ▶ buttons; every custom_id is unique within the message, as Discord requires."""
    if pages <= 1:
        return ()
    row: list[tuple[str, str, bool]] = []
    if page > 1:
        row.append(("◀", f"{CUSTOM_ID_LATEST}:{page - 1}:prev", False))
    row += [(str(n), f"{CUSTOM_ID_LATEST}:{n}", n == page) for n in page_window(page, pages, PAGE_BUTTONS)]
    if page < pages:
        row.append(("▶", f"{CUSTOM_ID_LATEST}:{page + 1}:next", False))
    return tuple(row)


def _items_text(items: tuple[Transmission, ...], first: int, budget: ItemBudget, zone: tzinfo) -> str:
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
        if budget.excerpt:
            lines.append(escape_markdown(clamp(one_line(item.excerpt), budget.excerpt, "...")))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def render_page(page: LatestPage, zone: tzinfo = UTC) -> DiscordMessage:
    """Render a LATEST UPDATES page as one embed that always fits, with its page buttons."""
    heading = clamp(one_line(page.heading or t("latest", page.lang)), MAX_TITLE)
    if page.more:
        footer = t("more_posts", page.lang, more=page.more)
    elif page.items:
        footer = t("page_of", page.lang, page=page.page, pages=page.pages, total=page.total)
    else:
        footer = t("no_posts", page.lang)
    for budget in budgets():
        description = _items_text(page.items, (page.page - 1) * page.per_page + 1, budget, zone)
        embed = _embed(heading, description, page.lang)
        embed["footer"] = {"text": footer}
        if len(description) <= MAX_DESCRIPTION and embed_length(embed) <= MAX_EMBED_TOTAL:
            return DiscordMessage((embed,), () if page.more else page_buttons(page.page, page.pages))
    raise AssertionError("unreachable: the barest page budget always fits")  # pragma: no cover


def render_view(view: View, zone: tzinfo = UTC) -> DiscordMessage:
    """Render any command reply for Discord."""
    if isinstance(view, Transmission):
        return render_transmission(view, zone)
    if isinstance(view, LatestPage):
        return render_page(view, zone)
    if isinstance(view, SearchResults):
        return render_page(search_page(view), zone)
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
