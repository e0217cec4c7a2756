"""A post's Markdown made ready for Markdown: generator syntax gone, code and math out of its reach.

Code blocks, code spans, formulas, images and link targets are swapped for private-use markers
before Markdown runs, so Markdown can neither eat a formula's backslashes nor read `$a*b$` as
emphasis, and no bracket is left for its link patterns to scan (a run of them costs seconds).
Every pass here is linear, and what would make Markdown itself slow is defused (see `bound.py`):
this runs on files nobody vetted.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Literal

from bot.content.cleaner import clean_body, clean_inline
from bot.content.full.bound import bound_blocks, defuse_openers, tame
from bot.content.full.markers import CLOSE, LINK_END, LINK_OPEN, MARKER, MARKER_CHARS, OPEN
from bot.content.links import resolve
from bot.content.math_spans import MAX_EXPANSION, Macro, expand_macros, find_formulas, take_definitions
from bot.content.render.common import safe_url

_HUGE_ENTITY = re.compile(r"&#[xX]?[0-9A-Fa-f]{8,};?")  # no character: html.unescape raises on it
_LABELS = re.compile(r"\\(?:label|tag\*?)\s*\{[^{}]{0,200}\}|\\(?:nonumber|notag)\b")
_ENVIRONMENT = re.compile(r"\\begin\{([a-z]+)\*?\}")
# Environments whose rows only mean something inside an alignment once their own name is gone.
_WRAPPERS = {"align": "aligned", "eqnarray": "aligned", "flalign": "aligned", "split": "aligned",
             "alignat": "alignedat", "gather": "gathered", "multline": "gathered"}  # fmt: skip
# A link's target may hold one level of parentheses (Wikipedia's `Foo_(bar)`); every choice below
# starts on a different character, so the patterns never backtrack far.
_TARGET = r"((?:[^()\n]|\([^()\n]{0,300}\)){0,1000})"
_IMAGE = re.compile(r"!\[([^\[\]\n]{0,300})\]\(" + _TARGET + r"\)")
_LINK = re.compile(r"\[([^\[\]\n]{0,300})\]\(" + _TARGET + r"\)")
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\[\]\n]{1,300}\]:[ \t]+\S[^\n]*$", re.MULTILINE)
_BACKTICKS = re.compile(r"`+")
_HTML_IMAGE = re.compile(r"<img\s[^<>\n]{0,2000}>", re.IGNORECASE)
_HTML_ATTRIBUTE = re.compile(r"\b([A-Za-z-]{1,20})\s*=\s*([\"'])([^\"'<>\n]{0,1000})\2")
_HTML_LINK = re.compile(
    r"<a\s[^<>\n]{0,500}?\bhref\s*=\s*[\"']([^\"'<>\n]{1,1000})[\"'][^<>\n]{0,500}>([^<\n]{0,300})</a\s*>",
    re.IGNORECASE,
)
_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_HTML_FORMAT = re.compile(
    r"</?(?:b|strong|i|em|u|s|del|ins|mark|small|big|sub|sup|span|font|abbr|kbd|var|samp|cite|q)\b[^<>\n]{0,500}>",
    re.IGNORECASE,
)
_FENCE_LINE = re.compile(r"((?:[ \t]*>)*[ \t]*)(`{3,}|~{3,})([^\n]*)")
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\S")
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,40}")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
PARAGRAPH_BREAK = "\ue004"  # between the paragraphs a "paragraph" atom holds
# Anything Markdown would act on: inline syntax, entities, raw HTML, escapes, a hard line break, or a
# line that is indented or starts a heading, list, quote, table or setext underline.
_SYNTAX = re.compile(r"[*_`<>&\\|~]|\]:|  $|^(?:[ \t]|[-+=#]|\d{1,9}[.)])", re.MULTILINE)
MAX_CODE_SPAN = 2000

AtomKind = Literal["code", "math", "display", "text", "image", "block", "paragraph", "break"]


@dataclass(slots=True)
class Atom:
    """What a marker stands for; `raw` is the source text it replaced (shown again inside code)."""

    kind: AtomKind
    text: str  # code, LaTeX source, literal text, alt text; a code block's language for "block"
    raw: str
    url: str = ""  # images: an absolute http(s) URL, or "" when it has none
    lines: list[str] = field(default_factory=list)  # code blocks


@dataclass(slots=True)
class Source:
    """The atoms and link targets that the markers in the prepared text refer to."""

    site_url: str
    base_url: str
    atoms: list[Atom] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)
    macros: dict[str, Macro] = field(default_factory=dict)

    def marker(self, atom: Atom) -> str:
        """Remember `atom` and return the marker that stands for it."""
        self.atoms.append(atom)
        return f"{OPEN}{len(self.atoms) - 1}{CLOSE}"

    def literal(self, text: str) -> str:
        """Return a marker for text Markdown must leave as it is."""
        return self.marker(Atom("text", text, text))

    def code_open(self, language: str) -> str:
        """Start a code block (the cleaner met its opening fence or tag); return its marker."""
        return self.marker(Atom("block", language, ""))

    def code_line(self, line: str) -> None:
        """Add a line to the code block started last."""
        self.atoms[-1].lines.append(line)


def prepare(body: str, site_url: str, base_url: str) -> tuple[str, Source]:
    """Return the body ready for Markdown, and what its markers stand for."""
    source = Source(site_url, base_url)
    body = _HUGE_ENTITY.sub("", MARKER_CHARS.sub("", body).replace(PARAGRAPH_BREAK, ""))
    take_definitions(body, source.macros)  # a macro may be used before the formula defining it
    text = clean_body(_lift_list_fences(body, source), source.code_open, source.code_line)
    text = _protect_formulas(_protect_code_spans(text, source), source)
    # Formulas first: `{{a}}` in LaTeX is not a Liquid tag.
    text = _REFERENCE_DEFINITION.sub("", clean_inline(_inline_html(defuse_openers(text, source), source)))
    if "[" in text:
        # Markdown's own link patterns are off (tree.py): a leftover bracket is just a bracket.
        text = _LINK.sub(lambda m: _link(m, source), _IMAGE.sub(lambda m: _image(m, source), text))
    return shortcut_paragraphs(bound_blocks(tame(text, source)), source), source


def shortcut_paragraphs(text: str, source: Source) -> str:
    """Swap runs of paragraphs with nothing Markdown would act on for one marker each.

    Once formulas and code are markers, most of a Chinese post's paragraphs are plain: they are
    their own text, and handing Markdown one marker for a run of them saves most of its time.
    A property test holds the result equal to Markdown's.
    """
    chunks = _BLANK_LINE.split(text)
    out: list[str] = []
    plain: list[str] = []
    for chunk in [*chunks, "#"]:  # a last chunk with syntax flushes the run
        if chunk.strip() and not _SYNTAX.search(chunk):
            plain.append(chunk.strip())
            continue
        if plain:
            joined = PARAGRAPH_BREAK.join(plain)
            out.append(source.marker(Atom("paragraph", joined, "\n\n".join(plain))))
            plain = []
        out.append(chunk)
    return "\n\n".join(out[:-1])


def _lift_list_fences(body: str, source: Source) -> str:
    """Swap fenced code inside list items and quotes for markers placed where the code was.

    The cleaner takes fences at the left margin; one indented under a list item, or behind a
    quote's `>`, would otherwise be read as a code span. Top-level fences are copied as they are.
    """
    if "`" * 3 not in body and "~" * 3 not in body:
        return body
    lines = body.split("\n")
    out: list[str] = []
    in_list = False
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = _FENCE_LINE.match(line)
        if fence is not None and (fence.group(1).strip() or (in_list and fence.group(1))):
            index = _lift(lines, index, fence, source, out)
            continue
        if fence is not None:  # a fence at the margin: the cleaner's, copied whole
            index_after = _fence_close(lines, index + 1, fence.group(2), "")[1]
            out += lines[index:index_after]
            index = index_after
            continue
        if _LIST_ITEM.match(line):
            in_list = True
        elif line.strip() and not line[:1].isspace():
            in_list = False
        out.append(line)
        index += 1
    return "\n".join(out)


def _lift(lines: list[str], index: int, fence: re.Match[str], source: Source, out: list[str]) -> int:
    """Move one nested fenced block into a code marker; return the index after its closing fence."""
    lead = fence.group(1)
    quote = lead.rstrip(" \t") if lead.strip() else ""
    closing, after = _fence_close(lines, index + 1, fence.group(2), quote)
    marker = source.code_open(_fence_language(fence.group(3)))
    width = len(lead)
    for code in lines[index + 1 : closing]:
        code = code[len(quote) :] if quote else code
        code = code[width - len(quote) :] if code[: width - len(quote)].isspace() else code.lstrip()
        source.code_line(code)
    out += [quote, (quote + " " if quote else "    ") + marker, quote]
    return after


def _fence_close(lines: list[str], start: int, mark: str, quote: str) -> tuple[int, int]:
    """Find where a fence opened with `mark` ends: (its closing line, the line to read on from).

    Without a closing fence the block runs to the end, or, inside a quote (`quote` is its `>`
    prefix), to where the quote ends.
    """
    for index in range(start, len(lines)):
        line = lines[index]
        if quote:
            if not line.startswith(quote):
                return index, index
            line = line[len(quote) :]
        stripped = line.strip()
        if stripped.startswith(mark[0] * len(mark)) and not stripped.strip(mark[0]):
            return index, index + 1
    return len(lines), len(lines)


def _fence_language(info: str) -> str:
    """Read the language from a fence's info string (`python`, `{.rust}`, `c++ title=x`)."""
    match = _LANGUAGE.match(info.strip().lstrip("{.").lstrip())
    return match.group() if match is not None else ""


