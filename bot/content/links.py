"""A post's link and cover image as absolute http(s) URLs: permalink patterns, relative paths."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from urllib.parse import quote, urljoin, urlsplit

from bot.content.safe_text import strip_unsafe

_TOKEN = re.compile(r":(year|month|i_month|day|i_day|short_year|hour|minute|second|slug|title|filename|"
                    r"categories|category|section|abbrlink|lang)\b")  # fmt: skip
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
MAX_URL = 2000


@dataclass(frozen=True, slots=True)
class LinkFacts:
    """What a permalink pattern may refer to."""

    slug: str
    name: str  # the file name without date prefix (bundle: the folder)
    categories: tuple[str, ...]
    section: str
    published_at: datetime
    zone: tzinfo
    abbrlink: str = ""
    lang: str = ""


def expand_permalink(pattern: str, facts: LinkFacts) -> str:
    """Fill a Jekyll/Hugo/Hexo permalink pattern (`/:year/:month/:slug/`) for one post."""
    local = facts.published_at.astimezone(facts.zone)
    values = {
        "year": f"{local.year:04d}",
        "short_year": f"{local.year % 100:02d}",
        "month": f"{local.month:02d}",
        "i_month": str(local.month),
        "day": f"{local.day:02d}",
        "i_day": str(local.day),
        "hour": f"{local.hour:02d}",
        "minute": f"{local.minute:02d}",
        "second": f"{local.second:02d}",
        "slug": facts.slug,
        "title": facts.slug,
        "filename": facts.name,
        "categories": "/".join(_path_word(c) for c in facts.categories),
        "category": _path_word(facts.categories[0]) if facts.categories else "",
        "section": facts.section,
        "abbrlink": facts.abbrlink or facts.slug,
        "lang": facts.lang,
    }
    path = _TOKEN.sub(lambda m: values[m.group(1)], pattern)
    return re.sub(r"/{2,}", "/", path)


def join_site(site_url: str, path: str) -> str:
    """Join a site-relative path to SITE_URL, keeping SITE_URL's own path (`/blog/`)."""
    if not site_url:
        return ""
    return site_url.rstrip("/") + "/" + quote(path.lstrip("/"), safe=_SAFE_PATH)


def resolve(reference: str, site_url: str, base: str) -> str:
    """Make a link absolute: kept if http(s), root-relative against the site, else against `base`.

    Anything that cannot become an http(s) URL (no site, `javascript:`, `data:`, …) gives "".
    """
    reference = strip_unsafe(reference).strip()
    if not reference or len(reference) > MAX_URL or any(c.isspace() for c in reference):
        return ""
    scheme = urlsplit(reference).scheme.lower() if ":" in reference else ""
    if scheme:
        return reference if scheme in ("http", "https") and urlsplit(reference).netloc else ""
    if reference.startswith("//"):
        return "https:" + reference
    if reference.startswith("/"):
        return join_site(site_url, reference)
    if not base:
        return ""
    folder = base if base.endswith("/") else base.rsplit("/", 1)[0] + "/"
    absolute = urljoin(folder, quote(reference, safe=_SAFE_PATH))
    return absolute if is_web_url(absolute) else ""


def is_web_url(url: str) -> bool:
    """Whether `url` is an absolute http(s) URL with a host."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _path_word(text: str) -> str:
    return re.sub(r"\s+", "-", text.strip().lower())
