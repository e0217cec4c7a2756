"""Helpers every renderer shares: clamping text, vetting URLs, formatting dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from urllib.parse import urlsplit

from bot.content.i18n import t
from bot.content.models import LatestPage, SearchResults

# Caps applied before any platform limit so that no single field can crowd out the others.
MAX_TITLE = 200
MAX_CATEGORY = 64
MAX_EXCERPT = 1000
MAX_URL = 512
PAGE_EXCERPT_STEPS = (350, 260, 180, 100, 40, 0)

# Invisible characters Telegram counts as blank (TDLib strip_empty_characters) beyond what \s matches,
# other zero-width format characters, and lone surrogates: no platform takes them in a link or as text.
_INVISIBLE = "\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2800\ufeff\ufffc\ud800-\udfff"
_URL_OK = re.compile(rf"^https?://[^\s<>\"'\x00-\x1f\x7f{_INVISIBLE}]+$")
_BLANK = re.compile(rf"[\s\x00-\x1f\x7f{_INVISIBLE}]*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def clean(text: str) -> str:
    """Drop control characters and lone surrogates that no platform accepts."""
    return _CONTROL.sub("", text)


def one_line(text: str) -> str:
    """Collapse all whitespace, newlines included, to single spaces."""
    return " ".join(clean(text).split())


def clamp(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut `text` to at most `limit` characters, marking the cut with `ellipsis`."""
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return text[:limit]
    return text[: limit - len(ellipsis)].rstrip() + ellipsis


def open_command(slug: str) -> str:
    """Return the command that opens a post in the chat, for posts without a link."""
    return f"/post {one_line(slug)}"


def safe_url(url: str | None) -> str | None:
    """Return `url` when it is an http(s) URL a platform will accept as a link, else None."""
    if not url or len(url) > MAX_URL or not _URL_OK.match(url):
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    return url if host else None


def is_blank(text: str) -> bool:
    """Tell whether `text` shows nothing at all: Telegram refuses such a message as empty."""
    return _BLANK.fullmatch(text) is not None


def format_date(moment: datetime, zone: tzinfo = UTC) -> str:
    """Show a post's date as the home page does: YYYY-MM-DD in the reader's zone."""
    return moment.astimezone(zone).strftime("%Y-%m-%d")


def page_window(page: int, pages: int, width: int) -> list[int]:
    """Return up to `width` page numbers centred on `page`, always within 1..pages."""
    width = max(1, min(width, pages))
    start = max(1, min(page - width // 2, pages - width + 1))
    return list(range(start, start + width))


class ItemBudget:
    """How much of each page item to show; shrunk step by step until the page fits."""

    __slots__ = ("excerpt", "links", "title")

    def __init__(self, excerpt: int, title: int, links: bool) -> None:
        self.excerpt = excerpt
        self.title = title
        self.links = links


def budgets() -> list[ItemBudget]:
    """Return item budgets from the most generous to the barest, in the order to try them."""
    steps = [ItemBudget(e, MAX_TITLE, True) for e in PAGE_EXCERPT_STEPS]
    steps += [ItemBudget(0, 80, True), ItemBudget(0, 80, False), ItemBudget(0, 40, False)]
    return steps


def counted(total: int, at_least: bool) -> str:
    """Show a count of posts: "1000+" where counting stopped."""
    return f"{total}+" if at_least else str(total)


def search_page(view: SearchResults) -> LatestPage:
    """Show search results as a page of updates under a heading that says what was searched."""
    query = clamp(one_line(view.query), 100)
    key = "search_results" if view.items else "search_none"
    heading = t(key, view.lang, query=query, total=counted(view.total, view.at_least))
    per_page = max(view.per_page, len(view.items), 1)
    return LatestPage(
        view.items,
        view.page,
        view.pages,
        view.total,
        view.lang,
        per_page=per_page,
        heading=heading,
        at_least=view.at_least,
    )
