"""Value objects shared by every layer: a parsed post, a transmission, a page of updates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Lang = Literal["zh", "en"]


@dataclass(frozen=True, slots=True)
class Post:
    """One post as parsed from its Markdown file."""

    slug: str
    title: str
    category: str
    tags: tuple[str, ...]
    published_at: datetime  # timezone-aware, UTC
    excerpt: str
    url: str
    image: str | None
    lang: Lang
    draft: bool
    source_path: str  # relative to the posts folder, with forward slashes
    content_hash: str
    updated_at: datetime | None = None  # the author's `lastmod`/`updated`, when given
    body: str = ""  # the Markdown after the front matter, the title heading dropped
    search_text: str = ""  # the body as plain text, what /search reads (bot.content.search_text)

    def __reduce__(self) -> tuple[type[Post], tuple[object, ...]]:
        # Parser processes send 10,000 of these on a cold index: a plain tuple unpickles
        # several times faster than a slotted dataclass's generic state.
        return (Post, tuple(getattr(self, name) for name in self.__slots__))


@dataclass(frozen=True, slots=True)
class Transmission:
    """What a reader is sent about one post: the INCOMING TRANSMISSION card."""

    slug: str
    title: str
    category: str
    published_at: datetime
    excerpt: str
    url: str
    image: str | None = None
    lang: Lang = "zh"
    edited: bool = False  # shown again after the post changed: marked 已更新 / edited
    post_id: int = 0  # the stored post's id, for "read" / "open" buttons (0: not stored, no button)


@dataclass(frozen=True, slots=True)
class FullPost:
    """A whole post to read in chat: its Markdown body and the facts shown above it."""

    post_id: int
    slug: str
    title: str
    category: str
    published_at: datetime
    url: str
    image: str | None
    lang: Lang
    body: str  # the Markdown after the front matter, the title heading already dropped
    site_url: str = ""  # resolves root-relative images and links ("" = leave them out)
    edited: bool = False
    version: int = 0  # the stored post's version, so messages showing it can be edited when it changes


@dataclass(frozen=True, slots=True)
class LatestPage:
    """One page of the LATEST UPDATES list, newest first."""

    items: tuple[Transmission, ...]
    page: int  # 1-based
    pages: int
    total: int
    lang: Lang = "zh"
    per_page: int = 5
    # Set when the page is a digest or a collapsed burst: how many more posts did not fit.
    more: int = 0
    heading: str | None = None
    at_least: bool = False  # `total` is where counting stopped: there are more


@dataclass(frozen=True, slots=True)
class CategoryCount:
    """A category and how many published posts it holds."""

    name: str
    count: int


@dataclass(frozen=True, slots=True)
class CategoryList:
    """Reply to /categories."""

    categories: tuple[CategoryCount, ...]
    lang: Lang = "zh"


@dataclass(frozen=True, slots=True)
class SearchResults:
    """Reply to /search: one page of matching posts (title hits first, then newest)."""

    query: str
    items: tuple[Transmission, ...]
    total: int
    lang: Lang = "zh"
    page: int = 1
    pages: int = 1
    per_page: int = 5
    snippets: tuple[str, ...] = ()  # one per item: the words around the match ("" = none)
    at_least: bool = False  # `total` is where counting stopped: there are more


@dataclass(frozen=True, slots=True)
class Notice:
    """A short informational or error reply (unknown slug, bad page number, help text...)."""

    text: str
    lang: Lang = "zh"
    is_error: bool = False
    lines: tuple[str, ...] = field(default_factory=tuple)


View = Transmission | LatestPage | CategoryList | SearchResults | Notice
