"""Parse one post file (bytes handed in by the caller) into a `Post`, or say why it is not one."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from typing import Any

from bot.content import fields, placement
from bot.content.excerpt import build_excerpt
from bot.content.fields import FieldError
from bot.content.front_matter import FrontMatter, FrontMatterError, split_front_matter
from bot.content.language import detect_language
from bot.content.links import LinkFacts, expand_permalink, join_site, resolve
from bot.content.models import Lang, Post
from bot.content.safe_text import one_line
from bot.content.search_text import stored_search_text
from bot.content.titles import first_heading, heading_span, readable_title

DEFAULT_MAX_BYTES = 1024 * 1024
# Bump when parsing changes what a stored post holds: the next start re-derives every post.
# 3: the body and its search text are stored, dates are whole seconds.
PARSER_VERSION = 3
_SLUG_BAD = re.compile(r"[\s/\\?#]")
DEFAULT_CATEGORY: dict[Lang, str] = {"zh": "未分类", "en": "Uncategorized"}


class PostError(ValueError):
    """A post file that cannot be indexed; the message is a one-line reason."""


class NotAPostError(Exception):
    """A file that parses but is not to be announced or listed (a page, an index, unlisted)."""


@dataclass(frozen=True, slots=True)
class PostDefaults:
    """What parsing needs from the settings and the tree; all of it is part of the derivation."""

    timezone: tzinfo
    site_url: str = ""
    max_bytes: int = DEFAULT_MAX_BYTES
    excerpt_chars: int = 350
    permalink: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    # Some file of the tree lies in a posts folder, so files outside such folders are pages.
    area_rule: bool = False
    # Derive each post's search text now. A scan of thousands of files leaves it ("") to the search
    # index's catch-up, after the scan: it is not part of the derivation.
    search_text: bool = True

    def fingerprint(self) -> str:
        """Name everything a stored post was derived with; a change means re-deriving."""
        parts = [
            PARSER_VERSION,
            getattr(self.timezone, "key", str(self.timezone)),
            self.site_url,
            self.excerpt_chars,
            self.permalink,
            self.include,
            self.exclude,
            self.area_rule,
            self.max_bytes,
        ]
        return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()


def content_hash(raw: bytes) -> str:
    """Return the hash that identifies a post's content, whatever its file name."""
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def decode_post_bytes(raw: bytes, max_bytes: int) -> str:
    """Decode a post file's bytes, refusing oversized, binary and non-UTF-8 content."""
    if len(raw) > max_bytes:
        raise PostError(f"file is {len(raw)} bytes, over the {max_bytes}-byte limit")
    if b"\x00" in raw[:8192]:
        raise PostError("binary file (contains NUL bytes), not Markdown text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PostError(f"not valid UTF-8 (byte offset {exc.start})") from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def read_front_matter(text: str) -> FrontMatter:
    """Split front matter from the body, turning dialect errors into `PostError`."""
    try:
        return split_front_matter(text)
    except FrontMatterError as exc:
        raise PostError(str(exc)) from None


def parse_post(
    raw: bytes, source_path: str, defaults: PostDefaults, modified: datetime | None = None
) -> Post:
    """Parse a post file's bytes; raise `PostError` (broken) or `NotAPostError` (a page, unlisted).

    `modified` (the file's mtime, aware) dates a post that has no date anywhere else.
    """
    try:
        return _parse(raw, source_path, defaults, modified)
    except FieldError as exc:
        raise PostError(str(exc)) from None


def _parse(raw: bytes, path: str, defaults: PostDefaults, modified: datetime | None) -> Post:
    front = read_front_matter(decode_post_bytes(raw, defaults.max_bytes))
    meta, body = front.meta, front.body
    where = placement.place(path)
    slug = _slug_text(meta, where)
    forced = _forced(path, defaults)
    if forced is False:
        raise NotAPostError("excluded by POSTS_EXCLUDE")
    if forced is None:
        reason = placement.page_reason(where, meta, slug, defaults.area_rule and front.dialect != "headers")
        if reason is not None:
            raise NotAPostError(f"not a post: {reason}")
    _check_slug(slug)

    span = heading_span(body)
    heading = first_heading(body, span) if span else None
    given_title = fields.text_field(meta, "title")
    title = readable_title(given_title or heading or where.name)
    if heading is not None and (
        given_title is None or readable_title(given_title) == readable_title(heading)
    ):
        # The title is shown above the excerpt already; don't repeat it as the excerpt's first words.
        body = _drop_first_heading(body, span)
    lang = _lang(meta, title, body)
    published_at = _published_at(meta, where, defaults.timezone, modified)
    categories = fields.categories(meta, split_words=where.in_area and "_posts" in where.folders)
    if not categories and front.dialect == "headers" and where.folders:
        categories = [one_line(where.folders[-1])]  # Pelican: the folder is the category
    url = _url(meta, defaults, slug, where, categories, published_at, lang)
    summary = fields.first_text(meta, fields.SUMMARY_KEYS)
    image = fields.first_text(meta, fields.IMAGE_KEYS)
    return Post(
        slug=slug,
        title=title,
        category=(categories[0] if categories else DEFAULT_CATEGORY[lang])[:200],
        tags=fields.tags(meta),
        published_at=published_at,
        excerpt=build_excerpt(summary or body, lang=lang, limit=defaults.excerpt_chars),
        url=url,
        image=(resolve(image, defaults.site_url, url) or None) if image else None,
        lang=lang,
        draft=_draft(meta, where),
        source_path=path,
        content_hash=content_hash(raw),
        updated_at=_updated_at(meta, defaults.timezone),
        body=body,
        search_text=stored_search_text(body) if defaults.search_text else "",
    )


def _published_at(
    meta: Mapping[str, Any], where: placement.Placement, zone: tzinfo, modified: datetime | None
) -> datetime:
    """Return the front matter's date, else the file or folder name's, else the file's time."""
    published_at = fields.date_field(meta, fields.DATE_KEYS, zone)
    if published_at is None and where.name_date is not None:
        published_at = fields.parse_date(datetime.combine(where.name_date, time()), zone)
    if published_at is None and modified is not None:
        published_at = modified
    if published_at is None:
        raise PostError("no date: add 'date:' to the front matter, or start the file name with YYYY-MM-DD-")
    # Whole seconds: search orders posts by (second, id) in SQLite's index and by the date in
    # PostgreSQL; a file's sub-second mtime would let the two disagree about ties.
    return published_at.replace(microsecond=0)


def _forced(path: str, defaults: PostDefaults) -> bool | None:
    """POSTS_EXCLUDE/POSTS_INCLUDE: False (never a post), True (always), None (the usual rule)."""
    if defaults.exclude and placement.matches_any(path, defaults.exclude):
        return False
    if defaults.include and placement.matches_any(path, defaults.include):
        return True
    return None


def _draft(meta: Mapping[str, Any], where: placement.Placement) -> bool:
    if fields.flag(meta, "draft"):
        return True
    published = meta.get("published")
    if isinstance(published, (bool, str)) and not fields.flag(meta, "published", default=True):
        return True
    return placement.is_draft(where, meta)


def _updated_at(meta: Mapping[str, Any], zone: tzinfo) -> datetime | None:
    return fields.date_field(meta, fields.UPDATED_KEYS, zone) if _has_update(meta) else None


def _has_update(meta: Mapping[str, Any]) -> bool:
    if any(key in meta for key in fields.UPDATED_KEYS):
        return True
    date = meta.get("date")
    return isinstance(date, Mapping) and "updated" in date


def _slug_text(meta: Mapping[str, Any], where: placement.Placement) -> str:
    given = fields.text_field(meta, "slug")
    slug = unicodedata.normalize("NFC", given or where.name).strip()
    if given is None:
        # A name from the file system may hold what a slug can't (`#`, `?`, spaces): dashes then.
        slug = re.sub(r"[\s/\\?#]+", "-", slug.lower()).strip("-")
    slug = slug.strip("/")
    # Translations share a name (`index.en.md`, `index.zh.md`); each is a post of its own.
    return f"{slug}-{where.language}" if where.language and slug else slug


def _check_slug(slug: str) -> None:
    if not slug or len(slug) > 120 or _SLUG_BAD.search(slug) or slug.lower() in ("index", "_index"):
        shown = slug if len(slug) <= 60 else slug[:60] + "…"
        raise PostError(f"bad slug {shown!r}: 1-120 characters without spaces, '/', '?' or '#'")


def _url(
    meta: Mapping[str, Any],
    defaults: PostDefaults,
    slug: str,
    where: placement.Placement,
    categories: list[str],
    published_at: datetime,
    lang: Lang,
) -> str:
    own = fields.first_text(meta, fields.URL_KEYS)
    facts = LinkFacts(
        slug=slug,
        name=where.name,
        categories=tuple(categories),
        section=where.folders[0] if where.folders else "",
        published_at=published_at,
        zone=defaults.timezone,
        abbrlink=fields.text_field(meta, "abbrlink") or "",
        lang=lang,
    )
    if own:
        # Jekyll lets a post's own permalink use the pattern tokens too.
        own = expand_permalink(own, facts) if ":" in own and not own.startswith(("http:", "https:")) else own
        return resolve(own, defaults.site_url, "")
    if defaults.permalink:
        return join_site(defaults.site_url, expand_permalink(defaults.permalink, facts))
    return join_site(defaults.site_url, slug)


def _drop_first_heading(body: str, span: tuple[int, int] | None) -> str:
    return body if span is None else body[: span[0]] + body[span[1] :]


def _lang(meta: Mapping[str, Any], title: str, body: str) -> Lang:
    given = fields.text_field(meta, "lang") or fields.text_field(meta, "language")
    if given is not None:
        code = given.lower().split("-")[0].split("_")[0]
        if code in ("zh", "en"):
            return "zh" if code == "zh" else "en"
        if code in ("ja", "ko"):
            return "zh"  # CJK placeholders read better than English ones there
        return "en"
    return detect_language(title, body)
