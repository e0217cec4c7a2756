"""Split a post's text into front matter and body: YAML, TOML, JSON, or Pelican header lines."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import yaml

Dialect = Literal["yaml", "toml", "json", "headers", "none"]

# The C loader is ~10x faster than the pure-Python one; both are safe loaders.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_FRONT_MATTER = 64 * 1024  # no real front matter comes near this; bounds parser work


class FrontMatterError(ValueError):
    """Front matter that cannot be read; the message is a one-line reason."""


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Safe loader that leaves timestamps as text, so one parser judges every date.

    YAML's own constructor crashes on `2026-13-01`; ours says 'bad date' instead.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_YAML_OPEN = re.compile(r"\A---[ \t]*\n")
_YAML_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_TOML_OPEN = re.compile(r"\A\+\+\+[ \t]*\n")
_TOML_CLOSE = re.compile(r"^\+\+\+[ \t]*$", re.MULTILINE)
# Pelican's and MultiMarkdown's `Key: value` lines; the first key must be one they document,
# so a post that merely starts with "Note: ..." is not taken for a header.
_HEADER_LINE = re.compile(r"([A-Za-z][A-Za-z0-9_ -]{0,40}):[ \t]*(.*)")
HEADER_KEYS = frozenset(
    {"title", "date", "modified", "category", "tags", "slug", "author", "authors", "summary", "status",
     "lang", "translation", "save_as", "url", "template", "keywords", "description", "image", "cover",
     "subtitle", "series", "updated"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """A post's metadata (keys lower-cased) and its Markdown body."""

    meta: dict[str, Any]
    body: str
    dialect: Dialect


def split_front_matter(text: str) -> FrontMatter:
    """Split front matter in any common dialect from the body; none gives an empty mapping."""
    if _YAML_OPEN.match(text):
        block, body = _fenced(text, _YAML_OPEN, _YAML_CLOSE, "---")
        return FrontMatter(_lower(_load_yaml(block)), body, "yaml")
    if _TOML_OPEN.match(text):
        block, body = _fenced(text, _TOML_OPEN, _TOML_CLOSE, "+++")
        try:
            data = tomllib.loads(block)
        except tomllib.TOMLDecodeError as exc:
            raise FrontMatterError(f"bad TOML front matter: {_first_line(str(exc))}") from None
        return FrontMatter(_lower(data), body, "toml")
    if text.startswith("{"):
        return _json_front_matter(text)
    headers = _header_lines(text)
    if headers is not None:
        return headers
    return FrontMatter({}, text, "none")


def _fenced(text: str, opening: re.Pattern[str], closing: re.Pattern[str], fence: str) -> tuple[str, str]:
    start = opening.match(text)
    assert start is not None
    end = closing.search(text, start.end(), start.end() + MAX_FRONT_MATTER)
    if end is None and closing.search(text, start.end()) is not None:
        raise FrontMatterError(f"front matter is longer than {MAX_FRONT_MATTER // 1024} KB")
    if end is None:
        raise FrontMatterError(f"front matter is not closed: no '{fence}' line after the opening '{fence}'")
    return text[start.end() : end.start()], text[end.end() :].lstrip("\n")


def _load_yaml(block: str) -> object:
    if not block.strip():
        return {}
    # An alias (`*a`) can multiply a tiny file into gigabytes; front matter never needs one.
    if "&" in block or "*" in block:
        try:
            for event in yaml.parse(block, Loader=_Loader):
                if isinstance(event, yaml.AliasEvent):
                    raise FrontMatterError("YAML aliases (*name) are not allowed in front matter")
        except yaml.YAMLError:
            pass  # reported below, with its line
    try:
        return yaml.load(block, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise FrontMatterError(f"bad YAML front matter{where}: {_first_line(str(problem))}") from None


def _json_front_matter(text: str) -> FrontMatter:
    try:
        data, end = json.JSONDecoder().raw_decode(text[: MAX_FRONT_MATTER + 1])
    except json.JSONDecodeError as exc:
        raise FrontMatterError(f"bad JSON front matter at line {exc.lineno}: {exc.msg}") from None
    except RecursionError:
        raise FrontMatterError("bad JSON front matter: nested too deeply") from None
    return FrontMatter(_lower(data), text[end:].lstrip(" \t").lstrip("\n"), "json")


def _header_lines(text: str) -> FrontMatter | None:
    """Read Pelican / MultiMarkdown `Key: value` lines up to the first blank line."""
    meta: dict[str, Any] = {}
    position = 0
    last: str | None = None
    while position < len(text) and position < MAX_FRONT_MATTER:
        end = text.find("\n", position)
        end = len(text) if end < 0 else end
        line = text[position:end]
        if not line.strip():
            break
        match = _HEADER_LINE.fullmatch(line)
        if last is not None and line[:1] in " \t":
            meta[last] = f"{meta[last]} {line.strip()}".strip()  # a continuation line
        elif match is not None and (meta or match.group(1).strip().lower() in HEADER_KEYS):
            last = match.group(1).strip().lower()
            meta[last] = match.group(2).strip()
        else:
            return None
        position = end + 1
    if not meta:
        return None
    return FrontMatter(meta, text[position:].lstrip("\n"), "headers")


def _lower(data: object) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise FrontMatterError("front matter must be a mapping (key: value lines)")
    return {str(k).lower(): v for k, v in data.items()}


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0][:200]
