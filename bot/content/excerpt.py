"""Turn a post's Markdown body into the ~350-character plain-text excerpt readers see."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import markdown
from markdown.util import HTML_PLACEHOLDER_RE

from bot.content.cleaner import clean_inline, split_at_more, take_prefix
from bot.content.latex import latex_to_unicode
from bot.content.math_spans import Macro, expand_macros, find_formulas, take_definitions
from bot.content.models import Lang
from bot.content.safe_text import strip_unsafe

PLACEHOLDER_CODE: dict[Lang, str] = {"zh": "[代码]", "en": "[code]"}
PLACEHOLDER_MATH: dict[Lang, str] = {"zh": "[公式]", "en": "[formula]"}
ELLIPSIS = "..."

# Protected spans are replaced by private-use markers before Markdown runs, so Markdown can
# neither eat their backslashes nor read `$a*b$` as emphasis (`_Protector` keeps them).
_OPEN, _CLOSE = "\ue000", "\ue001"
_TOKEN = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_CODE_SPAN = re.compile(r"(`+)(?!`)([^`]{1,2000}?|.{1,2000}?)(?<!`)\1(?!`)", re.DOTALL)
# A numeric reference with this many digits is no character, and html.unescape raises on it.
_MARKUP_LIKE = re.compile(
    r"</?[A-Za-z][^<>]*>|\{[{%/:]|[}%]\}|\*/\}|\$[^$]+\$|\\[A-Za-z]{2,}|<!--|\]\(|^:::|^!!!"
)
_HUGE_ENTITY = re.compile(r"&#[xX]?[0-9A-Fa-f]{8,};?")
_MATH_LABELS = re.compile(r"\\(?:label|tag\*?)\s*\{[^{}]{0,200}\}|\\(?:nonumber|notag)\b")
PREFIX_FACTOR = 4  # render up to a paragraph break this many excerpts in ...
HARD_FACTOR = 12  # ... and never more than this many, whatever the post holds
RENDER_FACTOR = 1.3
# Python-Markdown matches brackets by scanning ahead from each `[`: a run of them costs seconds.
# An excerpt shows a link as its text anyway, so links are read here, in one linear pass, and any
# bracket left over is escaped before Markdown sees it.
_IMAGE = re.compile(r"!\[[^\[\]\n]{0,300}\]\([^()\n]{0,1000}\)")
_LINK = re.compile(r"\[([^\[\]\n]{0,300})\]\([^()\n]{0,1000}\)")
_BRACKET = re.compile(r"(?<!\\)[\[\]]")
_EMPHASIS_RUN = re.compile(r"[*_]{3,}")
# Anything Markdown would act on: inline syntax, entities, raw HTML, escapes, or a line that starts
# a heading, list, quote, table, setext underline or indented code.
_MARKDOWN_SYNTAX = re.compile(
    r"[*_`\[\]<>&\\|]|^(?: {4}|\t| {0,3}(?:[-+=#>]|\d{1,9}[.)](?:[ \t]|$)))", re.MULTILINE
)
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class _Atom:
    """A piece of excerpt text that must never be cut in half (a formula, a placeholder)."""

    text: str


@dataclass(frozen=True, slots=True)
class _Math:
    """A formula still in LaTeX; converted only if it lands inside the excerpt (conversion is slow)."""

    source: str
    display: bool


_Piece = str | _Atom


_BLOCKS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "blockquote", "div", "br", "hr", "tr", "td",
     "th", "table", "dt", "dd"}
)  # fmt: skip
_SKIP = frozenset({"script", "style", "img"})
_RAW_SKIP = re.compile(r"<(script|style)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.DOTALL)


class _TextSerializer:
    """Markdown's serializer slot: emit the tree's visible text instead of HTML.

    Reading text straight from the element tree saves serialising HTML and parsing it again.
    """

    def __init__(self, md: markdown.Markdown) -> None:
        self._md = md
        self.code_marker = ""

    def __call__(self, root: Element) -> str:
        parts: list[str] = []
        self._walk(root, parts)
        return HTML_PLACEHOLDER_RE.sub(self._raw_html, "".join(parts))

    def _walk(self, element: Element, parts: list[str]) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "pre":
            # Indented code blocks reach us as <pre>; they read as a placeholder like fences.
            parts.append(f" {self.code_marker} ")
        elif tag not in _SKIP:
            block = tag in _BLOCKS
            if block:
                parts.append(" ")
            if element.text:
                parts.append(element.text)
            for child in element:
                self._walk(child, parts)
            if block:
                parts.append(" ")
        if element.tail:
            parts.append(element.tail)

    def _raw_html(self, match: re.Match[str]) -> str:
        # Raw HTML and entities were stashed by Markdown; keep only their visible text.
        blocks = self._md.htmlStash.rawHtmlBlocks
        index = int(match.group(1))
        raw = str(blocks[index]) if index < len(blocks) else ""
        if not raw.startswith("<"):
            return html.unescape(raw)  # an entity such as &lt; inside the text
        return " " + html.unescape(_TAG.sub(" ", _RAW_SKIP.sub(" ", raw))) + " "


class _Protector:
    """Swap code and math out of the Markdown source, remembering what each marker stands for."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self.atoms: list[_Piece | _Math] = []
        self.macros: dict[str, Macro] = {}
        self.defines = False  # the post defines macros: formulas must have their definitions cut

    def marker(self, piece: _Piece | _Math) -> str:
        self.atoms.append(piece)
        return f"{_OPEN}{len(self.atoms) - 1}{_CLOSE}"

    def code_marker(self) -> str:
        return self.marker(_Atom(PLACEHOLDER_CODE[self.lang]))

    def spans(self, text: str) -> str:
        """Swap code spans, escaped dollars and formulas for markers."""
        if "`" in text:
            text = _CODE_SPAN.sub(self._code_span, text)
        text = text.replace("\\$", self.marker("$"))
        out: list[str] = []
        position = 0
        for formula in find_formulas(text):
            out.append(text[position : formula.start])
            source = formula.source
            if self.defines:
                source = take_definitions(source, self.macros)
            if source.strip():
                # A formula that only defined macros shows nothing; others read with them expanded.
                out.append(self.marker(_Math(source, formula.display)))
            position = formula.end
        out.append(text[position:])
        return "".join(out)

    def _code_span(self, match: re.Match[str]) -> str:
        code = " ".join(match.group(2).split())
        # Inline code that is itself markup (`<div>`, `{{ site.url }}`, `$x$`) would read as a leak
        # of the very syntax the excerpt removes: it shows as a code placeholder instead.
        if _MARKUP_LIKE.search(code):
            return self.code_marker()
        return self.marker(code)

    def resolve(self, index: int) -> _Piece:
        atom = self.atoms[index]
        if isinstance(atom, _Math):
            source = expand_macros(atom.source, self.macros)
            if "\\" in source and ("\\label" in source or "\\tag" in source or "\\no" in source):
                source = _MATH_LABELS.sub("", source)
            readable = latex_to_unicode(source, display=atom.display) if source.strip() else ""
            atom = self.atoms[index] = _Atom(readable or PLACEHOLDER_MATH[self.lang])
        return atom


