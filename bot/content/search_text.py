"""A post's body as a reader sees it, as one line of plain text: what /search reads and quotes.

No Markdown, HTML or generator syntax survives. Code blocks and images are dropped (not prose),
inline code keeps its text, links keep their text, and formulas are dropped: rendering them costs
more than the rest of the pass together (a real post holds ~100), and a search for `α` or `ₜ` is
not worth that. The pass reads the lines once (a line that cannot start block syntax costs one
set lookup), then runs a few regular expressions over the text, each linear (no nested repetition;
a lazy scan only runs to a closer). The slow, obvious path it is checked against in the property
tests is the excerpt's full Markdown render, `build_excerpt(..., fast=False)`: the same words.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

from bot.content.cleaner import clean_inline
from bot.content.math_spans import ENVIRONMENTS
from bot.content.safe_text import strip_unsafe

# What is stored and searched of one post: 64,000 characters is ~190 KB of Chinese, more than any
# real post; the bound keeps one post's index entries (and PostgreSQL's tsvector) small.
MAX_CHARS = 64_000

# Text that must come through the Markdown passes untouched (inline code, an escaped character)
# is parked behind private-use markers; a post can't forge them (they are removed first).
_OPEN, _CLOSE = "\ue000", "\ue001"
_TOKEN = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
# Characters that may start a line of block syntax; a line starting otherwise is prose as it is.
_SPECIAL_FIRST = frozenset("`~{<:!?=*[#>-+|_0123456789ieIE")
_FENCE = re.compile(r"(`{3,}|~{3,})")
_LIQUID = re.compile(r"\{%-?\s*(highlight|codeblock|code|comment)\b[^\n]{0,300}?-?%\}\s*", re.IGNORECASE)
_HUGO = re.compile(r"\{\{[<%]\s*(?:highlight|code)\b[^\n]{0,300}?[>%]\}\}\s*", re.IGNORECASE)
_HUGO_END = re.compile(r"\s*\{\{[<%]\s*/(?:highlight|code)\s*[>%]\}\}\s*", re.IGNORECASE)
_MDX_IMPORT = re.compile(
    r"(?:import\s[^\n]{0,500}?\sfrom\s+['\"][^'\"\n]{1,300}['\"]|import\s+['\"][^'\"\n]{1,300}['\"])\s*;?\s*"
)
_MDX_FROM = re.compile(r"\sfrom\s+['\"]")
_MDX_EXPORT = re.compile(r"export\s+(?:default\s|const\s|let\s|function\s|\{)")
_ADMONITION = re.compile(
    r":::+\s*[\w-]*[^\n]{0,200}|(?:!!!|\?\?\?\+?)\s+[\w-]+[^\n]{0,200}|===\+?\s+\"[^\n]{0,200}"
)
_KRAMDOWN = re.compile(
    r"(?:\{:[^\n]{0,300}\}|\{::[^\n]{0,300}\}|\*\s+TOC|\[\[?_?TOC_?\]\]?|\[toc\]|\{\{[<%]\s*toc\s*[>%]\}\}"
    r"|\{[\w.$]{1,200}\})\s*",
    re.IGNORECASE,
)
_DEFINITION = re.compile(r"\*?\[[^\]\n]{1,300}\]:")  # link definitions, footnotes, abbreviations
_CONTAINER = re.compile(
    r"(?:</?(?:div|figure|figcaption|details|summary|center|section|article|aside|span|font|p|small|big|main"
    r"|header|footer|nav)\b[^<>\n]{0,500}>\s*)+",
    re.IGNORECASE,
)
# Setext underlines, horizontal rules and table delimiter rows: lines of markup only.
_RULE = re.compile(r"(?:[-=_*][ \t]*){3,}|[ \t|:-]*-{3,}[ \t|:-]*")
# Quote markers, bullets, numbers and heading hashes at a line start, nested any number deep.
_LINE_START = re.compile(r"(?:(?:>|[-+*](?=[ \t])|\d{1,9}[.)](?=[ \t]|$)|#{1,6}(?=[ \t]|$))[ \t]*)+")
_CLOSING_HASHES = re.compile(r"[ \t]#+[ \t]*$")
_LIST_ITEM = re.compile(r"(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
_CJK_CLASS = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef"
# `$…$` by Pandoc's rule (no ASCII letter or digit outside, no space inside), without CJK inside:
# `$10. 扩散模型$` is prose between two prices. Display math runs from its opener to its closer.
# (The dollar comes before its look-behind so that the scan can skip from dollar to dollar.)
_INLINE_MATH = re.compile(
    r"\$(?<![\\$0-9A-Za-z]\$)(?![\s$])[^$\n" + _CJK_CLASS + r"]{1,998}(?<![\s\\])\$(?![0-9A-Za-z])"
)
_DISPLAY_MATH = re.compile(
    r"\\\$|\$\$|\\\[|\\\(|\\begin\{(?P<environment>" + "|".join(re.escape(e) for e in ENVIRONMENTS) + r")\}"
)
_CLOSERS = {"$$": "$$", "\\[": "\\]", "\\(": "\\)"}
_MAX_DISPLAY = 20_000
_CODE_SPAN = re.compile(r"(`+)([^`]{1,2000})\1(?!`)")
# Inline code that is itself markup would read as a leak of the syntax removed everywhere else.
_MARKUP_LIKE = re.compile(r"</?[A-Za-z][^<>]*>|\{[{%/:]|[}%]\}|\*/\}|\$[^$]+\$|\\[A-Za-z]{2,}|<!--|\]\(")
_HUGE_ENTITY = re.compile(r"&#[xX]?[0-9A-Fa-f]{8,};?")
_IMAGE = re.compile(r"!\[[^\[\]\n]{0,300}\]\([^()\n]{0,1000}\)")
_LINK = re.compile(r"\[([^\[\]\n]{0,300})\]\([^()\n]{0,1000}\)")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^<>\s]{1,2000})>", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_SCRIPT = re.compile(r"<(script|style)\b[^>]{0,500}>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]{0,60}(?:\s[^<>]{0,2000})?/?>")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_UNDERSCORES = re.compile(r"_+")


class _Parked:
    """Pieces of final text parked behind markers while the Markdown around them is removed."""

    def __init__(self) -> None:
        self.pieces: list[str] = []

    def park(self, text: str) -> str:
        self.pieces.append(text)
        return f"{_OPEN}{len(self.pieces) - 1}{_CLOSE}"

    def restore(self, text: str) -> str:
        return _TOKEN.sub(lambda m: self.pieces[int(m.group(1))], text) if self.pieces else text


# Stored for a body with no searchable words (only code, images or formulas): "" in the database
# means "still to be derived" (a big scan leaves that to the search index's catch-up), so a post
# whose text really is empty would be derived again on every catch-up, for ever.
NO_WORDS = " "


def stored_search_text(body: str) -> str:
    """Derive the search text to store: never "" for a non-empty body ("" means "not derived yet")."""
    return search_text(body) or (NO_WORDS if body else "")


def search_text(body: str, limit: int = MAX_CHARS) -> str:
    """Return the readable text of a Markdown body on one line, at most `limit` characters."""
    text = "\n".join(_blocks(body.replace(_OPEN, "").replace(_CLOSE, "").split("\n")))
    parked = _Parked()
    text = " ".join(parked.restore(_markdown(_inline(text, parked), parked)).split())
    # Printable text holds no control or bidi character: the usual case skips the scan for them.
    return _bounded(text if text.isprintable() else strip_unsafe(text), limit)


def _blocks(lines: list[str]) -> list[str]:
    """Drop code blocks, comments and generator block syntax line by line; strip line markers."""
    out: list[str] = []
    index, count = 0, len(lines)
    blank = True  # the previous line was blank: an indented line starts code only after one
    in_list = False  # ... and only outside a list, where it continues the item
    while index < count:
        line = lines[index]
        stripped = line.lstrip(" \t")
        index += 1
        if not stripped:
            out.append("")
            blank = True
            continue
        if _indented(line) and (blank or in_list):
            if not in_list:
                index = _skip(lines, index, lambda text: bool(text.strip()) and not _indented(text))
                out.append("")
                continue
        elif blank or stripped[0] in "-+*0123456789":
            in_list = _LIST_ITEM.match(stripped) is not None
        blank = False
        if stripped[0] not in _SPECIAL_FIRST:
            out.append(line)
            continue
        kept, index = _special(lines, index, line, stripped)
        if kept is not None:
            out.append(kept)
        blank = kept == ""
    return out


def _indented(line: str) -> bool:
    return line.startswith("    ") or line[:1] == "\t"


def _skip(lines: list[str], index: int, stop: Callable[[str], bool], inclusive: bool = False) -> int:
    """Return the index of the first line from `index` that `stop` accepts (past it if inclusive)."""
    while index < len(lines):
        if stop(lines[index]):
            return index + 1 if inclusive else index
        index += 1
    return index


def _special(lines: list[str], index: int, line: str, stripped: str) -> tuple[str | None, int]:
    """Read a line that may be block syntax; return what it leaves (None: nothing) and the next index."""
    first = stripped[0]
    if first in "`~" and len(line) - len(stripped) <= 3 and (fence := _FENCE.match(stripped)):
        mark = fence.group(1)
        return "", _skip(lines, index, lambda text: _closes(text, mark), inclusive=True)
    if first == "{":
        return _braced(lines, index, stripped)
    if first == "<":
        if stripped.startswith("<!--") and "-->" not in stripped:
            return "", _skip(lines, index, lambda text: "-->" in text, inclusive=True)
        if _CONTAINER.fullmatch(stripped):
            return "", index  # a blank line: what the container holds is read as Markdown
    elif first in "iI" and stripped.startswith(("import ", "import{")):
        if _MDX_IMPORT.fullmatch(stripped):
            return None, index
        if stripped.startswith(("import {", "import{")) and " from " not in stripped:
            return None, _skip(lines, index, lambda text: _MDX_FROM.search(text[:600]) is not None, True)
    elif first in "eE" and _MDX_EXPORT.match(stripped):
        return None, _export_end(lines, index, stripped)
    elif first in ":!?=" and _ADMONITION.fullmatch(stripped):
        return "", index if first == ":" else _admonition_body(lines, index)
    elif first in "*[" and (_KRAMDOWN.fullmatch(stripped) or _DEFINITION.match(stripped)):
        if stripped.startswith("[^"):  # a footnote's definition, with its indented continuation
            return None, _skip(lines, index, lambda text: bool(text.strip()) and not _indented(text))
        return None, index
    return _markers(stripped), index


def _closes(line: str, mark: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(mark) and not stripped.strip(mark[0])


def _braced(lines: list[str], index: int, stripped: str) -> tuple[str | None, int]:
    """Lines starting with `{`: Liquid and Hugo code blocks, MDX comments, kramdown, JSX values."""
    liquid = _LIQUID.fullmatch(stripped)
    if liquid is not None:
        closer = re.compile(r"\{%-?\s*end" + liquid.group(1).lower() + r"\s*-?%\}", re.IGNORECASE)
        return "", _skip(lines, index, lambda text: closer.search(text[:2000]) is not None, inclusive=True)
    if _HUGO.fullmatch(stripped):
        return "", _skip(lines, index, lambda text: _HUGO_END.fullmatch(text) is not None, inclusive=True)
    if stripped.startswith("{/*"):
        if "*/}" in stripped:
            return (None if stripped.rstrip().endswith("*/}") else stripped), index
        return None, _skip(lines, index, lambda text: "*/}" in text, inclusive=True)
    if _KRAMDOWN.fullmatch(stripped):
        return None, index
    return stripped, index


def _admonition_body(lines: list[str], index: int) -> int:
    """Un-indent a MkDocs admonition's body in place: it is prose, read on as ordinary lines."""
    at = index
    while at < len(lines) and (_indented(lines[at]) or not lines[at].strip()):
        line = lines[at]
        lines[at] = line[4:] if line.startswith("    ") else line[1:] if line[:1] == "\t" else line
        at += 1
    return index


