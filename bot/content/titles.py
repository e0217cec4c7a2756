"""Titles: the first Markdown heading of a body, and a title made readable (math, markup)."""

from __future__ import annotations

import re

from bot.content.cleaner import clean_inline
from bot.content.latex import latex_to_unicode
from bot.content.math_spans import find_formulas
from bot.content.safe_text import one_line

HEADING_SCAN = 20_000  # a title is near the top; never scan a whole hostile file for one
MAX_TITLE = 300
_SETEXT_UNDERLINE = re.compile(r" {0,3}(?:=+|-+)[ \t]*")
_INLINE_MARKUP = re.compile(r"!?\[([^\[\]\n]{0,300})\]\([^()\n]{0,500}\)|[*_`~]+")
_FENCE = re.compile(r" {0,3}(?:`{3,}|~{3,})")


def heading_span(body: str) -> tuple[int, int] | None:
    """Return where the first heading (ATX or setext) is, outside code, or None."""
    position = 0
    previous: tuple[int, str] | None = None  # the last non-blank paragraph line, for setext
    in_fence = False
    limit = min(len(body), HEADING_SCAN)
    while position < limit:
        end = body.find("\n", position)
        end = len(body) if end < 0 else end
        line = body[position:end]
        if _FENCE.match(line):
            in_fence = not in_fence
            previous = None
        elif not in_fence:
            stripped = line.lstrip(" ")
            if len(line) - len(stripped) <= 3 and stripped.startswith("#"):
                hashes = len(stripped) - len(stripped.lstrip("#"))
                if hashes <= 6 and stripped[hashes : hashes + 1] in (" ", "\t"):
                    return position, end
            if previous is not None and line.strip() and _SETEXT_UNDERLINE.fullmatch(line[:200]):
                return previous[0], end
            previous = (position, line) if line.strip() and len(line) - len(stripped) <= 3 else None
        position = end + 1
    return None


def first_heading(body: str, span: tuple[int, int] | None = None) -> str | None:
    """Return the text of the first Markdown heading (at `span`, if found already), without markup."""
    span = span or heading_span(body)
    if span is None:
        return None
    text = body[span[0] : span[1]][: MAX_TITLE * 4]
    first = text.split("\n", 1)[0].strip()
    if first.startswith("#"):
        first = first.lstrip("#").strip().rstrip("#").strip()
    plain = _INLINE_MARKUP.sub(lambda m: m.group(1) or "", first).strip()
    return one_line(plain) or None


def readable_title(title: str) -> str:
    """Make a title readable in a chat: formulas as Unicode, no generator syntax, one line."""
    title = clean_inline(title[: MAX_TITLE * 4])
    if "$" in title or "\\(" in title:
        out: list[str] = []
        position = 0
        for formula in find_formulas(title):
            out.append(title[position : formula.start])
            out.append(latex_to_unicode(formula.source, display=False) or formula.source)
            position = formula.end
        out.append(title[position:])
        title = "".join(out)
    return one_line(title)[:MAX_TITLE]
