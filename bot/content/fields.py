"""Read front-matter fields under the names and shapes the generators use for them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any

from bot.content.safe_text import one_line


class FieldError(ValueError):
    """A field whose value cannot be used; the message is a one-line reason."""


# The first name present wins; the order is the generators' own preference.
SUMMARY_KEYS = ("summary", "excerpt", "description", "abstract")
IMAGE_KEYS = (
    "image",
    "cover",
    "featured_image",
    "featuredimage",
    "thumbnail",
    "banner",
    "og_image",
    "images",
)
DATE_KEYS = ("date", "publishdate", "pubdate", "published_at", "created")
UPDATED_KEYS = ("lastmod", "updated", "modified", "last_modified_at", "update")
URL_KEYS = ("url", "permalink")

MIN_YEAR, MAX_YEAR = 1900, 2200  # outside this a date is a typo, and near year 1/9999 arithmetic overflows
_MAX_DATE_TEXT = 64
# ISO 8601 and what generators accept around it: `2014-6-6 2:00`, `2021/03/04 10:20:30`,
# `2015-08-29 12:00:00 +0800`, `…T08:47:11.000Z`, `… UTC`.
_DATE = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"[ \t]*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)
_TRUE = frozenset({"yes", "true", "1", "on"})
_FALSE = frozenset({"no", "false", "0", "off", ""})


def text_field(meta: Mapping[str, Any], key: str) -> str | None:
    """Return a scalar field as one clean line of text, or None when absent or empty."""
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise FieldError(f"'{key}' must be text, not a {type(value).__name__}")
    text = one_line(str(value))
    return text or None


def first_text(meta: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    """Return the first of `keys` that holds text (a list gives its first item)."""
    for key in keys:
        value = meta.get(key)
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, (str, int, float))), None)
        elif isinstance(value, Mapping):
            # Hugo themes write `cover: {image: x.png}`.
            value = value.get("image") or value.get("src") or value.get("url")
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            text = one_line(str(value))
            if text:
                return text
    return None


def flag(meta: Mapping[str, Any], key: str, default: bool = False) -> bool:
    """Read a true/false field, accepting the spellings YAML and header lines use."""
    value = meta.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise FieldError(f"'{key}' must be true or false, not {value!r}"[:200])


def categories(meta: Mapping[str, Any], split_words: bool) -> list[str]:
    """Return the categories in order; the first is the post's category.

    `categories` is a string, a list, or (Hexo) a list of hierarchy paths; `split_words` reads a
    comma-free string as Jekyll does, one category per word.
    """
    found: list[str] = []
    for key in ("categories", "category"):
        value = meta.get(key)
        if isinstance(value, str):
            if "," in value or "，" in value:
                found += re.split(r"[,，]", value)
            elif key == "categories" and split_words:
                found += value.split()
            else:
                found.append(value)
        elif isinstance(value, list):
            for item in value:
                # A nested list is a hierarchy path (Hexo): its first item is the top category.
                top = item[0] if isinstance(item, list) and item else item
                if isinstance(top, (str, int, float)) and not isinstance(top, bool):
                    found.append(str(top))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            found.append(str(value))
    return list(dict.fromkeys(c for c in (one_line(c) for c in found) if c))


def tags(meta: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the tags: a list, a comma-separated string, or (Jekyll) space-separated words."""
    value = meta.get("tags", meta.get("keywords"))
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[Any] = (
            re.split(r"[,，、;；]", value) if re.search(r"[,，、;；]", value) else value.split()
        )
    elif isinstance(value, list):
        items = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        items = [value]
    else:
        raise FieldError("'tags' must be a list or a comma-separated string")
    clean = (one_line(str(i)) for i in items if isinstance(i, (str, int, float)))
    return tuple(dict.fromkeys(t for t in clean if t))[:50]


def date_field(meta: Mapping[str, Any], keys: tuple[str, ...], zone: tzinfo) -> datetime | None:
    """Return the first date among `keys` as aware UTC; MkDocs' `date: {created: …}` included."""
    for key in keys:
        value = meta.get(key)
        if isinstance(value, Mapping):
            value = value.get("created") if "created" in value else value.get("date")
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None and value != "":
            return parse_date(value, zone)
    return None


def parse_date(value: object, zone: tzinfo) -> datetime:
    """Turn a front-matter date into aware UTC; naive values are in `zone`."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        moment = _parse_date_text(value)
    else:
        raise FieldError(f"bad date {value!r}: use a date like 2026-05-01 or 2026-05-01 09:30"[:200])
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise FieldError(f"date {moment.date().isoformat()} is out of range ({MIN_YEAR}-{MAX_YEAR})")
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _parse_date_text(value: str) -> datetime:
    text = value.strip().strip("'\"")
    shown = repr(value if len(value) <= 40 else value[:40] + "…")
    if len(text) > _MAX_DATE_TEXT:
        raise FieldError(f"bad date {shown}: too long")
    match = _DATE.fullmatch(text)
    if match is None:
        try:
            # RSS-style dates (`Sat, 29 Aug 2015 12:00:00 +0800`) turn up in imported posts.
            return parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            pass
        raise FieldError(f"bad date {shown}: use a date like 2026-05-01 or 2026-05-01 09:30")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if not MIN_YEAR <= int(year) <= MAX_YEAR:
        raise FieldError(f"date {shown} is out of range ({MIN_YEAR}-{MAX_YEAR})")
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        moment = datetime(  # noqa: DTZ001 - naive on purpose: the caller applies TIMEZONE
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro
        )
    except ValueError as exc:
        raise FieldError(f"bad date {shown}: {exc}") from None
    if offset:
        iso = "+00:00" if offset.upper() in ("Z", "UTC", "GMT") else offset
        sign = -1 if iso[0] == "-" else 1
        digits = iso[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            raise FieldError(f"bad date {shown}: bad UTC offset")
        moment = moment.replace(tzinfo=timezone(sign * timedelta(hours=hours, minutes=minutes)))
    return moment
