"""The words around a search match: ~80 characters of a post's search text, cut cleanly."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from bot.content.search_query import find_piece

ELLIPSIS = "…"
_LATIN_SLACK = 12  # how far a cut may move to fall between two Latin words instead of inside one
# Characters a cut must not fall before: they belong to the character in front of them.
_JOINERS = frozenset("\u200c\u200d\ufe0e\ufe0f\u20e3")


def snippet(text: str, terms: Iterable[str], width: int = 80) -> str:
    """Return ~`width` characters of `text` around the first match of any term, `…` at cut ends.

    CJK terms match anywhere, other words at the start of a word, in any case (the search
    rules). "" when no term occurs in the text (the post matched by its title or a tag).
    """
    found = _first_match(text, terms)
    if found is None:
        return ""
    start, end = found
    room = max(width - (end - start), 0)
    left = max(start - room // 3, 0)
    right = min(left + max(width, end - start), len(text))
    left = max(min(left, right - width), 0)
    left, right = _latin_edge(text, left, -1), _latin_edge(text, right, 1)
    left, right = _cluster_start(text, left), _cluster_end(text, right)
    shown = text[left:right].strip()
    return (ELLIPSIS if left > 0 else "") + shown + (ELLIPSIS if right < len(text) else "")


def _first_match(text: str, terms: Iterable[str]) -> tuple[int, int] | None:
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters lower-case to two (İ): keep offsets aligned
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    best: tuple[int, int] | None = None
    for term in terms:
        term = term.lower()
        at = find_piece(lowered, term) if term else -1
        if at >= 0 and (best is None or at < best[0]):
            best = (at, at + len(term))
    return best


def _latin_edge(text: str, cut: int, step: int) -> int:
    """Move a cut that falls inside a Latin word outwards to the word's edge, if that is near."""
    if not 0 < cut < len(text) or not (_latin(text[cut - 1]) and _latin(text[cut])):
        return cut
    for moved in range(1, _LATIN_SLACK + 1):
        at = cut + step * moved
        if not 0 < at < len(text):
            return max(0, min(at, len(text)))
        if not (_latin(text[at - 1]) and _latin(text[at])):
            return at
    return cut


def _latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _cluster_start(text: str, cut: int) -> int:
    """Move a start back so no combining mark, joiner or surrogate half is cut from its base."""
    while 0 < cut < len(text) and _attached(text, cut):
        cut -= 1
    return cut


def _cluster_end(text: str, cut: int) -> int:
    """Move an end forward for the same reason (what it keeps stays whole)."""
    while 0 < cut < len(text) and _attached(text, cut):
        cut += 1
    return cut


def _attached(text: str, at: int) -> bool:
    """Say whether the character at `at` cannot be separated from the one before it."""
    char, before = text[at], text[at - 1]
    if unicodedata.combining(char) or char in _JOINERS or before == "\u200d":
        return True
    if "\udc00" <= char <= "\udfff" and "\ud800" <= before <= "\udbff":
        return True
    # A flag is two regional indicators: never split a pair (counted from the run's start).
    if _regional(char) and _regional(before):
        run = at
        while run > 0 and _regional(text[run - 1]):
            run -= 1
        return (at - run) % 2 == 1
    return unicodedata.category(char) == "Mc" or "\U000e0020" <= char <= "\U000e007f"  # tag sequences


def _regional(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"
