"""Keep the work on a hostile post linear: what would make the cleaner or Markdown slow, defused.

Python-Markdown copies a text node's rest for each inline match in it, and re-reads the rest of a
block after every heading or list level; the cleaner looks hundreds of characters ahead of every
tag opener. Real posts never come near these costs; each guard here only changes text that does.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Protocol

from bot.content.full.markers import MARKER


class Source(Protocol):
    """Where literal text is kept while Markdown runs."""

    def literal(self, text: str) -> str:
        """Return a marker standing for `text`."""


# Inline syntax characters × characters of their paragraph: Markdown's time grows with it, about
# 4 ns a unit, so a paragraph may cost ~40 ms and a post ~100 ms before syntax is hidden.
TAME_COST = 10_000_000
TAME_TOTAL = 25_000_000
_SYNTAX_CHARS = "*_~&\\<"
# Where Markdown starts a new text node: a blank line, a list item, a heading, a quote, a table row.
_UNIT_START = re.compile(r"\n(?=[ \t]*(?:\n|[-*+>#|]|\d{1,9}[.)]|[^\n]*\|))")
_TAG_OPENER = re.compile(r"\{%|\{\{[<%]|\{/\*")
_CLOSERS = {"{%": (("%}",), 502), "{{<": ((">}}", "%}}"), 500), "{{%": ((">}}", "%}}"), 500),
            "{/*": (("*/}",), 2000)}  # fmt: skip
_GAP_BREAKERS = frozenset("\n{\ue000\ue001\ue002\ue003\ue004\ue005")  # never swallowed into a literal
MAX_INDENT = 32
_DEEP_INDENT = re.compile(rf"^[ \t]{{{MAX_INDENT + 1},}}", re.MULTILINE)
MAX_BLOCK_LINES = 300
_HEADING_LINE = re.compile(r"^(#{1,6}[ \t][^\n]*| {0,3}(?:=+|-+)[ \t]*)\n(?=[^\n])", re.MULTILINE)
_TABLE_RULE = re.compile(r"[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")


def defuse_openers(text: str, source: Source) -> str:
    """Make tag openers that no closer follows literal text before the cleaner looks for tags.

    The cleaner's patterns look up to 500 (or 2,000) characters ahead of every `{%`, `{{<` and
    `{/*` for the end of a tag: 50,000 unclosed ones cost a second. Each is checked here once,
    with a bounded search for its closer, so the cleaner only meets openers that can match.
    """
    if "{" not in text:
        return text
    spans: list[list[int]] = []
    for match in _TAG_OPENER.finditer(text):
        closers, bound = _CLOSERS[match.group()]
        end = text.find("\n", match.end(), match.end() + bound + 4)
        end = match.end() + bound + 4 if end < 0 else end
        if any(text.find(closer, match.end(), end) >= 0 for closer in closers):
            continue
        gap = text[spans[-1][1] : match.start()] if spans else "\n"
        if len(gap) <= 8 and not _GAP_BREAKERS.intersection(gap):
            spans[-1][1] = match.end()  # one marker for a run of them, not 50,000
        else:
            spans.append([match.start(), match.end()])
    out: list[str] = []
    position = 0
    for start, end in spans:
        out += [text[position:start], source.literal(text[start:end])]
        position = end
    out.append(text[position:])
    return "".join(out)


def tame(text: str, source: Source) -> str:
    """Hide the inline syntax of paragraphs where Markdown would spend seconds on it.

    A paragraph of 50,000 `*_` costs Python-Markdown minutes. The costliest paragraphs, until
    none costs over TAME_COST and all together no more than TAME_TOTAL, become literal text
    between their markers: no emphasis, but no minutes spent finding none.
    """
    if _cost(text) <= TAME_COST:
        return text  # no paragraph can cost that much: most posts, decided at once
    starts = [0, *(m.start() for m in _UNIT_START.finditer(text)), len(text)]
    units = [text[a:b] for a, b in pairwise(starts)]
    costs = [_cost(unit) for unit in units]
    total = sum(costs)
    for index in sorted(range(len(units)), key=costs.__getitem__, reverse=True):
        if costs[index] <= TAME_COST and total <= TAME_TOTAL:
            break
        units[index] = _tame_unit(units[index], source)
        total -= costs[index]
    return "".join(units)


def _cost(unit: str) -> int:
    return sum(unit.count(char) for char in _SYNTAX_CHARS) * len(unit)


def _tame_unit(unit: str, source: Source) -> str:
    lead = len(unit) - len(unit.lstrip())  # a list marker or heading stays Markdown
    out = [unit[:lead]]
    position = lead
    for match in MARKER.finditer(unit, lead):
        out += [_literal(unit[position : match.start()], source), match.group()]
        position = match.end()
    out.append(_literal(unit[position:], source))
    return "".join(out)


def _literal(text: str, source: Source) -> str:
    return source.literal(text) if text.strip() else text


def bound_blocks(text: str) -> str:
    """Cap indentation, and break runs of lines that hold no blank line.

    Python-Markdown re-reads the rest of a block after each heading or list level it finds, so a
    block of 100,000 setext headings, or a list nested 500 deep, costs minutes. Headings get a blank
    line after them; nobody nests past eight levels or writes 300 lines without a blank one, except
    in a table, which is left whole.
    """
    text = _DEEP_INDENT.sub(" " * MAX_INDENT, text)
    # A heading ends its block anyway; a blank line after it spares Markdown re-reading the rest.
    text = _HEADING_LINE.sub("\\1\n\n", text)
    if text.count("\n") < MAX_BLOCK_LINES:
        return text
    out: list[str] = []
    run = 0
    table = False
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if not line.strip():
            run = 0
        elif run == 0:
            following = lines[number + 1] if number + 1 < len(lines) else ""
            table = "|" in line and _TABLE_RULE.match(following) is not None
            run = 1
        else:
            run += 1
            if run > MAX_BLOCK_LINES and not table:
                out.append("")
                run = 1
        out.append(line)
    return "\n".join(out)