def _export_end(lines: list[str], index: int, first: str) -> int:
    line = first.rstrip()
    if line.endswith((";", "}", ")")) or ("=" in line and not line.endswith(("{", "(", "["))):
        return index
    # A multi-line export (an object, a function) ends at its closing line.
    return _skip(lines, index, _closes_export, inclusive=True)


def _closes_export(line: str) -> bool:
    return line[:1] in "})]" or line.rstrip().endswith(("};", "})", "];"))


def _markers(stripped: str) -> str:
    """Strip a line's quote, list and heading markers; a line of markup only becomes blank."""
    if stripped[0] in "-=_*|: \t" and _RULE.fullmatch(stripped):
        return ""
    text = _LINE_START.sub("", stripped, count=1) if stripped[0] in "#>-+*0123456789" else stripped
    return _CLOSING_HASHES.sub("", text) if "#" in text else text


def _inline(text: str, parked: _Parked) -> str:
    """Park code spans, drop formulas, then remove generator syntax, comments, HTML and links."""
    if "`" in text:
        text = _CODE_SPAN.sub(lambda m: parked.park(_code_text(m.group(2))), text)
    if "$" in text or "\\" in text:
        text = _drop_formulas(text)
    if "&#" in text:
        text = _HUGE_ENTITY.sub("", text)
    if "{" in text or "<" in text or "[^" in text or "][" in text:
        text = clean_inline(text)  # generator syntax: shortcodes, Liquid, MDX, footnote marks
    if "<" in text:
        text = _AUTOLINK.sub(lambda m: parked.park(m.group(1)), text)
        end = text.rfind("-->")
        if end >= 0:  # searching only up to the last closer keeps an unclosed `<!--` linear
            text = _COMMENT.sub(" ", text[: end + 3]) + text[end + 3 :]
        text = _TAG.sub(" ", _SCRIPT.sub(" ", text))
    if "[" in text:
        text = _LINK.sub(r"\1", _IMAGE.sub(" ", text))
    return text