def _protect_code_spans(text: str, source: Source) -> str:
    """Swap code spans for markers: a run of n backticks closes at the next run of exactly n.

    One pass over the runs of backticks, so 100,000 of them cost no more than reading them.
    """
    if "`" not in text:
        return text
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text)]
    by_length: dict[int, list[int]] = {}
    for index, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(index)
    cursor = dict.fromkeys(by_length, 0)  # per length: the first run not yet passed
    out: list[str] = []
    position = 0
    for index, (start, end) in enumerate(runs):
        length = end - start
        if start < position:
            continue
        same = by_length[length]
        while cursor[length] < len(same) and same[cursor[length]] <= index:
            cursor[length] += 1
        if cursor[length] >= len(same):
            continue
        close_start, close_end = runs[same[cursor[length]]]
        content = text[end:close_start]
        if len(content) > MAX_CODE_SPAN or not content.strip() or "\n\n" in content:
            continue
        code = " ".join(content.split()) if "\n" in content else content
        if code.startswith(" ") and code.endswith(" ") and code.strip():
            code = code[1:-1]  # CommonMark: one space each side lets a span start with a backtick
        out += [text[position:start], source.marker(Atom("code", code, text[start:close_end]))]
        position = close_end
    out.append(text[position:])
    return "".join(out)


