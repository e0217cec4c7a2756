"""Inline runs tidied as a reader should see them: whitespace, soft line breaks, merged neighbours."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from bot.content.full.model import Run, Runs

_SOFT_BREAK = re.compile(r"[ \t]*\n\s*")
_SPACE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"(?<=[^\s\d]) (?=[。，、；：？！）」』”’]|[.,;:!?](?:\s|$))")
_PIECE = 400  # text runs longer than this are cut into pieces a message can always hold
_CUT_AFTER = re.compile(r"[\s。！？；，、.!?;,)\]」』”）]")


def is_wide(char: str) -> bool:
    """Whether `char` is a CJK (wide or full-width) character."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def _soft_break(match: re.Match[str]) -> str:
    # Chinese wrapped over lines in the source reads as one line: a space would split words apart.
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    return "" if before and after and is_wide(before) and is_wide(after) else " "


def _tidy(text: str) -> str:
    if "\n" in text:
        text = _SOFT_BREAK.sub(_soft_break, text)
    if not text.isprintable() or "  " in text:
        text = _SPACE.sub(" ", text)
    # Removed syntax (a footnote mark, a tag) leaves a space where none was: `结束 。`, `phrase .`
    return _SPACE_BEFORE_PUNCTUATION.sub("", text) if " " in text else text


def normalize(runs: Sequence[Run]) -> Runs:
    """Collapse whitespace, drop empty runs, merge neighbours alike, trim the ends and breaks."""
    return _trimmed(_merged(runs))


def _merged(runs: Sequence[Run]) -> list[Run]:
    """Neighbouring text runs alike joined (in one join per group: a post may hold 50,000 runs)."""
    out: list[Run] = []
    group: list[str] = []
    for run in runs:
        if run.kind == "text":
            last = out[-1] if out else None
            if group and last is not None and (last.style, last.href) == (run.style, run.href):
                group.append(run.text)
                continue
            _close(out, group)
            group = [run.text]
            out.append(run)
        elif run.kind == "break" or run.text.strip():
            _close(out, group)
            group = []
            out.append(run)
    _close(out, group)
    return out


def _close(out: list[Run], group: list[str]) -> None:
    """Replace the last run (a text run) by its group's text, tidied."""
    if group:
        last = out[-1]
        out[-1] = Run("text", _tidy("".join(group)), last.style, last.href)


def _trimmed(merged: list[Run]) -> Runs:
    out: list[Run] = []
    for run in merged:
        if run.kind == "text":
            text = run.text
            if out and (out[-1].kind == "break" or out[-1].text.endswith(" ")):
                text = text.lstrip(" ")
            if text:
                out.append(Run("text", text, run.style, run.href))
        elif run.kind == "break":
            _trim_end(out)
            if out and out[-1].kind != "break":
                out.append(run)
        else:
            out.append(run)
    while out and out[-1].kind == "break":
        out.pop()
    _trim_end(out)
    if out and out[0].kind == "text":
        first = out[0].text.lstrip(" ")
        out[0] = Run("text", first, out[0].style, out[0].href)
        if not first:
            out.pop(0)
    return tuple(out)


def _trim_end(out: list[Run]) -> None:
    while out and out[-1].kind == "text" and out[-1].text.endswith(" "):
        last = out.pop()
        if last.text.rstrip(" "):
            out.append(Run("text", last.text.rstrip(" "), last.style, last.href))
            return


def pad_rows(rows: list[tuple[Runs, ...]]) -> tuple[tuple[Runs, ...], tuple[tuple[Runs, ...], ...]]:
    """Make every row as wide as the header: missing cells empty, extra cells dropped."""
    header = rows[0]
    width = max(len(header), 1)
    empty: Runs = ()
    body = tuple((row + (empty,) * width)[:width] for row in rows[1:])
    return (header + (empty,) * width)[:width], body


def pieces(text: str, size: int = _PIECE) -> list[str]:
    """Cut text into pieces of at most about `size` characters, at a space or punctuation if near."""
    if len(text) <= size:
        return [text]
    out: list[str] = []
    start = 0
    while len(text) - start > size:
        end = start + size
        window = text[start + size // 2 : end]
        breaks = [m.end() for m in _CUT_AFTER.finditer(window)]
        if breaks:
            end = start + size // 2 + breaks[-1]
        elif unicodedata.combining(text[end]) or "\udc00" <= text[end] <= "\udfff":
            end -= 1  # never split a letter from its accent
        out.append(text[start:end])
        start = end
    out.append(text[start:])
    return out


def visible_length(runs: Runs) -> int:
    """Characters the runs show, formulas counted as their LaTeX source."""
    return sum(1 if run.kind == "break" else len(run.text) for run in runs)