def _drop_formulas(text: str) -> str:
    """Replace every formula by a space (`bot.content.math_spans` has the rules), linearly."""
    if "$" in text:
        text = _INLINE_MATH.sub(" ", text)
    if "$$" not in text and "\\" not in text:
        return text
    out: list[str] = []
    position = 0
    # Where each closer next occurs: every search moves forward, so 20,000 unclosed `\[` cost one.
    next_closer: dict[str, int] = {}
    while (match := _DISPLAY_MATH.search(text, position)) is not None:
        token, after = match.group(), match.end()
        environment = match.group("environment")
        closer = f"\\end{{{environment}}}" if environment else _CLOSERS.get(token, "")
        end = next_closer.get(closer, -2) if closer else -1
        if closer and end != -1 and end < after:
            end = next_closer[closer] = text.find(closer, after)
        if end < 0 or end - after > _MAX_DISPLAY:
            out.append(text[position:after])  # an escaped dollar, or an opener never closed
            position = after
            continue
        out.append(text[position : match.start()] + " ")
        position = end + len(closer)
    out.append(text[position:])
    return "".join(out)


def _code_text(code: str) -> str:
    code = " ".join(code.split())
    return " " if _MARKUP_LIKE.search(code) else f" {code} "


def _markdown(text: str, parked: _Parked) -> str:
    """Remove what Markdown acts on inside lines: escapes, emphasis, table pipes, entities."""
    if "\\" in text:
        text = _ESCAPE.sub(lambda m: parked.park(m.group(1)), text)
    text = text.replace("|", " ").replace("*", "").replace("~~", "").replace("`", "")
    if "_" in text:
        text = _UNDERSCORES.sub(_underscores, text)
    return html.unescape(text) if "&" in text else text


def _underscores(match: re.Match[str]) -> str:
    # `snake_case` and `x_t` keep theirs; `_emphasis_` and `__strong__` lose theirs.
    text, start, end = match.string, match.start(), match.end()
    inside = start > 0 and end < len(text) and text[start - 1].isalnum() and text[end].isalnum()
    return match.group() if inside else ""


def _bounded(text: str, limit: int) -> str:
    """Cut at `limit` characters, never inside a combining sequence."""
    if len(text) <= limit:
        return text
    end = limit
    while end > 0 and (unicodedata.combining(text[end]) or text[end] in "\u200d\ufe0e\ufe0f"):
        end -= 1
    return text[:end].rstrip()
