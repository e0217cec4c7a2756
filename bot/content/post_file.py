"""Parse one post file (bytes handed in by the caller) into a `Post`, or say why it is broken."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any
from urllib.parse import quote

import yaml

from bot.content.excerpt import build_excerpt
from bot.content.models import Lang, Post

# The C loader is ~10x faster than the pure-Python one; both are safe loaders.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Safe loader that leaves timestamps as text, so one parser judges every date.

    YAML's own constructor crashes on `2026-13-01`; ours says 'bad date' instead.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_SPACED_OFFSET = re.compile(r"\s+(?=[+-]\d{2}:?\d{2}$|Z$)")

DEFAULT_MAX_BYTES = 1024 * 1024
_FRONT_MATTER_OPEN = re.compile(r"\A---[ \t]*\r?\n")
_FRONT_MATTER_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_SETEXT_HEADING = re.compile(r"^ {0,3}(\S[^\n]*)\n {0,3}(?:=+|-+)[ \t]*$", re.MULTILINE)
_INLINE_MARKUP = re.compile(r"[*_`~]+|!?\[([^\]]*)\]\([^)]*\)")
_SLUG_OK = re.compile(r"^[^\s/\\?#]{1,120}$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z]")
KNOWN_KEYS = frozenset(
    {"title", "date", "category", "tags", "slug", "summary", "draft", "url", "image", "lang"}
)
DEFAULT_CATEGORY: dict[Lang, str] = {"zh": "未分类", "en": "Uncategorized"}


class PostError(ValueError):
    """A post file that cannot be indexed; the message is a one-line reason."""


@dataclass(frozen=True, slots=True)
class PostDefaults:
    """What parsing needs from the settings: zone for naive dates, site URL, size cap."""

    timezone: tzinfo
    site_url: str = ""
    max_bytes: int = DEFAULT_MAX_BYTES
    excerpt_chars: int = 350


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


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split `---` YAML front matter from the Markdown body; no front matter gives `{}`."""
    opening = _FRONT_MATTER_OPEN.match(text)
    if opening is None:
        return {}, text
    closing = _FRONT_MATTER_CLOSE.search(text, opening.end())
    if closing is None:
        raise PostError("front matter is not closed: no '---' line after the opening '---'")
    block = text[opening.end() : closing.start()]
    try:
        data = yaml.load(block, Loader=_Loader) if block.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise PostError(f"bad YAML front matter{where}: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise PostError("front matter must be a YAML mapping (key: value lines)")
    return {str(k).lower(): v for k, v in data.items()}, text[closing.end() :].lstrip("\n")


def parse_post(raw: bytes, source_path: str, defaults: PostDefaults) -> Post:
    """Parse a post file's bytes; raise `PostError` with a one-line reason when it is broken."""
    text = decode_post_bytes(raw, defaults.max_bytes)
    meta, body = split_front_matter(text)
    stem = source_path.rsplit("/", 1)[-1].rsplit(".", 1)[0]

    heading = first_heading(body)
    title = _optional_str(meta, "title") or heading or stem
    if heading is not None and heading == title:
        # The title is shown above the excerpt already; don't repeat it as the excerpt's first words.
        body = _drop_first_heading(body)
    lang = _lang(meta, title, body)
    slug = _slug(meta, stem)
    published_at = parse_date(meta.get("date"), defaults.timezone)
    if published_at is None:
        raise PostError("missing 'date' in front matter")
    summary = _optional_str(meta, "summary")
    url = _optional_str(meta, "url") or _default_url(defaults.site_url, slug)
    return Post(
        slug=slug,
        title=_one_line(title),
        category=_one_line(_optional_str(meta, "category") or DEFAULT_CATEGORY[lang]),
        tags=_tags(meta.get("tags")),
        published_at=published_at,
        excerpt=build_excerpt(summary or body, lang=lang, limit=defaults.excerpt_chars),
        url=url,
        image=_optional_str(meta, "image"),
        lang=lang,
        draft=_bool(meta, "draft"),
        source_path=source_path,
        content_hash=content_hash(raw),
    )


def first_heading(body: str) -> str | None:
    """Return the text of the first Markdown heading, without inline markup."""
    found = [m for m in (_ATX_HEADING.search(body), _SETEXT_HEADING.search(body)) if m is not None]
    if not found:
        return None
    first = min(found, key=lambda m: m.start())
    raw = first.group(2) if first.re is _ATX_HEADING else first.group(1)
    plain = _INLINE_MARKUP.sub(lambda m: m.group(1) or "", raw).strip()
    return plain or None


def _drop_first_heading(body: str) -> str:
    found = [m for m in (_ATX_HEADING.search(body), _SETEXT_HEADING.search(body)) if m is not None]
    first = min(found, key=lambda m: m.start())
    return body[: first.start()] + body[first.end() :]


def parse_date(value: object, zone: tzinfo) -> datetime | None:
    """Turn a front-matter date into an aware UTC datetime; naive values are in `zone`."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(_SPACED_OFFSET.sub("", value.strip()).replace("Z", "+00:00"))
        except ValueError:
            raise PostError(
                f"bad date {value!r}: use ISO 8601, e.g. 2026-05-01 or 2026-05-01T09:30+08:00"
            ) from None
    else:
        raise PostError(f"bad date {value!r}: use ISO 8601, e.g. 2026-05-01")
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _optional_str(meta: Mapping[str, Any], key: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise PostError(f"'{key}' must be text, not a {type(value).__name__}")
    text = str(value).strip()
    return text or None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _slug(meta: Mapping[str, Any], stem: str) -> str:
    given = _optional_str(meta, "slug")
    slug = unicodedata.normalize("NFC", given or stem).strip()
    if given is None:
        slug = re.sub(r"\s+", "-", slug.lower())
    if not _SLUG_OK.match(slug):
        raise PostError(f"bad slug {slug!r}: 1-120 characters without spaces, '/', '?' or '#'")
    return slug


def _tags(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise PostError("'tags' must be a list or a comma-separated string")
    return tuple(dict.fromkeys(t for t in (_one_line(str(i)) for i in items) if t))


def _bool(meta: Mapping[str, Any], key: str) -> bool:
    value = meta.get(key, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"yes", "true", "1", "no", "false", "0", ""}:
        return value.strip().lower() in {"yes", "true", "1"}
    raise PostError(f"'{key}' must be true or false, not {value!r}")


def _lang(meta: Mapping[str, Any], title: str, body: str) -> Lang:
    given = _optional_str(meta, "lang")
    if given is not None:
        code = given.lower().split("-")[0].split("_")[0]
        if code in ("zh", "en"):
            return "zh" if code == "zh" else "en"
        raise PostError(f"unsupported lang {given!r}: use zh or en")
    sample = title + body[:600]
    cjk = len(_CJK.findall(sample))
    # Chinese prose carries far fewer characters per word than English, so a modest share decides.
    return "zh" if cjk and cjk * 4 >= len(_LATIN.findall(sample)) else "en"


def _default_url(site_url: str, slug: str) -> str:
    if not site_url:
        return ""
    return site_url.rstrip("/") + "/" + quote(slug)