_MD = markdown.Markdown(extensions=["tables", "sane_lists"])
_SERIALIZER = _TextSerializer(_MD)
_MD.serializer = _SERIALIZER
_MD.stripTopLevelTags = False
# Markdown's own postprocessors expect HTML; our serializer already resolved the stash.
_MD.postprocessors.deregister("raw_html")
# Inline patterns cost most of the rendering; these can't matter: code spans are markers already,
# a hard line break is a space in an excerpt anyway, and bare e-mail autolinks are rare.
# Links are read before Markdown runs (`_render_text`), so none of its link patterns can match.
for _pattern in ("backtick", "linebreak", "automail", "autolink", "reference", "link", "image_link",
                 "image_reference", "short_reference", "short_image_ref"):  # fmt: skip
    _MD.inlinePatterns.deregister(_pattern)


def _render_text(source: str, protector: _Protector, fast: bool = False) -> list[_Piece]:
    """Run Markdown over protected source and return text pieces with atoms restored.

    `fast`: source with nothing Markdown would act on (most prose, once formulas and code are
    markers) is its own text, and Markdown is skipped; a property test holds the two equal.
    """
    if fast and not _MARKDOWN_SYNTAX.search(source):
        flat = _SPACE.sub(" ", source).strip()
    else:
        flat = _SPACE.sub(" ", _markdown(source, protector)).strip()
    pieces: list[_Piece] = []
    position = 0
    for token in _TOKEN.finditer(flat):
        pieces.append(flat[position : token.start()])
        pieces.append(protector.resolve(int(token.group(1))))
        position = token.end()
    pieces.append(flat[position:])
    return [p for p in pieces if p]