def _protect_formulas(text: str, source: Source) -> str:
    """Swap escaped dollars and formulas for markers; a formula that only defines macros goes."""
    if "\\$" in text:
        text = text.replace("\\$", source.marker(Atom("text", "$", "\\$")))
    out: list[str] = []
    position = 0
    for formula in find_formulas(text):
        out.append(text[position : formula.start])
        raw = text[formula.start : formula.end]
        # A formula may enclose a code span swapped for a marker already: it was LaTeX all along.
        inner = restore(formula.source, source) if OPEN in formula.source else formula.source
        latex = formula_source(inner, raw, source.macros)
        if latex:
            out.append(source.marker(Atom("display" if formula.display else "math", latex, raw)))
        position = formula.end
    out.append(text[position:])
    return "".join(out)


def formula_source(latex: str, raw: str, macros: dict[str, Macro]) -> str:
    """Return the LaTeX a reader is shown: definitions cut, macros expanded, labels dropped."""
    if macros:
        latex = take_definitions(latex, macros)
        expanded = expand_macros(latex, macros)
        # expand_macros stops at MAX_EXPANSION characters: a cut formula is worse than a macro.
        if len(expanded) < MAX_EXPANSION:
            latex = expanded
    if "\\" in latex and ("\\label" in latex or "\\tag" in latex or "\\no" in latex):
        latex = _LABELS.sub("", latex)
    latex = latex.strip()
    environment = _ENVIRONMENT.match(raw)
    if latex and environment is not None and environment.group(1) in _WRAPPERS:
        wrapper = _WRAPPERS[environment.group(1)]
        latex = f"\\begin{{{wrapper}}}{latex}\\end{{{wrapper}}}"
    return latex


