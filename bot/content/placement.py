"""What a file's place in the tree says: post or page, its slug and date from its name.

The rule (documented in the README, "Point it at your blog"):
- drafts: `_drafts/` or `drafts/` folders, `draft: true`, `published: false`, `Status: draft`;
- not posts: `_index`, `404`, `README`, a section's or the root's `index`, anything under
  `pages/` or `_pages/`, `layout`/`type` of a page, `headless`, `unlisted`, `Status: hidden`,
  Hugo `build: {list: never}`;
- "areas": when some file lies under a `_posts`, `posts`, `post`, `blog`, `articles` or `article`
  folder, files outside every such folder are pages (Pelican header files excepted); outside an
  area, files named like a site page (`about`, `contact`, `archives`, …) are pages;
- `POSTS_INCLUDE` / `POSTS_EXCLUDE` globs override all of it (drafts stay drafts).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

AREA_NAMES = frozenset({"_posts", "posts", "post", "blog", "articles", "article"})
DRAFT_FOLDERS = frozenset({"_drafts", "drafts"})
PAGE_FOLDERS = frozenset({"pages", "_pages"})
PAGE_STEMS = frozenset({"_index", "404", "readme", "changelog", "license"})
PAGE_SLUGS = frozenset(
    {"about", "about-me", "contact", "archives", "archive", "search", "tags", "categories", "links",
     "friends", "privacy", "resume", "cv", "now", "uses"}
)  # fmt: skip
PAGE_LAYOUTS = frozenset(
    {"page", "pages", "archive", "archives", "search", "home", "index", "tags", "categories", "links", "404"}
)  # fmt: skip
INDEX_STEMS = frozenset({"index", "_index", "readme"})
POST_SUFFIXES = (".md", ".markdown", ".mdx", ".mdown", ".mkd", ".mkdn")
_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[-_]|$)")
# Hugo's translations by file name: `index.en.md`, `post.zh-cn.md`.
_LANGUAGE_SUFFIX = re.compile(r"\.([a-z]{2}(?:[-_][a-z]{2,4})?)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Placement:
    """What the path alone tells about a file."""

    folders: tuple[str, ...]  # parent folders, outermost first
    stem: str  # file name without suffix
    name: str  # the post's own name: the stem, or a bundle's folder, date prefix removed
    name_date: date | None  # a Jekyll/Docusaurus date in the file or bundle folder name
    bundle: bool  # `post/<name>/index.md`: the folder is the post
    in_area: bool
    in_drafts: bool
    language: str = ""  # a translation's language code from the file name (`index.en.md`)


def place(path: str) -> Placement:
    """Read a relative path (forward slashes) as the generators do."""
    parts = path.split("/")
    folders = tuple(parts[:-1])
    file_name = parts[-1]
    stem = file_name
    for suffix in POST_SUFFIXES:
        if file_name.lower().endswith(suffix):
            stem = file_name[: -len(suffix)]
            break
    lowered = [f.lower() for f in folders]
    translation = _LANGUAGE_SUFFIX.search(stem)
    if translation is not None:
        stem = stem[: translation.start()]
    bundle = stem.lower() in ("index", "readme") and bool(folders) and lowered[-1] not in AREA_NAMES
    own = folders[-1] if bundle else stem
    name_date, name = _split_date(own)
    return Placement(
        folders=folders,
        stem=stem,
        language=translation.group(1).lower() if translation else "",
        name=name or own,
        name_date=name_date,
        bundle=bundle,
        in_area=any(f in AREA_NAMES for f in lowered),
        in_drafts=any(f in DRAFT_FOLDERS for f in lowered),
    )


def page_reason(place: Placement, meta: Mapping[str, Any], slug: str, area_rule: bool) -> str | None:
    """Say why a file is a page (not announced, not listed), or None for a post."""
    stem = place.stem.lower()
    if stem in PAGE_STEMS:
        return f"'{place.stem}' is a list or site page"
    if stem in INDEX_STEMS and not place.bundle:
        return "an index page of the site or a section"
    if any(f.lower() in PAGE_FOLDERS for f in place.folders):
        return "in a pages folder"
    for key in ("layout", "type"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip().lower() in PAGE_LAYOUTS:
            return f"{key}: {value.strip()}"
    for key in ("headless", "unlisted", "hidden"):
        if meta.get(key) is True or str(meta.get(key, "")).strip().lower() == "true":
            return f"{key}: true"
    if str(meta.get("status", "")).strip().lower() == "hidden":
        return "Status: hidden"
    build = meta.get("build", meta.get("_build"))
    if isinstance(build, Mapping) and str(build.get("list", "")).lower() in ("never", "false"):
        return "build.list: never"
    if not place.in_area and not place.in_drafts:
        if area_rule:
            return "outside the posts folders (" + ", ".join(sorted(AREA_NAMES)) + ")"
        if slug.lower() in PAGE_SLUGS:
            return f"'{slug}' is a site page"
    return None


def is_draft(place: Placement, meta: Mapping[str, Any]) -> bool:
    """Whether the file is a draft: never announced or listed until that changes."""
    if place.in_drafts:
        return True
    return str(meta.get("status", "")).strip().lower() == "draft"


@lru_cache(maxsize=64)
def glob_pattern(glob: str) -> re.Pattern[str]:
    """Compile a path glob: `*` within a folder, `**` across folders, `?` one character."""
    out = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if glob.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        out.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
        index += 1
    return re.compile("".join(out))


def matches_any(path: str, globs: tuple[str, ...]) -> bool:
    """Whether `path` matches one of the globs (whole path, case-sensitive)."""
    return any(glob_pattern(g).fullmatch(path) for g in globs)


def _split_date(name: str) -> tuple[date | None, str]:
    match = _DATE_PREFIX.match(name)
    if match is None:
        return None, name
    try:
        found = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None, name
    return found, name[match.end() :]
