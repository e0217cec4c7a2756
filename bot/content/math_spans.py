r"""Find the formulas in Markdown text in one linear pass, as Chinese technical blogs write them.

Delimiters: `$$…$$`, `\\[…\\]`, `\\(…\\)`, bare `\\begin{equation}…\\end{equation}` (and the other
display environments), and `$…$`. A `$…$` follows Pandoc's rule with one change: a CJK character may
touch the dollars (`其中$\\alpha$为学习率`), only an ASCII letter or digit may not. No space just
inside the dollars and no digit right after the closing one, so `$5 and $10` stays money.
Per-post macros (`\\newcommand`, `\\def`, `\\DeclareMathOperator`) are collected, removed from the
formula that defines them, and expanded in the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ENVIRONMENTS = (
    "equation", "equation*", "align", "align*", "aligned", "gather", "gather*", "multline", "multline*",
    "eqnarray", "eqnarray*", "displaymath", "math", "split", "flalign", "flalign*", "alignat", "alignat*",
)  # fmt: skip
MAX_INLINE = 1000  # a `$` with no partner this close (and on its line) is a dollar sign
_OPENERS = re.compile(
    r"\\\$|\$\$"
    # `$…$`: no ASCII letter or digit just outside, no space just inside, no digit after the end.
    r"|(?<![\\$0-9A-Za-z])\$(?P<inline>[^\s$](?:[^$\n]{0,"
    + str(MAX_INLINE - 2)
    + r"}?[^\s\\$])?)\$(?![0-9A-Za-z])"
    r"|\$|\\\[|\\\(|\\begin\{(?P<environment>" + "|".join(re.escape(e) for e in ENVIRONMENTS) + r")\}"
)
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]")
_TEXT_MACRO = re.compile(r"\\(?:text|mbox|mathrm|textrm|operatorname)")
MAX_DISPLAY = 20_000


@dataclass(frozen=True, slots=True)
class Formula:
    """A formula found in text: where it is, its LaTeX source, and whether it is display math."""

    start: int
    end: int
    source: str
    display: bool


def find_formulas(text: str) -> list[Formula]:
    """Return every formula, in order, without overlaps; linear in the length of `text`."""
    found: list[Formula] = []
    # The next place each closer occurs: every search moves forward, so 50,000 unclosed `\[`
    # cost one search, not 50,000.
    next_closer: dict[str, int] = {}
    position = 0
    while True:
        match = _OPENERS.search(text, position)
        if match is None:
            return found
        start, after = match.start(), match.end()
        inline = match.group("inline")
        if inline is not None:
            if _CJK.search(inline) and not _TEXT_MACRO.search(inline):
                position = start + 1  # `$10. 扩散模型$`: prose between a price and a formula
                continue
            found.append(Formula(start, after, inline, display=False))
            position = after
            continue
        token = match.group()
        if token in ("\\$", "$"):
            position = after
            continue
        closer = _closer(token, match.group("environment"))
        end = next_closer.get(closer, -2)
        if end != -1 and end < after:
            end = next_closer[closer] = text.find(closer, after)
        if end < 0 or end - after > MAX_DISPLAY:
            position = after
            continue
        found.append(Formula(start, end + len(closer), text[after:end], display=token != "\\("))
        position = end + len(closer)


def _closer(token: str, environment: str | None) -> str:
    if environment is not None:
        return f"\\end{{{environment}}}"
    return {"$$": "$$", "\\[": "\\]", "\\(": "\\)"}[token]


# --- per-post macros ---------------------------------------------------------------------------

_DEFINITION = re.compile(
    r"\\(?:re)?newcommand\*?\s*\{?\\([A-Za-z]+)\}?\s*(?:\[(\d)\])?\s*(?:\[[^\]]*\])?\s*"
    r"|\\def\s*\\([A-Za-z]+)\s*((?:#\d)*)\s*"
    r"|\\DeclareMathOperator\*?\s*\{?\\([A-Za-z]+)\}?\s*"
)
MAX_MACROS = 100
MAX_EXPANSION = 2000


@dataclass(frozen=True, slots=True)
class Macro:
    """A macro a post defined: its parameter count and body."""

    params: int
    body: str


def take_definitions(source: str, macros: dict[str, Macro]) -> str:
    """Remove macro definitions from `source`, recording them in `macros`; return what is left."""
    if not any(
        word in source for word in ("\\newcommand", "\\def", "\\renewcommand", "\\DeclareMathOperator")
    ):
        return source
    out: list[str] = []
    position = 0
    while True:
        match = _DEFINITION.search(source, position)
        if match is None:
            out.append(source[position:])
            return "".join(out)
        body, end = _group(source, match.end())
        if body is None:
            out.append(source[position:])
            return "".join(out)
        out.append(source[position : match.start()])
        name = match.group(1) or match.group(3) or match.group(5)
        if match.group(5):
            body = f"\\operatorname{{{body}}}"
        params = int(match.group(2) or 0) if match.group(3) is None else len(match.group(4) or "") // 2
        if len(macros) < MAX_MACROS:
            macros[name] = Macro(params, body)
        position = end


def expand_macros(source: str, macros: dict[str, Macro]) -> str:
    """Expand the post's own macros in a formula (a few rounds, bounded in size)."""
    if not macros or "\\" not in source:
        return source
    pattern = re.compile(
        r"\\(" + "|".join(re.escape(n) for n in sorted(macros, key=len, reverse=True)) + r")(?![A-Za-z])"
    )
    for _ in range(4):
        changed = False
        out: list[str] = []
        position = 0
        for match in pattern.finditer(source):
            if match.start() < position:
                continue
            macro = macros[match.group(1)]
            body, end = macro.body, match.end()
            for number in range(1, macro.params + 1):
                argument, end = _argument(source, end)
                body = body.replace(f"#{number}", argument)
            out += [source[position : match.start()], body]
            position, changed = end, True
        out.append(source[position:])
        source = "".join(out)
        if not changed or len(source) > MAX_EXPANSION:
            break
    return source[:MAX_EXPANSION]


def _group(text: str, start: int) -> tuple[str | None, int]:
    """Read a balanced `{…}` group starting at `start` (after spaces)."""
    while start < len(text) and text[start].isspace():
        start += 1
    if start >= len(text) or text[start] != "{":
        return None, start
    depth = 0
    for index in range(start, min(len(text), start + MAX_EXPANSION)):
        char = text[index]
        if char == "{" and text[index - 1] != "\\":
            depth += 1
        elif char == "}" and text[index - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[start + 1 : index], index + 1
    return None, start


def _argument(text: str, start: int) -> tuple[str, int]:
    group, end = _group(text, start)
    if group is not None:
        return group, end
    while start < len(text) and text[start].isspace():
        start += 1
    return (text[start], start + 1) if start < len(text) else ("", start)