def _inline_html(text: str, source: Source) -> str:
    """Read the raw HTML a post writes inline: images and links kept, formatting tags dropped.

    The cleaner would leave a space for each tag, which splits Chinese words apart.
    """
    if "<" not in text:
        return text
    text = _HTML_IMAGE.sub(lambda m: _html_image(m.group(), source), text)
    text = _HTML_LINK.sub(lambda m: _linked(m.group(2), m.group(1), source), text)
    text = _HTML_BREAK.sub(lambda _: source.marker(Atom("break", "", "<br>")), text)
    return _HTML_FORMAT.sub("", text)


def _html_image(tag: str, source: Source) -> str:
    values = {name.lower(): value for name, _, value in _HTML_ATTRIBUTE.findall(tag)}
    url = _destination(values.get("src", ""), source) or ""
    alt = html.unescape(plain(values.get("alt", ""), source)).strip()
    return source.marker(Atom("image", alt, tag, url=url)) if url or alt else ""


def _destination(target: str, source: Source) -> str | None:
    """Resolve a link or image target (`url`, `<url>`, `url "title"`) to a URL a chat accepts."""
    target = target.strip()
    if target.startswith("<"):
        target = target[1 : target.find(">")] if ">" in target else target[1:]
    else:
        target = target.split(None, 1)[0] if target else ""
    # resolve() would encode a fragment's `#`: the page is resolved, the fragment put back.
    page, hash_, fragment = target.partition("#")
    resolved = resolve(page, source.site_url, source.base_url) if page else source.base_url
    return safe_url(resolved.split("#", 1)[0] + hash_ + fragment if resolved else "")


def _image(match: re.Match[str], source: Source) -> str:
    url = _destination(match.group(2), source) or ""
    return source.marker(Atom("image", plain(match.group(1), source).strip(), match.group(), url=url))


def _link(match: re.Match[str], source: Source) -> str:
    return _linked(match.group(1), match.group(2), source)


def _linked(text: str, target: str, source: Source) -> str:
    if not text.strip():
        return ""
    source.links.append(_destination(target, source))
    return f"{LINK_OPEN}{len(source.links) - 1}{CLOSE}{text}{LINK_END}"


def plain(text: str, source: Source) -> str:
    """Read `text`'s markers as plain text: code and formulas as written, links as their text."""

    def atom(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return ""
        found = source.atoms[int(match.group(1))]
        return found.text if found.kind in ("code", "text", "math", "image") else " "

    return MARKER.sub(atom, text)


def restore(text: str, source: Source) -> str:
    """Replace every marker in `text` by the source text it stood for (for code blocks)."""

    def raw(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            found = source.atoms[int(match.group(1))]
            return found.raw if found.kind != "block" else "\n".join(found.lines)
        return "[" if match.group(2) is not None else "]"

    return MARKER.sub(raw, text)