def _markdown(source: str, protector: _Protector) -> str:
    if "[" in source or "]" in source:
        source = _BRACKET.sub(r"\\\g<0>", _LINK.sub(r"\1", _IMAGE.sub("", source)))
    _MD.reset()
    _SERIALIZER.code_marker = protector.marker(_Atom(PLACEHOLDER_CODE[protector.lang]))
    try:
        return _MD.convert(source)
    except RecursionError:
        # Emphasis nested thousands deep: read it without emphasis rather than refuse the post.
        _MD.reset()
        return _MD.convert(_EMPHASIS_RUN.sub("", source))


def build_excerpt(body: str, *, lang: Lang, limit: int = 350, fast: bool = True) -> str:
    """Return the post's readable text, cut at `limit` characters with `...` only when cut.

    The fast path cleans and renders only the start of the post, as little as will fill the
    excerpt; `fast=False` renders the whole post at once (the slow, obviously right reference).
    """
    protector = _Protector(lang)
    # The marker characters are private-use code points; a post can't be allowed to forge them.
    body = strip_unsafe(body.replace(_OPEN, "").replace(_CLOSE, ""))
    # A macro may be defined anywhere, even after the excerpt's end; learn them all first.
    take_definitions(body, protector.macros)
    protector.defines = bool(protector.macros)
    body, author_cut = split_at_more(body)
    if fast:
        prefix = take_prefix(body, protector.code_marker, PREFIX_FACTOR * limit, HARD_FACTOR * limit)
    else:
        prefix = take_prefix(body, protector.code_marker, len(body) + 1, len(body) + 1)
    # Formulas first: `{{a}}` in LaTeX is not a Liquid tag.
    source = clean_inline(protector.spans(_HUGE_ENTITY.sub("", prefix.text)))
    blocks = _BLANK_LINES.split(source)
    more_after = prefix.more or author_cut
    if not fast:
        pieces = _render_text("\n\n".join(blocks), protector)
        return cut(pieces, limit, more=more_after)
    # Rendering costs about a microsecond a character: render as few blocks as will do,
    # taking more only when the text falls short.
    take = 1
    while True:
        source = "\n\n".join(blocks[:take])
        if take < len(blocks) and len(source) < RENDER_FACTOR * limit:
            take += 1
            continue
        pieces = _render_text(source, protector, fast=True)
        if take >= len(blocks) or _visible_length(pieces) > limit:
            return cut(pieces, limit, more=more_after or take < len(blocks))
        take = max(take + 1, int(take * 1.5))


def _visible_length(pieces: list[_Piece]) -> int:
    return sum(len(_text(p)) for p in pieces)


def _text(piece: _Piece) -> str:
    return piece.text if isinstance(piece, _Atom) else piece


def cut(pieces: list[_Piece], limit: int, *, more: bool = False) -> str:
    """Join pieces within `limit` characters, never splitting an atom, adding `...` when cut."""
    if not more and _visible_length(pieces) <= limit:
        return "".join(_text(p) for p in pieces).strip()
    budget = max(limit - len(ELLIPSIS), 0)
    out: list[str] = []
    used = 0
    mid_word = False
    for piece in pieces:
        text = _text(piece)
        if used + len(text) <= budget:
            out.append(text)
            used += len(text)
            continue
        if not isinstance(piece, _Atom):
            keep = budget - used
            out.append(text[:keep])
            mid_word = keep > 0 and _is_word_char(text[keep - 1]) and _is_word_char(text[keep])
        break
    return _finish("".join(out), mid_word)


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _finish(text: str, mid_word: bool) -> str:
    """End the cut text on a clean boundary and append the ellipsis."""
    # Back off from combining marks, joiners and variation selectors so no glyph is split.
    while text and (unicodedata.combining(text[-1]) or text[-1] in "\u200d\ufe0e\ufe0f"):
        text = text[:-1]
    if mid_word:
        space = text.rfind(" ")
        # Prefer ending on a whole Latin word, unless that throws away too much.
        if space >= len(text) - 20 and space > 0:
            text = text[:space]
    text = text.rstrip(" ,;:、，；：-—")
    return text + ELLIPSIS
